"""Loading the reference library from the data files shipped in ``liaison/reference/data``.

The load is one transaction: every file is parsed and every entry validated before anything is
kept, and the first bad value rolls the whole load back with the file, entry and field named.
Entries are upserted by their stable ``code``; an entry no longer in its file is kept (records
may point at it) but marked inactive. Loading the same files twice changes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.reference.language import ENTRY_LANGUAGES
from liaison.reference.models import ReferenceEntry, ReferenceLoad, Source
from liaison.reference.search import index_is_empty, reindex_library
from liaison.reference.vocabularies import VOCABULARIES, DataField, FieldType, Vocabulary

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCES_FILE = "sources.json"
REQUIRED_NAME_LANGUAGES = ("en", "vi")
# Keys every entry of every vocabulary may carry, besides its vocabulary's own fields.
COMMON_KEYS = {
    "code",
    "names",
    "synonyms",
    "description",
    "identification",
    "source",
    "source_detail",
}
SOURCE_KEYS = {"code", "title", "publisher", "edition", "as_of", "url"}


class ReferenceDataError(Exception):
    """A data file that cannot be loaded; names the file, the entry and the field at fault."""

    def __init__(self, file: str, message: str, *, entry: str = "", field: str = "") -> None:
        self.file = file
        self.entry = entry
        self.field = field
        self.message = message
        where = file
        if entry:
            where += f", entry {entry!r}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.retired

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class LoadReport:
    fingerprint: str
    counts: dict[str, KindCounts] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.counts.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {kind: asdict(counts) for kind, counts in self.counts.items()}


# --- reading the files --------------------------------------------------------------------------


def data_files(data_dir: Path) -> list[Path]:
    return [data_dir / SOURCES_FILE, *(data_dir / v.data_file for v in VOCABULARIES)]


def fingerprint(data_dir: Path = DATA_DIR) -> str:
    """A digest of every data file, to tell whether the database holds this version."""
    digest = hashlib.sha256()
    for path in data_files(data_dir):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ReferenceDataError(path.name, "the file is missing")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceDataError(path.name, f"not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ReferenceDataError(path.name, "the file must hold a JSON object")
    return document


def _entries(path: Path, key: str, *, vocabulary: str = "") -> list[dict[str, Any]]:
    document = _read_json(path)
    if vocabulary and document.get("vocabulary") != vocabulary:
        raise ReferenceDataError(
            path.name, f'expected "vocabulary": "{vocabulary}" (is the file in the right place?)'
        )
    entries = document.get(key)
    if not isinstance(entries, list) or not entries:
        raise ReferenceDataError(path.name, f"expected a non-empty list under {key!r}")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ReferenceDataError(path.name, "an entry must be a JSON object", entry=f"#{index}")
    return entries


# --- parsing one entry --------------------------------------------------------------------------


class _EntryParser:
    def __init__(self, file: str, entry: str) -> None:
        self.file = file
        self.entry = entry

    def fail(self, field_name: str, message: str) -> ReferenceDataError:
        return ReferenceDataError(self.file, message, entry=self.entry, field=field_name)

    def text(self, raw: dict[str, Any], name: str, *, required: bool) -> str:
        value = raw.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise self.fail(name, "must be text")
        value = value.strip()
        if required and not value:
            raise self.fail(name, "is required")
        return value

    def texts(
        self, raw: dict[str, Any], name: str, *, required_languages: tuple[str, ...]
    ) -> dict[str, str]:
        value = raw.get(name, {})
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self.fail(name, 'must map language codes to text, e.g. {"en": …, "vi": …}')
        cleaned: dict[str, str] = {}
        for lang, text in value.items():
            if lang not in ENTRY_LANGUAGES:
                raise self.fail(
                    name, f"unknown language {lang!r}; use one of {', '.join(ENTRY_LANGUAGES)}"
                )
            if not isinstance(text, str):
                raise self.fail(name, f"the {lang} text must be text")
            if text.strip():
                cleaned[lang] = text.strip()
        # A text given at all is given in English and Vietnamese: those two are kept complete.
        needed = required_languages or (("en", "vi") if cleaned else ())
        missing = [lang for lang in needed if lang not in cleaned]
        if missing:
            raise self.fail(name, f"missing the {' and '.join(missing)} text")
        return cleaned

    def strings(self, raw: dict[str, Any], name: str, *, required: bool) -> list[str]:
        value = raw.get(name, [])
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(name, "must be a list of text")
        cleaned = [v.strip() for v in value if v.strip()]
        if required and not cleaned:
            raise self.fail(name, "needs at least one value")
        return cleaned

    def choice(self, raw: dict[str, Any], spec: DataField) -> str:
        choices = spec.choice_class()
        value = self.text(raw, spec.name, required=spec.required)
        if value and value not in choices.values:
            allowed = ", ".join(str(v) for v in choices.values)
            raise self.fail(spec.name, f"{value!r} is not one of: {allowed}")
        return value

    def choices(self, raw: dict[str, Any], spec: DataField) -> list[str]:
        choices = spec.choice_class()
        values = self.strings(raw, spec.name, required=spec.required)
        for value in values:
            if value not in choices.values:
                allowed = ", ".join(str(v) for v in choices.values)
                raise self.fail(spec.name, f"{value!r} is not one of: {allowed}")
        return values

    def boolean(self, raw: dict[str, Any], spec: DataField) -> bool:
        if spec.name not in raw:
            if spec.required:
                raise self.fail(spec.name, "is required (true or false)")
            return False
        value = raw[spec.name]
        if not isinstance(value, bool):
            raise self.fail(spec.name, "must be true or false")
        return value

    def decimal(self, raw: dict[str, Any], spec: DataField) -> Decimal | None:
        value = raw.get(spec.name)
        if value is None:
            if spec.required:
                raise self.fail(spec.name, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(spec.name, "must be a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(spec.name, f"{value!r} is not a number") from None
        if not number.is_finite():
            raise self.fail(spec.name, f"{value!r} is not a number")
        return number

    def integer(self, raw: dict[str, Any], spec: DataField) -> int | None:
        value = raw.get(spec.name)
        if value is None:
            if spec.required:
                raise self.fail(spec.name, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(spec.name, "must be a whole number")
        return value

    def reference(
        self, raw: dict[str, Any], spec: DataField, known: dict[str, ReferenceEntry]
    ) -> ReferenceEntry | None:
        code = self.text(raw, spec.name, required=spec.required)
        if not code:
            return None
        if code not in known:
            raise self.fail(
                spec.name, f"no {spec.target.__name__ if spec.target else ''} entry {code!r}"
            )
        return known[code]

    def references(
        self, raw: dict[str, Any], spec: DataField, known: dict[str, ReferenceEntry]
    ) -> list[ReferenceEntry]:
        codes = self.strings(raw, spec.name, required=spec.required)
        unknown = [code for code in codes if code not in known]
        if unknown:
            target = spec.target_model().__name__
            raise self.fail(spec.name, f"no {target} entry {', '.join(map(repr, unknown))}")
        return [known[code] for code in codes]


@dataclass
class _ParsedEntry:
    code: str
    values: dict[str, Any]
    relations: dict[str, list[ReferenceEntry]]


def _parse_entry(
    vocabulary: Vocabulary,
    raw: dict[str, Any],
    index: int,
    sources: dict[str, Source],
    known: dict[type[ReferenceEntry], dict[str, ReferenceEntry]],
) -> _ParsedEntry:
    file = vocabulary.data_file
    code = raw.get("code")
    label = code if isinstance(code, str) and code.strip() else f"#{index}"
    parser = _EntryParser(file, label)
    code = parser.text(raw, "code", required=True)

    allowed = COMMON_KEYS | {f.name for f in vocabulary.fields}
    unknown_keys = sorted(set(raw) - allowed)
    if unknown_keys:
        raise parser.fail(unknown_keys[0], "is not a field of this vocabulary")

    names = parser.texts(raw, "names", required_languages=REQUIRED_NAME_LANGUAGES)
    source_code = parser.text(raw, "source", required=True)
    if source_code not in sources:
        raise parser.fail("source", f"no source {source_code!r} in {SOURCES_FILE}")

    values: dict[str, Any] = {
        "name_" + lang.replace("-", "_"): names.get(lang, "") for lang in ENTRY_LANGUAGES
    }
    values.update(
        synonyms=parser.strings(raw, "synonyms", required=False),
        description=parser.texts(raw, "description", required_languages=()),
        identification=parser.texts(raw, "identification", required_languages=()),
        source=sources[source_code],
        source_detail=parser.text(raw, "source_detail", required=True),
        active=True,
    )
    relations: dict[str, list[ReferenceEntry]] = {}
    for spec in vocabulary.fields:
        match spec.value_type:
            case FieldType.TEXT:
                values[spec.name] = parser.text(raw, spec.name, required=spec.required)
            case FieldType.TEXTS:
                values[spec.name] = parser.texts(raw, spec.name, required_languages=())
            case FieldType.STRINGS:
                values[spec.name] = parser.strings(raw, spec.name, required=spec.required)
            case FieldType.CHOICE:
                chosen = parser.choice(raw, spec)
                # Left out: the model's default (a timber's unit is m³, an ODS group is none).
                values[spec.name] = chosen or _model_default(vocabulary.model, spec.name)
            case FieldType.CHOICES:
                values[spec.name] = parser.choices(raw, spec)
            case FieldType.BOOL:
                values[spec.name] = parser.boolean(raw, spec)
            case FieldType.DECIMAL:
                values[spec.name] = parser.decimal(raw, spec)
            case FieldType.INT:
                values[spec.name] = parser.integer(raw, spec)
            case FieldType.REF:
                values[spec.name] = parser.reference(raw, spec, known[spec.target_model()])
            case FieldType.REFS:
                relations[spec.name] = parser.references(raw, spec, known[spec.target_model()])
    return _ParsedEntry(code=code, values=values, relations=relations)


def _model_default(model: type[ReferenceEntry], name: str) -> Any:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return field.get_default()


# --- writing ------------------------------------------------------------------------------------


def _validation_error(file: str, entry: str, exc: ValidationError) -> ReferenceDataError:
    if hasattr(exc, "error_dict"):
        name, errors = next(iter(exc.message_dict.items()))
        return ReferenceDataError(file, "; ".join(errors), entry=entry, field=name)
    return ReferenceDataError(file, "; ".join(exc.messages), entry=entry)


def _load_sources(data_dir: Path) -> dict[str, Source]:
    file = SOURCES_FILE
    loaded: dict[str, Source] = {}
    for index, raw in enumerate(_entries(data_dir / file, "sources")):
        parser = _EntryParser(file, str(raw.get("code") or f"#{index}"))
        unknown_keys = sorted(set(raw) - SOURCE_KEYS)
        if unknown_keys:
            raise parser.fail(unknown_keys[0], "is not a field of a source")
        code = parser.text(raw, "code", required=True)
        if code in loaded:
            raise parser.fail("code", "appears twice in the file")
        as_of_text = parser.text(raw, "as_of", required=True)
        try:
            as_of = datetime.date.fromisoformat(as_of_text)
        except ValueError:
            raise parser.fail("as_of", f"{as_of_text!r} is not a date (YYYY-MM-DD)") from None
        values = {
            "title": parser.text(raw, "title", required=True),
            "publisher": parser.text(raw, "publisher", required=True),
            "edition": parser.text(raw, "edition", required=True),
            "as_of": as_of,
            "url": parser.text(raw, "url", required=True),
        }
        source = Source.objects.filter(code=code).first() or Source(code=code)
        for name, value in values.items():
            setattr(source, name, value)
        try:
            source.full_clean()
        except ValidationError as exc:
            raise _validation_error(file, code, exc) from None
        source.save()
        loaded[code] = source
    return loaded


def _differs(entry: ReferenceEntry, values: dict[str, Any]) -> bool:
    for name, value in values.items():
        current = getattr(entry, name)
        if isinstance(current, models.Model) or isinstance(value, models.Model):
            if getattr(current, "pk", None) != getattr(value, "pk", None):
                return True
        elif current != value:
            return True
    return False


def _load_vocabulary(
    vocabulary: Vocabulary,
    data_dir: Path,
    sources: dict[str, Source],
    known: dict[type[ReferenceEntry], dict[str, ReferenceEntry]],
) -> KindCounts:
    model = vocabulary.model
    file = vocabulary.data_file
    counts = KindCounts()
    existing: dict[str, ReferenceEntry] = {e.code: e for e in model._default_manager.all()}
    seen: dict[str, ReferenceEntry] = {}
    for index, raw in enumerate(_entries(data_dir / file, "entries", vocabulary=vocabulary.kind)):
        parsed = _parse_entry(vocabulary, raw, index, sources, known)
        if parsed.code in seen:
            raise ReferenceDataError(
                file, "appears twice in the file", entry=parsed.code, field="code"
            )
        entry = existing.get(parsed.code)
        is_new = entry is None
        if entry is None:
            entry = model(code=parsed.code)
        changed = is_new or _differs(entry, parsed.values)
        previous_search_text = entry.search_text
        for name, value in parsed.values.items():
            setattr(entry, name, value)
        entry.refresh_search_text()
        changed = changed or entry.search_text != previous_search_text
        if changed:
            try:
                # Codes are unique by construction (upsert by code, duplicates refused above).
                entry.full_clean(
                    exclude=[f.name for f in vocabulary.m2m_fields], validate_unique=False
                )
            except ValidationError as exc:
                raise _validation_error(file, parsed.code, exc) from None
            entry.save()
        for name, targets in parsed.relations.items():
            manager = getattr(entry, name)
            wanted = {t.pk for t in targets}
            current = set(manager.values_list("pk", flat=True)) if not is_new else set()
            if wanted != current:
                manager.set(targets)
                changed = True
        if is_new:
            counts.created += 1
        elif changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
        seen[parsed.code] = entry
    retired = [code for code, e in existing.items() if code not in seen and e.active]
    if retired:
        counts.retired = model._default_manager.filter(code__in=retired).update(active=False)
    # Other files may refer only to entries of the current data, not to retired ones.
    known[model] = seen
    return counts


def do_load_reference(*, actor: Any = None, data_dir: Path | None = None) -> LoadReport:
    """Load every data file in one transaction; raise ``ReferenceDataError`` and keep nothing
    if any file is bad."""
    data_dir = data_dir or DATA_DIR
    report = LoadReport(fingerprint=fingerprint(data_dir))
    with transaction.atomic():
        sources = _load_sources(data_dir)
        known: dict[type[ReferenceEntry], dict[str, ReferenceEntry]] = {}
        for vocabulary in VOCABULARIES:
            report.counts[vocabulary.kind] = _load_vocabulary(vocabulary, data_dir, sources, known)
        # The full-text search reads the library through its own copy: written in the same
        # transaction, so a search never sees half a load.
        reindex_library()
        if (
            report.changed
            or not ReferenceLoad.objects.filter(fingerprint=report.fingerprint).exists()
        ):
            load = ReferenceLoad.objects.create(
                fingerprint=report.fingerprint, counts=report.as_dict()
            )
            if report.changed:
                record(
                    actor=actor,
                    action=AuditAction.IMPORT,
                    obj=load,
                    summary=_summary(report),
                    changes=report.as_dict(),
                    username="load_reference",
                )
    return report


def _summary(report: LoadReport) -> str:
    parts = [
        f"{kind}: +{c.created} ~{c.updated} -{c.retired}"
        for kind, c in report.counts.items()
        if c.changed
    ]
    return "Reference library loaded (" + "; ".join(parts) + ")"


def ensure_reference_loaded(*, actor: Any = None) -> LoadReport | None:
    """Load the shipped data unless the database already holds exactly this version.

    For ``liaison demo`` and first start: cheap when nothing changed (one digest, one query).
    """
    current = fingerprint(DATA_DIR)
    if ReferenceLoad.objects.filter(fingerprint=current).exists():
        if index_is_empty():  # a library loaded before the full-text search existed
            reindex_library()
        return None
    return do_load_reference(actor=actor)
