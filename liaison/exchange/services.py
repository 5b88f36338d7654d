"""Every write of the exchange. Each checks permission, writes, and records its audit entry in
the same transaction; side effects wait for the commit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.exchange.access import (
    allows_distribution,
    contained_in,
    is_originating_unit,
    is_stricter,
    may_create_sharing_group,
    may_record_for,
    reaches_blo,
    widens,
    widest_allowed_within,
)
from liaison.exchange.identifiers import IdentifierKind, containers_in, nominal_identifier
from liaison.exchange.models import (
    EXPORT_KEPT,
    TLP,
    Alert,
    AlertDelivery,
    Distribution,
    ExportKind,
    ExportStatus,
    Incident,
    IncidentExport,
    InformationRequest,
    IntelligenceReport,
    IntelligenceSource,
    MigrantSmugglingReport,
    NominalEntry,
    PersonCount,
    RecordIdentifier,
    ReferenceCounter,
    RequestStatus,
    SeizureImport,
    SeizureItem,
    ShareRequest,
    ShareStatus,
    SharingGroup,
)
from liaison.exchange.sections import IncidentSection, applies
from liaison.exchange.shape import Use, names_for
from liaison.notifications.models import NoticeKind
from liaison.notifications.services import announce, announce_once, announced_ids
from liaison.registry.models import BLO, User
from liaison.registry.permissions import Action, can, require
from liaison.registry.services import changed_fields, snapshot

Record = Incident | IntelligenceReport


class StaleEdit(Exception):
    """Someone saved the record after this user opened it: their change is shown, nothing lost."""

    def __init__(self, current: Incident | IntelligenceReport, changes: dict[str, Any]) -> None:
        super().__init__("the record was changed by someone else")
        self.current = current
        self.changes = changes


def next_reference(prefix: str, blo: BLO) -> str:
    """``VN-MOCBAI-INC-2026-00042``: per BLO, kind and year, never reused."""
    year = timezone.localdate().year
    key = f"{blo.code}-{prefix}-{year}"
    with transaction.atomic():
        counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(key=key)
        counter.value += 1
        counter.save(update_fields=["value"])
    return f"{key}-{counter.value:05d}"


# --- the identifiers index ----------------------------------------------------------------------


def _incident_identifiers(
    incident: Incident, nominal: Iterable[NominalEntry]
) -> list[RecordIdentifier]:
    """The index rows of an incident: its nominal entries' numbers (each row tied to its entry,
    read only by the entry's readers) and the container numbers of its summary."""
    region = incident.country.code
    rows: list[RecordIdentifier] = []
    for entry in nominal:
        found = nominal_identifier(entry.kind, entry.name, entry.identifier, region=region)
        if found is not None:
            kind, value = found
            rows.append(
                RecordIdentifier(kind=kind, value=value, incident=incident, nominal_entry=entry)
            )
    for number in sorted(containers_in(incident.summary)):
        rows.append(
            RecordIdentifier(kind=IdentifierKind.CONTAINER, value=number, incident=incident)
        )
    return rows


def _index_incident(incident: Incident) -> None:
    """Rewrite an incident's index rows, in the caller's transaction."""
    RecordIdentifier.objects.filter(incident=incident).delete()
    RecordIdentifier.objects.bulk_create(
        _incident_identifiers(incident, incident.nominal_entries.all())
    )


def _index_intelligence(report: IntelligenceReport) -> None:
    """Rewrite a report's index rows (the container numbers its text names), in the caller's
    transaction. Its linked nominal entries are indexed with their incidents."""
    RecordIdentifier.objects.filter(intelligence=report).delete()
    text = "\n".join([report.title, report.body, report.route])
    RecordIdentifier.objects.bulk_create(
        RecordIdentifier(kind=IdentifierKind.CONTAINER, value=number, intelligence=report)
        for number in sorted(containers_in(text))
    )


# --- incidents ----------------------------------------------------------------------------------


@dataclass
class IncidentParts:
    """What is recorded with an incident besides its own fields."""

    items: list[SeizureItem] = field(default_factory=list)
    people: list[PersonCount] = field(default_factory=list)
    nominal: list[NominalEntry] = field(default_factory=list)
    agencies_involved: list[Any] = field(default_factory=list)
    smuggling: MigrantSmugglingReport | None = None


def _clean_child(obj: models.Model, exclude: Sequence[str]) -> None:
    obj.full_clean(exclude=list(exclude))


