from __future__ import annotations

import pytest

from liaison.training.content import read_folder
from liaison.training.demo import CONTENT_DIR
from liaison.training.services import do_import_content, reference_exists


@pytest.fixture(scope="session")
def shipped():
    """The content shipped with Liaison, read once (it is pure: no database)."""
    return read_folder(CONTENT_DIR, reference_exists=reference_exists)


@pytest.fixture
def catalogue(db, shipped):
    """The shipped modules and qualifications in the database, by code."""
    from liaison.training.models import TrainingModule

    do_import_content(shipped, actor=None)
    return {m.code: m for m in TrainingModule.objects.all()}


@pytest.fixture
def cau_treo(world):
    from liaison.training.tests.builders import build_cau_treo

    return build_cau_treo(world)
