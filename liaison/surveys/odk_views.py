"""The questionnaire filled in ODK Web Forms, the form engine ODK Central serves.

The page mounts the engine (bundled from npm, served by the app) on the round's XForm as pyxform
produced it; the engine posts the filled instance as ODK Collect posts to an OpenRosa server
(multipart, ``xml_submission_file``). The instance is read into the answers the analysis reads and
recorded by the same service as the hand-written page's submissions, its XML kept beside them.

The page itself posts the instance as a form field (``instance``) through the tablets' outbox
(keep.js, with an ``Idempotency-Key``): kept as a draft while the officer types, queued with the
link down, recorded once. Its success is a redirect to the round (201 with ``Location`` to the
outbox), its refusals the page again with the reason and the instance, so nothing typed is lost.
Other OpenRosa clients post ``xml_submission_file`` and get plain text: 201, or a 4xx saying why.

The files answering image, audio, video and file questions travel beside the instance in the same
multipart post, each part named as its answer names it (OpenRosa's way, and the engine's
``InstanceData``): kept with the submission, or the whole post refused (400, 413, 415) with the
question and file named (:mod:`liaison.surveys.answer_media`). Whoever reads the submission
downloads them (:func:`submission_media`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Collection
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liaison.exchange.idempotency import idempotent_form
from liaison.pwa.offline import (
    FORMS_CACHE,
    OFFLINE_COPY_HEADER,
    OFFLINE_COPY_ITSELF,
    offer_offline_copy,
)
from liaison.registry.signed_in import current_user
from liaison.surveys import access, services
from liaison.surveys.answer_media import (
    AnswerMediaRejected,
    MediaPart,
    answer_media_response,
    megabytes,
)
from liaison.surveys.attachments import media_response
from liaison.surveys.instances import MAX_INSTANCE_BYTES, InstanceRejected, parse_instance
from liaison.surveys.models import SurveyRound
from liaison.surveys.xlsform import Form, FormError
from liaison.surveys.xpath import ExpressionError


def _engine_csp() -> dict[str, Collection[str] | str]:
    """The site's policy, and the engine's WebAssembly: it parses XPath with tree-sitter compiled
    to WebAssembly, whose compiling needs 'wasm-unsafe-eval' (WebAssembly only: eval() and
    new Function() stay forbidden). On the engine's page alone; every other page keeps the
    site's policy."""
    policy: dict[str, Collection[str] | str] = {
        directive: values
        for directive, values in settings.SECURE_CSP.items()
        if isinstance(values, str | list | tuple | set)
    }
    scripts = policy.get("script-src", [CSP.SELF])
    sources = [scripts] if isinstance(scripts, str) else list(scripts)
    policy["script-src"] = [*sources, CSP.WASM_UNSAFE_EVAL]
    return policy


ENGINE_CSP = _engine_csp()

_INSTANCE_FIELD = "xml_submission_file"
# The field the page's own form posts the instance in (urlencoded, as the outbox sends forms).
PAGE_FIELD = "instance"
_XML_TYPES = ("text/xml", "application/xml")
# the multipart boundaries, part headers and CSRF field around the instance and the files
_FORM_OVERHEAD_BYTES = 1024 * 1024
_LANGUAGE_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\)\s*$")


def _folded(name: str) -> str:
    # Django spells some names decomposed ("Tiếng Việt" as e + combining marks), forms composed
    return unicodedata.normalize("NFC", name).strip().casefold()


def form_language(form: Form, language: str | None) -> str:
    """The form's language (its itext name, e.g. ``Vietnamese (vi)``) for the reader's language
    code, or ``""`` for the form's default. A name matches by the code in its brackets, by being
    the code itself, or by being the language's English or own name."""
    if not language:
        return ""
    codes = {language.lower().replace("_", "-"), language.lower().split("-")[0]}
    names: set[str] = set()
    for code in sorted(codes):
        try:
            info = get_language_info(code)
        except KeyError:
            continue
        names |= {_folded(str(info["name"])), _folded(str(info["name_local"]))}
    for candidate in form.languages:
        bracketed = _LANGUAGE_CODE.search(candidate.name)
        bare = _folded(_LANGUAGE_CODE.sub("", candidate.name))
        if bracketed and bracketed[1].lower().replace("_", "-") in codes:
            return candidate.name
        if candidate.name.lower().replace("_", "-") in codes or bare in names:
            return candidate.name
    return ""


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _refusal(request: HttpRequest, survey_round: SurveyRound) -> tuple[str, int] | None:
    """Why the user may not answer the round now (message and status), or ``None``."""
    user = current_user(request)
    if not access.may_answer(user, survey_round):
        if not survey_round.accepts_answers:
            return _("This round does not take answers now."), 409
        return _("The questionnaire is filled by the officers of the BLOs the round covers."), 403
    mine = access.own_submission(user, survey_round)
    if mine is not None and not mine.is_draft:
        return _("You have already submitted this questionnaire."), 409
    return None


