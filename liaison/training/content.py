"""Reading and checking training content packages (format: ``content/README.md``).

A package is a folder: ``module.json`` (the catalogue entry and the list of pages), one HTML
fragment per page and language under ``pages/``, images under ``images/`` and an optional
``quiz.json``. A content folder holds packages side by side and, optionally,
``qualifications.json``. Everything here is pure: it reads files and returns plain dataclasses,
or raises :class:`ContentError` listing every problem with its file (and line) — the database is
written by ``services.do_import_content`` only once a whole folder reads cleanly.

Pages are trusted-author HTML, yet never trusted: the import checks them against the allow-list
below to tell the author what is wrong (with the line), and then stores them as sanitised by
nh3 (ammonia, an HTML5 parser: it reads comments, entities and broken markup as a browser does),
and the page is sanitised again when it is shown. Content imported by a trainer can never run
code in an officer's browser. SVG images are checked the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

import nh3
from lxml import etree  # type: ignore[import-untyped]

from liaison.reference.language import ENTRY_LANGUAGES
from liaison.reference.models import CrimeArea
from liaison.training.models import (
    DeliveryFormat,
    GridTopic,
    QuestionKind,
    Skill,
    TranslationReview,
)

MODULE_FORMAT = "liaison-training-module/1"
QUALIFICATIONS_FORMAT = "liaison-training-qualifications/1"
MODULE_FILE = "module.json"
QUIZ_FILE = "quiz.json"
QUALIFICATIONS_FILE = "qualifications.json"
MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PAGE_FILE_PATTERN = re.compile(r"^(?P<stem>.+)\.(?P<lang>[A-Za-z]{2,3}(-[A-Za-z]+)?)\.html$")
REFERENCE_PATTERN = re.compile(r"^([a-z]+):([A-Za-z0-9][A-Za-z0-9.\-]*)$")

# HTML a lesson page may use: text structure, lists, tables, figures, links and images.
ALLOWED_TAGS: dict[str, set[str]] = {
    **{
        tag: set()
        for tag in [
            "p",
            "h2",
            "h3",
            "h4",
            "ul",
            "ol",
            "li",
            "strong",
            "em",
            "b",
            "i",
            "blockquote",
            "br",
            "hr",
            "span",
            "div",
            "section",
            "aside",
            "dl",
            "dt",
            "dd",
            "sup",
            "sub",
            "small",
            "code",
            "figcaption",
            "thead",
            "tbody",
            "tfoot",
            "tr",
            "caption",
            "mark",
        ]
    },
    "a": {"href", "data-ref"},
    "img": {"src", "alt", "width", "height"},
    "figure": set(),
    "table": set(),
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "abbr": {"title"},
}
COMMON_ATTRIBUTES = {"class", "lang", "id", "title"}
VOID_TAGS = {"br", "hr", "img"}
# The classes the lesson style sheet draws (training.css); others are dropped when sanitising.
LESSON_CLASSES = {"lead", "note", "warning", "keyfacts", "source"}
# A lesson's ids live under this prefix so they cannot clobber the page's own ids.
LESSON_ID_PREFIX = "lesson-"

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
FORBIDDEN_SVG_TAGS = {"script", "foreignObject", "iframe", "embed", "object", "audio", "video"}


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class ContentError(Exception):
    """A content folder that cannot be imported; ``problems`` names every file at fault."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


Texts = dict[str, str]


@dataclass
class PageContent:
    slug: str
    title: Texts
    body: Texts


@dataclass
class ChoiceContent:
    code: str
    text: Texts
    correct: bool


@dataclass
class QuestionContent:
    code: str
    kind: QuestionKind
    text: Texts
    choices: list[ChoiceContent]
    explanation: Texts


@dataclass
class ImageContent:
    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ModuleContent:
    code: str
    version: str
    title: Texts
    summary: Texts
    objectives: dict[str, list[str]]
    crime_areas: list[str]
    skill: str
    formats: list[str]
    languages: list[str]
    # language → why its text awaits a native speaker's review (TranslationReview)
    review: dict[str, str]
    duration_minutes: int
    pass_mark: int
    questions_per_attempt: int | None
    validity_months: int | None
    grid_topics: list[str]
    lessons_required_before_quiz: bool
    references: list[tuple[str, str]]
    sources: list[Texts]
    position: int
    pages: list[PageContent] = field(default_factory=list)
    images: list[ImageContent] = field(default_factory=list)
    questions: list[QuestionContent] = field(default_factory=list)
    fingerprint: str = ""


