"""Pages of the exchange: parse, authorise, call a service, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liaison.exchange import services
from liaison.exchange.access import (
    access_attachment,
    access_incident_export,
    access_seizure_import,
    attachments_of_read_record,
    may_attach,
    may_record_for,
    may_remove_attachment,
    may_view_coordination,
)
from liaison.exchange.attachments import do_add_attachment, do_remove_attachment
from liaison.exchange.coordination import coordination
from liaison.exchange.correlation import related_records, seen_before
from liaison.exchange.forms import (
    VOCABULARY_MODELS,
    AlertForm,
    AlertResponseForm,
    AnswerForm,
    AttachmentForm,
    IncidentEditForm,
    IncidentForm,
    InformationRequestForm,
    IntelligenceEditForm,
    IntelligenceForm,
    NominalEntryFormSet,
    PersonCountFormSet,
    SearchForm,
    SeizureImportForm,
    SeizureItemFormSet,
    ShareForm,
    SharingGroupForm,
    SmugglingReportForm,
    commodity_vocabulary,
    country_vocabulary,
    reference_version,
    refuse_other_areas,
)
from liaison.exchange.idempotency import idempotent_form
from liaison.exchange.identifiers import MAX_LENGTH as IDENTIFIER_MAX_LENGTH
from liaison.exchange.identifiers import IdentifierKind, identity_data_in, normalise
from liaison.exchange.imports import COLUMNS as SEIZURE_COLUMNS
from liaison.exchange.imports import read_seizure_file
from liaison.exchange.models import (
    TLP,
    Alert,
    AlertDelivery,
    Attachment,
    Distribution,
    ExportKind,
    ExportStatus,
    Incident,
    InformationRequest,
    IntelligenceReport,
    IntelligenceSource,
    MigrantSmugglingReport,
    NominalEntry,
    PersonCount,
    ShareRequest,
    ShareStatus,
    SharingGroup,
)
from liaison.exchange.pdf import render_record_pdf
from liaison.exchange.sections import IncidentSection, areas_attribute
from liaison.exchange.selectors import (
    IncidentFilters,
    alerts_for,
    dashboard,
    dashboard_map,
    filters_as_json,
    may_record_somewhere,
    search_incidents,
    still_readable,
)
from liaison.exchange.tasks import incident_export_progress
from liaison.exchange.tasks import seizure_import_progress as seizure_import_progress_of
from liaison.reference.models import CrimeArea
from liaison.registry.models import BLO, User
from liaison.registry.permissions import Action, access, can, visible
from liaison.tabular import TableError


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


# --- dashboard ----------------------------------------------------------------------------------


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    data = dashboard(user)
    areas = list(CrimeArea)
    months = sorted({row["month"] for row in data.monthly})
    table = {(row["month"], row["crime_area"]): row["count"] for row in data.monthly}
    monthly_rows = [
        {"month": month, "counts": [table.get((month, area.value), 0) for area in areas]}
        for month in months
    ]
    area_totals = [sum(table.get((m, area.value), 0) for m in months) for area in areas]
    return render(
        request,
        "exchange/dashboard.html",
        {
            "data": data,
            "areas": areas,
            "area_totals": zip(areas, area_totals, strict=True),
            "monthly_rows": monthly_rows,
            "map": dashboard_map(user, data),
            "may_record": may_record_somewhere(user),
            "may_coordinate": may_view_coordination(user),
        },
    )


@login_required
@require_GET
def coordination_view(request: HttpRequest) -> HttpResponse:
    """Per post of the coordinator's country: alert and request timings, overdue lists, incidents
    per crime area (see liaison.exchange.coordination)."""
    user = _user(request)
    if not may_view_coordination(user):
        raise PermissionDenied(_("This page is for national coordinators."))
    return render(request, "exchange/coordination.html", {"data": coordination(user)})


# --- incidents ----------------------------------------------------------------------------------


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


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = SearchForm(request.GET or None, user=user)
    filters = _filters(form)
    incidents = search_incidents(user, filters).select_related("blo", "country")
    page = Paginator(incidents.order_by("-occurred_at"), 25).get_page(request.GET.get("page"))
    services.record_bulk_read(
        user,
        "incident list",
        filters={**asdict(filters), "page": page.number},
        count=page.paginator.count,
        references=[incident.reference for incident in page],
        request=request,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "exchange/incident_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "total": page.paginator.count},
    )


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


def picker_urls() -> dict[str, str]:
    """The addresses of the pickers' vocabularies for the reader's language (and the reference
    data's version), so that a browser keeps each until either changes."""
    lang = translation.get_language() or settings.LANGUAGE_CODE
    commodities_query = urlencode({"lang": lang, "v": reference_version()})
    return {
        "commodities": f"{reverse('commodities')}?{commodities_query}",
        "countries": f"{reverse('countries')}?{urlencode({'lang': lang})}",
    }


PICKER_QUERY_MAX = 60


def _picker_request(request: HttpRequest, extra: set[str]) -> tuple[str, str, list[str]]:
    """Who may read a picker's vocabulary (whoever may record an incident) and its parameters:
    the language, the words searched, and what is wrong with the request."""
    user = _user(request)
    if not may_record_somewhere(user):
        raise PermissionDenied
    params = request.GET
    lang = params.get("lang") or translation.get_language() or settings.LANGUAGE_CODE
    query = params.get("q", "")
    problems = [
        f"unknown parameter: {name}" for name in sorted(set(params) - {"lang", "q", *extra})
    ]
    if lang not in dict(settings.LANGUAGES):
        problems.append("lang: not a language of the site")
    if len(query) > PICKER_QUERY_MAX:
        problems.append(f"q: at most {PICKER_QUERY_MAX} characters")
    return lang, query, problems


def _picker_response(lang: str, entries: list[Any]) -> JsonResponse:
    response = JsonResponse({"language": lang, "entries": entries})
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Language"] = lang
    return response


@login_required
@require_GET
def commodities(request: HttpRequest) -> HttpResponse:
    """The commodity vocabulary for the incident form's picker, in the reader's language (or
    ``lang``), all of it or filtered (``kind``, ``q``, accent-blind)."""
    lang, query, problems = _picker_request(request, {"kind", "v"})
    kind = request.GET.get("kind", "")
    if kind and kind not in VOCABULARY_MODELS:
        problems.append("kind: not a vocabulary")
    if not request.GET.get("v", "0").isdigit():
        problems.append("v: a number")
    if problems:
        return JsonResponse({"errors": problems}, status=400)
    return _picker_response(lang, commodity_vocabulary(lang, kind=kind, query=query))


@login_required
@require_GET
def countries(request: HttpRequest) -> HttpResponse:
    """The countries for the incident form's country picker, named in the reader's language
    (or ``lang``), the network's first; all of them or those matching ``q`` (accent-blind)."""
    lang, query, problems = _picker_request(request, set())
    if problems:
        return JsonResponse({"errors": problems}, status=400)
    return _picker_response(lang, country_vocabulary(lang, query=query))


def _attach_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


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
            "items": incident.items.select_related(
                "drug_type",
                "precursor",
                "ozone_substance",
                "waste_category",
                "species",
                "specimen_part",
                "timber_species",
            ),
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


SEEN_PER_MINUTE = 120
"""'Seen before' lookups one person may make in a minute (a form asks once a field rests)."""


def _within_lookup_rate(user: User) -> bool:
    key = f"exchange:identifier-seen:{user.pk}:{int(timezone.now().timestamp() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) <= SEEN_PER_MINUTE
    except ValueError:  # evicted between add and incr
        return True


@login_required
@require_GET
def identifier_seen(request: HttpRequest) -> HttpResponse:
    """'Seen before': how many records the reader may read name this plate, number, company or
    container (where the reader may read it), and the latest of them. For those who record; each
    answer that names a record is in the audit log (its kind and the references, not the value)."""
    user = _user(request)
    if not may_record_somewhere(user):
        raise PermissionDenied
    params = request.GET
    problems = [f"unknown parameter: {name}" for name in sorted(set(params) - {"kind", "value"})]
    kind, raw = params.get("kind", ""), params.get("value", "")
    value = ""
    if kind not in IdentifierKind.values:
        problems.append(f"kind: one of {', '.join(IdentifierKind.values)}")
    if not raw.strip():
        problems.append("value: required")
    elif len(raw) > IDENTIFIER_MAX_LENGTH:
        problems.append(f"value: at most {IDENTIFIER_MAX_LENGTH} characters")
    elif kind in IdentifierKind.values:
        region = user.country.code if user.country is not None else ""
        value = normalise(kind, raw, region=region)
        if not value:
            problems.append(f"value: not a {kind} in a form Liaison can compare")
    if problems:
        return JsonResponse({"errors": problems}, status=400)
    if not _within_lookup_rate(user):
        response = JsonResponse({"errors": ["too many lookups: wait a minute"]}, status=429)
        response["Retry-After"] = "60"
        return response
    answer = seen_before(user, IdentifierKind(kind), value)
    if answer["seen"]:
        services.record_bulk_read(
            user,
            "identifier seen before",
            filters={"kind": kind},
            count=answer["seen"],
            references=[r["reference"] for r in answer["records"]],
            request=request,
        )
    response = JsonResponse(answer)
    response["Cache-Control"] = "private, no-store"
    return response


SUMMARY_CHECKED_MAX = 20_000


@login_required
@require_POST
def summary_check(request: HttpRequest) -> HttpResponse:
    """What in a summary being typed looks like identity data (see
    :func:`liaison.exchange.identifiers.identity_data_in`): the form warns before it is saved.
    Nothing is stored."""
    user = _user(request)
    if not may_record_somewhere(user):
        raise PermissionDenied
    text = request.POST.get("summary", "")
    if len(text) > SUMMARY_CHECKED_MAX:
        return JsonResponse(
            {"errors": [f"summary: at most {SUMMARY_CHECKED_MAX} characters"]}, status=400
        )
    region = user.country.code if user.country is not None else "VN"
    hints = identity_data_in(text, region=region)
    return JsonResponse(
        {
            "hints": [
                {"kind": h.kind.value, "label": str(h.kind.label), "text": h.text} for h in hints
            ],
            "warning": _summary_warning(hints) if hints else "",
        }
    )


def _summary_warning(hints: list[Any]) -> str:
    kinds = ", ".join(dict.fromkeys(str(h.kind.label) for h in hints))
    return _(
        "The summary seems to hold identity data (%(kinds)s). The summary is read by everyone "
        "the record is shared with; names, plates and numbers belong in the nominal part, which "
        "is shared more narrowly."
    ) % {"kinds": kinds}


def _warn_identity_data(request: HttpRequest, summary: str, user: User) -> None:
    hints = identity_data_in(summary, region=user.country.code if user.country else "VN")
    if hints:
        messages.warning(request, _summary_warning(hints))


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


@login_required
def seizure_import(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not any(may_record_for(user, b) for b in visible(user, BLO)):
        raise PermissionDenied
    form = SeizureImportForm(request.POST or None, request.FILES or None, user=user)
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read()
        try:
            # a file the bounded reader refuses (size, shape, format) is refused at once
            read_seizure_file(raw, upload.name)
        except TableError as exc:
            problems = exc.problems
            messages.error(
                request,
                _("Nothing was imported: the file has %(count)s problem(s).")
                % {"count": len(problems)},
            )
        else:
            job = services.do_start_seizure_import(
                raw,
                upload.name,
                form.cleaned_data["blo"],
                actor=user,
                language=translation.get_language() or "",
            )
            return redirect("exchange:seizure_import_progress", pk=job.pk)
    return render(
        request,
        "exchange/seizure_import.html",
        {"form": form, "problems": problems, "columns": SEIZURE_COLUMNS},
    )


@login_required
def seizure_import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    job = access_seizure_import(user, pk)
    progress = seizure_import_progress_of(job)
    if request.GET.get("format") == "json":
        response = JsonResponse(progress)
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request,
        "exchange/seizure_import_progress.html",
        {"job": job, "progress": progress, "columns": SEIZURE_COLUMNS},
    )


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


# --- intelligence -------------------------------------------------------------------------------


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


# --- alerts -------------------------------------------------------------------------------------


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


# --- requests for information -------------------------------------------------------------------


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


# --- attachments --------------------------------------------------------------------------------

AttachedRecord = Incident | IntelligenceReport | InformationRequest


def _attachments_context(
    user: User,
    record_obj: AttachedRecord,
    *,
    readable_entries: QuerySet[NominalEntry] | None = None,
) -> dict[str, Any]:
    """The attachments the reader may read (of a record ``access`` gave them), with whether they
    may remove each, and the upload form for those who may attach."""
    attachments = list(
        attachments_of_read_record(user, record_obj, readable_entries=readable_entries)
        .select_related("uploaded_by", "nominal_entry", "incident", "intelligence")
        .select_related("information_request")
    )
    for attachment in attachments:
        attachment.removable = may_remove_attachment(user, attachment)  # type: ignore[attr-defined]
    allowed = may_attach(user, record_obj)
    form = None
    if allowed:
        form = AttachmentForm(user=user, record=record_obj, readable_entries=readable_entries)
    return {
        "attachments": attachments,
        "attachment_form": form,
        "attachment_upload_url": reverse(
            {
                Incident: "exchange:incident_attachments",
                IntelligenceReport: "exchange:intelligence_attachments",
                InformationRequest: "exchange:request_attachments",
            }[type(record_obj)],
            args=[record_obj.reference],
        ),
        "attachment_max_mb": f"{settings.ATTACHMENT_MAX_BYTES / 1_048_576:g}",
    }


def _add_attachment(request: HttpRequest, record_obj: AttachedRecord) -> HttpResponse:
    user = _user(request)
    if not may_attach(user, record_obj):
        raise PermissionDenied(_("You may not add attachments to this record."))
    form = AttachmentForm(request.POST, request.FILES, user=user, record=record_obj)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            attachment = do_add_attachment(
                record_obj,
                upload,
                name=upload.name or "",
                size=upload.size,
                of_person=form.cleaned_data["of_person"],
                nominal_entry=form.cleaned_data.get("nominal_entry"),
                keep_location=form.cleaned_data["keep_location"],
                actor=user,
                request=request,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("“%(name)s” attached.") % {"name": attachment.original_name}
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(f"{record_obj.get_absolute_url()}#attachments")


@login_required
@require_POST
def incident_attachments(request: HttpRequest, reference: str) -> HttpResponse:
    return _add_attachment(request, access(_user(request), Incident, reference=reference))


@login_required
@require_POST
def intelligence_attachments(request: HttpRequest, reference: str) -> HttpResponse:
    return _add_attachment(request, access(_user(request), IntelligenceReport, reference=reference))


@login_required
@require_POST
def request_attachments(request: HttpRequest, reference: str) -> HttpResponse:
    return _add_attachment(request, access(_user(request), InformationRequest, reference=reference))


def _serve(attachment: Attachment, *, thumbnail: bool) -> FileResponse:
    stored = attachment.thumbnail if thumbnail else attachment.file
    if not stored.name:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = "image/jpeg" if thumbnail else attachment.content_type
    inline = content_type.startswith("image/")
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=not inline,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    # Opened on its own, the file runs nothing and embeds nothing; the browser's own viewer of
    # a photo styles its page inline (a photo document holds no markup of ours).
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
@require_GET
def attachment_file(request: HttpRequest, pk: int) -> FileResponse:
    user = _user(request)
    attachment = access_attachment(user, pk)
    services.record_export(
        user, f"{attachment.record.reference}: {attachment.original_name}", 1, request
    )
    return _serve(attachment, thumbnail=False)


@login_required
@require_GET
def attachment_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    return _serve(access_attachment(_user(request), pk), thumbnail=True)


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    attachment = access_attachment(user, pk)
    back = f"{attachment.record.get_absolute_url()}#attachments"
    do_remove_attachment(attachment, actor=user, request=request)
    messages.success(request, _("“%(name)s” removed.") % {"name": attachment.original_name})
    return redirect(back)
