"""Training: the catalogue of modules, their lessons and quizzes, who took what, sessions,
qualifications and certificates, postings (for rotation), and training plans from assessments.

Module content (pages, images, questions) is data imported from content packages
(``liaison/training/content/README.md``), bilingual by itself: texts are ``{language: text}``
mappings, read with :meth:`Localised.text` in the reader's language, English otherwise.
Crime areas are the reference library's ``CrimeArea`` and reference links are (vocabulary kind,
entry code) pairs of that library: one source of truth for the vocabularies.
"""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.reference.language import localised
from liaison.reference.models import CrimeArea
from liaison.registry.models import BLO, Agency, Country

module_code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]*$",
    _("Use small letters, digits and hyphens, e.g. precursor-identification."),
)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months, kept inside the target month (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


# Verification codes of certificates and module certificates: no 0/O, 1/I, read aloud over a radio.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def draw_verification_code() -> str:
    """A fresh ``XXXX-XXXX-XXXX`` code (60 random bits: a clash is not a practical concern, and
    the unique constraints of the tables holding codes refuse one anyway)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


# --- vocabularies of this app -------------------------------------------------------------------


class Skill(models.TextChoices):
    IDENTIFICATION = "identification", _("Identification")
    SEARCH = "search_techniques", _("Search techniques")
    DETECTION_INTERVIEWING = "detection_interviewing", _("Detection and interviewing")
    INVESTIGATION = "investigation", _("Investigation")
    INTELLIGENCE = "intelligence", _("Intelligence collection and analysis")
    PATROLLING = "patrolling", _("Border patrolling")
    INTEGRITY = "integrity", _("Integrity")
    COMPUTER = "computer", _("Computer skills")
    LANGUAGE = "language", _("Counterpart's language")
    AWARENESS = "awareness", _("Awareness")


class DeliveryFormat(models.TextChoices):
    ELEARNING = "elearning", _("eLearning (computer-based training)")
    CLASSROOM = "classroom", _("Classroom")
    JOINT_SESSION = "joint_session", _("Joint cross-border session")

    @property
    def is_session(self) -> bool:
        return self in {DeliveryFormat.CLASSROOM, DeliveryFormat.JOINT_SESSION}


class GridTopic(models.TextChoices):
    """The rows of the assessment's training grid (PATROL TNA question 5.9, report Table 2)."""

    INVESTIGATION = "investigation", _("Transnational crime investigation")
    CHECKPOINT = "checkpoint_anti_smuggling", _("Check point anti-smuggling")
    INTELLIGENCE = "intelligence", _("Transnational crime intelligence collection and analysis")
    PATROLLING = "border_patrolling", _("Field border patrolling")
    AWARENESS = "toc_awareness", _("Transnational crime awareness")
    COMPUTER = "computer", _("Computer training")


class GridAnswer(models.TextChoices):
    """The columns of the training grid, in the report's order."""

    NOT_NEEDED = "not_needed", _("Not needed for my position")
    ALREADY_TRAINED = "already_trained", _("Not needed, I have already received training")
    ADVANCED = "advanced", _("Received training but require more advanced training")
    REQUIRED = "required", _("Require training")

    @property
    def expresses_need(self) -> bool:
        return self in {GridAnswer.ADVANCED, GridAnswer.REQUIRED}


class TranslationReview(models.TextChoices):
    """Why a module's text in a language still awaits a native speaker's review (``module.json``'s
    ``review``); once reviewed, the language is taken out of ``review``."""

    MACHINE_ASSISTED = "machine-assisted", _("translated with machine assistance")
    UNREVIEWED = "unreviewed", _("translated, not yet reviewed")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("One answer")
    MULTIPLE = "multiple", _("Several answers")


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class CertificateState(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    RENEWED = "renewed", _("Replaced by a renewal")
    REVOKED = "revoked", _("Revoked")

    @property
    def is_valid(self) -> bool:
        return self == CertificateState.VALID


class DepartureReason(models.TextChoices):
    TRANSFER = "transfer", _("Transferred to another BLO")
    REASSIGNED = "reassigned", _("Reassigned outside the BLO network")
    RETIRED = "retired", _("Retired")
    LEFT_SERVICE = "left_service", _("Left the service")
    OTHER = "other", _("Other")


class PlanRanking(models.TextChoices):
    NEED = "need", _("Require training + require more advanced training")
    REQUIRED = "required", _("Require training only")


class Localised(models.Model):
    """Texts kept as ``{language: text}``; a reader gets theirs, else English."""

    class Meta:
        abstract = True

    def text(self, field: str, lang: str | None = None) -> str:
        value: Any = getattr(self, field)
        return localised(value if isinstance(value, dict) else None, lang)


# --- the catalogue ------------------------------------------------------------------------------


class TrainingModule(Localised):
    """A module of the catalogue: per crime area and skill, self-paced and/or taught in sessions."""

    code = models.CharField(
        _("code"), max_length=60, unique=True, validators=[module_code_validator]
    )
    version = models.CharField(_("content version"), max_length=30, blank=True)
    title = models.JSONField(_("title"), default=dict)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    objectives = models.JSONField(
        _("learning objectives"), default=dict, blank=True, help_text=_("{language: [text]}")
    )
    skill = models.CharField(_("skill"), max_length=30, choices=Skill.choices)
    formats = models.JSONField(_("formats"), default=list)
    languages = models.JSONField(_("languages"), default=list)
    review = models.JSONField(
        _("translations awaiting review"),
        default=dict,
        blank=True,
        help_text=_("{language: why it awaits review by a native speaker}"),
    )
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    questions_per_attempt = models.PositiveSmallIntegerField(
        _("questions per quiz attempt"),
        null=True,
        blank=True,
        help_text=_("Empty: every question of the bank."),
    )
    validity_months = models.PositiveSmallIntegerField(
        _("completion valid for (months)"),
        null=True,
        blank=True,
        default=36,
        help_text=_("Empty: a completion never expires."),
    )
    lessons_required_before_quiz = models.BooleanField(
        _("lessons required before the quiz"),
        default=False,
        help_text=_("The quiz opens only once the officer has opened every lesson page."),
    )
    sources = models.JSONField(_("sources"), default=list, blank=True)
    position = models.PositiveIntegerField(_("order in the catalogue"), default=100)
    fingerprint = models.CharField(_("content fingerprint"), max_length=64, blank=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    active = models.BooleanField(_("in the catalogue"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("training module")
        verbose_name_plural = _("training modules")

    def __str__(self) -> str:
        return self.text("title") or self.code

    def get_absolute_url(self) -> str:
        return reverse("training:module", args=[self.code])

    @property
    def format_choices(self) -> list[DeliveryFormat]:
        return [DeliveryFormat(f) for f in self.formats if f in DeliveryFormat.values]

    @property
    def is_self_paced(self) -> bool:
        return DeliveryFormat.ELEARNING in self.formats

    @property
    def area_values(self) -> list[str]:
        return [a.area for a in self.areas.all()]

    def awaits_review(self, lang: str) -> bool:
        """Whether the module's text in ``lang`` still awaits review by a native speaker."""
        return lang in (self.review or {})

    def completion_valid_until(self, completed_on: datetime.date) -> datetime.date | None:
        if self.validity_months is None:
            return None
        return add_months(completed_on, self.validity_months)


class ModuleArea(models.Model):
    """A crime area a module teaches (the reference library's ``CrimeArea``)."""

    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="areas")
    area = models.CharField(_("crime area"), max_length=30, choices=CrimeArea.choices)

    class Meta:
        ordering = ["module", "area"]
        verbose_name = _("crime area of a module")
        verbose_name_plural = _("crime areas of modules")
        constraints = [
            models.UniqueConstraint(fields=["module", "area"], name="training_module_area_once")
        ]

    def __str__(self) -> str:
        return f"{self.module.code}: {self.area}"


class ModuleTopic(models.Model):
    """A row of the assessment's training grid that a module answers."""

    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="topics")
    topic = models.CharField(_("assessment topic"), max_length=40, choices=GridTopic.choices)

    class Meta:
        ordering = ["module", "topic"]
        verbose_name = _("assessment topic of a module")
        verbose_name_plural = _("assessment topics of modules")
        constraints = [
            models.UniqueConstraint(fields=["module", "topic"], name="training_module_topic_once")
        ]

    def __str__(self) -> str:
        return f"{self.module.code}: {self.topic}"


class ReferenceLink(models.Model):
    """An entry of the reference library a module teaches, by vocabulary kind and entry code."""

    module = models.ForeignKey(
        TrainingModule, on_delete=models.CASCADE, related_name="reference_links"
    )
    kind = models.CharField(_("reference list"), max_length=30)
    code = models.CharField(_("entry code"), max_length=60)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["module", "position"]
        verbose_name = _("reference link")
        verbose_name_plural = _("reference links")
        constraints = [
            models.UniqueConstraint(
                fields=["module", "kind", "code"], name="training_reference_link_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"

    def get_absolute_url(self) -> str:
        return reverse("reference:entry", args=[self.kind, self.code])


class LessonPage(Localised):
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="pages")
    position = models.PositiveSmallIntegerField(_("page number"))
    slug = models.SlugField(_("slug"), max_length=80)
    title = models.JSONField(_("title"), default=dict)
    body = models.JSONField(_("text (HTML)"), default=dict)

    class Meta:
        ordering = ["module", "position"]
        verbose_name = _("lesson page")
        verbose_name_plural = _("lesson pages")
        constraints = [
            models.UniqueConstraint(fields=["module", "position"], name="training_page_position"),
            models.UniqueConstraint(fields=["module", "slug"], name="training_page_slug"),
        ]

    def __str__(self) -> str:
        return f"{self.module.code} {self.position}: {self.text('title')}"

    def get_absolute_url(self) -> str:
        return reverse("training:page", args=[self.module.code, self.position])


class LessonAsset(models.Model):
    """An image shipped with a module's content, served by the app itself (offline)."""

    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="assets")
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=60)
    data = models.BinaryField(_("content"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["module", "name"]
        verbose_name = _("lesson image")
        verbose_name_plural = _("lesson images")
        constraints = [
            models.UniqueConstraint(fields=["module", "name"], name="training_asset_name")
        ]

    def __str__(self) -> str:
        return f"{self.module.code}/{self.name}"


class Question(Localised):
    """A question of a module's quiz bank; ``choices`` holds the options and the answer key."""

    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(_("code"), max_length=40)
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("type"), max_length=10, choices=QuestionKind.choices)
    text_by_language = models.JSONField(_("question"), default=dict)
    choices = models.JSONField(
        _("options"), default=list, help_text=_("[{code, text: {language: text}, correct}]")
    )
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    active = models.BooleanField(_("in the bank"), default=True)

    class Meta:
        ordering = ["module", "position"]
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")
        constraints = [
            models.UniqueConstraint(fields=["module", "code"], name="training_question_code")
        ]

    def __str__(self) -> str:
        return f"{self.module.code}/{self.code}"

    @property
    def correct_codes(self) -> frozenset[str]:
        return frozenset(str(c["code"]) for c in self.choices if c.get("correct"))


# --- qualifications -----------------------------------------------------------------------------


class Qualification(Localised):
    """A BLO officer qualification: a set of required modules, each with its pass mark."""

    code = models.CharField(
        _("code"), max_length=60, unique=True, validators=[module_code_validator]
    )
    title = models.JSONField(_("title"), default=dict)
    description = models.JSONField(_("description"), default=dict, blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("certificate valid for (months)"), default=36, validators=[MinValueValidator(1)]
    )
    renewal_window_days = models.PositiveSmallIntegerField(
        _("renewal opens (days before expiry)"), default=90
    )
    position = models.PositiveIntegerField(_("order"), default=100)
    active = models.BooleanField(_("awarded"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return self.text("title") or self.code


class QualificationRequirement(models.Model):
    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="requirements"
    )
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="+")
    min_score = models.PositiveSmallIntegerField(
        _("minimum score (%)"), validators=[MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["qualification", "module__position"]
        verbose_name = _("required module")
        verbose_name_plural = _("required modules")
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "module"], name="training_requirement_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.qualification.code}: {self.module.code} ≥ {self.min_score}%"


# --- what officers did --------------------------------------------------------------------------


class Enrolment(models.Model):
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=EnrolmentStatus.choices,
        default=EnrolmentStatus.ENROLLED,
    )
    enrolled_at = models.DateTimeField(_("enrolled"), default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enrolled by"),
    )
    last_page = models.PositiveSmallIntegerField(_("last page read"), default=0)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["-enrolled_at"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["officer", "module"], name="training_enrolment_once")
        ]

    def __str__(self) -> str:
        return f"{self.officer} · {self.module.code}"


class LessonView(models.Model):
    """That an officer opened a lesson page of a module they are enrolled in (the first time).

    Kept by the page's slug, not its row: an import of new content replaces the page rows but
    keeps their slugs, so what was read stays read."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="lesson_views")
    slug = models.SlugField(_("page"), max_length=80)
    opened_at = models.DateTimeField(_("first opened"), default=timezone.now)

    class Meta:
        ordering = ["enrolment", "opened_at"]
        verbose_name = _("lesson opened")
        verbose_name_plural = _("lessons opened")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "slug"], name="training_lesson_view_once")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.slug}"


class QuizAttempt(models.Model):
    """One attempt at a module's quiz. The questions drawn and their keys are kept with it, so a
    later import of new content never changes a past score."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    language = models.CharField(_("language"), max_length=10)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    questions = models.JSONField(
        _("questions drawn"),
        default=list,
        help_text=_("[{code, choices: [codes], correct: [codes]}]"),
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    correct = models.JSONField(_("questions answered correctly"), default=list, blank=True)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"))
    passed = models.BooleanField(_("passed"), null=True)

    class Meta:
        ordering = ["enrolment", "number"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "number"], name="training_attempt_number")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} #{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("training:attempt", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class TrainingSession(models.Model):
    """A classroom course or a joint cross-border session, with its attendance."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField(
        _("type"),
        max_length=20,
        choices=[
            (DeliveryFormat.CLASSROOM.value, DeliveryFormat.CLASSROOM.label),
            (DeliveryFormat.JOINT_SESSION.value, DeliveryFormat.JOINT_SESSION.label),
        ],
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    location = models.CharField(_("place"), max_length=200)
    host_blo = models.ForeignKey(
        BLO,
        on_delete=models.PROTECT,
        related_name="hosted_training_sessions",
        verbose_name=_("host BLO"),
    )
    blos = models.ManyToManyField(
        BLO, related_name="training_sessions", verbose_name=_("participating BLOs")
    )
    trainer_name = models.CharField(_("trainer"), max_length=200, blank=True)
    language = models.CharField(_("language of instruction"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="training_session_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"{self.module} · {self.starts_on}"

    def get_absolute_url(self) -> str:
        return reverse("training:session", args=[self.pk])

    @property
    def is_joint(self) -> bool:
        return self.kind == DeliveryFormat.JOINT_SESSION


class Completion(models.Model):
    """A record that an officer completed a module: by eLearning, in class or in a joint session.

    A passed quiz writes one (its attempt is one-to-one with it). It is also the module
    certificate: printable, and verifiable by anyone with its ``code`` like a qualification's."""

    code = models.CharField(
        _("verification code"), max_length=20, unique=True, default=draw_verification_code
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_completions"
    )
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="completions")
    completed_on = models.DateField(_("completed on"))
    score = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    method = models.CharField(_("how"), max_length=20, choices=DeliveryFormat.choices)
    attempt = models.OneToOneField(
        QuizAttempt, on_delete=models.PROTECT, null=True, blank=True, related_name="completion"
    )
    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, null=True, blank=True, related_name="completions"
    )
    blo = models.ForeignKey(
        BLO,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("BLO at the time"),
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_on", "-id"]
        verbose_name = _("completion")
        verbose_name_plural = _("completions")

    def __str__(self) -> str:
        return f"{self.officer} · {self.module.code} · {self.completed_on}"

    def get_absolute_url(self) -> str:
        return reverse("training:module_certificate", args=[self.code])

    def verification_path(self) -> str:
        return reverse("training:verify", args=[self.code])

    def is_current(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.valid_until is None or self.valid_until >= today


class Attendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendance"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_attendance"
    )
    present = models.BooleanField(_("present"), default=True)
    score = models.DecimalField(
        _("assessment score (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    completion = models.OneToOneField(
        Completion, on_delete=models.SET_NULL, null=True, blank=True, related_name="attendance"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "officer__last_name"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "officer"], name="training_attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.officer}"


class LearningActivity(models.Model):
    """An officer's use of computer-based training on one day (one row per officer, module, day)."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_activity"
    )
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="+")
    blo = models.ForeignKey(BLO, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    day = models.DateField(_("day"))
    actions = models.PositiveIntegerField(_("pages and answers"), default=0)
    last_at = models.DateTimeField(_("last"), default=timezone.now)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("computer-based training use")
        verbose_name_plural = _("computer-based training use")
        constraints = [
            models.UniqueConstraint(
                fields=["officer", "module", "day"], name="training_activity_per_day"
            )
        ]
        indexes = [models.Index(fields=["blo", "day"], name="training_activity_blo_day")]

    def __str__(self) -> str:
        return f"{self.officer} · {self.module.code} · {self.day}"


class Certificate(Localised):
    """A qualification awarded to an officer; verifiable by anyone with its code, without login."""

    code = models.CharField(_("verification code"), max_length=20, unique=True)
    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="certificates"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    holder_name = models.CharField(_("holder"), max_length=300)
    blo = models.ForeignKey(
        BLO,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("BLO at issue"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency at issue"),
    )
    issued_on = models.DateField(_("issued on"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    valid_until = models.DateField(_("valid until"))
    scores = models.JSONField(_("module scores"), default=dict)
    renewal_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewed_by",
        verbose_name=_("renews"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return f"{self.code} · {self.holder_name}"

    def get_absolute_url(self) -> str:
        return reverse("training:certificate", args=[self.code])

    def verification_path(self) -> str:
        return reverse("training:verify", args=[self.code])

    def state(self, today: datetime.date | None = None) -> CertificateState:
        today = today or timezone.localdate()
        if self.revoked_at is not None:
            return CertificateState.REVOKED
        if hasattr(self, "renewed_by"):
            return CertificateState.RENEWED
        if self.valid_until < today:
            return CertificateState.EXPIRED
        return CertificateState.VALID

    def renewal_due(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        state = self.state(today)
        if state not in {CertificateState.VALID, CertificateState.EXPIRED}:
            return False
        window = datetime.timedelta(days=self.qualification.renewal_window_days)
        return today >= self.valid_until - window


class Posting(models.Model):
    """An officer's time at a BLO: the history that rotation leaves behind."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="postings"
    )
    blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Agency, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_on = models.DateField(_("from"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(
        _("reason for leaving"), max_length=20, choices=DepartureReason.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["officer", "-started_on", "-id"]
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.UniqueConstraint(
                fields=["officer"],
                condition=models.Q(ended_on__isnull=True),
                name="training_one_open_posting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.officer} @ {self.blo.code}"


# --- training plans -----------------------------------------------------------------------------


class TrainingPlan(models.Model):
    """The training that answers an assessment round's gaps, ranked from its training grid."""

    title = models.CharField(_("title"), max_length=200)
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("country"),
    )
    source = models.CharField(
        _("assessment"), max_length=300, help_text=_("The survey round the answers come from.")
    )
    survey_round_id = models.PositiveIntegerField(_("survey round"), null=True, blank=True)
    ranking = models.CharField(
        _("ranked by"), max_length=20, choices=PlanRanking.choices, default=PlanRanking.NEED
    )
    starts_on = models.DateField(_("plan starts"))
    respondents = models.PositiveIntegerField(_("respondents"))
    analysis = models.JSONField(_("analysis"), default=dict)
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous round's plan"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("training:plan", args=[self.pk])


class PlanItem(models.Model):
    """One topic of a plan, at its rank, with the modules proposed to answer it."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="items")
    topic = models.CharField(_("topic"), max_length=40, choices=GridTopic.choices)
    rank = models.PositiveSmallIntegerField(_("rank"))
    answered = models.PositiveIntegerField(_("answered"))
    need_share = models.DecimalField(_("need (%)"), max_digits=6, decimal_places=2)
    required_share = models.DecimalField(_("require training (%)"), max_digits=6, decimal_places=2)
    advanced_share = models.DecimalField(
        _("require more advanced training (%)"), max_digits=6, decimal_places=2
    )
    modules = models.ManyToManyField(
        TrainingModule, related_name="plan_items", blank=True, verbose_name=_("proposed modules")
    )

    class Meta:
        ordering = ["plan", "rank"]
        verbose_name = _("plan topic")
        verbose_name_plural = _("plan topics")
        constraints = [
            models.UniqueConstraint(fields=["plan", "topic"], name="training_plan_topic_once")
        ]

    def __str__(self) -> str:
        return f"{self.plan} #{self.rank} {self.topic}"
