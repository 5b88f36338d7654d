"""Every page and API endpoint answers within a fixed number of SQL queries, whatever the data size.

Each persona of ``tests/builders.py`` opens every page the URL resolver knows (arguments filled
as in test_endpoints_denied, plus the real record pages of the world), first in a small world,
then in the same world with more records of every kind. A page fails when its count passes its
budget or grows with the rows (a per-row query: a missing ``select_related``/``prefetch_related``,
a count per table row, the audience computed again for every record).

The caches are emptied before each request, so the count is the one a reader pays after a write.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaison.exchange.models import TLP, Alert, InformationRequest, IntelligenceReport
from liaison.exchange.services import do_ask_for_information, do_record_intelligence, do_send_alert
from liaison.reference.models import CrimeArea
from liaison.registry.models import User
from tests.builders import World, build_world, ensure_vocabulary, make_incident
from tests.test_endpoints_denied import ENDPOINTS, POST_ONLY

PERSONAS = [
    "lan",
    "minh",
    "hung",
    "tuan",
    "binh",
    "huong",
    "dara",
    "sophea",
    "vanna",
    "khamla",
    "ainsley",
    "root",
]
# Pages that answer with a file or a long document: their budget is not a page's.
SKIPPED_PREFIXES = ("/static/",)
BUDGET = 30
"""Queries a page may make: the session and its user, the audience, the page's own reads (one
per table shown), the cards of the home page and the menu."""
BUDGETS: dict[str, int] = {}
"""Pages that read more tables than most, with their own fixed budget."""

WRITERS = ["lan", "minh", "hung", "tuan", "dara"]
DISTRIBUTIONS = ["agency", "blo", "counterpart", "national", "network"]


def grow(world: World, rounds: int) -> None:
    """Add records of every kind the pages list: incidents of every distribution, intelligence,
    alerts and requests for information, by officers of several posts and countries."""
    for _ in range(rounds):
        for name in WRITERS:
            writer: User = getattr(world, name)
            for distribution in DISTRIBUTIONS:
                make_incident(
                    writer,
                    distribution=distribution,
                    tlp="GREEN" if distribution in {"national", "network"} else "AMBER",
                    nominal=[{"kind": "person", "role": "suspect", "name": "Trần Văn A"}]
                    if distribution == "blo"
                    else None,
                )
            do_record_intelligence(
                IntelligenceReport(
                    blo=writer.blo,
                    title="Route",
                    crime_area=CrimeArea.WILDLIFE,
                    source_reliability="B",
                    information_credibility="2",
                    body="A report.",
                    body_language="vi",
                    tlp=TLP.AMBER,
                    distribution="blo",
                ),
                source="a source",
                actor=writer,
            )
            do_send_alert(
                Alert(subject="Truck", body="Check it.", body_language="vi", tlp=TLP.AMBER),
                actor=writer,
            )
            assert writer.blo is not None
            partner = writer.blo.counterparts.first()
            if partner is not None:
                do_ask_for_information(
                    InformationRequest(
                        to_blo=partner,
                        question="Who is it?",
                        question_language="vi",
                        deadline=timezone.localdate() + datetime.timedelta(days=7),
                    ),
                    actor=writer,
                )


def pages(world: World, reader: User) -> list[str]:
    from liaison.exchange.models import Alert, Incident, InformationRequest, IntelligenceReport
    from liaison.registry.permissions import visible

    urls = [
        url
        for name, url in ENDPOINTS
        if name not in POST_ONLY and not url.startswith(SKIPPED_PREFIXES)
    ]
    first = {
        "incidents": visible(reader, Incident).order_by("pk").first(),
        "intelligence": visible(reader, IntelligenceReport).order_by("pk").first(),
        "alerts": visible(reader, Alert).order_by("pk").first(),
        "requests": visible(reader, InformationRequest).order_by("pk").first(),
    }
    for kind, record in first.items():
        if record is None:
            continue
        urls.append(f"/exchange/{kind}/{record.reference}/")
        if kind in {"incidents", "intelligence"}:
            urls += [f"/exchange/{kind}/{record.reference}/{page}/" for page in ("edit", "share")]
    return [*urls, f"/registry/blos/{world.moc_bai.code}/"]


def count(client: Client, url: str) -> tuple[int, int]:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, len(queries)


def measure(world: World, persona: str) -> dict[str, tuple[int, int]]:
    reader: User = getattr(world, persona)
    client = Client()
    client.force_login(reader)
    return {url: count(client, url) for url in pages(world, reader)}


@pytest.fixture
def grown_world(db: None) -> World:
    ensure_vocabulary()
    world = build_world()
    grow(world, 1)
    return world


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_keeps_its_query_budget_as_the_data_grows(
    grown_world: World, persona: str
) -> None:
    # given the small world, each page's count
    small = measure(grown_world, persona)
    # when the same world holds three times the records
    grow(grown_world, 2)
    large = measure(grown_world, persona)
    # then no page passes its budget, and none grows with the rows
    over = {url: n for url, (_status, n) in large.items() if n > BUDGETS.get(url, BUDGET)}
    growing = {url: (small[url][1], n) for url, (_status, n) in large.items() if n > small[url][1]}
    assert not over, f"over budget: {over}"
    assert not growing, f"growing with the rows: {growing}"