def _audit_changes(
    model: type[models.Model], before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, Any]:
    """What changed, for the audit trail: the old and new value of coded fields (choices, links,
    numbers), only the fact of the change for free text and dates — an audit entry holds
    references, never a record's words."""
    changes: dict[str, Any] = {}
    for name, change in changed_fields(before, after).items():
        field_obj = model._meta.get_field(name)
        coded = bool(getattr(field_obj, "choices", None)) or field_obj.is_relation
        changes[name] = change if coded else "changed"
    return changes


def _check_nominal_within(incident: Incident, nominal: Iterable[NominalEntry]) -> None:
    for entry in nominal:
        entry.full_clean(exclude=["incident"])
        if not contained_in(
            entry.distribution,
            incident.distribution,
            inner_group=incident.group_id,
            outer_group=incident.group_id,
        ):
            raise ValidationError(
                {
                    "distribution": _(
                        "Nominal data cannot be shared wider than its record (%(record)s)."
                    )
                    % {"record": Distribution(incident.distribution).label}
                }
            )


def _check_label(record: Record, *, actor: User, confirmed_beyond_label: bool) -> None:
    """Recording a record wider than its TLP label allows needs the originator's confirmation."""
    if allows_distribution(record.tlp, record.distribution):
        return
    if record.recorded_by_id == actor.pk and confirmed_beyond_label:
        return
    raise ValidationError(
        {
            "distribution": _(
                "%(label)s does not allow sharing with “%(distribution)s”. Choose a narrower "
                "distribution, or confirm as the originator that you approve sharing beyond the "
                "label."
            )
            % {
                "label": TLP(record.tlp).label,
                "distribution": Distribution(record.distribution).label,
            }
        }
    )


def _stamp_origin(record_obj: Record, *, actor: User, confirmed_beyond_label: bool) -> None:
    """Set who recorded a new record and for which agency and country, then check that the actor
    may record it, that it is valid, and that its distribution fits its TLP label."""
    if actor.agency is None:
        raise PermissionDenied(
            _("Only an officer of an agency records incidents and intelligence.")
        )
    record_obj.recorded_by = actor
    record_obj.agency = actor.agency
    record_obj.country = record_obj.blo.country
    require(actor, Action.CREATE, record_obj)
    if record_obj.group is not None and not can(actor, Action.VIEW, record_obj.group):
        raise ValidationError({"group": _("Choose a sharing group you belong to.")})
    record_obj.reference = "pending"  # the real one is drawn only once everything is valid
    record_obj.full_clean(exclude=["reference"])
    _check_label(record_obj, actor=actor, confirmed_beyond_label=confirmed_beyond_label)


def _check_sections(incident: Incident, parts: IncidentParts) -> None:
    """A smuggling report or head counts belong to incidents of their crime areas only
    (:mod:`liaison.exchange.sections`): refused with any other, whatever a client sent."""
    if parts.smuggling is not None and not applies(IncidentSection.SMUGGLING, incident.crime_area):
        raise ValidationError(
            {"crime_area": _("A migrant smuggling report belongs to a migrant smuggling incident.")}
        )
    if parts.people and not applies(IncidentSection.PEOPLE, incident.crime_area):
        raise ValidationError(
            {
                "crime_area": _(
                    "People are counted for trafficking, smuggling and general border "
                    "incidents only."
                )
            }
        )


def check_new_incident(
    incident: Incident, parts: IncidentParts, *, actor: User, confirmed_beyond_label: bool = False
) -> None:
    """Everything :func:`do_record_incident` requires before it writes, writing nothing: who may
    record it, its fields, its parts and its label (raises PermissionDenied or ValidationError)."""
    _stamp_origin(incident, actor=actor, confirmed_beyond_label=confirmed_beyond_label)
    _check_sections(incident, parts)
    for item in parts.items:
        _clean_child(item, ["incident"])
    for person in parts.people:
        _clean_child(person, ["incident"])
    _check_nominal_within(incident, parts.nominal)
    if parts.smuggling is not None:
        _clean_child(parts.smuggling, ["incident"])


@transaction.atomic
def do_record_incident(
    incident: Incident,
    parts: IncidentParts,
    *,
    actor: User,
    confirmed_beyond_label: bool = False,
    request: HttpRequest | None = None,
) -> Incident:
    check_new_incident(incident, parts, actor=actor, confirmed_beyond_label=confirmed_beyond_label)
    incident.reference = next_reference("INC", incident.blo)
    incident.save()
    incident.agencies_involved.set(parts.agencies_involved)
    for item in parts.items:
        item.incident = incident
        item.save()
    for person in parts.people:
        person.incident = incident
        person.save()
    for entry in parts.nominal:
        entry.incident = incident
        entry.save()
    if parts.smuggling is not None:
        parts.smuggling.incident = incident
        parts.smuggling.save()
    _index_incident(incident)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=incident,
        summary=incident.reference,
        changes={
            "distribution": incident.distribution,
            "tlp": incident.tlp,
            "items": len(parts.items),
            "nominal": len(parts.nominal),
            "beyond_label_approved": confirmed_beyond_label
            and not allows_distribution(incident.tlp, incident.distribution),
        },
        request=request,
    )
    return incident


