"""Permission-checked reads of training: modules, records, coverage, use of computer-based
training, plan progress and badges. Aggregates are computed in SQL over the same visibility
filters the pages use."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.reference.language import fold, label
from liaison.reference.models import CrimeArea
from liaison.reference.vocabularies import vocabulary_for
from liaison.registry import permissions
from liaison.registry.models import BLO, Role, User
from liaison.registry.permissions import AnyUser, coordinates_country, heads_blo, is_network_wide
from liaison.surveys.access import rounds_with_results
from liaison.surveys.models import SurveyRound
from liaison.training.models import (
    Certificate,
    CertificateState,
    Completion,
    GridTopic,
    LearningActivity,
    ModuleArea,
    Posting,
    TrainingModule,
    TrainingPlan,
)
from liaison.training.planning import PATROL_TNA_COLUMNS, respondents_from_rows
from liaison.training.policies import training_blo_filter

# A BLO whose share of trained staff in a crime area falls below this gets a warning.
COVERAGE_WARNING_BELOW = 50
CBT_WINDOW_DAYS = 90
STAFF_ROLES = (Role.OFFICER, Role.HEAD_OF_BLO)


def current_staff(blos: Iterable[BLO] | QuerySet[BLO]) -> QuerySet[User]:
    """Active officers and heads posted at the BLOs today."""
    return User.objects.filter(blo__in=blos, is_active=True, role__in=STAFF_ROLES)


def current_completions(today: datetime.date | None = None) -> QuerySet[Completion]:
    today = today or timezone.localdate()
    return Completion.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))


# --- the catalogue ------------------------------------------------------------------------------


def visible_modules(user: AnyUser) -> QuerySet[TrainingModule]:
    return permissions.visible(user, TrainingModule).prefetch_related("areas", "topics")


def access_module(user: AnyUser, code: str) -> TrainingModule:
    return permissions.access(user, TrainingModule, code=code)


@dataclass
class ReferenceItem:
    kind: str
    code: str
    label: str
    list_title: str
    url: str


def reference_items(module: TrainingModule, lang: str | None = None) -> list[ReferenceItem]:
    """The module's entries of the reference library, named from the library when it is loaded."""
    links = list(module.reference_links.all())
    by_kind: dict[str, list[str]] = defaultdict(list)
    for link in links:
        by_kind[link.kind].append(link.code)
    names: dict[tuple[str, str], str] = {}
    for kind, codes in by_kind.items():
        vocabulary = vocabulary_for(kind)
        if vocabulary is None:
            continue
        for entry in vocabulary.model._default_manager.filter(code__in=codes):
            names[(kind, entry.code)] = label(entry, lang)
    items = []
    for link in links:
        vocabulary = vocabulary_for(link.kind)
        items.append(
            ReferenceItem(
                kind=link.kind,
                code=link.code,
                label=names.get((link.kind, link.code), link.code),
                list_title=str(vocabulary.title) if vocabulary else link.kind,
                url=link.get_absolute_url(),
            )
        )
    return items


# --- who may look at a BLO's training -----------------------------------------------------------


def may_view_blo_training(user: AnyUser, blo: BLO) -> bool:
    """Aggregates of a BLO's training: its own staff, its head, the country's coordinator,
    programme staff. Counterparts across the border do not see them."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return False
    return (
        is_network_wide(user)
        or coordinates_country(user, blo.country_id)
        or (user.blo_id == blo.pk)
    )


def may_view_blo_staff_training(user: AnyUser, blo: BLO) -> bool:
    """Names of who is trained: the head, the coordinator, programme staff."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return False
    return (
        is_network_wide(user)
        or coordinates_country(user, blo.country_id)
        or heads_blo(user, blo.pk)
    )


