"""XPath 1.0 with the OpenRosa function library, on elementpath.

XLSForm expressions (``relevant``, ``constraint``, ``required``, ``calculation``) are XPath 1.0
as extended by the ODK XForms specification. elementpath's XPath 1.0 parser does the parsing and
evaluation; this module adds the OpenRosa functions (``selected()``, ``count-selected()``,
``if()``, ``today()`` …) and gives comparisons the XPath 1.0 semantics ODK relies on: an empty
answer compares as NaN (false) instead of raising, a node compares with a number numerically, and
ISO dates compare as dates (ODK turns a date into days since 1970-01-01).

Values are read and written as ODK Web Forms, the browser's engine, reads and writes them:
numbers as JavaScript prints them, dates in the local zone (the environment clock's), so that the
server's re-validation agrees with the browser (``tests/browser/test_expression_differential.py``
holds both to the same text on several hundred expressions).

This module knows nothing of forms: :mod:`liaison.surveys.expressions` builds the instance
document from answers and calls :func:`evaluate`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import operator
import re
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from typing import Any, ClassVar
from xml.etree.ElementTree import Element

import elementpath
from django.utils.translation import gettext as _
from elementpath import XPath1Parser
from elementpath.exceptions import ElementPathError
from elementpath.xpath_nodes import XPathNode
from elementpath.xpath_tokens import XPathFunction, XPathToken

JAVAROSA_NAMESPACE = "http://openrosa.org/javarosa"
ODK_NAMESPACE = "http://www.opendatakit.org/xforms"
ORX_NAMESPACE = "http://openrosa.org/xforms"
EPOCH = date(1970, 1, 1)

_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
# A date or a date-time as ODK Web Forms reads one (offset or Z optional; without one, the
# moment is in the local time zone, and a date is local midnight).
_MOMENT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-](?:0\d|1[0-4]):[0-5]\d)?)?$"
)
# A number as JavaScript's Number() reads a string (no "inf", "nan" or "1_000" as Python would).
_JS_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_MS_PER_DAY = 86_400_000
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


class ExpressionError(Exception):
    """An expression that cannot be parsed or evaluated; the message is for people."""

    def __init__(self, message: str, *, expression: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.reason = reason or message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Environment:
    """What an expression may ask of the world: the date, and choice labels."""

    today: date
    now: datetime
    choice_label: Callable[[str, str], str] | None = None
    instances: Mapping[str, Element] = field(default_factory=dict)

    @classmethod
    def current(
        cls,
        choice_label: Callable[[str, str], str] | None = None,
        instances: Mapping[str, Element] | None = None,
    ) -> Environment:
        from django.utils import timezone

        now = timezone.localtime() if timezone.is_aware(timezone.now()) else datetime.now(UTC)
        return cls(today=now.date(), now=now, choice_label=choice_label, instances=instances or {})


_ENVIRONMENT: ContextVar[Environment | None] = ContextVar("openrosa_environment", default=None)
_CURRENT: ContextVar[Any] = ContextVar("openrosa_current", default=None)


def _environment() -> Environment:
    env = _ENVIRONMENT.get()
    return env if env is not None else Environment.current()


def _local_zone() -> tzinfo:
    """The time zone dates are read and written in: the environment's clock's (the browser's
    own zone in ODK Web Forms), else the site's."""
    env = _ENVIRONMENT.get()
    if env is not None and env.now.tzinfo is not None:
        return env.now.tzinfo
    from django.utils import timezone as django_timezone

    return django_timezone.get_current_timezone()


def parse_moment(text: str) -> datetime | None:
    """A date or date-time string as a moment in the local zone, as ODK Web Forms reads it (a
    date is local midnight, a date-time without offset is local time); ``None`` otherwise."""
    match = _MOMENT.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    zone = _local_zone()
    try:
        moment = datetime(  # noqa: DTZ001 - its zone is given below, local or the offset's
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
        )
    except ValueError:
        return None
    if offset is None:
        return moment.replace(tzinfo=zone)
    if offset == "Z":
        return moment.replace(tzinfo=UTC).astimezone(zone)
    sign = -1 if offset[0] == "-" else 1
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])) * sign
    return moment.replace(tzinfo=timezone(delta)).astimezone(zone)


def _days_of(moment: datetime) -> float:
    milliseconds = (moment - _EPOCH_UTC) // timedelta(milliseconds=1)
    return milliseconds / _MS_PER_DAY


def _moment_of_days(days: float) -> datetime | None:
    if math.isnan(days) or math.isinf(days):
        return None
    try:
        return _EPOCH_UTC + timedelta(milliseconds=round(days * _MS_PER_DAY))
    except OverflowError:
        return None


