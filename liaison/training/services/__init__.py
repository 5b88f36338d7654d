"""Every write of the training app. Each service checks permission, writes, and records its
audit entry in the same transaction.

One module per section; the services and what callers read beside them are named here, so
``liaison.training.services`` stays the one address callers import them from."""

from liaison.training.services.certificates import (
    FAMILY_NAME_FIRST,
    QualificationProgress,
    RequirementStatus,
    do_evaluate_qualifications,
    do_record_completion,
    do_revoke_certificate,
    holder_name,
    new_verification_code,
    normalise_code,
    qualification_progress,
)
from liaison.training.services.content import (
    ImportReport,
    do_import_content,
    reference_exists,
)
from liaison.training.services.learning import (
    do_enrol_officer,
    do_record_lesson_progress,
    do_start_quiz_attempt,
    do_submit_quiz_attempt,
    lessons_left,
    quiz_locked,
)
from liaison.training.services.plans import (
    do_create_training_plan,
    do_create_training_plan_from_round,
    modules_for_topic,
)
from liaison.training.services.rotation import (
    do_record_departure,
    do_transfer_officer,
)
from liaison.training.services.sessions import (
    do_record_attendance,
    do_save_training_session,
)

__all__ = [
    "FAMILY_NAME_FIRST",
    "ImportReport",
    "QualificationProgress",
    "RequirementStatus",
    "do_create_training_plan",
    "do_create_training_plan_from_round",
    "do_enrol_officer",
    "do_evaluate_qualifications",
    "do_import_content",
    "do_record_attendance",
    "do_record_completion",
    "do_record_departure",
    "do_record_lesson_progress",
    "do_revoke_certificate",
    "do_save_training_session",
    "do_start_quiz_attempt",
    "do_submit_quiz_attempt",
    "do_transfer_officer",
    "holder_name",
    "lessons_left",
    "modules_for_topic",
    "new_verification_code",
    "normalise_code",
    "qualification_progress",
    "quiz_locked",
    "reference_exists",
]
