"""Demo assessment data on the demo registry (``liaison.registry.demo``).

The PATROL questionnaire (English and Vietnamese) uploaded; the "Viet Nam 2010 baseline" round
over the seven Vietnamese BLOs of the demo network, with the 33 respondents of the 2010 survey
imported from a KoboToolbox export and the sample plan the report recommends (which that sample
falls short of: Lao Bao absent, Border Army and Customs under-represented) and the report's two
Q&A sessions, coded (:mod:`liaison.surveys.demo_qa`); and an open
follow-up round that the demo officers can fill in.

Idempotent: run it again and nothing is added twice. Call after ``load_demo_registry()``.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from liaison.registry.models import BLO, Country
from liaison.surveys.demo_qa import load_baseline_qa
from liaison.surveys.models import Questionnaire, RoundStatus, SurveyRound
from liaison.surveys.report import PATROL_SAMPLE_PLAN
from liaison.surveys.services import (
    RoundData,
    do_create_round,
    do_import_export,
    do_upload_questionnaire,
)

PACKAGE_DIR = Path(__file__).resolve().parent
FORM_PATH = PACKAGE_DIR / "forms" / "patrol_tna.xlsx"
BASELINE_EXPORT = PACKAGE_DIR / "tests" / "data" / "patrol_tna_kobo.csv"
SITES = (
    "VN-DIENBIEN",
    "VN-MOCCHAU",
    "VN-CAUTREO",
    "VN-LAOBAO",
    "VN-MOCBAI",
    "VN-SONGTIEN",
    "VN-LONGBINH",
)
BASELINE_TITLE = "Viet Nam 2010 baseline"
FOLLOWUP_TITLE = "Viet Nam follow-up"


def _plan(country: Country, blos: list[BLO], title: str, status: RoundStatus) -> RoundData:
    if status is RoundStatus.CLOSED:
        starts, ends = datetime.date(2010, 8, 17), datetime.date(2010, 8, 19)
    else:
        starts = timezone.localdate()
        ends = starts + datetime.timedelta(days=90)
    return RoundData(
        title=title,
        country=country,
        starts_on=starts,
        ends_on=ends,
        status=status,
        sites=blos,
        min_share=Decimal(str(PATROL_SAMPLE_PLAN.min_share)),
        max_share=Decimal(str(PATROL_SAMPLE_PLAN.max_share)),
        min_respondents=PATROL_SAMPLE_PLAN.min_respondents,
        min_per_agency=dict(PATROL_SAMPLE_PLAN.min_per_agency),
    )


def demo_questionnaire() -> Questionnaire:
    """The shipped PATROL questionnaire, uploaded once."""
    data = FORM_PATH.read_bytes()
    existing = Questionnaire.objects.filter(sha256=hashlib.sha256(data).hexdigest()).first()
    if existing is not None:
        return existing
    return do_upload_questionnaire(data=data, file_name=FORM_PATH.name, actor=None)


def load_demo_surveys() -> None:
    """Create (or leave as they are) the demo questionnaire and its two rounds."""
    country = Country.objects.filter(code="VN").first()
    blos = list(BLO.objects.filter(code__in=SITES).order_by("name_en"))
    if country is None or not blos:
        raise LookupError("load the demo registry first (Viet Nam and its BLOs)")
    with transaction.atomic():
        questionnaire = demo_questionnaire()
        rounds = {r.title: r for r in SurveyRound.objects.filter(questionnaire=questionnaire)}
        baseline = rounds.get(BASELINE_TITLE)
        if baseline is None:
            baseline = do_create_round(
                questionnaire,
                _plan(country, blos, BASELINE_TITLE, RoundStatus.CLOSED),
                actor=None,
            )
        if not baseline.submissions.exists():
            do_import_export(
                baseline,
                BASELINE_EXPORT.read_bytes(),
                file_name=BASELINE_EXPORT.name,
                actor=None,
            )
        load_baseline_qa(baseline)
        if FOLLOWUP_TITLE not in rounds:
            do_create_round(
                questionnaire,
                _plan(country, blos, FOLLOWUP_TITLE, RoundStatus.OPEN),
                actor=None,
            )
