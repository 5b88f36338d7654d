from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from liaison.exchange.models import Alert, AlertDelivery, InformationRequest
from liaison.exchange.selectors import acknowledgement_stats, dashboard
from liaison.exchange.services import (
    do_acknowledge_alert,
    do_answer_request,
    do_ask_for_information,
    do_respond_to_alert,
    do_send_alert,
)
from liaison.registry.permissions import visible


def send(world, **extra) -> Alert:
    return do_send_alert(
        Alert(subject="Hino truck 70C-123.45", body="Check cashew cargo", **extra), actor=world.lan
    )


def test_alert_goes_to_counterparts_and_time_to_acknowledge_is_measured(exchange_world) -> None:
    alert = send(exchange_world)
    delivery = AlertDelivery.objects.get(alert=alert)
    assert delivery.to_blo == exchange_world.bavet
    # only the two posts see it
    assert visible(exchange_world.dara, Alert).filter(pk=alert.pk).exists()
    assert not visible(exchange_world.hung, Alert).filter(pk=alert.pk).exists()
    assert not visible(exchange_world.sophea, Alert).filter(pk=alert.pk).exists()
    # Moc Bai cannot acknowledge for Bavet
    with pytest.raises(PermissionDenied):
        do_acknowledge_alert(delivery, actor=exchange_world.lan)
    Alert.objects.filter(pk=alert.pk).update(
        sent_at=timezone.now() - datetime.timedelta(minutes=12)
    )
    do_acknowledge_alert(delivery, actor=exchange_world.dara)
    do_respond_to_alert(
        delivery,
        "Vehicle stopped at Bavet, cargo checked.",
        language="en",
        actor=exchange_world.dara,
    )
    [stat] = acknowledgement_stats(exchange_world.lan, exchange_world.moc_bai)
    assert stat.from_blo == exchange_world.moc_bai and stat.to_blo == exchange_world.bavet
    assert stat.median_minutes_to_acknowledge is not None
    assert 11.9 < stat.median_minutes_to_acknowledge < 12.5
    assert stat.median_minutes_to_first_response is not None


def test_alert_to_a_blo_that_is_not_a_counterpart_is_refused(exchange_world) -> None:
    with pytest.raises(ValidationError, match="counterpart"):
        do_send_alert(
            Alert(subject="x"), to_blos=[exchange_world.chrey_thom], actor=exchange_world.lan
        )
    assert not Alert.objects.exists()


def test_acknowledgement_page_flow_and_dashboard(exchange_world) -> None:
    alert = send(exchange_world)
    dara = Client(HTTP_ACCEPT_LANGUAGE="en")
    dara.force_login(exchange_world.dara)
    assert "Hino truck" in dara.get("/exchange/").content.decode()
    response = dara.post(alert.get_absolute_url(), {"action": "acknowledge"})
    assert response.status_code == 302
    assert AlertDelivery.objects.get(alert=alert).acknowledged_by == exchange_world.dara
    lan = Client(HTTP_ACCEPT_LANGUAGE="en")
    lan.force_login(exchange_world.lan)
    page = lan.get("/exchange/").content.decode()
    assert "Bavet" in page and "ack-time" in page
    # a post that is not a recipient may not acknowledge
    hung = Client()
    hung.force_login(exchange_world.hung)
    assert hung.post(alert.get_absolute_url(), {"action": "acknowledge"}).status_code == 404


def test_overdue_request_surfaces_on_both_dashboards(exchange_world) -> None:
    info = do_ask_for_information(
        InformationRequest(
            to_blo=exchange_world.bavet,
            question="Owner of truck 70C-123.45?",
            deadline=timezone.localdate(),
        ),
        actor=exchange_world.lan,
    )
    InformationRequest.objects.filter(pk=info.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=2)
    )
    assert dashboard(exchange_world.lan).overdue_count == 1
    assert dashboard(exchange_world.dara).overdue_count == 1
    assert dashboard(exchange_world.hung).overdue_count == 0
    info.refresh_from_db()
    do_answer_request(
        info,
        "Registered to a Phnom Penh trading company.",
        language="en",
        actor=exchange_world.dara,
    )
    assert dashboard(exchange_world.lan).overdue_count == 0
    with pytest.raises(PermissionDenied):
        do_answer_request(info, "x", language="en", actor=exchange_world.lan)


def test_request_to_a_non_counterpart_or_in_the_past_is_refused(exchange_world) -> None:
    with pytest.raises(ValidationError):
        do_ask_for_information(
            InformationRequest(
                to_blo=exchange_world.chrey_thom, question="?", deadline=timezone.localdate()
            ),
            actor=exchange_world.lan,
        )
    with pytest.raises(ValidationError):
        do_ask_for_information(
            InformationRequest(
                to_blo=exchange_world.bavet,
                question="?",
                deadline=timezone.localdate() - datetime.timedelta(days=1),
            ),
            actor=exchange_world.lan,
        )
    assert not InformationRequest.objects.exists()