IMPORT_CHUNK = 200
"""Incidents written by one short transaction of a bulk recording."""
SQLITE_PAUSE_SECONDS = 0.12
AUDIT_CHUNK = 500
"""Incidents named by one audit entry of a bulk recording."""


def _reserve_references(incidents: Sequence[Incident]) -> None:
    year = timezone.localdate().year
    by_blo: dict[int, list[Incident]] = {}
    for incident in incidents:
        by_blo.setdefault(incident.blo_id, []).append(incident)
    for blo_id, group in by_blo.items():
        key = f"{BLO.objects.values_list('code', flat=True).get(pk=blo_id)}-INC-{year}"
        counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(key=key)
        first = counter.value + 1
        counter.value += len(group)
        counter.save(update_fields=["value"])
        for offset, incident in enumerate(group):
            incident.reference = f"{key}-{first + offset:05d}"


def do_record_checked_incidents(
    staged: Sequence[tuple[Incident, IncidentParts]],
    *,
    actor: User,
    batch: SeizureImport,
    written: Callable[[int], None] | None = None,
) -> list[Incident]:
    """Record incidents that :func:`check_new_incident` has passed (seizure items only), all or
    none, without holding any lock for long.

    The rows are written :data:`IMPORT_CHUNK` at a time, each chunk in a short transaction of
    its own, marked as pending on ``batch`` and so invisible to every query of incidents; one
    last short transaction publishes them all (one UPDATE) and appends the audit entries, one per
    :data:`AUDIT_CHUNK` incidents with their references. Any failure on the way removes the
    pending rows again (:func:`discard_pending_import`), so nothing of the batch is ever seen.
    """
    for incident, parts in staged:
        if parts.people or parts.nominal or parts.smuggling or parts.agencies_involved:
            raise ValueError("only incidents with seizure items are recorded in bulk")
        if incident.recorded_by_id != actor.pk:
            raise ValueError("an incident must be checked for the actor who records it")
    incidents: list[Incident] = []
    try:
        for start in range(0, len(staged), IMPORT_CHUNK):
            chunk = staged[start : start + IMPORT_CHUNK]
            with transaction.atomic():
                _reserve_references([incident for incident, _parts in chunk])
                for incident, _parts in chunk:
                    incident.pending_import = batch
                created = Incident.with_pending.bulk_create([incident for incident, _p in chunk])
                items: list[SeizureItem] = []
                for incident, (_staged, parts) in zip(created, chunk, strict=True):
                    for item in parts.items:
                        item.incident = incident
                        items.append(item)
                SeizureItem.objects.bulk_create(items)
                RecordIdentifier.objects.bulk_create(
                    row for incident in created for row in _incident_identifiers(incident, [])
                )
            incidents.extend(created)
            if written is not None:
                written(len(incidents))
            if connection.vendor == "sqlite":
                # SQLite's lock is not queued: a writer waiting on it polls every 100 ms at most,
                # and would lose every race against the next chunk without this pause.
                time.sleep(SQLITE_PAUSE_SECONDS)
        with transaction.atomic():
            published = Incident.with_pending.filter(pending_import=batch).update(
                pending_import=None
            )
            if published != len(incidents):
                raise RuntimeError(f"{published} of {len(incidents)} imported incidents found")
            for start in range(0, len(incidents), AUDIT_CHUNK):
                chunk_incidents = incidents[start : start + AUDIT_CHUNK]
                record(
                    actor=actor,
                    action=AuditAction.CREATE,
                    object_type=Incident._meta.label,
                    object_id=str(chunk_incidents[0].pk),
                    summary=(
                        f"seizure import {batch.pk}: {chunk_incidents[0].reference} … "
                        f"{chunk_incidents[-1].reference} ({len(chunk_incidents)})"
                    ),
                    changes={
                        "import": batch.pk,
                        "references": [incident.reference for incident in chunk_incidents],
                        "items": sum(
                            len(parts.items)
                            for _i, parts in staged[start : start + len(chunk_incidents)]
                        ),
                    },
                )
    except BaseException:
        discard_pending_import(batch)
        raise
    for incident in incidents:
        incident.pending_import = None
    return incidents


