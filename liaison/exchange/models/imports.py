"""Seizure imports: an uploaded file and the progress of the task that imports it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.registry.models import BLO


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting for the worker")
    CHECKING = "checking", _("checking every row")
    WRITING = "writing", _("recording")
    DONE = "done", _("recorded")
    REFUSED = "refused", _("refused: nothing was imported")
    FAILED = "failed", _("failed: nothing was imported")

    @property
    def is_finished(self) -> bool:
        return self in {ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED}


class SeizureImport(models.Model):
    """One uploaded seizure file and the progress of the background task that imports it.

    The upload is kept here until the task has finished with it (then emptied); the problems
    found are kept as sheet/row/column/message so that the person who started the import sees
    them on its page.
    """

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    blo = models.ForeignKey(BLO, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    upload = models.BinaryField(blank=True, default=b"")
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    recorded = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=10, blank=True, help_text="Of the problems' wording.")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("seizure import")

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"
