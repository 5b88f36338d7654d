"""The exchange's background work (Django's Tasks framework): the seizure import.

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
from liaison.exchange.models import ImportStatus, SeizureImport
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
