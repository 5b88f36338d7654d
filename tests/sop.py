"""The SOP, restated as a model for the stateful leak test, and the writes the test performs.

The model knows only what the SOP says: who is who (role, post, agency, country), which posts are
paired, who is in which sharing group, and for each record its author, distribution, group, TLP
label and nominal entries. From that alone it answers "may this persona read this?". It is
written from the README's table of distributions and the TLP 2.0 rules, not from the SQL filters
that enforce them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from liaison.registry.models import Role
from tests.builders import World, build_world, ensure_vocabulary, make_incident, make_user

if TYPE_CHECKING:
    from tests.test_stateful_leaks import (
        AlertSpec,
        AttachmentSpec,
        NominalSpec,
        RecordSpec,
        RequestSpec,
    )

OPERATIONAL_ROLES = {"officer", "head_of_blo", "national_coordinator"}

# What each TLP 2.0 label lets a record reach without the originator's approval.
LABEL_ALLOWS = {
    "RED": {"agency"},
    "AMBER+STRICT": {"agency", "blo"},
    "AMBER": {"agency", "blo", "counterpart"},
    "GREEN": {"agency", "blo", "counterpart", "national", "group", "network"},
    "CLEAR": {"agency", "blo", "counterpart", "national", "group", "network"},
}

# A distribution's audience is contained in another's whatever the people involved (a group may
# hold programme staff, who are not in the network's audience, so a group is inside nothing else).
CONTAINED_IN = {
    "agency": {"agency", "blo", "counterpart", "national", "group", "network"},
    "blo": {"blo", "counterpart", "national", "group", "network"},
    "counterpart": {"counterpart", "network"},
    "national": {"national", "network"},
    "group": {"group"},
    "network": {"network"},
}


def build() -> World:
    """The builders' world, plus Bavet's head (Sokha) and Lao PDR's coordinator (Phet), so every
    side of a pair has someone to answer a proposal; every persona's last name is a token the test
    looks for on the staff lists."""
    ensure_vocabulary()
    world = build_world()
    world.sokha = make_user("sokha", Role.HEAD_OF_BLO, blo=world.bavet, agency=world.kh_police)  # type: ignore[attr-defined]
    world.phet = make_user("phet", Role.NATIONAL_COORDINATOR, country=world.la)  # type: ignore[attr-defined]
    for name in PERSONAS:
        user = getattr(world, name)
        user.last_name = staff_token(name)
        user.save(update_fields=["last_name"])
    return world


PERSONAS = [
    "lan",
    "minh",
    "hung",
    "tuan",
    "binh",
    "huong",
    "dara",
    "sophea",
    "sokha",
    "vanna",
    "khamla",
    "phet",
    "ainsley",
    "root",
]


def staff_token(name: str) -> str:
    return f"zqstaff{name}x"


@dataclass
class PostFigures:
    """One post's row on the coordination page."""

    alerts_sent: int = 0
    alerts_received: int = 0
    unacknowledged: int = 0
    requests_received: int = 0
    requests_open: int = 0
    requests_answered: int = 0
    requests_overdue: int = 0
    requests_sent: int = 0
    incidents: dict[str, int] = field(default_factory=dict)


@dataclass
class Coordination:
    """What the coordination page should show: the rows of the coordinator's posts, how many
    overdue alert deliveries and requests it lists, and which alerts, requests and incidents
    those lists name (by reference)."""

    posts: dict[str, PostFigures]
    overdue_alerts: int = 0
    overdue_requests: int = 0
    alerts_named: set[str] = field(default_factory=set)
    requests_named: set[str] = field(default_factory=set)
    incidents_named: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Persona:
    name: str
    role: str
    blo: str | None
    agency: int | None
    country: str | None


