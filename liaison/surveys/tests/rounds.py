"""Builders for the survey app's tests: questionnaires uploaded, rounds over the world's BLOs."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.test import Client

from liaison.registry.models import BLO, User
from liaison.surveys.models import Questionnaire, RoundStatus, SurveyRound
from liaison.surveys.services import (
    RoundData,
    do_create_round,
    do_import_export,
    do_upload_questionnaire,
)
from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.builders import make_workbook

# Answers that make a complete, valid PATROL questionnaire (the required questions and a few).
PATROL_ANSWERS = {
    "agency": "customs",
    "blo": "moc_bai",
    "years_border": "4",
    "dealt_smuggling": "no",
    "heard_cites": "yes",
    "integrity": "refuse",
}


def upload_patrol(actor: User) -> Questionnaire:
    return do_upload_questionnaire(
        data=patrol_fixture.FORM_PATH.read_bytes(), file_name="patrol_tna.xlsx", actor=actor
    )


def upload_small(actor: User, **workbook: Any) -> Questionnaire:
    return do_upload_questionnaire(
        data=make_workbook(**workbook), file_name="small.xlsx", actor=actor
    )


def make_round(
    questionnaire: Questionnaire,
    actor: User,
    sites: list[BLO],
    *,
    title: str = "Viet Nam 2026",
    status: RoundStatus = RoundStatus.OPEN,
    **plan: Any,
) -> SurveyRound:
    country = sites[0].country
    return do_create_round(
        questionnaire,
        RoundData(
            title=title,
            country=country,
            starts_on=datetime.date(2026, 3, 1),
            ends_on=datetime.date(2026, 5, 31),
            status=status,
            sites=sites,
            min_share=plan.pop("min_share", Decimal(0)),
            max_share=plan.pop("max_share", Decimal(100)),
            min_respondents=plan.pop("min_respondents", 0),
            min_per_agency=plan.pop("min_per_agency", {}),
            **plan,
        ),
        actor=actor,
    )


def patrol_round(world: Any, **kwargs: Any) -> SurveyRound:
    """The PATROL questionnaire in an open round over Moc Bai and Dien Bien, by programme staff."""
    questionnaire = upload_patrol(world.ainsley)
    return make_round(questionnaire, world.ainsley, [world.moc_bai, world.dien_bien], **kwargs)


def import_kobo(survey_round: SurveyRound, actor: User) -> Any:
    return do_import_export(
        survey_round,
        patrol_fixture.KOBO_PATH.read_bytes(),
        file_name="patrol_tna_kobo.csv",
        actor=actor,
    )


def signed_in(user: User) -> Client:
    """A test client signed in as ``user`` (reading the language of their country: Vietnamese
    for the Vietnamese personas, unless they chose another)."""
    client = Client()
    client.force_login(user)
    return client
