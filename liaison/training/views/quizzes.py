"""Quizzes: starting an attempt, answering it, its result."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liaison.exchange.idempotency import idempotent_form
from liaison.pwa.offline import offer_offline_copy, wants_offline_copy
from liaison.registry import permissions
from liaison.registry.permissions import Action, can
from liaison.registry.signed_in import current_user
from liaison.training import selectors, services
from liaison.training.forms import (
    QuizForm,
)
from liaison.training.lessons import content_language
from liaison.training.models import (
    Certificate,
    QuizAttempt,
)


@login_required
@require_POST
def quiz_start(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    module = selectors.access_module(user, code)
    enrolment = services.do_enrol_officer(user, module, actor=user, request=request)
    lang = content_language(request, module)
    try:
        attempt = services.do_start_quiz_attempt(
            enrolment, language=lang, actor=user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(module.get_absolute_url())
    return redirect(attempt.get_absolute_url())


def _question_texts(attempt: QuizAttempt) -> dict[str, dict[str, Any]]:
    module = attempt.enrolment.module
    codes = [q["code"] for q in attempt.questions]
    texts: dict[str, dict[str, Any]] = {}
    for question in module.questions.filter(code__in=codes):
        texts[question.code] = {
            "text": question.text_by_language,
            "explanation": question.explanation,
            "options": {str(c["code"]): c["text"] for c in question.choices},
        }
    return texts


@login_required
@idempotent_form("training.quiz_attempt")
def attempt_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An open attempt's quiz (the questions, never which answers are right: the server scores
    what arrives), or the attempt's result. Answers posted to an attempt already submitted (a
    tablet's outbox sends them late) are not counted: 409, on the result."""
    user = current_user(request)
    attempt = permissions.access(user, QuizAttempt, pk=pk)
    module = attempt.enrolment.module
    texts = _question_texts(attempt)
    posted = request.method == "POST"
    status = 200
    if attempt.is_open:
        if not can(user, Action.CHANGE, attempt):
            raise PermissionDenied
        if request.method != "POST" and services.quiz_locked(attempt.enrolment, module):
            messages.error(request, _("Open every lesson of this module before the quiz."))
            return redirect(module.get_absolute_url())
        # bound whenever posted: an attempt sent with nothing ticked is an answer too
        form = QuizForm(request.POST if posted else None, attempt=attempt, texts=texts)
        if not posted or not form.is_valid():
            response = render(
                request,
                "training/quiz.html",
                {
                    "attempt": attempt,
                    "module": module,
                    "form": form,
                    "title": module.text("title", attempt.language),
                    "awaits_review": module.awaits_review(attempt.language),
                    "offline_copy": wants_offline_copy(request),
                },
                status=400 if posted else 200,
            )
            return offer_offline_copy(request, response)
        try:
            services.do_submit_quiz_attempt(attempt, form.answers(), actor=user, request=request)
        except ValidationError as exc:
            # submitted meanwhile
            messages.error(request, " ".join(exc.messages))
            attempt.refresh_from_db()
            status = 409
        else:
            return redirect(attempt.get_absolute_url())
    elif posted:
        messages.error(
            request, _("This attempt was already submitted: these answers were not counted.")
        )
        status = 409
    lang = attempt.language
    results = []
    for index, drawn in enumerate(attempt.questions, start=1):
        question = texts.get(drawn["code"], {})
        options = question.get("options", {})
        chosen = attempt.answers.get(drawn["code"], [])
        results.append(
            {
                "number": index,
                "text": _localised(question.get("text", {}), lang),
                "right": drawn["code"] in attempt.correct,
                "chosen": [_localised(options.get(c, {}), lang) for c in chosen],
                "key": [_localised(options.get(c, {}), lang) for c in drawn["correct"]],
                "explanation": _localised(question.get("explanation", {}), lang),
            }
        )
    certificates = []
    if attempt.passed and attempt.submitted_at is not None:
        certificates = list(
            permissions.visible(user, Certificate)
            .filter(officer=attempt.enrolment.officer, issued_at__gte=attempt.submitted_at)
            .select_related("qualification")
        )
    return render(
        request,
        "training/quiz_result.html",
        {
            "attempt": attempt,
            "module": module,
            "title": module.text("title", lang),
            "results": results,
            "certificates": certificates,
            "own": attempt.enrolment.officer_id == user.pk,
        },
        status=status,
    )


def _localised(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or ""
