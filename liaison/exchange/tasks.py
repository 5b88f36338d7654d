"""The exchange's background work (Django's Tasks framework): the seizure import, and the
exports of incidents (CSV, XLSX, VRS-MSRC), written by the worker and downloaded from their page.

The page that takes the upload stores it in a :class:`SeizureImport` and enqueues
:func:`import_seizure_file`; the worker checks every row outside any transaction, reporting its
progress on that row, then writes the incidents in short transactions, invisible until the last one
publishes them all. The person who started
the import follows it on the import's page, which polls :func:`seizure_import_progress`.
"""

from __future__ import annotations

from typing import TypedDict

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liaison.exchange.imports import import_seizures
from liaison.exchange.models import (
    ExportKind,
    ExportStatus,
    ImportStatus,
    IncidentExport,
    SeizureImport,
)
from liaison.tabular import TableError


class ImportProblem(TypedDict):
    sheet: str
    row: int
    column: str
    message: str


class ImportProgress(TypedDict):
    status: str
    status_label: str
    finished: bool
    rows_total: int
    rows_checked: int
    recorded: int
    problems: list[ImportProblem]


def _finish(job: SeizureImport, status: ImportStatus, **fields: object) -> None:
    SeizureImport.objects.filter(pk=job.pk).update(
        status=status, upload=b"", finished_at=timezone.now(), **fields
    )


@task
def import_seizure_file(import_id: int) -> int:
    """Import one stored upload; the number of incidents recorded (0 when refused)."""
    job = SeizureImport.objects.select_related("started_by", "blo").get(pk=import_id)
    if ImportStatus(job.status).is_finished:
        return job.recorded  # run twice (a retried task): the first run's outcome stands
    actor = job.started_by
    SeizureImport.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKING)

    def progress(done: int, total: int) -> None:
        SeizureImport.objects.filter(pk=job.pk).update(rows_checked=done, rows_total=total)
        if done == total:
            SeizureImport.objects.filter(pk=job.pk).update(status=ImportStatus.WRITING)

    def written(count: int) -> None:
        SeizureImport.objects.filter(pk=job.pk).update(recorded=count)

    language = job.language or actor.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            result = import_seizures(
                bytes(job.upload),
                job.filename,
                blo=job.blo,
                actor=actor,
                job=job,
                progress=progress,
                written=written,
            )
        except TableError as refused:
            problems: list[ImportProblem] = [
                {"sheet": p.sheet, "row": p.row, "column": p.column, "message": str(p.message)}
                for p in refused.problems
            ]
            _finish(job, ImportStatus.REFUSED, problems=problems)
            return 0
        except PermissionDenied as denied:
            message = str(denied) or _("You may not record incidents for this BLO.")
            _finish(
                job,
                ImportStatus.REFUSED,
                problems=[{"sheet": job.filename, "row": 0, "column": "", "message": message}],
            )
            return 0
        except Exception:
            # what was written is pending, and has been removed again: nothing is visible
            _finish(job, ImportStatus.FAILED, recorded=0)
            raise
    _finish(job, ImportStatus.DONE, recorded=result.count)
    return result.count


def seizure_import_progress(job: SeizureImport) -> ImportProgress:
    status = ImportStatus(job.status)
    return {
        "status": status.value,
        "status_label": str(status.label),
        "finished": status.is_finished,
        "rows_total": job.rows_total,
        "rows_checked": job.rows_checked,
        "recorded": job.recorded,
        "problems": list(job.problems),
    }


def discard_abandoned_imports() -> int:
    """Imports left half-way by a worker that was killed: their pending rows (never visible)
    are deleted and they are marked failed. Run before a worker starts, when none is running."""
    from liaison.exchange.services import discard_pending_import

    abandoned = SeizureImport.objects.filter(
        status__in=[ImportStatus.CHECKING, ImportStatus.WRITING]
    )
    count = 0
    for job in abandoned:
        discard_pending_import(job)
        _finish(job, ImportStatus.FAILED, recorded=0)
        count += 1
    return count


class ExportProgress(TypedDict):
    status: str
    status_label: str
    finished: bool
    rows: int
    seconds: int


@task
def write_incident_export(export_id: int) -> int:
    """Write one requested export; the number of incidents in it."""
    from liaison.exchange import services
    from liaison.exchange.models import Incident
    from liaison.exchange.selectors import export_rows, filters_from_json, search_incidents
    from liaison.exchange.vrs import vrs_rows
    from liaison.reference.models import CrimeArea
    from liaison.registry.permissions import visible
    from liaison.tabular import write_csv, write_xlsx

    export = IncidentExport.objects.select_related("requested_by").get(pk=export_id)
    if ExportStatus(export.status).is_finished:
        return export.rows  # run twice (a retried task): the first run's outcome stands
    IncidentExport.objects.filter(pk=export.pk).update(status=ExportStatus.WRITING)
    user = export.requested_by
    kind = ExportKind(export.kind)
    try:
        if kind is ExportKind.VRS_MSRC:
            incidents = visible(user, Incident).filter(crime_area=CrimeArea.MIGRANT_SMUGGLING)
            rows = vrs_rows(incidents)
        else:
            found = search_incidents(user, filters_from_json(export.filters))
            rows = export_rows(found.order_by("-occurred_at"))
        # the references come from the rows themselves (their first column), so the download
        # checks exactly the incidents the file holds
        references = sorted({str(row[0]) for row in rows[1:]})
        if kind.file_format == "xlsx":
            content = write_xlsx({"liaison-incidents": rows})
        else:
            content = write_csv(rows)
        services.record_export(user, kind.value, len(rows) - 1)
    except Exception:
        IncidentExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, finished_at=timezone.now()
        )
        raise
    IncidentExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.DONE,
        content=content,
        references=references,
        rows=len(rows) - 1,
        finished_at=timezone.now(),
    )
    return len(rows) - 1


def incident_export_progress(export: IncidentExport) -> ExportProgress:
    status = ExportStatus(export.status)
    until = export.finished_at or timezone.now()
    return {
        "status": status.value,
        "status_label": str(status.label),
        "finished": status.is_finished,
        "rows": export.rows,
        "seconds": max(0, int((until - export.created_at).total_seconds())),
    }
