"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import Browser, Error, Page, sync_playwright

CHROMIUM = os.environ.get("LIAISON_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class _InFlight:
    """The live server's threads answering a request now (each request has its own thread)."""

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.lock = threading.Lock()

    def started(self, **_: Any) -> None:
        with self.lock:
            self.threads.add(threading.get_ident())

    def finished(self, **_: Any) -> None:
        with self.lock:
            self.threads.discard(threading.get_ident())

    def busy(self) -> bool:
        alive = {thread.ident for thread in threading.enumerate()}
        with self.lock:
            self.threads &= alive  # a thread that died without finishing answers nothing
            return bool(self.threads)

    def wait_idle(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.busy() and time.monotonic() < deadline:
            time.sleep(0.02)


IN_FLIGHT = _InFlight()
request_started.connect(IN_FLIGHT.started, dispatch_uid="browser-tests-in-flight-started")
request_finished.connect(IN_FLIGHT.finished, dispatch_uid="browser-tests-in-flight-finished")


@pytest.fixture(autouse=True)
def _test_queries_wait_for_the_server(request: pytest.FixtureRequest) -> Iterator[None]:
    """The test's own queries wait until the live server has answered what the pages asked.

    With SQLite's in-memory test database the server's threads and the test share one
    connection, which two threads must never use at once ("bad parameter or other API misuse"):
    a test reading a row right after a page showed its result could meet a request the page
    was still making. The server's threads run the wrapper too, and pass straight through."""
    if "live_server" not in request.fixturenames:
        yield
        return
    from django.db import connection

    def wait_for_the_server(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            IN_FLIGHT.wait_idle()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wait_for_the_server):
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Before any fixture is torn down (the database emptied first of all): close the pages the
    test left open and let the live server finish what they had asked. A debounced check still
    in flight would otherwise hold SQLite's shared in-memory database while it is flushed, or
    reach the server after the next test has begun."""
    funcargs = getattr(item, "funcargs", {})
    browser = funcargs.get("browser")
    if isinstance(browser, Browser):
        for context in list(browser.contexts):
            with contextlib.suppress(Error):
                context.close()
    if "live_server" in funcargs or browser is not None:
        IN_FLIGHT.wait_idle()
    return (yield)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def tablet(browser: Browser) -> Iterator[Page]:
    """A fresh 1024×768 tablet-sized page whose browser asks for English."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def live_world(transactional_db: None):
    from tests.builders import build_world

    return build_world()


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
