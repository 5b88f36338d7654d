"""An officer's training record, and moving an officer (transfer, departure)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.registry import permissions
from liaison.registry.models import BLO, Agency
from liaison.registry.signed_in import current_user
from liaison.training import policies, selectors, services
from liaison.training.forms import (
    DepartureForm,
    TransferForm,
)
from liaison.training.models import (
    Certificate,
    Completion,
    DepartureReason,
    Enrolment,
    Posting,
    Qualification,
)


@login_required
def me(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return redirect("training:officer", pk=user.pk)


@login_required
def officer_record(request: HttpRequest, pk: int) -> HttpResponse:
    """An officer's training: badges, certificates, completions, progress, postings."""
    user = current_user(request)
    officer = selectors.access_officer(user, pk)
    if not policies.may_follow_training_of(user, officer):
        raise PermissionDenied(_("You do not follow this officer's training."))
    today = timezone.localdate()
    completions = (
        permissions.visible(user, Completion)
        .filter(officer=officer)
        .select_related("module", "blo", "session")
    )
    certificates = (
        permissions.visible(user, Certificate)
        .filter(officer=officer)
        .select_related("qualification", "renewed_by")
    )
    progress = [
        services.qualification_progress(officer, q, today=today)
        for q in permissions.visible(user, Qualification).filter(active=True)
    ]
    return render(
        request,
        "training/officer.html",
        {
            "officer": officer,
            "badges": selectors.badges_for(officer, today=today),
            "completions": [(c, c.is_current(today)) for c in completions],
            "certificates": [(c, c.state(today), c.renewal_due(today)) for c in certificates],
            "progress": progress,
            "enrolments": permissions.visible(user, Enrolment)
            .filter(officer=officer)
            .exclude(status="completed")
            .select_related("module"),
            "postings": permissions.visible(user, Posting)
            .filter(officer=officer)
            .select_related("blo"),
            "may_move": user.pk != officer.pk and policies.keeps_posting_of(user, officer),
            "own": user.pk == officer.pk,
        },
    )


@login_required
def officer_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a transfer to another BLO or a departure from the network (rotation)."""
    user = current_user(request)
    officer = selectors.access_officer(user, pk)
    if user.pk == officer.pk or not policies.keeps_posting_of(user, officer):
        raise PermissionDenied
    blos = (
        permissions.visible(user, BLO)
        .filter(Q(country_id=officer.country_id), active=True)
        .exclude(Q(pk=officer.blo_id))
    )
    agencies = permissions.visible(user, Agency).filter(Q(country_id=officer.country_id))
    action = request.POST.get("action", "")
    transfer_form = TransferForm(
        request.POST if action == "transfer" else None, blos=blos, agencies=agencies
    )
    departure_form = DepartureForm(request.POST if action == "departure" else None)
    try:
        if action == "transfer" and transfer_form.is_valid():
            services.do_transfer_officer(
                officer,
                transfer_form.cleaned_data["to_blo"],
                on=transfer_form.cleaned_data["on"],
                agency=transfer_form.cleaned_data["agency"],
                actor=user,
                request=request,
            )
            messages.success(request, _("Transfer recorded."))
            return redirect("training:officer", pk=officer.pk)
        if action == "departure" and departure_form.is_valid():
            services.do_record_departure(
                officer,
                on=departure_form.cleaned_data["on"],
                reason=DepartureReason(departure_form.cleaned_data["reason"]),
                actor=user,
                request=request,
            )
            messages.success(request, _("Departure recorded; the account is deactivated."))
            return redirect("training:coverage_blo", code=officer.blo.code if officer.blo else "")
    except ValidationError as exc:
        (transfer_form if action == "transfer" else departure_form).add_error(None, exc)
    except PermissionDenied:
        messages.error(request, _("You may not move this officer there."))
    return render(
        request,
        "training/officer_move.html",
        {"officer": officer, "transfer_form": transfer_form, "departure_form": departure_form},
    )
