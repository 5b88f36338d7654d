"""Shared pytest set-up: the named-persona world, and compiled translation catalogues."""

from __future__ import annotations

import os
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check
# would otherwise refuse the ORM calls that live-server tests make from that same thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues() -> None:
    from liaison.catalogues import ensure_compiled

    ensure_compiled()


@pytest.fixture
def world(db: None):  # type: ignore[no-untyped-def]
    from tests.builders import build_world

    return build_world()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # Argon2 is the production hasher (tested in test_accounts); the rest of the suite builds many
    # users and does not need a deliberately slow hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings) -> None:  # type: ignore[no-untyped-def]
    # Background tasks run inside the request that enqueues them (Django's immediate backend);
    # the worker itself: tests/test_task_worker.py and liaison/exchange/tests/test_import_task.py.
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }


@pytest.fixture(scope="session")
def _audit_folder(tmp_path_factory):  # type: ignore[no-untyped-def]
    # The audit chain's keys and checkpoints live outside the database, in the data folder by
    # default: the tests use their own, never a developer's (whose demo chain they would break).
    from django.test import override_settings

    from liaison.audit.keys import forget_loaded_keys

    folder = tmp_path_factory.mktemp("audit")
    with override_settings(
        AUDIT_KEY="",
        AUDIT_DIR=folder,
        AUDIT_KEY_FILE=folder / "chain.key",
        AUDIT_SIGNING_KEY_FILE=folder / "checkpoint-signing.key",
        AUDIT_CHECKPOINT_FILE=folder / "checkpoints.jsonl",
    ):
        forget_loaded_keys()
        yield folder
    forget_loaded_keys()


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(_audit_folder, settings) -> None:  # type: ignore[no-untyped-def]
    # Each test's database starts from the same state; its checkpoints start from none.
    import uuid

    settings.AUDIT_CHECKPOINT_FILE = _audit_folder / f"checkpoints-{uuid.uuid4()}.jsonl"


@pytest.fixture(scope="session")
def django_db_setup(_audit_folder, django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    # The reference vocabularies are shipped data every module codes against: load them once
    # for the session (tests that flush the database load them again through `vocab`).
    from liaison.reference.services import ensure_reference_loaded

    with django_db_blocker.unblock():
        ensure_reference_loaded()


@pytest.fixture(autouse=True)
def _reports_cache_per_test(settings) -> None:  # type: ignore[no-untyped-def]
    # Rendered reports are cached on disk in production; each test gets its own memory cache,
    # so no test is served a report another test drew.
    import uuid

    settings.CACHES = {
        **settings.CACHES,
        # the counts and labels of liaison.caching: a test's writes are never committed, so
        # no test may read what another test's data left there
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"default-{uuid.uuid4()}",
        },
        "reports": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"reports-{uuid.uuid4()}",
        },
    }


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise() -> Any:
    # The active language is per thread, and a request made through the test client leaves the
    # user's language active; each test starts from English, whatever ran before it.
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    # Uploaded files (attachments, questionnaires) go to the data folder's uploads: each test
    # writes to a folder of its own, never to a developer's data folder.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("uploads")
