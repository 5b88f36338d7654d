"""Pages of incidents and seizures: the list, recording, the record's page, editing, sharing, PDF."""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from liaison.caching import for_reader
from liaison.exchange import services
from liaison.exchange.access import (
    may_record_for,
)
from liaison.exchange.correlation import related_records
from liaison.exchange.forms import (
    IncidentEditForm,
    IncidentForm,
    NominalEntryFormSet,
    PersonCountFormSet,
    SearchForm,
    SeizureItemFormSet,
    SmugglingReportForm,
    reference_version,
    refuse_other_areas,
)
from liaison.exchange.idempotency import idempotent_form
from liaison.exchange.models import (
    Alert,
    Incident,
    IntelligenceReport,
    MigrantSmugglingReport,
    NominalEntry,
    PersonCount,
)
from liaison.exchange.sections import IncidentSection, areas_attribute
from liaison.exchange.selectors import (
    IncidentFilters,
    ListedPage,
    listed_page,
    page_asked,
)
from liaison.exchange.shape import COMMODITY_FIELDS
from liaison.exchange.views.attachments import _attachments_context
from liaison.exchange.views.checks import _warn_identity_data
from liaison.exchange.views.pickers import picker_urls
from liaison.exchange.views.shared import (
    _attach_errors,
    _edit_versioned,
    _pdf_response,
    _share,
    _tlp_context,
    _user,
)
from liaison.reference.models import CrimeArea
from liaison.registry.models import BLO, User
from liaison.registry.permissions import Action, access, can, visible


def _filters(form: SearchForm) -> IncidentFilters:
    if not form.is_valid():
        return IncidentFilters()
    data = form.cleaned_data
    return IncidentFilters(
        area=data.get("area") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        blo=data.get("blo") or "",
        crossing_kind=data.get("crossing_kind") or "",
        commodity=data.get("commodity") or "",
        nationality=data.get("nationality") or "",
        text=data.get("text") or "",
    )


def _draw_rows(page: ListedPage) -> str:
    """The list's lines, drawn once and kept with the page in the reader's cache."""
    return render_to_string("exchange/_incident_rows.html", {"page": page})


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = SearchForm(request.GET or None, user=user)
    filters = _filters(form)
    page = listed_page(user, filters, page_asked(request.GET.get("page")), _draw_rows)
    services.record_bulk_read(
        user,
        "incident list",
        filters={**asdict(filters), "page": page.number},
        count=page.count,
        references=[row.reference for row in page],
        request=request,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "exchange/incident_list.html",
        {
            "fields": _drawn_fields(user, form, request),
            "page": page,
            "query": query.urlencode(),
            "total": page.count,
        },
    )


def _drawn_fields(user: User, form: SearchForm, request: HttpRequest) -> SafeString:
    """The search form's fields as drawn for this reader (their posts among the choices), in
    this language, with these values and their errors: once until a write, then from the
    reader's cache (a GET form: no token in it)."""
    asked = tuple(
        sorted(
            (name, tuple(request.GET.getlist(name))) for name in form.fields if name in request.GET
        )
    )
    return for_reader(
        user,
        "exchange:search-fields-drawn",
        lambda: mark_safe(render_to_string("exchange/_search_fields.html", {"form": form})),  # noqa: S308 - our template's output, escaped by it
        get_language(),
        reference_version(),
        asked,
    )