def format_moment(moment: datetime) -> str:
    """A moment as ODK Web Forms writes one: in the local zone, milliseconds without trailing
    zeros (``.000`` when there are none) and the offset; local midnight as the date alone."""
    local = moment.astimezone(_local_zone())
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    millis = local.microsecond // 1000
    text += f".{millis:03d}".rstrip("0") if millis else ".000"
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    text += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    if (local.hour, local.minute, local.second, millis) == (0, 0, 0, 0):
        return local.strftime("%Y-%m-%d")
    return text


class OpenRosaParser(XPath1Parser):
    """XPath 1.0 parser with the ODK XForms function library."""

    DEFAULT_NAMESPACES: ClassVar[dict[str, str]] = {
        **XPath1Parser.DEFAULT_NAMESPACES,
        "jr": JAVAROSA_NAMESPACE,
        "odk": ODK_NAMESPACE,
        "orx": ORX_NAMESPACE,
    }
    # instance('list')/root/item and current()/../x are location-path starts in XForms.
    PATH_STEP_SYMBOLS: ClassVar[set[str]] = {
        *XPath1Parser.PATH_STEP_SYMBOLS,
        "instance",
        "current",
    }


# --- value conversions (XPath 1.0 string(), number(), boolean()) -----------------------------


def _string_of(item: Any) -> str:
    if isinstance(item, XPathNode):
        return str(item.string_value)
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int | float | Decimal):
        return format_number(float(item))
    return str(item)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def format_number(value: float) -> str:
    """A number as ODK Web Forms writes it (JavaScript's ``Number.prototype.toString``): the
    shortest digits that read back as the same double, an exponent only below 1e-6 or from
    1e21, ``NaN``, ``Infinity``, and no ``-0``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    exact = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, exact.digits))
    point = len(digits) + int(exact.exponent)  # where the decimal point goes after digits[0:]
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        exponent = point - 1
        mark = "+" if exponent >= 0 else "-"
        head = digits[0] + (f".{digits[1:]}" if count > 1 else "")
        text = f"{head}e{mark}{abs(exponent)}"
    return sign + text


def to_number(value: Any) -> float:
    """XPath ``number()``, with ODK's reading of dates as days since 1970-01-01."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if _is_number(value):
        return float(value)
    text = _string_of(value).strip()
    if not text:
        return math.nan
    if _JS_NUMBER.match(text):
        return float(text)
    if text in ("Infinity", "+Infinity", "-Infinity"):
        return -math.inf if text.startswith("-") else math.inf
    radix = {"0x": 16, "0o": 8, "0b": 2}.get(text[:2].lower())
    if radix is not None:
        try:
            return float(int(text[2:], radix))
        except ValueError:
            return math.nan
    moment = parse_moment(text)
    if moment is not None:
        return _days_of(moment)
    return math.nan


def to_string(value: Any) -> str:
    """XPath ``string()`` of an evaluation result (first node of a node-set)."""
    if isinstance(value, list):
        return _string_of(value[0]) if value else ""
    return _string_of(value)


def to_boolean(value: Any) -> bool:
    """XPath ``boolean()`` of an evaluation result."""
    if isinstance(value, list):
        return len(value) > 0
    if isinstance(value, bool):
        return value
    if _is_number(value):
        return not (value == 0 or math.isnan(value))
    return bool(_string_of(value))


# --- comparisons with XPath 1.0 semantics ----------------------------------------------------

_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _operand(token: XPathToken, context: Any) -> tuple[bool, list[Any]]:
    """Evaluate one side of a comparison: (is a node-set, values)."""
    items = list(token.select(copy(context)))
    if not items or any(isinstance(item, XPathNode) for item in items):
        return True, [_string_of(item) for item in items]
    return False, items[:1]


def _compare_atoms(
    symbol: str, left: Any, right: Any, left_is_node: bool, right_is_node: bool
) -> bool:
    compare = _COMPARATORS[symbol]
    if symbol in ("=", "!="):
        if isinstance(left, bool) or isinstance(right, bool):
            return compare(to_boolean(left), to_boolean(right))
        left_number = _is_number(left) and not left_is_node
        right_number = _is_number(right) and not right_is_node
        if left_number or right_number:
            return compare(to_number(left), to_number(right))
        return compare(_string_of(left), _string_of(right))
    if isinstance(left, bool) or isinstance(right, bool):
        return compare(to_number(left), to_number(right))
    left_text, right_text = _string_of(left), _string_of(right)
    if _ISO_DATE.match(left_text) and _ISO_DATE.match(right_text):
        return compare(left_text.strip(), right_text.strip())
    return compare(to_number(left), to_number(right))


