"""What one audit entry costs: ``record()`` on SQLite, alone and in batches, and ``verify``.

Not a test. Runs on a fresh SQLite database (WAL, as deployed) in a temporary data folder:

    uv run python benchmarks/audit_record.py [--entries 3000]

It times ``record()`` each in its own transaction (one checkpoint per entry: the worst case,
a page view that writes one entry) and in transactions of ten (one checkpoint per ten), and
then ``liaison audit verify`` over the chain, and prints the median and 95th percentile.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
_folder = tempfile.mkdtemp(prefix="liaison-audit-benchmark-")
os.environ["LIAISON_DATA_DIR"] = _folder
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from liaison.audit.models import AuditAction, AuditChainHead, AuditEntry  # noqa: E402
from liaison.audit.services import record, verify_chain  # noqa: E402


def _one(number: int) -> None:
    record(
        actor=None,
        username="benchmark",
        action=AuditAction.VIEW,
        object_type="exchange.Intelligence",
        object_id=str(number),
        summary="viewed",
        changes={"fields": ["title", "summary"]},
    )


def _quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1e6:7.0f} µs, p95 {p95 * 1e6:7.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=3000)
    entries = parser.parse_args().entries
    with connection.schema_editor() as editor:
        editor.create_model(AuditChainHead)
        editor.create_model(AuditEntry)
    for warm_up in range(50):
        _one(warm_up)

    single = []
    for number in range(entries):
        started = time.perf_counter()
        _one(number)  # its own transaction, its own checkpoint
        single.append(time.perf_counter() - started)

    batched = []
    for batch in range(entries // 10):
        started = time.perf_counter()
        with transaction.atomic():
            for number in range(10):
                _one(batch * 10 + number)
        batched.append((time.perf_counter() - started) / 10)

    started = time.perf_counter()
    assert verify_chain() is None
    verify = time.perf_counter() - started
    total = AuditEntry.objects.count()

    print(f"record(), one per transaction: {_quantiles(single)}")
    print(f"record(), ten per transaction: {_quantiles(batched)} per entry")
    print(f"verify over {total} entries: {verify:.2f} s ({verify / total * 1e6:.0f} µs per entry)")
    print(f"(data folder: {_folder})")


if __name__ == "__main__":
    main()
