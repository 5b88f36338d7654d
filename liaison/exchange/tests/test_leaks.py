"""No endpoint leaks a record, a count or a search hit to anyone outside its distribution.

Hypothesis generates records across BLOs, agencies, countries and distributions; an oracle written
from the SOP (not from the SQL filter) says who may read each; every list, search, count, export,
dashboard and API endpoint is then asked by every persona.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaison.exchange.models import Distribution, Incident, SharingGroup
from tests.builders import exported, make_incident

AUTHORS = ["lan", "thu", "minh", "tuan", "hung", "binh", "dara", "sophea", "khamla"]
READERS = [
    "lan",
    "thu",
    "minh",
    "tuan",
    "hung",
    "binh",
    "huong",
    "dara",
    "sophea",
    "vanna",
    "khamla",
    "ainsley",
    "root",
]
AREAS = ["drugs", "wildlife", "migrant_smuggling", "ods"]


@dataclass(frozen=True)
class Spec:
    author: str
    distribution: str
    area: str


specs = st.lists(
    st.builds(
        Spec,
        author=st.sampled_from(AUTHORS),
        distribution=st.sampled_from([d.value for d in Distribution]),
        area=st.sampled_from(AREAS),
    ),
    min_size=1,
    max_size=4,
)
group_members = st.sets(st.sampled_from(READERS), max_size=4)


def may_read(world, reader: str, author: str, distribution: str, members: set[str]) -> bool:
    """The SOP, restated independently of the query that enforces it."""
    r, a = getattr(world, reader), getattr(world, author)
    if reader == author:
        return True
    if distribution == "group" and reader in members:
        return True
    if r.role not in {"officer", "head_of_blo", "national_coordinator"}:
        return False
    same_post = r.blo_id is not None and r.blo_id == a.blo_id
    if distribution == "agency":
        return same_post and r.agency_id == a.agency_id
    if distribution in {"blo", "group"}:
        return same_post
    if distribution == "counterpart":
        paired = r.blo_id is not None and a.blo.counterparts.filter(pk=r.blo_id).exists()
        return same_post or paired
    if distribution == "national":
        return bool(r.country_id == a.country_id)
    return distribution == "network"


def client(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def references(text: str, known: set[str]) -> set[str]:
    return {ref for ref in known if ref in text}


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=specs, members=group_members)
def test_no_endpoint_leaks_outside_the_distribution(exchange_world, records, members) -> None:
    world = exchange_world
    with transaction.atomic():
        group = SharingGroup.objects.create(name="Task force", created_by=world.lan)
        # Only a member shares with a group: each author of a group record joins it first.
        members = members | {s.author for s in records if s.distribution == "group"}
        group.members.set([getattr(world, m) for m in members])
        created: dict[str, Spec] = {}
        for spec in records:
            incident = make_incident(
                getattr(world, spec.author),
                distribution=spec.distribution,
                tlp="GREEN",
                crime_area=spec.area,
                commodity="drug:heroin" if spec.area == "drugs" else "species:manis-javanica",
                group=group if spec.distribution == "group" else None,
                summary=f"needle-{len(created)}",
            )
            created[incident.reference] = spec
        group_author_members = members
        all_refs = set(created)
        for reader in READERS:
            user = getattr(world, reader)
            expected = {
                ref
                for ref, spec in created.items()
                if may_read(world, reader, spec.author, spec.distribution, group_author_members)
            }
            expected_by_area = {a: {r for r in expected if created[r].area == a} for a in AREAS}
            c = client(user)
            where = (
                f"{reader} reading {[(r, s.author, s.distribution) for r, s in created.items()]}"
            )
            # lists and searches
            assert (
                references(c.get("/exchange/incidents/").content.decode(), all_refs) == expected
            ), where
            area = records[0].area  # a filtered search, on an area the example holds
            page = c.get(f"/exchange/incidents/?area={area}").content.decode()
            assert references(page, all_refs) == expected_by_area[area], where
            text_search = c.get("/exchange/incidents/?text=needle").content.decode()
            assert references(text_search, all_refs) == expected, where
            # counts on the dashboard and in the API
            dashboard = c.get("/exchange/").content.decode()
            assert f'id="visible-total" data-count="{len(expected)}"' in dashboard, where
            counts = c.get("/api/exchange/counts").json()
            assert sum(row["count"] for row in counts) == len(expected), where
            api = c.get("/api/exchange/incidents?limit=500").json()
            assert api["count"] == len(expected), where
            assert {i["reference"] for i in api["results"]} == expected, where
            api_area = c.get(f"/api/exchange/incidents?area={area}").json()
            assert api_area["count"] == len(expected_by_area[area]), where
            # exports
            csv_file = exported(c, "/exchange/incidents/export.csv").content.decode("utf-8-sig")
            assert references(csv_file, all_refs) == expected, where
            vrs_file = exported(c, "/exchange/incidents/vrs-msrc.csv")
            vrs = vrs_file.content.decode("utf-8-sig")
            assert references(vrs, all_refs) == expected_by_area["migrant_smuggling"], where
            # one record at a time: page, PDF and API detail answer only its readers
            for ref in all_refs:
                allowed = ref in expected
                assert (c.get(f"/exchange/incidents/{ref}/").status_code == 200) is allowed, (
                    where,
                    ref,
                )
                assert (c.get(f"/api/exchange/incidents/{ref}").status_code == 200) is allowed, (
                    where,
                    ref,
                )
        transaction.set_rollback(True)
    assert not Incident.objects.exists()