def training_blos(user: AnyUser) -> QuerySet[BLO]:
    """BLOs whose training aggregates the user may see, ordered for tables."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return BLO.objects.none()
    return (
        BLO.objects.filter(active=True)
        .filter(training_blo_filter(user))
        .select_related("country", "cluster")
        .order_by("country__name_en", "cluster__code", "name_en")
    )


def access_blo_training(user: AnyUser, code: str) -> BLO:
    blo = permissions.access_blo(user, code)
    if not may_view_blo_training(user, blo):
        raise PermissionDenied(_("This is outside your BLO or country."))
    return blo


# --- coverage -----------------------------------------------------------------------------------


@dataclass
class AreaCoverage:
    area: CrimeArea
    trained: int
    staff: int
    threshold: int = COVERAGE_WARNING_BELOW

    @property
    def percent(self) -> float | None:
        return self.trained * 100 / self.staff if self.staff else None

    @property
    def below_threshold(self) -> bool:
        percent = self.percent
        return percent is not None and percent < self.threshold

    @property
    def label(self) -> str:
        return str(self.area.label)


@dataclass
class Departure:
    officer: User
    ended_on: datetime.date
    reason: str
    was_trained_in: list[CrimeArea]


@dataclass
class BLOCoverage:
    blo: BLO
    staff: int
    areas: list[AreaCoverage]
    threshold: int = COVERAGE_WARNING_BELOW
    departures: list[Departure] = field(default_factory=list)

    @property
    def warnings(self) -> list[AreaCoverage]:
        return [a for a in self.areas if a.below_threshold]

    def area(self, value: str) -> AreaCoverage | None:
        return next((a for a in self.areas if a.area.value == value), None)


def taught_areas() -> list[CrimeArea]:
    """Crime areas the current catalogue teaches, in the mandate's order."""
    taught = set(
        ModuleArea.objects.filter(module__active=True).values_list("area", flat=True).distinct()
    )
    return [area for area in CrimeArea if area.value in taught]


def coverage_for_blos(
    blos: Sequence[BLO],
    *,
    today: datetime.date | None = None,
    threshold: int = COVERAGE_WARNING_BELOW,
) -> list[BLOCoverage]:
    """Per BLO and crime area: how many of today's staff hold a current completion of a module
    teaching that area. Two grouped queries whatever the number of BLOs."""
    today = today or timezone.localdate()
    areas = taught_areas()
    staff_counts = dict(
        current_staff(blos).values("blo_id").annotate(n=Count("id")).values_list("blo_id", "n")
    )
    trained: dict[tuple[int, str], int] = {
        (row["officer__blo_id"], row["module__areas__area"]): row["n"]
        for row in current_completions(today)
        .filter(officer__in=current_staff(blos), module__active=True)
        .values("officer__blo_id", "module__areas__area")
        .annotate(n=Count("officer_id", distinct=True))
    }
    return [
        BLOCoverage(
            blo=blo,
            staff=staff_counts.get(blo.pk, 0),
            areas=[
                AreaCoverage(
                    area,
                    trained.get((blo.pk, area.value), 0),
                    staff_counts.get(blo.pk, 0),
                    threshold,
                )
                for area in areas
            ],
            threshold=threshold,
        )
        for blo in blos
    ]


def coverage_for_blo(
    blo: BLO, *, today: datetime.date | None = None, threshold: int = COVERAGE_WARNING_BELOW
) -> BLOCoverage:
    """The BLO's trained-staff coverage per crime area, and who left in the last 12 months.

    An aggregate with no names but the departures: the caller checks ``may_view_blo_training``
    (and ``may_view_blo_staff_training`` before showing departures).
    """
    today = today or timezone.localdate()
    coverage = coverage_for_blos([blo], today=today, threshold=threshold)[0]
    since = today - datetime.timedelta(days=365)
    postings = (
        Posting.objects.filter(blo=blo, ended_on__gte=since)
        .select_related("officer")
        .order_by("-ended_on")
    )
    for posting in postings:
        assert posting.ended_on is not None  # noqa: S101 - filtered above
        areas = set(
            Completion.objects.filter(officer=posting.officer, completed_on__lte=posting.ended_on)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=posting.ended_on))
            .values_list("module__areas__area", flat=True)
        )
        coverage.departures.append(
            Departure(
                officer=posting.officer,
                ended_on=posting.ended_on,
                reason=posting.get_end_reason_display(),
                was_trained_in=[a for a in CrimeArea if a.value in areas],
            )
        )
    return coverage


# --- use of computer-based training -------------------------------------------------------------


@dataclass
class UsageRow:
    blo: BLO
    staff: int
    users: int
    days: int

    @property
    def percent(self) -> float | None:
        return self.users * 100 / self.staff if self.staff else None


