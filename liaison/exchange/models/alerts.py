"""Alerts sent from one BLO to others, and their delivery and acknowledgement."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.exchange.models.incidents import Incident
from liaison.exchange.models.shareable import TLP
from liaison.registry.models import BLO


class Alert(models.Model):
    """ "Look out for …": sent by a BLO to its counterparts, each of which must acknowledge it."""

    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    from_blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="alerts_sent")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    subject = models.CharField(_("look out for"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    body_language = models.CharField(_("language of the text"), max_length=10, default="vi")
    vehicle = models.CharField(_("vehicle (plate, make, colour)"), max_length=200, blank=True)
    tlp = models.CharField(_("TLP label"), max_length=15, choices=TLP.choices, default=TLP.AMBER)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("exchange:alert", args=[self.reference])

    @property
    def tlp_label(self) -> TLP:
        return TLP(self.tlp)


class AlertDelivery(models.Model):
    """One recipient BLO of an alert: when it acknowledged and first answered."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    to_blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="alerts_received")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(_("response"), blank=True)
    response_language = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "to_blo"], name="one_delivery_per_blo")
        ]
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")

    def __str__(self) -> str:
        return f"{self.alert.reference} → {self.to_blo.code}"

    @property
    def time_to_acknowledge(self) -> datetime.timedelta | None:
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.alert.sent_at
