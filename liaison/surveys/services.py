"""Every write of the survey module: questionnaires, rounds, submissions, imports.

Each ``do_<verb>_<noun>(…, *, actor)`` checks the actor's permission, runs in one transaction and
writes its audit entry in it. Problems a person can fix come back as exceptions carrying
everything needed to show them: :class:`~liaison.surveys.xlsform.FormError` (sheet, row, column),
:class:`SubmissionRejected` (one message per question), the engine's
:class:`~liaison.surveys.imports.ExportRejected` (row, column, reason) — and nothing is saved.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.operations.storage import files_removed_unless_committed
from liaison.registry import permissions
from liaison.registry.models import BLO, Country, User
from liaison.registry.permissions import Action
from liaison.registry.versioning import check_version
from liaison.surveys.answer_media import (
    MediaPart,
    build_media_row,
    check_answer_media,
    require_every_file,
)
from liaison.surveys.attachments import MediaFile, check_media_files
from liaison.surveys.expressions import (
    Answer,
    FieldError,
    FieldErrorCode,
    answer_text,
    settle,
    validate_submission,
)
from liaison.surveys.imports import read_export
from liaison.surveys.instances import OdkInstance
from liaison.surveys.models import (
    Code,
    CodedPassage,
    DrawingStatus,
    GuideQuestion,
    ImportBatch,
    QASession,
    Questionnaire,
    QuestionnaireMedia,
    ReportDrawing,
    ReportFormat,
    RoundStatus,
    SessionKind,
    SessionNote,
    Submission,
    SubmissionSource,
    SubmissionStatus,
    SurveyRound,
    cached_form,
)
from liaison.surveys.xlsform import CALCULATE, SELECT_ONE, TEXT, Form, FormError, load_form
from liaison.surveys.xpath import ExpressionError

_SYSTEM = "system"


class SubmissionRejected(Exception):
    """A questionnaire that cannot be submitted as it is: one problem per question."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(error.message for error in self.errors))


# --- questionnaires --------------------------------------------------------------------------


def do_upload_questionnaire(
    *,
    data: bytes,
    file_name: str,
    actor: User | None,
    request: HttpRequest | None = None,
    media: Sequence[tuple[str, bytes]] = (),
) -> Questionnaire:
    """Store an XLSForm after the engine has read it whole, with its media files (name, bytes).

    A form the engine refuses raises its :class:`FormError` (naming sheet, row and column) and
    nothing is stored; so does the same file uploaded twice (a :class:`ValidationError`) and a
    media file Liaison does not keep (:class:`~liaison.surveys.attachments.MediaRejected`).
    ``actor`` ``None`` is the system (the demo loader).
    """
    if actor is not None:
        permissions.require(actor, Action.CREATE, Questionnaire())
    checked_media = check_media_files(media)
    digest = hashlib.sha256(data).hexdigest()
    form = cached_form(digest, lambda: load_form(data, filename=file_name))
    existing = Questionnaire.objects.filter(sha256=digest).first()
    if existing is not None:
        raise ValidationError(
            _("This file is already uploaded, as “%(title)s”.") % {"title": existing}
        )
    # The file is written before its row; if the row does not commit, the file goes again.
    with files_removed_unless_committed() as keep_if_committed, transaction.atomic():
        questionnaire = Questionnaire(
            file_name=file_name[:255],
            sha256=digest,
            form_id=form.form_id[:200],
            title=(form.title or form.form_id)[:300],
            version=form.version[:100],
            languages=[language.code or language.name for language in form.languages],
            question_count=sum(1 for question in form.questions if question.takes_answer),
            uploaded_by=actor,
        )
        questionnaire.file.save(file_name, ContentFile(data), save=False)
        keep_if_committed(questionnaire.file)
        questionnaire.save()
        for item in checked_media:
            keep_if_committed(_store_media(questionnaire, item).file)
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=questionnaire,
            summary=_("Uploaded the questionnaire %(title)s") % {"title": questionnaire},
            changes={"form_id": form.form_id, "version": form.version, "sha256": digest},
            request=request,
            username=_SYSTEM if actor is None else "",
        )
    return questionnaire


