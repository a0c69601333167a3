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
from zoneinfo import ZoneInfo

from .. import units
from ..locale import Translator, normalise_lang
from ..metrics.catalog import CATALOG
from ..period import Period

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

    def __init__(self, lang: str, timezone: str | None = None) -> None:
        self.lang = lang if lang in SUPPORTED else "en"
        self.t = Translator(self.lang)
        self.timezone = timezone  # the shop's: times are shown in it (None: in UTC)

    # --- numbers: all through cskpi.units, the one formatter of every face -------------

    def number(self, value: Any, digits: int = 0) -> str:
        """Grouped digits: 12,345.6 (at most ``digits`` decimals)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return units.NONE
        return units.format_number(value, self.lang, digits)

    def percent(self, value: Any, digits: int = 2) -> str:
        """A rate as a percentage, to two decimals as in every face: 84.99%, not 85.0%."""
        if value is None:
            return units.NONE
        return units.format_percent(value, self.lang, digits)

    def money(self, value: Any) -> str:
        return units.format_money(value, self.lang)

    def seconds(self, value: Any) -> str:
        """A duration: 4:35 (4分35秒)."""
        return units.format_seconds(value, self.lang)

    def hours(self, value: Any) -> str:
        return units.format_hours(value, self.lang)

    # --- dates --------------------------------------------------------------------------

    def date(self, value: dt.date | str | None) -> str:
        if value is None:
            return units.NONE
        d = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
        return units.format_date(d, self.lang)

    def datetime(self, value: dt.datetime | str | None) -> str:
        """A moment in the shop's time zone (the app database keeps UTC; a naive value is
        UTC, a text ISO 8601): ``Oct 5, 2026 14:03``; in UTC, marked so, when the shop's
        zone is unknown.  A workspace's local time is :meth:`local`'s."""
        if value is None:
            return units.NONE
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        if self.timezone is None:
            value = value.astimezone(dt.UTC)
            return f"{self.date(value.date())} {value:%H:%M} UTC"
        local = value.astimezone(ZoneInfo(self.timezone))
        return f"{self.date(local.date())} {local:%H:%M}"

    def local(self, value: dt.datetime | None) -> str:
        """A wall-clock time of the shop as the core gives it (its ``_local`` values are
        naive and already in the shop's zone): ``Oct 5, 2026 14:03``."""
        if value is None:
            return units.NONE
        return f"{self.date(value.date())} {value:%H:%M}"

    def period(self, value: str | Period) -> str:
        """A month ``YYYY-MM`` as 2026年10月 or October 2026; a week as 2026-W45 (11-02 –
        11-08) or 2026年第45周（11-02 – 11-08）; days as 2026-11-01 – 2026-11-15."""
        if not isinstance(value, Period):
            return units.format_period(value, self.lang)
        if value.kind == "month":
            return units.format_period(value.key, self.lang)
        if value.kind == "week":
            year, week, _ = value.first.isocalendar()
            # ISO writes the week with two digits (2026-W05); Chinese counts it (第5周)
            number = str(week) if self.lang == "zh_CN" else f"{week:02d}"
            return self.t("web.ranges.week_label", year=f"{year:04d}", week=number,
                          first=f"{value.first:%m-%d}",
                          last=f"{value.last:%m-%d}")
        if value.first == value.last:
            return value.first.isoformat()
        return self.t("web.ranges.days_label", first=value.first.isoformat(),
                      last=value.last.isoformat())

    # --- metrics ------------------------------------------------------------------------

    def metric_label(self, key: str) -> str:
        m = CATALOG.get(key)
        if m is None:
            return key
        return m.zh if self.lang == "zh_CN" else m.en

    def definition(self, key: str) -> str:
        """A metric's definition for readers, in words (``metric.definition.KEY``; the
        catalog's own, for the docs, names keys and settings)."""
        code = f"metric.definition.{key}"
        return self.t(code) if self.t.has(code) else ""

    def profile(self, name: str) -> str:
        """A platform profile by its name in the reader's language (淘宝, Taobao)."""
        code = f"web.drill.profile.{name}"
        return self.t(code) if self.t.has(code) else name

    def item(self, label: str, key: str, label_en: str | None = None,
             metric: str | None = None) -> str:
        """A scheme item's name for this reader (:func:`cskpi.scoring.texts.item_label`):
        the shop's label, in English pages its ``label_en`` or the label and a gloss."""
        from ..scoring.texts import item_label

        return item_label(label, key, self.lang, label_en, metric)

    def metric(self, key: str, value: Any) -> str:
        """A metric value in its unit (rate, seconds, hours, money, count)."""
        if isinstance(value, float) and math.isnan(value):
            return units.NONE
        return units.format_value(value, CATALOG[key].unit if key in CATALOG else "count",
                                  self.lang)

    def change(self, key: str, now: Any, before: Any) -> str:
        """The change of a metric from the previous period: ▲ 12, ▼ ¥300.00, ▲ 1.25 pt
        for a rate (percentage points, 个百分点); empty when either value is missing."""
        if now is None or before is None:
            return ""
        unit = CATALOG[key].unit if key in CATALOG else "count"
        diff = Decimal(str(now)) - Decimal(str(before))
        if unit == "rate":
            shown = units.format_value(abs(diff) * 100, "percent_points", self.lang)
        else:
            shown = units.format_value(abs(diff), unit, self.lang)
        if units.rounded(diff * (100 if unit == "rate" else 1), 2) == 0:
            return self.t("web.change.same")
        return self.t("web.change.up" if diff > 0 else "web.change.down", n=shown)

    def points(self, value: Any) -> str:
        """Scheme points, at most two decimals."""
        if value is None:
            return units.NONE
        return units.format_points(value, self.lang)
