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


def listed(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/exchange/incidents/{query}")
    assert response.status_code == 200
    return re.findall(r'<a href="/exchange/incidents/([^/"]+)/">', response.content.decode())


def test_the_incident_list_is_read_once_per_reader_until_a_write(world: World) -> None:
    # given a page of Lan's list, read once
    first = make_incident(world.lan, distribution="blo")
    lan = signed_in(world.lan)
    assert listed(lan) == [first.reference]
    # when she reads it again, the incidents are not queried again (the read is still audited)
    with CaptureQueriesContext(connection) as again:
        assert listed(lan) == [first.reference]
    assert not [q for q in again.captured_queries if "exchange_incident" in q["sql"]]
    assert [q for q in again.captured_queries if "INSERT INTO" in q["sql"] and "audit" in q["sql"]]
    # and when Minh records another incident of their post, her next page lists it
    second = make_incident(world.minh, distribution="blo", days_ago=0)
    assert listed(lan) == [second.reference, first.reference]


def test_a_narrowed_record_leaves_every_cached_list_at_once(world: World) -> None:
    from liaison.exchange.models import Distribution
    from liaison.exchange.services import do_share_record

    # given a record shared with the whole network, in Khamla's (Pang Hok) cached list
    record = make_incident(world.lan, distribution="network", tlp="GREEN")
    khamla = signed_in(world.khamla)
    assert listed(khamla) == [record.reference]
    assert listed(khamla, "?area=wildlife") == [record.reference]
    # when Lan narrows it to her post
    do_share_record(record, Distribution.BLO, actor=world.lan)
    # then no cached page of Khamla's shows it any more, filtered or not
    assert listed(khamla) == []
    assert listed(khamla, "?area=wildlife") == []
    assert listed(signed_in(world.lan)) == [record.reference]


def test_two_readers_never_share_a_cached_list_page(world: World) -> None:
    mine = make_incident(world.lan, distribution="blo")
    theirs = make_incident(world.khamla, distribution="blo")
    lan, khamla = signed_in(world.lan), signed_in(world.khamla)
    for _ in range(2):  # the second time, from each reader's cache
        assert listed(lan) == [mine.reference]
        assert listed(khamla) == [theirs.reference]


@pytest.mark.parametrize(
    ("path", "english", "vietnamese"),
    [
        ("/exchange/incidents/", "<td>Wildlife</td>", "<td>Động vật, thực vật hoang dã</td>"),
        ("/exchange/", "Alerts to acknowledge", "Cảnh báo cần xác nhận"),  # drawn whole
    ],
)
def test_one_reader_changing_language_gets_the_page_in_the_new_one(
    world: World, path: str, english: str, vietnamese: str
) -> None:
    make_incident(world.lan, distribution="blo", crime_area="wildlife")
    world.lan.preferred_language = "en"
    world.lan.save(update_fields=["preferred_language"])
    lan = signed_in(world.lan)
    assert english in lan.get(path).content.decode()
    # a change of language is no write to the records: the cached English page is not shown
    world.lan.preferred_language = "vi"
    world.lan.save(update_fields=["preferred_language"])
    page = lan.get(path).content.decode()
    assert vietnamese in page
    assert english not in page


def test_an_entry_another_version_of_the_code_wrote_is_read_as_a_miss(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import liaison.caching

    class Unreadable:
        """A cache whose entries were pickled by another version of the code."""

        def get(self, key: str, default: object = None) -> object:
            if key == liaison.caching.VERSION_KEY:
                return "v1"
            raise AttributeError("Can't get attribute 'ListedPage' on <module ...>")

        def set(self, key: str, value: object, timeout: object = None) -> None:
            self.stored = value

        def add(self, key: str, value: object, timeout: object = None) -> bool:
            return True

    monkeypatch.setattr(liaison.caching, "cache", Unreadable())
    # the value is computed afresh instead of the page failing
    assert liaison.caching.for_reader(world.lan, "probe", lambda: "fresh") == "fresh"
    assert liaison.caching.shared("probe", lambda: "shared") == "shared"


def test_the_dashboard_is_drawn_once_per_reader_until_a_write(world: World) -> None:
    record = make_incident(world.lan, distribution="blo")
    lan = signed_in(world.lan)
    assert visible_total(lan) == 1
    # when she opens it again, nothing of the exchange is read: the drawn content is kept
    with CaptureQueriesContext(connection) as again:
        assert visible_total(lan) == 1
    assert not [q for q in again.captured_queries if "exchange_" in q["sql"]]
    # and a write draws it anew, for her and for Khamla, who still sees only his own
    make_incident(world.minh, distribution="blo")
    assert visible_total(lan) == 2
    assert visible_total(signed_in(world.khamla)) == 0
    assert record.reference not in signed_in(world.khamla).get("/exchange/").content.decode()


def search_choices(client: Client, query: str = "") -> list[str]:
    page = client.get(f"/exchange/incidents/{query}").content.decode()
    select = re.search(r'<select name="blo".*?</select>', page, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]+)"', select.group(0))


def test_the_drawn_search_fields_are_each_readers_own_with_their_values(world: World) -> None:
    lan, khamla = signed_in(world.lan), signed_in(world.khamla)
    for _ in range(2):  # the second time, from each reader's cache
        assert world.moc_bai.code in search_choices(lan)
        assert world.pang_hok.code not in search_choices(lan)
        assert world.pang_hok.code in search_choices(khamla)
        assert world.moc_bai.code not in search_choices(khamla)
    # what a reader typed comes back in the field, escaped, and only for that query
    page = lan.get("/exchange/incidents/?text=%3Cscript%3Ex%3C/script%3E").content.decode()
    assert 'value="&lt;script&gt;x&lt;/script&gt;"' in page
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;" not in lan.get("/exchange/incidents/").content.decode()
    # and a refused value is named under its field for that query alone
    bad = lan.get("/exchange/incidents/?date_from=31-31-2026").content.decode()
    assert 'class="error"' in bad
    assert (
        'class="error"' not in lan.get("/exchange/incidents/?date_from=2026-01-01").content.decode()
    )
