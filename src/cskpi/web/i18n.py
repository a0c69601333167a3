"""Language choice and locale-aware formatting of numbers, money, dates and metrics.

The language is the user's own (``users.locale``), else the browser's first supported
``Accept-Language``, else English.  Strings come from the shared :class:`Translator`
(``web.en.json`` / ``web.zh_CN.json`` are merged into it).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from ..locale import Translator, normalise_lang
from ..metrics.catalog import CATALOG

SUPPORTED = ("en", "zh_CN")


def accept_language(header: str | None) -> str:
    """The best supported language of an ``Accept-Language`` header (English by default)."""
    if not header:
        return "en"
    ranked: list[tuple[float, int, str]] = []
    for pos, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        tag = tag.strip().lower()
        if tag.startswith("zh"):
            ranked.append((q, -pos, "zh_CN"))
        elif tag.startswith("en"):
            ranked.append((q, -pos, "en"))
    ranked = [r for r in ranked if r[0] > 0]
    return max(ranked)[2] if ranked else "en"


def resolve_lang(user_locale: str | None, header: str | None) -> str:
    """The user's language, else the browser's."""
    return normalise_lang(user_locale) if user_locale else accept_language(header)


class Formatter:
    """Formats values for one language; also exposes the translator as ``t``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in SUPPORTED else "en"
        self.t = Translator(self.lang)

    # --- numbers ------------------------------------------------------------------------

    def number(self, value: Any, digits: int = 0) -> str:
        """Grouped digits: 12,345.6 (the same grouping in both languages)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return f"{float(value):,.{digits}f}" if digits else f"{round(float(value)):,}"

    def percent(self, value: Any, digits: int = 1) -> str:
        if value is None:
            return "—"
        return f"{float(value) * 100:.{digits}f}%"

    def money(self, value: Any) -> str:
        if value is None:
            return "—"
        return "¥" + f"{Decimal(str(value)):,.2f}"

    def seconds(self, value: Any) -> str:
        if value is None:
            return "—"
        return self.t("web.unit.seconds", n=f"{float(value):,.1f}")

    def hours(self, value: Any) -> str:
        if value is None:
            return "—"
        return self.t("web.unit.hours", n=f"{float(value):,.1f}")

    # --- dates --------------------------------------------------------------------------

    def date(self, value: dt.date | str | None) -> str:
        if value is None:
            return "—"
        d = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
        if self.lang == "zh_CN":
            return f"{d.year}年{d.month}月{d.day}日"
        return d.strftime("%b ") + f"{d.day}, {d.year}"

    def datetime(self, value: dt.datetime | None) -> str:
        if value is None:
            return "—"
        return f"{self.date(value.date())} {value:%H:%M} UTC"

    def period(self, value: str) -> str:
        """A month ``YYYY-MM`` as 2026年10月 or October 2026."""
        d = dt.date.fromisoformat(value + "-01")
        return f"{d.year}年{d.month}月" if self.lang == "zh_CN" else d.strftime("%B %Y")

    # --- metrics ------------------------------------------------------------------------

    def metric_label(self, key: str) -> str:
        m = CATALOG.get(key)
        if m is None:
            return key
        return m.zh if self.lang == "zh_CN" else m.en

    def metric(self, key: str, value: Any) -> str:
        """A metric value in its unit (rate, seconds, hours, money, count)."""
        unit = CATALOG[key].unit if key in CATALOG else "count"
        if unit == "rate":
            return self.percent(value)
        if unit == "money":
            return self.money(value)
        if unit == "s":
            return self.seconds(value)
        if unit == "h":
            return self.hours(value)
        if isinstance(value, float) and not value.is_integer():
            return self.number(value, 2)
        return self.number(value)

    def points(self, value: Any) -> str:
        """Scheme points, at most two decimals."""
        if value is None:
            return "—"
        text = f"{Decimal(str(value)).quantize(Decimal('0.01')):,}"
        return text.rstrip("0").rstrip(".") if "." in text else text
