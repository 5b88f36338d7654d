"""Soak: mixed reads and writes by 16 clients against ``liaison serve`` for N minutes.

Not a test. It makes a fresh data folder, loads the demo (``liaison demo --no-serve``), starts
``liaison serve`` on a free loopback port (gunicorn, ``--workers`` processes of 2 threads (`liaison serve`'s default)), signs
in 16 clients as demo officers and has each loop, until the time is up, over a mix of requests:
the dashboard, the incident list, an incident search, the meeting log, the training catalogue,
the API's incident list, and a new incident through the API (one write in five requests). Every
client waits for each answer before the next request (no pile-up beyond 16 in flight), and
talks to 127.0.0.1 only.

It reports, per kind of request, the count, the errors (a status ≥ 400, or no answer), p50 and
p95; the server's resident memory (master and workers) at start, at each minute and at the end,
and its growth after the first minute (the workers' warm-up);
and checks that every incident confirmed by the API is in the database once.

    uv run python benchmarks/soak.py                 # 10 minutes on SQLite
    uv run python benchmarks/soak.py --minutes 2
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_soak \\
        uv run python benchmarks/soak.py             # PostgreSQL (an empty database of its own)

Exit status 1 if any request failed, or a confirmed incident is missing or doubled, or an
incident was saved without its confirmation.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.served import (
    OFFICERS,
    Officer,
    Server,
    incident,
    liaison,
    post_of,
    site_environment,
)

READS = {
    "dashboard": "/",
    "incidents": "/exchange/incidents/",
    "search": "/exchange/incidents/?q=wildlife",
    "meetings": "/meetings/",
    "training": "/training/",
    "api list": "/api/exchange/incidents",
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def saved_summaries(environment: dict[str, str], data_dir: Path) -> Counter[str]:
    query = "SELECT summary FROM exchange_incident WHERE summary LIKE 'soak-%'"
    url = environment.get("DATABASE_URL", "")
    if not url:
        with sqlite3.connect(data_dir / "liaison.sqlite3") as db:
            return Counter(row[0] for row in db.execute(query))
    import psycopg

    with psycopg.connect(url) as db:
        return Counter(row[0] for row in db.execute(query))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="a fresh folder (made if absent)"
    )
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="liaison-soak-"))
    environment = site_environment(data_dir, os.environ.get("DATABASE_URL", ""))
    print(f"data folder {data_dir}; loading the demo …", flush=True)
    liaison(environment, "demo", "--no-serve", timeout=1800)
    server = Server(environment, workers=args.workers)
    server.start(data_dir / "serve.log")
    print(
        f"liaison serve on 127.0.0.1:{server.port}, {args.workers} workers × 4 threads", flush=True
    )

    samples: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    error_examples: list[str] = []
    confirmed: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.minutes * 60
    serials = itertools.count()

    def client(number: int) -> None:
        username = OFFICERS[number % len(OFFICERS)]
        rng = random.Random(number)
        officer = Officer(server.port, username, timeout=60)
        officer.sign_in()
        may_write = username.split(".")[1] != "head"
        while time.monotonic() < deadline:
            write = may_write and rng.random() < 0.2
            kind = "write" if write else rng.choice(list(READS))
            summary = f"soak-{username}-{next(serials)}"
            try:
                if write:
                    answer = officer.post_json(
                        "/api/exchange/incidents", incident(post_of(username), summary)
                    )
                else:
                    answer = officer.get(READS[kind])
            except OSError as error:
                with lock:
                    errors[kind] += 1
                    error_examples.append(f"{kind}: {error!r}")
                continue
            with lock:
                samples[kind].append(answer.seconds)
                if answer.status >= 400:
                    errors[kind] += 1
                    error_examples.append(f"{kind}: HTTP {answer.status}")
                elif write:
                    confirmed.append(summary)

    rss = [(0.0, server.rss_kib())]
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    try:
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            time.sleep(5)
            elapsed = time.monotonic() - started
            if elapsed - rss[-1][0] >= 60 or not any(t.is_alive() for t in threads):
                rss.append((elapsed, server.rss_kib()))
                done = sum(len(v) for v in samples.values())
                print(f"  {elapsed / 60:4.1f} min: {done} requests, RSS {rss[-1][1] / 1024:.0f} MiB",
                      flush=True)  # fmt: skip
        rss.append((time.monotonic() - started, server.rss_kib()))
    finally:
        server.stop()

    saved = saved_summaries(environment, data_dir)
    lost = set(confirmed) - set(saved)
    doubled = [s for s, n in saved.items() if n > 1]
    ghosts = set(saved) - set(confirmed)
    total = sum(len(v) for v in samples.values())
    print(f"\n{args.clients} clients, {args.minutes:g} min, "
          f"{'PostgreSQL' if environment.get('DATABASE_URL') else 'SQLite'}: "
          f"{total} requests, {sum(errors.values())} errors")  # fmt: skip
    print(f"{'kind':<12}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for kind in [*READS, "write"]:
        values = samples.get(kind, [])
        if values:
            print(f"{kind:<12}{len(values):>10}{errors[kind]:>8}"
                  f"{statistics.median(values) * 1000:>9.0f}{percentile(values, 95) * 1000:>9.0f}")  # fmt: skip
    print(f"writes confirmed {len(confirmed)}: lost {len(lost)}, doubled {len(doubled)}, "
          f"saved without a confirmation {len(ghosts)}")  # fmt: skip
    print("server RSS: " + ", ".join(f"{t / 60:.1f} min {k / 1024:.0f} MiB" for t, k in rss))
    warm = next((k for t, k in rss if t >= 60), rss[-1][1])
    # The workers load their code and caches in the first minute; flat memory is after that.
    print(f"server RSS growth after the first minute: {(rss[-1][1] - warm) / 1024:+.0f} MiB")
    for example in error_examples[:10]:
        print("  error:", example)
    return 1 if errors or lost or doubled or ghosts else 0


if __name__ == "__main__":
    sys.exit(main())