def _evaluate_comparison(self: XPathToken, context: Any = None) -> bool:
    left_nodes, left = _operand(self[0], context)
    right_nodes, right = _operand(self[1], context)
    if left_nodes and right_nodes:
        return any(_compare_atoms(self.symbol, a, b, True, True) for a in left for b in right)
    if left_nodes:
        atom = right[0]
        if isinstance(atom, bool):
            return _COMPARATORS[self.symbol](bool(left), atom)
        return any(_compare_atoms(self.symbol, a, atom, True, False) for a in left)
    if right_nodes:
        atom = left[0]
        if isinstance(atom, bool):
            return _COMPARATORS[self.symbol](atom, bool(right))
        return any(_compare_atoms(self.symbol, atom, b, False, True) for b in right)
    return _compare_atoms(self.symbol, left[0], right[0], False, False)


def _led_comparison(self: XPathToken, left: XPathToken) -> XPathToken:
    # XPath 1.0 chains comparisons from the left (``1 < 2 < 3`` is ``(1 < 2) < 3``), as ODK's
    # engines do; elementpath refuses a comparison as a comparison's left side (XPath 2.0).
    self[:] = left, self.parser.expression(rbp=30)
    return self


for _symbol in _COMPARATORS:
    _base = XPath1Parser.symbol_table[_symbol]
    OpenRosaParser.symbol_table[_symbol] = type(
        _base.__name__,
        (_base,),
        {"evaluate": _evaluate_comparison, "led": _led_comparison, "__module__": __name__},
    )


# --- arithmetic with ODK's numbers (dates are days since 1970-01-01) --------------------------


def _divide(left: float, right: float) -> float:
    if right == 0:
        if left == 0 or math.isnan(left):
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return left / right


def _modulo(left: float, right: float) -> float:
    if right == 0 or math.isinf(left):
        return math.nan
    return math.fmod(left, right)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "div": _divide,
    "mod": _modulo,
}


def _arithmetic(symbol: str, base: type[XPathToken]) -> Callable[..., Any]:
    """``today() - ${dob}``, ``${end} - ${start}``: each operand is read with
    :func:`to_number` (a date is its days since 1970-01-01, a date-time its decimal days), as
    ODK Collect and Enketo do; elementpath's own ``number()`` would make them NaN."""
    operation = _ARITHMETIC[symbol]

    def evaluate(self: XPathToken, context: Any = None) -> Any:
        if len(self) == 2:
            left = to_number(self[0].evaluate(copy(context)))
            right = to_number(self[1].evaluate(copy(context)))
            return operation(left, right)
        if len(self) == 1 and symbol == "-":
            return -to_number(self[0].evaluate(copy(context)))
        return base.evaluate(self, context)  # ``*`` as a name test

    return evaluate


for _symbol in _ARITHMETIC:
    _base = XPath1Parser.symbol_table[_symbol]
    OpenRosaParser.symbol_table[_symbol] = type(
        _base.__name__,
        (_base,),
        {"evaluate": _arithmetic(_symbol, _base), "__module__": __name__},
    )


# --- the OpenRosa function library -----------------------------------------------------------

EvaluateFunction = Callable[[XPathFunction, Any], Any]


def _function(
    name: str, nargs: int | tuple[int, int | None], *, prefix: str | None = None
) -> Callable[[EvaluateFunction], EvaluateFunction]:
    def register(impl: EvaluateFunction) -> EvaluateFunction:
        if prefix is None:
            # Replace elementpath's own token class only in our table, never in XPath1Parser's.
            OpenRosaParser.symbol_table.pop(name, None)
        token_class = OpenRosaParser.function(name, prefix=prefix, nargs=nargs)

        def evaluate(self: XPathFunction, context: Any = None) -> Any:
            # The parser evaluates statically (without a document) once; these functions all
            # depend on the document or the clock, so they wait for a real context.
            if context is None:
                raise self.missing_context()
            return impl(self, context)

        token_class.evaluate = evaluate  # type: ignore[method-assign, assignment]
        return impl

    return register


def _arg(token: XPathFunction, context: Any, index: int) -> Any:
    """The raw value of argument ``index`` (a node-set is a list)."""
    return token[index].evaluate(copy(context))


def _arg_string(token: XPathFunction, context: Any, index: int) -> str:
    return to_string(_arg(token, context, index))


def _arg_number(token: XPathFunction, context: Any, index: int) -> float:
    return to_number(_arg(token, context, index))


def _unsupported(name: str) -> EvaluateFunction:
    def evaluate(self: XPathFunction, context: Any = None) -> Any:
        raise ExpressionError(
            _("The function %(function)s() cannot be evaluated on the server.") % {"function": name}
        )

    return evaluate


@_function("selected", nargs=2)
def _selected(self: XPathFunction, context: Any = None) -> bool:
    values = _arg_string(self, context, 0).split()
    return _arg_string(self, context, 1).strip() in values