@dataclass
class RequirementContent:
    module: str
    min_score: int


@dataclass
class QualificationContent:
    code: str
    title: Texts
    description: Texts
    validity_months: int
    renewal_window_days: int
    position: int
    requirements: list[RequirementContent]


@dataclass
class ContentFolder:
    modules: list[ModuleContent]
    qualifications: list[QualificationContent]


ReferenceCheck = Callable[[str, str], bool]


# --- reading --------------------------------------------------------------------------------------


def package_dirs(root: Path) -> list[Path]:
    """The packages of a content folder; ``root`` may also be a single package."""
    if (root / MODULE_FILE).is_file():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / MODULE_FILE).is_file())


def read_folder(root: Path, *, reference_exists: ReferenceCheck) -> ContentFolder:
    """Read and check every package of ``root`` and its ``qualifications.json``."""
    if not root.is_dir():
        raise ContentError([Problem(str(root), "is not a folder")])
    problems: list[Problem] = []
    modules: list[ModuleContent] = []
    for package in package_dirs(root):
        reader = _PackageReader(package, reference_exists)
        module = reader.read()
        problems.extend(reader.problems)
        if module is not None:
            modules.append(module)
    codes = [m.code for m in modules]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(Problem(str(root), f"two packages have the code {code!r}"))
    qualifications: list[QualificationContent] = []
    if (root / QUALIFICATIONS_FILE).is_file():
        qualifications = _read_qualifications(root / QUALIFICATIONS_FILE, problems)
    if not modules and not qualifications:
        problems.append(
            Problem(str(root), f"holds no package (a folder with {MODULE_FILE}) to import")
        )
    if problems:
        raise ContentError(problems)
    return ContentFolder(modules=modules, qualifications=qualifications)


def _load_json(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problems.append(Problem(path.name, "is not UTF-8 text"))
        return None
    except json.JSONDecodeError as exc:
        problems.append(Problem(path.name, f"is not valid JSON: {exc.msg}", exc.lineno))
        return None
    if not isinstance(document, dict):
        problems.append(Problem(path.name, "must hold a JSON object"))
        return None
    return document


class _Fields:
    """Typed reading of one JSON object, recording a problem for every bad value."""

    def __init__(self, file: str, raw: dict[str, Any], problems: list[Problem], where: str = ""):
        self.file = file
        self.raw = raw
        self.problems = problems
        self.where = where

    def fail(self, name: str, message: str) -> None:
        prefix = f"{self.where}, " if self.where else ""
        self.problems.append(Problem(self.file, f"{prefix}{name!r}: {message}"))

    def unknown(self, allowed: set[str]) -> None:
        for key in sorted(set(self.raw) - allowed):
            self.fail(key, "is not a field of this file")

    def string(
        self, name: str, *, required: bool = True, pattern: re.Pattern[str] | None = None
    ) -> str:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                self.fail(name, "is required")
            return ""
        if not isinstance(value, str):
            self.fail(name, "must be a text")
            return ""
        if pattern is not None and not pattern.match(value):
            self.fail(name, f"{value!r} is not allowed here (small letters, digits, hyphens)")
        return value.strip()

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self.raw.get(name, default)
        if not isinstance(value, bool):
            self.fail(name, "must be true or false")
            return default
        return value

    def integer(
        self,
        name: str,
        *,
        default: int | None,
        low: int = 0,
        high: int = 100000,
        required: bool = False,
    ) -> int | None:
        value = self.raw.get(name, default)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "must be a whole number")
            return default
        if not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}")
            return default
        return value

    def texts(self, name: str, languages: list[str], *, required: bool = True) -> Texts:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return {}
        return self.texts_value(name, value, languages)

    def texts_value(self, name: str, value: Any, languages: list[str]) -> Texts:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            self.fail(name, 'must be {"language": "text", …}')
            return {}
        missing = [lang for lang in languages if not str(value.get(lang, "")).strip()]
        if missing:
            self.fail(name, f"has no text in {', '.join(missing)}")
        return {k: v.strip() for k, v in value.items() if v.strip()}

    def choices(self, name: str, allowed: Iterable[str], *, required: bool = True) -> list[str]:
        value = self.raw.get(name)
        allowed_set = set(allowed)
        if value is None or value == []:
            if required:
                self.fail(name, "is required")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(name, "must be a list of texts")
            return []
        for item in value:
            if item not in allowed_set:
                self.fail(name, f"{item!r} is not one of: {', '.join(sorted(allowed_set))}")
        return [v for v in dict.fromkeys(value) if v in allowed_set]


