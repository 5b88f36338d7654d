"""``Idempotency-Key`` on the API's create endpoint: a client's retry never doubles a record."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from liaison.audit.models import AuditEntry
from liaison.exchange.models import IdempotencyKey, Incident

BODY = {
    "blo": "VN-MOCBAI",
    "occurred_at": "2026-03-14T08:30:00+07:00",
    "location_kind": "international_checkpoint",
    "direction": "entry",
    "crime_area": "wildlife",
    "detection_method": "routine_inspection",
    "concealment_method": "other",
    "conveyance": "on_foot",
    "items": [{"commodity": "species:manis-javanica", "quantity": "12", "unit": "kg"}],
}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create(client: Client, body: dict[str, Any], key: str | None) -> Any:
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(
        "/api/exchange/incidents", body, content_type="application/json", headers=headers
    )


def test_a_retry_with_the_same_key_answers_as_the_first_and_records_nothing(
    exchange_world,
) -> None:
    # given
    lan = signed_in(exchange_world.lan)
    first = create(lan, BODY, "8d2f7c1e-retry")
    assert first.status_code == 201, first.content
    audit_entries = AuditEntry.objects.count()
    # when: the client did not get the answer, and sends the same request again
    again = create(lan, BODY, "8d2f7c1e-retry")
    # then
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Incident.objects.count() == 1
    assert AuditEntry.objects.count() == audit_entries


def test_the_same_key_with_another_body_is_refused(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    assert create(lan, BODY, "k-1").status_code == 201
    changed = create(lan, {**BODY, "summary": "a different seizure"}, "k-1")
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json()["detail"]
    assert Incident.objects.count() == 1


def test_keys_are_per_user_and_kept_for_a_day(exchange_world) -> None:
    lan, minh = signed_in(exchange_world.lan), signed_in(exchange_world.minh)
    assert create(lan, BODY, "shared").status_code == 201
    assert create(minh, BODY, "shared").status_code == 201  # Minh's key is his own
    assert Incident.objects.count() == 2
    IdempotencyKey.objects.filter(user=exchange_world.lan).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert create(lan, BODY, "shared").status_code == 201  # expired: a new request
    assert Incident.objects.count() == 3
    assert IdempotencyKey.objects.filter(user=exchange_world.lan).count() == 1


def test_without_a_key_each_request_records(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    assert create(lan, BODY, None).status_code == 201
    assert create(lan, BODY, None).status_code == 201
    assert Incident.objects.count() == 2
    assert IdempotencyKey.objects.count() == 0


def test_a_malformed_key_is_a_400(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    for key in ("x" * 201, "with space", ""):
        response = create(lan, BODY, key)
        assert response.status_code == 400, key
        assert "Idempotency-Key" in response.json()["detail"]
    assert Incident.objects.count() == 0


def test_a_refused_create_keeps_no_key(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    refused = create(lan, {**BODY, "blo": "KH-BAVET"}, "k-2")
    assert refused.status_code in {403, 404}
    assert IdempotencyKey.objects.count() == 0
