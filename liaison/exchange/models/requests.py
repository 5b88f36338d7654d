"""Requests for information between BLOs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.exchange.models.incidents import Incident
from liaison.registry.models import BLO


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class InformationRequest(models.Model):
    """A request for information from one BLO to a counterpart, with its deadline and answer."""

    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    from_blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="requests_sent")
    to_blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="requests_received")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)
    question = models.TextField(_("question"))
    question_language = models.CharField(_("language of the text"), max_length=10, default="vi")
    deadline = models.DateField(_("answer needed by"))
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    answer_language = models.CharField(max_length=10, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )

    class Meta:
        ordering = ["deadline"]
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")

    def __str__(self) -> str:
        return f"{self.reference}"

    def get_absolute_url(self) -> str:
        return reverse("exchange:request", args=[self.reference])

    @property
    def overdue(self) -> bool:
        return self.status == RequestStatus.OPEN and self.deadline < timezone.localdate()
