"""Related records: the records that name the same plate, number, company or container as this
one, or as the value being typed ("seen before") — as far as the reader may read them.

Every read starts from :func:`liaison.exchange.access.readable_identifiers`, on both sides: a
record is related through the identifiers of it the reader may read (a number in a nominal entry
withheld from the reader relates nothing for them), to records the reader may read through
identifiers of them the reader may read. A record the reader may not read is not named, not
counted, not hinted at.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from liaison.exchange.access import readable_identifiers
from liaison.exchange.identifiers import IdentifierKind
from liaison.exchange.models import Incident, IntelligenceReport, RecordIdentifier
from liaison.registry.models import User

RELATED_SHOWN = 50
"""Related records shown on a record's page, the most recent first."""
SEEN_SHOWN = 20
"""Records named in a "seen before" answer, the most recent first (the count is of all)."""


@dataclass
class RelatedRecord:
    reference: str
    url: str
    kind: str  # "incident" | "intelligence"
    when: datetime.datetime
    matched: list[tuple[str, str]] = field(default_factory=list)  # (kind label, value)


def _found(rows: Iterable[Mapping[str, Any]]) -> list[RelatedRecord]:
    """Rows of (kind, value, record) as records, each with what matched, in the rows' order."""
    records: dict[str, RelatedRecord] = {}
    for row in rows:
        reference = row["incident__reference"] or row["intelligence__reference"]
        assert isinstance(reference, str)  # noqa: S101 - every row belongs to one record
        found = records.get(reference)
        if found is None:
            is_incident = row["incident__reference"] is not None
            when = row["when"]
            assert isinstance(when, datetime.datetime)  # noqa: S101 - both dates are required
            found = records[reference] = RelatedRecord(
                reference=reference,
                url=reverse(
                    "exchange:incident" if is_incident else "exchange:intelligence",
                    args=[reference],
                ),
                kind="incident" if is_incident else "intelligence",
                when=when,
            )
        matched = (str(IdentifierKind(str(row["kind"])).label), str(row["value"]))
        if matched not in found.matched:
            found.matched.append(matched)
    return list(records.values())


def _rows(
    readable: QuerySet[RecordIdentifier], match: Q, exclude: Q | None = None
) -> list[Mapping[str, Any]]:
    rows = readable.filter(match)
    if exclude is not None:
        rows = rows.exclude(exclude)
    return list(
        rows.annotate(when=Coalesce("incident__occurred_at", "intelligence__created_at"))
        .order_by("-when", "pk")
        .values("kind", "value", "incident__reference", "intelligence__reference", "when")[
            : RELATED_SHOWN * 4
        ]
    )


def related_records(user: User, record: Incident | IntelligenceReport) -> list[RelatedRecord]:
    """The records ``user`` may read that share an identifier ``user`` may read in ``record``."""
    own = Q(incident=record) if isinstance(record, Incident) else Q(intelligence=record)
    readable = readable_identifiers(user)
    mine = set(readable.filter(own).values_list("kind", "value"))
    if not mine:
        return []
    match = Q()
    for kind, value in sorted(mine):
        match |= Q(kind=kind, value=value)
    return _found(_rows(readable, match, exclude=own))[:RELATED_SHOWN]


class SeenRecord(TypedDict):
    reference: str
    kind: str
    date: str
    url: str


class SeenAnswer(TypedDict):
    kind: str
    value: str
    seen: int
    records: list[SeenRecord]


def seen_before(user: User, kind: IdentifierKind, value: str) -> SeenAnswer:
    """How many records ``user`` may read name this (normalised) identifier where ``user`` may
    read it, and the most recent of them."""
    readable = readable_identifiers(user)
    match = Q(kind=kind, value=value)
    seen = readable.filter(match).values("incident_id", "intelligence_id").distinct().count()
    found = _found(_rows(readable, match))[:SEEN_SHOWN] if seen else []
    return {
        "kind": kind.value,
        "value": value,
        "seen": seen,
        "records": [
            {
                "reference": r.reference,
                "kind": r.kind,
                "date": timezone.localtime(r.when).date().isoformat(),
                "url": r.url,
            }
            for r in found
        ],
    }
