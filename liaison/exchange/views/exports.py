"""Exports of incidents (CSV, XLSX) and of migrant smuggling reports (VRS-MSRC)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from liaison.exchange import services
from liaison.exchange.access import (
    access_incident_export,
)
from liaison.exchange.forms import (
    SearchForm,
)
from liaison.exchange.models import (
    ExportKind,
    ExportStatus,
    Incident,
)
from liaison.exchange.selectors import (
    filters_as_json,
    search_incidents,
    still_readable,
)
from liaison.exchange.tasks import incident_export_progress
from liaison.exchange.views.incidents import _filters
from liaison.exchange.views.shared import _user
from liaison.reference.models import CrimeArea
from liaison.registry.permissions import visible

EXPORT_KINDS = {"csv": ExportKind.INCIDENTS_CSV, "xlsx": ExportKind.INCIDENTS_XLSX}


@login_required
def incident_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Export the incidents a search finds: the page says what will be exported and asks; the
    file is written by the background worker (see :func:`export_detail`)."""
    user = _user(request)
    kind = EXPORT_KINDS.get(fmt)
    if kind is None:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    form = SearchForm(data or None, user=user)
    filters = _filters(form)
    if request.method == "POST":
        export = services.do_request_incident_export(kind, filters_as_json(filters), actor=user)
        return redirect("exchange:export_detail", pk=export.pk)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "exchange/export_ask.html",
        {
            "kind": kind,
            "fields": [(name, value) for name, values in query.lists() for value in values],
            "total": search_incidents(user, filters).count(),
            "action": reverse("exchange:incident_export", args=[fmt]),
        },
    )


@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An export being written (its progress, polled as JSON by the page), then its download."""
    user = _user(request)
    export = access_incident_export(user, pk)
    progress = incident_export_progress(export)
    if request.GET.get("format") == "json":
        response = JsonResponse(progress)
        response["Cache-Control"] = "no-store"
        return response
    again = (
        reverse("exchange:vrs_export")
        if export.kind == ExportKind.VRS_MSRC
        else reverse("exchange:incident_export", args=[ExportKind(export.kind).file_format])
    )
    return render(
        request,
        "exchange/export_detail.html",
        {
            "export": export,
            "progress": progress,
            "again": again,
            "fields": sorted(export.filters.items()) if isinstance(export.filters, dict) else [],
        },
    )


@login_required
@require_GET
def export_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The written file, if every incident in it is still readable by the person who asked."""
    user = _user(request)
    export = access_incident_export(user, pk)
    if export.status != ExportStatus.DONE:
        return redirect("exchange:export_detail", pk=export.pk)
    if not still_readable(user, list(export.references)):
        services.do_discard_export(export, actor=user)
        messages.error(
            request,
            _(
                "Some incidents in this file are no longer shared with you: the file was "
                "thrown away. Export again to get what you may read now."
            ),
        )
        return redirect("exchange:export_detail", pk=export.pk)
    fmt = ExportKind(export.kind).file_format
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "text/csv; charset=utf-8"
    )
    response = HttpResponse(bytes(export.content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def vrs_export(request: HttpRequest) -> HttpResponse:
    """The migrant smuggling incidents in the VRS-MSRC layout, written by the background worker."""
    user = _user(request)
    if request.method == "POST":
        export = services.do_request_incident_export(ExportKind.VRS_MSRC, {}, actor=user)
        return redirect("exchange:export_detail", pk=export.pk)
    incidents = visible(user, Incident).filter(crime_area=CrimeArea.MIGRANT_SMUGGLING)
    return render(
        request,
        "exchange/export_ask.html",
        {
            "kind": ExportKind.VRS_MSRC,
            "fields": [],
            "total": incidents.count(),
            "action": reverse("exchange:vrs_export"),
        },
    )
