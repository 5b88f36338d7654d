"""Training sessions and their attendance."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from liaison.registry import permissions
from liaison.registry.models import BLO, User
from liaison.registry.permissions import Action
from liaison.registry.signed_in import current_user
from liaison.registry.versioning import StaleEdit, conflict_form
from liaison.training import policies, selectors, services
from liaison.training.forms import (
    AttendanceForm,
    TrainingSessionForm,
)
from liaison.training.models import (
    Attendance,
    TrainingModule,
    TrainingSession,
)
from liaison.training.policies import runs_session


def _session_hosts(user: User) -> QuerySet[BLO]:
    return (
        BLO.objects.filter(active=True)
        .filter(policies.session_host_filter(user))
        .select_related("country")
    )


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    items = (
        permissions.visible(user, TrainingSession)
        .select_related("module", "host_blo")
        .annotate(present=Count("attendance", filter=Q(attendance__present=True)))
    )
    return render(
        request,
        "training/sessions.html",
        {"sessions": items, "may_create": _session_hosts(user).exists()},
    )


@login_required
def session_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = current_user(request)
    hosts = _session_hosts(user)
    if pk is None:
        if not hosts.exists():
            raise PermissionDenied
        session = TrainingSession()
    else:
        session = permissions.access(user, TrainingSession, Action.CHANGE, pk=pk)
    modules = permissions.visible(user, TrainingModule).filter(active=True)
    participants = BLO.objects.filter(active=True).filter(policies.session_blo_filter(user))
    form = TrainingSessionForm(
        request.POST or None,
        instance=session,
        modules=modules,
        hosts=hosts,
        blos=participants.select_related("country"),
    )
    conflict: StaleEdit | None = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.do_save_training_session(
                form.save(commit=False),
                blos=form.cleaned_data["blos"],
                expected_version=form.cleaned_data["version"],
                actor=user,
                request=request,
            )
        except StaleEdit as stale:
            conflict = stale
            stored = TrainingSession.objects.get(pk=session.pk)
            form = conflict_form(
                request,
                stale,
                lambda data: TrainingSessionForm(
                    data,
                    instance=stored,
                    modules=modules,
                    hosts=hosts,
                    blos=participants.select_related("country"),
                ),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied:
            form.add_error("host_blo", _("You may not run a session at this BLO."))
        else:
            messages.success(request, _("Saved."))
            return redirect(saved.get_absolute_url())
    return render(
        request,
        "training/session_form.html",
        {"form": form, "session": session, "conflict": conflict},
    )


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    session = permissions.access(user, TrainingSession, pk=pk)
    may_record = runs_session(user, session)
    attendance = list(
        permissions.visible(user, Attendance)
        .filter(session=session)
        .select_related("officer__blo", "completion")
    )
    form = None
    if may_record:
        officers = list(
            permissions.visible(user, User)
            .filter(blo__in=session.blos.all(), is_active=True, role__in=selectors.STAFF_ROLES)
            .select_related("blo")
            .order_by("blo__name_en", "last_name")
        )
        current = {a.officer_id: (a.present, a.score) for a in attendance}
        form = AttendanceForm(request.POST or None, officers=officers, current=current)
        if request.method == "POST" and form.is_valid():
            try:
                for officer in officers:
                    present = bool(form.cleaned_data[f"present_{officer.pk}"])
                    score = form.cleaned_data[f"score_{officer.pk}"]
                    if officer.pk in current or present:
                        services.do_record_attendance(
                            session,
                            officer,
                            present=present,
                            score=score,
                            actor=user,
                            request=request,
                        )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Attendance saved."))
                return redirect(session.get_absolute_url())
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "training/session.html",
        {
            "session": session,
            "blos": session.blos.select_related("country"),
            "attendance": attendance,
            "form": form,
            "may_record": may_record,
        },
    )
