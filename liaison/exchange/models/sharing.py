"""Sharing beyond the label: a request to widen who may read a record, and its decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.exchange.models.incidents import Incident
from liaison.exchange.models.intelligence import IntelligenceReport
from liaison.exchange.models.shareable import Distribution, SharingGroup


class ShareStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the originator")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ShareRequest(models.Model):
    """A request to share a record wider than its TLP label allows, and the originator's answer."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="share_requests"
    )
    intelligence = models.ForeignKey(
        IntelligenceReport,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="share_requests",
    )
    distribution = models.CharField(_("share with"), max_length=20, choices=Distribution.choices)
    group = models.ForeignKey(SharingGroup, on_delete=models.PROTECT, null=True, blank=True)
    reason = models.TextField(_("why"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=ShareStatus.choices, default="pending")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("request to share wider")
        verbose_name_plural = _("requests to share wider")

    def __str__(self) -> str:
        return f"{self.record} → {self.distribution}"

    @property
    def record(self) -> Incident | IntelligenceReport:
        record = self.incident or self.intelligence
        assert record is not None  # noqa: S101 - one of the two is always set
        return record