@_function("count-selected", nargs=1)
def _count_selected(self: XPathFunction, context: Any = None) -> int:
    return len(_arg_string(self, context, 0).split())


@_function("selected-at", nargs=2)
def _selected_at(self: XPathFunction, context: Any = None) -> str:
    values = _arg_string(self, context, 0).split()
    index = _arg_number(self, context, 1)
    if math.isnan(index) or not 0 <= int(index) < len(values):
        return ""
    return values[int(index)]


@_function("if", nargs=3)
def _if(self: XPathFunction, context: Any = None) -> Any:
    condition = to_boolean(_arg(self, context, 0))
    return _arg(self, context, 1 if condition else 2)


@_function("coalesce", nargs=2)
def _coalesce(self: XPathFunction, context: Any = None) -> str:
    first = _arg_string(self, context, 0)
    return first if first else _arg_string(self, context, 1)


@_function("concat", nargs=(1, None))
def _concat(self: XPathFunction, context: Any = None) -> str:
    parts: list[str] = []
    for index in range(len(self)):
        value = _arg(self, context, index)
        if isinstance(value, list):
            parts.extend(_string_of(item) for item in value)
        else:
            parts.append(_string_of(value))
    return "".join(parts)


@_function("join", nargs=(2, None))
def _join(self: XPathFunction, context: Any = None) -> str:
    separator = _arg_string(self, context, 0)
    parts: list[str] = []
    for index in range(1, len(self)):
        value = _arg(self, context, index)
        if isinstance(value, list):
            parts.extend(_string_of(item) for item in value)
        else:
            parts.append(_string_of(value))
    return separator.join(parts)


@_function("regex", nargs=2)
def _regex(self: XPathFunction, context: Any = None) -> bool:
    pattern = _arg_string(self, context, 1)
    try:
        return re.search(pattern, _arg_string(self, context, 0)) is not None
    except re.error as error:
        raise ExpressionError(
            _("The regular expression %(pattern)s is not valid: %(reason)s")
            % {"pattern": pattern, "reason": error}
        ) from error


@_function("int", nargs=1)
def _int(self: XPathFunction, context: Any = None) -> float:
    number = _arg_number(self, context, 0)
    return number if math.isnan(number) or math.isinf(number) else float(math.trunc(number))


@_function("round", nargs=(1, 2))
def _round(self: XPathFunction, context: Any = None) -> float:
    # ODK Web Forms rounds the magnitude half up and puts the sign back: round(-2.5) is -3
    number = _arg_number(self, context, 0)
    digits = _arg_number(self, context, 1) if len(self) > 1 else 0.0
    if math.isnan(number) or math.isnan(digits):
        return math.nan
    if math.isinf(number):
        return number
    scale = 10.0**digits
    return math.copysign(math.floor(abs(number) * scale + 0.5) / scale, number)


@_function("boolean-from-string", nargs=1)
def _boolean_from_string(self: XPathFunction, context: Any = None) -> bool:
    return _arg_string(self, context, 0).strip() in ("true", "1")


@_function("substr", nargs=(2, 3))
def _substr(self: XPathFunction, context: Any = None) -> str:
    text = _arg_string(self, context, 0)
    start = int(_arg_number(self, context, 1))
    end = int(_arg_number(self, context, 2)) if len(self) > 2 else len(text)
    return text[start:end]


@_function("ends-with", nargs=2)
def _ends_with(self: XPathFunction, context: Any = None) -> bool:
    return _arg_string(self, context, 0).endswith(_arg_string(self, context, 1))


@_function("count-non-empty", nargs=1)
def _count_non_empty(self: XPathFunction, context: Any = None) -> int:
    value = _arg(self, context, 0)
    items = value if isinstance(value, list) else [value]
    return sum(1 for item in items if _string_of(item) != "")


def _numbers(self: XPathFunction, context: Any) -> list[float]:
    numbers: list[float] = []
    for index in range(len(self)):
        value = _arg(self, context, index)
        items = value if isinstance(value, list) else [value]
        numbers.extend(to_number(item) for item in items)
    return numbers


@_function("sum", nargs=1)
def _sum(self: XPathFunction, context: Any = None) -> float:
    # ODK Web Forms: the sum of nothing is NaN, not 0
    numbers = _numbers(self, context)
    if not numbers:
        return math.nan
    total = 0.0
    for number in numbers:  # in order, as JavaScript adds them
        total += number
    return total


@_function("max", nargs=(1, None))
def _max(self: XPathFunction, context: Any = None) -> float:
    numbers = _numbers(self, context)
    return math.nan if not numbers or any(map(math.isnan, numbers)) else max(numbers)