def _store_media(questionnaire: Questionnaire, item: MediaFile) -> QuestionnaireMedia:
    stored = QuestionnaireMedia(
        questionnaire=questionnaire,
        name=item.name,
        sha256=hashlib.sha256(item.data).hexdigest(),
        size=len(item.data),
        content_type=item.content_type,
    )
    stored.file.save(item.name, ContentFile(item.data), save=False)
    stored.save()
    return stored


def do_attach_questionnaire_media(
    questionnaire: Questionnaire,
    files: Sequence[tuple[str, bytes]],
    *,
    actor: User,
    request: HttpRequest | None = None,
) -> list[QuestionnaireMedia]:
    """Attach media files (name, bytes) to a questionnaire; one of the same name is replaced.

    Every file is checked before any is stored: a refused one raises
    :class:`~liaison.surveys.attachments.MediaRejected` naming it, and nothing is kept.
    """
    permissions.require(actor, Action.CREATE, Questionnaire())
    checked = check_media_files(files)
    with files_removed_unless_committed() as keep_if_committed, transaction.atomic():
        stored = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        replaced = stored.media_files.filter(name__in=[item.name for item in checked])
        for old in replaced:
            # the replaced file goes once its successor is committed
            transaction.on_commit(functools.partial(old.file.storage.delete, str(old.file.name)))
        replaced.delete()
        saved = [_store_media(stored, item) for item in checked]
        for media in saved:
            keep_if_committed(media.file)
        record(
            actor=actor,
            action=AuditAction.CHANGE,
            obj=stored,
            summary=_("Attached media files to the questionnaire %(title)s") % {"title": stored},
            changes={"media": {media.name: media.sha256 for media in saved}},
            request=request,
        )
    return saved


# --- rounds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundData:
    """What a round is: where, when, over which BLOs, and its sample plan."""

    title: str
    country: Country
    starts_on: date
    ends_on: date | None
    status: RoundStatus
    sites: Sequence[BLO]
    min_share: Decimal = Decimal(0)
    max_share: Decimal = Decimal(100)
    min_respondents: int = 0
    min_per_agency: Mapping[str, int] = field(default_factory=dict)
    site_question: str = "blo"
    agency_question: str = "agency"
    cluster_question: str = "cluster"


def _check_round(questionnaire: Questionnaire, data: RoundData) -> None:
    form = questionnaire.form()
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if data.ends_on is not None and data.ends_on < data.starts_on:
        add("ends_on", _("The round cannot end before it starts."))
    if data.min_share > data.max_share:
        add("max_share", _("The maximum share is below the minimum share."))
    foreign = [blo for blo in data.sites if blo.country_id != data.country.pk]
    if foreign:
        add(
            "sites",
            _("Not in %(country)s: %(blos)s.")
            % {"country": data.country, "blos": ", ".join(str(blo) for blo in foreign)},
        )
    for key, name, kinds in (
        ("site_question", data.site_question, {SELECT_ONE}),
        ("agency_question", data.agency_question, {SELECT_ONE}),
        ("cluster_question", data.cluster_question, {SELECT_ONE, CALCULATE}),
    ):
        if not name:
            continue
        if not form.has_question(name):
            add(key, _("The questionnaire has no question named %(name)s.") % {"name": name})
        elif form.question(name).type not in kinds:
            add(
                key,
                _("%(name)s is a %(type)s question; a choice question is needed here.")
                % {"name": name, "type": form.question(name).type},
            )
    if data.min_per_agency and data.agency_question and form.has_question(data.agency_question):
        known = set(form.question(data.agency_question).choice_names)
        unknown = sorted(set(data.min_per_agency) - known)
        if unknown:
            add(
                "min_per_agency",
                _("Not choices of the agency question: %(names)s.") % {"names": ", ".join(unknown)},
            )
    if any(count < 0 for count in data.min_per_agency.values()):
        add("min_per_agency", _("A minimum cannot be negative."))
    if errors:
        raise ValidationError(errors)


