from __future__ import annotations

import pytest


@pytest.fixture
def demo_network(db):
    """The demo registry and its meeting logs."""
    from liaison.meetings.demo import load_demo_meetings
    from liaison.registry.demo import load_demo_registry

    load_demo_registry()
    load_demo_meetings()
