"""Pages of alerts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from liaison.exchange import services
from liaison.exchange.forms import (
    AlertForm,
    AlertResponseForm,
)
from liaison.exchange.idempotency import idempotent_form
from liaison.exchange.models import (
    Alert,
    AlertDelivery,
)
from liaison.exchange.selectors import (
    alerts_for,
)
from liaison.exchange.views.shared import _attach_errors, _user
from liaison.registry.permissions import Action, access, can, visible


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "exchange/alert_list.html",
        {
            "alerts": alerts_for(user)[:100],
            "may_send": user.blo is not None and can(user, Action.CREATE, Alert(from_blo=user.blo)),
        },
    )


@login_required
def alert_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.blo is None or not can(user, Action.CREATE, Alert(from_blo=user.blo)):
        raise PermissionDenied
    form = AlertForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            alert = services.do_send_alert(
                form.save(commit=False),
                to_blos=form.cleaned_data["to_blos"],
                actor=user,
                request=request,
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Alert sent."))
            return redirect(alert.get_absolute_url())
    return render(request, "exchange/alert_form.html", {"form": form})


@login_required
@idempotent_form("exchange.alert")
def alert_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    alert = access(user, Alert, reference=reference)
    deliveries = (
        visible(user, AlertDelivery).filter(alert=alert).select_related("to_blo", "acknowledged_by")
    )
    mine = next((d for d in deliveries if d.to_blo_id == user.blo_id), None)
    form = AlertResponseForm(request.POST or None)
    if request.method == "POST" and mine is not None:
        if request.POST.get("action") == "acknowledge":
            services.do_acknowledge_alert(mine, actor=user, request=request)
            messages.success(request, _("Acknowledged."))
            return redirect(alert.get_absolute_url())
        if form.is_valid():
            try:
                services.do_respond_to_alert(
                    mine,
                    form.cleaned_data["response"],
                    language=form.cleaned_data["language"],
                    actor=user,
                    request=request,
                )
            except ValidationError as exc:
                _attach_errors(form, exc)
            else:
                messages.success(request, _("Response sent."))
                return redirect(alert.get_absolute_url())
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "exchange/alert_detail.html",
        {
            "alert": alert,
            "deliveries": deliveries,
            "mine": mine,
            "form": form,
            "incident_visible": alert.incident is not None
            and can(user, Action.VIEW, alert.incident),
        },
    )
