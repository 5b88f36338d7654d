"""An append-only, tamper-evident log of what people did.

Each entry carries the SHA-256 of its own content and of the entry before it, and an HMAC (with
a key kept outside the database) over its content, its number in the chain and the MAC before
it. Changing, deleting or reordering entries breaks the chain from there on, and cannot be
repaired without the key; signed checkpoints outside the database show entries cut from the end.
``liaison audit verify`` names the first break (see ``liaison.audit.services``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGOUT = "logout", _("Signed out")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    DELETE = "delete", _("Deleted")
    VIEW = "view", _("Viewed")
    SHARE = "share", _("Shared")
    EXPORT = "export", _("Exported")
    IMPORT = "import", _("Imported")
    TWO_FACTOR = "two_factor", _("Two-factor setting changed")


class AuditEntry(models.Model):
    created_at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_username = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object"), max_length=100, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    changes = models.JSONField(_("details"), default=dict, blank=True)
    remote_addr = models.CharField(_("network address"), max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    # Empty for entries written before the chain was keyed (they are checked by hash only).
    entry_mac = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}"


class AuditChainHead(models.Model):
    """One row, locked while an entry is appended, so two writers never fork the chain."""

    last_hash = models.CharField(max_length=64)
    last_mac = models.CharField(max_length=64, blank=True)
    length = models.PositiveBigIntegerField(default=0)
    last_entry_id = models.BigIntegerField(null=True, blank=True)
    # Number (1-based) of the first entry sealed with a MAC; None while none is.
    keyed_from = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return self.last_hash