class _PackageReader:
    def __init__(self, package: Path, reference_exists: ReferenceCheck) -> None:
        self.package = package
        self.reference_exists = reference_exists
        self.problems: list[Problem] = []
        self.digest = hashlib.sha256()

    def file(self, relative: str) -> str:
        return f"{self.package.name}/{relative}"

    def read(self) -> ModuleContent | None:
        path = self.package / MODULE_FILE
        raw = _load_json(path, self.problems)
        self.digest.update(path.read_bytes())
        if raw is None:
            return None
        f = _Fields(self.file(MODULE_FILE), raw, self.problems)
        f.unknown(
            {
                "format", "code", "version", "title", "summary", "objectives", "crime_areas",
                "skill", "formats", "languages", "duration_minutes", "pass_mark",
                "questions_per_attempt", "validity_months", "grid_topics", "references",
                "sources", "position", "pages", "lessons_required_before_quiz", "review",
            }
        )  # fmt: skip
        if raw.get("format") != MODULE_FORMAT:
            f.fail("format", f"must be {MODULE_FORMAT!r}")
        languages = f.choices("languages", ENTRY_LANGUAGES)
        code = f.string("code", pattern=CODE_PATTERN)
        skill = f.string("skill")
        if skill and skill not in Skill.values:
            f.fail("skill", f"{skill!r} is not one of: {', '.join(Skill.values)}")
        module = ModuleContent(
            code=code,
            version=f.string("version", required=False),
            title=f.texts("title", languages),
            summary=f.texts("summary", languages),
            objectives=self._objectives(f, raw.get("objectives"), languages),
            crime_areas=f.choices("crime_areas", CrimeArea.values),
            skill=skill,
            formats=f.choices("formats", DeliveryFormat.values),
            languages=languages,
            review=self._review(f, raw.get("review"), languages),
            duration_minutes=f.integer(
                "duration_minutes", default=None, low=1, high=10000, required=True
            )
            or 0,
            pass_mark=f.integer("pass_mark", default=80, low=1, high=100) or 80,
            questions_per_attempt=f.integer("questions_per_attempt", default=None, low=1, high=500),
            validity_months=f.integer("validity_months", default=36, low=1, high=240),
            grid_topics=f.choices("grid_topics", GridTopic.values, required=False),
            lessons_required_before_quiz=f.boolean("lessons_required_before_quiz", default=False),
            references=self._references(f, raw.get("references")),
            sources=self._sources(f, raw.get("sources")),
            position=f.integer("position", default=100, low=0, high=100000) or 0,
        )
        self._read_images(module)
        module.pages = self._pages(f, raw.get("pages"), module)
        quiz_path = self.package / QUIZ_FILE
        if quiz_path.is_file():
            self.digest.update(quiz_path.read_bytes())
            module.questions = self._quiz(quiz_path, languages)
            count = len(module.questions)
            if module.questions_per_attempt is not None and module.questions_per_attempt > count:
                f.fail("questions_per_attempt", f"is more than the {count} questions of quiz.json")
        if DeliveryFormat.ELEARNING in module.formats and not module.pages:
            f.fail("pages", "an eLearning module needs at least one page")
        module.fingerprint = self.digest.hexdigest()
        return module

    def _objectives(self, f: _Fields, value: Any, languages: list[str]) -> dict[str, list[str]]:
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(v, list) and all(isinstance(i, str) for i in v) for v in value.values()
        ):
            f.fail("objectives", 'must be {"language": ["objective", …]}')
            return {}
        for lang in languages:
            if not value.get(lang):
                f.fail("objectives", f"has no objectives in {lang}")
        return {str(k): [str(i) for i in v] for k, v in value.items()}

    def _review(self, f: _Fields, value: Any, languages: list[str]) -> dict[str, str]:
        """``{"km": "machine-assisted", …}``: the languages whose text a native speaker has yet
        to review; officers reading one of them are told so."""
        if value is None:
            return {}
        states = TranslationReview.values
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            f.fail("review", f'must be {{"language": "{states[0]}", …}}')
            return {}
        review: dict[str, str] = {}
        for lang, state in value.items():
            if lang not in languages:
                f.fail(
                    "review",
                    f"{lang!r} is not one of the module's languages ({', '.join(languages)})",
                )
            elif state not in states:
                f.fail("review", f"{lang}: {state!r} is not one of: {', '.join(states)}")
            else:
                review[lang] = state
        return review

    def _references(self, f: _Fields, value: Any) -> list[tuple[str, str]]:
        if value is None:
            return []
        if not isinstance(value, list):
            f.fail("references", 'must be a list of "kind:code" texts')
            return []
        found: list[tuple[str, str]] = []
        for item in value:
            match = REFERENCE_PATTERN.match(item) if isinstance(item, str) else None
            if match is None:
                f.fail("references", f'{item!r} is not "kind:code", e.g. "precursors:ephedrine"')
                continue
            kind, code = match.groups()
            if not self.reference_exists(kind, code):
                f.fail("references", f"{item!r} is not an entry of the reference library")
                continue
            if (kind, code) not in found:
                found.append((kind, code))
        return found

    def _sources(self, f: _Fields, value: Any) -> list[Texts]:
        if not isinstance(value, list) or not value:
            f.fail(
                "sources",
                "is required: cite the convention, annex and date the content is written from",
            )
            return []
        sources = []
        for index, item in enumerate(value):
            texts = f.texts_value(f"sources[{index}]", item, ["en"])
            if texts:
                sources.append(texts)
        return sources

    def _read_images(self, module: ModuleContent) -> None:
        folder = self.package / "images"
        if not folder.is_dir():
            return
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                continue
            name = f"images/{path.name}"
            content_type = IMAGE_TYPES.get(path.suffix.lower())
            if content_type is None or not path.is_file():
                self.problems.append(
                    Problem(
                        self.file(name), "is not an image of a kind lessons may use (svg, png, jpg)"
                    )
                )
                continue
            data = path.read_bytes()
            self.digest.update(path.name.encode())
            self.digest.update(data)
            if len(data) > MAX_IMAGE_BYTES:
                self.problems.append(Problem(self.file(name), "is larger than 2 MB"))
                continue
            if content_type == "image/svg+xml":
                self.problems.extend(check_svg(self.file(name), data))
            module.images.append(ImageContent(path.name, content_type, data))

    def _pages(self, f: _Fields, value: Any, module: ModuleContent) -> list[PageContent]:
        if value is None:
            return []
        if not isinstance(value, list):
            f.fail("pages", "must be a list of pages")
            return []
        images = {image.name for image in module.images}
        pages: list[PageContent] = []
        slugs: set[str] = set()
        stems: set[str] = set()
        for index, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                f.fail("pages", f"page {index} must be an object")
                continue
            page = _Fields(f.file, item, self.problems, where=f"page {index}")
            page.unknown({"slug", "title", "file"})
            slug = page.string("slug", pattern=SLUG_PATTERN)
            if slug in slugs:
                page.fail("slug", "appears twice")
            slugs.add(slug)
            stem = page.string("file", required=False) or slug
            bodies: Texts = {}
            for lang in module.languages:
                relative = f"pages/{stem}.{lang}.html"
                path = self.package / relative
                if not path.is_file():
                    self.problems.append(Problem(self.file(relative), "is missing"))
                    continue
                raw_bytes = path.read_bytes()
                self.digest.update(relative.encode())
                self.digest.update(raw_bytes)
                try:
                    html = raw_bytes.decode("utf-8")
                except UnicodeDecodeError:
                    self.problems.append(Problem(self.file(relative), "is not UTF-8 text"))
                    continue
                checker = LessonHTMLChecker(self.file(relative), images, self.reference_exists)
                checker.check(html)
                self.problems.extend(checker.problems)
                if not checker.problems and (change := sanitising_changes(html)) is not None:
                    self.problems.append(
                        Problem(
                            self.file(relative),
                            "a browser reads this page differently from how it looks (check "
                            f"comments and unclosed tags); once sanitised it reads: {change}",
                        )
                    )
                bodies[lang] = sanitise_lesson_html(html.strip())
            pages.append(
                PageContent(slug=slug, title=page.texts("title", module.languages), body=bodies)
            )
            stems.add(stem)
        self._check_page_files(stems, module.languages)
        return pages

    def _check_page_files(self, stems: set[str], languages: list[str]) -> None:
        """Every file of ``pages/`` is a listed page in a listed language: a translation the
        module does not declare would otherwise be left out of the import without a word."""
        folder = self.package / "pages"
        if not folder.is_dir():
            return
        listed = ", ".join(languages)
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                continue
            relative = self.file(f"pages/{path.name}")
            match = PAGE_FILE_PATTERN.match(path.name)
            if match is None or not path.is_file():
                self.problems.append(
                    Problem(relative, "is not a page file (<file>.<language>.html)")
                )
            elif match["stem"] not in stems:
                self.problems.append(Problem(relative, "is not a page listed in module.json"))
            elif match["lang"] not in languages:
                self.problems.append(
                    Problem(
                        relative,
                        f'is written in {match["lang"]!r}, which module.json\'s "languages" '
                        f"does not list ({listed}): add it there, or remove the file",
                    )
                )

    def _quiz(self, path: Path, languages: list[str]) -> list[QuestionContent]:
        raw = _load_json(path, self.problems)
        if raw is None:
            return []
        file = self.file(QUIZ_FILE)
        top = _Fields(file, raw, self.problems)
        top.unknown({"questions"})
        items = raw.get("questions")
        if not isinstance(items, list) or not items:
            top.fail("questions", "must be a non-empty list")
            return []
        questions: list[QuestionContent] = []
        codes: set[str] = set()
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                top.fail("questions", f"question {index} must be an object")
                continue
            q = _Fields(file, item, self.problems, where=f"question {index}")
            q.unknown({"code", "type", "text", "choices", "explanation"})
            code = q.string("code", pattern=CODE_PATTERN)
            if code in codes:
                q.fail("code", "appears twice")
            codes.add(code)
            kind_value = q.string("type")
            if kind_value and kind_value not in QuestionKind.values:
                q.fail("type", f"must be one of: {', '.join(QuestionKind.values)}")
                kind_value = QuestionKind.SINGLE
            kind = QuestionKind(kind_value or QuestionKind.SINGLE)
            choices = self._choices(q, item.get("choices"), languages)
            correct = sum(1 for c in choices if c.correct)
            if choices and correct == 0:
                q.fail("choices", "no option is marked correct")
            if kind == QuestionKind.SINGLE and correct > 1:
                q.fail("choices", 'a "single" question has exactly one correct option')
            questions.append(
                QuestionContent(
                    code=code,
                    kind=kind,
                    text=q.texts("text", languages),
                    choices=choices,
                    explanation=q.texts("explanation", languages),
                )
            )
        return questions

    def _choices(self, q: _Fields, value: Any, languages: list[str]) -> list[ChoiceContent]:
        if not isinstance(value, list) or len(value) < 2:
            q.fail("choices", "must list at least two options")
            return []
        choices: list[ChoiceContent] = []
        codes: set[str] = set()
        for index, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                q.fail("choices", f"option {index} must be an object")
                continue
            c = _Fields(q.file, item, self.problems, where=f"{q.where}, option {index}")
            c.unknown({"code", "text", "correct"})
            code = c.string("code", pattern=CODE_PATTERN)
            if code in codes:
                c.fail("code", "appears twice")
            codes.add(code)
            correct = item.get("correct", False)
            if not isinstance(correct, bool):
                c.fail("correct", "must be true or false")
                correct = False
            choices.append(
                ChoiceContent(code=code, text=c.texts("text", languages), correct=correct)
            )
        return choices