@_function("min", nargs=(1, None))
def _min(self: XPathFunction, context: Any = None) -> float:
    numbers = _numbers(self, context)
    return math.nan if not numbers or any(map(math.isnan, numbers)) else min(numbers)


def _math_function(name: str, nargs: int, impl: Callable[..., float]) -> None:
    def evaluate(self: XPathFunction, context: Any = None) -> float:
        args = [_arg_number(self, context, index) for index in range(nargs)]
        if any(map(math.isnan, args)):
            return math.nan
        try:
            return float(impl(*args))
        except OverflowError:
            return math.inf
        except (ValueError, ZeroDivisionError):
            return math.nan

    _function(name, nargs=nargs)(evaluate)


def _logarithm(base: Callable[[float], float]) -> Callable[[float], float]:
    # JavaScript's: the logarithm of 0 is -Infinity (Python raises)
    def log(value: float) -> float:
        return -math.inf if value == 0 else base(value)

    return log


def _power(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf if base > 0 or exponent % 2 == 0 else -math.inf


@_function("string", nargs=(0, 1))
def _string(self: XPathFunction, context: Any = None) -> str:
    return to_string(_arg(self, context, 0)) if len(self) else to_string([context.item])


for _name, _nargs, _impl in (
    ("pow", 2, _power),
    ("abs", 1, abs),
    ("exp", 1, math.exp),
    ("exp10", 1, lambda x: 10.0**x),
    ("log", 1, _logarithm(math.log)),
    ("log10", 1, _logarithm(math.log10)),
    ("sqrt", 1, math.sqrt),
    ("sin", 1, math.sin),
    ("cos", 1, math.cos),
    ("tan", 1, math.tan),
    ("asin", 1, math.asin),
    ("acos", 1, math.acos),
    ("atan", 1, math.atan),
    ("atan2", 2, math.atan2),
):
    _math_function(_name, _nargs, _impl)


@_function("pi", nargs=0)
def _pi(self: XPathFunction, context: Any = None) -> float:
    return math.pi


@_function("today", nargs=0)
def _today(self: XPathFunction, context: Any = None) -> str:
    return _environment().today.isoformat()


@_function("now", nargs=0)
def _now(self: XPathFunction, context: Any = None) -> str:
    return format_moment(_environment().now)


@_function("number", nargs=(0, 1))
def _number(self: XPathFunction, context: Any = None) -> Any:
    value = _arg(self, context, 0) if len(self) else [context.item]
    # ODK Web Forms keeps a date as it is: number() of a date is that date (its days when used
    # as a number, its text when written)
    if not _is_number(value) and not isinstance(value, bool):
        text = to_string(value)
        if parse_moment(text) is not None:
            return text
    return to_number(value)


_LOOSE_DATE = re.compile(r"^(\d{4})-([1-9]|\d{2})-([1-9]|\d{2})(T.*)?$")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}")
INVALID_DATE = "Invalid Date"


@_function("date", nargs=1)
def _date(self: XPathFunction, context: Any = None) -> str:
    value = _arg(self, context, 0)
    if isinstance(value, bool):
        return ""
    if _is_number(value):
        moment = _moment_of_days(float(value))
        return INVALID_DATE if moment is None else format_moment(moment)
    text = to_string(value)
    if text == "":
        return ""
    if not _DATE_PREFIX.match(text):
        loose = _LOOSE_DATE.match(text)
        if loose is None:
            return INVALID_DATE
        text = f"{loose[1]}-{loose[2].zfill(2)}-{loose[3].zfill(2)}{loose[4] or ''}"
    match = _MOMENT.match(text)
    if match is not None and parse_moment(text) is None:
        raise ExpressionError(
            _("%(value)s is not a date that exists.") % {"value": text}, expression=text
        )
    moment = parse_moment(text)
    return INVALID_DATE if moment is None else format_moment(moment)


def _moment_arg(value: Any) -> datetime | None:
    if _is_number(value):
        return _moment_of_days(float(value))
    return parse_moment(to_string(value))


@_function("decimal-date-time", nargs=1)
def _decimal_date_time(self: XPathFunction, context: Any = None) -> float:
    moment = _moment_arg(_arg(self, context, 0))
    return math.nan if moment is None else _days_of(moment)


_TIME = re.compile(r"^(\d{2}):(\d{2})(?::([0-5]\d))?(\.\d+)?([+-]\d{2}:\d{2})?$")


