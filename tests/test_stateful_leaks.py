"""The SOP holds on every write path: a stateful, model-based leak test.

Personas of several agencies, posts and countries perform random *writes* — record incidents and
intelligence (with nominal data and sources), change a report's TLP, share wider or narrower, ask
and answer sharing approvals, propose, accept and end counterpart pairs, create sharing groups,
send and acknowledge alerts, ask and answer requests for information, let time pass (an alert
unacknowledged too long, a request past its deadline), attach photos (of goods, of a person) to
records and requests. A model of the world, kept by the rules below from what the SOP says each
write may do (never from what the services did), decides who may read what. After every step
every persona asks every endpoint — lists, search, counts, the dashboard, exports, record and
request pages (with their related records and attachments), every attachment's file, "seen
before", PDFs, the API (with its STIX and MISP exports), alerts, the audit log, the registry's
staff list and the national coordinators' coordination page (its per-post counts and overdue
lists equal to the model's envelopes, never the text of an alert or a request) — and what they
read must be exactly what the model allows.

The suite runs a short version; a long one is a separate command (README, *Security model*):
``LIAISON_LEAK_EXAMPLES=500 LIAISON_LEAK_SHARDS=2 ./run tests tests/test_stateful_leaks.py``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from liaison.exchange.models import (
    TLP,
    Distribution,
    NominalRole,
    ShareRequest,
    ShareStatus,
)
from liaison.reference.models import CrimeArea
from tests import sop
from tests.builders import exported

EXAMPLES = int(os.environ.get("LIAISON_LEAK_EXAMPLES", "6"))
STEPS = int(os.environ.get("LIAISON_LEAK_STEPS", "8"))
SHARDS = int(os.environ.get("LIAISON_LEAK_SHARDS", "1"))

# Who writes: officers and heads of several agencies, posts and countries.
WRITERS = ["lan", "minh", "hung", "tuan", "binh", "dara", "sokha", "sophea", "khamla"]
# Who reads: everyone, including the coordinators, programme staff and the administrator.
READERS = sop.PERSONAS
# Who may try to pair posts or answer a proposal (any of them may try; the SOP decides).
PAIRERS = ["tuan", "binh", "sokha", "huong", "vanna", "phet", "lan", "dara", "root"]
AREAS = ["drugs", "wildlife", "migrant_smuggling", "ods"]
DISTRIBUTIONS = [d.value for d in Distribution]
TLPS = [t.value for t in TLP]
BLOS = ["moc_bai", "dien_bien", "bavet", "chrey_thom", "pang_hok"]
AUDIT_READERS = {"huong", "vanna", "phet", "root"}


@dataclass
class NominalSpec:
    needle: str
    role: str
    distribution: str


@dataclass
class AttachmentSpec:
    """One photo attached to a record: of goods, or of a person (showing the record's
    ``entry``-th nominal entry, or none)."""

    pk: int
    needle: str
    of_person: bool
    entry: int | None


@dataclass
class RecordSpec:
    """The model's view of one record: who recorded it and who may read it."""

    kind: str  # "incident" | "intelligence"
    reference: str
    author: str
    distribution: str
    group: str | None
    tlp: str
    needle: str
    nominal: list[NominalSpec] = field(default_factory=list)
    source_needle: str = ""
    attachments: list[AttachmentSpec] = field(default_factory=list)
    area: str = ""  # an incident's crime area


@dataclass
class AlertSpec:
    reference: str
    sender: str
    needle: str
    incident: str | None
    recipients: set[str]
    from_blo: str = ""
    acknowledged: set[str] = field(default_factory=set)  # the recipient posts that did
    overdue: bool = False  # sent longer ago than the SOP gives to acknowledge


@dataclass
class RequestSpec:
    """A request for information from the asker's post to a counterpart."""

    reference: str
    asker: str
    from_blo: str
    to_blo: str
    needle: str
    incident: str | None
    answered: bool = False
    overdue: bool = False  # its deadline has passed
    attachments: list[AttachmentSpec] = field(default_factory=list)


