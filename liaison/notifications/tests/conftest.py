import pytest


@pytest.fixture
def exchange_world(world):
    """The named-persona world, the vocabularies, and Thu — a second customs officer at Moc Bai."""
    from tests.builders import ensure_vocabulary, make_officer

    ensure_vocabulary()
    world.thu = make_officer(world.moc_bai, world.vn_customs, "thu", first_name="Thu")
    return world
