"""The exchange's actions as a matrix: who may record, change, share, acknowledge and answer."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from liaison.exchange.models import Alert, AlertDelivery, Incident, InformationRequest
from liaison.exchange.services import do_ask_for_information, do_send_alert
from liaison.registry.models import User
from liaison.registry.permissions import Action, can
from tests.builders import make_incident

PERSONAS = [
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


def allowed(world, action, obj) -> set[str]:
    return {p for p in PERSONAS if can(getattr(world, p), action, obj)}


def test_exchange_action_matrix(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, distribution="counterpart")
    alert = do_send_alert(Alert(subject="Truck 70C-123.45"), actor=w.lan)
    delivery = AlertDelivery.objects.get(alert=alert)
    request = do_ask_for_information(
        InformationRequest(to_blo=w.bavet, question="Owner?", deadline=timezone.localdate()),
        actor=w.lan,
    )
    expectations = {
        # the originating unit and the post's head change and share; nobody across the border does
        (Action.CHANGE, "incident"): (incident, {"lan", "thu", "tuan"}),
        (Action.SHARE, "incident"): (incident, {"lan", "thu", "tuan"}),
        # every officer of the post records for it; coordinators without an agency do not
        (Action.CREATE, "new incident at Moc Bai"): (
            Incident(blo=w.moc_bai),
            {"lan", "thu", "minh", "tuan"},
        ),
        (Action.CREATE, "new alert from Moc Bai"): (
            Alert(from_blo=w.moc_bai),
            {"lan", "thu", "minh", "tuan"},
        ),
        # only the recipient post acknowledges and answers
        (Action.ACKNOWLEDGE, "delivery to Bavet"): (delivery, {"dara"}),
        (Action.ANSWER, "delivery to Bavet"): (delivery, {"dara"}),
        (Action.ANSWER, "request to Bavet"): (request, {"dara"}),
        (Action.CHANGE, "request to Bavet"): (request, {"lan", "thu", "minh", "tuan"}),
        # reading: the record's audience; the alert's two posts; the request's two posts
        (Action.VIEW, "incident"): (incident, {"lan", "thu", "minh", "tuan", "dara"}),
        (Action.VIEW, "alert"): (alert, {"lan", "thu", "minh", "tuan", "dara"}),
        (Action.VIEW, "request"): (request, {"lan", "thu", "minh", "tuan", "dara"}),
    }
    mismatches = []
    for (action, what), (obj, expected) in expectations.items():
        got = allowed(w, action, obj)
        if got != expected:
            mismatches.append(f"{action.value} {what}: got {sorted(got)}, want {sorted(expected)}")
    assert not mismatches, "\n".join(mismatches)


def outcomes(world, attempt) -> dict[str, str]:
    """Each persona's outcome of ``attempt(user)``, every attempt rolled back."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction

    got: dict[str, str] = {}
    for persona in PERSONAS:
        try:
            with transaction.atomic():
                got[persona] = attempt(getattr(world, persona))
                transaction.set_rollback(True)
        except PermissionDenied:
            got[persona] = "refused"
        except ValidationError:
            got[persona] = "invalid"
    return got


def test_label_and_audience_action_matrix(exchange_world) -> None:
    from liaison.exchange.models import TLP, Distribution
    from liaison.exchange.services import do_change_tlp, do_share_record

    w = exchange_world
    incident = make_incident(w.lan, tlp="AMBER", distribution="counterpart")
    post_only = make_incident(w.lan, tlp="AMBER", distribution="blo")

    def loosen(user) -> str:
        do_change_tlp(incident, TLP.GREEN, actor=user)
        return "done"

    def tighten(user) -> str:
        do_change_tlp(incident, TLP.RED, actor=user)
        return "done"

    def widen_beyond(user) -> str:
        outcome = do_share_record(incident, Distribution.NATIONAL, reason="why", actor=user)
        return "applied" if outcome.applied else "pending"

    def narrow(user) -> str:
        return "applied" if do_share_record(incident, Distribution.BLO, actor=user).applied else ""

    def alert_about(record: Incident) -> Callable[[User], str]:
        def send(user) -> str:
            do_send_alert(Alert(subject="Look out", incident=record), actor=user)
            return "sent"

        return send

    everyone_else = dict.fromkeys(PERSONAS, "refused")
    expectations = {
        # only the originating unit (Lan, and Thu of her agency at her post) loosens the label
        "loosen the label": {**everyone_else, "lan": "done", "thu": "done"},
        # a stricter label is a narrowing: whoever may change the record
        "make the label stricter": {**everyone_else, "lan": "done", "thu": "done", "tuan": "done"},
        # beyond the label: the originator's own change is her approval; Thu's waits for it; the
        # head of another agency may not ask at all
        "widen beyond the label": {**everyone_else, "lan": "applied", "thu": "pending"},
        "narrow": {**everyone_else, "lan": "applied", "thu": "applied", "tuan": "applied"},
        # alerts: about a record every recipient post reads (Moc Bai to Bavet, Bavet back to
        # Moc Bai), not about one a recipient does not; who may not read the record is refused
        # first; Chrey Thom has no counterpart to alert
        "alert about a counterpart record": {
            **everyone_else,
            **dict.fromkeys(["lan", "thu", "minh", "tuan", "dara"], "sent"),
            "sophea": "invalid",
        },
        "alert about a post-only record": {
            **everyone_else,
            **dict.fromkeys(["lan", "thu", "minh", "tuan", "sophea"], "invalid"),
        },
    }
    attempts = {
        "loosen the label": loosen,
        "make the label stricter": tighten,
        "widen beyond the label": widen_beyond,
        "narrow": narrow,
        "alert about a counterpart record": alert_about(incident),
        "alert about a post-only record": alert_about(post_only),
    }
    mismatches = []
    for what, expected in expectations.items():
        got = outcomes(w, attempts[what])
        if got != expected:
            diff = {p: (got[p], expected[p]) for p in PERSONAS if got[p] != expected[p]}
            mismatches.append(f"{what}: (got, want) {diff}")
    assert not mismatches, "\n".join(mismatches)
