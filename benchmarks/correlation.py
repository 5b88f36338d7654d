"""Correlation at scale: the reader-limited "seen before" lookup and a record's related records
over 1,000,000 identifier rows.

Not a test. On SQLite (a database of its own in a scratch data folder, filled once and reused):

    LIAISON_DATA_DIR=/tmp/liaison-correlation uv run python benchmarks/correlation.py

and on PostgreSQL (a database of its own):

    createdb -h 127.0.0.1 -U postgres liaison_correlation
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_correlation \\
        uv run python benchmarks/correlation.py

It builds 20 posts in two countries (paired across the border), one officer per agency and post,
and 100,000 incidents with the SOP's mix of distributions, each with two nominal entries (a
vehicle, a telephone) and eight containers named in its summary: 1,000,000 index rows, 200,000 of
them from nominal entries. Plates are drawn from 30,000, telephones from 50,000, containers from
500,000, so a known value is named by a few records, some the officer may read, some not. It then
times, for an officer, ``seen_before`` (count and latest records, through the reader's filter) for
known plates, telephones and containers, and ``related_records`` for incidents the officer reads
(p50/p95 over repeated calls, warm).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
os.environ.setdefault("LIAISON_DATA_DIR", "/tmp/liaison-correlation")  # noqa: S108

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from stdnum import iso6346  # noqa: E402

from liaison.exchange.access import readable_identifiers  # noqa: E402
from liaison.exchange.correlation import related_records, seen_before  # noqa: E402
from liaison.exchange.identifiers import IdentifierKind  # noqa: E402
from liaison.exchange.models import (  # noqa: E402
    Incident,
    NominalEntry,
    RecordIdentifier,
)
from liaison.registry.models import BLO, Agency, AgencyKind, Country, Role, User  # noqa: E402
from liaison.registry.services import seed_accepted_counterpart_pair  # noqa: E402

DISTRIBUTIONS = [("agency", 0.30), ("blo", 0.41), ("counterpart", 0.28), ("national", 0.01)]
NOMINAL_DISTRIBUTIONS = [("agency", 0.6), ("blo", 0.4)]
CONTAINERS_PER_INCIDENT = 8
CHUNK = 2000


def plate(n: int) -> str:
    return f"{51 + n % 40}F{n:05d}"


def phone(n: int) -> str:
    return f"+8491{n:07d}"


def container(n: int) -> str:
    stem = f"BCU{'UJZ'[n % 3]}{n:06d}"
    return stem + iso6346.calc_check_digit(stem)


def build_network() -> tuple[list[BLO], dict[tuple[int, int], User]]:
    vn = Country.objects.create(code="VN", name_en="Viet Nam", name_local="Việt Nam", language="vi")
    kh = Country.objects.create(
        code="KH", name_en="Cambodia", name_local="Kampuchea", language="km"
    )
    agencies = {
        country.pk: [
            Agency.objects.create(
                country=country, code=f"{country.code}-{kind}", kind=kind, name_en=kind
            )
            for kind in (AgencyKind.CUSTOMS, AgencyKind.PROVINCIAL_POLICE)
        ]
        for country in (vn, kh)
    }
    blos: list[BLO] = []
    officers: dict[tuple[int, int], User] = {}
    for i in range(20):
        country = vn if i < 10 else kh
        blo = BLO.objects.create(country=country, code=f"{country.code}-P{i:02d}", name_en=f"P{i}")
        blo.agencies.set(agencies[country.pk])
        blos.append(blo)
        for agency in agencies[country.pk]:
            officers[(blo.pk, agency.pk)] = User.objects.create_user(
                username=f"o{i}-{agency.pk}",
                role=Role.OFFICER,
                country=country,
                blo=blo,
                agency=agency,
            )
    for i in range(10):
        seed_accepted_counterpart_pair(blos[i], blos[10 + i], source="benchmark")
    return blos, officers


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _w in weighted], [w for _v, w in weighted])[0]


def fill(incidents: int) -> None:
    rng = random.Random(13)
    _blos, officers = build_network()
    pairs = list(officers.items())
    now = timezone.now()
    started = time.perf_counter()
    for start in range(0, incidents, CHUNK):
        with transaction.atomic():
            batch: list[Incident] = []
            for n in range(start, min(start + CHUNK, incidents)):
                (blo_pk, _agency_pk), officer = pairs[rng.randrange(len(pairs))]
                containers = [
                    container(rng.randrange(500_000)) for _ in range(CONTAINERS_PER_INCIDENT)
                ]
                batch.append(
                    Incident(
                        reference=f"BENCH-{n:07d}",
                        blo_id=blo_pk,
                        country=officer.country,
                        agency=officer.agency,
                        recorded_by=officer,
                        distribution=pick(rng, DISTRIBUTIONS),
                        tlp="GREEN",
                        occurred_at=now - datetime.timedelta(minutes=n),
                        location_kind="international_checkpoint",
                        direction="entry",
                        crime_area="wildlife",
                        detection_method="scanner",
                        concealment_method="mixed_with_cargo",
                        conveyance="truck",
                        summary="Containers " + ", ".join(containers),
                    )
                )
            created = Incident.objects.bulk_create(batch)
            entries: list[NominalEntry] = []
            for incident in created:
                entries.append(
                    NominalEntry(
                        incident=incident,
                        kind="vehicle",
                        role="driver",
                        name="truck",
                        identifier=plate(rng.randrange(30_000)),
                        distribution=pick(rng, NOMINAL_DISTRIBUTIONS),
                    )
                )
                entries.append(
                    NominalEntry(
                        incident=incident,
                        kind="telephone",
                        role="suspect",
                        name="phone",
                        identifier=phone(rng.randrange(50_000)),
                        distribution=pick(rng, NOMINAL_DISTRIBUTIONS),
                    )
                )
            NominalEntry.objects.bulk_create(entries)
            rows: list[RecordIdentifier] = []
            for entry in entries:
                kind = IdentifierKind.PLATE if entry.kind == "vehicle" else IdentifierKind.PHONE
                rows.append(
                    RecordIdentifier(
                        kind=kind,
                        value=entry.identifier,
                        incident_id=entry.incident_id,
                        nominal_entry=entry,
                    )
                )
            for incident in created:
                for number in incident.summary.removeprefix("Containers ").split(", "):
                    rows.append(
                        RecordIdentifier(
                            kind=IdentifierKind.CONTAINER, value=number, incident=incident
                        )
                    )
            RecordIdentifier.objects.bulk_create(rows)
        if start % 20_000 == 0:
            print(f"  {start + CHUNK:,} incidents ({time.perf_counter() - started:.0f} s)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(call: object, repeat: int) -> list[float]:
    assert callable(call)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(name: str, times: list[float]) -> None:
    times = sorted(times)
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{name:<44} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   (n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not RecordIdentifier.objects.exists():
        print(f"Filling {args.incidents:,} incidents ({connection.vendor}) …")
        fill(args.incidents)
    total = RecordIdentifier.objects.count()
    print(f"{connection.vendor}: {total:,} identifier rows, {Incident.objects.count():,} incidents")
    officer = User.objects.filter(role=Role.OFFICER).order_by("pk").first()
    assert officer is not None
    rng = random.Random(6346)
    # Known values: ones the officer has read (so the lookup has something to find and to
    # filter), and values drawn from all, most of them named only in records the officer may not
    # read (what a lookup must keep quiet about).
    cases = []
    for kind in (IdentifierKind.PLATE, IdentifierKind.PHONE, IdentifierKind.CONTAINER):
        known = list(
            readable_identifiers(officer).filter(kind=kind).values_list("value", flat=True)[:2000]
        )
        cases.append((f"{kind.value}, known to the reader", kind, rng.sample(known, 50)))
    cases.append(
        ("plate, any", IdentifierKind.PLATE, [plate(rng.randrange(30_000)) for _ in range(50)])
    )
    for name, kind, values in cases:
        answers = [seen_before(officer, kind, v)["seen"] for v in values]
        times: list[float] = []
        for value in values:
            times += timed(lambda v=value, k=kind: seen_before(officer, k, v), args.repeat // 50)
        summary(f"seen before, {name} (mean {statistics.mean(answers):.1f} seen)", times)
    mine = list(
        Incident.objects.filter(recorded_by=officer)
        .order_by("pk")
        .values_list("pk", flat=True)[:50]
    )
    times = []
    related_counts = []
    for pk in mine:
        incident = Incident.objects.get(pk=pk)
        related_counts.append(len(related_records(officer, incident)))
        times += timed(lambda i=incident: related_records(officer, i), max(1, args.repeat // 50))
    summary(f"related records (mean {statistics.mean(related_counts):.1f} shown)", times)


if __name__ == "__main__":
    main()
