"""Counterpart pairs are bilateral: one side proposes, the other side's head or coordinator
accepts, only across a land border; until then nothing is shared through the pair."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from liaison.audit.models import AuditAction, AuditEntry
from liaison.exchange.models import Incident, NominalEntry
from liaison.registry.borders import neighbours, share_land_border
from liaison.registry.models import BLO, CounterpartProposal, PairingStatus, User
from liaison.registry.permissions import visible
from liaison.registry.services import (
    do_accept_counterpart,
    do_end_counterpart_pair,
    do_propose_counterpart,
    do_refuse_counterpart,
    do_save_blo,
    do_withdraw_counterpart,
    eligible_counterparts,
)
from liaison.registry.transfer import export_rows
from tests.builders import ensure_vocabulary, make_blo, make_country, make_head, make_incident


@pytest.fixture
def pairing_world(world):
    """The world, the vocabularies, Sokha (head of Bavet) and a counterpart-only seizure
    recorded at Bavet with a suspect's name in it."""
    ensure_vocabulary()
    world.sokha = make_head(world.bavet, world.kh_police, "sokha", first_name="Sokha")
    world.bavet_record = make_incident(
        world.dara,
        distribution="counterpart",
        tlp="AMBER",
        nominal=[
            {
                "kind": "person",
                "role": "driver",
                "name": "Chea Vuthy",
                "distribution": "counterpart",
            }
        ],
    )
    return world


def reads_bavet(user: User, world) -> bool:
    """Whether ``user`` reads Bavet's counterpart-only record, its nominal part or its staff."""
    record = visible(user, Incident).filter(pk=world.bavet_record.pk).exists()
    nominal = visible(user, NominalEntry).filter(incident=world.bavet_record).exists()
    staff = visible(user, User).filter(pk=world.dara.pk).exists()
    assert record == nominal == staff, (record, nominal, staff)
    return record


def signed_in(user) -> Client:
    # The pages are read in English here (the personas would read their country's language).
    type(user).objects.filter(pk=user.pk).update(preferred_language="en")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_borders_table_is_symmetric_and_knows_the_mekong() -> None:
    assert share_land_border("VN", "KH") and share_land_border("KH", "VN")
    assert share_land_border("LA", "MM")
    assert not share_land_border("VN", "TH")  # Lao PDR and Cambodia lie between
    assert not share_land_border("KH", "CN")
    assert not share_land_border("VN", "VN")
    assert neighbours("LA") == {"CN", "KH", "MM", "TH", "VN"}


def test_head_proposing_bavet_shares_nothing_until_bavets_head_accepts(pairing_world) -> None:
    w = pairing_world
    # given Dien Bien is not paired with Bavet
    assert not reads_bavet(w.hung, w)
    # when Dien Bien's head proposes the pair
    proposal = do_propose_counterpart(w.dien_bien, w.bavet, actor=w.binh)
    # then his officer still reads nothing of Bavet's, nor opens its page
    assert not reads_bavet(w.hung, w)
    assert not w.dien_bien.counterparts.filter(pk=w.bavet.pk).exists()
    assert signed_in(w.hung).get("/registry/blos/KH-BAVET/").status_code == 403
    # when Bavet's head accepts
    do_accept_counterpart(proposal, actor=w.sokha)
    # then the pair stands, both ways
    assert reads_bavet(w.hung, w)
    assert set(w.bavet.counterparts.all()) == {w.moc_bai, w.dien_bien}
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (PairingStatus.ACCEPTED, w.sokha)


def test_vietnamese_head_cannot_accept_on_bavets_behalf(pairing_world) -> None:
    w = pairing_world
    proposal = do_propose_counterpart(w.dien_bien, w.bavet, actor=w.binh)
    for outsider in (w.binh, w.tuan, w.huong, w.root, w.dara, w.sophea):
        with pytest.raises(PermissionDenied):
            do_accept_counterpart(proposal, actor=outsider)
    # through the page: Tuấn does not even see the proposal, Hương may not answer it
    assert (
        signed_in(w.tuan).post(f"/registry/counterpart-proposals/{proposal.pk}/accept/")
    ).status_code == 404
    assert (
        signed_in(w.huong).post(f"/registry/counterpart-proposals/{proposal.pk}/accept/")
    ).status_code == 403
    assert not reads_bavet(w.hung, w)
    # Cambodia's coordinator may answer for Bavet
    do_accept_counterpart(proposal, actor=w.vanna)
    assert reads_bavet(w.hung, w)


