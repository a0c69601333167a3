"""Figures beside the previous period's: ▲/▼ and the change, better or worse.

The previous period is of the same kind: the previous month of a month, the previous
ISO week of a week, and as many days just before of a range of days
(:meth:`cskpi.period.Period.previous`); a scorecard's is the previous month.

Nothing here computes a figure: the previous month's rows and cards come from the same
gateway calls as the month's own (cached), and this module only puts the two side by
side.  A rate changes in percentage points (▲ 5 pt), a count, sum or duration by its
difference in its own unit (▼ 0:08, ▲ ¥300.00) and, for the overview's cards, also
relatively (+25%).  Whether a change is *better* follows the catalog's direction: for
response times and refund rates a fall is better.  When the previous month has no data
(or the group had none in it), the change says so ("no previous data"), never compares
against zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.orm import Session

from ... import units
from ...metrics.catalog import CATALOG
from ...months import previous_month
from ...period import Period
from ..i18n import Formatter
from .gateway import DataGateway
from .records import ScorecardView
from .records import scorecard as build_scorecard
from .views import has_data

Tone = Literal["better", "worse", "same", "neutral", "none"]


@dataclass(frozen=True)
class Change:
    """How a figure moved since the previous month, as the page shows it.

    ``text``: ``▲ 5 pt``, ``▼ 0:08``, ``= 0`` or "no previous data"; ``relative``: ``+25%``
    for a count, sum or duration whose previous figure is not zero (else empty);
    ``tone``: better / worse / same / neutral (a metric with no better direction) /
    none (nothing to compare with); ``title``: the previous figure, in words."""

    text: str
    tone: Tone
    title: str
    relative: str = ""


def previous_rows(data: DataGateway, period: str | Period,
                  by: str) -> dict[Any, dict[str, Any]] | None:
    """The previous period's metric rows by group (agent id, team, ``shop``), from the
    gateway's cached call; None when that period has no data at all.  The previous period
    is of the same kind (:meth:`Period.previous`): the month, the ISO week, or as many
    days just before."""
    previous = Period.of(period).previous()
    if not data.has_data(previous):
        return None
    field = {"agent": "agent_id", "team": "team", "shop": "shop"}[by]
    return {row.get(field): row for row in data.metrics(previous, by)}


def previous_card(db: Session, data: DataGateway, view: ScorecardView,
                  scheme: str | None) -> dict[str, Any] | None:
    """The agent's card of the previous month under the same scheme choice (``scheme``, as
    the page was asked for): the locked one when that month is locked, else the live one
    (the gateway's cached scoring); None when the agent had no data then."""
    if view.card is None:
        return None
    previous = previous_month(view.period)
    agent_id = str(view.agent["agent_id"])
    before = build_scorecard(db, data, agent_id, previous, scheme, with_entries=False)
    if before.card is None or before.scheme != view.scheme:
        return None
    if before.lock is None:
        rows = previous_rows(data, view.period, "agent") or {}
        if not has_data(rows.get(agent_id)):
            return None  # a card of nothing: all zeros, not a month to compare with
    return before.card


class Comparer:
    """Builds the :class:`Change` of figures of ``period`` (a month ``YYYY-MM``, or a
    :class:`Period`) against the previous period of the same kind, in one language
    (``fmt``)."""

    def __init__(self, fmt: Formatter, period: str | Period) -> None:
        self.fmt = fmt
        self.previous: str | Period = (period.previous() if isinstance(period, Period)
                                       else previous_month(period))
        self.previous_text = fmt.period(self.previous)

    def none(self) -> Change:
        """Nothing to compare with: the previous month (or this group in it) has no data."""
        t = self.fmt.t
        return Change(t("web.compare.no_previous"), "none",
                      t("web.compare.no_previous_title", previous=self.previous_text))

    def metric(self, key: str, now: Any, before_row: Mapping[str, Any] | None) -> Change | None:
        """A catalog metric's change; None when the month has no figure (nothing to
        show); "no previous data" when the previous row has none or no data at all."""
        if now is None:
            return None
        before = before_row.get(key) if before_row is not None and has_data(before_row) else None
        if before is None:
            return self.none()
        metric = CATALOG.get(key)
        unit = metric.unit if metric is not None else "count"
        direction = metric.direction if metric is not None else "neutral"
        return self._change(unit, direction, now, before,
                            self.fmt.metric(key, before))

    def points(self, now: Any, before: Any, has_before: bool = True) -> Change | None:
        """Scheme points (a score, an item's points): higher is better."""
        if now is None:
            return None
        if not has_before or before is None:
            return self.none()
        return self._change("points", "higher", now, before, self.fmt.points(before))

    def rank(self, now: int | None, before: int | None) -> Change | None:
        """A place in a ranking: ▲ 2 when two places up (a smaller number is better)."""
        if now is None:
            return None
        if before is None:
            return self.none()
        moved = before - now
        t = self.fmt.t
        title = t("web.compare.rank_title", previous=self.previous_text, rank=before)
        if moved == 0:
            return Change(t("web.change.same"), "same", title)
        text = t("web.change.up" if moved > 0 else "web.change.down", n=abs(moved))
        return Change(text, "better" if moved > 0 else "worse", title)

    def _change(self, unit: str, direction: str, now: Any, before: Any,
                before_text: str) -> Change:
        t = self.fmt.t
        diff = Decimal(str(now)) - Decimal(str(before))
        scale = 100 if unit == "rate" else 1
        if units.rounded(diff * scale, 2) == 0:
            return Change(t("web.change.same"), "same",
                          t("web.compare.same_title", previous=self.previous_text,
                            before=before_text))
        shown = units.format_value(abs(diff) * scale,
                                   "percent_points" if unit == "rate" else unit, self.fmt.lang)
        text = t("web.change.up" if diff > 0 else "web.change.down", n=shown)
        tone: Tone = "neutral"
        if direction in ("higher", "lower"):
            tone = "better" if (diff > 0) == (direction == "higher") else "worse"
        title_key = {"better": "web.compare.better_title", "worse": "web.compare.worse_title",
                     "neutral": "web.change.title"}[tone]
        title = t(title_key, previous=self.previous_text, before=before_text)
        relative = ""
        if unit not in ("rate", "points") and Decimal(str(before)) != 0:
            share = diff / abs(Decimal(str(before))) * 100
            relative = ("+" if share > 0 else "-") + units.format_number(abs(share),
                                                                         self.fmt.lang, 1) + "%"
        return Change(text, tone, title, relative)


def ranks(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, int]:
    """Each agent's place in a ranked list (1 first), for the agents that have the ranking
    figure (those without it stand last, unranked, and have no place to compare)."""
    return {str(row.get("agent_id")): place
            for place, row in enumerate(rows, start=1) if row.get(key) is not None}


def matches(row: Mapping[str, Any], search: str) -> bool:
    """Whether an agent's id or name contains ``search`` (case-insensitive)."""
    needle = search.strip().casefold()
    return not needle or any(needle in str(row.get(field) or "").casefold()
                             for field in ("agent_id", "name"))
