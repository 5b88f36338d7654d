"""How the results page and the assessment report write their figures: the active language's
decimal mark (Django's ``number_format``: Vietnamese ``12,5 %``, English ``12.5 %``) and p-values
as people write them (``p < 0.001``, ``p = 0.03``), never ``3.2e-05``.

Rounding is half-up, as the 2010 report's tables were (31.25 → 31.3); ``–`` stands for no value.
The analysis's JSON keeps plain numbers: only what a person reads goes through here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

NONE = "–"
P_FLOOR = 0.001


def _rounded(value: float, decimals: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def decimal_text(value: float | None, decimals: int = 1) -> str:
    """A number with ``decimals`` places and the language's decimal mark."""
    if value is None or value != value:
        return NONE
    return number_format(_rounded(value, decimals), decimal_pos=decimals, use_l10n=True)


def signed_text(value: float | None, decimals: int = 1) -> str:
    """A change with its sign (``+2,5``, ``-1.0``)."""
    if value is None or value != value:
        return NONE
    text = decimal_text(abs(value), decimals)
    return ("-" if _rounded(value, decimals) < 0 else "+") + text


def percent_text(value: float | None, decimals: int = 1) -> str:
    """A percentage on a 0–100 scale: ``12,5 %`` in Vietnamese, ``12.5 %`` in English."""
    if value is None or value != value:
        return NONE
    return f"{decimal_text(value, decimals)} %"


def percent_interval(interval: list[float] | tuple[float, float] | None) -> str:
    """A confidence interval of percentages: ``59,9 – 74,9 %``."""
    if not interval:
        return NONE
    return f"{decimal_text(interval[0])} – {decimal_text(interval[1])} %"


def signed_interval(interval: list[float] | tuple[float, float] | None) -> str:
    """An interval of changes in percentage points: ``-3,1 – +12,0``."""
    if not interval:
        return NONE
    return f"{signed_text(interval[0])} – {signed_text(interval[1])}"


SIGNIFICANCE = Decimal("0.05")
"""The level the results mark a difference significant at; a p-value near it keeps a third digit."""


def p_number(value: float | None) -> str:
    """A p-value for a column headed *p*: ``< 0.001``, else two significant digits without
    trailing zeros (``0.03``, ``0.46``, ``0.0012``, ``1``)."""
    if value is None or value != value:
        return NONE
    if value < P_FLOOR:
        return "< " + decimal_text(P_FLOOR, 3)
    rounded = Decimal(f"{value:.2g}")
    if (rounded <= SIGNIFICANCE) != (value <= float(SIGNIFICANCE)) or (
        rounded == SIGNIFICANCE and value != float(SIGNIFICANCE)
    ):
        # 0.0499 is not written "0.05" beside a result marked significant (nor 0.0501 either)
        rounded = Decimal(f"{value:.3g}")
    exponent = rounded.normalize().as_tuple().exponent
    places = max(0, -int(exponent))
    return decimal_text(float(rounded), places)


def p_text(value: float | None) -> str:
    """A p-value in a sentence: ``p < 0.001``, ``p = 0.03``."""
    number = p_number(value)
    if number == NONE:
        return f"p = {NONE}"
    return f"p {number}" if number.startswith("<") else f"p = {number}"