def test_pair_within_one_country_or_between_non_bordering_countries_is_refused(world) -> None:
    th = make_country("TH", "Thailand", "ประเทศไทย", "th")
    aranya = make_blo(th, "TH-ARANYAPRATHET", "Aranyaprathet")
    cases = [
        (world.moc_bai, world.dien_bien, "same country"),  # VN–VN
        (world.moc_bai, aranya, "no land border"),  # VN–TH
    ]
    for left, right, reason in cases:
        with pytest.raises(ValidationError) as caught:
            do_propose_counterpart(left, right, actor=world.root)
        assert reason in " ".join(caught.value.messages)
        assert right not in eligible_counterparts(left)
    assert not CounterpartProposal.objects.exclude(status=PairingStatus.ACCEPTED).exists()
    # Bavet and Aranyaprathet face each other across the Cambodia–Thailand border
    assert aranya in eligible_counterparts(world.bavet)


def test_ending_a_pair_stops_sharing(pairing_world) -> None:
    w = pairing_world
    assert reads_bavet(w.lan, w)  # Moc Bai and Bavet are paired in the world
    with pytest.raises(PermissionDenied):
        do_end_counterpart_pair(w.moc_bai, w.bavet, actor=w.lan)  # an officer may not
    # either side ends it alone: here Moc Bai's head
    do_end_counterpart_pair(w.moc_bai, w.bavet, actor=w.tuan)
    assert not reads_bavet(w.lan, w)
    assert not w.bavet.counterparts.exists()
    ended = CounterpartProposal.objects.get(status=PairingStatus.ENDED)
    assert ended.ended_by == w.tuan
    entry = AuditEntry.objects.filter(
        object_type="registry.CounterpartProposal", object_id=str(ended.pk)
    ).first()
    assert entry is not None and entry.actor == w.tuan
    assert entry.changes["status"] == {"from": "accepted", "to": "ended"}


def test_refused_or_withdrawn_proposal_shares_nothing_and_cannot_be_accepted(
    pairing_world,
) -> None:
    w = pairing_world
    refused = do_propose_counterpart(w.dien_bien, w.bavet, actor=w.binh)
    do_refuse_counterpart(refused, actor=w.sokha)
    with pytest.raises(ValidationError):
        do_accept_counterpart(refused, actor=w.sokha)
    withdrawn = do_propose_counterpart(w.dien_bien, w.bavet, actor=w.huong)
    with pytest.raises(PermissionDenied):
        do_withdraw_counterpart(withdrawn, actor=w.sokha)  # the proposed side refuses instead
    do_withdraw_counterpart(withdrawn, actor=w.binh)
    with pytest.raises(ValidationError):
        do_accept_counterpart(withdrawn, actor=w.vanna)
    assert not reads_bavet(w.hung, w)


def test_a_second_proposal_for_the_same_pair_is_refused_with_a_reason(pairing_world) -> None:
    w = pairing_world
    do_propose_counterpart(w.dien_bien, w.bavet, actor=w.binh)
    with pytest.raises(ValidationError, match="already proposed"):
        do_propose_counterpart(w.dien_bien, w.bavet, actor=w.huong)
    with pytest.raises(ValidationError, match="answer its proposal"):
        do_propose_counterpart(w.bavet, w.dien_bien, actor=w.sokha)
    with pytest.raises(ValidationError, match="already a counterpart"):
        do_propose_counterpart(w.moc_bai, w.bavet, actor=w.tuan)


def test_only_the_proposing_sides_head_or_coordinator_proposes(pairing_world) -> None:
    w = pairing_world
    for outsider in (w.hung, w.tuan, w.vanna, w.ainsley, w.sokha):
        with pytest.raises(PermissionDenied):
            do_propose_counterpart(w.dien_bien, w.chrey_thom, actor=outsider)
    assert not CounterpartProposal.objects.filter(to_blo=w.chrey_thom).exists()


