"""Requests to share beyond the label, and sharing groups."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from liaison.exchange import services
from liaison.exchange.forms import (
    SharingGroupForm,
)
from liaison.exchange.models import (
    ShareRequest,
    ShareStatus,
    SharingGroup,
)
from liaison.exchange.views.shared import _attach_errors, _user
from liaison.registry.permissions import Action, access, visible


@login_required
def share_requests(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    pending = visible(user, ShareRequest).select_related("incident", "intelligence", "requested_by")
    if request.method == "POST":
        chosen = request.POST.get("request", "")
        if not chosen.isdecimal() or len(chosen) > 18:
            raise Http404(_("No such request to share."))
        share_request = access(user, ShareRequest, Action.ANSWER, pk=int(chosen))
        try:
            services.do_decide_share_request(
                share_request,
                approve=request.POST.get("decision") == "approve",
                actor=user,
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Answered."))
        return redirect("exchange:share_requests")
    return render(
        request,
        "exchange/share_requests.html",
        {
            "pending": pending.filter(status=ShareStatus.PENDING),
            "answered": pending.exclude(status=ShareStatus.PENDING)[:20],
        },
    )


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = SharingGroupForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_create_sharing_group(
                form.cleaned_data["name"],
                form.cleaned_data["members"],
                description=form.cleaned_data["description"],
                actor=user,
                request=request,
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("Sharing group created."))
            return redirect("exchange:groups")
    groups = visible(user, SharingGroup).prefetch_related("members")
    return render(request, "exchange/group_list.html", {"groups": groups, "form": form})
