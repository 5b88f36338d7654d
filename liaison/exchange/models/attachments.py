"""Files attached to incidents, intelligence reports, requests and nominal entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.exchange.models.incidents import Incident
from liaison.exchange.models.intelligence import IntelligenceReport
from liaison.exchange.models.nominal import NominalEntry
from liaison.exchange.models.requests import InformationRequest


class Attachment(models.Model):
    """A photo or a document attached to one incident, intelligence report or request.

    Its file lives in the uploads folder of the data folder under a random name, and is served
    only through the permission layer (:func:`liaison.exchange.access.access_attachment`): an
    attachment is read by its record's readers; a photo of a person (``of_person``) only by the
    readers of the nominal part — of the entry it shows when one is named, else of the
    originating unit. Its type, size, digest and dimensions are read from the stored bytes."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    intelligence = models.ForeignKey(
        IntelligenceReport,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    information_request = models.ForeignKey(
        InformationRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(max_length=200, editable=False)
    thumbnail = models.FileField(max_length=200, blank=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=50, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    of_person = models.BooleanField(
        _("photo of a person"),
        default=False,
        help_text=_("Shown only to those who may read the nominal data."),
    )
    nominal_entry = models.ForeignKey(
        NominalEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person shown"),
    )
    location_kept = models.BooleanField(_("location kept"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        incident__isnull=False,
                        intelligence__isnull=True,
                        information_request__isnull=True,
                    )
                    | models.Q(
                        incident__isnull=True,
                        intelligence__isnull=False,
                        information_request__isnull=True,
                        nominal_entry__isnull=True,
                    )
                    | models.Q(
                        incident__isnull=True,
                        intelligence__isnull=True,
                        information_request__isnull=False,
                        nominal_entry__isnull=True,
                    )
                ),
                name="attachment_of_one_record",
            ),
            models.CheckConstraint(
                condition=models.Q(of_person=True) | models.Q(nominal_entry__isnull=True),
                name="attachment_entry_only_of_person",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("exchange:attachment", args=[self.pk])

    @property
    def record(self) -> Incident | IntelligenceReport | InformationRequest:
        record = self.incident or self.intelligence or self.information_request
        assert record is not None  # noqa: S101 - the constraint sets exactly one
        return record

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
