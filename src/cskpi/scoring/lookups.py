"""What formulas look up, resolved in the order scoring computes it.

A formula's plain names are metric values of the agent (or the names its place in the
scheme gives: ``pool``, ``score``, ``level_factor`` …); its lookups are resolved here:

* ``target('KEY')``: the agent's target of a metric (targets table, else the scheme's
  ``targets`` rule); a missing one is a ``missing_target`` problem, reported once;
* ``team('KEY')`` / ``shop('KEY')``: the group's value of a metric (its row), or of
  ``score`` (the sum of the scores of the agents the scheme covers there);
* ``team_avg('KEY')``: the mean of those agents' values;
* ``prev('KEY')``: the agent's value last period (metrics, ``score``, ``level_factor``);
* ``streak('LEVEL')``: consecutive periods at that level, this one included.

Scores and levels exist only once every item is scored: the loader refuses formulas
that read them before (``formula_cycle``), so here they are always known when asked.

This module also merges the complaints table into the events (each complaint once) and
counts attendance occurrences (runs of consecutive days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..scheme import Formula
from .cards import ScoreProblem, ScoringInput, metric_value
from .texts import metric_ref

ZERO = Decimal(0)
COMPLAINT = "complaint"


@dataclass
class Resolver:
    """Formula environments for the agents a scheme covers in one period."""

    inp: ScoringInput
    agents: Sequence[Mapping[str, Any]]
    problems: list[ScoreProblem]
    scores: dict[str, Decimal] | None = None  # known after the items
    levels: dict[str, str | None] | None = None  # known after the scores
    reported: set[tuple[str, str]] = field(default_factory=set)

    def team_of(self, agent_id: str) -> Any:
        return next((a.get("team") for a in self.agents if a["agent_id"] == agent_id), None)

    def env(self, formula: Formula, agent_id: str | None = None, team: Any = None,
            names: Mapping[str, Decimal | None] | None = None) -> dict[str, Decimal | None]:
        """The values ``formula`` reads for an agent (or for a team's pool: ``team``)."""
        row = self.inp.metrics.get(agent_id, {}) if agent_id is not None else {}
        if agent_id is not None and team is None:
            team = self.team_of(agent_id)
        out: dict[str, Decimal | None] = {}
        for name in formula.names:
            out[name] = names[name] if names is not None and name in names else metric_value(
                row, name)[0]
        for lookup in formula.lookups:
            out[lookup.name] = self.lookup(lookup.func, lookup.key, agent_id, team)
        return out

    def lookup(self, func: str, key: str, agent_id: str | None,
               team: Any) -> Decimal | None:
        if func == "target":
            return self.target(agent_id, key) if agent_id is not None else None
        if func == "prev":
            return self.previous(agent_id, key) if agent_id is not None else None
        if func == "streak":
            return Decimal(self.streak(agent_id, key)) if agent_id is not None else None
        members = [a["agent_id"] for a in self.agents
                   if func == "shop" or a.get("team") == team]
        if func == "team_avg":
            values = [v for v in (self.value(a, key) for a in members) if v is not None]
            return sum(values, ZERO) / len(values) if values else None
        if key == "score":
            return sum((self.value(a, key) or ZERO for a in members), ZERO)
        group = self.inp.shop_metrics if func == "shop" else self.inp.team_metrics.get(team, {})
        return metric_value(group, key)[0]

    def value(self, agent_id: str, key: str) -> Decimal | None:
        """An agent's score (once known) or metric value."""
        if key == "score":
            return (self.scores or {}).get(agent_id)
        return metric_value(self.inp.metrics.get(agent_id, {}), key)[0]

    def target(self, agent_id: str, metric: str) -> Decimal | None:
        target = self.inp.targets.get((agent_id, metric))
        if (target is None or target <= 0) and (agent_id, metric) not in self.reported:
            self.reported.add((agent_id, metric))
            self.problems.append(ScoreProblem(agent_id, "missing_target", {
                "metric": metric_ref(metric), "agent": agent_id, "period": self.inp.period,
                "item": metric}))
            return None
        return target if target is not None and target > 0 else None

    def previous(self, agent_id: str, key: str) -> Decimal | None:
        row = self.inp.previous.get(agent_id)
        if row is None:
            return None
        if key in ("score", "level_factor"):
            value = row.get(key)
            return Decimal(str(value)) if value is not None else None
        return metric_value(row, key)[0]

    def streak(self, agent_id: str, level: str) -> int:
        """Periods in a row at ``level``, this one included (0: not at it now)."""
        now = (self.levels or {}).get(agent_id)
        if now != level:
            return 0
        before, count = self.inp.streaks.get(agent_id, (None, 0))
        return count + 1 if before == level else 1


def events_of(inp: ScoringInput, agent_id: str, kind: str) -> list[dict[str, Any]]:
    """An agent's events of a kind in the period, each with its ``points`` (None: none set).

    Complaints: when the workspace has a complaints table, its verified rows count (with
    their ``points``, 扣分) and an unverified one never does; a complaint event whose note
    names a complaint of the table is that complaint (its points fill in when the row has
    none), so each complaint counts once.  Without a complaints table, complaint events
    count as before.
    """
    events = [dict(e) for e in inp.events if e["agent_id"] == agent_id and e["kind"] == kind]
    if kind != COMPLAINT or inp.complaints is None:
        return events
    table = {str(c.get("complaint_id")): c for c in inp.complaints
             if c.get("agent_id") == agent_id}
    by_note = {str(e.get("note") or "").strip(): e for e in events}
    out = []
    for complaint_id, row in sorted(table.items()):
        if not row.get("verified"):
            continue
        points = row.get("points")
        event = by_note.get(complaint_id)
        if points is None and event is not None:
            points = event.get("points")
        out.append({"agent_id": agent_id, "kind": kind, "points": points,
                    "note": complaint_id, "complaint": True})
    out += [e for e in events if str(e.get("note") or "").strip() not in table]
    return out


def occurrences(inp: ScoringInput, agent_id: str, status: str) -> int | None:
    """Runs of consecutive days an agent had an attendance status (None: no attendance
    rows were given, so only the metric's count of days is known)."""
    if inp.attendance is None:
        return None
    days = sorted({_day(r["date"]) for r in inp.attendance
                   if r["agent_id"] == agent_id and r["status"] == status})
    return sum(1 for i, d in enumerate(days) if i == 0 or (d - days[i - 1]).days != 1)


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