def cbt_usage(
    blos: Sequence[BLO], *, days: int = CBT_WINDOW_DAYS, today: datetime.date | None = None
) -> list[UsageRow]:
    """Per BLO: officers who used computer-based training in the last ``days`` days (at that
    BLO), against today's staff."""
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=days - 1)
    staff_counts = dict(
        current_staff(blos).values("blo_id").annotate(n=Count("id")).values_list("blo_id", "n")
    )
    used = {
        row["blo_id"]: (row["users"], row["days"])
        for row in LearningActivity.objects.filter(blo__in=blos, day__gte=since, day__lte=today)
        .values("blo_id")
        .annotate(users=Count("officer_id", distinct=True), days=Count("id"))
    }
    return [UsageRow(blo, staff_counts.get(blo.pk, 0), *used.get(blo.pk, (0, 0))) for blo in blos]


# --- plans --------------------------------------------------------------------------------------


def visible_plans(user: AnyUser) -> QuerySet[TrainingPlan]:
    return permissions.visible(user, TrainingPlan).select_related("country")


def access_plan(user: AnyUser, pk: int) -> TrainingPlan:
    return permissions.access(user, TrainingPlan, pk=pk)


def plan_rounds(user: AnyUser) -> QuerySet[SurveyRound]:
    """The stored survey rounds ``user`` may make a plan from: those whose results they read."""
    return rounds_with_results(user).select_related("country").order_by("-starts_on", "-pk")


def respondents_from_round(survey_round: SurveyRound) -> list[dict[str, Any]]:
    """The planner's respondents from a round's submitted answers, each respondent's BLO named by
    the registry's code (``VN-MOCBAI``) as the round's sites map to the questionnaire's choices
    (``moc_bai``), so that a plan from the round is the plan from the same answers as CSV.
    An answer naming no site of the round is kept as the questionnaire gives it."""
    sites = survey_round.site_choices(survey_round.form())
    codes = dict(BLO.objects.filter(pk__in=sites).values_list("pk", "code"))
    blo_codes = {choice: codes[pk] for pk, choice in sites.items() if pk in codes}
    # Here, not at the top: the app's ready() imports this module (through its panels), and the
    # survey selectors import pandas, which every `liaison` command would then pay for.
    from liaison.surveys.selectors import round_answers

    respondents = respondents_from_rows(round_answers(survey_round), PATROL_TNA_COLUMNS)
    for respondent in respondents:
        answer = str(respondent.get("blo") or "")
        respondent["blo"] = blo_codes.get(answer, answer)
    return respondents


@dataclass
class TopicProgress:
    topic: GridTopic
    need_percent: float
    staff: int
    target: int
    trained: int

    @property
    def percent_of_target(self) -> float | None:
        return min(100.0, self.trained * 100 / self.target) if self.target else None


@dataclass
class BLOProgress:
    blo: BLO
    topics: list[TopicProgress]


def group_key(text: str) -> str:
    """How a BLO, agency or cluster is matched to an assessment's answer: ``VN-MOCBAI``,
    ``Moc Bai`` and the survey's choice ``moc_bai`` all give ``mocbai``."""
    folded = fold(text).replace("_", " ").replace("-", " ")
    return folded.replace(" ", "")


def blo_group_keys(blo: BLO) -> set[str]:
    return {group_key(blo.code), group_key(blo.name_en), group_key(blo.code.split("-", 1)[-1])}