def _read_qualifications(path: Path, problems: list[Problem]) -> list[QualificationContent]:
    raw = _load_json(path, problems)
    if raw is None:
        return []
    top = _Fields(path.name, raw, problems)
    top.unknown({"format", "qualifications"})
    if raw.get("format") != QUALIFICATIONS_FORMAT:
        top.fail("format", f"must be {QUALIFICATIONS_FORMAT!r}")
    items = raw.get("qualifications")
    if not isinstance(items, list):
        top.fail("qualifications", "must be a list")
        return []
    found: list[QualificationContent] = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            top.fail("qualifications", f"entry {index} must be an object")
            continue
        q = _Fields(path.name, item, problems, where=f"qualification {index}")
        q.unknown(
            {
                "code",
                "title",
                "description",
                "validity_months",
                "renewal_window_days",
                "position",
                "requirements",
            }
        )
        requirements: list[RequirementContent] = []
        raw_requirements = item.get("requirements")
        if not isinstance(raw_requirements, list) or not raw_requirements:
            q.fail("requirements", "must list at least one required module")
            raw_requirements = []
        for r_index, r_item in enumerate(raw_requirements, start=1):
            if not isinstance(r_item, dict):
                q.fail("requirements", f"requirement {r_index} must be an object")
                continue
            r = _Fields(path.name, r_item, problems, where=f"{q.where}, requirement {r_index}")
            r.unknown({"module", "min_score"})
            requirements.append(
                RequirementContent(
                    module=r.string("module", pattern=CODE_PATTERN),
                    min_score=r.integer("min_score", default=80, low=0, high=100) or 0,
                )
            )
        found.append(
            QualificationContent(
                code=q.string("code", pattern=CODE_PATTERN),
                title=q.texts("title", ["en", "vi"]),
                description=q.texts("description", ["en", "vi"], required=False),
                validity_months=q.integer("validity_months", default=36, low=1, high=240) or 36,
                renewal_window_days=q.integer("renewal_window_days", default=90, low=0, high=3650)
                or 0,
                position=q.integer("position", default=100) or 0,
                requirements=requirements,
            )
        )
    return found


