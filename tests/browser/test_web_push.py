"""Web Push on the profile page: an officer turns notifications on for her tablet, then off.

What Chromium really does here, and what these tests therefore cover:

- Headless Chromium has no push service to subscribe at. Its push service is Google's (FCM),
  built in with no switch to name another; in a fresh (incognito) browser context
  ``pushManager.subscribe`` refuses at once ("AbortError: Registration failed - permission
  denied": Chrome keeps no push subscription in incognito), and in a persistent profile it
  waits for FCM, which a machine without the internet never answers. So no test here holds a
  subscription made by a real push service, and none sends a message through one (the sending
  side, pywebpush, is tested in liaison/notifications/tests with the push service's answers).
- The first test is Chromium as it is: the service worker registers, the permission is granted,
  the button asks Chromium for a subscription, Chromium refuses, and the page says it could not
  turn notifications on — nothing is stored.
- The second puts a stand-in for the push service in the page (``PushManager.prototype``'s
  ``subscribe`` and ``getSubscription`` answer with a subscription shaped as Chromium's, with a
  real P-256 key) and checks everything on Liaison's side of it: the page hands the server's VAPID
  key to the push manager, posts the subscription with its CSRF token, the server stores it for
  that officer, the buttons and the status change, and turning it off removes the row.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import Browser, BrowserContext, Page, expect

from liaison.notifications.management.commands.webpush import new_vapid_keys
from liaison.notifications.models import PushSubscription
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

# Replaces the push service the browser would subscribe at: what the page passes to subscribe()
# is kept for the test to read, and the subscription answered is shaped as Chromium's.
STAND_IN_PUSH_SERVICE = """
(() => {
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__pushSubscribedWith = {
      userVisibleOnly: options.userVisibleOnly,
      applicationServerKey: btoa(String.fromCharCode(...key))
        .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, ""),
    };
    const keys = %(keys)s;
    current = {
      endpoint: %(endpoint)s,
      expirationTime: null,
      options,
      toJSON() { return { endpoint: this.endpoint, expirationTime: null, keys }; },
      async unsubscribe() { current = null; return true; },
    };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _browser_keys() -> dict[str, str]:
    """A subscription's keys as a browser makes them: its P-256 public key and 16 auth bytes."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"p256dh": _b64url(point), "auth": _b64url(secrets.token_bytes(16))}


@pytest.fixture
def vapid(settings: Any) -> str:
    """The server's VAPID pair, as `liaison webpush keys` prints it; the public key."""
    public, private = new_vapid_keys()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    return public


@pytest.fixture
def notifying_tablet(browser: Browser, live_server: Any) -> Iterator[tuple[BrowserContext, Page]]:
    """A tablet whose browser lets Liaison show notifications."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(20000)
    yield context, page
    context.close()


def _status(page: Page, state: str) -> str:
    """The status line's text for ``state`` (on, off, failed…), in the page's language."""
    return page.locator("#push-status").get_attribute(f"data-{state}") or ""


def test_chromium_without_a_push_service_refuses_and_nothing_is_stored(
    live_server, live_world, vapid, notifying_tablet
) -> None:
    # given Lan on her profile page, notifications allowed for Liaison
    _context, page = notifying_tablet
    sign_in(page, live_server.url, "lan", PASSWORD)
    page.goto(f"{live_server.url}/account/")
    expect(page.locator("#push-status")).to_have_text(_status(page, "off"))
    assert page.evaluate("Notification.permission") == "granted"

    # when she turns notifications on, and Chromium cannot subscribe at a push service
    page.click("#push-enable")

    # then the page says so, still offers the button, and the server stores nothing
    expect(page.locator("#push-status")).to_have_text(_status(page, "failed"))
    expect(page.locator("#push-enable")).to_be_visible()
    expect(page.locator("#push-disable")).to_be_hidden()
    assert not PushSubscription.objects.exists()
    # the refusal is Chromium's push manager's, with the worker registered and the permission
    # granted: nothing on Liaison's side stood in its way
    refusal = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration();
            if (!registration) return "no service worker";
            try {
                await registration.pushManager.subscribe({
                    userVisibleOnly: true,
                    applicationServerKey: new Uint8Array(65).fill(4),
                });
                return "subscribed";
            } catch (error) {
                return error.name;
            }
        }"""
    )
    assert refusal == "AbortError"


def test_turning_notifications_on_stores_the_subscription_and_off_removes_it(
    live_server, live_world, vapid, notifying_tablet
) -> None:
    # given Lan's tablet, its push service stood in for (see the module's docstring)
    context, page = notifying_tablet
    keys = _browser_keys()
    endpoint = f"https://push.example.test/wpush/v2/{secrets.token_urlsafe(24)}"
    context.add_init_script(
        STAND_IN_PUSH_SERVICE % {"keys": json.dumps(keys), "endpoint": json.dumps(endpoint)}
    )
    sign_in(page, live_server.url, "lan", PASSWORD)
    page.goto(f"{live_server.url}/account/")
    expect(page.locator("#push-status")).to_have_text(_status(page, "off"))
    expect(page.locator("#push-disable")).to_be_hidden()

    # when she turns notifications on for this device
    page.click("#push-enable")

    # then the button changes to turning them off, the status says they are on, the push
    # manager was given the server's VAPID key, and the server keeps the subscription for her
    expect(page.locator("#push-disable")).to_be_visible()
    expect(page.locator("#push-enable")).to_be_hidden()
    expect(page.locator("#push-status")).to_have_text(_status(page, "on"))
    assert page.evaluate("window.__pushSubscribedWith") == {
        "userVisibleOnly": True,
        "applicationServerKey": vapid,
    }
    stored = PushSubscription.objects.get()
    assert (stored.user_id, stored.endpoint) == (live_world.lan.pk, endpoint)
    assert (stored.p256dh, stored.auth) == (keys["p256dh"], keys["auth"])
    screenshot(page, "web-push-on")

    # when she turns them off again
    page.click("#push-disable")

    # then the subscription is gone from the server and the page offers to turn them on
    expect(page.locator("#push-enable")).to_be_visible()
    expect(page.locator("#push-status")).to_have_text(_status(page, "off"))
    assert not PushSubscription.objects.exists()
