from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from liaison.surveys.imports import SubmissionTable, read_export
from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.builders import make_form
from liaison.surveys.xlsform import Form, load_form


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Liaison's default language is Vietnamese; these tests read the English messages unless
    # they ask for Vietnamese themselves.
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def patrol_form() -> Form:
    return load_form(patrol_fixture.FORM_PATH)


@pytest.fixture(scope="session")
def kobo_table(patrol_form: Form) -> SubmissionTable:
    return read_export(patrol_fixture.KOBO_PATH, patrol_form)


@pytest.fixture(scope="session")
def odk_table(patrol_form: Form) -> SubmissionTable:
    return read_export(patrol_fixture.ODK_PATH, patrol_form)


@pytest.fixture(scope="session")
def small_form() -> Form:
    return make_form()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    # Uploaded questionnaires go to a temporary folder, not the developer's data folder.
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"
