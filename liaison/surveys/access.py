"""Who may see and do what with questionnaires, rounds, submissions and imports.

* Programme staff (and administrators) upload questionnaires, create and change rounds, import
  exports, and see every round and its results.
* A national coordinator sees the rounds of their country and their results.
* A head of BLO sees the rounds covering their BLO and their results.
* An officer sees the rounds covering their BLO, fills the questionnaire of an open one, and
  sees their own submissions — never another respondent's answers, and no results.

Results (the analysis, the comparison, the report) are asked as ``Action.EXPORT`` on the round:
they are aggregates of everyone's answers, read by those who steer the assessment.
Filling the questionnaire is ``Action.ANSWER`` on the round.

Q&A sessions, their notes, the codebook and coded passages are read like the round's results (by
the heads of its BLOs, the coordinator of its country and programme staff) and written by
programme staff: recording a session, its notes or codes is ``Action.CHANGE`` on the round.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from liaison.registry import permissions
from liaison.registry.models import Role, User
from liaison.registry.permissions import Action, AnyUser, is_network_wide, register
from liaison.surveys.models import (
    Code,
    CodedPassage,
    ImportBatch,
    QASession,
    Questionnaire,
    ReportDrawing,
    Submission,
    SurveyRound,
)

RESPONDENT_ROLES = frozenset({Role.OFFICER, Role.HEAD_OF_BLO})


def _is_programme(user: User) -> bool:
    return Role(user.role) in {Role.PROGRAMME_STAFF, Role.SYSTEM_ADMINISTRATOR}


def round_filter(user: User, prefix: str = "") -> Q:
    """The rounds ``user`` may see (``prefix`` reaches a round from another model)."""
    if is_network_wide(user):
        return Q()
    if user.role == Role.NATIONAL_COORDINATOR and user.country_id is not None:
        return Q(**{f"{prefix}country_id": user.country_id})
    if user.role in RESPONDENT_ROLES and user.blo_id is not None:
        return Q(**{f"{prefix}sites__id": user.blo_id})
    return Q(pk__in=[])


def results_filter(user: User, prefix: str = "") -> Q:
    """The rounds whose results ``user`` may read: as visible, except for officers."""
    if user.role == Role.OFFICER:
        return Q(pk__in=[])
    return round_filter(user, prefix)


@register(Questionnaire)
class QuestionnairePolicy:
    administrators_see_all = True

    def visible(self, user: User) -> Q:
        if is_network_wide(user) or user.role == Role.NATIONAL_COORDINATOR:
            return Q()  # a questionnaire holds no answers; coordinators prepare rounds with it
        if user.blo_id is None:
            return Q(pk__in=[])
        return Q(pk__in=SurveyRound.objects.filter(sites__id=user.blo_id).values("questionnaire"))

    def allows(self, user: User, action: Action, obj: Questionnaire) -> bool:
        return action == Action.CREATE and _is_programme(user)


@register(SurveyRound)
class SurveyRoundPolicy:
    # The administrator sees every round (as network-wide) and does what programme staff do,
    # but answers none: answering is a respondent's, in an open round covering their post
    # (Action.ANSWER below), which the administrators' bypass would skip, closed rounds too.
    administrators_see_all = False

    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        return Q(pk__in=SurveyRound.objects.filter(round_filter(user)).values("pk"))

    def allows(self, user: User, action: Action, obj: SurveyRound) -> bool:
        if action in {Action.CREATE, Action.CHANGE, Action.IMPORT}:
            return _is_programme(user)
        if action == Action.EXPORT:
            return _sees_results(user, obj)
        if action == Action.ANSWER:
            return (
                obj.accepts_answers
                and user.role in RESPONDENT_ROLES
                and user.blo_id is not None
                and obj.pk is not None
                and obj.sites.filter(pk=user.blo_id).exists()
            )
        return False


def _sees_results(user: User, obj: SurveyRound) -> bool:
    if _is_programme(user):
        return True
    if user.role == Role.NATIONAL_COORDINATOR:
        return obj.country_id == user.country_id
    if user.role == Role.HEAD_OF_BLO and user.blo_id is not None and obj.pk is not None:
        return obj.sites.filter(pk=user.blo_id).exists()
    return False


@register(Submission)
class SubmissionPolicy:
    """One's own submissions; programme staff and administrators read them all (as network-wide)
    and change none: a draft is changed by its respondent only."""

    administrators_see_all = False

    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        return Q(respondent_id=user.pk)

    def allows(self, user: User, action: Action, obj: Submission) -> bool:
        if action == Action.CHANGE:
            return obj.respondent_id == user.pk and obj.is_draft and obj.round.accepts_answers
        return False


@register(ImportBatch)
class ImportBatchPolicy:
    administrators_see_all = True

    def visible(self, user: User) -> Q:
        return Q(round__in=SurveyRound.objects.filter(results_filter(user)))

    def allows(self, user: User, action: Action, obj: ImportBatch) -> bool:
        return False


class _ReadWithResults:
    """Qualitative records of a round: seen by those who read the round's results."""

    administrators_see_all = True
    round_path = "round__"

    def visible(self, user: User) -> Q:
        return Q(**{f"{self.round_path}in": SurveyRound.objects.filter(results_filter(user))})

    def allows(self, user: User, action: Action, obj: object) -> bool:
        return action == Action.CHANGE and _is_programme(user)


