"""The coordination page as Viet Nam's national coordinator reads it, in Vietnamese."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from liaison.exchange.models import Alert, AlertDelivery, InformationRequest
from liaison.exchange.services import do_ask_for_information, do_send_alert
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD, ensure_vocabulary, make_incident

pytestmark = pytest.mark.browser


def test_coordinator_reads_her_posts_timings_in_vietnamese(
    live_server, live_world, browser: Browser
) -> None:
    # given alerts and a request between Moc Bai and Bavet, and incidents Hương may read
    ensure_vocabulary()
    w = live_world
    w.huong.preferred_language = "vi"
    w.huong.save(update_fields=["preferred_language"])
    for minutes in (15, 45):
        alert = do_send_alert(Alert(subject="Xe tải Hino 70C-123.45"), actor=w.dara)
        sent = timezone.now() - datetime.timedelta(hours=5)
        Alert.objects.filter(pk=alert.pk).update(sent_at=sent)
        AlertDelivery.objects.filter(alert=alert).update(
            acknowledged_at=sent + datetime.timedelta(minutes=minutes)
        )
    late = do_send_alert(Alert(subject="Xe máy biển số lạ"), actor=w.lan)
    Alert.objects.filter(pk=late.pk).update(sent_at=timezone.now() - datetime.timedelta(days=2))
    asked = do_ask_for_information(
        InformationRequest(
            to_blo=w.moc_bai,
            question="Chủ xe là ai?",
            deadline=timezone.localdate() + datetime.timedelta(days=3),
        ),
        actor=w.dara,
    )
    InformationRequest.objects.filter(pk=asked.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    make_incident(w.lan, distribution="national", tlp="GREEN", crime_area="wildlife")
    make_incident(w.minh, distribution="network", tlp="GREEN", crime_area="drugs")

    # when Hương signs in on a tablet and follows the link from the exchange's dashboard
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "huong", PASSWORD)
    page.goto(f"{live_server.url}/exchange/")
    page.click("#coordination-link")

    # then she sees her country's posts with their figures, and nothing of the records' text
    expect(page).to_have_url(f"{live_server.url}/exchange/coordination/")
    moc_bai = page.locator("#posts tr[data-blo='VN-MOCBAI']")
    expect(moc_bai.locator(".alerts-received")).to_have_text("2")
    expect(moc_bai.locator(".median-ack")).to_have_text("30 phút")
    expect(moc_bai.locator(".requests-overdue")).to_have_text("1")
    expect(page.locator("#overdue-alerts li")).to_have_count(1)
    expect(page.locator("#overdue-requests li")).to_have_count(1)
    expect(page.locator("#incidents tr[data-blo='VN-MOCBAI'] .incidents-total")).to_have_text("2")
    assert page.locator("html").get_attribute("lang") == "vi"
    content = page.content()
    for text in ("Hino", "Xe máy", "Chủ xe"):
        assert text not in content
    screenshot(page, "coordination-vi")
    context.close()

    # and Vanna, Cambodia's coordinator, reading in Khmer, sees Bavet's side of the same exchange
    w.vanna.preferred_language = "km"
    w.vanna.save(update_fields=["preferred_language"])
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="km-KH")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "vanna", PASSWORD)
    page.goto(f"{live_server.url}/exchange/coordination/")
    assert page.locator("html").get_attribute("lang") == "km"
    bavet = page.locator("#posts tr[data-blo='KH-BAVET']")
    expect(bavet.locator(".alerts-sent")).to_have_text("2")
    expect(page.locator("#posts tr[data-blo='VN-MOCBAI']")).to_have_count(0)
    content = page.content()
    for text in ("Hino", "Xe máy", "Chủ xe"):
        assert text not in content
    screenshot(page, "coordination-km")
    context.close()
