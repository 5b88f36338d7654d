import pytest

from liaison.reference.models import ReferenceLoad, Source
from liaison.reference.services import ensure_reference_loaded
from liaison.reference.vocabularies import VOCABULARIES
from liaison.registry.models import User


@pytest.fixture
def library(db):
    """The reference library as shipped (the session may have loaded it already)."""
    ensure_reference_loaded()


@pytest.fixture
def empty_library(db):
    """No reference data at all, for tests of a first load (undone with the test's transaction)."""
    for vocabulary in reversed(VOCABULARIES):  # those that refer to others go first
        vocabulary.model._default_manager.all().delete()
    Source.objects.all().delete()
    ReferenceLoad.objects.all().delete()


def make_user(
    username: str = "officer", *, role: str = "programme_staff", language: str = ""
) -> User:
    # Programme staff need no country or BLO, which keeps these tests independent of the registry.
    return User.objects.create_user(
        username=username, password="a-long-test-password", role=role, preferred_language=language
    )
