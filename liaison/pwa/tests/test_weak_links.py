"""Weak links: static files pre-compressed with long cache lifetimes in production, HTML
compressed on the way."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings

PRODUCTION_STATIC = {
    "default": {"BACKEND": "liaison.operations.storage.WholeFileStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The static files as `liaison collectstatic` leaves them in production (Django resets the
    storage when the settings change)."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(
        STORAGES=PRODUCTION_STATIC, STATIC_ROOT=root, WHITENOISE_USE_FINDERS=False
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def test_collected_static_files_are_hashed_and_precompressed(collected: Path, db: None) -> None:
    css = staticfiles_storage.url("liaison/liaison.css")
    assert css != "/static/liaison/liaison.css" and css.endswith(".css")
    assert (collected / css.removeprefix("/static/")).with_suffix(".css.gz").exists()


def test_hashed_static_files_are_cached_for_a_year_and_served_compressed(
    collected: Path, db: None
) -> None:
    css = staticfiles_storage.url("liaison/liaison.css")
    response = Client().get(css, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    max_age = int(response["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert max_age >= 365 * 24 * 3600
    assert b"--brand" in gzip.decompress(response.getvalue())


def test_service_worker_precaches_the_hashed_files(collected: Path, db: None) -> None:
    body = Client().get("/sw.js").content.decode()
    assert staticfiles_storage.url("liaison/liaison.css") in body
    assert '"/static/liaison/liaison.css"' not in body