class ExchangeMachine(RuleBasedStateMachine):
    records = Bundle("records")
    groups = Bundle("groups")
    requests = Bundle("requests")
    proposals = Bundle("proposals")
    sent_alerts = Bundle("sent_alerts")
    information_requests = Bundle("information_requests")

    def __init__(self) -> None:
        super().__init__()
        # Each example rolls its rows back, and their ids come again in the next: no cached read
        # of one example may answer in another.
        cache.clear()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.world = sop.build()
        self.model = sop.Model.from_world(self.world)
        self.recs: dict[str, RecordSpec] = {}
        self.alerts: dict[str, AlertSpec] = {}
        self.info_requests: dict[str, RequestSpec] = {}
        # The requests asked, answered or attached to in the step.
        self.dirty_requests: set[str] = set()
        self.counter = 0
        self.clients: dict[str, Client] = {}
        # What changed in the step: the records whose readers may differ now.
        self.dirty: set[str] = set()
        self.pairs_changed = True

    def teardown(self) -> None:
        try:
            self._final_checks()
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # --- helpers ----------------------------------------------------------------------------

    def user(self, name: str) -> Any:
        return getattr(self.world, name)

    def needle(self, what: str) -> str:
        self.counter += 1
        return f"zq{what}{self.counter:03d}x"

    def client(self, name: str) -> Client:
        if name not in self.clients:
            c = Client(HTTP_ACCEPT_LANGUAGE="en")
            c.force_login(self.user(name))
            self.clients[name] = c
        return self.clients[name]

    # --- writes -----------------------------------------------------------------------------

    @initialize(target=groups)
    def a_task_force(self) -> Any:
        # One group exists from the start, with members of two countries.
        return self._create_group("tuan", ["tuan", "dara", "ainsley"])

    @rule(
        target=records,
        author=st.sampled_from(WRITERS),
        distribution=st.sampled_from(DISTRIBUTIONS),
        tlp=st.sampled_from(TLPS),
        confirm=st.booleans(),
        area=st.sampled_from(AREAS),
        nominal=st.lists(
            st.tuples(
                st.sampled_from([r.value for r in NominalRole]),
                st.sampled_from(["agency", "blo", "same"]),
            ),
            max_size=2,
        ),
        group=groups,
    )
    def record_incident(
        self,
        author: str,
        distribution: str,
        tlp: str,
        confirm: bool,
        area: str,
        nominal: list[tuple[str, str]],
        group: str,
    ) -> Any:
        needle = self.needle("inc")
        specs = [
            NominalSpec(
                needle=self.needle("nom"),
                role=role,
                distribution=distribution if how == "same" else how,
            )
            for role, how in nominal
        ]
        permitted = self.model.may_record(author, distribution, tlp, confirm, group, specs)
        try:
            incident = sop.record_incident(
                self.world,
                author,
                distribution=distribution,
                tlp=tlp,
                confirm=confirm,
                area=area,
                summary=needle,
                nominal=[(n.needle, n.role, n.distribution) for n in specs],
                group=group,
            )
        except (ValidationError, PermissionDenied) as refused:
            assert not permitted, f"{author} was refused a permitted record: {refused}"
            return multiple()
        assert permitted, f"{author} recorded {distribution}/{tlp} (confirm={confirm})"
        for spec in specs:
            if spec.role == NominalRole.VICTIM:
                spec.distribution = Distribution.AGENCY.value
        rec = RecordSpec("incident", incident.reference, author, distribution, None, tlp, needle)
        rec.area = area
        return self._recorded(rec, group=group, nominal=specs)

    @rule(
        target=records,
        author=st.sampled_from(WRITERS),
        distribution=st.sampled_from(DISTRIBUTIONS),
        tlp=st.sampled_from(TLPS),
        confirm=st.booleans(),
        group=groups,
    )
    def record_intelligence(
        self, author: str, distribution: str, tlp: str, confirm: bool, group: str
    ) -> Any:
        needle, source = self.needle("int"), self.needle("src")
        permitted = self.model.may_record(author, distribution, tlp, confirm, group)
        try:
            report = sop.record_intelligence(
                self.world,
                author,
                distribution=distribution,
                tlp=tlp,
                confirm=confirm,
                title=needle,
                source=source,
                group=group,
            )
        except (ValidationError, PermissionDenied) as refused:
            assert not permitted, f"{author} was refused a permitted report: {refused}"
            return multiple()
        assert permitted, f"{author} recorded intelligence {distribution}/{tlp}"
        rec = RecordSpec("intelligence", report.reference, author, distribution, None, tlp, needle)
        return self._recorded(rec, group=group, source_needle=source)

    def _recorded(
        self,
        rec: RecordSpec,
        *,
        group: str,
        nominal: list[NominalSpec] | None = None,
        source_needle: str = "",
    ) -> str:
        """Enter a record the services accepted into the model."""
        rec.group = group if rec.distribution == "group" else None
        rec.nominal = nominal or []
        rec.source_needle = source_needle
        self.recs[rec.reference] = rec
        self.dirty.add(rec.reference)
        return rec.reference

    @rule(
        target=requests,
        reference=records,
        actor=st.sampled_from(READERS),
        distribution=st.sampled_from(DISTRIBUTIONS),
        group=groups,
    )
    def share(self, reference: str, actor: str, distribution: str, group: str) -> Any:
        rec = self.recs[reference]
        new_group = group if distribution == "group" else None
        before = sop.pending_ids(rec)
        try:
            outcome = sop.share(self.world, rec, actor, distribution, new_group)
        except (ValidationError, PermissionDenied):
            outcome = None
        expected = self.model.share_outcome(rec, actor, distribution, new_group)
        event(f"share: {expected}")
        if expected == "applied":
            assert outcome == "applied", f"{actor} could not share {reference} → {distribution}"
            self.model.apply_distribution(rec, distribution, new_group)
            self.dirty.add(reference)
            return multiple()
        assert outcome != "applied", (
            f"{actor} shared {reference} ({rec.tlp}, {rec.distribution}) → {distribution} "
            f"without the originator's approval"
        )
        created = sop.pending_ids(rec) - before
        assert bool(created) == (expected == "pending"), (
            f"{actor} asking to share {reference} ({rec.tlp}, {rec.distribution}) → "
            f"{distribution}: expected {expected}, requests opened {created}"
        )
        if created:
            return (reference, created.pop(), distribution, new_group)
        return multiple()

    @rule(request=consumes(requests), actor=st.sampled_from(READERS), approve=st.booleans())
    def decide(self, request: Any, actor: str, approve: bool) -> None:
        reference, pk, distribution, group = request
        rec = self.recs[reference]
        share_request = ShareRequest.objects.get(pk=pk)
        if share_request.status != ShareStatus.PENDING:
            return
        try:
            sop.decide(self.world, share_request, actor, approve)
            decided = True
        except (ValidationError, PermissionDenied):
            decided = False
        may_decide = self.model.may_approve(rec, actor)
        event(f"approval decided: {decided}")
        assert decided == may_decide, f"{actor} deciding a request on {reference}: {decided}"
        if decided and approve:
            self.model.apply_distribution(rec, distribution, group)
            self.dirty.add(reference)

    @rule(reference=records, actor=st.sampled_from(READERS), tlp=st.sampled_from(TLPS))
    def change_tlp(self, reference: str, actor: str, tlp: str) -> None:
        rec = self.recs[reference]
        try:
            sop.change_tlp(self.world, rec, actor, tlp)
            changed = True
        except (ValidationError, PermissionDenied):
            changed = False
        assert changed == self.model.may_change_tlp(rec, actor, tlp), (
            f"{actor} changing {reference}'s label {rec.tlp} → {tlp}: {changed}"
        )
        event(f"label changed: {changed}")
        if changed:
            self.model.apply_tlp(rec, tlp)
            self.dirty.add(reference)

    @rule(
        target=groups,
        creator=st.sampled_from([*WRITERS, "huong"]),
        members=st.sets(st.sampled_from(READERS), max_size=3),
    )
    def create_group(self, creator: str, members: set[str]) -> Any:
        return self._create_group(creator, sorted(members))

    def _create_group(self, creator: str, members: list[str]) -> Any:
        name = self.needle("grp")
        try:
            sop.create_group(self.world, creator, name, members)
        except (ValidationError, PermissionDenied):
            return multiple()
        self.model.groups[name] = {creator, *members}
        return name

    @rule(
        target=proposals,
        actor=st.sampled_from(PAIRERS),
        left=st.sampled_from(BLOS),
        right=st.sampled_from(BLOS),
    )
    def propose_pair(self, actor: str, left: str, right: str) -> Any:
        try:
            proposal = sop.propose(self.world, actor, left, right)
        except (ValidationError, PermissionDenied):
            return multiple()
        assert self.model.may_propose(actor, left, right), f"{actor} proposed {left}–{right}"
        # A proposal shares nothing until the other side accepts it.
        return (proposal, left, right)

    @rule(proposal=consumes(proposals), actor=st.sampled_from(PAIRERS))
    def accept_pair(self, proposal: Any, actor: str) -> None:
        obj, left, right = proposal
        try:
            sop.accept(self.world, obj, actor)
            accepted = True
        except (ValidationError, PermissionDenied):
            accepted = False
        event(f"pair accepted: {accepted}")
        if accepted:
            assert self.model.may_accept(actor, left, right), f"{actor} accepted {left}–{right}"
            self.model.pairs.add(frozenset({left, right}))
        self.pairs_changed = True

    @rule(actor=st.sampled_from(PAIRERS), left=st.sampled_from(BLOS), right=st.sampled_from(BLOS))
    def end_pair(self, actor: str, left: str, right: str) -> None:
        if frozenset({left, right}) not in self.model.pairs:
            return
        try:
            sop.end_pair(self.world, actor, left, right)
            ended = True
        except (ValidationError, PermissionDenied):
            ended = False
        if ended:
            assert self.model.may_end(actor, left, right), f"{actor} ended {left}–{right}"
        if ended:
            self.model.pairs.discard(frozenset({left, right}))
        self.pairs_changed = True

    @rule(
        target=proposals,
        actor=st.sampled_from(["huong", "vanna", "phet", "tuan", "root"]),
        blo=st.sampled_from(BLOS),
        move_to=st.sampled_from([None, "VN", "KH", "LA"]),
        counterparts=st.sets(st.sampled_from(BLOS), max_size=2),
    )
    def import_registry(
        self, actor: str, blo: str, move_to: str | None, counterparts: set[str]
    ) -> Any:
        """A registry file naming one BLO: it may try to move the post to another country and
        name counterparts. It may propose and end pairs, never make one, and never re-home a post
        its importer does not keep."""
        before = sop.db_pairs(self.world)
        country = move_to or self.model.blo_country[blo]
        if self.model.persona(actor).role == "system_administrator":
            country = self.model.blo_country[blo]  # an administrator's moves are not modelled
        outcome = sop.import_blos(self.world, actor, blo, country, sorted(counterparts))
        assert sop.blo_country(self.world, blo) == self.model.blo_country[blo], (
            f"{actor}'s import moved {blo} to {country}"
        )
        after = sop.db_pairs(self.world)
        assert after <= before, f"{actor}'s import made pairs {after - before}"
        for ended in before - after:
            left, right = sorted(ended)
            assert self.model.may_end(actor, left, right), f"{actor}'s import ended {ended}"
        self.model.pairs = after
        self.pairs_changed = True
        if outcome is None:
            return multiple()
        return multiple(*[(p, *sop.proposal_sides(self.world, p)) for p in outcome])

    @rule(
        reference=records,
        actor=st.sampled_from(WRITERS),
        of_person=st.booleans(),
        entry=st.integers(min_value=-1, max_value=1),
    )
    def attach(self, reference: str, actor: str, of_person: bool, entry: int) -> None:
        """A photo on a record: of goods, or of a person — showing one of the record's nominal
        entries (``entry`` ≥ 0, when it has that many) or none."""
        rec = self.recs[reference]
        shown = entry if of_person and 0 <= entry < len(rec.nominal) else None
        needle = self.needle("att")
        try:
            attachment = sop.attach(
                self.world, rec, actor, name=f"{needle}.png", of_person=of_person, entry=shown
            )
        except (ValidationError, PermissionDenied):
            attached = False
        else:
            attached = True
        # one names only a person one may read
        permitted = self.model.may_attach(rec, actor) and (
            shown is None or self.model.may_read_nominal(actor, rec, rec.nominal[shown])
        )
        assert attached is permitted, f"{actor} attaching to {rec}: {attached}"
        if not attached:
            return
        event(f"attached: {'person' if of_person else 'goods'}")
        rec.attachments.append(AttachmentSpec(attachment.pk, needle, of_person, shown))
        self.dirty.add(reference)

    @rule(target=sent_alerts, sender=st.sampled_from(WRITERS), reference=records)
    def alert(self, sender: str, reference: str) -> Any:
        rec: RecordSpec | None = self.recs[reference]
        if rec is not None and rec.kind != "incident":
            rec = None
        needle = self.needle("alr")
        try:
            alert = sop.send_alert(self.world, sender, needle, rec)
        except (ValidationError, PermissionDenied):
            return multiple()
        from_blo = self.model.persona(sender).blo
        assert from_blo is not None
        recipients = self.model.counterparts_of(from_blo)
        if rec is not None:
            for blo in recipients:
                assert self.model.post_reads(blo, rec), (
                    f"{sender}'s alert carries {rec.reference} to {blo}, outside its audience"
                )
        self.alerts[alert.reference] = AlertSpec(
            reference=alert.reference,
            sender=sender,
            needle=needle,
            incident=rec.reference if rec else None,
            recipients=recipients,
            from_blo=from_blo,
        )
        return alert.reference

    @rule(reference=sent_alerts, actor=st.sampled_from(WRITERS))
    def acknowledge(self, reference: str, actor: str) -> None:
        alert = self.alerts[reference]
        try:
            sop.acknowledge(self.world, alert, actor)
            acknowledged = True
        except (ValidationError, PermissionDenied):
            acknowledged = False
        assert acknowledged is self.model.may_acknowledge(actor, alert), (
            f"{actor} acknowledging {reference} (to {alert.recipients}): {acknowledged}"
        )
        event(f"alert acknowledged: {acknowledged}")
        if acknowledged:
            blo = self.model.persona(actor).blo
            assert blo is not None
            alert.acknowledged.add(blo)

    @rule(reference=sent_alerts)
    def alert_waits(self, reference: str) -> None:
        """Time passes: the alert is older than the SOP gives its recipients to acknowledge it."""
        sop.let_alert_wait(self.alerts[reference])
        self.alerts[reference].overdue = True

    @rule(
        target=information_requests,
        asker=st.sampled_from(WRITERS),
        to_blo=st.sampled_from(BLOS),
        reference=records,
        about_record=st.booleans(),
    )
    def ask(self, asker: str, to_blo: str, reference: str, about_record: bool) -> Any:
        """A request for information to a post, about one of the incidents or about nothing
        recorded (the asker need not read the incident: the page names it only to its readers)."""
        rec: RecordSpec | None = self.recs[reference]
        if rec is not None and (rec.kind != "incident" or not about_record):
            rec = None
        needle = self.needle("rfi")
        try:
            asked = sop.ask(self.world, asker, to_blo, needle, rec)
        except (ValidationError, PermissionDenied):
            asked = None
        permitted = self.model.may_ask(asker, to_blo)
        assert (asked is not None) is permitted, f"{asker} asking {to_blo}: {asked}"
        event(f"request asked: {permitted}")
        if asked is None:
            return multiple()
        from_blo = self.model.persona(asker).blo
        assert from_blo is not None
        self.info_requests[asked.reference] = RequestSpec(
            reference=asked.reference,
            asker=asker,
            from_blo=from_blo,
            to_blo=to_blo,
            needle=needle,
            incident=rec.reference if rec else None,
        )
        self.dirty_requests.add(asked.reference)
        return asked.reference

    @rule(reference=information_requests, actor=st.sampled_from(WRITERS))
    def answer(self, reference: str, actor: str) -> None:
        info_request = self.info_requests[reference]
        try:
            sop.answer(self.world, info_request, actor)
            answered = True
        except (ValidationError, PermissionDenied):
            answered = False
        assert answered is self.model.may_answer(actor, info_request), (
            f"{actor} answering {reference} ({info_request.from_blo} → {info_request.to_blo})"
        )
        event(f"request answered: {answered}")
        if answered:
            info_request.answered = True
            self.dirty_requests.add(reference)

    @rule(reference=information_requests)
    def deadline_passes(self, reference: str) -> None:
        """Time passes: the request's deadline was yesterday."""
        sop.let_deadline_pass(self.info_requests[reference])
        self.info_requests[reference].overdue = True

    @rule(reference=information_requests, actor=st.sampled_from(WRITERS))
    def attach_to_request(self, reference: str, actor: str) -> None:
        """A photo on a request: its two posts' (either adds one), whether of a person or not."""
        info_request = self.info_requests[reference]
        needle = self.needle("att")
        try:
            attachment = sop.attach_to_request(
                self.world, info_request, actor, name=f"{needle}.png"
            )
        except (ValidationError, PermissionDenied):
            attachment = None
        permitted = self.model.may_attach_to_request(actor, info_request)
        assert (attachment is not None) is permitted, f"{actor} attaching to {reference}"
        if attachment is None:
            return
        info_request.attachments.append(AttachmentSpec(attachment.pk, needle, False, None))
        self.dirty_requests.add(reference)

    # --- what everyone reads ----------------------------------------------------------------

    @invariant()
    def everyone_reads_exactly_what_the_sop_allows(self) -> None:
        if self.pairs_changed:
            self.dirty = set(self.recs)
        for reader in READERS:
            self._check_reader(reader, deep=False)
        self.dirty, self.pairs_changed, self.dirty_requests = set(), False, set()

    def _final_checks(self) -> None:
        for reader in READERS:
            self._check_reader(reader, deep=True)

    def _expected(self, reader: str) -> dict[str, bool]:
        return {ref: self.model.may_read(reader, rec) for ref, rec in self.recs.items()}

    def _check_reader(self, reader: str, *, deep: bool) -> None:
        """What ``reader`` sees. Every list, count and page that aggregates records is asked after
        every step; a record's own pages (and the staff lists) only when something that decides
        their readers changed in the step — the record, a pair or a group — and all of them at the
        end of the run."""
        c = self.client(reader)
        expected = self._expected(reader)
        readable = {ref for ref, ok in expected.items() if ok}
        incidents = {r for r in readable if self.recs[r].kind == "incident"}
        reports = {r for r in readable if self.recs[r].kind == "intelligence"}
        all_incidents = {r for r, s in self.recs.items() if s.kind == "incident"}
        all_reports = {r for r, s in self.recs.items() if s.kind == "intelligence"}
        forbidden = self.model.forbidden_needles(reader, self.recs, self.alerts, self.info_requests)
        where = f"{reader} in {self.model.describe(self.recs)}"

        def look(url: str) -> str:
            response = c.get(url)
            assert response.status_code < 500, (url, response.status_code)
            text = response.content.decode("utf-8-sig", errors="replace")
            leaked = {n for n in forbidden if n in text}
            assert not leaked, f"{url} shows {leaked} to {where}"
            return text

        # lists, search, counts: every step
        page = look("/exchange/incidents/?text=zqinc")
        assert _refs(page, all_incidents) == incidents, where
        assert _refs(look("/exchange/intelligence/"), all_reports) == reports, where
        # the dashboard's counts are cached per reader: a write anywhere must turn them over
        dashboard = look("/exchange/")
        assert f'id="visible-total" data-count="{len(incidents)}"' in dashboard, where
        api = c.get("/api/exchange/incidents?limit=500").json()
        assert {i["reference"] for i in api["results"]} == incidents, where
        assert api["count"] == len(incidents), where
        self._check_seen_before(reader, c, incidents, where)
        if self.alerts:
            look("/exchange/alerts/")
        if reader in AUDIT_READERS:
            look("/audit/")
        if self.model.coordinated_country(reader) is not None:
            self._check_coordination(reader, look, where)
        elif deep:
            assert c.get("/exchange/coordination/").status_code == 403, where
        for ref, info_request in self.info_requests.items():
            if deep or ref in self.dirty_requests:
                self._check_request_pages(reader, c, info_request, look, where, deep=deep)
        if deep:
            look("/")
            assert _refs(look("/exchange/incidents/"), all_incidents) == incidents, where
            counts = c.get("/api/exchange/counts").json()
            assert sum(row["count"] for row in counts) == len(incidents), where
            look("/exchange/incidents/export.csv")  # the page that asks for the export
            written = exported(c, "/exchange/incidents/export.csv").content.decode("utf-8-sig")
            assert not {n for n in forbidden if n in written}, where
            assert _refs(written, all_incidents) == incidents, where
            look("/exchange/requests/")
            look("/exchange/sharing-requests/")
            look("/exchange/groups/")
            for alert in self.alerts.values():
                response = c.get(f"/exchange/alerts/{alert.reference}/")
                assert (response.status_code == 200) is self.model.reads_alert(reader, alert)
        if deep or self.pairs_changed:
            self._check_staff_lists(reader, c)
        for ref, rec in self.recs.items():
            if deep or ref in self.dirty:
                self._check_record_pages(reader, c, rec, expected[ref], where, deep=deep)

    def _check_coordination(self, reader: str, look: Any, where: str) -> None:
        """The coordination page counts and lists exactly the envelopes the model gives the
        coordinator — alerts and requests of which either post is of her country, the incidents
        she reads — names an alert, a request or an incident only where she reads it, and never
        shows the text of an alert or a request."""
        text = look("/exchange/coordination/")
        expected = self.model.coordination(reader, self.recs, self.alerts, self.info_requests)
        texts = {a.needle for a in self.alerts.values()} | {
            r.needle for r in self.info_requests.values()
        }
        assert not {n for n in texts if n in text}, f"the coordination page shows text to {where}"
        posts = _section(text, "posts")
        incidents = _section(text, "incidents")
        codes = {getattr(self.world, blo).code: blo for blo in BLOS}
        shown_rows = set(re.findall(r'<tr data-blo="([^"]+)">', posts))
        assert shown_rows == {getattr(self.world, b).code for b in expected.posts}, where
        for code, blo in codes.items():
            if blo not in expected.posts:
                continue
            figures = expected.posts[blo]
            row = _row(posts, code)
            counted = {
                column: int(m.group(1))
                for column in (
                    "alerts-sent",
                    "alerts-received",
                    "unacknowledged",
                    "requests-received",
                    "requests-open",
                    "requests-answered",
                    "requests-overdue",
                    "requests-sent",
                )
                if (m := re.search(rf'class="n {column}">(?:<span[^>]*>)?(\d+)', row))
            }
            wanted = {
                "alerts-sent": figures.alerts_sent,
                "alerts-received": figures.alerts_received,
                "unacknowledged": figures.unacknowledged,
                "requests-received": figures.requests_received,
                "requests-open": figures.requests_open,
                "requests-answered": figures.requests_answered,
                "requests-overdue": figures.requests_overdue,
                "requests-sent": figures.requests_sent,
            }
            assert counted == wanted, (where, blo, counted, wanted)
            cells = re.findall(r'<td class="n">([^<]*)</td>', _row(incidents, code))
            per_area = [0 if cell == "·" else int(cell) for cell in cells]
            assert per_area == [figures.incidents.get(area.value, 0) for area in CrimeArea], (
                where,
                blo,
                per_area,
                figures.incidents,
            )
        for section, count, named in [
            ("overdue-alerts", expected.overdue_alerts, expected.alerts_named),
            ("overdue-requests", expected.overdue_requests, expected.requests_named),
        ]:
            listed = _section(text, section)
            items = listed.count("<li>")
            assert items == count, (where, section, items, count)
            references = set(self.alerts) | set(self.info_requests)
            assert _refs(listed, references) == named, (where, section, named)
        both = _section(text, "overdue-alerts") + _section(text, "overdue-requests")
        incidents_named = _refs(both, {r for r, s in self.recs.items() if s.kind == "incident"})
        assert incidents_named == expected.incidents_named, (where, incidents_named)

    def _check_request_pages(
        self,
        reader: str,
        c: Client,
        info_request: RequestSpec,
        look: Any,
        where: str,
        *,
        deep: bool,
    ) -> None:
        """A request's page and its attachments are its two posts' (404 for anyone else); the
        incident it is about is named on it only to the incident's readers (look())."""
        may = self.model.reads_request(reader, info_request)
        url = f"/exchange/requests/{info_request.reference}/"
        response = c.get(url)
        assert (response.status_code == 200) is may, (where, url, response.status_code)
        if may:
            text = look(url)
            assert info_request.needle in text, (where, url)
            for attachment in info_request.attachments:
                assert attachment.needle in text, (where, url, attachment)
        for attachment in info_request.attachments:
            path = f"/exchange/attachments/{attachment.pk}/"
            for fetched in (f"{path}thumbnail/", path) if deep else (f"{path}thumbnail/",):
                status = c.get(fetched).status_code
                assert status == (200 if may else 404), (where, info_request, fetched, status)

    def _check_seen_before(self, reader: str, c: Client, incidents: set[str], where: str) -> None:
        """Every incident names the same container (in its summary) and every nominal entry the
        same plate: "seen before" counts exactly the incidents the reader reads, and for the plate
        those of which the reader reads an entry; it names no other."""
        by_plate = {
            ref
            for ref in incidents
            if any(
                self.model.may_read_nominal(reader, self.recs[ref], n)
                for n in self.recs[ref].nominal
            )
        }
        for kind, value, expected in [
            ("container", sop.SHARED_CONTAINER, incidents),
            ("plate", sop.SHARED_PLATE, by_plate),
        ]:
            response = c.get("/exchange/identifiers/seen/", {"kind": kind, "value": value})
            if response.status_code == 403:
                continue  # those who do not record do not ask
            answer = response.json()
            named = {r["reference"] for r in answer["records"]}
            assert named <= expected, f"seen before ({kind}) names {named - expected} to {where}"
            assert answer["seen"] == len(expected), (kind, answer["seen"], len(expected), where)

    def _check_staff_lists(self, reader: str, c: Client) -> None:
        for blo in BLOS:
            response = c.get(f"/registry/blos/{getattr(self.world, blo).code}/")
            if response.status_code != 200:
                continue
            text = response.content.decode()
            for other in READERS:
                if sop.staff_token(other) in text:
                    assert self.model.may_see_staff(reader, other), (
                        f"{reader} sees {other} on {blo}'s page; pairs {self.model.pairs}"
                    )

    def _check_record_pages(
        self, reader: str, c: Client, rec: RecordSpec, allowed: bool, where: str, *, deep: bool
    ) -> None:
        ref = rec.reference
        base = "incidents" if rec.kind == "incident" else "intelligence"
        response = c.get(f"/exchange/{base}/{ref}/")
        assert (response.status_code == 200) is allowed, (where, ref, response.status_code)
        if allowed:
            text = response.content.decode()
            assert rec.needle in text, (where, ref)
            if rec.kind == "incident":
                # related through the shared container: every other incident the reader reads
                readable = {
                    r
                    for r, s in self.recs.items()
                    if s.kind == "incident" and r != ref and self.model.may_read(reader, s)
                }
                others = {r for r, s in self.recs.items() if s.kind == "incident" and r != ref}
                related = _refs(text.partition('id="related"')[2], others)
                assert related == readable, (where, ref, related ^ readable)
            for nominal in rec.nominal:
                shown = nominal.needle in text
                assert shown is self.model.may_read_nominal(reader, rec, nominal), (
                    where,
                    ref,
                    nominal,
                )
            if rec.source_needle:
                assert (rec.source_needle in text) is self.model.may_read_source(reader, rec)
            for attachment in rec.attachments:
                listed = attachment.needle in text
                may = self.model.may_read_attachment(reader, rec, attachment)
                assert listed is may, (where, ref, attachment)
        self._check_attachments(reader, c, rec, where, deep=deep)
        if rec.kind == "incident":
            detail = c.get(f"/api/exchange/incidents/{ref}")
            assert (detail.status_code == 200) is allowed, (where, ref, detail.status_code)
            if allowed:
                for nominal in rec.nominal:
                    shown = nominal.needle in detail.content.decode()
                    assert shown is self.model.may_read_nominal(reader, rec, nominal), (where, ref)
                names = {a["name"] for a in detail.json()["attachments"]}
                readable_names = {
                    f"{a.needle}.png"
                    for a in rec.attachments
                    if self.model.may_read_attachment(reader, rec, a)
                }
                assert names == readable_names, (where, ref, names ^ readable_names)
        # The partner formats answer as the detail does; their nominal part as the detail's, and
        # an intelligence source never leaves in them (not even for its author). A refusal is
        # cheap and asked whenever the record's readers may have changed; building an allowed
        # bundle takes tens of milliseconds, so its content is read at the end of the run.
        for fmt in ("stix", "misp"):
            if allowed and not deep:
                continue
            exported = c.get(f"/api/exchange/{base}/{ref}/{fmt}")
            assert (exported.status_code == 200) is allowed, (where, ref, fmt)
            text = exported.content.decode()
            assert (rec.needle in text) is allowed, (where, ref, fmt)
            for nominal in rec.nominal:
                shown = nominal.needle in text
                assert shown is (allowed and self.model.may_read_nominal(reader, rec, nominal))
            assert not rec.source_needle or rec.source_needle not in text, (where, ref, fmt)
        # A refused PDF is cheap and asked every time; drawing an allowed one takes a good part
        # of a second, so at the end of a run each record's PDF is drawn for its author only.
        if not allowed or (deep and reader == rec.author):
            pdf = c.get(f"/exchange/{base}/{ref}/pdf/")
            assert (pdf.status_code == 200) is allowed, (where, ref, "pdf")

    def _check_attachments(
        self, reader: str, c: Client, rec: RecordSpec, where: str, *, deep: bool
    ) -> None:
        """Every attachment of the record is fetched (its thumbnail after each step that may
        change its readers, the file itself at the end of the run): exactly those the model
        lets the reader read answer, every other is a 404."""
        for attachment in rec.attachments:
            may = self.model.may_read_attachment(reader, rec, attachment)
            path = f"/exchange/attachments/{attachment.pk}/"
            for url in (f"{path}thumbnail/", path) if deep else (f"{path}thumbnail/",):
                response = c.get(url)
                expected = 200 if may else 404
                assert response.status_code == expected, (where, rec.reference, attachment, url)


def _refs(text: str, known: set[str]) -> set[str]:
    return {ref for ref in known if re.search(re.escape(ref) + r"(?!\d)", text)}


def _section(text: str, section_id: str) -> str:
    """The HTML of the page's section (or card) with this id."""
    start = text.index(f'id="{section_id}"')
    return text[start : text.index("</section>", start)]


def _row(html: str, code: str) -> str:
    start = html.index(f'<tr data-blo="{code}">')
    return html[start : html.index("</tr>", start)]


@pytest.mark.django_db
@pytest.mark.parametrize("shard", range(SHARDS))
def test_sop_holds_on_every_write_path(shard: int) -> None:
    # Shards split a long run over the cores (pytest-xdist); each draws its own random seed.
    run_state_machine_as_test(
        ExchangeMachine,
        settings=settings(
            max_examples=max(1, EXAMPLES // SHARDS),
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