def _apply(survey_round: SurveyRound, data: RoundData) -> None:
    survey_round.title = data.title
    survey_round.country = data.country
    survey_round.starts_on = data.starts_on
    survey_round.ends_on = data.ends_on
    survey_round.status = data.status
    survey_round.min_share = data.min_share
    survey_round.max_share = data.max_share
    survey_round.min_respondents = data.min_respondents
    survey_round.min_per_agency = {
        name: int(count) for name, count in data.min_per_agency.items() if int(count) > 0
    }
    survey_round.site_question = data.site_question
    survey_round.agency_question = data.agency_question
    survey_round.cluster_question = data.cluster_question


def _round_state(survey_round: SurveyRound) -> dict[str, object]:
    return {
        "title": survey_round.title,
        "country": survey_round.country.code,
        "starts_on": survey_round.starts_on,
        "ends_on": survey_round.ends_on,
        "status": survey_round.status,
        "sites": sorted(blo.code for blo in survey_round.sites.all()),
        "min_share": str(survey_round.min_share),
        "max_share": str(survey_round.max_share),
        "min_respondents": survey_round.min_respondents,
        "min_per_agency": dict(survey_round.min_per_agency or {}),
    }


def _data_state(data: RoundData) -> dict[str, object]:
    """``_round_state`` of the round ``data`` would make."""
    return {
        "title": data.title,
        "country": data.country.code,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "status": data.status,
        "sites": sorted(blo.code for blo in data.sites),
        "min_share": str(data.min_share),
        "max_share": str(data.max_share),
        "min_respondents": data.min_respondents,
        "min_per_agency": dict(data.min_per_agency or {}),
    }


def do_create_round(
    questionnaire: Questionnaire,
    data: RoundData,
    *,
    actor: User | None,
    request: HttpRequest | None = None,
) -> SurveyRound:
    """A new round; ``actor`` ``None`` is the system (the demo loader).

    Authorised before anything is written and again once its sites are set (a rule may look at
    them), inside the transaction: a refusal leaves nothing."""
    survey_round = SurveyRound(questionnaire=questionnaire, created_by=actor)
    _apply(survey_round, data)
    if actor is not None:
        permissions.require(actor, Action.CREATE, survey_round)
    _check_round(questionnaire, data)
    with transaction.atomic():
        survey_round.save()
        survey_round.sites.set(data.sites)
        if actor is not None:
            permissions.require(actor, Action.CREATE, survey_round)
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=survey_round,
            summary=_("Created the survey round %(title)s") % {"title": survey_round.title},
            changes=_round_state(survey_round),
            request=request,
            username=_SYSTEM if actor is None else "",
        )
    return survey_round


