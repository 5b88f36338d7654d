"""Throughput of signed-in pages under load: wrk against ``liaison serve`` on a loopback port.

Not a test. It makes a fresh data folder (or reuses ``--data-dir``), loads the demo
(``liaison demo --no-serve``), starts ``liaison serve`` (gunicorn, 2 workers by default), signs in
as a demo officer, and runs wrk (Debian package ``wrk``) for each page in turn, the same
connections and duration each, ``/healthz`` first, in the same run:

    apt-get install -y wrk
    ./run exec python benchmarks/throughput.py                  # 32 connections, 15 s a page
    ./run exec python benchmarks/throughput.py --user huong.coordinator.vn --connections 32

The measurement runs in rounds (``--rounds``, three by default): each round measures
``/healthz`` and then every page for ``--seconds / --rounds`` seconds, so a page's ratio to
``/healthz`` divides two figures taken a minute apart at most, not a quarter of an hour apart
on a machine whose speed drifts (a shared virtual machine's does, by a factor of two or three).
It prints, per page, the requests per second over all rounds, each round's ratio to that
round's ``/healthz`` and their median (the figure compared with the README's target: at least
0.25), the median and the worst of the rounds' p95 latency (target: under 500 ms), p50, p99,
errors and timeouts.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

DEMO_PASSWORD = "liaison-demo-2026"  # noqa: S105 - the published demo credential
PAGES = [
    ("healthz", "/healthz"),
    ("dashboard", "/exchange/"),
    ("home", "/"),
    ("incident list", "/exchange/incidents/"),
]

# wrk's Lua hook: the latency percentiles and counts, one line each, easy to read back
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%f p50=%d p95=%d p99=%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(95), latency:percentile(99)))
  io.write(string.format("RESULT errors_status=%d errors_timeout=%d errors_connect=%d\\n",
    summary.errors.status, summary.errors.timeout, summary.errors.connect))
end
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def site_environment(data_dir: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DJANGO_"))}
    environment["LIAISON_DATA_DIR"] = str(data_dir)
    environment["DJANGO_SETTINGS_MODULE"] = "liaison.settings"
    if os.environ.get("LIAISON_CACHE_URL"):
        environment["LIAISON_CACHE_URL"] = os.environ["LIAISON_CACHE_URL"]
    return environment


def liaison(environment: dict[str, str], *args: str) -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "liaison.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"liaison {' '.join(args)} failed: {done.stderr[-3000:]}")


def wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("liaison serve stopped; see its log")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"liaison serve did not answer in {timeout:.0f} s")


def sign_in(port: int, username: str) -> str:
    """The Cookie header of a signed-in session (session and CSRF cookies)."""
    cookies: dict[str, str] = {}

    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request(method, path, body=body, headers={"Cookie": cookie, **headers})
        response = connection.getresponse()
        response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status

    send("GET", "/login/", None, {})
    form = urllib.parse.urlencode(
        {
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": cookies.get("csrftoken", ""),
        }
    ).encode()
    status = send(
        "POST",
        "/login/",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{port}/login/",
        },
    )
    if status != 302:
        raise SystemExit(f"{username} could not sign in ({status})")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


@dataclass
class Result:
    page: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: str


def run_wrk(
    port: int, path: str, cookie: str, connections: int, seconds: int, script: Path
) -> tuple[float, float, float, float, str]:
    done = subprocess.run(  # noqa: S603
        [
            shutil.which("wrk") or "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            "-H",
            f"Cookie: {cookie}",
            "-H",
            "Accept-Language: vi",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(
        r"RESULT requests=(\d+) seconds=([\d.]+) p50=(\d+) p95=(\d+) p99=(\d+)", done.stdout
    )
    errors = re.search(
        r"RESULT (errors_status=\d+ errors_timeout=\d+ errors_connect=\d+)", done.stdout
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if found is None or errors is None:
        raise SystemExit(f"wrk said: {done.stdout}\n{done.stderr}")
    requests, elapsed = int(found.group(1)), float(found.group(2))
    notes = errors.group(1) + (f" non_2xx={non_2xx.group(1)}" if non_2xx else "")
    return (
        requests / elapsed,
        int(found.group(3)) / 1000,
        int(found.group(4)) / 1000,
        int(found.group(5)) / 1000,
        notes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=15, help="per page, all rounds together")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--user", default="lan.customs.mocbai", help="a demo account")
    parser.add_argument("--data-dir", type=Path, help="an install to reuse (default: a new demo)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="liaison-throughput-"))
    environment = site_environment(data_dir)
    if args.data_dir is None:
        print(f"data folder {data_dir}; loading the demo …", flush=True)
        liaison(environment, "demo", "--no-serve")
    port = free_port()
    log = data_dir / "throughput-serve.log"
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "liaison.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(args.workers)],
        env=environment,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(port, server)
        cookie = sign_in(port, args.user)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(REPORT)
        rounds: list[dict[str, Result]] = []
        seconds = max(1, args.seconds // args.rounds)
        for number in range(1, args.rounds + 1):
            measured: dict[str, Result] = {}
            for page, path in PAGES:
                # one warm-up second, unmeasured: the first requests fill the caches
                run_wrk(port, path, cookie, args.connections, 1, Path(script.name))
                rps, p50, p95, p99, notes = run_wrk(
                    port, path, cookie, args.connections, seconds, Path(script.name)
                )
                measured[page] = Result(page, rps, p50, p95, p99, notes)
                ratio = rps / measured["healthz"].rps
                print(
                    f"round {number} {page}: {rps:.0f} req/s (ratio {ratio:.2f}), p95 {p95:.0f} ms",
                    flush=True,
                )
            rounds.append(measured)
        Path(script.name).unlink()
    finally:
        server.terminate()
        server.wait(timeout=60)
    database = "PostgreSQL" if environment.get("DATABASE_URL") else "SQLite"
    cache = "Redis" if environment.get("LIAISON_CACHE_URL") else "file cache"
    print(
        f"\n{args.connections} connections, {args.rounds} rounds of {seconds} s a page, "
        f"{args.workers} workers, {database}, {cache}, {os.cpu_count()} CPUs, as {args.user}"
    )
    print(
        "| page | req/s | ratio to /healthz (median; each round) | p95 ms (median; worst) "
        "| p50 ms | p99 ms | errors |"
    )
    print("|---|---|---|---|---|---|---|")
    for page, _path in PAGES:
        results = [measured[page] for measured in rounds]
        ratios = [m[page].rps / m["healthz"].rps for m in rounds]
        p95s = [r.p95_ms for r in results]
        errors = "; ".join(sorted({r.errors for r in results}))
        print(
            f"| {page} | {statistics.mean(r.rps for r in results):.0f} "
            f"| {statistics.median(ratios):.2f}; {', '.join(f'{x:.2f}' for x in ratios)} "
            f"| {statistics.median(p95s):.0f}; {max(p95s):.0f} "
            f"| {statistics.median(r.p50_ms for r in results):.0f} "
            f"| {statistics.median(r.p99_ms for r in results):.0f} | {errors} |"
        )


if __name__ == "__main__":
    main()
