"""A Liaison server on a loopback port, and signed-in officers talking to it over HTTP: what the
reliability suite (``tests/reliability``) and the soak (``benchmarks/soak.py``) drive.

Only the standard library: the server is ``liaison serve`` (gunicorn) in a process of its own,
each officer an ``http.client`` connection with its own cookies, signing in through the sign-in
page and writing through the API with its CSRF token, as a browser or a script would.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEMO_PASSWORD = "liaison-demo-2026"  # noqa: S105 - the published demo credential

# Demo officers, each at a post of their own: the writers and readers of the suite and the soak.
OFFICERS = [
    "lan.customs.mocbai",
    "hung.police.dienbien",
    "mai.army.cautreo",
    "dara.police.bavet",
    "somphone.customs.dansavanh",
    "tuan.head.mocbai",
    "binh.head.dienbien",
]


# Past this idle time an officer's next request goes on a new connection (gunicorn's keep-alive
# is 2 s).
IDLE_SECONDS = 1.5


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def liaison(environment: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run a ``liaison`` command to its end; its output, or an error naming what failed."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "liaison.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"liaison {' '.join(args)} failed: {done.stderr[-3000:]}")
    return done.stdout


@dataclass
class Server:
    """``liaison serve`` on 127.0.0.1, started and stopped by its owner."""

    environment: dict[str, str]
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    # a command the server is started through, which ends by running its arguments (e.g. a
    # shell in a mount namespace of its own that puts the data folder on a small disk)
    wrapper: tuple[str, ...] = ()

    def start(self, log: Path, timeout: float = 120) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [*self.wrapper, sys.executable, "-m", "liaison.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers)],
            env=self.environment,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"liaison serve stopped: {log.read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/login/")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"liaison serve did not answer in {timeout:.0f} s")

    def rss_kib(self) -> int:
        """Resident memory of the server: its master and worker processes, in KiB."""
        assert self.process is not None
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total += int(found.group(1)) if found else 0
        return total

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found + [grandchild for child in found for grandchild in _children(child)]


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float
    location: str = ""  # where a redirect points

    def json(self) -> Any:
        return json.loads(self.body)


class Officer:
    """One signed-in person: a connection of their own, their cookies, their CSRF token."""

    def __init__(self, port: int, username: str, timeout: float = 30, language: str = "") -> None:
        self.port = port
        self.username = username
        self.timeout = timeout
        self.language = language  # their browser's Accept-Language ("" sends none)
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        if self._connection is not None and time.monotonic() - self._last_used > IDLE_SECONDS:
            # gunicorn closes a keep-alive connection idle for 2 s; a request sent on it would
            # meet a broken pipe, so a new connection is opened first, as a browser does
            self._connection.close()
            self._connection = None
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=self.timeout
            )
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent = {"Cookie": cookie, "Host": f"127.0.0.1:{self.port}", **headers}
        if self.language:
            sent["Accept-Language"] = self.language
        began = time.perf_counter()
        try:
            self._connection.request(method, path, body=body, headers=sent)
            response = self._connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            self._connection = None
            raise
        seconds = time.perf_counter() - began
        self._last_used = time.monotonic()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self._connection.close()
            self._connection = None
        return Answer(response.status, data, seconds, response.getheader("Location", ""))

    def get(self, path: str) -> Answer:
        return self._send("GET", path, None, {})

    def sign_in(self, password: str = DEMO_PASSWORD) -> None:
        self.get("/login/")
        form = urllib.parse.urlencode(
            {
                "username": self.username,
                "password": password,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            }
        ).encode()
        answer = self._send(
            "POST",
            "/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}/login/",
            },
        )
        if answer.status != 302:
            raise RuntimeError(f"{self.username} could not sign in: {answer.status}")

    def post_json(
        self, path: str, payload: object, headers: dict[str, str] | None = None
    ) -> Answer:
        return self._send(
            "POST",
            path,
            json.dumps(payload).encode(),
            {
                "Content-Type": "application/json",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
                "Referer": f"http://127.0.0.1:{self.port}/",
                **(headers or {}),
            },
        )

    def post_form(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
    ) -> Answer:
        """Submit a page's form as a browser does: ``multipart/form-data`` with its CSRF token
        (``fields`` must carry ``csrfmiddlewaretoken``, read from the page) and ``files`` as
        name → (filename, content, content type)."""
        boundary = f"----liaison{uuid.uuid4().hex}"
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content, content_type) in files.items():
            parts.append(
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{name}"; filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self._send(
            "POST",
            path,
            b"".join(parts),
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": f"http://127.0.0.1:{self.port}{path}",
            },
        )


def form_fields(page: bytes) -> dict[str, str]:
    """The CSRF token of a page's form and the value each ``<select>`` shows selected, as a
    browser would submit them untouched."""
    html = page.decode()
    fields: dict[str, str] = {}
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if token:
        fields["csrfmiddlewaretoken"] = token.group(1)
    for select in re.finditer(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.DOTALL):
        chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(2))
        if chosen:
            fields[select.group(1)] = chosen.group(1)
    return fields


def incident(blo: str, summary: str) -> dict[str, Any]:
    """An incident as the API takes it, at ``blo``, told apart by its ``summary``."""
    return {
        "blo": blo,
        "occurred_at": "2026-11-30T08:00:00+07:00",
        "location_kind": "international_checkpoint",
        "direction": "entry",
        "crime_area": "wildlife",
        "detection_method": "scanner",
        "concealment_method": "mixed_with_cargo",
        "conveyance": "truck",
        "summary": summary,
        "summary_language": "en",
    }


def post_of(username: str) -> str:
    """The demo officer's BLO code, from their username (``lan.customs.mocbai`` → VN-MOCBAI)."""
    return {
        "mocbai": "VN-MOCBAI",
        "dienbien": "VN-DIENBIEN",
        "cautreo": "VN-CAUTREO",
        "bavet": "KH-BAVET",
        "dansavanh": "LA-DANSAVANH",
    }[username.rsplit(".", 1)[1]]


def site_environment(data_dir: Path, database_url: str = "") -> dict[str, str]:
    """The environment of a Liaison install in ``data_dir`` (and ``database_url`` if given)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LIAISON_", "DJANGO_")) and key != "DATABASE_URL"
    }
    environment["LIAISON_DATA_DIR"] = str(data_dir)
    environment["DJANGO_SETTINGS_MODULE"] = "liaison.settings"
    if database_url:
        environment["DATABASE_URL"] = database_url
    return environment
