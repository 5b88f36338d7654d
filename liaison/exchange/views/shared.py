"""What the exchange's pages share: the signed-in user, a service's refusal on its form, and the
editing, sharing and PDF of a shareable record (an incident or an intelligence report)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from liaison.exchange import services
from liaison.exchange.forms import (
    ShareForm,
)
from liaison.exchange.models import (
    TLP,
    Distribution,
    Incident,
    IntelligenceReport,
)
from liaison.exchange.pdf import render_record_pdf
from liaison.registry.models import User
from liaison.registry.permissions import Action, can


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


def _attach_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


def _edit_versioned[R: Incident | IntelligenceReport](
    request: HttpRequest,
    record_obj: R,
    make_form: Callable[[Any, R], Any],
    update: Callable[..., object],
    conflict_message: str,
) -> tuple[Any, services.StaleEdit | None, HttpResponse | None]:
    """The edit flow incidents and intelligence reports share: save the changed fields through
    ``update`` (a service refusing stale versions); on a conflict keep what the user typed, with
    the saved version's number, so a second save applies it knowingly. Returns the form, the
    conflict if any, and the redirect after a successful save."""
    form = make_form(request.POST or None, record_obj)
    conflict: services.StaleEdit | None = None
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
        try:
            update(
                record_obj.reference,
                changes,
                expected_version=form.cleaned_data["version"],
                actor=_user(request),
                request=request,
            )
        except services.StaleEdit as stale:
            conflict = stale
            messages.error(request, conflict_message)
            data = request.POST.copy()
            data["version"] = str(stale.current.version)
            form = make_form(data, cast(R, type(record_obj).objects.get(pk=record_obj.pk)))
            form.is_valid()
        except ValidationError as exc:
            _attach_errors(form, exc)
        except PermissionDenied as exc:
            # The user may edit the record, not make this change (e.g. loosen its label).
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return form, None, redirect(record_obj.get_absolute_url())
    return form, conflict, None


def _share(request: HttpRequest, record_obj: Incident | IntelligenceReport) -> HttpResponse:
    user = _user(request)
    if not can(user, Action.SHARE, record_obj):
        raise PermissionDenied
    form = ShareForm(
        request.POST or None,
        user=user,
        initial={"distribution": record_obj.distribution, "group": record_obj.group},
    )
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.do_share_record(
                record_obj,
                Distribution(form.cleaned_data["distribution"]),
                group=form.cleaned_data.get("group"),
                reason=form.cleaned_data.get("reason") or "",
                actor=user,
                request=request,
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        except PermissionDenied as exc:
            # The user may share the record, not this widely: say why on the form.
            form.add_error("distribution", str(exc))
        else:
            if outcome.applied:
                messages.success(
                    request,
                    _("Now shared with: %(d)s")
                    % {"d": Distribution(form.cleaned_data["distribution"]).label},
                )
            else:
                messages.info(
                    request, _("Sharing beyond the label waits for the originator's approval.")
                )
            return redirect(record_obj.get_absolute_url())
    return render(request, "exchange/share.html", {"form": form, "record": record_obj})


TLP_COLOURS = {
    "RED": "#FF2B2B",
    "AMBER+STRICT": "#FFC000",
    "AMBER": "#FFC000",
    "GREEN": "#33FF00",
    "CLEAR": "#FFFFFF",
}


def _tlp_context(value: str) -> dict[str, str]:
    """What the print templates need to put the TLP label in every page's header and footer."""
    tlp = TLP(value)
    return {
        "tlp_text": str(tlp.label),
        "tlp_colour": TLP_COLOURS[tlp.value],
        "tlp_meaning": tlp.meaning,
    }


def _pdf_response(html: str, name: str) -> HttpResponse:
    response = HttpResponse(render_record_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response
