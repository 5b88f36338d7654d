"""Importing training content (modules, lessons, quizzes, qualifications), and the reference
library's codes that content may refer to."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.reference.services import DATA_DIR as REFERENCE_DATA_DIR
from liaison.reference.vocabularies import vocabulary_for
from liaison.registry.models import User
from liaison.registry.permissions import Action, can
from liaison.training.content import (
    ContentError,
    ContentFolder,
    ModuleContent,
    Problem,
    QualificationContent,
    read_folder,
)
from liaison.training.models import (
    LessonAsset,
    LessonPage,
    ModuleArea,
    ModuleTopic,
    Qualification,
    QualificationRequirement,
    Question,
    ReferenceLink,
    TrainingModule,
)


@functools.cache
def _reference_file_codes(kind: str) -> frozenset[str]:
    vocabulary = vocabulary_for(kind)
    if vocabulary is None:
        return frozenset()
    path = REFERENCE_DATA_DIR / vocabulary.data_file
    if not path.is_file():
        return frozenset()
    document = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(str(e.get("code")) for e in document.get("entries", []))


def reference_exists(kind: str, code: str) -> bool:
    """Whether ``kind:code`` names an entry of the reference library (loaded or shipped)."""
    vocabulary = vocabulary_for(kind)
    if vocabulary is None:
        return False
    if code in _reference_file_codes(kind):
        return True
    return vocabulary.model._default_manager.filter(code=code).exists()


# --- importing content --------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    qualifications: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.created) + len(self.updated)


def _require_manager(actor: User | None) -> None:
    # ``None``: an operator at the server's shell (management command, demo loader).
    if actor is not None and not can(actor, Action.IMPORT, TrainingModule()):
        raise PermissionDenied(_("Only programme staff import training content."))


def _apply_module(module: TrainingModule, content: ModuleContent) -> None:
    module.version = content.version
    module.title = content.title
    module.summary = content.summary
    module.objectives = content.objectives
    module.skill = content.skill
    module.formats = content.formats
    module.languages = content.languages
    module.review = content.review
    module.duration_minutes = content.duration_minutes
    module.pass_mark = content.pass_mark
    module.questions_per_attempt = content.questions_per_attempt
    module.validity_months = content.validity_months
    module.lessons_required_before_quiz = content.lessons_required_before_quiz
    module.sources = content.sources
    module.position = content.position
    module.fingerprint = content.fingerprint
    module.imported_at = timezone.now()
    module.active = True
    module.full_clean()
    module.save()
    module.areas.all().delete()
    ModuleArea.objects.bulk_create(ModuleArea(module=module, area=a) for a in content.crime_areas)
    module.topics.all().delete()
    ModuleTopic.objects.bulk_create(
        ModuleTopic(module=module, topic=t) for t in content.grid_topics
    )
    module.reference_links.all().delete()
    ReferenceLink.objects.bulk_create(
        ReferenceLink(module=module, kind=kind, code=code, position=index)
        for index, (kind, code) in enumerate(content.references)
    )
    module.pages.all().delete()
    LessonPage.objects.bulk_create(
        LessonPage(module=module, position=index, slug=p.slug, title=p.title, body=p.body)
        for index, p in enumerate(content.pages, start=1)
    )
    module.assets.all().delete()
    LessonAsset.objects.bulk_create(
        LessonAsset(
            module=module, name=i.name, content_type=i.content_type, data=i.data, sha256=i.sha256
        )
        for i in content.images
    )
    # Questions are kept by code, never deleted: past attempts name them.
    existing = {q.code: q for q in module.questions.all()}
    for index, item in enumerate(content.questions, start=1):
        question = existing.pop(item.code, None) or Question(module=module, code=item.code)
        question.position = index
        question.kind = item.kind
        question.text_by_language = item.text
        question.choices = [
            {"code": c.code, "text": c.text, "correct": c.correct} for c in item.choices
        ]
        question.explanation = item.explanation
        question.active = True
        question.save()
    module.questions.filter(code__in=list(existing)).update(active=False)


def _apply_qualification(content: QualificationContent) -> Qualification | None:
    """Create or update a qualification; ``None`` when it is already exactly so."""
    modules = {
        m.code: m
        for m in TrainingModule.objects.filter(code__in=[r.module for r in content.requirements])
    }
    missing = [r.module for r in content.requirements if r.module not in modules]
    if missing:
        raise ContentError(
            [
                Problem(
                    "qualifications.json", f"{content.code!r}: no module with the code {code!r}"
                )
                for code in missing
            ]
        )
    qualification = Qualification.objects.filter(code=content.code).first()
    wanted = {
        "title": content.title,
        "description": content.description,
        "validity_months": content.validity_months,
        "renewal_window_days": content.renewal_window_days,
        "position": content.position,
        "active": True,
    }
    requirements = sorted((r.module, r.min_score) for r in content.requirements)
    if qualification is not None:
        current = sorted(qualification.requirements.values_list("module__code", "min_score"))
        if current == requirements and all(
            getattr(qualification, name) == value for name, value in wanted.items()
        ):
            return None
    qualification = qualification or Qualification(code=content.code)
    for name, value in wanted.items():
        setattr(qualification, name, value)
    qualification.full_clean()
    qualification.save()
    qualification.requirements.all().delete()
    QualificationRequirement.objects.bulk_create(
        QualificationRequirement(
            qualification=qualification, module=modules[r.module], min_score=r.min_score
        )
        for r in content.requirements
    )
    return qualification


@transaction.atomic
def do_import_content(
    folder: Path | ContentFolder, *, actor: User | None, request: HttpRequest | None = None
) -> ImportReport:
    """Import a content folder (or one package); all or nothing. Raises ``ContentError``."""
    _require_manager(actor)
    content = (
        folder
        if isinstance(folder, ContentFolder)
        else read_folder(folder, reference_exists=reference_exists)
    )
    report = ImportReport()
    for item in content.modules:
        module = TrainingModule.objects.filter(code=item.code).first()
        if module is not None and module.fingerprint == item.fingerprint and module.active:
            report.unchanged.append(item.code)
            continue
        creating = module is None
        module = module or TrainingModule(code=item.code)
        try:
            _apply_module(module, item)
        except ValidationError as exc:
            raise ContentError(
                [Problem(f"{item.code}/module.json", "; ".join(exc.messages))]
            ) from None
        (report.created if creating else report.updated).append(item.code)
        record(
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.CHANGE,
            obj=module,
            summary=f"Training module {item.code} {item.version}".strip(),
            changes={"version": item.version, "fingerprint": item.fingerprint},
            request=request,
            username="" if actor else "liaison training import",
        )
    for qualification_content in content.qualifications:
        qualification = _apply_qualification(qualification_content)
        if qualification is not None:
            report.qualifications.append(qualification.code)
    if report.changed or report.qualifications:
        record(
            actor=actor,
            action=AuditAction.IMPORT,
            object_type="training.TrainingModule",
            summary=(
                f"Training content imported: {len(report.created)} new, "
                f"{len(report.updated)} updated, {len(report.unchanged)} unchanged modules; "
                f"{len(report.qualifications)} qualifications"
            ),
            changes={"created": report.created, "updated": report.updated},
            request=request,
            username="" if actor else "liaison training import",
        )
    return report
