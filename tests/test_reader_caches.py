"""The cached counts and map markers (liaison.caching) are kept per reader and turned over by
every write: no reader is shown what another may see, nor counts a write has made stale."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from liaison.caching import data_version
from liaison.registry.models import BLO
from tests.builders import World, build_world, ensure_vocabulary, make_incident


@pytest.fixture
def world(db: None) -> World:
    ensure_vocabulary()
    world = build_world()
    # on the map: posts are drawn where the registry places them
    BLO.objects.filter(pk=world.moc_bai.pk).update(latitude="11.15", longitude="106.20")
    BLO.objects.filter(pk=world.pang_hok.pk).update(latitude="20.40", longitude="102.90")
    return world


def visible_total(client: Client) -> int:
    response = client.get("/exchange/")
    assert response.status_code == 200
    found = re.search(r'id="visible-total" data-count="(\d+)"', response.content.decode())
    assert found is not None
    return int(found.group(1))


def marker(client: Client, post: str) -> str:
    page = client.get("/exchange/").content.decode()
    found = re.search(rf"<title>{post}: (\d+)</title>", page)
    assert found is not None, re.findall(r"<title>[^<]*</title>", page)
    return found.group(1)


def signed_in(user: object) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_two_readers_of_different_audiences_never_get_each_others_cached_counts(
    world: World,
) -> None:
    # given two records of Moc Bai's post only, and one shared with the whole network
    make_incident(world.lan, distribution="blo")
    make_incident(world.minh, distribution="blo")
    make_incident(world.khamla, distribution="network", tlp="GREEN")
    lan, khamla = signed_in(world.lan), signed_in(world.khamla)
    # when Lan's counts are cached first, then Khamla (Pang Hok) opens the same page
    assert visible_total(lan) == 3
    assert visible_total(khamla) == 1
    # then each is served their own again, from the cache
    assert visible_total(lan) == 3
    assert visible_total(khamla) == 1
    # and so are the map's markers
    assert marker(lan, "Mộc Bài") == "2"
    assert marker(khamla, "Pang Hok") == "1"


def test_a_coordinator_and_an_officer_of_the_same_country_keep_their_own_counts(
    world: World,
) -> None:
    make_incident(world.lan, distribution="agency")
    make_incident(world.hung, distribution="national", tlp="GREEN")
    huong, hung = signed_in(world.huong), signed_in(world.hung)
    assert visible_total(huong) == 1  # the national record; Lan's agency record is her agency's
    assert visible_total(hung) == 1
    assert visible_total(signed_in(world.lan)) == 2
    assert visible_total(huong) == 1


def test_a_write_turns_the_cached_counts_over(world: World) -> None:
    # given Lan's counts, cached
    make_incident(world.lan, distribution="blo")
    lan = signed_in(world.lan)
    assert visible_total(lan) == 1
    # when Minh records another incident of their post
    make_incident(world.minh, distribution="blo")
    # then Lan's next page counts it
    assert visible_total(lan) == 2
    assert marker(lan, "Mộc Bài") == "2"


def test_the_version_turns_over_again_when_the_write_commits(
    world: World, django_capture_on_commit_callbacks
) -> None:
    # a worker that cached counts between the write and its commit keyed them by the version of
    # that moment: the commit turns the version over again, so they are never read
    before = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(world.lan, distribution="blo")
        during = data_version()
    assert during != before
    assert data_version() not in {before, during}


def test_a_page_view_is_not_a_write(world: World) -> None:
    make_incident(world.lan, distribution="blo")
    lan = signed_in(world.lan)
    lan.get("/exchange/incidents/")  # audited as a read of the list
    version = data_version()
    lan.get("/exchange/incidents/")
    assert data_version() == version


def test_the_dashboards_aggregates_are_read_once_until_a_write(world: World) -> None:
    make_incident(world.lan, distribution="blo")
    lan = signed_in(world.lan)
    with CaptureQueriesContext(connection) as first:
        lan.get("/exchange/")
    with CaptureQueriesContext(connection) as second:
        lan.get("/exchange/")
    grouped = [q["sql"] for q in second.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(second) < len(first)
    assert not [sql for sql in grouped if "GROUP BY" in sql.upper()]
