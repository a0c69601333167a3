"""Sessions and the 3-minute reply rate by day of the week and hour of the day.

Counted from the session facts the catalog counts from (:mod:`cskpi.metrics.cache`), each
session at the local hour its human stage began: the moment the catalog files it under
(a session counts on the local day of its human start, its rounds with it).  So a cell's
figures are the catalog's own, cut finer:

- ``sessions``: the catalog's ``sessions`` (every session of the group whose human start
  is in the period; the shop's include sessions no agent served);
- ``reply_3min_rate``: the catalog's numerator ``window_rounds_in_time`` over its
  denominator ``window_rounds`` (:data:`RATE_FIELDS`), i.e. the rounds answered within the
  profile's ``reply_within_s`` over the rounds in its service window.

The cells of a period add up to the period's figures exactly: the sum of the sessions is
its ``sessions``, the sum of the numerators over the sum of the denominators its
``reply_3min_rate`` (a test checks both against the catalog).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from .catalog import CATALOG
from .families.common import on_days, with_team

WEEKDAYS = 7  # 0 Monday … 6 Sunday, as Python's date.weekday()
HOURS = 24

RATE = "reply_3min_rate"
# the catalog's numerator and denominator of the rate -> the session facts' column that
# holds each per session (the daily rollups sum exactly these, cskpi.metrics.families.service)
FACT_OF_FIELD = {"window_rounds_in_time": "in_time_in_window",
                 "window_rounds": "rounds_in_window"}
_num, _den = CATALOG[RATE].num, CATALOG[RATE].den
assert _num is not None and _den is not None
RATE_FIELDS = (_num.field, _den.field)
NUM_COLUMN, DEN_COLUMN = (FACT_OF_FIELD[f] for f in RATE_FIELDS)


@dataclass(frozen=True)
class HeatmapQuery:
    """The period (local days, inclusive) and whose sessions: one agent's, one team's, or
    (neither) the whole shop's."""

    start: dt.date
    end: dt.date
    profile: Any  # cskpi.metrics.profiles.Profile: the service window and reply_within_s
    agent: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class HeatCell:
    """One day of the week and hour: its sessions and the rounds behind the rate."""

    weekday: int  # 0 Monday … 6 Sunday
    hour: int  # 0-23, the shop's local time
    sessions: int
    rounds_in_time: int  # the rate's numerator
    rounds: int  # its denominator

    @property
    def reply_3min_rate(self) -> float | None:
        """Rounds answered in time / rounds; None where there is no round."""
        return self.rounds_in_time / self.rounds if self.rounds else None


@dataclass(frozen=True)
class Heatmap:
    """Every cell of the week (7 × 24, zeros where nothing happened), Monday 0:00 first."""

    cells: tuple[HeatCell, ...]

    def cell(self, weekday: int, hour: int) -> HeatCell:
        return self.cells[weekday * HOURS + hour]

    @property
    def sessions(self) -> int:
        return sum(c.sessions for c in self.cells)

    @property
    def rounds_in_time(self) -> int:
        return sum(c.rounds_in_time for c in self.cells)

    @property
    def rounds(self) -> int:
        return sum(c.rounds for c in self.cells)

    @property
    def reply_3min_rate(self) -> float | None:
        """The period's rate: all the numerators over all the denominators (the catalog's
        figure, not a mean of the cells)."""
        return self.rounds_in_time / self.rounds if self.rounds else None

    def grid(self, field: str) -> list[list[Any]]:
        """``field`` (sessions, reply_3min_rate …) as 7 rows of 24 hours."""
        return [[getattr(self.cell(d, h), field) for h in range(HOURS)]
                for d in range(WEEKDAYS)]


def empty() -> Heatmap:
    return of_rows([])


def of_rows(rows: list[dict[str, Any]]) -> Heatmap:
    """The heatmap of the counted rows (weekday, hour, sessions, rounds_in_time, rounds);
    the cells without a row are zeros."""
    found = {(int(r["weekday"]), int(r["hour"])): r for r in rows}
    cells = []
    for d in range(WEEKDAYS):
        for h in range(HOURS):
            r = found.get((d, h), {})
            cells.append(HeatCell(d, h, int(r.get("sessions") or 0),
                                  int(r.get("rounds_in_time") or 0),
                                  int(r.get("rounds") or 0)))
    return Heatmap(tuple(cells))


def heatmap_table(facts: ir.Table, agents: ir.Table | None, q: HeatmapQuery) -> ir.Table:
    """The counts per (weekday, hour) of the sessions of ``facts`` that ``q`` selects
    (a team's: those of the agents the roster ``agents`` puts in it, as the team's
    figures)."""
    f = facts.filter(on_days(facts.human_local, q.start, q.end))
    if q.agent is not None:
        f = f.filter(f.agent_id == q.agent)
    if q.team is not None:
        if agents is None:
            raise ValueError("a team's heatmap needs the roster")
        f = with_team(f, agents)
        f = f.filter(f.team == q.team)
    f = f.mutate(weekday=f.human_local.day_of_week.index(), hour=f.human_local.hour())
    return f.group_by(["weekday", "hour"]).agg(
        sessions=f.count(), rounds_in_time=f[NUM_COLUMN].sum(), rounds=f[DEN_COLUMN].sum())

