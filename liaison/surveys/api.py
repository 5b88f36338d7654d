"""Survey endpoints: the rounds a user may see, as the rounds page lists them, and the results
summary of those whose results they may read (the round page's collection progress)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Query, Router, Schema

from liaison.api_errors import SIGNED_IN, errors
from liaison.api_pages import PageIn, page_of
from liaison.registry import permissions
from liaison.registry.models import User
from liaison.surveys import access
from liaison.surveys.models import Submission, SubmissionStatus, SurveyRound
from liaison.surveys.selectors import round_progress
from liaison.surveys.xlsform import FormError

router = Router(tags=["surveys"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - SessionAuth admits only signed-in users
    return request.user


class SiteOut(Schema):
    blo: str
    submitted: int
    share: float | None
    state: str


class ResultsSummaryOut(Schema):
    submitted: int
    drafts: int
    min_respondents: int
    elsewhere: int
    by_source: dict[str, int]
    sites: list[SiteOut]


class RoundOut(Schema):
    id: int
    title: str
    questionnaire: str
    country: str
    status: str
    starts_on: datetime.date
    ends_on: datetime.date | None
    results_readable: bool
    submitted: int | None
    """Submitted answers, for those who may read the round's results; else null."""
    my_submission: str | None
    """The reader's own submission's status, if they have one."""


class RoundDetailOut(RoundOut):
    sites: list[str]
    results: ResultsSummaryOut | None


class RoundListOut(Schema):
    count: int
    results: list[RoundOut]


def _round(
    survey_round: SurveyRound, *, readable: bool, submitted: int, mine: Submission | None
) -> RoundOut:
    return RoundOut(
        id=survey_round.pk,
        title=survey_round.title,
        questionnaire=survey_round.questionnaire.title,
        country=survey_round.country.code,
        status=survey_round.status,
        starts_on=survey_round.starts_on,
        ends_on=survey_round.ends_on,
        results_readable=readable,
        submitted=submitted if readable else None,
        my_submission=mine.status if mine is not None else None,
    )


def _mine(user: User) -> dict[int, Submission]:
    return {
        submission.round_id: submission
        for submission in permissions.visible(user, Submission).filter(respondent=user)
    }


@router.get("/rounds", response={200: RoundListOut, **errors(*SIGNED_IN, 422)})
def rounds(request: HttpRequest, page: Query[PageIn]) -> RoundListOut:
    """The rounds page's list, in its order."""
    user = _user(request)
    visible = (
        access.visible_rounds(user)
        .select_related("questionnaire", "country")
        .annotate(
            submitted_count=Count(
                "submissions", filter=Q(submissions__status=SubmissionStatus.SUBMITTED)
            )
        )
        .order_by("-starts_on", "-pk")
    )
    count, found = page_of(visible, page)
    with_results = set(
        access.rounds_with_results(user)
        .filter(pk__in=[r.pk for r in found])
        .values_list("pk", flat=True)
    )
    mine = _mine(user)
    return RoundListOut(
        count=count,
        results=[
            _round(
                r,
                readable=r.pk in with_results,
                submitted=getattr(r, "submitted_count", 0),
                mine=mine.get(r.pk),
            )
            for r in found
        ],
    )


@router.get(
    "/rounds/{round_id}", response={200: RoundDetailOut, **errors(*SIGNED_IN, 403, 404, 422)}
)
def round_detail(request: HttpRequest, round_id: int) -> RoundDetailOut:
    """One round as its page shows it: the results summary only to those who may read results."""
    user = _user(request)
    survey_round = access.access_round(user, round_id)
    readable = access.may_see_results(user, survey_round)
    summary: ResultsSummaryOut | None = None
    if readable:
        try:
            form = survey_round.questionnaire.form()
        except FormError:
            form = None  # a questionnaire that no longer loads: the round, without its summary
        if form is not None:
            progress = round_progress(survey_round, form=form)
            summary = ResultsSummaryOut(
                submitted=progress.submitted,
                drafts=progress.drafts,
                min_respondents=progress.min_respondents,
                elsewhere=progress.elsewhere,
                by_source=progress.by_source,
                sites=[
                    SiteOut(blo=s.blo.code, submitted=s.submitted, share=s.share, state=s.state)
                    for s in progress.sites
                ],
            )
    submitted = survey_round.submissions.filter(status=SubmissionStatus.SUBMITTED).count()
    base = _round(
        survey_round, readable=readable, submitted=submitted, mine=_mine(user).get(survey_round.pk)
    )
    return RoundDetailOut(
        **base.dict(),
        sites=list(survey_round.sites.order_by("code").values_list("code", flat=True)),
        results=summary,
    )