def plan_progress(
    plan: TrainingPlan, blos: Sequence[BLO], *, today: datetime.date | None = None
) -> list[BLOProgress]:
    """The plan against completions, per BLO and topic.

    Target: the BLO's staff times the share of its respondents who need the topic (the network
    share where the BLO had no respondent). Trained: staff who completed a proposed module of the
    topic since the plan started.
    """
    today = today or timezone.localdate()
    items = list(plan.items.prefetch_related("modules"))
    by_blo = {group_key(k): v for k, v in plan.analysis.get("by_blo", {}).items()}
    staff_counts = dict(
        current_staff(blos).values("blo_id").annotate(n=Count("id")).values_list("blo_id", "n")
    )
    module_topics: dict[int, set[str]] = defaultdict(set)
    for item in items:
        for module in item.modules.all():
            module_topics[module.pk].add(item.topic)
    trained: dict[tuple[int, str], set[int]] = defaultdict(set)
    rows = (
        Completion.objects.filter(
            officer__in=current_staff(blos),
            module_id__in=list(module_topics),
            completed_on__gte=plan.starts_on,
            completed_on__lte=today,
        )
        .values_list("officer__blo_id", "officer_id", "module_id")
        .distinct()
    )
    for blo_id, officer_id, module_id in rows:
        for topic in module_topics[module_id]:
            trained[(blo_id, topic)].add(officer_id)
    result = []
    for blo in blos:
        group = next((by_blo[k] for k in blo_group_keys(blo) if k in by_blo), None)
        shares = {t["topic"]: t["need"] for t in (group or {}).get("topics", [])}
        staff = staff_counts.get(blo.pk, 0)
        topics = []
        for item in items:
            need = shares.get(item.topic, float(item.need_share))
            topics.append(
                TopicProgress(
                    topic=GridTopic(item.topic),
                    need_percent=need,
                    staff=staff,
                    target=math.ceil(staff * need / 100 - 1e-9),
                    trained=len(trained.get((blo.pk, item.topic), set())),
                )
            )
        result.append(BLOProgress(blo, topics))
    return result


@dataclass
class TopicChange:
    topic: GridTopic
    before: float | None
    after: float
    change: float | None


def plan_changes(plan: TrainingPlan) -> list[TopicChange]:
    """Need per topic against the previous round's plan (the re-measurement)."""
    previous = (
        {i.topic: float(i.need_share) for i in plan.previous.items.all()} if plan.previous else {}
    )
    changes = []
    for item in plan.items.all():
        before = previous.get(item.topic)
        after = float(item.need_share)
        changes.append(
            TopicChange(
                GridTopic(item.topic), before, after, None if before is None else after - before
            )
        )
    return changes


# --- an officer's record ------------------------------------------------------------------------


def access_officer(user: AnyUser, pk: int) -> User:
    return permissions.access(user, User, pk=pk)


@dataclass
class Badge:
    kind: str  # "qualification" or a crime area value
    title: str
    detail: str
    until: datetime.date | None
    url: str


def badges_for(officer: User, *, today: datetime.date | None = None) -> list[Badge]:
    """Badges an officer wears: one per valid qualification certificate, one per crime area
    they hold a current module completion in."""
    today = today or timezone.localdate()
    badges: list[Badge] = []
    certificates = (
        Certificate.objects.filter(officer=officer, revoked_at__isnull=True, valid_until__gte=today)
        .select_related("qualification", "renewed_by")
        .order_by("qualification__position")
    )
    for certificate in certificates:
        if certificate.state(today) != CertificateState.VALID:
            continue
        badges.append(
            Badge(
                kind="qualification",
                title=str(certificate.qualification),
                detail=certificate.code,
                until=certificate.valid_until,
                url=certificate.get_absolute_url(),
            )
        )
    areas: dict[str, datetime.date | None] = {}
    for area, until in (
        current_completions(today)
        .filter(officer=officer)
        .values_list("module__areas__area", "valid_until")
    ):
        if area is None:
            continue
        known = areas.get(area, datetime.date.min)
        if area not in areas or (known is not None and (until is None or until > known)):
            areas[area] = until
    for area in CrimeArea:
        if area.value in areas:
            badges.append(
                Badge(
                    kind=area.value,
                    title=str(area.label),
                    detail=_("Trained"),
                    until=areas[area.value],
                    url="",
                )
            )
    return badges


def access_certificate(user: AnyUser, code: str) -> Certificate:
    return permissions.access(user, Certificate, code=code)


def access_completion(user: AnyUser, code: str) -> Completion:
    """A completion (module certificate) by its verification code, as the officer's record."""
    return permissions.access(user, Completion, code=code)


def find_completion(code: str) -> Completion | None:
    """A completion by its verification code, for the public verification page."""
    return (
        Completion.objects.select_related("module", "officer__country", "blo")
        .filter(code=code)
        .first()
    )


def find_certificate(code: str) -> Certificate:
    """A certificate by its verification code, for the public verification page."""
    certificate = (
        Certificate.objects.select_related("qualification", "blo", "agency", "renewed_by")
        .filter(code=code)
        .first()
    )
    if certificate is None:
        raise Http404(_("No certificate has this code."))
    return certificate
