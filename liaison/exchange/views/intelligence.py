"""Pages of graded intelligence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.exchange import services
from liaison.exchange.access import (
    may_record_for,
)
from liaison.exchange.correlation import related_records
from liaison.exchange.forms import (
    IntelligenceEditForm,
    IntelligenceForm,
)
from liaison.exchange.idempotency import idempotent_form
from liaison.exchange.models import (
    Incident,
    IntelligenceReport,
    IntelligenceSource,
)
from liaison.exchange.views.attachments import _attachments_context
from liaison.exchange.views.shared import (
    _attach_errors,
    _edit_versioned,
    _pdf_response,
    _share,
    _tlp_context,
    _user,
)
from liaison.registry.models import BLO
from liaison.registry.permissions import Action, access, can, visible


@login_required
def intelligence_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    reports = visible(user, IntelligenceReport).select_related("blo").order_by("-created_at")
    page = Paginator(reports, 25).get_page(request.GET.get("page"))
    services.record_bulk_read(
        user,
        "intelligence list",
        filters={"page": page.number},
        count=page.paginator.count,
        references=[report.reference for report in page],
        request=request,
    )
    return render(
        request,
        "exchange/intelligence_list.html",
        {"page": page, "may_record": any(may_record_for(user, b) for b in visible(user, BLO))},
    )


@login_required
@idempotent_form("exchange.intelligence_new")
def intelligence_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not any(may_record_for(user, b) for b in visible(user, BLO)):
        raise PermissionDenied
    form = IntelligenceForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        report = form.save(commit=False)
        try:
            report = services.do_record_intelligence(
                report,
                source=form.cleaned_data.get("source") or "",
                incidents=form.cleaned_data.get("incidents") or [],
                actor=user,
                confirmed_beyond_label=form.cleaned_data["confirm_beyond_label"],
                request=request,
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(
                request, _("Recorded as %(reference)s.") % {"reference": report.reference}
            )
            return redirect(report.get_absolute_url())
    return render(request, "exchange/intelligence_form.html", {"form": form})


@login_required
def intelligence_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    report = access(user, IntelligenceReport, reference=reference)
    services.record_view(user, report, request)
    return render(
        request,
        "exchange/intelligence_detail.html",
        {
            "report": report,
            "source": visible(user, IntelligenceSource).filter(report=report).first(),
            "incidents": visible(user, Incident).filter(intelligence=report),
            "related": related_records(user, report),
            "may_change": can(user, Action.CHANGE, report),
            "may_share": can(user, Action.SHARE, report),
            **_attachments_context(user, report),
        },
    )


@login_required
def intelligence_edit(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    report = access(user, IntelligenceReport, Action.CHANGE, reference=reference)
    form, conflict, done = _edit_versioned(
        request,
        report,
        lambda data, instance: IntelligenceEditForm(data, instance=instance, user=user),
        services.do_update_intelligence,
        _(
            "Someone saved this report after you opened it. Nothing was overwritten: your text is still in the form below."
        ),
    )
    if done is not None:
        return done
    return render(
        request,
        "exchange/intelligence_edit.html",
        {"form": form, "report": report, "conflict": conflict},
    )


@login_required
def intelligence_share(request: HttpRequest, reference: str) -> HttpResponse:
    return _share(request, access(_user(request), IntelligenceReport, reference=reference))


@login_required
def intelligence_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    report = access(user, IntelligenceReport, reference=reference)
    services.record_export(user, f"{report.reference}.pdf", 1, request)
    html = render_to_string(
        "exchange/intelligence_print.html",
        {
            "report": report,
            "source": visible(user, IntelligenceSource).filter(report=report).first(),
            "printed_by": user,
            "printed_at": timezone.now(),
            **_tlp_context(report.tlp),
        },
        request=request,
    )
    return _pdf_response(html, report.reference)
