"""Questionnaires (uploaded XLSForms), survey rounds with their sample plan, submissions, imports.

The questionnaire keeps its XLSForm file (under ``MEDIA_ROOT``) and re-reads it with the engine
(:func:`liaison.surveys.xlsform.load_form`) on demand; the parsed :class:`Form` is cached per
process by the file's SHA-256, so a page that renders or validates a questionnaire does not parse
the workbook again. Answers are stored as JSON by question name, in the XForm text representation
(select_multiple space-separated, dates ISO 8601) that the analysis reads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.registry.models import BLO, Country

if TYPE_CHECKING:
    # The engine (elementpath, pandas, scipy) takes seconds to import: only when a form is read.
    from liaison.surveys.report import SamplePlan
    from liaison.surveys.xlsform import Form, Question

_FORM_CACHE_SIZE = 16
_form_cache: OrderedDict[str, Form] = OrderedDict()
_form_cache_lock = threading.Lock()


def cached_form(key: str, read: Callable[[], Form]) -> Form:
    """The form of a file identified by ``key`` (its SHA-256), read once per process."""
    with _form_cache_lock:
        form = _form_cache.get(key)
        if form is not None:
            _form_cache.move_to_end(key)
            return form
    form = read()
    with _form_cache_lock:
        _form_cache[key] = form
        while len(_form_cache) > _FORM_CACHE_SIZE:
            _form_cache.popitem(last=False)
    return form


class Questionnaire(models.Model):
    """An XLSForm as uploaded: the file itself and what identifies it."""

    file = models.FileField(_("XLSForm file"), upload_to="surveys/questionnaires/")
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, unique=True)
    form_id = models.CharField(_("form ID"), max_length=200)
    title = models.CharField(_("title"), max_length=300)
    version = models.CharField(_("version"), max_length=100, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    question_count = models.PositiveIntegerField(_("questions"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return f"{self.title} ({self.form_id} {self.version})".replace(" )", ")")

    def get_absolute_url(self) -> str:
        return reverse("surveys:questionnaire", args=[self.pk])

    def form(self) -> Form:
        """The parsed questionnaire (cached per process by the file's hash)."""

        def read() -> Form:
            from liaison.surveys.xlsform import FormError, load_form

            try:
                with self.file.open("rb") as handle:
                    data = handle.read()
            except OSError:
                raise FormError(
                    str(_("The questionnaire's file is missing from the server.")),
                    file=self.file_name,
                ) from None
            return load_form(data, filename=self.file_name)

        if self.pk is None:
            return cached_form(self.sha256, read)
        media = list(self.media_files.order_by("name"))
        if not media:
            return cached_form(self.sha256, read)
        from liaison.surveys.attachments import with_media

        # the form with its media files' contents is a form of its own: keyed by them too
        key = ":".join([self.sha256, *(f"{item.name}={item.sha256}" for item in media)])
        return cached_form(key, lambda: with_media(cached_form(self.sha256, read), media))


class QuestionnaireMedia(models.Model):
    """A file the XForm refers to (``jr://file-csv/NAME``, ``jr://file/NAME``, ``jr://images/…``):
    a CSV or XML read by ``pulldata()`` and ``select_one_from_file``, or an image of a label."""

    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="media_files",
        verbose_name=_("questionnaire"),
    )
    name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="surveys/media/")
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    content_type = models.CharField(_("content type"), max_length=100)
    created = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("questionnaire media file")
        verbose_name_plural = _("questionnaire media files")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "name"], name="surveys_media_name_once_per_questionnaire"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RoundStatus(models.TextChoices):
    PLANNED = "planned", _("In preparation")
    OPEN = "open", _("Collecting answers")
    CLOSED = "closed", _("Closed")

    @property
    def accepts_answers(self) -> bool:
        return self is RoundStatus.OPEN


