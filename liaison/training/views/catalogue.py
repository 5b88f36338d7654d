"""The course catalogue and self-paced modules: a module's page, enrolment, lesson pages, assets."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liaison.reference.models import CrimeArea
from liaison.registry import permissions
from liaison.registry.models import User
from liaison.registry.signed_in import current_user
from liaison.training import policies, selectors, services
from liaison.training.forms import (
    EnrolOfficersForm,
)
from liaison.training.lessons import content_language, lesson_html
from liaison.training.models import (
    Completion,
    DeliveryFormat,
    Enrolment,
    GridTopic,
    LessonAsset,
    Skill,
    TrainingSession,
)
from liaison.training.policies import manages_training


def _managed_officers(user: User) -> QuerySet[User]:
    """Officers this user may enrol (the rule of ``policies.enrollable_officer_filter``)."""
    return (
        User.objects.filter(is_active=True, role__in=selectors.STAFF_ROLES)
        .filter(policies.enrollable_officer_filter(user))
        .select_related("blo")
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The catalogue, filtered by crime area, skill, format and language; and one's own training."""
    user = current_user(request)
    modules = selectors.visible_modules(user)
    area = request.GET.get("area", "")
    skill = request.GET.get("skill", "")
    delivery = request.GET.get("format", "")
    if area in CrimeArea.values:
        modules = modules.filter(areas__area=area)
    if skill in Skill.values:
        modules = modules.filter(skill=skill)
    catalogue = list(modules.distinct())
    if delivery in DeliveryFormat.values:
        catalogue = [m for m in catalogue if delivery in m.formats]
    enrolments = {e.module_id: e for e in permissions.visible(user, Enrolment).filter(officer=user)}
    rows = [(module, enrolments.get(module.pk)) for module in catalogue]
    return render(
        request,
        "training/home.html",
        {
            "rows": rows,
            "areas": selectors.taught_areas(),
            "skills": Skill.choices,
            "delivery_formats": DeliveryFormat.choices,
            "area": area,
            "skill": skill,
            "delivery": delivery,
            "badges": selectors.badges_for(user),
            "manages": manages_training(user),
            "may_follow_blos": policies.follows_others(user),
        },
    )


@login_required
def module_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    module = selectors.access_module(user, code)
    lang = content_language(request, module)
    enrolment = permissions.visible(user, Enrolment).filter(officer=user, module=module).first()
    attempts = list(enrolment.attempts.order_by("-number")) if enrolment else []
    today = timezone.localdate()
    held = [
        c
        for c in permissions.visible(user, Completion).filter(officer=user, module=module)
        if c.is_current(today)
    ]
    sessions = (
        permissions.visible(user, TrainingSession)
        .filter(module=module, ends_on__gte=today)
        .select_related("host_blo")
        .order_by("starts_on")[:10]
    )
    return render(
        request,
        "training/module.html",
        {
            "module": module,
            "lang": lang,
            "awaits_review": module.awaits_review(lang),
            "title": module.text("title", lang),
            "summary": module.text("summary", lang),
            "objectives": (module.objectives or {}).get(lang)
            or (module.objectives or {}).get("en", []),
            "pages": [(p, p.text("title", lang)) for p in module.pages.all()],
            "has_quiz": module.questions.filter(active=True).exists(),
            "enrolment": enrolment,
            "attempts": attempts,
            "completion": held[0] if held else None,
            "quiz_locked": services.quiz_locked(enrolment, module),
            "lessons_left": services.lessons_left(enrolment, module)
            if module.lessons_required_before_quiz
            else [],
            "references": selectors.reference_items(module, lang),
            "sources": [s.get(lang) or s.get("en", "") for s in module.sources],
            "sessions": sessions,
            "may_assign": _managed_officers(user).exists(),
            "areas": [CrimeArea(a) for a in module.area_values],
            "topics": [GridTopic(t.topic) for t in module.topics.all()],
        },
    )


@login_required
@require_POST
def enrol(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    module = selectors.access_module(user, code)
    services.do_enrol_officer(user, module, actor=user, request=request)
    if module.pages.exists():
        return redirect("training:page", code=module.code, number=1)
    return redirect(module.get_absolute_url())


@login_required
def assign(request: HttpRequest, code: str) -> HttpResponse:
    """Enrol officers one looks after (a head their BLO's, a coordinator their country's)."""
    user = current_user(request)
    module = selectors.access_module(user, code)
    officers = _managed_officers(user)
    if not officers.exists():
        raise PermissionDenied
    form = EnrolOfficersForm(
        request.POST or None, officers=officers.order_by("blo__name_en", "last_name")
    )
    if request.method == "POST" and form.is_valid():
        for officer in form.cleaned_data["officers"]:
            services.do_enrol_officer(officer, module, actor=user, request=request)
        messages.success(
            request,
            _("%(count)s officers enrolled.") % {"count": len(form.cleaned_data["officers"])},
        )
        return redirect(module.get_absolute_url())
    return render(request, "training/assign.html", {"module": module, "form": form})


@login_required
def page(request: HttpRequest, code: str, number: int) -> HttpResponse:
    user = current_user(request)
    module = selectors.access_module(user, code)
    lesson = module.pages.filter(position=number).first()
    if lesson is None:
        raise Http404
    enrolment = Enrolment.objects.filter(officer=user, module=module).first()
    if enrolment is None and not manages_training(user):
        messages.info(request, _("Start the module to read its lessons."))
        return redirect(module.get_absolute_url())
    if enrolment is not None:
        services.do_record_lesson_progress(enrolment, lesson, actor=user, request=request)
    lang = content_language(request, module)
    count = module.pages.count()
    return render(
        request,
        "training/page.html",
        {
            "module": module,
            "lang": lang,
            "awaits_review": module.awaits_review(lang),
            "module_title": module.text("title", lang),
            "page": lesson,
            "title": lesson.text("title", lang),
            "body": lesson_html(lesson.text("body", lang), module),
            "number": number,
            "count": count,
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if number < count else None,
            "has_quiz": module.questions.filter(active=True).exists(),
            "other_languages": [code for code in module.languages if code != lang],
        },
    )


@login_required
def asset(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """An image of a lesson, served by the app. Signed-in readers only, like the lessons."""
    user = request.user
    module = selectors.access_module(user, code)
    image = LessonAsset.objects.filter(module=module, name=name).first()
    if image is None:
        raise Http404
    if request.headers.get("If-None-Match") == f'"{image.sha256}"':
        return HttpResponse(status=304)
    response = HttpResponse(bytes(image.data), content_type=image.content_type)
    response["ETag"] = f'"{image.sha256}"'
    response["Cache-Control"] = "private, max-age=86400"
    # An SVG opened on its own must not run anything, whatever slipped past the import check.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
