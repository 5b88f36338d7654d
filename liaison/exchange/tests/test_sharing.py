"""Sharing by the SOP: the TLP label's limit, the originator's approval, the audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.audit.models import AuditAction, AuditEntry
from liaison.audit.services import verify_chain
from liaison.exchange.models import Distribution, Incident, ShareRequest, ShareStatus
from liaison.exchange.services import do_decide_share_request, do_share_record
from liaison.registry.permissions import visible
from tests.builders import make_incident


def test_record_wider_than_its_label_needs_the_originators_confirmation(exchange_world) -> None:
    with pytest.raises(ValidationError, match="does not allow sharing"):
        make_incident(exchange_world.lan, tlp="RED", distribution="blo")
    incident = make_incident(
        exchange_world.lan, tlp="RED", distribution="blo", confirmed_beyond_label=True
    )
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_id=str(incident.pk))
    assert entry.changes["beyond_label_approved"] is True


def test_colleague_asks_originator_to_share_beyond_label_and_originator_approves(
    exchange_world,
) -> None:
    # given an AMBER+STRICT record kept at the post
    incident = make_incident(exchange_world.lan, tlp="AMBER+STRICT", distribution="blo")
    # the head of the post, of another agency, is outside the originating unit: he may not ask
    with pytest.raises(PermissionDenied):
        do_share_record(
            incident, Distribution.COUNTERPART, reason="Joint op", actor=exchange_world.tuan
        )
    # when Thu, Lan's customs colleague at the post, asks to share it with the counterpart
    outcome = do_share_record(
        incident,
        Distribution.COUNTERPART,
        reason="Joint operation with Bavet",
        actor=exchange_world.thu,
    )
    # then nothing widens until the originator approves
    assert not outcome.applied
    assert not visible(exchange_world.dara, Incident).filter(pk=incident.pk).exists()
    pending = ShareRequest.objects.get()
    with pytest.raises(PermissionDenied):
        do_decide_share_request(pending, approve=True, actor=exchange_world.thu)
    do_decide_share_request(pending, approve=True, actor=exchange_world.lan)
    pending.refresh_from_db()
    assert pending.status == ShareStatus.APPROVED
    assert visible(exchange_world.dara, Incident).filter(pk=incident.pk).exists()
    shares = AuditEntry.objects.filter(action=AuditAction.SHARE, object_id=str(incident.pk))
    assert shares.count() == 2
    assert verify_chain() is None


def test_sharing_within_the_label_applies_at_once_and_narrows_nominal_data(exchange_world) -> None:
    incident = make_incident(
        exchange_world.lan,
        tlp="GREEN",
        distribution="network",
        nominal=[{"kind": "vehicle", "role": "other", "name": "Truck", "distribution": "national"}],
    )
    outcome = do_share_record(incident, Distribution.BLO, actor=exchange_world.thu)
    assert outcome.applied
    assert incident.nominal_entries.get().distribution == "agency"


def test_officer_of_another_agency_may_not_share(exchange_world) -> None:
    incident = make_incident(exchange_world.lan, distribution="blo")
    with pytest.raises(PermissionDenied):
        do_share_record(incident, Distribution.COUNTERPART, actor=exchange_world.minh)
    with pytest.raises(PermissionDenied):
        do_share_record(incident, Distribution.NETWORK, actor=exchange_world.dara)


def test_officer_creates_a_sharing_group_of_people_in_reach(exchange_world) -> None:
    from django.test import Client

    from liaison.exchange.models import SharingGroup

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(exchange_world.lan)
    response = client.post(
        "/exchange/groups/",
        {
            "name": "Pangolin task force",
            "members": [exchange_world.dara.pk, exchange_world.minh.pk],
        },
    )
    assert response.status_code == 302
    group = SharingGroup.objects.get(name="Pangolin task force")
    assert set(group.members.values_list("username", flat=True)) == {"lan", "dara", "minh"}
    # Hùng, at another post, is not in Lan's reach: he cannot be added
    refused = client.post(
        "/exchange/groups/", {"name": "Other", "members": [exchange_world.hung.pk]}
    )
    assert refused.status_code == 200
    assert not SharingGroup.objects.filter(name="Other").exists()