@dataclass
class Model:
    personas: dict[str, Persona]
    blo_country: dict[str, str]
    pairs: set[frozenset[str]] = field(default_factory=set)
    groups: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_world(cls, world: World) -> Model:
        blos = {"moc_bai", "dien_bien", "bavet", "chrey_thom", "pang_hok"}
        by_id = {getattr(world, b).pk: b for b in blos}
        personas = {}
        for name in PERSONAS:
            user = getattr(world, name)
            personas[name] = Persona(
                name=name,
                role=str(user.role),
                blo=by_id.get(user.blo_id),
                agency=user.agency_id,
                country=user.country.code if user.country_id else None,
            )
        return cls(
            personas=personas,
            blo_country={b: getattr(world, b).country.code for b in blos},
            pairs={frozenset({"moc_bai", "bavet"}), frozenset({"dien_bien", "pang_hok"})},
        )

    def persona(self, name: str) -> Persona:
        return self.personas[name]

    def paired(self, left: str | None, right: str | None) -> bool:
        return left is not None and right is not None and frozenset({left, right}) in self.pairs

    def counterparts_of(self, blo: str | None) -> set[str]:
        return {b for b in self.blo_country if self.paired(blo, b)}

    # --- reading ------------------------------------------------------------------------------

    def in_audience(self, reader: str, rec: RecordSpec, distribution: str) -> bool:
        p, a = self.persona(reader), self.persona(rec.author)
        if reader == rec.author:
            return True
        if distribution == "group" and rec.group and reader in self.groups.get(rec.group, set()):
            return True
        if p.role not in OPERATIONAL_ROLES:
            return False
        same_post = p.blo is not None and p.blo == a.blo
        if distribution == "agency":
            return same_post and p.agency == a.agency
        if distribution in {"blo", "group"}:
            return same_post
        if distribution == "counterpart":
            return same_post or self.paired(p.blo, a.blo)
        if distribution == "national":
            return p.country == a.country
        return distribution == "network"

    def may_read(self, reader: str, rec: RecordSpec) -> bool:
        return self.in_audience(reader, rec, rec.distribution)

    def originating_unit(self, name: str, rec: RecordSpec) -> bool:
        p, a = self.persona(name), self.persona(rec.author)
        return name == rec.author or (p.blo is not None and p.blo == a.blo and p.agency == a.agency)

    def may_read_nominal(self, reader: str, rec: RecordSpec, nominal: NominalSpec) -> bool:
        if not self.may_read(reader, rec) or not self.in_audience(
            reader, rec, nominal.distribution
        ):
            return False
        return nominal.role != "victim" or self.originating_unit(reader, rec)

    def may_read_attachment(self, reader: str, rec: RecordSpec, attachment: AttachmentSpec) -> bool:
        """A record's attachment is its readers'; a photo of a person is the readers' of the
        nominal entry it shows, or, showing none, the originating unit's."""
        if not self.may_read(reader, rec):
            return False
        if not attachment.of_person:
            return True
        if attachment.entry is None:
            return self.originating_unit(reader, rec)
        return self.may_read_nominal(reader, rec, rec.nominal[attachment.entry])

    def may_attach(self, rec: RecordSpec, actor: str) -> bool:
        """Those who may change the record (its originating unit, the head of its post)."""
        return self.may_share(rec, actor)

    def may_read_source(self, reader: str, rec: RecordSpec) -> bool:
        return self.originating_unit(reader, rec)

    def post_reads(self, blo: str, rec: RecordSpec) -> bool:
        """Whether every officer of ``blo`` may read ``rec``."""
        author_blo = self.persona(rec.author).blo
        if rec.distribution == "network":
            return True
        if blo == author_blo:
            return rec.distribution in {"blo", "counterpart", "national", "group", "network"}
        if rec.distribution == "counterpart":
            return self.paired(blo, author_blo)
        if rec.distribution == "national":
            return self.blo_country[blo] == self.blo_country[author_blo or blo]
        return False

    def may_see_staff(self, reader: str, other: str) -> bool:
        p, o = self.persona(reader), self.persona(other)
        if p.role in {"programme_staff", "system_administrator"}:
            return True
        if p.role == "national_coordinator":
            return o.country == p.country or any(
                self.blo_country[b] == p.country for b in self.counterparts_of(o.blo)
            )
        if reader == other:
            return True
        if o.role == "national_coordinator" and o.country == p.country:
            return True
        return o.blo is not None and (o.blo == p.blo or self.paired(o.blo, p.blo))

    def forbidden_needles(
        self,
        reader: str,
        recs: dict[str, RecordSpec],
        alerts: dict[str, AlertSpec],
        info_requests: dict[str, RequestSpec] | None = None,
    ) -> set[str]:
        needles: set[str] = set()
        for rec in recs.values():
            if not self.may_read(reader, rec):
                needles.add(rec.needle)
            for nominal in rec.nominal:
                if not self.may_read_nominal(reader, rec, nominal):
                    needles.add(nominal.needle)
            if rec.source_needle and not self.may_read_source(reader, rec):
                needles.add(rec.source_needle)
        for alert in alerts.values():
            if not self.reads_alert(reader, alert):
                needles.add(alert.needle)
        for info_request in (info_requests or {}).values():
            if not self.reads_request(reader, info_request):
                needles.add(info_request.needle)
                needles.update(a.needle for a in info_request.attachments)
        return needles

    def reads_alert(self, reader: str, alert: AlertSpec) -> bool:
        p = self.persona(reader)
        if reader == alert.sender:
            return True
        return p.blo is not None and p.blo in {self.persona(alert.sender).blo, *alert.recipients}

    # --- requests for information and the coordination page ----------------------------------

    def may_ask(self, asker: str, to_blo: str) -> bool:
        """A request goes from the asker's post to one of its counterparts."""
        return self.paired(self.persona(asker).blo, to_blo)

    def reads_request(self, reader: str, info_request: RequestSpec) -> bool:
        """A request (its question, answer and attachments) is its two posts' (the asker's own,
        for one of no post)."""
        blo = self.persona(reader).blo
        if blo is None:
            return reader == info_request.asker
        return blo in {info_request.from_blo, info_request.to_blo}

    def may_answer(self, actor: str, info_request: RequestSpec) -> bool:
        return self.persona(actor).blo == info_request.to_blo

    def may_attach_to_request(self, actor: str, info_request: RequestSpec) -> bool:
        """Either post of the request: the asking one changes it, the other answers it."""
        return self.persona(actor).blo in {info_request.from_blo, info_request.to_blo}

    def may_acknowledge(self, actor: str, alert: AlertSpec) -> bool:
        return self.persona(actor).blo in alert.recipients

    def coordinated_country(self, reader: str) -> str | None:
        """The country whose posts' alerts and requests a national coordinator follows."""
        p = self.persona(reader)
        return p.country if p.role == "national_coordinator" else None

    def coordinates_delivery(self, reader: str, alert: AlertSpec, to_blo: str) -> bool:
        """An alert delivery's envelope (posts, times, never the text) is the coordinator's
        when either post is of her country."""
        country = self.coordinated_country(reader)
        sides = {self.blo_country[alert.from_blo], self.blo_country[to_blo]}
        return country is not None and country in sides

    def coordinates_request(self, reader: str, info_request: RequestSpec) -> bool:
        """A request's envelope is the coordinator's when either post is of her country."""
        country = self.coordinated_country(reader)
        sides = {self.blo_country[info_request.from_blo], self.blo_country[info_request.to_blo]}
        return country is not None and country in sides

    def coordination(
        self,
        reader: str,
        recs: dict[str, RecordSpec],
        alerts: dict[str, AlertSpec],
        info_requests: dict[str, RequestSpec],
    ) -> Coordination:
        """What the coordination page shows ``reader``: per post of her country the envelopes of
        the alerts and requests it sent or received and the incidents she reads per crime area;
        the overdue alert deliveries and requests of her envelopes, naming an alert, a request
        or an incident only where she reads it."""
        country = self.coordinated_country(reader)
        posts = {b: PostFigures() for b, c in self.blo_country.items() if c == country}
        seen = Coordination(posts=posts)
        if country is None:
            return seen
        for alert in alerts.values():
            delivered = [
                b for b in sorted(alert.recipients) if self.coordinates_delivery(reader, alert, b)
            ]
            if delivered and alert.from_blo in posts:
                posts[alert.from_blo].alerts_sent += 1
            for to_blo in delivered:
                waiting = to_blo not in alert.acknowledged
                if to_blo in posts:
                    posts[to_blo].alerts_received += 1
                    posts[to_blo].unacknowledged += waiting
                if waiting and alert.overdue:
                    seen.overdue_alerts += 1
                    if self.reads_alert(reader, alert):
                        seen.alerts_named.add(alert.reference)
                    if alert.incident and self.may_read(reader, recs[alert.incident]):
                        seen.incidents_named.add(alert.incident)
        for info_request in info_requests.values():
            if not self.coordinates_request(reader, info_request):
                continue
            is_open = not info_request.answered
            if info_request.to_blo in posts:
                row = posts[info_request.to_blo]
                row.requests_received += 1
                row.requests_open += is_open
                row.requests_answered += info_request.answered
                row.requests_overdue += is_open and info_request.overdue
            if info_request.from_blo in posts:
                posts[info_request.from_blo].requests_sent += 1
            if is_open and info_request.overdue:
                seen.overdue_requests += 1
                if self.reads_request(reader, info_request):
                    seen.requests_named.add(info_request.reference)
                incident = info_request.incident
                if incident and self.may_read(reader, recs[incident]):
                    seen.incidents_named.add(incident)
        for rec in recs.values():
            author_blo = self.persona(rec.author).blo
            if rec.kind == "incident" and author_blo in posts and self.may_read(reader, rec):
                areas = posts[author_blo].incidents
                areas[rec.area] = areas.get(rec.area, 0) + 1
        return seen

    def describe(self, recs: dict[str, RecordSpec]) -> str:
        return str(
            {
                "records": [
                    (r.reference, r.author, r.distribution, r.group, r.tlp) for r in recs.values()
                ],
                "pairs": sorted(tuple(sorted(p)) for p in self.pairs),
                "groups": self.groups,
            }
        )

    # --- writing ------------------------------------------------------------------------------

    def may_record(
        self,
        author: str,
        distribution: str,
        tlp: str,
        confirm: bool,
        group: str,
        nominal: Sequence[NominalSpec] = (),
    ) -> bool:
        p = self.persona(author)
        for entry in nominal:
            # nominal data never reaches anyone its record does not (a victim's stays with the
            # agency whatever is chosen)
            if entry.role != "victim" and distribution not in CONTAINED_IN[entry.distribution]:
                return False
        if p.role not in {"officer", "head_of_blo"} or p.blo is None or p.agency is None:
            return False
        if distribution == "group" and author not in self.groups.get(group, set()):
            return False  # one shares only with a group one belongs to
        return distribution in LABEL_ALLOWS[tlp] or confirm

    def may_share(self, rec: RecordSpec, actor: str) -> bool:
        p = self.persona(actor)
        head_of_post = p.role == "head_of_blo" and p.blo == self.persona(rec.author).blo
        return self.originating_unit(actor, rec) or head_of_post

    def widens(self, rec: RecordSpec, distribution: str, group: str | None) -> bool:
        if distribution == "group" and rec.distribution == "group":
            return group != rec.group
        # a narrowing is a new audience contained in the old one
        return rec.distribution not in CONTAINED_IN[distribution]

    def share_outcome(
        self, rec: RecordSpec, actor: str, distribution: str, group: str | None
    ) -> str:
        """``applied``, ``pending`` (waits for the originator) or ``refused``."""
        if not self.may_share(rec, actor):
            return "refused"
        if group is not None and actor not in self.groups.get(group, set()):
            return "refused"  # one shares only with a group one belongs to
        if not self.widens(rec, distribution, group) or distribution in LABEL_ALLOWS[rec.tlp]:
            return "applied"
        if actor == rec.author:
            return "applied"  # the originator's own widening is their approval
        if self.originating_unit(actor, rec):
            return "pending"
        return "refused"  # beyond the label is the originating unit's to ask

    def may_approve(self, rec: RecordSpec, actor: str) -> bool:
        return actor == rec.author

    def may_change_tlp(self, rec: RecordSpec, actor: str, tlp: str) -> bool:
        if not self.may_share(rec, actor):
            return False
        order = ["RED", "AMBER+STRICT", "AMBER", "GREEN", "CLEAR"]
        stricter = order.index(tlp) <= order.index(rec.tlp)
        return stricter or self.originating_unit(actor, rec)

    def apply_distribution(self, rec: RecordSpec, distribution: str, group: str | None) -> None:
        """A record's new audience; nominal data never reaches further than its record, nor a
        group it was not shared with: what would is narrowed to the originating agency."""
        regrouped = group != rec.group
        rec.distribution, rec.group = distribution, group
        for nominal in rec.nominal:
            if (nominal.distribution == "group" and regrouped) or (
                rec.distribution not in CONTAINED_IN[nominal.distribution]
            ):
                nominal.distribution = "agency"

    def apply_tlp(self, rec: RecordSpec, tlp: str) -> None:
        """A stricter label narrows the audience to the widest it allows within the old one."""
        rec.tlp = tlp
        if rec.distribution in LABEL_ALLOWS[tlp]:
            return
        for candidate in ("counterpart", "blo", "agency"):
            if candidate in LABEL_ALLOWS[tlp] and rec.distribution in CONTAINED_IN[candidate]:
                self.apply_distribution(rec, candidate, None)
                return

    def _speaks_for(self, actor: str, blo: str) -> bool:
        p = self.persona(actor)
        if p.role == "head_of_blo":
            return p.blo == blo
        if p.role == "national_coordinator":
            return p.country == self.blo_country[blo]
        return False

    def may_propose(self, actor: str, left: str, right: str) -> bool:
        across = self.blo_country[left] != self.blo_country[right]
        proposer = self._speaks_for(actor, left) or self.persona(actor).role == (
            "system_administrator"
        )
        return across and proposer

    def may_accept(self, actor: str, left: str, right: str) -> bool:
        return self._speaks_for(actor, right)

    def may_end(self, actor: str, left: str, right: str) -> bool:
        return (
            self._speaks_for(actor, left)
            or self._speaks_for(actor, right)
            or self.persona(actor).role == "system_administrator"
        )


