"""Exports of incidents, written by the background worker and kept for their download."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    INCIDENTS_CSV = "incidents.csv", "CSV"
    INCIDENTS_XLSX = "incidents.xlsx", "XLSX"
    VRS_MSRC = "vrs-msrc.csv", "VRS-MSRC"

    @property
    def file_format(self) -> str:
        return "xlsx" if self is ExportKind.INCIDENTS_XLSX else "csv"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting for the worker")
    WRITING = "writing", _("writing the file")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")
    DISCARDED = "discarded", _("discarded: some of its records are no longer shared with you")

    @property
    def is_finished(self) -> bool:
        return self in {ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.DISCARDED}


class IncidentExport(models.Model):
    """One export of the incidents a person's search finds, written by the background worker.

    The search (its filters) is kept, not its result: the worker runs it as the person who asked,
    through the same visibility filter as the list. The file is kept with the references of the
    incidents it holds, so that the download can check every one is still readable by that person
    (a record narrowed after the file was written is not handed out from an old file). Shown and
    downloaded by the person who asked only; files older than :data:`EXPORT_KEPT` are removed.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ExportKind.choices)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows = models.PositiveIntegerField(default=0)
    content = models.BinaryField(blank=True, default=b"")
    references = models.JSONField(
        default=list, blank=True, help_text="Of the incidents in the file, checked at download."
    )
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("incident export")

    def __str__(self) -> str:
        return f"export {self.pk} ({self.kind}, {self.status})"

    @property
    def file_name(self) -> str:
        stem = "vrs-msrc" if self.kind == ExportKind.VRS_MSRC else "liaison-incidents"
        return f"{stem}-{self.pk}.{ExportKind(self.kind).file_format}"


EXPORT_KEPT = datetime.timedelta(hours=24)
"""How long a written export is kept for its download."""