class SurveyRound(models.Model):
    """One administration of a questionnaire in a country, over some BLOs, with a sample plan.

    The sample plan states the prescriptive criteria the PATROL report recommends: every
    targeted BLO represented between ``min_share`` and ``max_share`` per cent of the
    respondents, and a minimum number of respondents per agency (``min_per_agency``, keyed by the
    choices of the questionnaire's agency question).
    """

    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("questionnaire"),
    )
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="survey_rounds", verbose_name=_("country")
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RoundStatus.choices, default=RoundStatus.PLANNED
    )
    sites = models.ManyToManyField(
        BLO, related_name="survey_rounds", blank=True, verbose_name=_("BLOs surveyed")
    )
    site_question = models.CharField(
        _("question naming the BLO"), max_length=100, default="blo", blank=True
    )
    agency_question = models.CharField(
        _("question naming the agency"), max_length=100, default="agency", blank=True
    )
    cluster_question = models.CharField(
        _("question naming the cluster"), max_length=100, default="cluster", blank=True
    )
    min_share = models.DecimalField(
        _("minimum share of each BLO (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    max_share = models.DecimalField(
        _("maximum share of each BLO (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(100),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    min_respondents = models.PositiveIntegerField(_("minimum respondents in all"), default=0)
    min_per_agency = models.JSONField(_("minimum respondents per agency"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("surveys:round", args=[self.pk])

    @property
    def status_enum(self) -> RoundStatus:
        return RoundStatus(self.status)

    @property
    def accepts_answers(self) -> bool:
        return self.status_enum.accepts_answers

    def form(self) -> Form:
        return self.questionnaire.form()

    def site_choices(self, form: Form) -> dict[int, str]:
        """The round's BLOs (by primary key) as choices of the questionnaire's BLO question."""
        if not self.site_question or not form.has_question(self.site_question):
            return {}
        question = form.question(self.site_question)
        found: dict[int, str] = {}
        for blo in self.sites.all():
            choice = site_choice(question, blo)
            if choice is not None:
                found[blo.pk] = choice
        return found

    def sample_plan(self, form: Form) -> SamplePlan:
        """The plan in the engine's terms (choices of the questionnaire's questions)."""
        from liaison.surveys.report import SamplePlan

        return SamplePlan(
            site_question=self.site_question,
            sites=tuple(self.site_choices(form).values()),
            min_share=float(self.min_share),
            max_share=float(self.max_share),
            agency_question=self.agency_question,
            min_per_agency={
                str(name): int(count)
                for name, count in (self.min_per_agency or {}).items()
                if int(count) > 0
            },
            min_respondents=self.min_respondents,
        )


def _folded(text: str) -> str:
    return "".join(character for character in text.casefold() if character.isalnum())


def site_choice(question: Question, blo: BLO) -> str | None:
    """The choice of a BLO question that names ``blo``: by its name (``moc_bai`` for Moc Bai,
    ``mocbai`` for VN-MOCBAI) or by a label equal to the BLO's English or local name."""
    keys = {_folded(blo.name_en), _folded(blo.code.split("-", 1)[-1]), _folded(blo.code)}
    if blo.name_local:
        keys.add(_folded(blo.name_local))
    for choice in question.choices:
        if _folded(choice.name) in keys:
            return choice.name
    for choice in question.choices:
        if any(_folded(label) in keys for label in choice.labels.values() if label):
            return choice.name
    return None


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class SubmissionSource(models.TextChoices):
    WEB = "web", _("Filled in Liaison")
    KOBO = "kobo", _("KoboToolbox export")
    ODK = "odk", _("ODK Central export")

    @classmethod
    def of_export(cls, export_format: str) -> SubmissionSource:
        """The source of submissions read from an export (an ``ExportFormat`` value)."""
        return cls.KOBO if export_format == ExportFormatName.KOBOTOOLBOX else cls.ODK


class ExportFormatName(models.TextChoices):
    """The engine's ``ExportFormat`` values, named for people."""

    KOBOTOOLBOX = "kobotoolbox", "KoboToolbox"
    ODK_CENTRAL = "odk_central", "ODK Central"


class ImportBatch(models.Model):
    """One export file imported into a round."""

    round = models.ForeignKey(
        SurveyRound, on_delete=models.CASCADE, related_name="imports", verbose_name=_("round")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(
        _("format"),
        max_length=20,
        choices=ExportFormatName.choices,
    )
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    rows_added = models.PositiveIntegerField(_("submissions added"), default=0)
    rows_skipped = models.PositiveIntegerField(_("already imported, skipped"), default=0)
    notices = models.JSONField(_("notices"), default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.file_name


class Submission(models.Model):
    """One respondent's answers in a round: filled in the app or imported from an export."""

    round = models.ForeignKey(
        SurveyRound,
        on_delete=models.CASCADE,
        related_name="submissions",
        verbose_name=_("round"),
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_submissions",
        verbose_name=_("respondent"),
    )
    instance_id = models.CharField(_("instance ID"), max_length=100)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    instance_xml = models.TextField(
        _("ODK instance XML"),
        blank=True,
        help_text=_("The instance as the ODK form engine submitted it (empty for other sources)."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.DRAFT,
    )
    source = models.CharField(
        _("source"), max_length=10, choices=SubmissionSource.choices, default=SubmissionSource.WEB
    )
    language = models.CharField(_("language"), max_length=20, blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
        verbose_name=_("import"),
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-updated", "-pk"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "instance_id"], name="surveys_submission_instance_per_round"
            ),
            models.UniqueConstraint(
                fields=["round", "respondent"],
                condition=models.Q(respondent__isnull=False),
                name="surveys_submission_one_per_respondent",
            ),
        ]
        indexes = [models.Index(fields=["round", "status"], name="surveys_sub_round_status")]

    def __str__(self) -> str:
        return self.instance_id

    def get_absolute_url(self) -> str:
        return reverse("surveys:submission", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == SubmissionStatus.DRAFT


class SubmissionMedia(models.Model):
    """A file answering an image, audio, video or file question of a submission (a photo taken on
    the form, a recording, a document), sent with the ODK instance, which names it as the answer.
    Read by whoever reads the submission; its file goes with the row (``post_delete``)."""

    submission = models.ForeignKey(
        Submission,
        on_delete=models.CASCADE,
        related_name="media",
        verbose_name=_("submission"),
    )
    question = models.CharField(_("question"), max_length=255)
    name = models.CharField(
        _("file name"), max_length=255, help_text=_("The name the instance gives the file.")
    )
    file = models.FileField(_("file"), upload_to="surveys/answers/")
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    created = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["submission", "question", "name"]
        verbose_name = _("answer file")
        verbose_name_plural = _("answer files")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "name"], name="surveys_answer_file_once_per_submission"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("surveys:submission_media", args=[self.submission_id, self.name])


# --- the qualitative half: interview guides, Q&A sessions, notes, codes --------------------------


class GuideQuestion(models.Model):
    """One question of a round's interview guide, in the round's languages (``{code: text}``)."""

    round = models.ForeignKey(
        SurveyRound,
        on_delete=models.CASCADE,
        related_name="guide_questions",
        verbose_name=_("round"),
    )
    position = models.PositiveIntegerField(_("position"))
    texts = models.JSONField(_("question in each language"), default=dict)

    class Meta:
        ordering = ["round", "position"]
        verbose_name = _("interview guide question")
        verbose_name_plural = _("interview guide questions")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "position"], name="surveys_guide_question_position"
            )
        ]

    def __str__(self) -> str:
        return self.text("en")

    def text(self, language: str | None) -> str:
        """The question in ``language``, else in English, else in any language it has."""
        texts: dict[str, str] = self.texts or {}
        for code in (language, "en", *texts):
            if code and texts.get(code):
                return texts[code]
        return ""


class SessionKind(models.TextChoices):
    HEAD_OF_BLO = "head_of_blo", _("Interview with the head of BLO")
    GROUP = "group", _("Group Q&A with the participants")


class QASession(models.Model):
    """A Q&A session held after a round's questionnaire: where, when, with whom, by whom.

    ``participants`` lists who answered, by role and agency: ``[{"role": …, "agency": …}]``.
    """

    round = models.ForeignKey(
        SurveyRound, on_delete=models.CASCADE, related_name="qa_sessions", verbose_name=_("round")
    )
    held_on = models.DateField(_("held on"))
    blo = models.ForeignKey(
        BLO, on_delete=models.PROTECT, related_name="qa_sessions", verbose_name=_("BLO")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    participants = models.JSONField(_("participants"), default=list, blank=True)
    interviewer = models.CharField(_("interviewer"), max_length=200)
    language = models.CharField(_("language the notes are taken in"), max_length=20)
    source = models.CharField(_("source"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["held_on", "pk"]
        verbose_name = _("Q&A session")
        verbose_name_plural = _("Q&A sessions")

    def __str__(self) -> str:
        return f"{self.blo.name_en} {self.held_on.isoformat()}"

    def get_absolute_url(self) -> str:
        return reverse("surveys:qa_session", args=[self.pk])

    @property
    def kind_enum(self) -> SessionKind:
        return SessionKind(self.kind)


class SessionNote(models.Model):
    """What was answered to one guide question in a session, in the language it was taken in,
    with a translation beside it."""

    session = models.ForeignKey(
        QASession, on_delete=models.CASCADE, related_name="notes", verbose_name=_("session")
    )
    question = models.ForeignKey(
        GuideQuestion, on_delete=models.PROTECT, related_name="notes", verbose_name=_("question")
    )
    language = models.CharField(_("language"), max_length=20)
    text = models.TextField(_("notes"))
    translation = models.TextField(_("translation"), blank=True)
    translation_language = models.CharField(
        _("language of the translation"), max_length=20, blank=True
    )
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["session", "question__position"]
        verbose_name = _("session note")
        verbose_name_plural = _("session notes")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "question"], name="surveys_note_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.question.position}"

    def text_in(self, language: str | None) -> str:
        """The note in ``language`` when it was taken or translated into it, else as taken."""
        if language and self.translation and self.translation_language == language:
            return self.translation
        return self.text


class Code(models.Model):
    """An entry of a round's codebook (``constraint: language``)."""

    round = models.ForeignKey(
        SurveyRound, on_delete=models.CASCADE, related_name="codes", verbose_name=_("round")
    )
    name = models.CharField(_("code"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["round", "name"]
        verbose_name = _("code")
        verbose_name_plural = _("codes")
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="surveys_code_name_per_round")
        ]

    def __str__(self) -> str:
        return self.name


class CodedPassage(models.Model):
    """A code applied to a passage (characters ``start``–``end``) of a session note or of an
    open answer (``question_name``) of a submission. ``quote`` keeps the passage's text."""

    code = models.ForeignKey(
        Code, on_delete=models.CASCADE, related_name="passages", verbose_name=_("code")
    )
    note = models.ForeignKey(
        SessionNote,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="passages",
        verbose_name=_("session note"),
    )
    submission = models.ForeignKey(
        Submission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="passages",
        verbose_name=_("submission"),
    )
    question_name = models.CharField(_("question"), max_length=100, blank=True)
    start = models.PositiveIntegerField(_("first character"))
    end = models.PositiveIntegerField(_("after the last character"))
    quote = models.TextField(_("quote"))
    coded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coded by"),
    )
    created = models.DateTimeField(_("coded"), auto_now_add=True)

    class Meta:
        ordering = ["code", "pk"]
        verbose_name = _("coded passage")
        verbose_name_plural = _("coded passages")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(note__isnull=False, submission__isnull=True, question_name="")
                    | (
                        models.Q(note__isnull=True, submission__isnull=False)
                        & ~models.Q(question_name="")
                    )
                ),
                name="surveys_passage_of_a_note_or_an_answer",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="surveys_passage_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.quote[:40]}"


class DrawingStatus(models.TextChoices):
    QUEUED = "queued", _("waiting for the worker")
    DRAWING = "drawing", _("drawing the report")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")

    @property
    def is_finished(self) -> bool:
        return self in {DrawingStatus.DONE, DrawingStatus.FAILED}


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    HTML = "html", "HTML"

    @property
    def content_type(self) -> str:
        return "application/pdf" if self is ReportFormat.PDF else "text/html; charset=utf-8"


class ReportDrawing(models.Model):
    """One drawing of a round's assessment report (PDF or HTML), or of the PDF comparison of two
    rounds, done by the background worker (see :mod:`liaison.surveys.tasks`): its status while
    it is drawn, then the file itself, kept with the fingerprint of the data it was drawn from
    so that a later request reuses it while the rounds' data are unchanged."""

    survey_round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="+")
    compared_with = models.ForeignKey(
        SurveyRound,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The follow-up round of a comparison report (the round is its baseline).",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(max_length=10)
    format = models.CharField(max_length=4, choices=ReportFormat.choices, default=ReportFormat.PDF)
    status = models.CharField(
        max_length=10, choices=DrawingStatus.choices, default=DrawingStatus.QUEUED
    )
    fingerprint = models.CharField(max_length=40, help_text="Of the round's data when asked.")
    content = models.BinaryField(blank=True, default=b"", help_text="The drawn PDF or HTML.")
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report drawing")
        indexes = [models.Index(fields=["survey_round", "language", "fingerprint"])]

    def __str__(self) -> str:
        return f"report drawing {self.pk} ({self.status})"

    @property
    def file_name(self) -> str:
        if self.compared_with_id is None:
            return f"assessment-{self.survey_round_id}-{self.language}.{self.format}"
        return (
            f"comparison-{self.survey_round_id}-{self.compared_with_id}-{self.language}."
            f"{self.format}"
        )
