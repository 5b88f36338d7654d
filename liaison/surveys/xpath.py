"""XPath 1.0 with the OpenRosa function library, on elementpath.

XLSForm expressions (``relevant``, ``constraint``, ``required``, ``calculation``) are XPath 1.0
as extended by the ODK XForms specification. elementpath's XPath 1.0 parser does the parsing and
evaluation; this module adds the OpenRosa functions (``selected()``, ``count-selected()``,
``if()``, ``today()`` …) and gives comparisons the XPath 1.0 semantics ODK relies on: an empty
answer compares as NaN (false) instead of raising, a node compares with a number numerically, and
ISO dates compare as dates (ODK turns a date into days since 1970-01-01).

This module knows nothing of forms: :mod:`liaison.surveys.expressions` builds the instance
document from answers and calls :func:`evaluate`.
"""

from __future__ import annotations

import math
import operator
import re
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
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
_ISO_DATETIME = re.compile(r"^\s*\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?\s*$")


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
    if isinstance(item, float):
        return format_number(item)
    if isinstance(item, int):
        return str(item)
    return str(item)


def format_number(value: float) -> str:
    """ODK's rendering of a number: integers without a trailing ``.0``, NaN as empty."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def to_number(value: Any) -> float:
    """XPath ``number()``, with ODK's reading of dates as days since 1970-01-01."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    text = _string_of(value).strip()
    if not text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        pass
    match = _ISO_DATE.match(text)
    if match:
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return math.nan
        return float((day - EPOCH).days)
    if _ISO_DATETIME.match(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return math.nan
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return (moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() / 86400
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
    if isinstance(value, int | float):
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
        left_number = isinstance(left, int | float) and not left_is_node
        right_number = isinstance(right, int | float) and not right_is_node
        if left_number or right_number:
            return compare(to_number(left), to_number(right))
        return compare(_string_of(left), _string_of(right))
    if isinstance(left, bool) or isinstance(right, bool):
        return compare(to_number(to_boolean(left)), to_number(to_boolean(right)))
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


for _symbol in _COMPARATORS:
    _base = XPath1Parser.symbol_table[_symbol]
    OpenRosaParser.symbol_table[_symbol] = type(
        _base.__name__, (_base,), {"evaluate": _evaluate_comparison, "__module__": __name__}
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
    number = _arg_number(self, context, 0)
    digits = int(_arg_number(self, context, 1)) if len(self) > 1 else 0
    if math.isnan(number) or math.isinf(number):
        return number
    scale = 10.0**digits
    return math.floor(number * scale + 0.5) / scale


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
        try:
            return float(impl(*args))
        except (ValueError, OverflowError, ZeroDivisionError):
            return math.nan

    _function(name, nargs=nargs)(evaluate)


for _name, _nargs, _impl in (
    ("pow", 2, math.pow),
    ("abs", 1, abs),
    ("exp", 1, math.exp),
    ("exp10", 1, lambda x: 10.0**x),
    ("log", 1, math.log),
    ("log10", 1, math.log10),
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
    return _environment().now.isoformat(timespec="milliseconds")


@_function("date", nargs=1)
def _date(self: XPathFunction, context: Any = None) -> str:
    value = _arg(self, context, 0)
    number = to_number(value)
    if math.isnan(number):
        return ""
    return (EPOCH + timedelta(days=math.floor(number))).isoformat()


@_function("decimal-date-time", nargs=1)
def _decimal_date_time(self: XPathFunction, context: Any = None) -> float:
    return to_number(_arg(self, context, 0))


@_function("decimal-time", nargs=1)
def _decimal_time(self: XPathFunction, context: Any = None) -> float:
    text = _arg_string(self, context, 0)
    match = re.match(r"^\s*(\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?", text)
    if not match:
        return math.nan
    seconds = int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3] or 0)
    return seconds / 86400


_DATE_FORMATS = {
    "%Y": "%Y",
    "%y": "%y",
    "%m": "%m",
    "%n": "%-m",
    "%b": "%b",
    "%d": "%d",
    "%e": "%-d",
    "%a": "%a",
    "%H": "%H",
    "%h": "%-H",
    "%M": "%M",
    "%S": "%S",
}


@_function("format-date", nargs=2)
def _format_date(self: XPathFunction, context: Any = None) -> str:
    number = to_number(_arg(self, context, 0))
    if math.isnan(number):
        return ""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=number)
    pattern = _arg_string(self, context, 1)

    def replace(match: re.Match[str]) -> str:
        code = _DATE_FORMATS.get(match[0])
        if code is None:
            return match[0]
        if code.startswith("%-"):
            return str(int(moment.strftime("%" + code[2:])))
        return moment.strftime(code)

    return re.sub(r"%[A-Za-z]", replace, pattern)


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
    return str(uuid.uuid4())


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
    if not isinstance(nodes, list) or not nodes or not isinstance(nodes[0], XPathNode):
        return 0
    node = nodes[0]
    parent = node.parent
    if parent is None:
        return 1
    siblings = [child for child in parent if getattr(child, "name", None) == node.name]
    return next((index + 1 for index, child in enumerate(siblings) if child is node), 0)


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


for _name in (
    "pulldata",
    "indexed-repeat",
    "area",
    "distance",
    "digest",
    "base64-decode",
    "extract-signed",
    "geofence",
):
    _function(_name, nargs=(0, None))(_unsupported(_name))
_function("itext", nargs=(0, None), prefix="jr")(_unsupported("jr:itext"))

OpenRosaParser.build()


# --- public API ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def compile_xpath(expression: str) -> XPathToken:
    """Parse an expression once; raises :class:`ExpressionError` with the parser's reason."""
    parser = OpenRosaParser()
    try:
        return parser.parse(expression)
    except (ElementPathError, SyntaxError, ValueError, TypeError) as error:
        reason = _clean_reason(error)
        raise ExpressionError(
            _("The expression %(expression)s is not valid XPath: %(reason)s")
            % {"expression": expression.strip(), "reason": reason},
            expression=expression,
            reason=reason,
        ) from error


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
