import pytest

from tests.builders import ensure_vocabulary


@pytest.fixture
def vocab(db):
    ensure_vocabulary()


@pytest.fixture
def exchange_world(world, vocab):
    """The named-persona world, the vocabularies, and Thu — a second customs officer at Moc Bai."""
    from tests.builders import make_officer

    world.thu = make_officer(world.moc_bai, world.vn_customs, "thu", first_name="Thu")
    return world