@register(QASession)
class QASessionPolicy(_ReadWithResults):
    pass


@register(Code)
class CodePolicy(_ReadWithResults):
    pass


@register(CodedPassage)
class CodedPassagePolicy(_ReadWithResults):
    round_path = "code__round__"


# --- reads for views ------------------------------------------------------------------------


def visible_rounds(user: AnyUser) -> QuerySet[SurveyRound]:
    return permissions.visible(user, SurveyRound)


def rounds_with_results(user: AnyUser) -> QuerySet[SurveyRound]:
    """The rounds whose results ``user`` may read (the compare page's choices)."""
    rounds = visible_rounds(user)
    if not isinstance(user, User) or not user.is_authenticated:
        return rounds.none()
    return rounds.filter(pk__in=SurveyRound.objects.filter(results_filter(user)).values("pk"))


def access_round(user: AnyUser, pk: int, action: Action = Action.VIEW) -> SurveyRound:
    return permissions.access(user, SurveyRound, action, pk=pk)


def access_questionnaire(user: AnyUser, pk: int) -> Questionnaire:
    return permissions.access(user, Questionnaire, pk=pk)


def access_submission(user: AnyUser, pk: int, action: Action = Action.VIEW) -> Submission:
    return permissions.access(user, Submission, action, pk=pk)


def may_see_results(user: AnyUser, survey_round: SurveyRound) -> bool:
    return permissions.can(user, Action.EXPORT, survey_round)


def may_answer(user: AnyUser, survey_round: SurveyRound) -> bool:
    return permissions.can(user, Action.ANSWER, survey_round)


def may_create(user: AnyUser) -> bool:
    """Upload questionnaires and create rounds."""
    return permissions.can(user, Action.CREATE, Questionnaire())


def own_submission(user: AnyUser, survey_round: SurveyRound) -> Submission | None:
    """The user's own submission in a round (draft or submitted), if any."""
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    return (
        permissions.visible(user, Submission)
        .filter(round=survey_round, respondent_id=user.pk)
        .first()
    )


def access_qa_session(user: AnyUser, pk: int, action: Action = Action.VIEW) -> QASession:
    return permissions.access(user, QASession, action, pk=pk)


def visible_qa_sessions(user: AnyUser, survey_round: SurveyRound) -> QuerySet[QASession]:
    return permissions.visible(user, QASession).filter(round=survey_round)


def may_code(user: AnyUser, survey_round: SurveyRound) -> bool:
    """Record Q&A sessions and notes, keep the codebook and code passages of the round."""
    return permissions.can(user, Action.CHANGE, survey_round)


def access_report_drawing(user: AnyUser, round_pk: int, pk: int) -> ReportDrawing:
    """A drawing of a round's PDF report, for whoever may read the round's results (the report
    is theirs to read whoever asked for it); anyone else is told the round is not there or
    refused, as the report itself would refuse them."""
    survey_round = access_round(user, round_pk)
    if not may_see_results(user, survey_round):
        raise PermissionDenied
    try:
        # the drawn file is loaded only when it is downloaded, not on every poll
        found = ReportDrawing.objects.defer("content").select_related(
            "survey_round", "compared_with"
        )
        drawing = found.get(pk=pk, survey_round=survey_round)
    except ReportDrawing.DoesNotExist:
        raise Http404 from None
    if drawing.compared_with_id is not None:  # a comparison: the follow-up's results too
        followup = access_round(user, drawing.compared_with_id)
        if not may_see_results(user, followup):
            raise PermissionDenied
    return drawing
