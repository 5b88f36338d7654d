"""The coordination page: per post of a coordinator's country, from what she may read only."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaison.exchange.coordination import Coordination, PostRow, coordination
from liaison.exchange.models import Alert, AlertDelivery, InformationRequest
from liaison.exchange.services import (
    do_answer_request,
    do_ask_for_information,
    do_send_alert,
)
from liaison.registry.models import BLO, User
from tests.builders import make_incident, make_officer, pair

MINUTE = datetime.timedelta(minutes=1)


def alert(
    sender: User,
    *,
    to: list[BLO] | None = None,
    ago: datetime.timedelta = datetime.timedelta(hours=3),
    acknowledged_after: datetime.timedelta | None = None,
) -> Alert:
    sent = do_send_alert(
        Alert(subject="Hino truck 70C-123.45", body="Check the cashew cargo"),
        to_blos=to,
        actor=sender,
    )
    sent_at = timezone.now() - ago
    Alert.objects.filter(pk=sent.pk).update(sent_at=sent_at)
    if acknowledged_after is not None:
        AlertDelivery.objects.filter(alert=sent).update(
            acknowledged_at=sent_at + acknowledged_after
        )
    return sent


def ask(
    asker: User, to: BLO, *, deadline_in_days: int = 7, question: str = "Who owns the truck?"
) -> InformationRequest:
    return do_ask_for_information(
        InformationRequest(
            to_blo=to,
            question=question,
            question_language="vi",
            deadline=timezone.localdate() + datetime.timedelta(days=deadline_in_days),
        ),
        actor=asker,
    )


@pytest.fixture
def traffic(exchange_world):
    """Alerts, requests and incidents between the posts of three countries."""
    w = exchange_world
    # Bavet (KH) alerts Moc Bai (VN) three times; Moc Bai acknowledges after 10, 20 and 60 min
    for minutes in (10, 20, 60):
        alert(w.dara, acknowledged_after=minutes * MINUTE)
    # Moc Bai alerts Bavet two days ago; nobody at Bavet has acknowledged it
    w.unanswered_alert = alert(w.lan, ago=datetime.timedelta(days=2))
    # Dien Bien (VN) alerts Pang Hok (LA), acknowledged after 2 hours
    alert(w.hung, acknowledged_after=120 * MINUTE)
    # Chrey Thom (KH) and Pang Hok (LA), paired, exchange an alert and a request: not Viet Nam's
    pair(w.chrey_thom, w.pang_hok)
    alert(w.sophea, ago=datetime.timedelta(days=3))
    ask(w.sophea, w.pang_hok)
    # Bavet asks Moc Bai twice: one answered after 3 hours, one left open past its deadline
    answered = ask(w.dara, w.moc_bai)
    InformationRequest.objects.filter(pk=answered.pk).update(
        asked_at=timezone.now() - datetime.timedelta(hours=5)
    )
    answered.refresh_from_db()
    do_answer_request(answered, "Nguyễn Văn B", language="vi", actor=w.lan)
    InformationRequest.objects.filter(pk=answered.pk).update(
        answered_at=answered.asked_at + datetime.timedelta(hours=3)
    )
    w.overdue_request = ask(w.dara, w.moc_bai, question="Where did the cargo come from?")
    InformationRequest.objects.filter(pk=w.overdue_request.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=2)
    )
    # incidents: national and network ones are Hương's to read, a post-only one is not
    make_incident(w.lan, distribution="national", tlp="GREEN", crime_area="wildlife")
    make_incident(w.minh, distribution="network", tlp="GREEN", crime_area="drugs")
    make_incident(w.lan, distribution="blo", crime_area="drugs")
    make_incident(w.hung, distribution="counterpart", crime_area="timber")
    make_incident(w.dara, distribution="network", tlp="GREEN", crime_area="wildlife")
    return w


def row(data: Coordination, blo: BLO) -> PostRow:
    [found] = [r for r in data.posts if r.blo == blo]
    return found


def test_coordinator_sees_her_posts_timings_and_counts(traffic) -> None:
    # when Hương, Viet Nam's coordinator, reads the coordination figures
    data = coordination(traffic.huong)

    # then only Viet Nam's posts are rows
    assert [r.blo for r in data.posts] == [traffic.dien_bien, traffic.moc_bai]
    moc_bai = row(data, traffic.moc_bai)
    assert (moc_bai.alerts_sent, moc_bai.alerts_received, moc_bai.unacknowledged) == (1, 3, 0)
    assert moc_bai.median_to_acknowledge == 20 * MINUTE
    # percentile_cont: 20 + (60 - 20) × 0.8
    assert moc_bai.p90_to_acknowledge is not None
    assert abs(moc_bai.p90_to_acknowledge - 52 * MINUTE) < datetime.timedelta(seconds=1)
    assert (
        moc_bai.requests_received,
        moc_bai.requests_open,
        moc_bai.requests_answered,
        moc_bai.requests_overdue,
    ) == (2, 1, 1, 1)
    assert moc_bai.median_to_answer is not None
    assert abs(moc_bai.median_to_answer - datetime.timedelta(hours=3)) < MINUTE
    # the post-only drugs seizure is not hers to read, so it is not counted
    assert moc_bai.incidents == {"wildlife": 1, "drugs": 1}
    dien_bien = row(data, traffic.dien_bien)
    assert (dien_bien.alerts_sent, dien_bien.alerts_received) == (1, 0)
    assert dien_bien.median_to_acknowledge is None
    assert dien_bien.incidents == {}


def test_overdue_lists_hold_only_her_countrys_exchanges(traffic) -> None:
    data = coordination(traffic.huong)
    # the alert from Moc Bai that Bavet has not acknowledged; not Chrey Thom's to Pang Hok
    assert [d.alert for d in data.overdue_alerts] == [traffic.unanswered_alert]
    assert [r.pk for r in data.overdue_requests] == [traffic.overdue_request.pk]
    # she reads neither record's text, so neither is linked
    assert not getattr(data.overdue_alerts[0], "readable")  # noqa: B009 (an annotation)
    assert not getattr(data.overdue_requests[0], "readable")  # noqa: B009


def test_another_countrys_coordinator_sees_her_own_posts(traffic) -> None:
    data = coordination(traffic.vanna)
    assert [r.blo for r in data.posts] == [traffic.bavet, traffic.chrey_thom]
    bavet = row(data, traffic.bavet)
    assert (bavet.alerts_sent, bavet.alerts_received, bavet.unacknowledged) == (3, 1, 1)
    assert bavet.requests_sent == 2
    chrey_thom = row(data, traffic.chrey_thom)
    assert (chrey_thom.alerts_sent, chrey_thom.requests_sent) == (1, 1)
    assert bavet.incidents == {"wildlife": 1}


def test_page_shows_figures_and_never_the_text(traffic) -> None:
    client = Client()
    client.force_login(traffic.huong)
    response = client.get("/exchange/coordination/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-blo="VN-MOCBAI"' in page
    assert "20 phút" in page and "52 phút" in page  # Hương reads Vietnamese
    for text in ("Hino truck", "cashew", "Who owns the truck", "Nguyễn Văn B", "cargo come"):
        assert text not in page
    # references of records she may not read are not shown either
    assert traffic.unanswered_alert.reference not in page
    assert traffic.overdue_request.reference not in page
    assert "Mộc Bài" in page or "Moc Bai" in page


def test_dashboard_links_the_coordination_page_for_a_coordinator_only(traffic) -> None:
    client = Client()
    client.force_login(traffic.huong)
    assert "/exchange/coordination/" in client.get("/exchange/").content.decode()
    client.force_login(traffic.lan)
    assert "/exchange/coordination/" not in client.get("/exchange/").content.decode()


@pytest.mark.parametrize("persona", ["lan", "tuan", "dara", "ainsley", "root"])
def test_others_are_refused_the_coordination_page(exchange_world, persona) -> None:
    client = Client()
    client.force_login(getattr(exchange_world, persona))
    assert client.get("/exchange/coordination/").status_code == 403


def test_coordination_reads_a_fixed_number_of_queries(traffic) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            coordination(traffic.huong)
        return len(queries)

    small = count()
    # more of everything: the figures are aggregates, not a query per row
    for n in range(5):
        alert(traffic.dara, acknowledged_after=(n + 1) * MINUTE)
        alert(traffic.lan, ago=datetime.timedelta(days=2))
        ask(traffic.dara, traffic.moc_bai)
        make_incident(traffic.lan, distribution="national", tlp="GREEN")
    make_officer(traffic.dien_bien, traffic.vn_police, "extra")
    assert count() == small
    assert small <= 12
