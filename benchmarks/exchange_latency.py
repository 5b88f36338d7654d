"""Exchange latency at scale: the dashboard, the lists and a filtered search over 1,000,000
incidents and 100,000 intelligence reports, for an officer, a head of BLO and a national
coordinator (who sees a whole country).

Not a test. Run against PostgreSQL (a database of its own; it is filled once and reused):

    createdb -h 127.0.0.1 -U postgres liaison_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_bench \
        uv run python benchmarks/exchange_latency.py --incidents 1000000

It builds a network of 100 BLOs in three countries, one officer per agency and BLO, and a
million incidents whose distributions follow a plausible SOP mix, so that one officer's visible
set is about 1 % of the table. It then times, for each persona, the full dashboard page (with
its cache emptied before every request — what a reader pays after any write — and warm), the
incident and intelligence lists and a filtered search page through Django's test client (p50/p95
over repeated requests), and for the officer the search query itself with and without the
permission filter (the ratio the README reports).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_bench \
        uv run python benchmarks/exchange_latency.py --incidents 1000000 --intelligence 100000
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
os.environ.setdefault("LIAISON_DATA_DIR", "/tmp/liaison-benchmark")  # noqa: S108

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from liaison.exchange.models import Incident, IntelligenceReport  # noqa: E402
from liaison.exchange.selectors import IncidentFilters, search_incidents  # noqa: E402
from liaison.reference.services import ensure_reference_loaded  # noqa: E402
from liaison.registry.models import BLO, Agency, AgencyKind, Country, Role, User  # noqa: E402

DISTRIBUTIONS = [
    ("agency", 0.30),
    ("blo", 0.4085),
    ("counterpart", 0.287),
    ("national", 0.003),
    ("network", 0.0015),
]
AREAS = [
    "drugs",
    "precursors",
    "human_trafficking",
    "migrant_smuggling",
    "wildlife",
    "timber",
    "ods",
    "hazardous_waste",
]
KINDS = [
    AgencyKind.PROVINCIAL_POLICE,
    AgencyKind.BORDER_ARMY,
    AgencyKind.CUSTOMS,
    AgencyKind.ANTI_NARCOTICS_POLICE,
    AgencyKind.ENVIRONMENTAL_POLICE,
]


def build_network() -> list[BLO]:
    if BLO.objects.filter(code__startswith="B-").count() == 100:
        return list(BLO.objects.filter(code__startswith="B-").order_by("code"))
    countries = {}
    for code, name, lang in (
        ("VN", "Viet Nam", "vi"),
        ("LA", "Lao PDR", "lo"),
        ("KH", "Cambodia", "km"),
    ):
        countries[code], _ = Country.objects.get_or_create(
            code=code, defaults={"name_en": name, "language": lang}
        )
    agencies = {
        (c, kind): Agency.objects.get_or_create(
            code=f"A-{c}-{i}",
            defaults={"country": countries[c], "kind": kind, "name_en": f"{c} {kind}"},
        )[0]
        for c in countries
        for i, kind in enumerate(KINDS)
    }
    blos = []
    layout = [("VN", 40), ("LA", 30), ("KH", 30)]
    for country, count in layout:
        for n in range(count):
            blo, _ = BLO.objects.get_or_create(
                code=f"B-{country}-{n:02d}",
                defaults={"country": countries[country], "name_en": f"{country} post {n}"},
            )
            blo.agencies.set([agencies[(country, k)] for k in KINDS])
            blos.append(blo)
            for k in KINDS:
                User.objects.get_or_create(
                    username=f"u-{blo.code}-{k}",
                    defaults={
                        "role": Role.OFFICER,
                        "country": countries[country],
                        "blo": blo,
                        "agency": agencies[(country, k)],
                    },
                )
    # Viet Nam's posts pair with Lao (the first 20) and Cambodian (the last 20) posts.
    vn = [b for b in blos if b.country.code == "VN"]
    for i, blo in enumerate(vn):
        partner = BLO.objects.get(code=f"B-LA-{i:02d}" if i < 20 else f"B-KH-{i - 20:02d}")
        blo.counterparts.add(partner)
    return blos


def fill(total: int, blos: list[BLO]) -> None:
    existing = Incident.objects.count()
    if existing >= total:
        print(f"{existing} incidents already present")
        return
    rng = random.Random(2026)
    officers: dict[int, list[User]] = {}
    for user in User.objects.filter(username__startswith="u-B-").select_related("blo"):
        officers.setdefault(user.blo_id or 0, []).append(user)
    distributions = [d for d, _ in DISTRIBUTIONS]
    weights = [w for _, w in DISTRIBUTIONS]
    now = timezone.now()
    columns = (
        "reference, blo_id, country_id, agency_id, recorded_by_id, distribution, tlp, version, created_at, updated_at, "
        "occurred_at, location_kind, direction, crime_area, detection_method, concealment_method, conveyance, "
        "origin_country, transit_countries, destination_country, summary, summary_language"
    )
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY exchange_incident ({columns}) FROM STDIN") as copy,
    ):
        for n in range(existing, total):
            blo = blos[rng.randrange(len(blos))]
            officer = rng.choice(officers[blo.pk])
            when = now - datetime.timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
            copy.write_row(
                (
                    f"BENCH-{n:07d}",
                    blo.pk,
                    blo.country_id,
                    officer.agency_id,
                    officer.pk,
                    rng.choices(distributions, weights)[0],
                    "GREEN",
                    1,
                    when,
                    when,
                    when,
                    "international_checkpoint",
                    "entry",
                    rng.choice(AREAS),
                    "scanner",
                    "luggage",
                    "truck",
                    "",
                    "",
                    "",
                    "",
                    "vi",
                )
            )
    connection.commit() if not connection.get_autocommit() else None
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE exchange_incident")
    print(f"inserted {total - existing} incidents in {time.perf_counter() - started:.0f} s")


def fill_intelligence(total: int, blos: list[BLO]) -> None:
    existing = IntelligenceReport.objects.count()
    if existing >= total:
        print(f"{existing} intelligence reports already present")
        return
    rng = random.Random(2027)
    officers: dict[int, list[User]] = {}
    for user in User.objects.filter(username__startswith="u-B-"):
        assert user.blo_id is not None
        officers.setdefault(user.blo_id, []).append(user)
    distributions = [d for d, _ in DISTRIBUTIONS]
    weights = [w for _, w in DISTRIBUTIONS]
    now = timezone.now()
    columns = (
        "reference, blo_id, country_id, agency_id, recorded_by_id, distribution, tlp, version, "
        "created_at, updated_at, title, crime_area, source_reliability, information_credibility, "
        "body, body_language, route"
    )
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY exchange_intelligencereport ({columns}) FROM STDIN") as copy,
    ):
        for n in range(existing, total):
            blo = blos[rng.randrange(len(blos))]
            officer = rng.choice(officers[blo.pk])
            when = now - datetime.timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
            copy.write_row(
                (
                    f"BENCH-INT-{n:07d}",
                    blo.pk,
                    blo.country_id,
                    officer.agency_id,
                    officer.pk,
                    rng.choices(distributions, weights)[0],
                    "GREEN",
                    1,
                    when,
                    when,
                    "Route",
                    rng.choice(AREAS),
                    "B",
                    "2",
                    "A report.",
                    "vi",
                    "",
                )
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE exchange_intelligencereport")
    print(
        f"inserted {total - existing} intelligence reports in {time.perf_counter() - started:.0f} s"
    )


def personas() -> dict[str, User]:
    """An officer, the head of the same post, and the national coordinator of its country."""
    officer = User.objects.get(username=f"u-B-VN-05-{AgencyKind.CUSTOMS}")
    assert officer.blo is not None
    head, _ = User.objects.get_or_create(
        username="head-B-VN-05",
        defaults={
            "role": Role.HEAD_OF_BLO,
            "country": officer.country,
            "blo": officer.blo,
            "agency": officer.agency,
        },
    )
    coordinator, _ = User.objects.get_or_create(
        username="coordinator-VN",
        defaults={"role": Role.NATIONAL_COORDINATOR, "country": officer.country},
    )
    return {"officer": officer, "head of BLO": head, "national coordinator": coordinator}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--intelligence", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL=postgres://…).")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        # the server's statement timeout bounds a request; loading a million rows takes longer
        cursor.execute("SET statement_timeout = 0")
    ensure_reference_loaded()
    blos = build_network()
    fill(args.incidents, blos)
    fill_intelligence(args.intelligence, blos)
    people = personas()
    officer = people["officer"]
    total = Incident.objects.count()
    six_months = (timezone.localdate() - datetime.timedelta(days=182)).isoformat()
    search_url = f"/exchange/incidents/?area=drugs&date_from={six_months}"
    for role, user in people.items():
        visible_count = search_incidents(user, IncidentFilters()).count()
        print(
            f"\n{role} ({user.username}): sees {visible_count} of {total} incidents "
            f"({100 * visible_count / total:.2f} %)"
        )
        client = Client()
        client.force_login(user)

        pages = [
            # emptied before every request: what a reader pays after any write
            ("dashboard, cache emptied", "/exchange/", True),
            ("dashboard, warm", "/exchange/", False),
            ("incident list", "/exchange/incidents/", False),
            ("filtered search page", search_url, False),
            ("intelligence list", "/exchange/intelligence/", False),
        ]
        for name, url, cold in pages:

            def fetch(client: Client = client, url: str = url, cold: bool = cold) -> int:
                if cold:
                    cache.clear()
                return client.get(url).status_code

            assert fetch() == 200, name
            samples = timed(fetch, args.runs)
            print(
                f"  {name}: p50 {percentile(samples, 50):.1f} ms, "
                f"p95 {percentile(samples, 95):.1f} ms ({args.runs} requests)"
            )

    filters = IncidentFilters(area="drugs", date_from=datetime.date.fromisoformat(six_months))

    def permitted() -> None:
        found = search_incidents(officer, filters)
        found.count()
        list(found.order_by("-occurred_at")[:25])

    def unfiltered() -> None:
        found = Incident.objects.filter(
            crime_area="drugs", occurred_at__date__gte=filters.date_from
        )
        found.count()
        list(found.order_by("-occurred_at")[:25])

    with_filter = timed(permitted, args.runs)
    without = timed(unfiltered, args.runs)
    ratio = statistics.median(with_filter) / statistics.median(without)
    print(
        f"search query (count + first page): with permission filter p50 {statistics.median(with_filter):.1f} ms, "
        f"p95 {percentile(with_filter, 95):.1f} ms; without p50 {statistics.median(without):.1f} ms, "
        f"p95 {percentile(without, 95):.1f} ms; ratio {ratio:.2f}"
    )


if __name__ == "__main__":
    main()
