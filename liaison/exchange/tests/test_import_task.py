"""The seizure import as a background task: checked whole before anything is written, written in
short transactions invisible until published, followed by the person who started it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from liaison.audit.models import AuditEntry
from liaison.exchange import services
from liaison.exchange.imports import import_seizures
from liaison.exchange.models import ImportStatus, Incident, SeizureImport, SeizureItem
from liaison.exchange.tasks import discard_abandoned_imports, import_seizure_file
from liaison.registry.permissions import visible
from tests.builders import make_incident

HEADER = "case,occurred_at,location,direction,crime_area,commodity,quantity,unit,summary\r\n"


def seizure_file(rows: int, *, bad_row: int | None = None) -> bytes:
    lines = [
        f"C{n},2026-03-14 08:30,international_checkpoint,entry,wildlife,"
        f"{'unicorn horn' if n == bad_row else 'species:manis-javanica'},{n % 7 + 1},kg,IMPORTED\r\n"
        for n in range(rows)
    ]
    return (HEADER + "".join(lines)).encode()


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "SQLITE_PAUSE_SECONDS", 0)


def signed_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def upload(client: Client, raw: bytes, blo: Any) -> Any:
    return client.post(
        "/exchange/incidents/import/",
        {"file": SimpleUploadedFile("march.csv", raw), "blo": blo.pk},
    )


def test_import_page_hands_the_file_to_a_task_whose_starter_follows_it(exchange_world) -> None:
    # given
    lan = signed_in(exchange_world.lan)
    # when
    response = upload(lan, seizure_file(3), exchange_world.moc_bai)
    # then
    job = SeizureImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exchange/incidents/import/{job.pk}/"
    assert job.task_id and job.status == ImportStatus.DONE and job.upload == b""
    progress = lan.get(f"/exchange/incidents/import/{job.pk}/?format=json").json()
    assert progress["finished"] and progress["recorded"] == 3 and progress["rows_checked"] == 3
    page = lan.get(f"/exchange/incidents/import/{job.pk}/").content.decode()
    assert "exchange/import-progress.js" in page and "data-finished" in page
    assert visible(exchange_world.lan, Incident).filter(summary="IMPORTED").count() == 3


def test_an_import_is_shown_to_its_starter_only(exchange_world) -> None:
    upload(signed_in(exchange_world.lan), seizure_file(1), exchange_world.moc_bai)
    job = SeizureImport.objects.get()
    for other in (exchange_world.thu, exchange_world.tuan, exchange_world.root):
        client = signed_in(other)
        assert client.get(f"/exchange/incidents/import/{job.pk}/").status_code == 404
        assert client.get(f"/exchange/incidents/import/{job.pk}/?format=json").status_code == 404
    assert Client().get(f"/exchange/incidents/import/{job.pk}/").status_code == 302


def test_a_refused_file_saves_nothing_and_its_page_lists_every_problem(exchange_world) -> None:
    lan = signed_in(exchange_world.lan)
    response = upload(lan, seizure_file(5, bad_row=3), exchange_world.moc_bai)
    job = SeizureImport.objects.get()
    assert response["Location"] == f"/exchange/incidents/import/{job.pk}/"
    assert job.status == ImportStatus.REFUSED and job.upload == b""
    # in the language of the page the import was started from (Lan's own: Vietnamese)
    assert [(p["sheet"], p["row"], p["column"]) for p in job.problems] == [
        ("march.csv", 5, "commodity")
    ]
    assert "“unicorn horn” không có trong danh mục tra cứu" in job.problems[0]["message"]
    assert Incident.with_pending.count() == 0 and SeizureItem.objects.count() == 0
    page = lan.get(f"/exchange/incidents/import/{job.pk}/").content.decode()
    assert "unicorn horn" in page and "<td>5</td>" in page


def test_rows_of_an_unfinished_import_are_invisible_to_everyone(exchange_world) -> None:
    seen: list[tuple[int, int, int]] = []

    def written(count: int) -> None:
        seen.append(
            (
                count,
                Incident.with_pending.filter(summary="IMPORTED").count(),
                visible(exchange_world.lan, Incident).filter(summary="IMPORTED").count()
                + Incident.objects.filter(summary="IMPORTED").count(),
            )
        )

    import_seizures(
        seizure_file(450), "big.csv", blo=exchange_world.moc_bai, actor=exchange_world.lan,
        written=written,
    )  # fmt: skip
    assert seen == [(200, 200, 0), (400, 400, 0), (450, 450, 0)]
    assert Incident.objects.filter(summary="IMPORTED").count() == 450


def test_a_crashed_import_leaves_nothing_visible_and_is_cleaned_up(
    exchange_world, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the audit append of the publishing transaction fails, after every chunk is written
    before = AuditEntry.objects.count()
    job = SeizureImport.objects.create(
        started_by=exchange_world.lan,
        blo=exchange_world.moc_bai,
        filename="march.csv",
        upload=seizure_file(450),
    )
    pending_when_crashing: list[int] = []

    def crash(**kwargs: Any) -> None:
        pending_when_crashing.append(Incident.with_pending.count())
        raise OSError("disk gone")

    monkeypatch.setattr(services, "record", crash)
    # when
    with pytest.raises(OSError, match="disk gone"):
        import_seizure_file.call(job.pk)
    # then
    job.refresh_from_db()
    assert pending_when_crashing == [450]
    assert Incident.with_pending.count() == 0 and SeizureItem.objects.count() == 0
    assert job.status == ImportStatus.FAILED and job.upload == b"" and job.recorded == 0
    assert AuditEntry.objects.count() == before


def test_an_import_left_by_a_killed_worker_is_discarded(exchange_world) -> None:
    job = SeizureImport.objects.create(
        started_by=exchange_world.lan, blo=exchange_world.moc_bai, status=ImportStatus.WRITING
    )
    half = make_incident(exchange_world.lan, summary="IMPORTED")
    Incident.objects.filter(pk=half.pk).update(pending_import=job)
    kept = make_incident(exchange_world.lan, summary="typed by hand")
    assert discard_abandoned_imports() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert list(Incident.with_pending.all()) == [kept]


def test_an_import_is_audited_by_chunk_with_references_and_no_record_text(exchange_world) -> None:
    before = AuditEntry.objects.count()
    result = import_seizures(
        seizure_file(1200), "big.csv", blo=exchange_world.moc_bai, actor=exchange_world.lan
    )
    entries = list(AuditEntry.objects.order_by("pk")[before:])
    assert len(entries) == 3
    assert [len(entry.changes["references"]) for entry in entries] == [500, 500, 200]
    named = [reference for entry in entries for reference in entry.changes["references"]]
    assert named == [incident.reference for incident in result.incidents]
    assert all("IMPORTED" not in entry.summary + str(entry.changes) for entry in entries)
    call_command("audit", "verify")


@pytest.mark.django_db(transaction=True)  # the worker closes its connection after a task
def test_the_database_worker_runs_a_queued_import(exchange_world, settings) -> None:
    # given: tasks wait in the database for a worker
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    lan = signed_in(exchange_world.lan)
    upload(lan, seizure_file(2), exchange_world.moc_bai)
    job = SeizureImport.objects.get()
    assert job.status == ImportStatus.QUEUED
    assert lan.get(f"/exchange/incidents/import/{job.pk}/?format=json").json()["finished"] is False
    assert Incident.objects.count() == 0
    # when
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    # then
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.recorded == 2
    assert Incident.objects.filter(summary="IMPORTED").count() == 2