def discard_pending_import(batch: SeizureImport) -> int:
    """Delete what an unfinished import has written (never visible), a chunk per transaction."""
    discarded = 0
    while True:
        with transaction.atomic():
            chunk = list(
                Incident.with_pending.filter(pending_import=batch).values_list("pk", flat=True)[
                    :IMPORT_CHUNK
                ]
            )
            if not chunk:
                return discarded
            SeizureItem.objects.filter(incident_id__in=chunk).delete()
            RecordIdentifier.objects.filter(incident_id__in=chunk).delete()
            Incident.with_pending.filter(pk__in=chunk).delete()
        discarded += len(chunk)


INCIDENT_FIELDS = names_for(Use.EDIT)
"""What an edit may change (:mod:`liaison.exchange.shape`)."""


@transaction.atomic
def do_update_incident(
    reference: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    actor: User,
    request: HttpRequest | None = None,
) -> Incident:
    """Change an incident's own fields; refused if someone saved it since ``expected_version``."""
    current = Incident.objects.select_for_update().get(reference=reference)
    require(actor, Action.CHANGE, current)
    before = snapshot(current, INCIDENT_FIELDS)
    if current.version != expected_version:
        theirs = changed_fields({k: before[k] for k in changes if k in before}, dict(changes))
        raise StaleEdit(current, theirs)
    for name, value in changes.items():
        if name not in INCIDENT_FIELDS:
            raise ValidationError(_("%(field)s cannot be changed here.") % {"field": name})
        setattr(current, name, value)
    current.full_clean()
    current.version += 1
    current.updated_at = timezone.now()
    current.save()
    _index_incident(current)
    after = snapshot(current, INCIDENT_FIELDS)
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=current,
        summary=current.reference,
        changes=_audit_changes(Incident, before, after),
        request=request,
    )
    return current


# --- sharing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareOutcome:
    applied: bool
    pending: ShareRequest | None = None


def _locked(record_obj: Record) -> Record:
    """The stored row of a record, locked until the end of the transaction."""
    return type(record_obj)._default_manager.select_for_update().get(pk=record_obj.pk)


def _refresh_caller_copy(record_obj: Record, current: Record) -> None:
    for name in ("distribution", "group_id", "tlp", "version", "updated_at"):
        setattr(record_obj, name, getattr(current, name))