def _form(survey_round: SurveyRound) -> Form | HttpResponse:
    try:
        return survey_round.form()
    except FormError as error:
        return _text(str(error), 404)


def _page(
    request: HttpRequest,
    survey_round: SurveyRound,
    form: Form,
    *,
    problem: str = "",
    instance: str = "",
    status: int = 200,
) -> HttpResponse:
    """The engine's page; after a refusal, with the reason and the instance that was sent. It
    alone carries the engine's policy (:data:`ENGINE_CSP`): a redirect, a refusal in plain text
    or a 405 of the same views keep the site's."""
    response = render(
        request,
        "surveys/fill_odk.html",
        {
            "survey_round": survey_round,
            "title": form.title,
            "form_language": form_language(form, translation.get_language()),
            "problem": problem,
            "instance": instance,
            "page_field": PAGE_FIELD,
            "media_names": json.dumps(
                list(survey_round.questionnaire.media_files.values_list("name", flat=True))
            ),
            "forms_cache": FORMS_CACHE,
            "offline_copy_header": OFFLINE_COPY_HEADER,
            "offline_copy_itself": OFFLINE_COPY_ITSELF,
        },
        status=status,
    )
    response._csp_config = ENGINE_CSP  # type: ignore[attr-defined]  # what csp_override sets
    return response


