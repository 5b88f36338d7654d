"""The officer whose training a write touches, as the registry stores them."""

from __future__ import annotations

from liaison.registry.models import User


def _registered(officer: User, *, lock: bool = False) -> User:
    """The officer as the registry stores them. Whose training a write touches is decided on the
    stored account (its BLO, country), never on the object a caller hands in."""
    rows = User.objects.select_for_update() if lock else User.objects.all()
    return rows.get(pk=officer.pk)