@transaction.atomic
def do_share_record(
    record_obj: Record,
    distribution: Distribution,
    *,
    group: SharingGroup | None = None,
    reason: str = "",
    actor: User,
    request: HttpRequest | None = None,
) -> ShareOutcome:
    """Change who may read a record.

    Narrowing, and widening within what the TLP label allows, apply at once for whoever may
    share the record. A widening beyond the label is the originating unit's alone to ask for, and
    applies only with the originator's recorded approval: the originator's own change, with a
    reason, is that approval (kept as an approved request); a colleague's waits for it.
    """
    current = _locked(record_obj)
    require(actor, Action.SHARE, current)
    distribution = Distribution(distribution)
    if distribution == Distribution.GROUP:
        if group is None:
            raise ValidationError({"group": _("Choose the group to share with.")})
        if not can(actor, Action.VIEW, group):
            raise ValidationError({"group": _("Choose a sharing group you belong to.")})
    else:
        group = None
    new_group = group.pk if group is not None else None
    widening = widens(
        current.distribution, distribution, old_group=current.group_id, new_group=new_group
    )
    if not widening or allows_distribution(current.tlp, distribution):
        _apply_share(current, distribution, group, actor=actor, request=request)
        _refresh_caller_copy(record_obj, current)
        return ShareOutcome(applied=True)
    if not is_originating_unit(actor, current):
        raise PermissionDenied(
            _(
                "%(label)s does not allow sharing with “%(distribution)s”, and only the "
                "originating unit may ask to share beyond the label. Choose a narrower "
                "distribution, or ask the officer who recorded it."
            )
            % {"label": TLP(current.tlp).label, "distribution": distribution.label}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why it should be shared beyond its label.")})
    originator = current.recorded_by_id == actor.pk
    share_request = ShareRequest.objects.create(
        incident=current if isinstance(current, Incident) else None,
        intelligence=current if isinstance(current, IntelligenceReport) else None,
        distribution=distribution,
        group=group,
        reason=reason.strip(),
        requested_by=actor,
        status=ShareStatus.APPROVED if originator else ShareStatus.PENDING,
        decided_by=actor if originator else None,
        decided_at=timezone.now() if originator else None,
    )
    if not originator:
        announce(NoticeKind.SHARE_APPROVAL, share_request, user_ids=[current.recorded_by_id])
    if originator:
        _apply_share(
            current, distribution, group, actor=actor, request=request, approval=share_request
        )
        _refresh_caller_copy(record_obj, current)
        return ShareOutcome(applied=True)
    record(
        actor=actor,
        action=AuditAction.SHARE,
        obj=current,
        summary=current.reference,
        changes={
            "asked": {"distribution": distribution.value, "group": new_group},
            "request": share_request.pk,
        },
        request=request,
    )
    return ShareOutcome(applied=False, pending=share_request)


def _narrow_nominal(incident: Incident, old_group: int | None) -> None:
    """Nominal data never reaches anyone its record does not: entries the new audience no longer
    contains (or whose group changed under them) go back to the agency."""
    for entry in incident.nominal_entries.all():
        regrouped = entry.distribution == Distribution.GROUP and old_group != incident.group_id
        if regrouped or not contained_in(
            entry.distribution,
            incident.distribution,
            inner_group=incident.group_id,
            outer_group=incident.group_id,
        ):
            entry.distribution = Distribution.AGENCY
            entry.save(update_fields=["distribution"])


def _apply_share(
    record_obj: Record,
    distribution: Distribution,
    group: SharingGroup | None,
    *,
    actor: User,
    request: HttpRequest | None,
    approval: ShareRequest | None = None,
) -> None:
    before_distribution, before_group = record_obj.distribution, record_obj.group_id
    record_obj.distribution = distribution
    record_obj.group = group if distribution == Distribution.GROUP else None
    record_obj.version += 1
    record_obj.updated_at = timezone.now()
    record_obj.save(update_fields=["distribution", "group", "version", "updated_at"])
    if isinstance(record_obj, Incident):
        _narrow_nominal(record_obj, before_group)
    record(
        actor=actor,
        action=AuditAction.SHARE,
        obj=record_obj,
        summary=record_obj.reference,
        changes={
            "distribution": {"from": before_distribution, "to": distribution.value},
            "group": {"from": before_group, "to": record_obj.group_id},
            "beyond_label": not allows_distribution(record_obj.tlp, distribution),
            "approved_request": approval.pk if approval else None,
        },
        request=request,
    )


@transaction.atomic
def do_decide_share_request(
    share_request: ShareRequest,
    *,
    approve: bool,
    actor: User,
    request: HttpRequest | None = None,
) -> None:
    """The originator approves or refuses a request to share beyond the label."""
    share_request = ShareRequest.objects.select_for_update().get(pk=share_request.pk)
    require(actor, Action.ANSWER, share_request)
    if share_request.status != ShareStatus.PENDING:
        raise ValidationError(_("This request has already been answered."))
    share_request.status = ShareStatus.APPROVED if approve else ShareStatus.REFUSED
    share_request.decided_by = actor
    share_request.decided_at = timezone.now()
    share_request.save()
    current = _locked(share_request.record)
    if approve:
        _apply_share(
            current,
            Distribution(share_request.distribution),
            share_request.group,
            actor=actor,
            request=request,
            approval=share_request,
        )
    else:
        record(
            actor=actor,
            action=AuditAction.SHARE,
            obj=current,
            summary=current.reference,
            changes={"refused_request": share_request.pk},
            request=request,
        )


# --- the TLP label ------------------------------------------------------------------------------


def _apply_tlp(current: Record, tlp: TLP, *, actor: User) -> dict[str, Any]:
    """Set a locked record's label by the SOP; returns the audit changes (nothing if unchanged).

    A stricter label is a narrowing, open to whoever may change the record; the audience then
    narrows to the widest the new label allows within it. Loosening is the originating unit's.
    """
    old = TLP(current.tlp)
    if tlp == old:
        return {}
    if not is_stricter(tlp, old) and not is_originating_unit(actor, current):
        raise PermissionDenied(
            _(
                "Only the originating unit (the officer who recorded it, or an officer of the "
                "same agency at the same BLO) may loosen the TLP label from %(old)s to %(new)s."
            )
            % {"old": old.label, "new": tlp.label}
        )
    changes: dict[str, Any] = {"tlp": {"from": old.value, "to": tlp.value}}
    current.tlp = tlp
    if is_stricter(tlp, old):
        narrowed = widest_allowed_within(tlp, current.distribution)
        if narrowed != current.distribution:
            changes["distribution"] = {"from": current.distribution, "to": narrowed.value}
            old_group = current.group_id
            current.distribution = narrowed
            current.group = None
            if isinstance(current, Incident):
                current.save(update_fields=["distribution", "group"])
                _narrow_nominal(current, old_group)
    return changes


@transaction.atomic
def do_change_tlp(
    record_obj: Record,
    tlp: TLP | str,
    *,
    actor: User,
    request: HttpRequest | None = None,
) -> Record:
    """Change a record's TLP label (see ``_apply_tlp`` for who may, and what follows)."""
    current = _locked(record_obj)
    require(actor, Action.CHANGE, current)
    changes = _apply_tlp(current, TLP(tlp), actor=actor)
    if changes:
        current.version += 1
        current.updated_at = timezone.now()
        current.save()
        record(
            actor=actor,
            action=AuditAction.CHANGE,
            obj=current,
            summary=current.reference,
            changes=changes,
            request=request,
        )
    _refresh_caller_copy(record_obj, current)
    return current


# --- intelligence -------------------------------------------------------------------------------


@transaction.atomic
def do_record_intelligence(
    report: IntelligenceReport,
    *,
    source: str,
    incidents: Iterable[Incident] = (),
    nominal_entries: Iterable[NominalEntry] = (),
    actor: User,
    confirmed_beyond_label: bool = False,
    request: HttpRequest | None = None,
) -> IntelligenceReport:
    _stamp_origin(report, actor=actor, confirmed_beyond_label=confirmed_beyond_label)
    linked = list(incidents)
    for incident in linked:
        if not can(actor, Action.VIEW, incident):
            raise PermissionDenied
    people = list(nominal_entries)
    for entry in people:
        if not can(actor, Action.VIEW, entry):
            raise PermissionDenied
    report.reference = next_reference("INT", report.blo)
    report.save()
    report.incidents.set(linked)
    report.nominal_entries.set(people)
    if source.strip():
        IntelligenceSource.objects.create(report=report, description=source.strip())
    _index_intelligence(report)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=report,
        summary=report.reference,
        changes={
            "grading": report.grading,
            "tlp": report.tlp,
            "distribution": report.distribution,
        },
        request=request,
    )
    return report


