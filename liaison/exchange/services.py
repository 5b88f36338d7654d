"""Every write of the exchange. Each checks permission, writes, and records its audit entry in
the same transaction; side effects wait for the commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.exchange.models import (
    TLP,
    Alert,
    AlertDelivery,
    Distribution,
    Incident,
    InformationRequest,
    IntelligenceReport,
    IntelligenceSource,
    MigrantSmugglingReport,
    NominalEntry,
    PersonCount,
    ReferenceCounter,
    RequestStatus,
    SeizureItem,
    ShareRequest,
    ShareStatus,
    SharingGroup,
)
from liaison.registry.models import BLO, Role, User
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


def _check_nominal_within(incident: Incident, nominal: Iterable[NominalEntry]) -> None:
    widest = Distribution(incident.distribution).breadth
    for entry in nominal:
        entry.full_clean(exclude=["incident"])
        if Distribution(entry.distribution).breadth > widest:
            raise ValidationError(
                {
                    "distribution": _(
                        "Nominal data cannot be shared wider than its record (%(record)s)."
                    )
                    % {"record": Distribution(incident.distribution).label}
                }
            )


def _check_label(record: Record, *, actor: User, confirmed_beyond_label: bool) -> None:
    """Sharing wider than the TLP label allows needs the originator's recorded approval."""
    if Distribution(record.distribution).breadth <= TLP(record.tlp).widest_breadth:
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
    record_obj.reference = "pending"  # the real one is drawn only once everything is valid
    record_obj.full_clean(exclude=["reference"])
    _check_label(record_obj, actor=actor, confirmed_beyond_label=confirmed_beyond_label)


@transaction.atomic
def do_record_incident(
    incident: Incident,
    parts: IncidentParts,
    *,
    actor: User,
    confirmed_beyond_label: bool = False,
    request: HttpRequest | None = None,
) -> Incident:
    _stamp_origin(incident, actor=actor, confirmed_beyond_label=confirmed_beyond_label)
    for item in parts.items:
        _clean_child(item, ["incident"])
    for person in parts.people:
        _clean_child(person, ["incident"])
    _check_nominal_within(incident, parts.nominal)
    if parts.smuggling is not None:
        _clean_child(parts.smuggling, ["incident"])
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
            and Distribution(incident.distribution).breadth > TLP(incident.tlp).widest_breadth,
        },
        request=request,
    )
    return incident


INCIDENT_FIELDS = [
    "occurred_at",
    "crossing",
    "location_kind",
    "latitude",
    "longitude",
    "direction",
    "crime_area",
    "detection_method",
    "concealment_method",
    "conveyance",
    "origin_country",
    "transit_countries",
    "destination_country",
    "summary",
    "summary_language",
]


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
    after = snapshot(current, INCIDENT_FIELDS)
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=current,
        summary=current.reference,
        changes=changed_fields(before, after),
        request=request,
    )
    return current


# --- sharing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareOutcome:
    applied: bool
    pending: ShareRequest | None = None


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
    """Change who may read a record. Beyond its TLP label, only the originator decides: the
    originator's own change is recorded as their approval, anyone else's waits for it."""
    require(actor, Action.SHARE, record_obj)
    if distribution == Distribution.GROUP and group is None:
        raise ValidationError({"group": _("Choose the group to share with.")})
    beyond = distribution.breadth > TLP(record_obj.tlp).widest_breadth
    if beyond and record_obj.recorded_by_id != actor.pk:
        if not reason.strip():
            raise ValidationError({"reason": _("Say why it should be shared beyond its label.")})
        pending = ShareRequest.objects.create(
            incident=record_obj if isinstance(record_obj, Incident) else None,
            intelligence=record_obj if isinstance(record_obj, IntelligenceReport) else None,
            distribution=distribution,
            group=group,
            reason=reason,
            requested_by=actor,
        )
        record(
            actor=actor,
            action=AuditAction.SHARE,
            obj=record_obj,
            summary=_("Asked the originator to share wider"),
            changes={"distribution": distribution.value, "reason": reason},
            request=request,
        )
        return ShareOutcome(applied=False, pending=pending)
    if beyond and not reason.strip():
        raise ValidationError(
            {"reason": _("As the originator, say why you share beyond the label.")}
        )
    _apply_share(record_obj, distribution, group, actor=actor, reason=reason, request=request)
    return ShareOutcome(applied=True)


