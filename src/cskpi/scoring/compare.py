"""Two scorings of the same agents side by side.

- :func:`compare`: a period scored under the current and an edited scheme (the scheme
  what-if: who gains, who loses), every agent with both sides, in exact decimals.
- :func:`diff_snapshots`: what a snapshot of a month changes against another (the live
  figures against the latest lock, a locked version against the one before): only the
  figures an agent is paid and ranked on that differ.

Both pair the agents by ID (:func:`paired`) and list the biggest pay change first
(:func:`biggest_change_first`); the web pages, the CLI and the reports all call these.

What counts as a change in a snapshot diff is what an agent is paid and ranked on: score,
rank, pass and veto, each pay part, each item's and adjustment's points, the problems,
and the scheme version.  A metric value that moves within the same tier changes no
points, so it is not a change: the published figures would be the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from .cards import ScoreCard, ScoreResult
from .snapshots import ADJUSTMENT, PAY_PARTS, AgentRow, Snapshot, rows

ZERO = Decimal(0)
# the headline figures compared per agent, in the order the diff lists them
HEADLINE = ("rank", "score", "passed", "vetoed", *(f"pay.{p}" for p in PAY_PARTS))
T = TypeVar("T")


def paired(before: Mapping[str, T], after: Mapping[str, T]
           ) -> Iterator[tuple[str, T | None, T | None]]:
    """Every agent ID on either side, in order, with each side (None where absent)."""
    for agent_id in sorted(set(before) | set(after)):
        yield agent_id, before.get(agent_id), after.get(agent_id)


def biggest_change_first(agent_id: str, pay_delta: Decimal | float,
                         score_delta: Decimal | float = 0) -> tuple[Any, ...]:
    """Sort key: the biggest pay change first, then the biggest score change, then by
    agent ID (a new or gone agent's pay change is their whole pay)."""
    return -abs(pay_delta), -abs(score_delta), agent_id


# --- scheme what-if ------------------------------------------------------------------------


@dataclass
class Change:
    agent_id: str
    name: str | None
    old_score: Decimal | None
    new_score: Decimal | None
    old_pay: Decimal | None
    new_pay: Decimal | None
    old_passed: bool | None
    new_passed: bool | None
    old_level: str | None = None  # the scheme's level (金牌 …), when it has levels
    new_level: str | None = None
    old_lines: Decimal | None = None  # pool shares and money per event
    new_lines: Decimal | None = None

    @property
    def score_delta(self) -> Decimal:
        return (self.new_score or ZERO) - (self.old_score or ZERO)

    @property
    def pay_delta(self) -> Decimal:
        return (self.new_pay or ZERO) - (self.old_pay or ZERO)

    @property
    def direction(self) -> int:
        """1 for a gain, -1 for a loss, 0 for none: pay decides, the score when pay is
        equal."""
        delta = self.pay_delta or self.score_delta
        return (delta > 0) - (delta < 0)

    def to_dict(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "name": self.name,
                "old_score": self.old_score, "new_score": self.new_score,
                "score_delta": self.score_delta, "old_pay": self.old_pay,
                "new_pay": self.new_pay, "pay_delta": self.pay_delta,
                "old_passed": self.old_passed, "new_passed": self.new_passed,
                "old_level": self.old_level, "new_level": self.new_level,
                "old_lines": self.old_lines, "new_lines": self.new_lines}


def compare(old: ScoreResult, new: ScoreResult) -> list[Change]:
    """Every agent scored by either scheme, biggest pay change first, then biggest score
    change."""
    out = []
    for agent_id, a, b in paired({c.agent_id: c for c in old.cards},
                                 {c.agent_id: c for c in new.cards}):
        either = a or b
        assert either is not None
        out.append(Change(agent_id, either.name,
                          a.score if a else None, b.score if b else None,
                          a.pay.total if a else None, b.pay.total if b else None,
                          a.passed if a else None, b.passed if b else None,
                          a.level if a else None, b.level if b else None,
                          _lines(a), _lines(b)))
    out.sort(key=lambda c: biggest_change_first(c.agent_id, c.pay_delta, c.score_delta))
    return out


def gains_and_losses(changes: list[Change]) -> tuple[int, int]:
    """How many agents gain and how many lose (see :attr:`Change.direction`)."""
    return (sum(1 for c in changes if c.direction > 0),
            sum(1 for c in changes if c.direction < 0))


def _lines(card: ScoreCard | None) -> Decimal | None:
    """A card's pool shares and money per event (None: it has none)."""
    if card is None or not card.pay.lines:
        return None
    return sum((line.amount for line in card.pay.lines), ZERO)


# --- snapshot diff ------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureChange:
    """One figure that differs: before → after (None on the side where it is absent)."""

    key: str  # a HEADLINE key, an item key, or ADJUSTMENT + event
    label: str | None  # the item label or event name; None for headline figures
    before: Any
    after: Any

    @property
    def delta(self) -> float | None:
        """after − before for numbers (None for yes/no figures and absent sides)."""
        if isinstance(self.before, bool) or isinstance(self.after, bool):
            return None
        if isinstance(self.before, (int, float)) and isinstance(self.after, (int, float)):
            return round(self.after - self.before, 6)
        return None

    @property
    def adjustment(self) -> bool:
        return self.key.startswith(ADJUSTMENT)


@dataclass(frozen=True)
class AgentDiff:
    """What changes for one agent; ``status`` is changed, added or removed."""

    agent_id: str
    name: str | None
    status: str
    figures: tuple[FigureChange, ...]
    items: tuple[FigureChange, ...]

    def figure(self, key: str) -> FigureChange | None:
        return next((c for c in self.figures if c.key == key), None)

    @property
    def pay_change(self) -> float:
        """How much the total pay moves (a new or gone agent: their whole pay)."""
        total = self.figure("pay.total")
        return 0.0 if total is None else (total.after or 0) - (total.before or 0)


@dataclass(frozen=True)
class SnapshotDiff:
    """Everything that differs between two snapshots; false when nothing does."""

    agents: tuple[AgentDiff, ...]
    problems_added: tuple[Mapping[str, Any], ...]
    problems_resolved: tuple[Mapping[str, Any], ...]
    scheme_version: tuple[Any, Any] | None  # (before, after) when it differs

    def __bool__(self) -> bool:
        return bool(self.agents or self.problems_added or self.problems_resolved
                    or self.scheme_version)

    @property
    def agent_ids(self) -> list[str]:
        return [a.agent_id for a in self.agents]


def _headline(row: AgentRow | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {"rank": row.rank, "score": row.score, "passed": row.passed,
            "vetoed": row.vetoed, **{f"pay.{k}": v for k, v in row.pay.items()}}


def _agent_diff(old: AgentRow | None, new: AgentRow | None) -> AgentDiff | None:
    either = new or old
    assert either is not None
    a, b = _headline(old), _headline(new)
    figures = tuple(FigureChange(k, None, a.get(k), b.get(k)) for k in HEADLINE
                    if a.get(k) != b.get(k))
    pa, pb = (old.points if old else {}), (new.points if new else {})
    labels = {**(old.labels if old else {}), **(new.labels if new else {})}
    items = tuple(FigureChange(k, labels[k], pa.get(k), pb.get(k))
                  for k in dict.fromkeys([*pa, *pb]) if pa.get(k) != pb.get(k))
    if not (figures or items):
        return None
    status = "added" if old is None else "removed" if new is None else "changed"
    return AgentDiff(either.agent_id, either.name, status, figures, items)


def _problem_key(p: Mapping[str, Any]) -> tuple[Any, ...]:
    return p.get("agent_id"), p.get("code"), p.get("message")


def diff_snapshots(before: Snapshot, after: Snapshot) -> SnapshotDiff:
    """What ``after`` changes against ``before``: agents with the biggest pay change
    first, then by agent ID (an agent whose score moves but not their pay keeps the ID
    order: the review lists them as they read in the month's table)."""
    agents = [d for _, old, new in paired({r.agent_id: r for r in rows(before)},
                                          {r.agent_id: r for r in rows(after)})
              if (d := _agent_diff(old, new)) is not None]
    agents.sort(key=lambda d: biggest_change_first(d.agent_id, d.pay_change))
    was = {_problem_key(p): p for p in before.get("problems") or ()}
    now = {_problem_key(p): p for p in after.get("problems") or ()}
    versions = (before.get("scheme_version"), after.get("scheme_version"))
    return SnapshotDiff(tuple(agents), tuple(p for k, p in now.items() if k not in was),
                        tuple(p for k, p in was.items() if k not in now),
                        versions if versions[0] != versions[1] else None)
