"""Notifications by e-mail (to a real SMTP server, aiosmtpd) and Web Push (pywebpush posting to a
real HTTP server standing in for the push service): who is told, in which language, and that a
message says only that something waits."""

from __future__ import annotations

import base64
import datetime
import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.test import Client
from django.utils import timezone

from liaison.exchange.models import Alert, Distribution, InformationRequest
from liaison.exchange.services import (
    announce_overdue_requests,
    do_ask_for_information,
    do_send_alert,
    do_share_record,
)
from liaison.notifications.management.commands.webpush import new_vapid_keys
from liaison.notifications.models import NotificationChoice, PushSubscription
from liaison.notifications.services import recipients
from liaison.notifications.tasks import ATTEMPTS
from tests.builders import make_incident

SECRET = "Hino truck 70C-123.45"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on localhost, and Liaison's mailer pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.SMTP_HOST = "127.0.0.1"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "127.0.0.1",
                "port": controller.port,
                "use_tls": False,
                "timeout": 5,
            },
        }
    }
    settings.DEFAULT_FROM_EMAIL = "liaison@blo.example"
    settings.SITE_URL = "https://liaison.example"
    yield inbox
    controller.stop()


@pytest.fixture
def people(exchange_world):
    w = exchange_world
    for user, address, language in [
        (w.lan, "lan@customs.example", "vi"),
        (w.minh, "minh@police.example", "en"),
        (w.dara, "dara@police.example", "en"),
        (w.hung, "hung@police.example", "vi"),
    ]:
        user.email = address
        user.preferred_language = language
        user.save(update_fields=["email", "preferred_language"])
    return w


def test_alert_is_announced_by_email_in_each_recipients_language(
    people, smtp, django_capture_on_commit_callbacks
) -> None:
    # when Dara at Bavet alerts Moc Bai
    with django_capture_on_commit_callbacks(execute=True):
        do_send_alert(Alert(subject=SECRET, body="Check the cashew cargo"), actor=people.dara)

    # then Moc Bai's officers with an address are told, each in their language; nobody else
    recipients_told = sorted(r for rcpt, _m in smtp.messages for r in rcpt)
    assert recipients_told == ["lan@customs.example", "minh@police.example"]
    [to_lan] = smtp.to("lan@customs.example")
    [to_minh] = smtp.to("minh@police.example")
    assert to_lan["Subject"] == "Liaison: Cảnh báo cần xác nhận"
    assert to_lan["Content-Language"] == "vi"
    assert to_minh["Subject"] == "Liaison: Alerts to acknowledge"
    assert to_lan["From"] == "liaison@blo.example"
    for message in (to_lan, to_minh):
        body = message.get_content()
        assert "https://liaison.example/exchange/alerts/" in body
        # nothing of the alert: not its text, not its reference
        assert SECRET not in body and "cashew" not in body
        assert "ALR-" not in body and "ALR-" not in message["Subject"]


