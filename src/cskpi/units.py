"""Numbers, money, durations and dates for people, in English or Chinese: one formatter.

Every face (the command line, the web app, the reports, the texts of scoring rules)
shows a figure through :func:`format_value`, so 275 s reads ``4:35`` everywhere (``4分35秒``
in Chinese), a rate ``35.83%``, money ``¥1,234.50``.  Locale-aware digits and separators
come from Babel.  JSON keeps exact values; these texts are for reading only.

Units are the metric catalog's (``count``, ``rate``, ``s``, ``h``, ``money``) and a few
more for scheme texts: ``points``, ``decimal`` (a plain figure), ``percent_points``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, getcontext, localcontext
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import NumberPattern, parse_pattern

LANGS = {"en": "en", "zh_CN": "zh_Hans_CN"}
NONE = "—"


def locale_of(lang: str | None) -> str:
    """The Babel locale of a cskpi language (``en``, ``zh_CN``; ``zh…`` is Chinese)."""
    return LANGS["zh_CN"] if lang and lang.lower().startswith("zh") else LANGS["en"]


def is_zh(lang: str | None) -> bool:
    return bool(lang) and str(lang).lower().startswith("zh")


def rounded(value: Any, places: int) -> Decimal:
    """``value`` rounded half up to ``places`` decimals (no binary float surprises), in a
    context wide enough for any size (a 28-digit context fails on 10^27 to cents).
    A value rounded before is remembered, keyed by its text (``-0`` and ``0`` apart)."""
    return _rounded_text(str(value), places)


@lru_cache(maxsize=16384)
def _rounded_text(text: str, places: int) -> Decimal:
    q = Decimal(1).scaleb(-places)
    d = Decimal(text)
    if not d.is_finite():
        return d
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, d.adjusted() + places + 2)
        return d.quantize(q, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=32)
def _pattern(text: str) -> NumberPattern:
    return parse_pattern(text)


@lru_cache(maxsize=4)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _formatted(d: Decimal, pattern: str, places: int, lang: str | None) -> str:
    """``d`` (rounded to ``places``) in a Babel number pattern, as ``format_decimal``
    writes it, the pattern and locale parsed once; a value written before is not written
    again (a page of a hundred agents repeats most of its figures from one view to the
    next).  Keyed by the value's text: equal values of another sign or exponent
    (``-0.00``, ``1.0``) are other keys."""
    return _formatted_text(str(d), pattern, places, locale_of(lang))


@lru_cache(maxsize=16384)
def _formatted_text(text: str, pattern: str, places: int, locale_name: str) -> str:
    d = Decimal(text)
    number_pattern, locale = _pattern(pattern), _locale(locale_name)
    if d.is_finite() and d.adjusted() + places + 2 <= getcontext().prec:
        return number_pattern.apply(d, locale)
    with localcontext() as ctx:  # Babel quantizes in the current context: room for any size
        ctx.prec = max(ctx.prec, d.adjusted() + places + 2)
        return number_pattern.apply(d, locale)


def format_number(value: Any, lang: str | None = "en", places: int = 2) -> str:
    """A figure with thousands separators and at most ``places`` decimals: ``1,234.5``."""
    if value is None:
        return NONE
    pattern = "#,##0" + ("." + "#" * places if places else "")
    return _formatted(rounded(value, places), pattern, places, lang)


def format_count(value: Any, lang: str | None = "en") -> str:
    """A count: ``1,234`` (a non-whole count keeps two decimals)."""
    if value is None:
        return NONE
    return format_number(value, lang, 0 if Decimal(str(value)) % 1 == 0 else 2)


def format_percent(value: Any, lang: str | None = "en", places: int = 2) -> str:
    """A rate (a fraction) as a percentage: 0.358259 -> ``35.83%``; 0.35 -> ``35%``."""
    if value is None:
        return NONE
    return format_number(Decimal(str(value)) * 100, lang, places) + "%"


def format_money(value: Any, lang: str | None = "en", currency: str = "¥") -> str:
    """Money to the cent: ``¥1,234.50`` (``-¥5.00`` for a deduction)."""
    if value is None:
        return NONE
    d = rounded(value, 2)
    text = _formatted(abs(d), "#,##0.00", 2, lang)
    return f"-{currency}{text}" if d < 0 else f"{currency}{text}"


def format_seconds(value: Any, lang: str | None = "en") -> str:
    """A duration in seconds as minutes and seconds: 275 -> ``4:35`` (``4分35秒``); an hour
    or more as ``1:02:05`` (``1小时2分5秒``)."""
    if value is None:
        return NONE
    total = int(rounded(value, 0))
    sign, total = ("-", -total) if total < 0 else ("", total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if is_zh(lang):
        if hours:
            return f"{sign}{hours}小时{minutes}分{seconds}秒"
        return f"{sign}{minutes}分{seconds}秒" if minutes else f"{sign}{seconds}秒"
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"{sign}{minutes}:{seconds:02d}"


def format_hours(value: Any, lang: str | None = "en") -> str:
    """Hours with one decimal: ``7.5 h`` (``7.5 小时``)."""
    if value is None:
        return NONE
    return format_number(value, lang, 1) + (" 小时" if is_zh(lang) else " h")


def format_points(value: Any, lang: str | None = "en") -> str:
    """Scheme points: at most two decimals, none when whole: ``32``, ``7.66``."""
    return format_number(value, lang, 2)


def format_percent_points(value: Any, lang: str | None = "en") -> str:
    """A difference of two rates, in percentage points (given as points, 1.25 for 1.25
    points): ``1.25 pt`` (``1.25 个百分点``)."""
    if value is None:
        return NONE
    return format_number(value, lang, 2) + (" 个百分点" if is_zh(lang) else " pt")


def format_value(value: Any, unit: str, lang: str | None = "en") -> str:
    """A figure as people read it, by its unit; ``—`` when there is none."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return ("是" if value else "否") if is_zh(lang) else ("yes" if value else "no")
    formatter = {"rate": format_percent, "money": format_money, "s": format_seconds,
                 "h": format_hours, "count": format_count, "points": format_points,
                 "percent_points": format_percent_points}.get(unit)
    if formatter is not None:
        return formatter(value, lang)
    return format_number(value, lang, 2)


def format_date(value: dt.date, lang: str | None = "en") -> str:
    """A day: ``Oct 5, 2026`` / ``2026年10月5日`` (a day written before is remembered)."""
    day = value.date() if isinstance(value, dt.datetime) else value
    return _format_day(day, locale_of(lang))


@lru_cache(maxsize=4096)
def _format_day(day: dt.date, locale: str) -> str:
    return _babel_date(day, format="medium", locale=locale)


def format_period(period: str, lang: str | None = "en") -> str:
    """A month ``2026-10`` as ``October 2026`` / ``2026年10月`` (remembered: a scorecard
    names its months thirty times)."""
    return _format_month(period, is_zh(lang))


@lru_cache(maxsize=1024)
def _format_month(period: str, zh: bool) -> str:
    year, month = (int(p) for p in period.split("-"))
    if zh:
        return f"{year}年{month}月"
    return _babel_date(dt.date(year, month, 1), format="LLLL y", locale="en")