def test_pairing_through_the_pages_both_sides_see_the_proposal(pairing_world) -> None:
    w = pairing_world
    binh = signed_in(w.binh)
    page = binh.get("/registry/blos/VN-DIENBIEN/").content.decode()
    # only open posts across a land border, not already paired, are offered
    assert f'value="{w.bavet.pk}"' in page and f'value="{w.chrey_thom.pk}"' in page
    assert f'value="{w.moc_bai.pk}"' not in page and f'value="{w.pang_hok.pk}"' not in page
    response = binh.post("/registry/blos/VN-DIENBIEN/counterparts/propose/", {"to_blo": w.bavet.pk})
    assert response.status_code == 302
    assert "Waiting for Bavet" in binh.get("/registry/blos/VN-DIENBIEN/").content.decode()
    sokha = signed_in(w.sokha)
    bavet_page = sokha.get("/registry/blos/KH-BAVET/").content.decode()
    assert 'id="incoming-proposals"' in bavet_page and "Dien Bien" in bavet_page
    proposal = CounterpartProposal.objects.get(to_blo=w.bavet, status=PairingStatus.PENDING)
    assert sokha.post(f"/registry/counterpart-proposals/{proposal.pk}/accept/").status_code == 302
    assert w.dien_bien.counterparts.filter(pk=w.bavet.pk).exists()
    steps = AuditEntry.objects.filter(
        object_type="registry.CounterpartProposal", object_id=str(proposal.pk)
    ).order_by("id")
    assert [(e.action, e.actor) for e in steps] == [
        (AuditAction.CREATE, w.binh),
        (AuditAction.CHANGE, w.sokha),
    ]
    # and Bavet's head may end it again from his page
    assert sokha.post("/registry/blos/KH-BAVET/counterparts/VN-DIENBIEN/end/").status_code == 302
    assert not w.dien_bien.counterparts.filter(pk=w.bavet.pk).exists()


def test_pairing_endpoints_answer_bad_input_with_4xx(pairing_world) -> None:
    w = pairing_world
    binh = signed_in(w.binh)
    propose = "/registry/blos/VN-DIENBIEN/counterparts/propose/"
    assert binh.get(propose).status_code == 405
    assert binh.post(propose, {"to_blo": "not-a-number"}).status_code == 400
    assert binh.post(propose, {}).status_code == 400
    assert signed_in(w.hung).post(propose, {"to_blo": w.bavet.pk}).status_code == 403
    assert binh.post("/registry/counterpart-proposals/999999/accept/").status_code == 404
    proposal = do_propose_counterpart(w.dien_bien, w.bavet, actor=w.binh)
    assert binh.post(f"/registry/counterpart-proposals/{proposal.pk}/merge/").status_code == 404
    assert binh.post(f"/registry/counterpart-proposals/{proposal.pk}/withdraw/").status_code == 302
    # answering a proposal that is no longer pending: a clear message, not an error page
    response = signed_in(w.sokha).post(f"/registry/counterpart-proposals/{proposal.pk}/accept/")
    assert response.status_code == 400
    assert "no longer waiting" in response.content.decode()
    # ending a pair that does not stand
    assert binh.post("/registry/blos/VN-DIENBIEN/counterparts/VN-MOCBAI/end/").status_code == 400


def test_moving_a_paired_blo_to_another_country_is_refused(world) -> None:
    moc_bai = BLO.objects.get(pk=world.moc_bai.pk)
    moc_bai.country = world.la
    moc_bai.province = moc_bai.cluster = None
    with pytest.raises(ValidationError, match="End this BLO's counterpart pairs"):
        do_save_blo(moc_bai, actor=world.root)
    world.moc_bai.refresh_from_db()
    assert world.moc_bai.country == world.vn


def test_import_proposes_and_ends_pairs_but_never_makes_one(pairing_world) -> None:
    from liaison.registry.services import do_import_registry

    w = pairing_world
    # Hương's file pairs Dien Bien with Chrey Thom and drops Moc Bai's pair with Bavet
    raw = (
        b"code,country,name_en,counterparts\n"
        b"VN-DIENBIEN,VN,Dien Bien,LA-PANGHOK KH-CHREYTHOM\n"
        b"VN-MOCBAI,VN,Moc Bai,\n"
    )
    summary = do_import_registry(raw, "blos.csv", actor=w.huong)
    assert (summary.pairs_proposed, summary.pairs_ended) == (1, 1)
    assert set(w.dien_bien.counterparts.all()) == {w.pang_hok}  # Chrey Thom only proposed
    assert not w.moc_bai.counterparts.exists()
    assert not reads_bavet(w.lan, w)
    pending = CounterpartProposal.objects.get(status=PairingStatus.PENDING)
    assert (pending.from_blo, pending.to_blo, pending.proposed_by) == (
        w.dien_bien,
        w.chrey_thom,
        w.huong,
    )
    # the export lists standing pairs only; importing it again proposes nothing new
    exported = {row[0]: row[9] for row in export_rows(w.huong)["blos"][1:]}
    assert exported["VN-DIENBIEN"] == "LA-PANGHOK"
    again = do_import_registry(raw, "blos.csv", actor=w.huong)
    assert (again.pairs_proposed, again.pairs_ended) == (0, 0)