def test_request_and_its_overdue_check_are_announced_once(
    people, smtp, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        asked = do_ask_for_information(
            InformationRequest(
                to_blo=people.moc_bai,
                question="Who owns the truck?",
                deadline=timezone.localdate() + datetime.timedelta(days=1),
            ),
            actor=people.dara,
        )
    assert len(smtp.to("lan@customs.example")) == 1
    InformationRequest.objects.filter(pk=asked.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_overdue_requests() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_overdue_requests() == 0  # once only
    [_asked, overdue] = smtp.to("lan@customs.example")
    assert "Who owns" not in overdue.get_content()
    assert "/exchange/requests/" in overdue.get_content()
    assert smtp.to("dara@police.example") == []  # the asker's own post is not told


def test_share_approval_goes_to_the_originator_alone(
    people, smtp, django_capture_on_commit_callbacks
) -> None:
    # given Lan's seizure, labelled AMBER, and Thu (same agency and post) asks to share it
    # nationally, beyond its label
    incident = make_incident(people.lan, distribution="blo", summary=SECRET)
    people.thu.email = "thu@customs.example"
    people.thu.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        outcome = do_share_record(
            incident, Distribution.NATIONAL, reason="Same network at Dien Bien", actor=people.thu
        )
    assert not outcome.applied
    # then only Lan, who answers it, is told
    assert [r for rcpt, _m in smtp.messages for r in rcpt] == ["lan@customs.example"]
    [message] = smtp.messages
    assert message[1]["Subject"] == "Liaison: Phê duyệt chia sẻ"
    assert SECRET not in message[1].get_content()


def test_nobody_is_told_of_what_they_may_not_read(people) -> None:
    alert = do_send_alert(Alert(subject=SECRET), actor=people.dara)
    label = "exchange.alert"
    # Pang Hok's officer is named as a post, but the alert is Moc Bai's and Bavet's
    assert recipients(label, str(alert.pk), [people.pang_hok.pk], []) == []
    assert {u.username for u in recipients(label, str(alert.pk), [people.moc_bai.pk], [])} == {
        "lan",
        "minh",
        "tuan",
        "thu",
    }


def test_an_officer_who_opted_out_of_email_is_not_mailed(
    people, smtp, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    client.force_login(people.minh)
    assert client.post("/notifications/choice/", {"by_push": "on"}).status_code == 302
    assert NotificationChoice.objects.get(user=people.minh).by_email is False
    with django_capture_on_commit_callbacks(execute=True):
        do_send_alert(Alert(subject=SECRET), actor=people.dara)
    assert smtp.to("minh@police.example") == []
    assert len(smtp.to("lan@customs.example")) == 1


def test_a_failing_mail_server_is_retried_and_logged_and_the_alert_stands(
    people, settings, caplog, django_capture_on_commit_callbacks
) -> None:
    settings.SMTP_HOST = "127.0.0.1"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "use_tls": False, "timeout": 2},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        alert = do_send_alert(Alert(subject=SECRET), actor=people.dara)
    assert Alert.objects.filter(pk=alert.pk).exists()
    lan_failures = [
        r for r in caplog.records if f"notification alert to user {people.lan.pk}" in r.getMessage()
    ]
    assert len(lan_failures) == ATTEMPTS  # tried again, then given up
    assert lan_failures[-1].levelname == "ERROR"


# --- Web Push -----------------------------------------------------------------------------------


class PushService:
    """A real HTTP server standing in for a browser's push service: it records what it is sent."""

    def __init__(self, status: int = 201) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.requests.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def vapid(settings):
    public, private = new_vapid_keys()
    settings.VAPID_PUBLIC_KEY = public
    settings.VAPID_PRIVATE_KEY = private
    settings.VAPID_SUBJECT = "mailto:liaison@blo.example"
    return public


def browser_subscription(user, service: PushService, path: str = "/push/lan-tablet"):
    """A subscription as a browser makes it: its own key pair and auth secret."""
    key = ec.generate_private_key(ec.SECP256R1())
    auth = b"0123456789abcdef"
    PushSubscription.objects.create(
        user=user,
        endpoint=service.url + path,
        p256dh=b64url(
            key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        ),
        auth=b64url(auth),
    )
    return key, auth


def test_alert_is_pushed_encrypted_and_signed_to_the_tablet(
    people, vapid, django_capture_on_commit_callbacks
) -> None:
    service = PushService()
    try:
        key, auth = browser_subscription(people.lan, service)
        with django_capture_on_commit_callbacks(execute=True):
            do_send_alert(Alert(subject=SECRET, body="Check the cashew cargo"), actor=people.dara)
    finally:
        service.stop()

    [(path, headers, body)] = service.requests
    assert path == "/push/lan-tablet"
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) > 0
    # VAPID (RFC 8292): a JWT for this push service, signed with the server's key
    scheme, _space, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert fields["k"] == vapid
    token_header, claims, signature = fields["t"].split(".")
    assert json.loads(unb64url(claims))["aud"] == service.url
    assert json.loads(unb64url(claims))["sub"] == "mailto:liaison@blo.example"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(vapid))
    raw = unb64url(signature)
    public.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{token_header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    # the body is encrypted for the tablet; decrypted, it says only that something waits
    assert SECRET.encode() not in body
    payload = json.loads(http_ece.decrypt(body, private_key=key, auth_secret=auth))
    assert payload["url"] == "/exchange/alerts/"
    assert payload["title"] == "Liaison"
    assert SECRET not in payload["body"] and "ALR-" not in json.dumps(payload)
    assert "alert" in payload["body"].lower() or "cảnh báo" in payload["body"].lower()


def test_a_subscription_the_push_service_has_dropped_is_forgotten(
    people, vapid, django_capture_on_commit_callbacks
) -> None:
    service = PushService(status=410)
    try:
        browser_subscription(people.lan, service)
        with django_capture_on_commit_callbacks(execute=True):
            do_send_alert(Alert(subject=SECRET), actor=people.dara)
    finally:
        service.stop()
    assert len(service.requests) == 1
    assert not PushSubscription.objects.filter(user=people.lan).exists()


# --- the subscription endpoint ------------------------------------------------------------------

GOOD = {
    "endpoint": "https://push.example/send/abc",
    "keys": {
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg",
    },
}


def test_officer_subscribes_and_unsubscribes_her_tablet(people) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.lan)
    page = client.get("/account/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/notifications/push/subscribe/",
        json.dumps(GOOD),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201
    assert PushSubscription.objects.get(user=people.lan).endpoint == GOOD["endpoint"]
    response = client.post(
        "/notifications/push/unsubscribe/",
        json.dumps({"endpoint": GOOD["endpoint"]}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.json() == {"removed": 1}
    assert not PushSubscription.objects.exists()


def test_subscription_without_csrf_token_is_refused(people) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.lan)
    response = client.post(
        "/notifications/push/subscribe/", json.dumps(GOOD), content_type="application/json"
    )
    assert response.status_code == 403
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({**GOOD, "endpoint": "http://push.example/plain"}),
        json.dumps({**GOOD, "endpoint": "file:///etc/passwd"}),
        json.dumps({"endpoint": GOOD["endpoint"]}),
        json.dumps({**GOOD, "keys": {"p256dh": "<script>", "auth": "x"}}),
        json.dumps({**GOOD, "endpoint": "https://push.example/" + "a" * 1000}),
    ],
)
def test_bad_subscriptions_are_refused_with_400(people, body) -> None:
    client = Client()
    client.force_login(people.lan)
    response = client.post("/notifications/push/subscribe/", body, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not PushSubscription.objects.exists()


def test_profile_offers_the_device_button_when_push_is_set_up(people, vapid) -> None:
    client = Client()
    client.force_login(people.lan)
    page = client.get("/account/").content.decode()
    assert 'id="push-enable"' in page and vapid in page
    assert "notifications/push.js" in page