@_function("decimal-time", nargs=1)
def _decimal_time(self: XPathFunction, context: Any = None) -> float:
    """The local time of day as a fraction of a day (a time with an offset is moved into the
    local zone on 1 January 1970, as ODK Web Forms does); NaN for what is not a time."""
    text = _arg_string(self, context, 0)
    match = _TIME.match(text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        return math.nan
    moment = parse_moment(f"1970-01-01T{text}")
    if moment is None:
        return math.nan
    local = moment.astimezone(_local_zone())
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (local.replace(tzinfo=None) - midnight.replace(tzinfo=None)) // timedelta(
        milliseconds=1
    )
    return elapsed / _MS_PER_DAY


_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# ODK Web Forms 0.22.0 looks the day up by ISO weekday in a list that starts on Sunday: Monday
# to Saturday come out right, Sunday as nothing.
_WEEKDAYS = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "")
_DATE_FORMATS: dict[str, Callable[[datetime], str]] = {
    "%Y": lambda moment: f"{moment.year:04d}",
    "%y": lambda moment: f"{moment.year:04d}"[2:],
    "%m": lambda moment: f"{moment.month:02d}",
    "%n": lambda moment: str(moment.month),
    "%b": lambda moment: _MONTHS[moment.month],
    "%d": lambda moment: f"{moment.day:02d}",
    "%e": lambda moment: str(moment.day),
    "%a": lambda moment: _WEEKDAYS[moment.isoweekday()],
    "%H": lambda moment: f"{moment.hour:02d}",
    "%h": lambda moment: str(moment.hour),
    "%M": lambda moment: f"{moment.minute:02d}",
    "%S": lambda moment: f"{moment.second:02d}",
    "%3": lambda moment: f"{moment.microsecond // 1000:03d}",
}
_DATE_CODES = re.compile("|".join(re.escape(code) for code in _DATE_FORMATS))


@_function("format-date", nargs=2)
def _format_date(self: XPathFunction, context: Any = None) -> str:
    """The date or date-time as text (in the local zone); a number or anything that is not a
    date gives nothing, as in ODK Web Forms, which formats format-date() as format-date-time()."""
    moment = parse_moment(_arg_string(self, context, 0))
    if moment is None:
        return ""
    local = moment.astimezone(_local_zone())
    pattern = _arg_string(self, context, 1)
    return _DATE_CODES.sub(lambda match: _DATE_FORMATS[match[0]](local), pattern)


_function("format-date-time", nargs=2)(_format_date)


@_function("once", nargs=1)
def _once(self: XPathFunction, context: Any = None) -> Any:
    # The value is computed once: a node that already holds one keeps it.
    current = _CURRENT.get()
    element = getattr(current, "value", None)
    if isinstance(element, Element) and len(element) == 0 and element.text:
        return element.text
    return _arg(self, context, 0)


def _truths(self: XPathFunction, context: Any, start: int, step: int) -> list[tuple[bool, int]]:
    """(truth, position of its argument) of every value from argument ``start`` on, every
    ``step`` arguments; a node-set counts each of its nodes."""
    found: list[tuple[bool, int]] = []
    for index in range(start, len(self), step):
        value = _arg(self, context, index)
        if isinstance(value, list):
            found += [(to_boolean(_string_of(item)), index) for item in value]
        else:
            found.append((to_boolean(value), index))
    return found


def _within(total: float, low: float, high: float) -> bool:
    return (low == -1 or total >= low) and (high == -1 or total <= high)


@_function("checklist", nargs=(2, None))
def _checklist(self: XPathFunction, context: Any = None) -> bool:
    """True when the number of true values is between min and max (-1: no bound)."""
    low, high = _arg_number(self, context, 0), _arg_number(self, context, 1)
    return _within(sum(truth for truth, _index in _truths(self, context, 2, 1)), low, high)


@_function("weighted-checklist", nargs=(2, None))
def _weighted_checklist(self: XPathFunction, context: Any = None) -> bool:
    """True when the weights of the true values add up to between min and max."""
    low, high = _arg_number(self, context, 0), _arg_number(self, context, 1)
    total = 0.0
    for truth, index in _truths(self, context, 2, 2):
        if truth and index + 1 < len(self):
            total += to_number(_arg(self, context, index + 1))
    return _within(total, low, high)


@_function("uuid", nargs=(0, 1))
def _uuid(self: XPathFunction, context: Any = None) -> str:
    text = str(uuid.uuid4())
    if len(self) == 0:
        return text
    length = _arg_number(self, context, 0)
    if math.isnan(length):
        raise ExpressionError(_("uuid() needs a number for its length."))
    while len(text) < length:
        text += str(uuid.uuid4())
    return text[: max(int(length), 0)]


@_function("random", nargs=0)
def _random(self: XPathFunction, context: Any = None) -> float:
    return secrets.SystemRandom().random()


