"""Who reads what: every distribution level, for every persona of the world."""

from __future__ import annotations

import pytest

from liaison.exchange.models import Distribution, Incident, NominalEntry, SharingGroup
from liaison.registry.permissions import Action, can, visible
from tests.builders import make_incident

PERSONAS = [
    "lan",
    "thu",
    "minh",
    "tuan",
    "hung",
    "binh",
    "huong",
    "dara",
    "sophea",
    "vanna",
    "khamla",
    "ainsley",
    "root",
]
VIETNAMESE = {"lan", "thu", "minh", "tuan", "hung", "binh", "huong"}
COUNTRY_SCOPED = VIETNAMESE | {"dara", "sophea", "vanna", "khamla"}

AUDIENCE = {
    Distribution.AGENCY: {"lan", "thu"},  # customs at Moc Bai
    Distribution.BLO: {"lan", "thu", "minh", "tuan"},
    Distribution.COUNTERPART: {"lan", "thu", "minh", "tuan", "dara"},  # + Bavet, not Chrey Thom
    Distribution.NATIONAL: VIETNAMESE,
    Distribution.NETWORK: COUNTRY_SCOPED,  # not programme staff, not administrators
    Distribution.GROUP: {"lan", "thu", "minh", "tuan", "ainsley", "khamla"},  # post + members
}


@pytest.mark.parametrize("distribution", list(Distribution))
def test_each_distribution_reaches_exactly_its_audience(exchange_world, distribution) -> None:
    # given a record by Lan, customs at Moc Bai, labelled so that any distribution is within it
    group = SharingGroup.objects.create(name="Pangolin task force", created_by=exchange_world.lan)
    group.members.set([exchange_world.ainsley, exchange_world.khamla])
    incident = make_incident(
        exchange_world.lan,
        distribution=distribution,
        tlp="GREEN",
        group=group if distribution == Distribution.GROUP else None,
    )
    # then exactly its audience sees it, in lists and by direct access
    readers = {
        p
        for p in PERSONAS
        if visible(getattr(exchange_world, p), Incident).filter(pk=incident.pk).exists()
    }
    assert readers == AUDIENCE[distribution]
    for persona in PERSONAS:
        assert can(getattr(exchange_world, persona), Action.VIEW, incident) is (
            persona in AUDIENCE[distribution]
        )


def test_counterpart_sees_shared_seizure_without_nominal_part(exchange_world) -> None:
    incident = make_incident(
        exchange_world.lan,
        distribution="counterpart",
        nominal=[
            {
                "kind": "vehicle",
                "role": "other",
                "name": "Hino truck",
                "identifier": "70C-123.45",
                "distribution": "blo",
            },
            {"kind": "person", "role": "driver", "name": "Trần Văn B.", "distribution": "agency"},
        ],
    )
    assert visible(exchange_world.dara, Incident).filter(pk=incident.pk).exists()
    assert not visible(exchange_world.dara, NominalEntry).filter(incident=incident).exists()
    # colleagues at the post see the vehicle, only the customs unit sees the driver
    assert set(visible(exchange_world.minh, NominalEntry).values_list("name", flat=True)) == {
        "Hino truck"
    }
    assert set(visible(exchange_world.thu, NominalEntry).values_list("name", flat=True)) == {
        "Hino truck",
        "Trần Văn B.",
    }


def test_victims_identity_never_leaves_the_recording_agency(exchange_world) -> None:
    incident = make_incident(
        exchange_world.lan,
        distribution="network",
        tlp="GREEN",
        crime_area="human_trafficking",
        nominal=[
            {"kind": "person", "role": "victim", "name": "Victim A", "distribution": "network"}
        ],
    )
    entry = NominalEntry.objects.get(incident=incident)
    assert entry.distribution == "agency"  # forced, whatever was asked
    assert visible(exchange_world.thu, NominalEntry).filter(pk=entry.pk).exists()
    for persona in ("minh", "tuan", "huong", "dara", "root"):
        assert (
            not visible(getattr(exchange_world, persona), NominalEntry).filter(pk=entry.pk).exists()
        )


def test_nominal_data_cannot_be_wider_than_its_record(exchange_world) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="wider than its record"):
        make_incident(
            exchange_world.lan,
            distribution="blo",
            nominal=[
                {
                    "kind": "telephone",
                    "role": "suspect",
                    "name": "Phone",
                    "identifier": "+855 12 345 678",
                    "distribution": "network",
                }
            ],
        )
    assert not Incident.objects.exists()


def test_administrators_and_programme_staff_do_not_read_operational_records(exchange_world) -> None:
    make_incident(exchange_world.lan, distribution="national", tlp="GREEN")
    assert not visible(exchange_world.root, Incident).exists()
    assert not visible(exchange_world.ainsley, Incident).exists()