INTELLIGENCE_FIELDS = [
    "title",
    "crime_area",
    "source_reliability",
    "information_credibility",
    "body",
    "body_language",
    "route",
    "tlp",
]


@transaction.atomic
def do_update_intelligence(
    reference: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    actor: User,
    request: HttpRequest | None = None,
) -> IntelligenceReport:
    current = IntelligenceReport.objects.select_for_update().get(reference=reference)
    require(actor, Action.CHANGE, current)
    before = snapshot(current, INTELLIGENCE_FIELDS)
    if current.version != expected_version:
        raise StaleEdit(
            current, changed_fields({k: before[k] for k in changes if k in before}, dict(changes))
        )
    for name, value in changes.items():
        if name not in INTELLIGENCE_FIELDS:
            raise ValidationError(_("%(field)s cannot be changed here.") % {"field": name})
        if name != "tlp":
            setattr(current, name, value)
    if "tlp" in changes and changes["tlp"] not in TLP.values:
        raise ValidationError({"tlp": _("Choose a TLP label from the list.")})
    label_changes = _apply_tlp(current, TLP(changes.get("tlp", current.tlp)), actor=actor)
    current.full_clean()
    current.version += 1
    current.updated_at = timezone.now()
    current.save()
    _index_intelligence(current)
    audit = _audit_changes(IntelligenceReport, before, snapshot(current, INTELLIGENCE_FIELDS))
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=current,
        summary=current.reference,
        changes={**audit, **label_changes},
        request=request,
    )
    return current


def record_view(actor: User, obj: Record, request: HttpRequest | None = None) -> None:
    """Reading intelligence or nominal data is itself recorded (by reference, never by title)."""
    record(actor=actor, action=AuditAction.VIEW, obj=obj, summary=obj.reference, request=request)


def record_bulk_read(
    actor: User,
    what: str,
    *,
    filters: Mapping[str, Any],
    count: int,
    references: Iterable[str],
    request: HttpRequest | None = None,
) -> None:
    """One entry per list, search or API page read: the filter, how many matched, and the
    references shown — never the records' words."""
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="exchange",
        summary=what,
        changes={
            "filters": {k: v for k, v in filters.items() if v not in (None, "")},
            "count": count,
            "references": list(references),
        },
        request=request,
    )


def record_export(actor: User, what: str, count: int, request: HttpRequest | None = None) -> None:
    record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="exchange",
        summary=what,
        changes={"rows": count},
        request=request,
    )


# --- alerts -------------------------------------------------------------------------------------