@_function("position", nargs=(0, 1))
def _position(self: XPathFunction, context: Any = None) -> int:
    if len(self) == 0:
        if context is None:
            raise self.missing_context()
        return int(context.position)
    nodes = _arg(self, context, 0)
    if isinstance(nodes, XPathNode):
        nodes = [nodes]
    if not isinstance(nodes, list) or not nodes or not isinstance(nodes[0], XPathNode):
        return 0
    node = nodes[0]
    parent = node.parent
    if parent is None:
        return 1
    siblings = [child for child in parent if getattr(child, "name", None) == node.name]
    return next((index + 1 for index, child in enumerate(siblings) if child.value is node.value), 0)


@_function("choice-name", nargs=2, prefix="jr")
def _choice_name(self: XPathFunction, context: Any = None) -> str:
    value = _arg_string(self, context, 0)
    path = _arg_string(self, context, 1)
    resolver = _environment().choice_label
    if resolver is None or not value:
        return value
    return resolver(value, path)


@_function("current", nargs=0)
def _current(self: XPathFunction, context: Any = None) -> list[Any]:
    item = _CURRENT.get()
    return [] if item is None else [item]


@_function("instance", nargs=1)
def _instance(self: XPathFunction, context: Any = None) -> list[Any]:
    name = _arg_string(self, context, 0)
    element = _environment().instances.get(name)
    if element is None:
        raise ExpressionError(
            _("The secondary instance %(name)s is not part of this form.") % {"name": name}
        )
    return [elementpath.get_node_tree(element)]


@_function("pulldata", nargs=4)
def _pulldata(self: XPathFunction, context: Any = None) -> str:
    """``pulldata('file', 'column', 'key_column', key)``: ``column`` of the first row of the
    attached file whose ``key_column`` is ``key`` ("" when none), read from the file's secondary
    instance as ODK's engines do (``instance('file')/root/item[key_column = key]/column``)."""
    name = _arg_string(self, context, 0)
    element = _environment().instances.get(name)
    if element is None or not len(element):
        raise ExpressionError(
            _("pulldata() reads the file %(name)s, which is not attached to the questionnaire.")
            % {"name": name}
        )
    column = _arg_string(self, context, 1).strip()
    key_column = _arg_string(self, context, 2).strip()
    key = _arg_string(self, context, 3)

    def cell(item: Element, name: str) -> str:
        return next((child.text or "" for child in item if child.tag == name), "")

    return next((cell(item, column) for item in element[0] if cell(item, key_column) == key), "")


def _ancestors(node: Any) -> Iterator[Any]:
    parent = getattr(node, "parent", None)
    while parent is not None:
        yield parent.value
        parent = getattr(parent, "parent", None)


@_function("indexed-repeat", nargs=(3, None))
def _indexed_repeat(self: XPathFunction, context: Any = None) -> list[Any]:
    """``indexed-repeat(${q}, ${repeat}, n[, ${inner}, m …])``: the ``q`` inside the n-th
    instance of the repeat (and the m-th of the inner one …); nothing when there is none."""
    nodes = _arg(self, context, 0)
    if not isinstance(nodes, list):
        raise ExpressionError(_("indexed-repeat() needs a question as its first argument."))
    for index in range(1, len(self) - 1, 2):
        repeats = _arg(self, context, index)
        position = _arg_number(self, context, index + 1)
        if not isinstance(repeats, list) or math.isnan(position):
            return []
        if not 1 <= int(position) <= len(repeats):
            return []
        chosen = repeats[int(position) - 1].value
        nodes = [node for node in nodes if any(a is chosen for a in _ancestors(node))]
    return nodes


_EARTH_RADIUS = 6378100.0  # metres, ODK's


def _geopoints(self: XPathFunction, context: Any) -> list[tuple[float, float]] | None:
    """The points of a geotrace or geoshape (or of several geopoints), as (latitude, longitude);
    ``None`` when one of them is not a point."""
    texts: list[str] = []
    for index in range(len(self)):
        value = _arg(self, context, index)
        texts += (
            [_string_of(item) for item in value] if isinstance(value, list) else [_string_of(value)]
        )
    parts = texts[0].split(";") if len(texts) == 1 else texts
    points: list[tuple[float, float]] = []
    for part in parts:
        fields = part.split()
        if not 2 <= len(fields) <= 4:
            return None
        try:
            latitude, longitude = float(fields[0]), float(fields[1])
        except ValueError:
            return None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return None
        points.append((latitude, longitude))
    return points if len(points) >= 2 else None


def _metres(value: float) -> float:
    return 0.0 if value == 0 else abs(math.floor(value * 100 + 0.5) / 100)