# --- the writes, through the services every page and API endpoint calls -----------------------


SHARED_PLATE = "51F-123.45"
SHARED_CONTAINER = "CSQU3054383"


def record_incident(
    world: World,
    author: str,
    *,
    distribution: str,
    tlp: str,
    confirm: bool,
    area: str,
    summary: str,
    nominal: list[tuple[str, str, str]],
    group: str,
) -> Any:
    from liaison.exchange.models import SharingGroup

    return make_incident(
        getattr(world, author),
        distribution=distribution,
        tlp=tlp,
        crime_area=area,
        commodity="drug:heroin" if area == "drugs" else "species:manis-javanica",
        summary=f"{summary} {SHARED_CONTAINER}",
        confirmed_beyond_label=confirm,
        group=SharingGroup.objects.get(name=group) if distribution == "group" else None,
        # Every nominal entry is the same truck, and every summary names the same container: the
        # records are related to one another, for whoever may read them (and the entries).
        nominal=[
            {
                "kind": "vehicle",
                "role": role,
                "name": needle,
                "identifier": SHARED_PLATE,
                "distribution": dist,
            }
            for needle, role, dist in nominal
        ],
    )


def record_intelligence(
    world: World,
    author: str,
    *,
    distribution: str,
    tlp: str,
    confirm: bool,
    title: str,
    source: str,
    group: str,
) -> Any:
    from liaison.exchange.models import IntelligenceReport, SharingGroup
    from liaison.exchange.services import do_record_intelligence

    actor = getattr(world, author)
    report = IntelligenceReport(
        blo=actor.blo,
        title=title,
        crime_area="drugs",
        source_reliability="B",
        information_credibility="2",
        body=f"{title} body",
        body_language="vi",
        tlp=tlp,
        distribution=distribution,
        group=SharingGroup.objects.get(name=group) if distribution == "group" else None,
    )
    if actor.blo is None:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    return do_record_intelligence(
        report, source=source, actor=actor, confirmed_beyond_label=confirm
    )


