"""Start-up check: a chain that was sealed must find its keys (no database query needed).

A warning, not an error: an error would stop every command, ``liaison restore`` among them,
which is how a lost key comes back. Writes stop anyway until it does (``record`` refuses).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.utils.translation import gettext as _


def audit_keys_present(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Checkpoints exist, so entries were sealed: both keys must be where they were."""
    if not settings.AUDIT_CHECKPOINT_FILE.exists():
        return []
    errors: list[CheckMessage] = []
    if not settings.AUDIT_KEY and not settings.AUDIT_KEY_FILE.exists():
        errors.append(
            Warning(
                _("The audit chain key is missing, though the chain has been sealed."),
                hint=_("Set LIAISON_AUDIT_KEY or restore %(path)s from your backup.")
                % {"path": settings.AUDIT_KEY_FILE},
                id="audit.W001",
            )
        )
    if not settings.AUDIT_SIGNING_KEY_FILE.exists():
        errors.append(
            Warning(
                _("The audit checkpoint signing key is missing, though checkpoints were signed."),
                hint=_("Restore %(path)s from your backup.")
                % {"path": settings.AUDIT_SIGNING_KEY_FILE},
                id="audit.W002",
            )
        )
    return errors
