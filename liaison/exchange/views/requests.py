"""Pages of requests for information."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.exchange import services
from liaison.exchange.forms import (
    AnswerForm,
    InformationRequestForm,
)
from liaison.exchange.idempotency import idempotent_form
from liaison.exchange.models import (
    InformationRequest,
)
from liaison.exchange.views.attachments import _attachments_context
from liaison.exchange.views.shared import _attach_errors, _user
from liaison.registry.permissions import Action, access, can, visible


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    requests = (
        visible(user, InformationRequest)
        .select_related("from_blo", "to_blo")
        .order_by("status", "deadline")
    )
    return render(
        request,
        "exchange/request_list.html",
        {"requests": requests, "may_ask": user.blo_id is not None, "today": timezone.localdate()},
    )


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.blo is None:
        raise PermissionDenied
    form = InformationRequestForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            info = services.do_ask_for_information(
                form.save(commit=False), actor=user, request=request
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Request sent."))
            return redirect(info.get_absolute_url())
    return render(request, "exchange/request_form.html", {"form": form})


@login_required
@idempotent_form("exchange.request")
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    info = access(user, InformationRequest, reference=reference)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in {"close", "withdraw"}:
                services.do_close_request(
                    info, withdraw=action == "withdraw", actor=user, request=request
                )
                messages.success(request, _("Saved."))
                return redirect(info.get_absolute_url())
            if form.is_valid():
                services.do_answer_request(
                    info,
                    form.cleaned_data["answer"],
                    language=form.cleaned_data["language"],
                    actor=user,
                    request=request,
                )
                messages.success(request, _("Answer sent."))
                return redirect(info.get_absolute_url())
        except ValidationError as exc:
            _attach_errors(form, exc)
    return render(
        request,
        "exchange/request_detail.html",
        {
            "info": info,
            "form": form,
            "may_answer": can(user, Action.ANSWER, info),
            "may_close": can(user, Action.CHANGE, info),
            **_attachments_context(user, info),
        },
    )
