"""Identifiers a record names — plates, passport and ID numbers, telephones, companies, containers —
in one normal form each, so that the same plate typed two ways is the same plate (the idea of
MISP's correlation engine: equal attribute values link events).

Normal forms:

* ``plate``: letters and digits only, upper case (``51f-123.45`` is ``51F12345``);
* ``document`` (passport, identity card): letters and digits only, upper case;
* ``phone``: E.164 (``+84912345678``). A number written nationally (``0912 345 678``) is read in
  the country of the record (or of the reader who asks), so the same national number recorded in
  Viet Nam and in Cambodia stays two numbers, as it is two lines. A number that
  ``phonenumbers`` cannot read as a possible number keeps its digits only;
* ``company``: case-folded, accents folded, punctuation dropped, the legal form (``Co., Ltd``,
  ``JSC``, ``Công ty TNHH`` …) left out;
* ``container``: ISO 6346 (owner code, serial, check digit), upper case; a number whose check
  digit is wrong is not a container number.

Also here: the signs that a free text (an incident's summary, shared more widely than its nominal
part) holds identity data: :func:`identity_data_in`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum import iso6346

MAX_LENGTH = 100
"""Of a normalised value (and of what may be asked)."""


class IdentifierKind(models.TextChoices):
    PLATE = "plate", _("Vehicle plate")
    DOCUMENT = "document", _("Passport or ID number")
    PHONE = "phone", _("Telephone number")
    COMPANY = "company", _("Company")
    CONTAINER = "container", _("Container")


def fold(text: str) -> str:
    """Lower case without accents (``Công ty Đại Phát`` → ``cong ty dai phat``)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _alphanumeric(value: str) -> str:
    return "".join(c for c in fold(value) if c.isascii() and c.isalnum()).upper()


# Legal forms left out of a company's name, as folded words (longest first within a phrase).
_LEGAL_FORMS = [
    "trach nhiem huu han mot thanh vien",
    "trach nhiem huu han",
    "joint stock company",
    "company limited",
    "limited liability company",
    "public company limited",
    "sdn bhd",
    "cong ty",
    "co phan",
    "tnhh",
    "mtv",
    "jsc",
    "co",
    "ltd",
    "limited",
    "company",
    "corp",
    "corporation",
    "inc",
    "llc",
    "plc",
    "pte",
    "cp",
]
_LEGAL_FORM = re.compile(r"\b(?:" + "|".join(re.escape(f) for f in _LEGAL_FORMS) + r")\b")


def _company(value: str) -> str:
    words = re.sub(r"[^\w]+", " ", fold(value))
    stripped = " ".join(_LEGAL_FORM.sub(" ", words).split())
    # A name that is nothing but a legal form keeps its words.
    return stripped or " ".join(words.split())