def do_update_round(
    survey_round: SurveyRound,
    data: RoundData,
    *,
    expected_version: int | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> SurveyRound:
    """Change a round: authorised on the stored round and on the changed one (its country,
    sites and status decide who reads and answers it); a refusal leaves the round as it was.
    ``StaleEdit`` if someone saved the round after ``expected_version``, the version its
    editor opened."""
    with transaction.atomic():
        locked = SurveyRound.objects.select_for_update().get(pk=survey_round.pk)
        permissions.require(actor, Action.CHANGE, locked)
        _check_round(locked.questionnaire, data)
        before = _round_state(locked)
        new_version = check_version(
            locked,
            expected_version,
            lambda: {key: str(value) for key, value in before.items()},
            lambda: {key: str(value) for key, value in _data_state(data).items()},
        )
        _apply(locked, data)
        locked.version = new_version
        locked.save()
        locked.sites.set(data.sites)
        # The new state, sites included: refused, the transaction leaves the round as it was.
        permissions.require(actor, Action.CHANGE, locked)
        after = _round_state(locked)
        record(
            actor=actor,
            action=AuditAction.CHANGE,
            obj=locked,
            summary=_("Changed the survey round %(title)s") % {"title": locked.title},
            changes={
                key: [before[key], value] for key, value in after.items() if before[key] != value
            },
            request=request,
        )
    return locked


# --- submissions filled in the app -----------------------------------------------------------


@dataclass(frozen=True)
class SavedSubmission:
    submission: Submission
    warnings: list[FieldError]
    """Problems left in a saved draft (they must be fixed before it can be submitted)."""


def applicable_answers(form: Form, answers: Mapping[str, Answer]) -> dict[str, str]:
    """The answers as text, without those of questions that do not apply to this respondent.

    A page without JavaScript shows every question; what a respondent answered in a branch that
    does not apply is dropped, as ODK drops it on submission.
    """
    given = {
        name: text
        for name, value in answers.items()
        if form.has_question(name)
        and form.question(name).takes_answer
        and (text := answer_text(value))
    }
    _instance, relevance = settle(form, given)
    return {name: text for name, text in given.items() if relevance.get(name, False)}


def _with_calculations(form: Form, answers: Mapping[str, str]) -> dict[str, str]:
    instance, _relevance = settle(form, answers)
    stored = dict(answers)
    for question in form.questions:
        if question.type == CALCULATE and not question.in_repeat:
            value = instance.value(question.name)
            if value:
                stored[question.name] = value
    return stored


def do_save_submission(
    survey_round: SurveyRound,
    answers: Mapping[str, Answer],
    *,
    submit: bool,
    language: str,
    actor: User,
    request: HttpRequest | None = None,
    instance: OdkInstance | None = None,
    media: Sequence[MediaPart] = (),
    every_file: bool = False,
) -> SavedSubmission:
    """Save the actor's draft, or submit it.

    The server validates again whatever the browser did: a draft may be incomplete (its other
    problems come back as warnings), a submission may not — it raises
    :class:`SubmissionRejected` and nothing is saved.

    ``instance`` is what the ODK form engine submitted (its XML, instance ID and repeats): the
    XML is kept beside the answers, the repeats' instances stored under their names. ``media``
    are the files sent with it: each must be one its answers name, of its question's kind and
    within the size limits, or :class:`~liaison.surveys.answer_media.AnswerMediaRejected` is
    raised and nothing is saved. They replace the files of the draft they submit. With
    ``every_file`` (the engine's page, which sends every file it holds) a file the instance
    names must be among them.
    """
    # The stored round decides whether it takes answers and from whom.
    survey_round = SurveyRound.objects.get(pk=survey_round.pk)
    permissions.require(actor, Action.ANSWER, survey_round)
    form = survey_round.form()
    referenced = instance.media if instance is not None else {}
    checked_media = check_answer_media(
        referenced, {question.name: question for question in form.questions}, media
    )
    if every_file:
        require_every_file(referenced, media)
    try:
        clean = applicable_answers(form, answers)
        errors = validate_submission(form, clean, language=language or None)
        if submit and errors:
            raise SubmissionRejected(errors)
        stored: dict[str, object] = dict(_with_calculations(form, clean))
    except ExpressionError as error:
        # A function the server's engine cannot evaluate (pulldata() without its file, …): the
        # answers are refused with the reason, never stored unchecked nor answered with a 500.
        raise SubmissionRejected(
            [
                FieldError(
                    name="",
                    code=FieldErrorCode.EXPRESSION,
                    message=_("The server cannot check these answers: %(reason)s")
                    % {"reason": error},
                )
            ]
        ) from error
    if instance is not None:
        stored.update(instance.repeats)
    # The files are written before their rows; if the rows do not commit, the files go again.
    with files_removed_unless_committed() as keep_if_committed, transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .filter(round=survey_round, respondent=actor)
            .first()
        )
        created = submission is None
        if submission is None:
            submission = Submission(
                round=survey_round,
                respondent=actor,
                instance_id=str(uuid.uuid4()),
                source=SubmissionSource.WEB,
            )
        elif not submission.is_draft:
            raise PermissionDenied(_("This questionnaire is already submitted."))
        else:
            permissions.require(actor, Action.CHANGE, submission)
        if instance is not None:
            taken = Submission.objects.filter(round=survey_round, instance_id=instance.instance_id)
            if taken.exclude(pk=submission.pk).exists():
                raise PermissionDenied(_("This instance is already recorded in the round."))
            submission.instance_id = instance.instance_id
            submission.instance_xml = instance.xml
        submission.answers = stored
        submission.language = language[:20]
        if submit:
            submission.status = SubmissionStatus.SUBMITTED
            submission.submitted_at = timezone.now()
        submission.save()
        if instance is not None:
            # the instance's answers are the whole answer: a file it no longer names goes (its
            # stored file after the commit, by the post_delete receiver)
            submission.media.all().delete()
        for item in checked_media:
            row = build_media_row(item)
            keep_if_committed(row.file)
            row.submission = submission
            row.save()
        record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.CHANGE,
            obj=submission,
            summary=(
                _("Submitted the questionnaire of %(round)s")
                if submit
                else _("Saved a draft of the questionnaire of %(round)s")
            )
            % {"round": survey_round.title},
            changes={
                "round": survey_round.pk,
                "status": submission.status,
                **(
                    {"files": {item.part.name: item.question for item in checked_media}}
                    if checked_media
                    else {}
                ),
            },
            request=request,
        )
    warnings = [error for error in errors if error.code != FieldErrorCode.REQUIRED]
    return SavedSubmission(submission=submission, warnings=warnings)