@_function("distance", nargs=(1, None))
def _distance(self: XPathFunction, context: Any = None) -> float:
    points = _geopoints(self, context)
    if points is None:
        raise ExpressionError(_("distance() needs a line of at least two points."))
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in pairwise(points):
        phi1, phi2 = math.radians(lat1), math.radians(lat2)
        cosine = math.sin(phi1) * math.sin(phi2) + math.cos(phi1) * math.cos(phi2) * math.cos(
            math.radians(lon1 - lon2)
        )
        total += math.acos(max(-1.0, min(1.0, cosine))) * _EARTH_RADIUS
    return _metres(total)


@_function("area", nargs=1)
def _area(self: XPathFunction, context: Any = None) -> float:
    """The area in square metres of a shape on the sphere, closed if it is not."""
    points = _geopoints(self, context)
    if points is None:
        return 0.0
    if points[0] != points[-1]:
        points = [*points, points[0]]
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in pairwise(points):
        total += math.radians(lon2 - lon1) * (
            2 + math.sin(math.radians(lat2)) + math.sin(math.radians(lat1))
        )
    return _metres(total * _EARTH_RADIUS * _EARTH_RADIUS / 2)


_DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384"}
_DIGESTS["SHA-512"] = "sha512"


@_function("digest", nargs=(2, 3))
def _digest(self: XPathFunction, context: Any = None) -> str:
    algorithm = _arg_string(self, context, 1)
    encoding = _arg_string(self, context, 2) if len(self) > 2 else "base64"
    if algorithm not in _DIGESTS or encoding not in ("base64", "hex"):
        raise ExpressionError(
            _("digest() knows MD5, SHA-1, SHA-256, SHA-384 and SHA-512, in base64 or hex.")
        )
    digest = hashlib.new(_DIGESTS[algorithm], _arg_string(self, context, 0).encode())
    if encoding == "hex":
        return digest.hexdigest()
    return base64.b64encode(digest.digest()).decode("ascii")


@_function("base64-decode", nargs=1)
def _base64_decode(self: XPathFunction, context: Any = None) -> str:
    try:
        return base64.b64decode(_arg_string(self, context, 0), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""


for _name in (
    "extract-signed",
    "geofence",
):
    _function(_name, nargs=(0, None))(_unsupported(_name))
_function("itext", nargs=(0, None), prefix="jr")(_unsupported("jr:itext"))

OpenRosaParser.build()


# --- public API ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def compile_xpath(expression: str, *, written: str | None = None) -> XPathToken:
    """Parse an expression once; raises :class:`ExpressionError` with the parser's reason.

    ``written`` is the text a person wrote when ``expression`` was made from it (a filter whose
    names became paths): the message names that text, and leaves out the parser's line and
    column, which count in ``expression``."""
    parser = OpenRosaParser()
    try:
        return parser.parse(expression)
    except (ElementPathError, SyntaxError, ValueError, TypeError) as error:
        reason = _clean_reason(error)
        if written is not None:
            reason = _PARSER_POSITION.sub("", reason)
        shown = expression if written is None else written
        raise ExpressionError(
            _("The expression %(expression)s is not valid XPath: %(reason)s")
            % {"expression": shown.strip(), "reason": reason},
            expression=shown,
            reason=reason,
        ) from error


_PARSER_POSITION = re.compile(r"^.*? at line \d+, column \d+: ")


def _clean_reason(error: Exception) -> str:
    # elementpath prefixes messages with the token and an error code; keep the human part.
    text = str(error)
    text = re.sub(r"\[err:[A-Z0-9]+\]\s*", "", text)
    return text.strip()


def evaluate(
    expression: str,
    root: Element,
    *,
    item: Element | None = None,
    environment: Environment | None = None,
) -> Any:
    """Evaluate ``expression`` over the instance ``root`` with ``item`` as the context node."""
    token = compile_xpath(expression)
    context = elementpath.XPathContext(root, item=item if item is not None else root)
    reset = _ENVIRONMENT.set(environment)
    reset_current = _CURRENT.set(context.item)
    try:
        return token.evaluate(context)
    except ExpressionError:
        raise
    except (ElementPathError, ValueError, TypeError, ArithmeticError) as error:
        reason = _clean_reason(error)
        raise ExpressionError(
            _("The expression %(expression)s could not be evaluated: %(reason)s")
            % {"expression": expression.strip(), "reason": reason},
            expression=expression,
            reason=reason,
        ) from error
    finally:
        _CURRENT.reset(reset_current)
        _ENVIRONMENT.reset(reset)


def iter_function_names() -> Iterator[str]:
    """Names of the functions an expression may call (for documentation and tests)."""
    for key, token_class in OpenRosaParser.symbol_table.items():
        if isinstance(token_class, type) and issubclass(token_class, XPathFunction):
            label = str(getattr(token_class, "label", ""))
            if "function" in label and not key.startswith("{"):
                yield key