@transaction.atomic
def do_send_alert(
    alert: Alert,
    *,
    to_blos: Iterable[BLO] | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> Alert:
    """Send an alert from the actor's BLO to its counterparts (or the named ones among them)."""
    if actor.blo is None:
        raise PermissionDenied
    alert.from_blo = actor.blo
    alert.sent_by = actor
    require(actor, Action.CREATE, alert)
    counterparts = list(actor.blo.counterparts.all())
    recipients = counterparts if to_blos is None else list(to_blos)
    if not recipients:
        raise ValidationError(_("Your BLO has no counterpart to alert."))
    strangers = [b for b in recipients if b not in counterparts]
    if strangers:
        raise ValidationError(
            _("Alerts go to counterpart BLOs only; not to %(names)s.")
            % {"names": ", ".join(b.name_en for b in strangers)}
        )
    if alert.incident is not None:
        # The stored record, locked: its audience as it is now, not as the caller last saw it.
        alert.incident = Incident.objects.select_for_update().get(pk=alert.incident.pk)
        if not can(actor, Action.VIEW, alert.incident):
            raise PermissionDenied
        # The alert carries (or points to) the record: every recipient post must read it.
        beyond = [b for b in recipients if not reaches_blo(alert.incident, b)]
        if beyond:
            raise ValidationError(
                {
                    "incident": _(
                        "%(reference)s is not shared with %(names)s. To alert them about it, "
                        "share it first (beyond its TLP label that waits for the originator's "
                        "approval), or send the alert without the record and its text."
                    )
                    % {
                        "reference": alert.incident.reference,
                        "names": ", ".join(b.name_en for b in beyond),
                    }
                }
            )
    alert.reference = "pending"
    alert.full_clean(exclude=["reference"])
    alert.reference = next_reference("ALR", actor.blo)
    alert.save()
    AlertDelivery.objects.bulk_create([AlertDelivery(alert=alert, to_blo=b) for b in recipients])
    announce(NoticeKind.ALERT, alert, blo_ids=[b.pk for b in recipients])
    record(
        actor=actor,
        action=AuditAction.SHARE,
        obj=alert,
        summary=alert.reference,
        changes={
            "to": [b.code for b in recipients],
            "incident": alert.incident.reference if alert.incident is not None else None,
        },
        request=request,
    )
    return alert


@transaction.atomic
def do_acknowledge_alert(
    delivery: AlertDelivery, *, actor: User, request: HttpRequest | None = None
) -> AlertDelivery:
    require(actor, Action.ACKNOWLEDGE, delivery)
    delivery = AlertDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at = timezone.now()
        delivery.acknowledged_by = actor
        delivery.save(update_fields=["acknowledged_at", "acknowledged_by"])
        record(
            actor=actor,
            action=AuditAction.CHANGE,
            obj=delivery.alert,
            summary=_("Acknowledged by %(blo)s") % {"blo": delivery.to_blo.name_en},
            request=request,
        )
    return delivery


@transaction.atomic
def do_respond_to_alert(
    delivery: AlertDelivery,
    response: str,
    *,
    language: str,
    actor: User,
    request: HttpRequest | None = None,
) -> AlertDelivery:
    require(actor, Action.ANSWER, delivery)
    if not response.strip():
        raise ValidationError({"response": _("Write the response.")})
    delivery = AlertDelivery.objects.select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at = now
        delivery.acknowledged_by = actor
    if delivery.responded_at is None:
        delivery.responded_at = now
    delivery.response = (
        f"{delivery.response}\n\n{response.strip()}" if delivery.response else response.strip()
    )
    delivery.response_language = language
    delivery.save()
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=delivery.alert,
        summary=_("Response from %(blo)s") % {"blo": delivery.to_blo.name_en},
        request=request,
    )
    return delivery


# --- requests for information -------------------------------------------------------------------


@transaction.atomic
def do_ask_for_information(
    info_request: InformationRequest, *, actor: User, request: HttpRequest | None = None
) -> InformationRequest:
    if actor.blo is None:
        raise PermissionDenied
    info_request.from_blo = actor.blo
    info_request.asked_by = actor
    require(actor, Action.CREATE, info_request)
    if not actor.blo.counterparts.filter(pk=info_request.to_blo_id).exists():
        raise ValidationError({"to_blo": _("Requests go to a counterpart BLO.")})
    if info_request.deadline < timezone.localdate():
        raise ValidationError({"deadline": _("The deadline cannot be in the past.")})
    info_request.reference = "pending"
    info_request.full_clean(exclude=["reference"])
    info_request.reference = next_reference("RFI", actor.blo)
    info_request.save()
    announce(NoticeKind.REQUEST, info_request, blo_ids=[info_request.to_blo_id])
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=info_request,
        summary=info_request.reference,
        request=request,
    )
    return info_request