def attach(
    world: World, rec: RecordSpec, actor: str, *, name: str, of_person: bool, entry: int | None
) -> Any:
    """Attach a photo to a record; of a person, showing its ``entry``-th nominal entry or none."""
    import io

    from liaison.exchange.attachments import do_add_attachment
    from tests.attachment_files import photo

    record = _record(rec)
    shown = None
    if entry is not None:
        shown = record.nominal_entries.order_by("pk")[entry]
    return do_add_attachment(
        record,
        io.BytesIO(photo("PNG", (2, 2))),
        name=name,
        of_person=of_person,
        nominal_entry=shown,
        actor=getattr(world, actor),
    )


def _record(rec: RecordSpec) -> Any:
    from liaison.exchange.models import Incident, IntelligenceReport

    model = Incident if rec.kind == "incident" else IntelligenceReport
    return model.objects.get(reference=rec.reference)


def pending_ids(rec: RecordSpec) -> set[int]:
    from liaison.exchange.models import ShareRequest, ShareStatus

    field_name = "incident" if rec.kind == "incident" else "intelligence"
    return set(
        ShareRequest.objects.filter(
            **{f"{field_name}__reference": rec.reference}, status=ShareStatus.PENDING
        ).values_list("pk", flat=True)
    )


def share(world: World, rec: RecordSpec, actor: str, distribution: str, group: str | None) -> str:
    from liaison.exchange.models import Distribution, SharingGroup
    from liaison.exchange.services import do_share_record

    outcome = do_share_record(
        _record(rec),
        Distribution(distribution),
        group=SharingGroup.objects.get(name=group) if group else None,
        reason="Joint operation at the crossing",
        actor=getattr(world, actor),
    )
    return "applied" if outcome.applied else "pending"


