"""What every family's query shares: the periods asked for, grouping by agent, team or
shop, time arithmetic on naive UTC and local timestamps, small in-memory tables."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from ...months import is_whole_month, month_end
from ..ibis_adapter import named_memtable
from ..inputs import Inputs

GROUP_COL = "group_key"
BUCKET_COL = "bucket"


@dataclass(frozen=True)
class Buckets:
    """The periods asked for: ``grain`` day/week/month, or one range."""

    start: dt.date
    end: dt.date  # inclusive
    grain: str | None  # None: the whole range is one period

    def periods(self) -> list[tuple[dt.date, dt.date, dt.date]]:
        """(bucket key, period_start, period_end) for every period, clipped to the range."""
        out = []
        key = self._truncate(self.start)
        while key <= self.end:
            nxt = self._next(key)
            out.append((key, max(key, self.start), min(nxt - dt.timedelta(days=1), self.end)))
            key = nxt
        return out

    def _truncate(self, d: dt.date) -> dt.date:
        if self.grain == "week":
            return d - dt.timedelta(days=d.weekday())
        if self.grain == "month":
            return d.replace(day=1)
        return d if self.grain == "day" else self.start

    def _next(self, d: dt.date) -> dt.date:
        if self.grain == "day":
            return d + dt.timedelta(days=1)
        if self.grain == "week":
            return d + dt.timedelta(days=7)
        if self.grain == "month":
            return month_end(d) + dt.timedelta(days=1)
        return self.end + dt.timedelta(days=1)

    def whole_months(self) -> bool:
        """Whether every period is one whole calendar month."""
        return all(is_whole_month(s, e) for _, s, e in self.periods())


def on_days(col: ir.TimestampValue | ir.DateValue, first: dt.date,
            last: dt.date) -> ir.BooleanValue:
    """Whether a local timestamp or a date falls on a day from ``first`` to ``last``."""
    if isinstance(col, ir.TimestampValue):
        # compared as timestamps, not as dates: a stored column's min/max then skip rows
        after = last + dt.timedelta(days=1)
        return (col >= ibis.timestamp(first.isoformat())) & (
            col < ibis.timestamp(after.isoformat()))
    return (col >= ibis.date(first.isoformat())) & (col <= ibis.date(last.isoformat()))


def in_range(col: ir.TimestampValue | ir.DateValue, b: Buckets) -> ir.BooleanValue:
    """Whether a local timestamp or date falls on a day of the range."""
    return on_days(col, b.start, b.end)


def bucket(col: ir.TimestampValue | ir.DateValue, b: Buckets) -> ir.DateValue:
    """The key of the period a local timestamp or date falls in (its first day)."""
    d = col.date() if isinstance(col, ir.TimestampValue) else col
    if b.grain == "day":
        return d
    if b.grain == "week":
        return d.truncate("W")
    if b.grain == "month":
        return d.truncate("M")
    return ibis.date(b.start.isoformat())


def seconds(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """Exact seconds between two naive UTC timestamps (microsecond resolution)."""
    return later.delta(earlier, unit="microsecond").cast("float64") / 1_000_000


def time_of_day_s(local: ir.TimestampValue) -> ir.IntegerValue:
    return local.hour() * 3600 + local.minute() * 60 + local.second()


def agents_table(inp: Inputs) -> ir.Table:
    a = inp.get("agents")
    return a.select("agent_id", "name", "role", "team", "level", "active")


def with_group_key(t: ir.Table, by: str, agent_col: str = "agent_id") -> ir.Table:
    """Add the group key: the agent, the agent's team, or the whole shop."""
    if by == "shop":
        return t.mutate(**{GROUP_COL: ibis.literal("shop")})
    if by == "agent":
        return t.mutate(**{GROUP_COL: t[agent_col]})
    return t.mutate(**{GROUP_COL: t["team"]})


def with_team(t: ir.Table, agents: ir.Table, agent_col: str = "agent_id") -> ir.Table:
    a = agents.select(_a_id=agents.agent_id, team=agents.team, role=agents.role)
    return t.left_join(a, t[agent_col] == a._a_id).drop("_a_id")


def session_kind(kind: ir.StringValue, role: ir.StringValue) -> ir.StringValue:
    """A session's kind; when blank, the agent's role decides (after-sale, else pre-sale)."""
    return ibis.coalesce(kind, ibis.cases((role == "aftersale", "aftersale"),
                                          else_="presale"))


def periods_table(columns: dict[str, list[Any]]) -> ir.Table:
    """A small in-memory table of periods, named after its contents.

    The same periods give the same name in every process, so a query on them is the same
    query to the compiled-SQL store (:mod:`cskpi.metrics.compiled`), which keeps tables
    named ``cskpi_rows_*`` by name; a random name would make it new every time.
    """
    text = repr(sorted(columns.items()))
    name = "cskpi_rows_" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return named_memtable(columns, name)
