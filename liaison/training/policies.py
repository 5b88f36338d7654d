"""Who sees and does what in training, registered with the one permission layer.

- The catalogue (modules, their pages, images, questions, qualifications) is read by every
  signed-in user; modules taken out of the catalogue are seen by programme staff only.
  Programme staff (trainers) manage it.
- An officer's records (enrolments, attempts, completions, attendance, certificates, postings,
  use of computer-based training) are seen by the officer, the head of their BLO, the national
  coordinator of their country, and programme staff.
- Sessions are seen where one works (one's country's BLOs and one's counterparts: a joint
  session spans the border); programme staff, the host country's coordinator and the host BLO's
  head run them.
- Training plans are seen by programme staff and, for their country, by coordinators and heads;
  programme staff and the country's coordinator make them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from liaison.registry.models import Role, User
from liaison.registry.permissions import (
    Action,
    AnyUser,
    coordinates_country,
    heads_blo,
    is_admin,
    is_network_wide,
    reachable_blo_ids,
    register,
)
from liaison.training.models import (
    Attendance,
    Certificate,
    Completion,
    Enrolment,
    LearningActivity,
    LessonAsset,
    LessonPage,
    ModuleArea,
    ModuleTopic,
    PlanItem,
    Posting,
    Qualification,
    QualificationRequirement,
    Question,
    QuizAttempt,
    ReferenceLink,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
)

CATALOGUE_CHANGES = {Action.CREATE, Action.CHANGE, Action.DELETE, Action.IMPORT}


def manages_training(user: User) -> bool:
    """Programme staff run the training programme network-wide (administrators pass anyway)."""
    return user.role in {Role.PROGRAMME_STAFF, Role.SYSTEM_ADMINISTRATOR}


def follows_others(user: User) -> bool:
    """Whether ``user`` follows other officers' training (heads of BLO, coordinators, programme
    staff, administrators): they see certificates, coverage, use and plans beyond their own."""
    return user.is_active and user.role != Role.OFFICER


def officer_scope(user: User, path: str) -> Q:
    """Rows belonging to officers ``user`` may follow; ``path`` leads from the row to the officer."""
    if is_network_wide(user):
        return Q()
    own = Q(**{path: user.pk})
    if user.role == Role.NATIONAL_COORDINATOR:
        return own | Q(**{f"{path}__country_id": user.country_id})
    if user.role == Role.HEAD_OF_BLO and user.blo_id is not None:
        return own | Q(**{f"{path}__blo_id": user.blo_id})
    return own


def follows_officer(user: User, officer: User) -> bool:
    """Whether ``user`` looks after ``officer``'s training (the rule ``officer_scope`` filters by)."""
    if is_network_wide(user) or officer.pk == user.pk:
        return True
    if user.role == Role.NATIONAL_COORDINATOR:
        return officer.country_id == user.country_id
    if user.role == Role.HEAD_OF_BLO:
        return officer.blo_id is not None and officer.blo_id == user.blo_id
    return False


def manages_officer(user: User, officer: User) -> bool:
    """Enrol, record for: oneself, one's BLO's officers (head), one's country's (coordinator)."""
    return manages_training(user) or follows_officer(user, officer)


def _signed_in(user: AnyUser) -> User | None:
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def may_follow_training_of(user: AnyUser, officer: User) -> bool:
    """Whether ``user`` opens ``officer``'s training record (``follows_officer``)."""
    active = _signed_in(user)
    return active is not None and follows_officer(active, officer)


def enrollable_officer_filter(user: User) -> Q:
    """The accounts (a filter on users) whose training ``user`` assigns: everyone for programme
    staff, the country's for its coordinator, the post's for its head; no one else's for an
    officer. The rule of ``manages_officer`` for others than oneself."""
    if manages_training(user):
        return Q()
    if user.role == Role.NATIONAL_COORDINATOR:
        return Q(country_id=user.country_id)
    if user.role == Role.HEAD_OF_BLO and user.blo_id is not None:
        return Q(blo_id=user.blo_id)
    return Q(pk__in=[])


def earns_qualifications(user: User) -> bool:
    """Officers and heads posted at a BLO earn qualifications; the others follow them."""
    return Role(user.role).needs_blo


