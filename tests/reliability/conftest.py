"""The reliability suite: every test in this folder is marked ``reliability``, which the default
run leaves out (``addopts`` in pyproject.toml). Run it with

    ./run tests -n 0 -m reliability tests/reliability

and on PostgreSQL with ``DATABASE_URL=postgres://…`` in front. ``LIAISON_RELIABILITY_SIZE``
(default 1) scales the writes, imports and kills; CI runs it at 0.2.
"""

from __future__ import annotations

import os

import pytest


def size(full: int, least: int = 1) -> int:
    """``full`` scaled by ``LIAISON_RELIABILITY_SIZE``, never under ``least``."""
    return max(least, round(full * float(os.environ.get("LIAISON_RELIABILITY_SIZE", "1"))))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.reliability)
