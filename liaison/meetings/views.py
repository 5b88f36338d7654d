"""Pages of the meeting log: parse, authorise, call a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

# The idempotency store is the exchange's (kept with its API); form posts share it.
from liaison.exchange.idempotency import idempotent_form
from liaison.meetings import selectors, services
from liaison.meetings.forms import (
    ActionForm,
    ActionFormSet,
    ActionStatusForm,
    FollowUpForm,
    MeetingForm,
    ParticipantFormSet,
)
from liaison.meetings.models import (
    ActionStatus,
    Formality,
    Meeting,
    MeetingAction,
    MeetingLevel,
)
from liaison.meetings.policies import may_record_meeting_at, recordable_blo_filter
from liaison.registry import permissions
from liaison.registry.models import BLO, Agency, Country, User
from liaison.registry.permissions import Action, can
from liaison.registry.signed_in import current_user
from liaison.registry.versioning import StaleEdit, conflict_form


def _recordable_blos(user: User) -> QuerySet[BLO]:
    """BLOs in whose log the user records meetings."""
    return (
        BLO.objects.filter(active=True)
        .filter(recordable_blo_filter(user))
        .select_related("country")
    )


def _parties(blo: BLO) -> tuple[Any, Any]:
    """Countries and agencies that may sit at a meeting of this BLO: its own and its counterparts'."""
    country_ids = {blo.country_id, *blo.counterparts.values_list("country_id", flat=True)}
    return (
        Country.objects.filter(pk__in=country_ids),
        Agency.objects.filter(country_id__in=country_ids).select_related("country"),
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    meetings = selectors.visible_meetings(user).annotate(
        open_actions=Count("actions", filter=Q(actions__status=ActionStatus.OPEN))
    )
    level = request.GET.get("level", "")
    blo_code = request.GET.get("blo", "")
    if level in MeetingLevel.values:
        meetings = meetings.filter(level=level)
    if blo_code:
        meetings = meetings.filter(Q(blo__code=blo_code) | Q(counterpart_blo__code=blo_code))
    today = timezone.localdate()
    open_actions = permissions.visible(user, MeetingAction).filter(status=ActionStatus.OPEN)
    return render(
        request,
        "meetings/home.html",
        {
            "meetings": meetings[:200],
            "levels": MeetingLevel.choices,
            "level": level,
            "blo_code": blo_code,
            "recordable": _recordable_blos(user),
            "open_count": open_actions.count(),
            "overdue_count": open_actions.filter(due_on__lt=today).count(),
        },
    )


@login_required
@idempotent_form("meetings.meeting_new")
def meeting_new(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    blo = permissions.access_blo(user, code)
    if not may_record_meeting_at(user, blo):
        raise PermissionDenied(_("You do not keep this BLO's meeting log."))
    countries, agencies = _parties(blo)
    owners = (
        permissions.visible(user, User)
        .filter(is_active=True)
        .filter(Q(blo=blo) | Q(blo__in=blo.counterparts.all()))
        .select_related("blo")
    )
    open_actions = list(selectors.open_actions_for(blo))
    data = request.POST or None
    form = MeetingForm(data, blo=blo)
    participants = ParticipantFormSet(
        data, prefix="participants", form_kwargs={"countries": countries, "agencies": agencies}
    )
    actions = ActionFormSet(
        data, prefix="actions", form_kwargs={"owners": owners, "agencies": agencies}
    )
    follow_up = FollowUpForm(data, actions=open_actions)
    if request.method == "POST" and all(
        f.is_valid() for f in (form, participants, actions, follow_up)
    ):
        people = [
            services.ParticipantInput(
                country=f.cleaned_data["country"],
                agency=f.cleaned_data["agency"],
                organisation=f.cleaned_data["organisation"],
                people=f.cleaned_data["people"],
                names=f.cleaned_data["names"],
            )
            for f in participants.forms
            if f.has_changed() and f.cleaned_data
        ]
        agreed = [
            services.ActionInput(
                description=f.cleaned_data["description"],
                owner=f.cleaned_data["owner"],
                owner_name=f.cleaned_data["owner_name"],
                owner_agency=f.cleaned_data["owner_agency"],
                due_on=f.cleaned_data["due_on"],
            )
            for f in actions.forms
            if f.has_changed() and f.cleaned_data
        ]
        reviews = [
            services.ReviewInput(
                action=action,
                status=ActionStatus(follow_up.cleaned_data[f"status_{action.pk}"]),
                note=follow_up.cleaned_data[f"note_{action.pk}"],
            )
            for action in open_actions
            if follow_up.cleaned_data.get(f"status_{action.pk}")
        ]
        try:
            meeting = services.do_record_meeting(
                form.save(commit=False),
                participants=people,
                actions=agreed,
                reviews=reviews,
                actor=user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect(meeting.get_absolute_url())
    return render(
        request,
        "meetings/meeting_form.html",
        {
            "blo": blo,
            "form": form,
            "participants": participants,
            "actions": actions,
            "follow_up": follow_up,
        },
    )


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    meeting = selectors.access_meeting(user, pk)
    today = timezone.localdate()
    actions = list(
        meeting.actions.select_related("owner", "owner_agency").prefetch_related("reviews__meeting")
    )
    _countries, agencies = _parties(meeting.blo)
    may_change = can(user, Action.CHANGE, meeting)
    add_action = None
    if may_change:
        owners = (
            permissions.visible(user, User)
            .filter(is_active=True)
            .filter(Q(blo=meeting.blo) | Q(blo__in=meeting.blo.counterparts.all()))
        )
        add_action = ActionForm(prefix="new", owners=owners, agencies=agencies)
    return render(
        request,
        "meetings/meeting.html",
        {
            "meeting": meeting,
            "participants": meeting.participants.select_related("country", "agency"),
            "actions": [(a, a.is_overdue(today), can(user, Action.CHANGE, a)) for a in actions],
            "reviews": meeting.reviews.select_related("action__meeting"),
            "may_change": may_change,
            "may_delete": can(user, Action.DELETE, meeting),
            "statuses": ActionStatus.choices,
            "add_action": add_action,
        },
    )


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    meeting = permissions.access(user, Meeting, Action.CHANGE, pk=pk)
    form = MeetingForm(request.POST or None, instance=meeting, blo=meeting.blo)
    conflict: StaleEdit | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.do_change_meeting(
                form.save(commit=False),
                expected_version=form.cleaned_data["version"],
                actor=user,
                request=request,
            )
        except StaleEdit as stale:
            conflict = stale
            saved = Meeting.objects.get(pk=pk)
            form = conflict_form(
                request, stale, lambda data: MeetingForm(data, instance=saved, blo=saved.blo)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(meeting.get_absolute_url())
    return render(
        request,
        "meetings/meeting_edit.html",
        {"form": form, "meeting": meeting, "conflict": conflict},
    )


@login_required
@require_POST
def meeting_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    meeting = permissions.access(user, Meeting, Action.DELETE, pk=pk)
    services.do_delete_meeting(meeting, actor=user, request=request)
    messages.success(request, _("Meeting deleted."))
    return redirect("meetings:home")


@login_required
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    meeting = permissions.access(user, Meeting, Action.CHANGE, pk=pk)
    _countries, agencies = _parties(meeting.blo)
    owners = permissions.visible(user, User).filter(is_active=True)
    form = ActionForm(request.POST, prefix="new", owners=owners, agencies=agencies)
    if form.is_valid():
        services.do_add_meeting_action(
            meeting,
            services.ActionInput(
                description=form.cleaned_data["description"],
                owner=form.cleaned_data["owner"],
                owner_name=form.cleaned_data["owner_name"],
                owner_agency=form.cleaned_data["owner_agency"],
                due_on=form.cleaned_data["due_on"],
            ),
            actor=user,
            request=request,
        )
        messages.success(request, _("Action added."))
    else:
        messages.error(request, _("The action was not added: name it and its owner."))
    return redirect(meeting.get_absolute_url())


@login_required
@require_POST
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    action = permissions.access(user, MeetingAction, Action.CHANGE, pk=pk)
    form = ActionStatusForm(request.POST, action=action)
    if not form.is_valid():
        messages.error(request, _("The action was not updated: choose its status."))
        return redirect(action.meeting.get_absolute_url())
    try:
        services.do_update_meeting_action(
            action,
            status=ActionStatus(form.cleaned_data["status"]),
            expected_version=form.cleaned_data["version"],
            actor=user,
            request=request,
        )
    except StaleEdit as stale:
        change = next(iter(stale.changes.values()), {"from": "", "to": ""})
        messages.error(
            request,
            _(
                "Someone changed this action's status after you opened the page; nothing was "
                "overwritten. Its saved status is %(saved)s (you chose %(yours)s): choose again."
            )
            % {"saved": change["from"], "yours": change["to"]},
        )
    else:
        messages.success(request, _("Action updated."))
    return redirect(action.meeting.get_absolute_url())


@login_required
def actions(request: HttpRequest) -> HttpResponse:
    """Open actions of every meeting the user may see, overdue first."""
    user = current_user(request)
    today = timezone.localdate()
    items = (
        permissions.visible(user, MeetingAction)
        .filter(status=ActionStatus.OPEN)
        .select_related("meeting__blo", "owner")
        .order_by(F("due_on").asc(nulls_last=True), "meeting__held_on", "id")
    )
    return render(
        request,
        "meetings/actions.html",
        {"rows": [(a, a.is_overdue(today)) for a in items]},
    )


@login_required
def frequency(request: HttpRequest) -> HttpResponse:
    """Meeting frequency per BLO over the last 12 months, in the layout of the report's Table 1,
    and the BLOs without regular cross-border meetings."""
    user = current_user(request)
    blos = selectors.log_blos(user)
    countries = Country.objects.filter(pk__in=blos.values("country_id")).order_by("name_en")
    country_code = request.GET.get("country", "")
    if not country_code and user.country_id:
        country_code = user.country.code if user.country else ""
    if not country_code and countries:
        country_code = countries[0].code
    blos = blos.filter(country__code=country_code).order_by("cluster__code", "name_en")
    formality = request.GET.get("formality", Formality.OFFICIAL)
    if formality not in Formality.values:
        formality = Formality.OFFICIAL
    frequencies = selectors.meeting_frequency(list(blos), formality=formality)
    table = selectors.frequency_table(frequencies)
    return render(
        request,
        "meetings/frequency.html",
        {
            "table": table,
            "column_codes": [selectors.short_cluster_code(c.code) for c in table.columns],
            "frequencies": frequencies,
            "without_regular": [f for f in frequencies if not f.has_regular_cross_border_meetings],
            "countries": countries,
            "country_code": country_code,
            "formality": formality,
            "formalities": Formality.choices,
            "levels": list(MeetingLevel),
            "window_days": selectors.WINDOW_DAYS,
        },
    )