# --- imports ---------------------------------------------------------------------------------


def _submitted_at(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = parse_datetime(text.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _form_versions(survey_round: SurveyRound) -> list[Form]:
    """Every uploaded version of the round's questionnaire (same form ID), oldest first and
    the round's own last: an export's version column picks among them, and a file that names
    none is read with the round's."""
    own = survey_round.questionnaire
    versions: list[Form] = []
    others = Questionnaire.objects.filter(form_id=own.form_id).exclude(pk=own.pk)
    for questionnaire in others.order_by("created", "pk"):
        try:
            versions.append(questionnaire.form())
        except FormError:
            continue  # a version whose file is gone cannot be read with; the others can
    return [*versions, own.form()]


def do_import_export(
    survey_round: SurveyRound,
    data: bytes,
    *,
    file_name: str,
    actor: User | None,
    request: HttpRequest | None = None,
) -> ImportBatch:
    """Import a KoboToolbox or ODK Central export into a round, all or nothing.

    The engine reads and checks the whole file first (:class:`ExportError`, or
    :class:`ExportRejected` listing every bad row/column/reason: nothing is saved). Submissions
    whose instance ID the round already holds are skipped, so importing the same file twice adds
    nothing the second time. ``actor`` ``None`` is the system (the demo loader).
    """
    survey_round = SurveyRound.objects.get(pk=survey_round.pk)
    if actor is not None:
        permissions.require(actor, Action.IMPORT, survey_round)
    table = read_export(data, _form_versions(survey_round), filename=file_name)
    with transaction.atomic():
        # The round's row is locked so that two imports of one file cannot both add it; the
        # stored round is the one authorised.
        survey_round = SurveyRound.objects.select_for_update().get(pk=survey_round.pk)
        if actor is not None:
            permissions.require(actor, Action.IMPORT, survey_round)
        known = set(
            Submission.objects.filter(round=survey_round).values_list("instance_id", flat=True)
        )
        fresh = table.excluding(known)
        source = SubmissionSource.of_export(table.format.value)
        batch = ImportBatch.objects.create(
            round=survey_round,
            file_name=file_name[:255],
            format=table.format.value,
            encoding=table.encoding,
            rows_added=len(fresh),
            rows_skipped=len(table) - len(fresh),
            notices=[
                {"column": notice.column, "message": notice.message} for notice in table.notices
            ],
            imported_by=actor,
        )
        Submission.objects.bulk_create(
            [
                Submission(
                    round=survey_round,
                    instance_id=(row.instance_id or str(uuid.uuid4()))[:100],
                    answers=row.answers,
                    status=SubmissionStatus.SUBMITTED,
                    source=source,
                    import_batch=batch,
                    submitted_at=_submitted_at(row.submitted_at),
                )
                for row in fresh.rows()
            ],
            batch_size=500,
        )
        record(
            actor=actor,
            action=AuditAction.IMPORT,
            obj=batch,
            summary=_("Imported %(file)s into %(round)s: %(added)s added, %(skipped)s skipped")
            % {
                "file": batch.file_name,
                "round": survey_round.title,
                "added": batch.rows_added,
                "skipped": batch.rows_skipped,
            },
            changes={"format": batch.format, "round": survey_round.pk},
            request=request,
            username=_SYSTEM if actor is None else "",
        )
    return batch


# --- the qualitative half: interview guide, Q&A sessions, notes, codebook, coding ----------------


def _locked_round(survey_round: SurveyRound, actor: User | None) -> SurveyRound:
    """The stored round, locked, once the actor may record its qualitative data."""
    stored = SurveyRound.objects.select_for_update().get(pk=survey_round.pk)
    if actor is not None:
        permissions.require(actor, Action.CHANGE, stored)
    return stored


def _audit(
    actor: User | None,
    action: AuditAction,
    obj: object,
    summary: str,
    changes: dict[str, object],
    request: HttpRequest | None,
) -> None:
    record(
        actor=actor,
        action=action,
        obj=obj,
        summary=summary,
        changes=changes,
        request=request,
        username=_SYSTEM if actor is None else "",
    )


def do_add_guide_question(
    survey_round: SurveyRound,
    texts: Mapping[str, str],
    *,
    actor: User | None,
    request: HttpRequest | None = None,
) -> GuideQuestion:
    """Append a question to the round's interview guide (``texts``: the question by language)."""
    cleaned = {code: text.strip() for code, text in texts.items() if text and text.strip()}
    if not cleaned:
        raise ValidationError({"texts": [_("Write the question in at least one language.")]})
    with transaction.atomic():
        stored = _locked_round(survey_round, actor)
        last = stored.guide_questions.order_by("-position").values_list("position", flat=True)
        question = GuideQuestion.objects.create(
            round=stored, position=(last.first() or 0) + 1, texts=cleaned
        )
        _audit(
            actor,
            AuditAction.CREATE,
            question,
            _("Added question %(position)s to the interview guide of round %(round)s")
            % {"position": question.position, "round": stored.pk},
            {"round": stored.pk, "position": question.position},
            request,
        )
    return question


@dataclass(frozen=True)
class SessionData:
    """What a Q&A session is: when, where, which kind, with whom, by whom, in which language."""

    held_on: date
    blo: BLO
    kind: SessionKind
    interviewer: str
    language: str
    participants: Sequence[Mapping[str, str]] = ()
    source: str = ""


def do_record_session(
    survey_round: SurveyRound,
    data: SessionData,
    *,
    actor: User | None,
    request: HttpRequest | None = None,
) -> QASession:
    """Record a Q&A session held at one of the round's BLOs."""
    participants = [
        {"role": str(item.get("role", "")).strip(), "agency": str(item.get("agency", "")).strip()}
        for item in data.participants
        if str(item.get("role", "")).strip() or str(item.get("agency", "")).strip()
    ]
    with transaction.atomic():
        stored = _locked_round(survey_round, actor)
        errors: dict[str, list[str]] = {}
        if not stored.sites.filter(pk=data.blo.pk).exists():
            errors["blo"] = [
                _("%(blo)s is not one of the round's BLOs.") % {"blo": data.blo.name_en}
            ]
        if not data.interviewer.strip():
            errors["interviewer"] = [_("Name who led the session.")]
        if not data.language.strip():
            errors["language"] = [_("Give the language the notes are taken in.")]
        if errors:
            raise ValidationError(errors)
        session = QASession.objects.create(
            round=stored,
            held_on=data.held_on,
            blo=data.blo,
            kind=data.kind,
            participants=participants,
            interviewer=data.interviewer.strip()[:200],
            language=data.language.strip()[:20],
            source=data.source.strip()[:300],
            created_by=actor,
        )
        _audit(
            actor,
            AuditAction.CREATE,
            session,
            _("Recorded a Q&A session of round %(round)s at BLO %(blo)s")
            % {"round": stored.pk, "blo": data.blo.code},
            {"round": stored.pk, "blo": data.blo.pk, "held_on": data.held_on.isoformat()},
            request,
        )
    return session


def do_record_note(
    session: QASession,
    question: GuideQuestion,
    *,
    text: str,
    translation: str = "",
    translation_language: str = "",
    first: bool = False,
    actor: User | None,
    request: HttpRequest | None = None,
) -> SessionNote:
    """Write (or rewrite) the notes of one guide question in a session, with their translation.

    Rewriting a note whose passages are coded is refused: the codes would point elsewhere.
    ``first``: the notes were written as the question's first (on a form without notes, e.g.
    offline on a tablet); if someone wrote notes meanwhile they are refused, code
    ``notes_exist``, rather than written over."""
    text = text.strip()
    translation = translation.strip()
    with transaction.atomic():
        stored = QASession.objects.select_for_update().get(pk=session.pk)
        _locked_round(stored.round, actor)
        if question.round_id != stored.round_id:
            raise ValidationError(
                {"question": [_("This question is not in the round's interview guide.")]}
            )
        if not text:
            raise ValidationError({"text": [_("Write what was answered.")]})
        if translation and not translation_language.strip():
            raise ValidationError(
                {"translation_language": [_("Give the language of the translation.")]}
            )
        note = SessionNote.objects.filter(session=stored, question=question).first()
        created = note is None
        if first and note is not None:
            raise ValidationError(
                _(
                    "Notes were written for this question meanwhile; yours were not saved. "
                    "Compare them with the notes above, then save yours again."
                ),
                code="notes_exist",
            )
        if note is not None and note.text != text and note.passages.exists():
            raise ValidationError(
                {"text": [_("Passages of these notes are coded; the notes cannot be rewritten.")]}
            )
        if note is None:
            note = SessionNote(session=stored, question=question)
        note.language = stored.language
        note.text = text
        note.translation = translation
        note.translation_language = translation_language.strip()[:20] if translation else ""
        note.save()
        _audit(
            actor,
            AuditAction.CREATE if created else AuditAction.CHANGE,
            note,
            _("Wrote the notes of question %(position)s in Q&A session %(session)s")
            % {"position": question.position, "session": stored.pk},
            {"session": stored.pk, "question": question.pk},
            request,
        )
    return note


def do_add_code(
    survey_round: SurveyRound,
    name: str,
    *,
    description: str = "",
    actor: User | None,
    request: HttpRequest | None = None,
) -> Code:
    """Add a code to the round's codebook."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": [_("Give the code a name.")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("A code's name has at most 100 characters.")]})
    with transaction.atomic():
        stored = _locked_round(survey_round, actor)
        if stored.codes.filter(name=name).exists():
            raise ValidationError(
                {"name": [_("The codebook already has the code “%(name)s”.") % {"name": name}]}
            )
        code = Code.objects.create(round=stored, name=name, description=description.strip()[:300])
        _audit(
            actor,
            AuditAction.CREATE,
            code,
            _("Added a code to the codebook of round %(round)s") % {"round": stored.pk},
            {"round": stored.pk, "code": code.pk},
            request,
        )
    return code


def _span(text: str, start: int | None, end: int | None, quote: str) -> tuple[int, int]:
    """The passage's characters: the span given, or where the quoted excerpt stands."""
    if quote.strip():
        where = text.find(quote.strip())
        if where < 0:
            raise ValidationError(
                {"quote": [_("The quoted excerpt is not in the text being coded.")]}
            )
        return where, where + len(quote.strip())
    if start is None or end is None:
        raise ValidationError({"quote": [_("Quote the passage or give its characters.")]})
    if not 0 <= start < end <= len(text):
        raise ValidationError(
            {
                "start": [
                    _("A passage runs from character %(low)s to at most %(high)s.")
                    % {"low": 0, "high": len(text)}
                ]
            }
        )
    return start, end


def do_code_passage(
    code: Code,
    *,
    note: SessionNote | None = None,
    submission: Submission | None = None,
    question_name: str = "",
    start: int | None = None,
    end: int | None = None,
    quote: str = "",
    actor: User | None,
    request: HttpRequest | None = None,
) -> CodedPassage:
    """Apply a code to a passage — characters ``start``–``end``, or the excerpt ``quote`` — of a
    session note, or of the open answer to ``question_name`` in a submission."""
    if (note is None) == (submission is None):
        raise ValidationError(_("Code a passage of a session note or of an open answer."))
    with transaction.atomic():
        stored = _locked_round(code.round, actor)
        if note is not None:
            note = SessionNote.objects.select_related("session").get(pk=note.pk)
            if note.session.round_id != stored.pk:
                raise ValidationError(_("These notes belong to another round."))
            text = note.text
            question_name = ""
        elif submission is not None:
            submission = Submission.objects.get(pk=submission.pk)
            if submission.round_id != stored.pk:
                raise ValidationError(_("This submission belongs to another round."))
            form = stored.form()
            if not form.has_question(question_name) or form.question(question_name).type != TEXT:
                raise ValidationError(
                    {
                        "question_name": [
                            _("%(name)s is not an open question of the questionnaire.")
                            % {"name": question_name}
                        ]
                    }
                )
            text = str((submission.answers or {}).get(question_name) or "")
        begin, finish = _span(text, start, end, quote)
        passage = CodedPassage.objects.create(
            code=code,
            note=note,
            submission=submission,
            question_name=question_name,
            start=begin,
            end=finish,
            quote=text[begin:finish],
            coded_by=actor,
        )
        _audit(
            actor,
            AuditAction.CREATE,
            passage,
            _("Coded a passage with code %(code)s in round %(round)s")
            % {"code": code.pk, "round": stored.pk},
            {
                "code": code.pk,
                "note": note.pk if note is not None else None,
                "submission": submission.pk if submission is not None else None,
                "question": question_name,
                "start": begin,
                "end": finish,
            },
            request,
        )
    return passage


def do_request_round_report(
    survey_round: SurveyRound,
    language: str,
    *,
    actor: User,
    report_format: ReportFormat = ReportFormat.PDF,
) -> ReportDrawing:
    """Have the background worker draw the round's report, PDF or HTML (see
    :mod:`liaison.surveys.tasks`).

    A drawing of the same data in the same language and format that is done or still under way
    is returned instead of drawing it again; a failed one is drawn anew.
    """
    from liaison.surveys.selectors import round_fingerprint

    if not permissions.can(actor, Action.EXPORT, survey_round):
        raise PermissionDenied(_("You may not read the results of this survey round."))
    return _request_drawing(
        survey_round, None, language, round_fingerprint(survey_round), actor, report_format
    )


def do_request_comparison_report(
    baseline: SurveyRound, followup: SurveyRound, language: str, *, actor: User
) -> ReportDrawing:
    """Have the background worker draw the PDF comparison of two rounds, as
    :func:`do_request_round_report` does for one; the person must read both rounds' results."""
    from liaison.surveys.selectors import round_fingerprint

    for survey_round in (baseline, followup):
        if not permissions.can(actor, Action.EXPORT, survey_round):
            raise PermissionDenied(_("You may not read the results of this survey round."))
    both = f"{round_fingerprint(baseline)}|{round_fingerprint(followup)}"
    fingerprint = hashlib.sha256(both.encode()).hexdigest()[:40]
    return _request_drawing(baseline, followup, language, fingerprint, actor)


def _request_drawing(
    survey_round: SurveyRound,
    compared_with: SurveyRound | None,
    language: str,
    fingerprint: str,
    actor: User,
    report_format: ReportFormat = ReportFormat.PDF,
) -> ReportDrawing:
    from liaison.surveys.tasks import draw_round_report

    same = ReportDrawing.objects.filter(
        survey_round=survey_round,
        compared_with=compared_with,
        language=language,
        format=report_format,
        fingerprint=fingerprint,
    ).exclude(status=DrawingStatus.FAILED)
    found = same.filter(status=DrawingStatus.DONE).first() or same.order_by("-pk").first()
    if found is not None:
        return found
    drawing = ReportDrawing.objects.create(
        survey_round=survey_round,
        compared_with=compared_with,
        requested_by=actor,
        language=language,
        format=report_format,
        fingerprint=fingerprint,
    )
    result = draw_round_report.enqueue(drawing.pk)
    ReportDrawing.objects.filter(pk=drawing.pk, task_id="").update(task_id=str(result.id))
    drawing.refresh_from_db()
    return drawing
