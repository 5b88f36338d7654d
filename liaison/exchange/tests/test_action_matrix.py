"""The exchange's actions as a matrix: who may record, change, share, acknowledge and answer."""

from __future__ import annotations

from django.utils import timezone

from liaison.exchange.models import Alert, AlertDelivery, Incident, InformationRequest
from liaison.exchange.services import do_ask_for_information, do_send_alert
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
