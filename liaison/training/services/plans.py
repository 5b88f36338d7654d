"""Training plans drawn from an assessment."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry.models import Country, User
from liaison.registry.permissions import Action, require
from liaison.surveys.models import SurveyRound
from liaison.training.models import (
    GridTopic,
    PlanItem,
    PlanRanking,
    TrainingModule,
    TrainingPlan,
)
from liaison.training.planning import analyse_training_needs
from liaison.training.selectors import respondents_from_round


def _percent(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def modules_for_topic(topic: GridTopic) -> list[TrainingModule]:
    """Catalogue modules that answer a topic of the grid, self-paced ones first."""
    modules = list(
        TrainingModule.objects.filter(active=True, topics__topic=topic).order_by("position", "code")
    )
    return sorted(modules, key=lambda m: (not m.is_self_paced, m.position, m.code))


@transaction.atomic
def do_create_training_plan(
    *,
    title: str,
    country: Country | None,
    source: str,
    respondents: Sequence[Mapping[str, Any]],
    starts_on: datetime.date,
    ranking: PlanRanking = PlanRanking.NEED,
    previous: TrainingPlan | None = None,
    survey_round_id: int | None = None,
    actor: User | None,
    request: HttpRequest | None = None,
) -> TrainingPlan:
    """Rank the grid's topics from an assessment round and propose the catalogue's modules.

    ``respondents`` are plain per-respondent answers (see ``planning``): from a stored survey
    round, an imported export, or a fixture.
    """
    plan = TrainingPlan(
        title=title,
        country=country,
        source=source,
        survey_round_id=survey_round_id,
        ranking=ranking,
        starts_on=starts_on,
        previous=previous,
        created_by=actor,
    )
    if actor is not None:
        require(actor, Action.CREATE, plan)
        if previous is not None:
            require(actor, Action.VIEW, previous)
    analysis = analyse_training_needs(respondents, ranking)
    if analysis["respondents"] == 0:
        raise ValidationError(_("The assessment has no respondents."))
    plan.respondents = analysis["respondents"]
    plan.analysis = json.loads(json.dumps(analysis))
    plan.full_clean()
    plan.save()
    for share in analysis["overall"]:
        item = PlanItem.objects.create(
            plan=plan,
            topic=share["topic"],
            rank=share["rank"],
            answered=share["answered"],
            need_share=_percent(share["need"]),
            required_share=_percent(share["required"]),
            advanced_share=_percent(share["advanced"]),
        )
        item.modules.set(modules_for_topic(GridTopic(share["topic"])))
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=plan,
        summary=f"Training plan {title!r} from {source} ({plan.respondents} respondents)",
        changes={"ranking": [s["topic"] for s in analysis["overall"]]},
        request=request,
        username="" if actor else "liaison training",
    )
    return plan


@transaction.atomic
def do_create_training_plan_from_round(
    survey_round: SurveyRound,
    *,
    title: str,
    country: Country | None,
    source: str,
    starts_on: datetime.date,
    ranking: PlanRanking = PlanRanking.NEED,
    previous: TrainingPlan | None = None,
    actor: User | None,
    request: HttpRequest | None = None,
) -> TrainingPlan:
    """A plan from the submitted answers of a survey round stored in the app, its respondents'
    BLOs named through the registry (``respondents_from_round``). The round's answers are its
    results: the actor must be one who reads them (the command, with no actor, reads any)."""
    if actor is not None:
        require(actor, Action.EXPORT, survey_round)
    respondents = respondents_from_round(survey_round)
    if not any(r.get(topic.value) is not None for r in respondents for topic in GridTopic):
        raise ValidationError(_("The round has no answers to the training grid."))
    return do_create_training_plan(
        title=title,
        country=country,
        source=source,
        respondents=respondents,
        starts_on=starts_on,
        ranking=ranking,
        previous=previous,
        survey_round_id=survey_round.pk,
        actor=actor,
        request=request,
    )