def decide(world: World, share_request: Any, actor: str, approve: bool) -> None:
    from liaison.exchange.services import do_decide_share_request

    do_decide_share_request(share_request, approve=approve, actor=getattr(world, actor))


def change_tlp(world: World, rec: RecordSpec, actor: str, tlp: str) -> None:
    """An incident's label through its own service; a report's through the edit form's."""
    from liaison.exchange.services import do_change_tlp, do_update_intelligence

    current = _record(rec)
    if rec.kind == "incident":
        do_change_tlp(current, tlp, actor=getattr(world, actor))
        return
    do_update_intelligence(
        rec.reference, {"tlp": tlp}, expected_version=current.version, actor=getattr(world, actor)
    )


def create_group(world: World, creator: str, name: str, members: list[str]) -> None:
    from liaison.exchange.services import do_create_sharing_group

    do_create_sharing_group(
        name, [getattr(world, m) for m in members], actor=getattr(world, creator)
    )


def send_alert(world: World, sender: str, subject: str, rec: RecordSpec | None) -> Any:
    from liaison.exchange.models import Alert
    from liaison.exchange.services import do_send_alert

    alert = Alert(
        subject=subject,
        body="Look out at the crossing",
        incident=_record(rec) if rec is not None else None,
    )
    return do_send_alert(alert, actor=getattr(world, sender))