def announce_overdue_requests() -> int:
    """Tell the receiving posts of the open requests now past their deadline, each request
    once; the number announced. Run by ``liaison notify overdue`` (see the README)."""
    overdue = (
        InformationRequest.objects.filter(
            status=RequestStatus.OPEN, deadline__lt=timezone.localdate()
        )
        .exclude(pk__in=announced_ids(InformationRequest, NoticeKind.OVERDUE_REQUEST))
        .order_by("deadline", "pk")
    )
    return sum(
        announce_once(NoticeKind.OVERDUE_REQUEST, info_request, blo_ids=[info_request.to_blo_id])
        for info_request in overdue
    )


@transaction.atomic
def do_answer_request(
    info_request: InformationRequest,
    answer: str,
    *,
    language: str,
    actor: User,
    request: HttpRequest | None = None,
) -> InformationRequest:
    require(actor, Action.ANSWER, info_request)
    if not answer.strip():
        raise ValidationError({"answer": _("Write the answer.")})
    if info_request.status in {RequestStatus.CLOSED, RequestStatus.WITHDRAWN}:
        raise ValidationError(_("This request is closed."))
    info_request.answer = answer.strip()
    info_request.answer_language = language
    info_request.answered_by = actor
    info_request.answered_at = timezone.now()
    info_request.status = RequestStatus.ANSWERED
    info_request.save()
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=info_request,
        summary=_("Answered"),
        request=request,
    )
    return info_request


@transaction.atomic
def do_close_request(
    info_request: InformationRequest,
    *,
    withdraw: bool = False,
    actor: User,
    request: HttpRequest | None = None,
) -> InformationRequest:
    require(actor, Action.CHANGE, info_request)
    info_request.status = RequestStatus.WITHDRAWN if withdraw else RequestStatus.CLOSED
    info_request.save(update_fields=["status"])
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=info_request,
        summary=str(RequestStatus(info_request.status).label),
        request=request,
    )
    return info_request


@transaction.atomic
def do_create_sharing_group(
    name: str,
    members: Iterable[User],
    *,
    description: str = "",
    actor: User,
    request: HttpRequest | None = None,
) -> SharingGroup:
    if not may_create_sharing_group(actor):
        raise PermissionDenied
    # Unique per creator: a refusal names only the actor's own groups.
    if SharingGroup.objects.filter(created_by=actor, name=name).exists():
        raise ValidationError(
            {"name": _("You already have a sharing group named “%(name)s”.") % {"name": name}}
        )
    group = SharingGroup(name=name, description=description, created_by=actor)
    group.full_clean()
    group.save()
    group.members.set({*members, actor})
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=group,
        summary=f"group {group.pk}",
        changes={"members": sorted(u.username for u in group.members.all())},
        request=request,
    )
    return group


# --- background imports -------------------------------------------------------------------------


def do_start_seizure_import(
    raw: bytes, filename: str, blo: BLO, *, actor: User, language: str = ""
) -> SeizureImport:
    """Keep an uploaded seizure file and hand it to the background worker (see
    :mod:`liaison.exchange.tasks`); nothing is recorded until the worker has checked it all."""
    from liaison.exchange.tasks import import_seizure_file

    if not may_record_for(actor, blo):
        raise PermissionDenied(_("You may not record incidents for this BLO."))
    job = SeizureImport.objects.create(
        started_by=actor, blo=blo, filename=filename[:255], upload=raw, language=language[:10]
    )
    result = import_seizure_file.enqueue(job.pk)
    SeizureImport.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id))
    job.refresh_from_db()
    return job


# --- exports ------------------------------------------------------------------------------------


def do_request_incident_export(
    kind: ExportKind, filters: dict[str, str], *, actor: User
) -> IncidentExport:
    """Have the background worker write an export (see :mod:`liaison.exchange.tasks`) of the
    incidents the actor's search finds. The worker runs the search as the actor, through the
    list's visibility filter, and records the export in the audit log when it has written it."""
    from liaison.exchange.tasks import write_incident_export

    if not actor.is_active:
        raise PermissionDenied
    IncidentExport.objects.filter(created_at__lt=timezone.now() - EXPORT_KEPT).delete()
    export = IncidentExport.objects.create(requested_by=actor, kind=kind, filters=filters)
    result = write_incident_export.enqueue(export.pk)
    IncidentExport.objects.filter(pk=export.pk, task_id="").update(task_id=str(result.id))
    export.refresh_from_db()
    return export


def do_discard_export(export: IncidentExport, *, actor: User) -> None:
    """Throw away an export's file (it holds a record the actor may no longer read)."""
    if export.requested_by_id != actor.pk:
        raise PermissionDenied
    IncidentExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.DISCARDED, content=b"", references=[]
    )
