"""Who may read and act on exchange records: the SOP's distribution rules as SQL filters.

A record's audience is decided by its distribution and its origin (agency, BLO, country):

* ``AGENCY``      the originating agency's officers at the originating BLO;
* ``BLO``         every officer at the originating BLO, of every agency;
* ``COUNTERPART`` the originating BLO and the BLO(s) paired with it across the border;
* ``NATIONAL``    everyone of the originating country (posts, agencies, the coordinator);
* ``GROUP``       the originating BLO and the members of the named sharing group;
* ``NETWORK``     every officer, head and coordinator of the network.

The person who recorded a record always reads it. Programme staff and administrators are not
part of any BLO's audience: they read operational records only where a group shares them.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from liaison.caching import per_request, reader_key
from liaison.exchange.models import (
    TLP,
    Alert,
    AlertDelivery,
    Attachment,
    Distribution,
    Incident,
    IncidentExport,
    InformationRequest,
    IntelligenceReport,
    IntelligenceSource,
    NominalEntry,
    NominalRole,
    RecordIdentifier,
    SeizureImport,
    ShareRequest,
    SharingGroup,
)
from liaison.registry.models import BLO, Role, User
from liaison.registry.permissions import Action, can, counterpart_blo_ids, register, visible


def _group_ids(user: User) -> list[int]:
    return per_request(
        ("sharing groups", *reader_key(user)),
        lambda: list(SharingGroup.objects.filter(members=user).values_list("id", flat=True)),
    )


def audience(user: User, *, origin: str = "", distribution: str = "distribution") -> Q:
    """The rows whose distribution includes ``user``.

    ``origin`` prefixes the origin fields (``incident__`` for a nominal entry, whose own
    ``distribution`` narrows its incident's audience).
    """
    dist = distribution
    q = Q(**{f"{origin}recorded_by_id": user.pk})
    groups = _group_ids(user)
    if groups:
        q |= Q(**{dist: Distribution.GROUP, f"{origin}group_id__in": groups})
    if not Role(user.role).needs_country or user.country_id is None:
        return q  # programme staff, administrators: only what a group shares with them
    if user.blo_id is not None:
        if user.agency_id is not None:
            q |= Q(
                **{
                    dist: Distribution.AGENCY,
                    f"{origin}agency_id": user.agency_id,
                    f"{origin}blo_id": user.blo_id,
                }
            )
        q |= Q(
            **{
                f"{dist}__in": [Distribution.BLO, Distribution.COUNTERPART, Distribution.GROUP],
                f"{origin}blo_id": user.blo_id,
            }
        )
        # The post itself is in the set too; the clause above already admits it.
        counterparts = per_request(
            ("paired posts", *reader_key(user)), lambda: list(counterpart_blo_ids(user))
        )
        q |= Q(**{dist: Distribution.COUNTERPART, f"{origin}blo_id__in": counterparts})
    q |= Q(**{dist: Distribution.NATIONAL, f"{origin}country_id": user.country_id})
    q |= Q(**{dist: Distribution.NETWORK})
    return q


# --- the SOP's rules over labels and audiences ---------------------------------------------------
#
# A distribution names a set of readers relative to the record's origin. The sets are ordered by
# inclusion, not by a single "breadth": COUNTERPART and NATIONAL each reach someone the other does
# not, and a GROUP's members may be anyone (programme staff included, who are outside even the
# NETWORK), so a group is contained only in itself.

_CONTAINED_IN: dict[Distribution, frozenset[Distribution]] = {
    Distribution.AGENCY: frozenset(Distribution),
    Distribution.BLO: frozenset(
        {
            Distribution.BLO,
            Distribution.COUNTERPART,
            Distribution.NATIONAL,
            Distribution.GROUP,
            Distribution.NETWORK,
        }
    ),
    Distribution.COUNTERPART: frozenset({Distribution.COUNTERPART, Distribution.NETWORK}),
    Distribution.NATIONAL: frozenset({Distribution.NATIONAL, Distribution.NETWORK}),
    Distribution.GROUP: frozenset({Distribution.GROUP}),
    Distribution.NETWORK: frozenset({Distribution.NETWORK}),
}

# For each audience, the audiences it contains.
_CONTAINS: dict[Distribution, frozenset[Distribution]] = {
    outer: frozenset(inner for inner, outers in _CONTAINED_IN.items() if outer in outers)
    for outer in Distribution
}

_LABEL_ALLOWS: dict[TLP, frozenset[Distribution]] = {
    TLP.RED: frozenset({Distribution.AGENCY}),
    TLP.AMBER_STRICT: frozenset({Distribution.AGENCY, Distribution.BLO}),
    TLP.AMBER: frozenset({Distribution.AGENCY, Distribution.BLO, Distribution.COUNTERPART}),
    TLP.GREEN: frozenset(Distribution),
    TLP.CLEAR: frozenset(Distribution),
}

# From the most to the least restrictive label.
_STRICTNESS = [TLP.RED, TLP.AMBER_STRICT, TLP.AMBER, TLP.GREEN, TLP.CLEAR]


def allows_distribution(tlp: TLP | str, distribution: Distribution | str) -> bool:
    """Whether the label lets the record be shared with this audience without the originator's
    approval."""
    return Distribution(distribution) in _LABEL_ALLOWS[TLP(tlp)]


def contained_in(
    inner: Distribution | str,
    outer: Distribution | str,
    *,
    inner_group: int | None = None,
    outer_group: int | None = None,
) -> bool:
    """Whether every reader ``inner`` can reach is also reached by ``outer``, for any record of
    the same origin (two groups are the same audience only if they are the same group)."""
    inner, outer = Distribution(inner), Distribution(outer)
    if inner == outer == Distribution.GROUP:
        return inner_group is not None and inner_group == outer_group
    return outer in _CONTAINED_IN[inner]


def widens(
    old: Distribution | str,
    new: Distribution | str,
    *,
    old_group: int | None = None,
    new_group: int | None = None,
) -> bool:
    """Whether changing a record's distribution from ``old`` to ``new`` can let someone read it
    who could not before (anything that is not a narrowing or no change)."""
    return not contained_in(new, old, inner_group=new_group, outer_group=old_group)


def is_stricter(new: TLP | str, old: TLP | str) -> bool:
    """Whether label ``new`` restricts more than ``old``."""
    return _STRICTNESS.index(TLP(new)) < _STRICTNESS.index(TLP(old))


def widest_allowed_within(tlp: TLP | str, distribution: Distribution | str) -> Distribution:
    """The widest audience the label allows that reaches nobody ``distribution`` does not: where
    a record goes when its label becomes stricter than its distribution."""
    current = Distribution(distribution)
    if allows_distribution(tlp, current):
        return current
    fits = [
        d for d in _LABEL_ALLOWS[TLP(tlp)] if d != Distribution.GROUP and contained_in(d, current)
    ]
    # Allowed sets are chains (AGENCY ⊂ BLO ⊂ COUNTERPART) once GROUP is left out.
    return max(fits, key=lambda d: len(_CONTAINS[d]))


def reaches_blo(record: Incident | IntelligenceReport, blo: BLO) -> bool:
    """Whether every officer posted at ``blo`` may read ``record`` (whatever their agency): the
    test an alert's recipient post must pass before the alert may carry the record."""
    distribution = Distribution(record.distribution)
    if distribution == Distribution.NETWORK:
        return True
    if distribution == Distribution.NATIONAL:
        return blo.country_id == record.country_id
    if distribution == Distribution.COUNTERPART:
        # The registry's pairing primitive, asked as an officer of that post would be.
        officer_there = User(role=Role.OFFICER, blo_id=blo.pk, country_id=blo.country_id)
        return record.blo_id in set(counterpart_blo_ids(officer_there))
    if distribution in {Distribution.BLO, Distribution.GROUP}:
        return blo.pk == record.blo_id
    return False  # AGENCY: not every officer of any post


def is_originating_unit(user: User, record: Incident | IntelligenceReport) -> bool:
    """The recorder, or an officer of the same agency at the same BLO: the only ones who loosen a
    record's label or widen its audience beyond the label."""
    return record.recorded_by_id == user.pk or (
        user.blo_id is not None
        and user.agency_id is not None
        and user.blo_id == record.blo_id
        and user.agency_id == record.agency_id
    )


def may_create_sharing_group(user: User) -> bool:
    """Officers and heads (of a post) and coordinators form sharing groups."""
    return user.blo_id is not None or user.role == Role.NATIONAL_COORDINATOR


def may_record_for(user: User, blo: BLO) -> bool:
    """Officers and heads record for their own post; coordinators for any post of their country."""
    if user.role in {Role.OFFICER, Role.HEAD_OF_BLO}:
        return user.blo_id == blo.pk and user.agency_id is not None
    if user.role == Role.NATIONAL_COORDINATOR:
        return blo.country_id == user.country_id and user.agency_id is not None
    return False


class _RecordPolicy:
    administrators_see_all = False

    def visible(self, user: User) -> Q:
        return audience(user)

    def allows(self, user: User, action: Action, obj: Incident | IntelligenceReport) -> bool:
        if action == Action.CREATE:
            return may_record_for(user, obj.blo)
        if action in {Action.CHANGE, Action.SHARE}:
            return is_originating_unit(user, obj) or (
                user.role == Role.HEAD_OF_BLO and user.blo_id == obj.blo_id
            )
        return action == Action.EXPORT  # of what they see


@register(Incident)
class IncidentPolicy(_RecordPolicy):
    pass


@register(IntelligenceReport)
class IntelligenceReportPolicy(_RecordPolicy):
    pass


@register(NominalEntry)
class NominalEntryPolicy:
    administrators_see_all = False

    def visible(self, user: User) -> Q:
        incident_visible = Q(incident__in=Incident.objects.filter(audience(user)))
        own = audience(user, origin="incident__")
        victims = Q(role=NominalRole.VICTIM) & ~(
            Q(incident__recorded_by_id=user.pk)
            | Q(incident__agency_id=user.agency_id, incident__blo_id=user.blo_id)
        )
        return incident_visible & own & ~victims

    def allows(self, user: User, action: Action, obj: NominalEntry) -> bool:
        return action == Action.CHANGE and is_originating_unit(user, obj.incident)


def readable_identifiers(user: User) -> QuerySet[RecordIdentifier]:
    """The identifier rows whose record ``user`` may read and, for a row taken from a nominal
    entry, whose entry ``user`` may read — nothing else, not even a count.

    The rules of the incident, intelligence and nominal entry policies above, written over the
    row's own joins (one index range of kind and value, then each row's record by its key) rather
    than as ``IN`` subqueries over every record the reader sees, which a lookup at a million rows
    could not afford. ``tests/test_identifiers.py`` holds the two forms equal for every persona."""
    if not (user.is_authenticated and user.is_active):
        return RecordIdentifier.objects.none()
    incident_readers = Q(incident__pending_import__isnull=True) & audience(
        user, origin="incident__", distribution="incident__distribution"
    )
    entry_readers = audience(
        user, origin="incident__", distribution="nominal_entry__distribution"
    ) & ~(
        Q(nominal_entry__role=NominalRole.VICTIM)
        & ~(
            Q(incident__recorded_by_id=user.pk)
            | Q(incident__agency_id=user.agency_id, incident__blo_id=user.blo_id)
        )
    )
    report_readers = audience(
        user, origin="intelligence__", distribution="intelligence__distribution"
    )
    return RecordIdentifier.objects.filter(
        (
            Q(incident__isnull=False)
            & incident_readers
            & (Q(nominal_entry__isnull=True) | entry_readers)
        )
        | (Q(intelligence__isnull=False) & report_readers)
    )


@register(IntelligenceSource)
class IntelligenceSourcePolicy:
    """The source's identity never leaves the originating agency at the originating BLO."""

    administrators_see_all = False

    def visible(self, user: User) -> Q:
        return Q(report__recorded_by_id=user.pk) | Q(
            report__agency_id=user.agency_id, report__blo_id=user.blo_id
        )

    def allows(self, user: User, action: Action, obj: IntelligenceSource) -> bool:
        return False


@register(SharingGroup)
class SharingGroupPolicy:
    administrators_see_all = True

    def visible(self, user: User) -> Q:
        return Q(members=user) | Q(created_by=user)

    def allows(self, user: User, action: Action, obj: SharingGroup) -> bool:
        return action == Action.CHANGE and obj.created_by_id == user.pk


@register(ShareRequest)
class ShareRequestPolicy:
    administrators_see_all = False

    def visible(self, user: User) -> Q:
        mine = Q(requested_by=user)
        originator = Q(incident__recorded_by=user) | Q(intelligence__recorded_by=user)
        return mine | originator

    def allows(self, user: User, action: Action, obj: ShareRequest) -> bool:
        # Only the originator answers a request to share beyond the label.
        return action == Action.ANSWER and obj.record.recorded_by_id == user.pk


@register(Alert)
class AlertPolicy:
    administrators_see_all = False

    def visible(self, user: User) -> Q:
        if user.blo_id is None:
            return Q(sent_by=user)
        return Q(from_blo_id=user.blo_id) | Q(deliveries__to_blo_id=user.blo_id) | Q(sent_by=user)

    def allows(self, user: User, action: Action, obj: Alert) -> bool:
        if action == Action.CREATE:
            return user.role in {Role.OFFICER, Role.HEAD_OF_BLO} and user.blo_id == obj.from_blo_id
        return False


@register(AlertDelivery)
class AlertDeliveryPolicy:
    administrators_see_all = False

    def visible(self, user: User) -> Q:
        if user.blo_id is None:
            return Q(alert__sent_by=user)
        return Q(to_blo_id=user.blo_id) | Q(alert__from_blo_id=user.blo_id)

    def allows(self, user: User, action: Action, obj: AlertDelivery) -> bool:
        if action in {Action.ACKNOWLEDGE, Action.ANSWER}:
            return user.blo_id is not None and user.blo_id == obj.to_blo_id
        return False


def request_parties(user: User, *, origin: str = "") -> Q:
    """The requests ``user`` is a party to: those of their post, asked or received (their own
    only, for those of no post). ``origin`` prefixes the fields, as in :func:`audience`."""
    if user.blo_id is None:
        return Q(**{f"{origin}asked_by_id": user.pk})
    return Q(**{f"{origin}from_blo_id": user.blo_id}) | Q(**{f"{origin}to_blo_id": user.blo_id})


@register(InformationRequest)
class InformationRequestPolicy:
    administrators_see_all = False

    def visible(self, user: User) -> Q:
        return request_parties(user)

    def allows(self, user: User, action: Action, obj: InformationRequest) -> bool:
        if action == Action.CREATE:
            return user.blo_id is not None and user.blo_id == obj.from_blo_id
        if action == Action.ANSWER:
            return user.blo_id is not None and user.blo_id == obj.to_blo_id
        if action == Action.CHANGE:  # close or withdraw
            return user.blo_id is not None and user.blo_id == obj.from_blo_id
        return False


# --- attachments ---------------------------------------------------------------------------------
#
# An attachment is read by its record's readers. A photo of a person is nominal data: it is read
# by the readers of the nominal entry it shows when one is named (that entry's distribution, the
# victims' rule included), else by the originating unit alone — the default audience of a nominal
# entry and of an intelligence source. A request's attachments, of a person or not, are for the
# request's two posts, to whom the asking post addressed it.


def _originating_unit(user: User, origin: str) -> Q:
    q = Q(**{f"{origin}recorded_by_id": user.pk})
    if user.blo_id is not None and user.agency_id is not None:
        q |= Q(**{f"{origin}agency_id": user.agency_id, f"{origin}blo_id": user.blo_id})
    return q


def readable_attachments(user: User) -> Q:
    """The attachments ``user`` may read, as one filter over the attachment's own joins."""
    incident_readers = Q(incident__pending_import__isnull=True) & audience(
        user, origin="incident__", distribution="incident__distribution"
    )
    victims = Q(nominal_entry__role=NominalRole.VICTIM) & ~_originating_unit(user, "incident__")
    entry_readers = (
        Q(nominal_entry__isnull=False)
        & audience(user, origin="incident__", distribution="nominal_entry__distribution")
        & ~victims
    )
    incident_person_readers = entry_readers | (
        Q(nominal_entry__isnull=True) & _originating_unit(user, "incident__")
    )
    report_readers = audience(
        user, origin="intelligence__", distribution="intelligence__distribution"
    )
    return (
        (
            Q(incident__isnull=False)
            & incident_readers
            & (Q(of_person=False) | incident_person_readers)
        )
        | (
            Q(intelligence__isnull=False)
            & report_readers
            & (Q(of_person=False) | _originating_unit(user, "intelligence__"))
        )
        | (
            Q(information_request__isnull=False)
            & request_parties(user, origin="information_request__")
        )
    )


def attachments_of_read_record(
    user: User,
    record: Incident | IntelligenceReport | InformationRequest,
    *,
    readable_entries: QuerySet[NominalEntry] | None = None,
) -> QuerySet[Attachment]:
    """The attachments ``user`` may read of a record they were just given by ``access`` (its
    readers' rule is not asked again): those not of a person, and those of a person whose entry
    is among ``readable_entries`` (the record page's own ``visible`` entries, read as a subquery)
    or, showing none, of the originating unit. The same rule as :func:`readable_attachments`, for
    a page that has paid for the record's audience already."""
    if isinstance(record, Incident):
        if readable_entries is None:
            readable_entries = visible(user, NominalEntry).filter(incident=record)
        person = Q(nominal_entry__in=readable_entries.values("pk")) | (
            Q(nominal_entry__isnull=True) & _originating_unit(user, "incident__")
        )
        return Attachment.objects.filter(Q(of_person=False) | person, incident=record)
    if isinstance(record, IntelligenceReport):
        return Attachment.objects.filter(
            Q(of_person=False) | _originating_unit(user, "intelligence__"), intelligence=record
        )
    return Attachment.objects.filter(information_request=record)


def may_attach(user: User, record: Incident | IntelligenceReport | InformationRequest) -> bool:
    """Who adds (and removes) a record's attachments: those who may change an incident or a
    report; for a request, either of its two posts (the asking post changes it, the other answers
    it). Asked of the stored record."""
    if isinstance(record, InformationRequest):
        return can(user, Action.CHANGE, record) or can(user, Action.ANSWER, record)
    return can(user, Action.CHANGE, record)


def may_remove_attachment(user: User, attachment: Attachment) -> bool:
    """The uploader while they may still attach to the record, or whoever may change the record
    (for a request: the asking post)."""
    record = attachment.record
    if attachment.uploaded_by_id == user.pk and may_attach(user, record):
        return True
    return can(user, Action.CHANGE, record)


@register(Attachment)
class AttachmentPolicy:
    administrators_see_all = False

    def visible(self, user: User) -> Q:
        return readable_attachments(user)

    def allows(self, user: User, action: Action, obj: Attachment) -> bool:
        return action == Action.DELETE and may_remove_attachment(user, obj)


def access_attachment(user: User, pk: int) -> Attachment:
    """One attachment ``user`` may read; 404 for any other (its existence is not disclosed)."""
    try:
        return (
            visible(user, Attachment)
            .select_related("incident", "intelligence", "information_request")
            .get(pk=pk)
        )
    except Attachment.DoesNotExist:
        raise Http404 from None


def access_seizure_import(user: User, pk: int) -> SeizureImport:
    """An import's progress and problems are shown to the person who started it only."""
    try:
        return SeizureImport.objects.get(pk=pk, started_by=user)
    except SeizureImport.DoesNotExist:
        raise Http404 from None


def access_incident_export(user: User, pk: int) -> IncidentExport:
    """An export is shown and downloaded by the person who asked for it only."""
    try:
        return IncidentExport.objects.get(pk=pk, requested_by=user)
    except IncidentExport.DoesNotExist:
        raise Http404 from None


# --- a coordinator's view of the exchange between posts ------------------------------------------
#
# A national coordinator keeps the whole country (README, *Roles*): whether its posts acknowledge
# alerts and answer requests in time is hers to watch. What she reads of an alert or a request
# between two posts is its envelope alone: which post sent it to which, when it was sent,
# acknowledged or answered, its deadline and status. Its text (subject, details, question,
# answer) stays with the two posts (AlertPolicy, InformationRequestPolicy); she opens a record
# only where those policies let her. Records (incidents) she counts through their own filter.


def may_view_coordination(user: User) -> bool:
    """The coordination page: national coordinators of a country. Programme staff and
    administrators are outside every BLO's audience of operational records (see above), and
    officers and heads have their post's own dashboard."""
    return user.is_active and user.role == Role.NATIONAL_COORDINATOR and user.country_id is not None


def coordinated_deliveries(user: User) -> Q:
    """Alert deliveries whose sending or receiving post is of the coordinator's country: their
    envelopes (times, posts), never their text. Nothing for anyone else."""
    if not may_view_coordination(user):
        return Q(pk__in=[])
    return Q(to_blo__country_id=user.country_id) | Q(alert__from_blo__country_id=user.country_id)


def coordinated_requests(user: User) -> Q:
    """Requests for information asked or received by a post of the coordinator's country: their
    envelopes (posts, dates, status), never their text. Nothing for anyone else."""
    if not may_view_coordination(user):
        return Q(pk__in=[])
    return Q(to_blo__country_id=user.country_id) | Q(from_blo__country_id=user.country_id)