@login_required
@idempotent_form("exchange.incident_new")
def incident_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not any(may_record_for(user, b) for b in visible(user, BLO)):
        raise PermissionDenied
    post = request.POST if request.method == "POST" else None
    form = IncidentForm(post, user=user)
    items = SeizureItemFormSet(post, prefix="items")
    people = PersonCountFormSet(post, prefix="people", queryset=PersonCount.objects.none())
    nominal = NominalEntryFormSet(post, prefix="nominal", queryset=NominalEntry.objects.none())
    smuggling = SmugglingReportForm(post, prefix="vrs")
    if (
        post is not None
        and all(
            [
                form.is_valid(),
                items.is_valid(),
                people.is_valid(),
                nominal.is_valid(),
                smuggling.is_valid(),
            ]
        )
        and refuse_other_areas(form.cleaned_data["crime_area"], items, people, smuggling)
    ):
        incident = form.save(commit=False)
        parts = services.IncidentParts(
            items=[i for f in items.forms if (i := f.to_item()) is not None],
            people=[f.save(commit=False) for f in people.forms if f.has_changed()],
            nominal=[f.save(commit=False) for f in nominal.forms if f.has_changed()],
            agencies_involved=list(form.cleaned_data["agencies_involved"]),
        )
        if incident.crime_area == CrimeArea.MIGRANT_SMUGGLING and smuggling.has_changed():
            vrs = smuggling.cleaned_data
            parts.smuggling = MigrantSmugglingReport(
                fee_per_person=vrs.get("fee_per_person"),
                fee_currency=vrs.get("fee_currency") or "USD",
                means_of_transport=vrs.get("means_of_transport") or incident.conveyance,
                methods=list(vrs.get("methods") or []),
                document_fraud=vrs.get("document_fraud") or "none",
                smuggler_roles=[
                    r.strip() for r in (vrs.get("smuggler_roles") or "").split(",") if r.strip()
                ],
                deaths_or_injuries=vrs.get("deaths_or_injuries") or 0,
            )
        try:
            with transaction.atomic():
                incident = services.do_record_incident(
                    incident,
                    parts,
                    actor=user,
                    confirmed_beyond_label=form.cleaned_data["confirm_beyond_label"],
                    request=request,
                )
                if form.cleaned_data["alert_counterparts"]:
                    services.do_send_alert(
                        Alert(
                            subject=form.cleaned_data["alert_subject"],
                            body=incident.summary,
                            body_language=incident.summary_language,
                            tlp=incident.tlp,
                            incident=incident,
                        ),
                        actor=user,
                        request=request,
                    )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(
                request, _("Recorded as %(reference)s.") % {"reference": incident.reference}
            )
            _warn_identity_data(request, incident.summary, user)
            return redirect(incident.get_absolute_url())
    return render(
        request,
        "exchange/incident_form.html",
        {
            "form": form,
            "items": items,
            "people": people,
            "nominal": nominal,
            "smuggling": smuggling,
            "section_areas": {
                section.value: areas_attribute(section) for section in IncidentSection
            },
            "pickers": picker_urls(),
        },
    )


@login_required
def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    incident = access(user, Incident, reference=reference)
    nominal = visible(user, NominalEntry).filter(incident=incident)
    hidden_nominal = incident.nominal_entries.count() - nominal.count()
    if nominal.exists():
        services.record_view(user, incident, request)
    return render(
        request,
        "exchange/incident_detail.html",
        {
            "incident": incident,
            "items": incident.items.select_related(*COMMODITY_FIELDS, "specimen_part"),
            "people": incident.people.all(),
            "nominal": nominal,
            "hidden_nominal": hidden_nominal,
            "smuggling": MigrantSmugglingReport.objects.filter(incident=incident).first(),
            "intelligence": visible(user, IntelligenceReport).filter(incidents=incident),
            "related": related_records(user, incident),
            "may_change": can(user, Action.CHANGE, incident),
            "may_share": can(user, Action.SHARE, incident),
            **_attachments_context(user, incident, readable_entries=nominal),
        },
    )


@login_required
def incident_edit(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    incident = access(user, Incident, Action.CHANGE, reference=reference)
    form, conflict, done = _edit_versioned(
        request,
        incident,
        lambda data, instance: IncidentEditForm(data, instance=instance, user=user),
        services.do_update_incident,
        _(
            "Someone saved this record after you opened it. Nothing was overwritten: "
            "your changes are still in the form below; compare them with the saved "
            "version and save again."
        ),
    )
    if done is not None:
        return done
    current = Incident.objects.get(pk=incident.pk) if conflict else None
    return render(
        request,
        "exchange/incident_edit.html",
        {
            "form": form,
            "incident": incident,
            "conflict": conflict,
            "current": current,
            "pickers": picker_urls(),
        },
    )


@login_required
def incident_share(request: HttpRequest, reference: str) -> HttpResponse:
    return _share(request, access(_user(request), Incident, reference=reference))


@login_required
def incident_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    incident = access(user, Incident, reference=reference)
    services.record_export(user, f"{incident.reference}.pdf", 1, request)
    html = render_to_string(
        "exchange/incident_print.html",
        {
            "incident": incident,
            "items": incident.items.all(),
            "people": incident.people.all(),
            "nominal": visible(user, NominalEntry).filter(incident=incident),
            "printed_by": user,
            "printed_at": timezone.now(),
            **_tlp_context(incident.tlp),
        },
        request=request,
    )
    return _pdf_response(html, incident.reference)