# --- checking HTML and SVG ------------------------------------------------------------------------


class LessonHTMLChecker(HTMLParser):
    """Checks a lesson page against the allow-list; records every violation with its line."""

    def __init__(self, file: str, images: set[str], reference_exists: ReferenceCheck) -> None:
        super().__init__(convert_charrefs=True)
        self.file = file
        self.images = images
        self.reference_exists = reference_exists
        self.problems: list[Problem] = []
        self.open: list[str] = []

    def check(self, html: str) -> None:
        self.feed(html)
        self.close()
        for tag in self.open:
            self.fail(f"<{tag}> is never closed")

    def fail(self, message: str) -> None:
        self.problems.append(Problem(self.file, message, self.getpos()[0]))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_tag(tag, attrs)
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_tag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                if top == tag:
                    break
                self.fail(f"<{top}> is not closed before </{tag}>")
        else:
            self.fail(f"</{tag}> closes nothing")

    def handle_comment(self, data: str) -> None:
        pass

    def handle_decl(self, decl: str) -> None:
        self.fail("a page is an HTML fragment: no <!DOCTYPE>")

    def handle_pi(self, data: str) -> None:
        self.fail("processing instructions are not allowed")

    def _check_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = ALLOWED_TAGS.get(tag)
        if allowed is None:
            self.fail(f"<{tag}> is not allowed in a lesson page")
            return
        values = {name: value or "" for name, value in attrs}
        for name in values:
            if name not in allowed and name not in COMMON_ATTRIBUTES:
                self.fail(f'the attribute "{name}" is not allowed on <{tag}>')
        for name in sorted(set(values.get("class", "").split()) - LESSON_CLASSES):
            self.fail(
                f'the class "{name}" is not one lessons use ({", ".join(sorted(LESSON_CLASSES))})'
            )
        if tag == "img":
            src = values.get("src", "")
            image = src.removeprefix("images/")
            if not src.startswith("images/") or image not in self.images:
                self.fail(f'<img src="{src}"> must name a file of this package\'s images/ folder')
            if not values.get("alt", "").strip():
                self.fail("<img> needs an alt text")
        if tag == "a":
            self._check_link(values)

    def _check_link(self, values: dict[str, str]) -> None:
        reference = values.get("data-ref")
        href = values.get("href")
        if reference is not None:
            match = REFERENCE_PATTERN.match(reference)
            if match is None or not self.reference_exists(*match.groups()):
                self.fail(f'data-ref="{reference}" is not an entry of the reference library')
            if href:
                self.fail("a link has either href or data-ref, not both")
            return
        if href is None:
            self.fail("<a> needs href or data-ref")
        elif not (href.startswith(("https://", "http://", "#"))):
            self.fail(f'href="{href}": only web addresses (https://…) and #anchors are allowed')