def ask(world: World, asker: str, to_blo: str, needle: str, rec: RecordSpec | None) -> Any:
    import datetime

    from django.utils import timezone

    from liaison.exchange.models import InformationRequest
    from liaison.exchange.services import do_ask_for_information

    return do_ask_for_information(
        InformationRequest(
            to_blo=getattr(world, to_blo),
            question=f"{needle} seen at the crossing?",
            deadline=timezone.localdate() + datetime.timedelta(days=3),
            incident=_record(rec) if rec is not None else None,
        ),
        actor=getattr(world, asker),
    )


def answer(world: World, info_request: RequestSpec, actor: str) -> None:
    from liaison.exchange.models import InformationRequest
    from liaison.exchange.services import do_answer_request

    do_answer_request(
        InformationRequest.objects.get(reference=info_request.reference),
        "Not seen here.",
        language="en",
        actor=getattr(world, actor),
    )


def acknowledge(world: World, alert: AlertSpec, actor: str) -> None:
    """``actor`` acknowledges the alert's delivery to their post, or (none going there) its
    first delivery, which the service must refuse."""
    from django.core.exceptions import PermissionDenied

    from liaison.exchange.models import AlertDelivery
    from liaison.exchange.services import do_acknowledge_alert

    user = getattr(world, actor)
    deliveries = AlertDelivery.objects.filter(alert__reference=alert.reference).order_by("pk")
    delivery = deliveries.filter(to_blo_id=user.blo_id).first() or deliveries.first()
    if delivery is None:
        raise PermissionDenied
    do_acknowledge_alert(delivery, actor=user)


