"""What Liaison says when the machine fails under it: a full disk, an unreachable database, an
unusable data folder — a page or one line that names the fault, and nothing half-written."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.test import Client

from liaison.operations.startup import DataFolderUnusable, ensure_data_folder_usable
from liaison.operations.storage import WholeFileStorage
from liaison.registry.models import User
from liaison.surveys.models import Questionnaire
from liaison.surveys.tests.builders import make_workbook
from tests.builders import PASSWORD

DISK_FULL = "The server's disk is full; nothing was saved."


def signed_in(user: User, language: str = "en") -> Client:
    # raise_request_exception=False: the page a person gets, not the exception the view raised
    client = Client(raise_request_exception=False, headers={"accept-language": language})
    client.force_login(user)
    return client


def sqlite_disk_full() -> OperationalError:
    error = OperationalError("database or disk is full")
    error.__cause__ = sqlite3.OperationalError("database or disk is full")
    return error


def database_unreachable() -> OperationalError:
    error = OperationalError("unable to open database file")
    error.__cause__ = sqlite3.OperationalError("unable to open database file")
    return error


class _FullDiskContent(ContentFile[bytes]):
    """File content whose second chunk meets a full disk, as a large upload would."""

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield b"first part of the file"
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


# --- a full disk ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_on_a_full_disk_says_so_with_507(world: Any) -> None:
    client = Client(raise_request_exception=False, headers={"accept-language": "en"})
    with mock.patch.object(SessionStore, "save", side_effect=sqlite_disk_full()):
        response = client.post("/login/", {"username": "lan", "password": PASSWORD})
    assert response.status_code == 507
    assert DISK_FULL in response.content.decode()


def test_a_full_disk_mid_upload_leaves_no_partial_file(media: Path) -> None:
    storage = WholeFileStorage(location=media)
    with pytest.raises(OSError, match="No space left"):
        storage.save("surveys/form.xlsx", _FullDiskContent(b""))
    assert files_under(media) == []


def test_two_uploads_of_one_name_are_both_kept(media: Path) -> None:
    storage = WholeFileStorage(location=media)
    first = storage.save("surveys/form.xlsx", ContentFile(b"one"))
    second = storage.save("surveys/form.xlsx", ContentFile(b"two"))
    assert first != second
    assert (media / first).read_bytes() == b"one"
    assert (media / second).read_bytes() == b"two"
    assert sorted(path.name for path in files_under(media)) == sorted(
        Path(name).name for name in (first, second)
    )


@pytest.mark.django_db
def test_questionnaire_upload_on_a_full_disk_answers_507_and_keeps_nothing(
    world: Any, media: Path
) -> None:
    client = signed_in(world.ainsley)
    upload = ContentFile(make_workbook(), name="small.xlsx")
    with mock.patch(
        "liaison.operations.storage.os.fsync",
        side_effect=OSError(errno.ENOSPC, "No space left on device"),
    ):
        response = client.post("/surveys/questionnaires/", {"file": upload})
    assert response.status_code == 507
    assert DISK_FULL in response.content.decode()
    assert not Questionnaire.objects.exists()
    assert files_under(media) == []


@pytest.mark.django_db
def test_questionnaire_whose_row_fails_after_its_file_was_written_leaves_no_orphan_file(
    world: Any, media: Path
) -> None:
    # given: the file is written, then the database fills up before the row commits
    client = signed_in(world.ainsley)
    upload = ContentFile(make_workbook(), name="small.xlsx")
    with mock.patch("liaison.surveys.services.record", side_effect=sqlite_disk_full()):
        response = client.post("/surveys/questionnaires/", {"file": upload})
    # then
    assert response.status_code == 507
    assert not Questionnaire.objects.exists()
    assert files_under(media) == []


# --- the API ------------------------------------------------------------------------------------

INCIDENT = {
    "blo": "VN-MOCBAI",
    "occurred_at": "2026-03-14T08:30:00+07:00",
    "location_kind": "international_checkpoint",
    "direction": "entry",
    "crime_area": "wildlife",
    "detection_method": "routine_inspection",
    "concealment_method": "other",
    "conveyance": "on_foot",
    "summary": "recorded on a full disk",
}


@pytest.mark.django_db
def test_the_api_on_a_full_disk_answers_507_saying_so_and_saves_nothing(world: Any) -> None:
    # given: the audit entry's cache turnover meets a full disk inside the write's transaction
    from liaison.exchange.models import Incident

    world.lan.preferred_language = "en"
    world.lan.save(update_fields=["preferred_language"])
    client = signed_in(world.lan)
    with mock.patch(
        "liaison.audit.services.data_changed",
        side_effect=OSError(errno.ENOSPC, "No space left on device"),
    ):
        response = client.post("/api/exchange/incidents", INCIDENT, content_type="application/json")
    assert response.status_code == 507
    assert response.json() == {"detail": DISK_FULL}
    assert not Incident.objects.filter(summary=INCIDENT["summary"]).exists()


@pytest.mark.django_db
def test_the_api_with_its_database_out_of_reach_answers_503_with_retry_after(
    world: Any,
) -> None:
    world.lan.preferred_language = "en"
    world.lan.save(update_fields=["preferred_language"])
    client = signed_in(world.lan)
    with mock.patch("liaison.exchange.api.search_incidents", side_effect=database_unreachable()):
        response = client.get("/api/exchange/incidents")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "cannot reach its database" in response.json()["detail"]


# --- an unreachable database ------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unreachable_database_gives_the_maintenance_page_in_the_users_language(
    world: Any,
) -> None:
    client = signed_in(world.lan, language="vi")
    with mock.patch.object(SessionStore, "load", side_effect=database_unreachable()):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.content.decode()
    assert '<html lang="vi">' in body
    assert "Traceback" not in body


@pytest.mark.django_db
def test_an_unreachable_database_page_says_what_happened(world: Any) -> None:
    client = signed_in(world.lan)
    with mock.patch.object(SessionStore, "load", side_effect=database_unreachable()):
        response = client.get("/exchange/")
    assert response.status_code == 503
    assert "The server cannot reach its database" in response.content.decode()


@pytest.mark.django_db
def test_any_other_error_keeps_the_plain_500_page(world: Any) -> None:
    client = signed_in(world.lan)
    with mock.patch.object(SessionStore, "load", side_effect=RuntimeError("a bug")):
        response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on the server" in response.content.decode()


# --- the data folder --------------------------------------------------------------------------


def test_a_read_only_data_folder_is_named_in_one_message(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    real_open = os.open

    def read_only(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).startswith(str(folder)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, *args, **kwargs)

    with (
        mock.patch("liaison.operations.startup.os.open", side_effect=read_only),
        pytest.raises(DataFolderUnusable) as refused,
    ):
        ensure_data_folder_usable(folder)
    assert str(refused.value) == (
        f"Liaison cannot use its data folder {folder} (LIAISON_DATA_DIR): "
        "it is on a read-only file system."
    )


def test_a_full_disk_does_not_stop_the_start(tmp_path: Path) -> None:
    # `liaison backup` to another disk may be exactly what the operator needs to run
    with mock.patch(
        "liaison.operations.startup.os.write",
        side_effect=OSError(errno.ENOSPC, "No space left on device"),
    ):
        ensure_data_folder_usable(tmp_path)
    assert list(tmp_path.iterdir()) == []


def _liaison(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIAISON_")}
    env.pop("DATABASE_URL", None)
    env.update(environment)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "liaison.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_data_folder_that_cannot_be_created_stops_any_command_with_one_line(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder's parent should be")
    folder = blocker / "liaison"
    finished = _liaison("serve", LIAISON_DATA_DIR=str(folder))
    assert finished.returncode == 2
    assert finished.stderr == (
        f"Liaison cannot use its data folder {folder} (LIAISON_DATA_DIR): "
        "part of its path is a file, not a folder.\n"
    )


def test_serve_with_an_unreachable_database_stops_with_one_line(tmp_path: Path) -> None:
    finished = _liaison(
        "serve",
        LIAISON_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL="postgres://liaison@127.0.0.1:9/liaison",
    )
    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("CommandError: Cannot reach the database liaison on 127.0.0.1:9:")