def _apply_share(
    record_obj: Record,
    distribution: Distribution,
    group: SharingGroup | None,
    *,
    actor: User,
    reason: str,
    request: HttpRequest | None,
    approved_request: ShareRequest | None = None,
) -> None:
    before = {"distribution": record_obj.distribution, "group": record_obj.group_id}
    record_obj.distribution = distribution
    record_obj.group = group if distribution == Distribution.GROUP else None
    record_obj.version += 1
    record_obj.updated_at = timezone.now()
    record_obj.save(update_fields=["distribution", "group", "version", "updated_at"])
    if isinstance(record_obj, Incident):
        # Nominal data never becomes wider than its record.
        widest = distribution.breadth
        for entry in record_obj.nominal_entries.all():
            if Distribution(entry.distribution).breadth > widest:
                entry.distribution = Distribution.AGENCY
                entry.save(update_fields=["distribution"])
    record(
        actor=actor,
        action=AuditAction.SHARE,
        obj=record_obj,
        summary=str(distribution.label),
        changes={
            "distribution": {"from": before["distribution"], "to": distribution.value},
            "group": {"from": before["group"], "to": record_obj.group_id},
            "beyond_label": distribution.breadth > TLP(record_obj.tlp).widest_breadth,
            "reason": reason,
            "approved_request": approved_request.pk if approved_request else None,
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
    require(actor, Action.ANSWER, share_request)
    if share_request.status != ShareStatus.PENDING:
        raise ValidationError(_("This request has already been answered."))
    share_request.status = ShareStatus.APPROVED if approve else ShareStatus.REFUSED
    share_request.decided_by = actor
    share_request.decided_at = timezone.now()
    share_request.save()
    if approve:
        _apply_share(
            share_request.record,
            Distribution(share_request.distribution),
            share_request.group,
            actor=actor,
            reason=share_request.reason,
            request=request,
            approved_request=share_request,
        )
    else:
        record(
            actor=actor,
            action=AuditAction.SHARE,
            obj=share_request.record,
            summary=_("Refused to share wider"),
            changes={"request": share_request.pk},
            request=request,
        )


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
    report.reference = next_reference("INT", report.blo)
    report.save()
    report.incidents.set(linked)
    report.nominal_entries.set(list(nominal_entries))
    if source.strip():
        IntelligenceSource.objects.create(report=report, description=source.strip())
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
        setattr(current, name, value)
    current.full_clean()
    _check_label(current, actor=actor, confirmed_beyond_label=False)
    current.version += 1
    current.updated_at = timezone.now()
    current.save()
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=current,
        summary=current.reference,
        changes=changed_fields(before, snapshot(current, INTELLIGENCE_FIELDS)),
        request=request,
    )
    return current


def record_view(actor: User, obj: models.Model, request: HttpRequest | None = None) -> None:
    """Reading intelligence or nominal data is itself recorded."""
    record(actor=actor, action=AuditAction.VIEW, obj=obj, summary=str(obj), request=request)


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
    if alert.incident is not None and not can(actor, Action.VIEW, alert.incident):
        raise PermissionDenied
    alert.reference = "pending"
    alert.full_clean(exclude=["reference"])
    alert.reference = next_reference("ALR", actor.blo)
    alert.save()
    AlertDelivery.objects.bulk_create([AlertDelivery(alert=alert, to_blo=b) for b in recipients])
    record(
        actor=actor,
        action=AuditAction.SHARE,
        obj=alert,
        summary=alert.subject,
        changes={"to": [b.code for b in recipients]},
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
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=info_request,
        summary=info_request.reference,
        request=request,
    )
    return info_request


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
    if actor.blo_id is None and actor.role != Role.NATIONAL_COORDINATOR:
        raise PermissionDenied
    group = SharingGroup(name=name, description=description, created_by=actor)
    group.full_clean()
    group.save()
    group.members.set({*members, actor})
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=group,
        summary=name,
        changes={"members": sorted(u.username for u in group.members.all())},
        request=request,
    )
    return group