def training_blo_filter(user: User) -> Q:
    """The BLOs (a filter on BLOs) whose training aggregates ``user`` reads in tables: all of
    them network-wide, the country's for its coordinator, one's own post otherwise."""
    if is_network_wide(user):
        return Q()
    if user.role == Role.NATIONAL_COORDINATOR:
        return Q(country_id=user.country_id)
    if user.blo_id is None:
        return Q(pk__in=[])
    return Q(pk=user.blo_id)


def keeps_posting_of(user: User, officer: User) -> bool:
    """Whether ``user`` records ``officer``'s transfer or departure (the posting's rule)."""
    if is_admin(user):
        return True
    if officer.blo_id is None:
        return False
    current = Posting(officer=officer, blo_id=officer.blo_id)
    return PostingPolicy().allows(user, Action.CHANGE, current)


# --- the catalogue ------------------------------------------------------------------------------


class _CataloguePolicy:
    module_path = ""

    def visible(self, user: User) -> Q:
        if manages_training(user):
            return Q()
        prefix = f"{self.module_path}__" if self.module_path else ""
        return Q(**{f"{prefix}active": True})

    def allows(self, user: User, action: Action, obj: Any) -> bool:
        return action in CATALOGUE_CHANGES and manages_training(user)


@register(TrainingModule)
class TrainingModulePolicy(_CataloguePolicy):
    pass


@register(LessonPage)
class LessonPagePolicy(_CataloguePolicy):
    module_path = "module"


@register(LessonAsset)
class LessonAssetPolicy(_CataloguePolicy):
    module_path = "module"


@register(Question)
class QuestionPolicy(_CataloguePolicy):
    module_path = "module"


@register(ModuleArea)
class ModuleAreaPolicy(_CataloguePolicy):
    module_path = "module"


@register(ModuleTopic)
class ModuleTopicPolicy(_CataloguePolicy):
    module_path = "module"


@register(ReferenceLink)
class ReferenceLinkPolicy(_CataloguePolicy):
    module_path = "module"


@register(Qualification)
class QualificationPolicy(_CataloguePolicy):
    pass


@register(QualificationRequirement)
class QualificationRequirementPolicy(_CataloguePolicy):
    module_path = "qualification"


# --- officers' records --------------------------------------------------------------------------


@register(Enrolment)
class EnrolmentPolicy:
    def visible(self, user: User) -> Q:
        return officer_scope(user, "officer")

    def allows(self, user: User, action: Action, obj: Enrolment) -> bool:
        if action in {Action.CREATE, Action.CHANGE}:
            return obj.module.active and manages_officer(user, obj.officer)
        if action == Action.DELETE:
            return manages_training(user)
        return False


@register(QuizAttempt)
class QuizAttemptPolicy:
    def visible(self, user: User) -> Q:
        return officer_scope(user, "enrolment__officer")

    def allows(self, user: User, action: Action, obj: QuizAttempt) -> bool:
        # Only the officer takes their own quiz.
        if action in {Action.CREATE, Action.CHANGE}:
            return obj.enrolment.officer_id == user.pk
        return False


@register(Completion)
class CompletionPolicy:
    def visible(self, user: User) -> Q:
        return officer_scope(user, "officer")

    def allows(self, user: User, action: Action, obj: Completion) -> bool:
        # Records of training done elsewhere are entered by those who run training.
        if action in {Action.CREATE, Action.CHANGE, Action.DELETE}:
            return manages_training(user) or (
                user.role == Role.NATIONAL_COORDINATOR and obj.officer.country_id == user.country_id
            )
        return action == Action.EXPORT and follows_officer(user, obj.officer)


@register(LearningActivity)
class LearningActivityPolicy:
    def visible(self, user: User) -> Q:
        return officer_scope(user, "officer")

    def allows(self, user: User, action: Action, obj: LearningActivity) -> bool:
        return action == Action.CREATE and obj.officer_id == user.pk


@register(Certificate)
class CertificatePolicy:
    def visible(self, user: User) -> Q:
        return officer_scope(user, "officer")

    def allows(self, user: User, action: Action, obj: Certificate) -> bool:
        if action in {Action.CREATE, Action.CHANGE}:  # issue, revoke
            return manages_training(user)
        return action == Action.EXPORT and follows_officer(user, obj.officer)