def let_alert_wait(alert: AlertSpec) -> None:
    """Time passes: the alert was sent longer ago than the SOP gives to acknowledge it."""
    import datetime

    from liaison.exchange.coordination import acknowledge_within
    from liaison.exchange.models import Alert

    sent = Alert.objects.get(reference=alert.reference)
    earlier = sent.sent_at - acknowledge_within() - datetime.timedelta(hours=1)
    Alert.objects.filter(pk=sent.pk).update(sent_at=earlier)


def let_deadline_pass(info_request: RequestSpec) -> None:
    """Time passes: the request was asked days ago and its deadline was yesterday."""
    import datetime

    from django.utils import timezone

    from liaison.exchange.models import InformationRequest

    InformationRequest.objects.filter(reference=info_request.reference).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1),
        asked_at=timezone.now() - datetime.timedelta(days=5),
    )


def attach_to_request(world: World, info_request: RequestSpec, actor: str, *, name: str) -> Any:
    import io

    from liaison.exchange.attachments import do_add_attachment
    from liaison.exchange.models import InformationRequest
    from tests.attachment_files import photo

    return do_add_attachment(
        InformationRequest.objects.get(reference=info_request.reference),
        io.BytesIO(photo("PNG", (2, 2))),
        name=name,
        actor=getattr(world, actor),
    )


def propose(world: World, actor: str, left: str, right: str) -> Any:
    from liaison.registry.services import do_propose_counterpart

    return do_propose_counterpart(
        getattr(world, left), getattr(world, right), actor=getattr(world, actor)
    )


def accept(world: World, proposal: Any, actor: str) -> None:
    from liaison.registry.services import do_accept_counterpart

    do_accept_counterpart(proposal, actor=getattr(world, actor))


def end_pair(world: World, actor: str, left: str, right: str) -> None:
    from liaison.registry.services import do_end_counterpart_pair

    do_end_counterpart_pair(
        getattr(world, left), getattr(world, right), actor=getattr(world, actor)
    )


BLO_NAMES = ["moc_bai", "dien_bien", "bavet", "chrey_thom", "pang_hok"]


def db_pairs(world: World) -> set[frozenset[str]]:
    """The pairs as the database holds them, by the model's names."""
    by_id = {getattr(world, b).pk: b for b in BLO_NAMES}
    pairs = set()
    for name in BLO_NAMES:
        for other in getattr(world, name).counterparts.values_list("pk", flat=True):
            pairs.add(frozenset({name, by_id[other]}))
    return pairs


def blo_country(world: World, blo: str) -> str:
    from liaison.registry.models import BLO

    return str(BLO.objects.select_related("country").get(pk=getattr(world, blo).pk).country.code)


def proposal_sides(world: World, proposal: Any) -> tuple[str, str]:
    by_id = {getattr(world, b).pk: b for b in BLO_NAMES}
    return by_id[proposal.from_blo_id], by_id[proposal.to_blo_id]


def import_blos(
    world: World, actor: str, blo: str, country: str, counterparts: list[str]
) -> list[Any] | None:
    """Import ``blos.csv`` with one row; the pending proposals it opened, or None if refused."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from liaison.registry.models import CounterpartProposal, PairingStatus
    from liaison.registry.services import do_import_registry
    from liaison.registry.transfer import RegistryImportError

    post = getattr(world, blo)
    codes = " ".join(getattr(world, c).code for c in counterparts)
    raw = (
        f"code,country,name_en,counterparts\n{post.code},{country},{post.name_en},{codes}\n"
    ).encode()
    known = set(
        CounterpartProposal.objects.filter(status=PairingStatus.PENDING).values_list(
            "pk", flat=True
        )
    )
    try:
        do_import_registry(raw, "blos.csv", actor=getattr(world, actor))
    except (RegistryImportError, PermissionDenied, ValidationError):
        return None
    return list(
        CounterpartProposal.objects.filter(status=PairingStatus.PENDING).exclude(pk__in=known)
    )
