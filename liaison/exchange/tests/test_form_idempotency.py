"""``Idempotency-Key`` on the HTML form posts a tablet's outbox replays: a retry never records
twice, and a key is never reused for another submission."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from liaison.audit.models import AuditEntry
from liaison.exchange.models import (
    Alert,
    AlertDelivery,
    IdempotencyKey,
    Incident,
    InformationRequest,
    IntelligenceReport,
)
from liaison.exchange.services import do_ask_for_information, do_close_request, do_send_alert
from tests.builders import make_incident


def signed_in(user: Any) -> Client:
    user.preferred_language = "en"
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def report(world: Any, **changes: Any) -> dict[str, Any]:
    return {
        "blo": world.moc_bai.pk,
        "title": "Pangolin route through Bavet",
        "crime_area": "wildlife",
        "source_reliability": "B",
        "information_credibility": "2",
        "body": "Scales move by night in cashew sacks.",
        "body_language": "en",
        "tlp": "AMBER",
        "distribution": "blo",
        **changes,
    }


def post(client: Client, path: str, data: dict[str, Any], key: str | None) -> Any:
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(path, data, headers=headers)


def test_the_same_intelligence_sent_twice_with_one_key_is_recorded_once(exchange_world) -> None:
    # given Lan's tablet sent a report, and sends it again because the answer never came
    lan = signed_in(exchange_world.lan)
    first = post(lan, "/exchange/intelligence/new/", report(exchange_world), "tablet-key-1")
    again = post(lan, "/exchange/intelligence/new/", report(exchange_world), "tablet-key-1")
    # then one report, one audit entry for it, and both answers point to it
    recorded = IntelligenceReport.objects.get()
    assert first.status_code == again.status_code == 201
    assert first["Location"] == again["Location"] == recorded.get_absolute_url()
    assert AuditEntry.objects.filter(object_id=str(recorded.pk)).count() >= 1
    assert IdempotencyKey.objects.filter(user=exchange_world.lan).count() == 1
    # and the page she opens next says nothing was recorded twice
    page = lan.get(again["Location"]).content.decode()
    assert "nothing was recorded twice" in page


def test_a_replay_after_the_page_was_reloaded_carries_another_csrf_token(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    post(lan, "/exchange/intelligence/new/", report(exchange_world), "k-csrf")
    replay = report(exchange_world, csrfmiddlewaretoken="a-token-of-another-page")
    assert post(lan, "/exchange/intelligence/new/", replay, "k-csrf").status_code == 201
    assert IntelligenceReport.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    post(lan, "/exchange/intelligence/new/", report(exchange_world), "k-1")
    other = post(lan, "/exchange/intelligence/new/", report(exchange_world, title="Other"), "k-1")
    assert other.status_code == 422
    assert "Idempotency-Key" in other.content.decode()
    assert IntelligenceReport.objects.count() == 1


def test_a_key_of_one_form_is_refused_on_another(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    post(lan, "/exchange/intelligence/new/", report(exchange_world), "k-shared")
    response = post(lan, "/exchange/incidents/new/", report(exchange_world), "k-shared")
    assert response.status_code == 422
    assert not Incident.objects.exists()


def test_a_malformed_key_is_refused_before_anything_is_recorded(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    for key in ("", "x" * 201, "has space", "é"):
        response = post(lan, "/exchange/intelligence/new/", report(exchange_world), key)
        assert response.status_code == 400, key
    assert not IntelligenceReport.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_keys_belong_to_their_user(exchange_world) -> None:
    post(signed_in(exchange_world.lan), "/exchange/intelligence/new/", report(exchange_world), "k")
    thu = post(
        signed_in(exchange_world.thu), "/exchange/intelligence/new/", report(exchange_world), "k"
    )
    assert thu.status_code == 201
    assert IntelligenceReport.objects.count() == 2


def test_a_form_with_errors_keeps_no_key_and_can_be_sent_again_fixed(exchange_world) -> None:
    # given a replay the server refuses as it stands (an incident she may not read)
    lan = signed_in(exchange_world.lan)
    hidden = make_incident(exchange_world.dara, distribution="blo")
    refused = post(
        lan, "/exchange/intelligence/new/", report(exchange_world, incidents=[hidden.pk]), "k-2"
    )
    # then the form comes back with its errors and the key is not spent
    assert refused.status_code == 200
    assert not IdempotencyKey.objects.exists()
    fixed = post(lan, "/exchange/intelligence/new/", report(exchange_world), "k-3")
    assert fixed.status_code == 201
    assert IntelligenceReport.objects.count() == 1


def test_without_a_key_the_form_posts_as_before(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    response = post(lan, "/exchange/intelligence/new/", report(exchange_world), None)
    assert response.status_code == 302
    assert not IdempotencyKey.objects.exists()


def test_a_keyed_post_by_someone_who_may_not_record_is_denied(exchange_world) -> None:
    ainsley = signed_in(exchange_world.ainsley)
    response = post(ainsley, "/exchange/intelligence/new/", report(exchange_world), "k-denied")
    assert response.status_code == 403
    assert not IntelligenceReport.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_an_old_key_may_be_used_again(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    post(lan, "/exchange/intelligence/new/", report(exchange_world), "k-old")
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    again = post(lan, "/exchange/intelligence/new/", report(exchange_world, title="New"), "k-old")
    assert again.status_code == 201
    assert IntelligenceReport.objects.count() == 2


def test_an_answer_to_a_request_sent_twice_is_recorded_once(exchange_world) -> None:
    # given Lan asked Bavet; Dara's tablet sends its answer twice (the first answer was lost)
    info = do_ask_for_information(
        InformationRequest(
            to_blo=exchange_world.bavet,
            question="Owner of truck 70C-123.45?",
            deadline=timezone.localdate() + datetime.timedelta(days=3),
        ),
        actor=exchange_world.lan,
    )
    dara = signed_in(exchange_world.dara)
    body = {"action": "answer", "answer": "A Phnom Penh trading company.", "language": "en"}
    entries = AuditEntry.objects.count()
    first = post(dara, info.get_absolute_url(), body, "answer-1")
    again = post(dara, info.get_absolute_url(), body, "answer-1")
    # then one answer, one audit entry
    assert first.status_code == again.status_code == 201
    info.refresh_from_db()
    assert info.answer == "A Phnom Penh trading company."
    assert AuditEntry.objects.count() == entries + 1


def test_an_answer_replayed_after_the_request_was_closed_is_not_recorded_nor_its_key(
    exchange_world,
) -> None:
    info = do_ask_for_information(
        InformationRequest(
            to_blo=exchange_world.bavet,
            question="Owner?",
            deadline=timezone.localdate() + datetime.timedelta(days=3),
        ),
        actor=exchange_world.lan,
    )
    do_close_request(info, withdraw=True, actor=exchange_world.lan)
    dara = signed_in(exchange_world.dara)
    body = {"action": "answer", "answer": "Too late.", "language": "en"}
    response = post(dara, info.get_absolute_url(), body, "answer-late")
    # then the page comes back (the outbox marks it a conflict) and nothing is kept
    assert response.status_code == 200
    info.refresh_from_db()
    assert info.answer == ""
    assert not IdempotencyKey.objects.exists()


def test_an_acknowledgement_replayed_is_recorded_once(exchange_world) -> None:
    alert = do_send_alert(Alert(subject="Hino truck", body="Check"), actor=exchange_world.lan)
    dara = signed_in(exchange_world.dara)
    entries = AuditEntry.objects.count()
    for _attempt in range(2):
        response = post(dara, alert.get_absolute_url(), {"action": "acknowledge"}, "ack-1")
        assert response.status_code == 201
    assert AlertDelivery.objects.get(alert=alert).acknowledged_by == exchange_world.dara
    assert AuditEntry.objects.count() == entries + 1