@login_required
@require_GET
def fill_odk(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's questionnaire in ODK Web Forms, for an officer of one of its BLOs. The page
    holds nothing recorded (the engine's drafts stay on the tablet), so the worker may keep it
    as it is for offline (``?offline-copy=1`` renders the same page)."""
    user = current_user(request)
    survey_round = access.access_round(user, pk)
    refusal = _refusal(request, survey_round)
    if refusal is not None:
        message, _status = refusal
        mine = access.own_submission(user, survey_round)
        if mine is not None and not mine.is_draft:
            messages.info(request, message)
            return redirect(mine.get_absolute_url())
        raise PermissionDenied(message)
    form = _form(survey_round)
    if isinstance(form, HttpResponse):
        return form
    return offer_offline_copy(request, _page(request, survey_round, form))


@login_required
@require_GET
def round_xform(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's questionnaire as the XForm XML pyxform produced from its XLSForm. For an
    officer who may answer, the answer says the page may keep it for offline (it holds the
    questions, no answer)."""
    user = current_user(request)
    survey_round = access.access_round(user, pk)
    form = _form(survey_round)
    if isinstance(form, HttpResponse):
        return form
    response = HttpResponse(form.xform, content_type="text/xml; charset=utf-8")
    if access.may_answer(user, survey_round):
        response[OFFLINE_COPY_HEADER] = OFFLINE_COPY_ITSELF
    return response


@login_required
@require_GET
def round_media(request: HttpRequest, pk: int, name: str) -> FileResponse:
    """A media file of the round's questionnaire (``jr://file-csv/NAME`` …), which the engine
    fetches as it opens the form: for whoever may read the round, a 404 for anyone else."""
    user = current_user(request)
    survey_round = access.access_round(user, pk)
    response = media_response(survey_round.questionnaire, name)
    if access.may_answer(user, survey_round):
        # the page keeps it for offline beside the XForm (a file of the form, no answer)
        response[OFFLINE_COPY_HEADER] = OFFLINE_COPY_ITSELF
    return response


def _posted_instance(request: HttpRequest) -> bytes | None:
    if PAGE_FIELD in request.POST:
        return request.POST[PAGE_FIELD].encode()
    upload = request.FILES.get(_INSTANCE_FIELD)
    if upload is not None:
        if upload.size is not None and upload.size > MAX_INSTANCE_BYTES:
            return bytes(upload.read(MAX_INSTANCE_BYTES + 1))
        return bytes(upload.read())
    if request.content_type in _XML_TYPES:
        return bytes(request.body)
    return None


def _posted_media(request: HttpRequest) -> list[MediaPart]:
    """The file parts beside the instance: each named as the answer that names it (OpenRosa)."""
    return [
        MediaPart(
            name=name,
            content_type=upload.content_type or "",
            size=int(upload.size or 0),
            file=upload,
        )
        for name, uploads in request.FILES.lists()
        if name != _INSTANCE_FIELD
        for upload in uploads
    ]


def _within_submission_size(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A post larger than an instance and the files a submission may send is refused (413)
    from its Content-Length, before its body is read (the per-file and per-question limits
    are checked, with their names, once it is)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        files = int(settings.SURVEY_MEDIA_MAX_TOTAL_BYTES)
        if length > files + MAX_INSTANCE_BYTES + _FORM_OVERHEAD_BYTES:
            return _text(
                _("The submission is larger than %(size)s MB, the most one submission may send.")
                % {"size": megabytes(files + MAX_INSTANCE_BYTES)},
                413,
            )
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_POST
@_within_submission_size
@idempotent_form("surveys.submit_odk")
def submit_odk(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an instance of the round's form. From the page: to the round, or the page again
    with the reason and the instance. From another client: 201, or a 4xx saying why."""
    user = current_user(request)
    survey_round = access.access_round(user, pk)
    from_page = PAGE_FIELD in request.POST
    form = _form(survey_round)
    if isinstance(form, HttpResponse):
        return form
    data = _posted_instance(request)

    def refuse(message: str, status: int) -> HttpResponse:
        if not from_page:
            return _text(message, status)
        instance = (data or b"").decode("utf-8", errors="replace")
        return _page(request, survey_round, form, problem=message, instance=instance, status=status)

    refusal = _refusal(request, survey_round)
    if refusal is not None:
        return refuse(*refusal)
    if data is None:
        return refuse(
            _("Send the instance XML as the %(field)s file of a multipart form.")
            % {"field": _INSTANCE_FIELD},
            400,
        )
    try:
        instance = parse_instance(data, form)
    except InstanceRejected as rejected:
        return refuse(str(rejected), 400)
    try:
        services.do_save_submission(
            survey_round,
            instance.answers,
            submit=True,
            language=translation.get_language() or "en",
            actor=user,
            request=request,
            instance=instance,
            media=_posted_media(request),
            every_file=from_page,
        )
    except AnswerMediaRejected as rejected:
        return refuse(str(rejected), rejected.status)
    except ExpressionError as error:
        # The server's expression engine cannot evaluate every function ODK's can (pulldata(),
        # …): the instance is refused with the reason rather than recorded unchecked.
        return refuse(
            _("The server cannot check these answers: %(reason)s") % {"reason": error}, 422
        )
    except services.SubmissionRejected as rejected:
        lines = [_("The answers were not recorded:")]
        lines += [f"- {error.message}" for error in rejected.errors]
        return refuse("\n".join(lines), 400)
    except PermissionDenied as denied:
        return refuse(str(denied) or _("Your answers cannot be taken now."), 409)
    messages.success(request, _("Thank you: your answers are submitted."))
    if from_page:
        # a redirect: the outbox's Idempotency-Key remembers it and answers 201 with Location
        return redirect(survey_round.get_absolute_url())
    response = _text(_("Thank you: your answers are submitted."), 201)
    response["Location"] = reverse("surveys:round", args=[survey_round.pk])
    return response


@login_required
@require_GET
def submission_media(request: HttpRequest, pk: int, name: str) -> FileResponse:
    """A file answering a question of a submission, as a download: for whoever may read the
    submission, a 404 for anyone else (and for a name it does not hold)."""
    user = current_user(request)
    submission = access.access_submission(user, pk)
    media = submission.media.filter(name=name).first()
    if media is None:
        raise Http404(_("The submission has no file %(name)s.") % {"name": name})
    return answer_media_response(media)