def check_svg(file: str, data: bytes) -> list[Problem]:
    """An SVG may draw, not act: no scripts, event handlers, embedded HTML or outside links."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        return [Problem(file, f"is not valid SVG/XML: {exc.msg}", exc.lineno)]
    problems: list[Problem] = []
    if root.tag != f"{{{SVG_NS}}}svg":
        problems.append(Problem(file, "the root element must be <svg> in the SVG namespace"))
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        local = etree.QName(element).localname
        if local in FORBIDDEN_SVG_TAGS:
            problems.append(
                Problem(file, f"<{local}> is not allowed in an image", element.sourceline)
            )
        for name, value in element.attrib.items():
            attribute = etree.QName(name).localname
            if attribute.lower().startswith("on"):
                problems.append(
                    Problem(
                        file, f'the event handler "{attribute}" is not allowed', element.sourceline
                    )
                )
            if (name in {"href", XLINK_HREF}) and not str(value).startswith("#"):
                problems.append(
                    Problem(file, f'the link "{value}" leaves the image', element.sourceline)
                )
    return problems


# --- sanitising -----------------------------------------------------------------------------------


def _lesson_attribute(tag: str, attribute: str, value: str) -> str | None:
    """The URL rules nh3's scheme list cannot say: images come from the package's own folder,
    links go to a web address or to an anchor of the same page."""
    if tag == "img" and attribute == "src":
        name = value.removeprefix("images/")
        if value.startswith("images/") and name and safe_member(name) is not None:
            return value
        return None
    if tag == "a" and attribute == "href":
        if value.startswith("#"):
            return f"#{LESSON_ID_PREFIX}{value[1:].removeprefix(LESSON_ID_PREFIX)}"
        return value if value.lower().startswith(("https://", "http://")) else None
    return value


_LESSON_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={
        "script",
        "style",
        "template",
        "noscript",
        "iframe",
        "object",
        "svg",
        "math",
    },
    attributes={
        "*": COMMON_ATTRIBUTES - {"class"},
        **{tag: names for tag, names in ALLOWED_TAGS.items() if names},
    },
    allowed_classes=dict.fromkeys(ALLOWED_TAGS, LESSON_CLASSES),
    attribute_filter=_lesson_attribute,
    url_schemes={"https", "http"},
    strip_comments=True,
    link_rel="noopener noreferrer",
    id_prefix=LESSON_ID_PREFIX,
)


def sanitise_lesson_html(html: str) -> str:
    """A lesson page as the allow-list permits it: only the tags, attributes, classes and URLs
    above survive, parsed the way a browser parses them. Used at import and at every display."""
    return _LESSON_CLEANER.clean(html)


class _Outline(HTMLParser):
    """The elements, attribute names and words of a fragment, to compare two readings of it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = sorted({name for name, _ in attrs} - {"rel"})
        self.items.append(f"<{tag}{''.join(' ' + n for n in names)}>")

    def handle_data(self, data: str) -> None:
        self.items.extend(data.split())