@register(Posting)
class PostingPolicy:
    def visible(self, user: User) -> Q:
        return officer_scope(user, "officer")

    def allows(self, user: User, action: Action, obj: Posting) -> bool:
        # The same people who keep the officer's account (the registry's rule) record a move.
        if action in {Action.CREATE, Action.CHANGE}:
            return coordinates_country(user, obj.blo.country_id) or heads_blo(user, obj.blo_id)
        return False


# --- sessions -----------------------------------------------------------------------------------


def _session_blos_visible(user: User) -> Q:
    reachable = reachable_blo_ids(user)
    through = TrainingSession.blos.through
    joined = through.objects.filter(blo_id__in=reachable).values("trainingsession_id")
    return Q(host_blo_id__in=reachable) | Q(pk__in=joined)


def runs_session(user: User, session: TrainingSession) -> bool:
    host = session.host_blo
    return (
        manages_training(user)
        or coordinates_country(user, host.country_id)
        or heads_blo(user, host.pk)
    )


def session_blo_filter(user: User) -> Q:
    """The BLOs (a filter on BLOs) ``user`` brings into a session: every BLO for programme
    staff, the BLOs one works with (one's country's, one's counterparts) otherwise."""
    if manages_training(user):
        return Q()
    return Q(pk__in=reachable_blo_ids(user))


def session_host_filter(user: User) -> Q:
    """The BLOs (a filter on BLOs) where ``user`` runs sessions: the rule of ``runs_session``."""
    if manages_training(user):
        return Q()
    if user.role == Role.NATIONAL_COORDINATOR:
        return Q(country_id=user.country_id)
    if user.role == Role.HEAD_OF_BLO and user.blo_id is not None:
        return Q(pk=user.blo_id)
    return Q(pk__in=[])


@register(TrainingSession)
class TrainingSessionPolicy:
    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        return _session_blos_visible(user)

    def allows(self, user: User, action: Action, obj: TrainingSession) -> bool:
        if action in {Action.CREATE, Action.CHANGE, Action.DELETE}:
            return runs_session(user, obj)
        return False


@register(Attendance)
class AttendancePolicy:
    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        run = (
            Q(session__host_blo__country_id=user.country_id)
            if user.role == Role.NATIONAL_COORDINATOR
            else Q(pk__in=[])
        )
        if user.role == Role.HEAD_OF_BLO:
            run = Q(session__host_blo_id=user.blo_id)
        return officer_scope(user, "officer") | run

    def allows(self, user: User, action: Action, obj: Attendance) -> bool:
        if action in {Action.CREATE, Action.CHANGE, Action.DELETE}:
            return runs_session(user, obj.session)
        return False


# --- plans --------------------------------------------------------------------------------------


def _plan_scope(user: User, path: str) -> Q:
    if is_network_wide(user):
        return Q()
    if user.role in {Role.NATIONAL_COORDINATOR, Role.HEAD_OF_BLO}:
        return Q(**{f"{path}country_id": user.country_id})
    return Q(pk__in=[])


def makes_plan(user: User, country_id: int | None) -> bool:
    return manages_training(user) or (
        country_id is not None and coordinates_country(user, country_id)
    )


def plan_country_filter(user: User) -> Q:
    """The countries (a filter on countries) ``user`` makes plans for: the rule of ``makes_plan``."""
    if manages_training(user):
        return Q()
    if user.role == Role.NATIONAL_COORDINATOR and user.country_id is not None:
        return Q(pk=user.country_id)
    return Q(pk__in=[])


@register(TrainingPlan)
class TrainingPlanPolicy:
    def visible(self, user: User) -> Q:
        return _plan_scope(user, "")

    def allows(self, user: User, action: Action, obj: TrainingPlan) -> bool:
        if action in {Action.CREATE, Action.CHANGE, Action.DELETE, Action.IMPORT}:
            return makes_plan(user, obj.country_id)
        return False


@register(PlanItem)
class PlanItemPolicy:
    def visible(self, user: User) -> Q:
        return _plan_scope(user, "plan__")

    def allows(self, user: User, action: Action, obj: PlanItem) -> bool:
        return False
