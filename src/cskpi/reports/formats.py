"""Units to spreadsheet number formats and to text, per locale.

A metric's unit (see :mod:`cskpi.metrics.catalog`) decides how its figures are shown:
rates as percentages, money with two decimals, seconds as ``m:ss`` and hours as
``h:mm`` (spreadsheets store durations as fractions of a day), counts with thousands
separators.  Excel gets real numbers with a number format; the PDF gets text.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..metrics.catalog import CATALOG

PERCENT = "0.00%"  # two decimals, as every face shows a rate (84.99% is not 85.0%)
MONEY = "#,##0.00"
COUNT = "#,##0"
DECIMAL = "#,##0.0"
POINTS = "0.00"
MIN_SEC = "[m]:ss"
HOURS_MIN = "[h]:mm"

EXCEL_FORMATS: dict[str, str] = {"rate": PERCENT, "money": MONEY, "count": COUNT,
                                 "s": MIN_SEC, "h": HOURS_MIN, "decimal": DECIMAL,
                                 "points": POINTS}
DAY_S = 86_400
DAY_H = 24


def unit_of(metric: str) -> str:
    """The catalog unit of a metric (``count`` for names the catalog does not know)."""
    m = CATALOG.get(metric)
    return m.unit if m is not None else "count"


def part_unit(metric: str, part: str) -> str:
    """The unit of a rate's numerator (``num``) or denominator (``den``).

    Sums of seconds or hours are plain decimals (so ``num / den`` is checkable by eye);
    money ratios have a money numerator; the sales target completion has a money
    denominator too.
    """
    unit = unit_of(metric)
    if metric == "target_completion":
        return "money"
    if part == "num" and unit == "money":
        return "money"
    if part == "num" and unit in ("s", "h"):
        return "decimal"
    return "count"


def excel_format(unit: str) -> str:
    """The Excel number format of a unit."""
    return EXCEL_FORMATS.get(unit, COUNT)


def excel_value(value: Any, unit: str) -> float | int | None:
    """A figure as the number Excel stores for ``excel_format(unit)``.

    Durations become fractions of a day (so ``[m]:ss`` shows seconds as minutes and
    seconds); everything else becomes a float or an int.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if unit == "s":
        return float(value) / DAY_S
    if unit == "h":
        return float(value) / DAY_H
    if isinstance(value, int):
        return value
    number = float(value)
    if unit == "count" and number.is_integer():
        return int(number)
    return number


def points_text(value: Decimal | float) -> str:
    """Points as people write them: ``32``, ``7.66``."""
    d = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{d.normalize():f}" if d == d.to_integral() else f"{d:f}"


def money_text(value: Decimal | float) -> str:
    """Money with thousands separators and two decimals (``6,637.46``)."""
    return f"{Decimal(str(value)):,.2f}"


def text_value(value: Any, unit: str, lang: str = "en") -> str:
    """A figure as text in a language (``en`` or ``zh_CN``); ``—`` when there is none."""
    if value is None:
        return "—"
    zh = lang.startswith("zh")
    if unit == "rate":
        return f"{float(value):.1%}"
    if unit == "money":
        return money_text(value)
    if unit == "s":
        total = int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        minutes, seconds = divmod(total, 60)
        return f"{minutes}分{seconds:02d}秒" if zh else f"{minutes}:{seconds:02d}"
    if unit == "h":
        return f"{float(value):,.1f} 小时" if zh else f"{float(value):,.1f} h"
    if unit == "decimal":
        return f"{float(value):,.1f}"
    if isinstance(value, int) or (isinstance(value, float | Decimal)
                                  and float(value).is_integer()):
        return f"{int(value):,}"
    return f"{float(value):,.2f}"


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def period_text(period: str, lang: str = "en") -> str:
    """``2026-10`` as ``October 2026`` or ``2026年10月``."""
    year, month = (int(p) for p in period.split("-"))
    if lang.startswith("zh"):
        return f"{year}年{month}月"
    return f"{MONTHS_EN[month - 1]} {year}"


def metric_label(metric: str, lang: str = "en") -> str:
    """A metric's label from the catalog in a language (the key when it is unknown)."""
    m = CATALOG.get(metric)
    if m is None:
        return metric
    return m.zh if lang.startswith("zh") else m.en


_LONG_DECIMAL = re.compile(r"(\d+\.\d{4})\d+")


def tidy_rule(text: str) -> str:
    """A scoring rule with long decimals cut to four places (``7.6643…``), as rules
    already show rates; the exact figures are in the number columns."""
    return _LONG_DECIMAL.sub(r"\1…", text)