def _outline(html: str) -> list[str]:
    parser = _Outline()
    parser.feed(html)
    parser.close()
    return parser.items


def sanitising_changes(html: str) -> str | None:
    """Where the sanitised page first differs from what the author's file seems to say, or
    ``None``: a difference means markup a browser reads otherwise (a comment that does not end
    where it seems to, an unclosed tag swallowing text, an encoded URL …)."""
    before, after = _outline(html), _outline(sanitise_lesson_html(html))
    if before == after:
        return None
    for index, (old, new) in enumerate(zip(before, after, strict=False)):
        if old != new:
            return " ".join(after[max(index - 3, 0) : index + 4])
    longer = before if len(before) > len(after) else after
    return " ".join(longer[min(len(before), len(after)) :][:6])


def safe_member(name: str) -> PurePosixPath | None:
    """A zip member's path if it stays inside the extraction folder, else ``None``."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.startswith(("/", "\\")) or "\\" in name:
        return None
    return path


def extract_package(source: Any, name: str, into: Path) -> Path:
    """Unpack an uploaded content zip into ``into``; returns the folder to import.

    The archive is read under the limits of every upload (``liaison.tabular.LIMITS``): members
    are measured by the bytes they really inflate to, and a member whose header lies about its
    size or checksum is refused by name. No path may leave ``into``.
    """
    from liaison.tabular import TableError, open_zip, zip_members

    try:
        with open_zip(source, name) as archive:
            for member, content in zip_members(archive, name):
                relative = safe_member(member.filename)
                if relative is None:
                    raise ContentError([Problem(member.filename, "points outside the package")])
                target = into.joinpath(*relative.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
    except TableError as exc:
        raise ContentError([Problem(p.sheet, p.message) for p in exc.problems]) from None
    # A zip of one folder: import that folder.
    entries = [p for p in into.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return into