def _phone(value: str, region: str) -> str:
    digits = "".join(c for c in value if c.isdigit())
    try:
        number = phonenumbers.parse(value, region.upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(digits) < 6:
        return ""
    return ("+" if value.strip().startswith(("+", "00")) else "") + digits.removeprefix("00")


def _container(value: str) -> str:
    compact = _alphanumeric(value)
    return compact if len(compact) == 11 and iso6346.is_valid(compact) else ""


def normalise(kind: IdentifierKind | str, value: str, *, region: str = "") -> str:
    """``value`` in the normal form of its kind, or ``""`` if it is not one (too short, a wrong
    check digit …). ``region`` (ISO 3166 alpha-2) is where a national telephone number is read."""
    kind = IdentifierKind(kind)
    value = value.strip()[: MAX_LENGTH * 2]
    if kind == IdentifierKind.PHONE:
        normal = _phone(value, region)
    elif kind == IdentifierKind.COMPANY:
        normal = _company(value)
        if len(normal) < 3:
            normal = ""
    elif kind == IdentifierKind.CONTAINER:
        normal = _container(value)
    else:
        normal = _alphanumeric(value)
        if len(normal) < 4:
            normal = ""
    return normal[:MAX_LENGTH]


# What a nominal entry's number is, by the entry's kind (``NominalKind`` values), and whether the
# entry's name is the identifier itself (a company's).
NOMINAL_IDENTIFIER_KINDS: dict[str, IdentifierKind] = {
    "vehicle": IdentifierKind.PLATE,
    "telephone": IdentifierKind.PHONE,
    "document": IdentifierKind.DOCUMENT,
    "person": IdentifierKind.DOCUMENT,
    "company": IdentifierKind.COMPANY,
    "container": IdentifierKind.CONTAINER,
}


def nominal_identifier(kind: str, name: str, number: str, *, region: str) -> tuple[str, str] | None:
    """The (kind, normal value) a nominal entry names, if any."""
    identifier_kind = NOMINAL_IDENTIFIER_KINDS.get(kind)
    if identifier_kind is None:
        return None
    if identifier_kind == IdentifierKind.COMPANY:
        raw = name or number
    elif identifier_kind == IdentifierKind.CONTAINER:
        raw = number or name
    else:
        raw = number
    normal = normalise(identifier_kind, raw, region=region) if raw else ""
    return (identifier_kind.value, normal) if normal else None


_CONTAINER_IN_TEXT = re.compile(r"\b[A-Za-z]{3}[UJZujz][\s-]?\d{6}[\s-]?\d\b")


def containers_in(text: str) -> set[str]:
    """The container numbers a free text names (only those whose check digit is right)."""
    found = {_container(match.group()) for match in _CONTAINER_IN_TEXT.finditer(text)}
    return found - {""}


# --- identity data in free text -----------------------------------------------------------------


class IdentityHintKind(models.TextChoices):
    PLATE = "plate", _("a vehicle plate")
    DOCUMENT = "document", _("a passport or ID number")
    PHONE = "phone", _("a telephone number")
    NAME = "name", _("a person's name")


@dataclass(frozen=True)
class IdentityHint:
    kind: IdentityHintKind
    text: str


_PLATE_IN_TEXT = re.compile(
    # Viet Nam (51F-123.45, 29A 12345, 59X2-123.45), Cambodia and Lao PDR (2A-1234, ກຂ 1234)
    r"\b\d{2}[A-Z]{1,2}\d?[-\s]?\d{3}[.\s]?\d{2}\b|\b\d[A-Z]{1,2}-\d{4}\b"
)
_DOCUMENT_IN_TEXT = re.compile(r"\b[A-Z]{1,2}\d{7,8}\b|\b\d{9}\b|\b\d{12}\b|\b\d{3}-\d{3}-\d{3}\b")
_COURTESY_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Ông|Bà)\.?[ \t]+")
_WORD = re.compile(r"\w+")
_GAP = re.compile(r"[ \t]+")


def _name_after(text: str, start: int) -> int:
    """Where the capitalised words from ``start`` end (``start`` if there is none)."""
    end = position = start
    while (word := _WORD.match(text, position)) is not None:
        first = word.group()[0]
        if not (first.isalpha() and first.isupper()):
            break
        end = word.end()
        gap = _GAP.match(text, end)
        if gap is None:
            break
        position = gap.end()
    return end


def identity_data_in(text: str, *, region: str = "VN") -> list[IdentityHint]:
    """What in ``text`` looks like identity data: plates, passport or ID numbers, telephone
    numbers, and a courtesy title followed by a capitalised name (``Ông Nguyễn Văn A``,
    ``Mr Sok Dara``). A hint, not a finding: the officer decides."""
    hints: list[IdentityHint] = []
    taken: list[tuple[int, int]] = []

    def add(kind: IdentityHintKind, start: int, end: int, found: str) -> None:
        if any(start < stop and end > begin for begin, stop in taken):
            return
        taken.append((start, end))
        hints.append(IdentityHint(kind, found))

    for number in phonenumbers.PhoneNumberMatcher(text, region.upper() or "VN"):
        add(IdentityHintKind.PHONE, number.start, number.end, number.raw_string)
    for pattern, kind in (
        (_PLATE_IN_TEXT, IdentityHintKind.PLATE),
        (_DOCUMENT_IN_TEXT, IdentityHintKind.DOCUMENT),
    ):
        for match in pattern.finditer(text):
            add(kind, match.start(), match.end(), match.group())
    for title in _COURTESY_TITLE.finditer(text):
        end = _name_after(text, title.end())
        if end > title.end():
            add(IdentityHintKind.NAME, title.start(), end, text[title.start() : end])
    return hints
