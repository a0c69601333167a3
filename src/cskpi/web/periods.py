"""Reviewing and locking a month: ranked rows, the diff between two snapshots, and the
state of every month per scheme.

A *snapshot* is what :meth:`DataGateway.snapshot` returns and a :class:`PeriodLock`
stores: plain JSON of every card, the problems, and the agents the scheme does not cover.
The functions on snapshots are pure, so the review page (live figures against the latest
lock), the version page (version n against n-1) and the rule that a re-lock must change
something all read the same diff.

What counts as a change is what an agent is paid and ranked on: score, rank, pass and
veto, each pay part, each item's and adjustment's points, the problems, and the scheme
version.  A metric value that moves within the same tier changes no points, so it is not
a change: the published figures would be the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import core
from ..errors import CskpiError, UsageError
from ..metrics.compute import MetricQuery
from ..months import month_range, shift_month
from .data import DataGateway
from .db.models import AuditEntry, PeriodLock

Snapshot = Mapping[str, Any]
PAY_PARTS = ("base", "kpi_bonus", "commission", "awards", "total")
# the headline figures compared per agent, in the order the diff lists them
HEADLINE = ("rank", "score", "passed", "vetoed", *(f"pay.{p}" for p in PAY_PARTS))
ADJUSTMENT = "adjustment:"  # key prefix of an adjustment's points among the items
MONTHS_LISTED = 12  # the Periods page lists the months with data of the last year
LOCK_ACTION = "period.lock"
REOPEN_ACTION = "period.reopen"


def lock_target(period: str, scheme: str) -> str:
    """The audit target of a lock (the lock's reason is kept in that audit entry)."""
    return f"period:{period}:{scheme}"


# --- rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRow:
    """One agent's line of a month: rank, score, result, pay parts and points per item."""

    agent_id: str
    name: str | None
    rank: int
    score: float
    max_score: float
    ratio: float
    passed: bool
    vetoed: bool
    veto_reasons: tuple[Mapping[str, Any], ...]  # the card's vetoes (veto_text renders)
    pay: Mapping[str, float]  # PAY_PARTS -> amount ("awards" is their sum)
    points: Mapping[str, float]  # item key, or ADJUSTMENT + event -> points
    labels: Mapping[str, str]  # the same keys -> item label or event name
    warnings: tuple[str, ...]


def ranks(cards: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Rank by score, ties sharing a rank (1, 1, 3): one plus the number scoring higher."""
    scores = [c["score"] for c in cards]
    return {c["agent_id"]: 1 + sum(s > c["score"] for s in scores) for c in cards}


def _row(card: Mapping[str, Any], rank: int) -> AgentRow:
    pay = card["pay"]
    points = {i["key"]: i["points"] for i in card["items"]}
    labels = {i["key"]: i["label"] for i in card["items"]}
    for adj in card.get("adjustments") or ():
        points[ADJUSTMENT + adj["event"]] = adj["points"]
        labels[ADJUSTMENT + adj["event"]] = adj["event"]
    return AgentRow(
        agent_id=card["agent_id"], name=card.get("name"), rank=rank, score=card["score"],
        max_score=card["max_score"], ratio=card["ratio"], passed=bool(card["passed"]),
        vetoed=bool(card["vetoed"]),
        veto_reasons=tuple(card.get("veto") or ()),
        pay={"base": pay["base"], "kpi_bonus": pay["kpi_bonus"],
             "commission": pay["commission"],
             "awards": round(sum(a["amount"] for a in pay.get("awards") or ()), 2),
             "total": pay["total"]},
        points=points, labels=labels, warnings=tuple(card.get("warnings") or ()))


def rows(snapshot: Snapshot) -> list[AgentRow]:
    """Every agent of a snapshot, best first (then by agent ID)."""
    cards = snapshot["cards"]
    rank = ranks(cards)
    return sorted((_row(c, rank[c["agent_id"]]) for c in cards),
                  key=lambda r: (r.rank, r.agent_id))


# --- diff ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
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
    figures: tuple[Change, ...]
    items: tuple[Change, ...]

    def figure(self, key: str) -> Change | None:
        return next((c for c in self.figures if c.key == key), None)


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
    figures = tuple(Change(k, None, a.get(k), b.get(k)) for k in HEADLINE
                    if a.get(k) != b.get(k))
    pa, pb = (old.points if old else {}), (new.points if new else {})
    labels = {**(old.labels if old else {}), **(new.labels if new else {})}
    items = tuple(Change(k, labels[k], pa.get(k), pb.get(k))
                  for k in dict.fromkeys([*pa, *pb]) if pa.get(k) != pb.get(k))
    if not (figures or items):
        return None
    status = "added" if old is None else "removed" if new is None else "changed"
    return AgentDiff(either.agent_id, either.name, status, figures, items)


def _problem_key(p: Mapping[str, Any]) -> tuple[Any, ...]:
    return p.get("agent_id"), p.get("code"), p.get("message")


def diff_snapshots(before: Snapshot, after: Snapshot) -> SnapshotDiff:
    """What ``after`` changes against ``before``: agents with the biggest pay change
    first (the idea of :func:`cskpi.scoring.compare.compare`), then by agent ID."""
    old = {r.agent_id: r for r in rows(before)}
    new = {r.agent_id: r for r in rows(after)}
    agents = [d for agent in sorted(set(old) | set(new))
              if (d := _agent_diff(old.get(agent), new.get(agent))) is not None]

    def pay_change(d: AgentDiff) -> float:  # a new or gone agent: their whole pay
        total = d.figure("pay.total")
        return 0.0 if total is None else abs((total.after or 0) - (total.before or 0))

    agents.sort(key=lambda d: (-pay_change(d), d.agent_id))
    was = {_problem_key(p): p for p in before.get("problems") or ()}
    now = {_problem_key(p): p for p in after.get("problems") or ()}
    versions = (before.get("scheme_version"), after.get("scheme_version"))
    return SnapshotDiff(tuple(agents), tuple(p for k, p in now.items() if k not in was),
                        tuple(p for k, p in was.items() if k not in now),
                        versions if versions[0] != versions[1] else None)


# --- months and locks --------------------------------------------------------------------


def schemes_in_use(data: DataGateway) -> list[str]:
    """The schemes configured for the roles, each once (what months are locked under)."""
    return list(dict.fromkeys(data.schemes_by_role.values()))


def months_with_data(data: DataGateway) -> list[str]:
    """The months (newest first) of the last :data:`MONTHS_LISTED` with any sessions,
    sales or online time; none when the workspace has no dated data yet."""
    try:
        latest = data.latest_period()
    except UsageError:
        return []
    first, _ = month_range(shift_month(latest, 1 - MONTHS_LISTED))
    _, end = month_range(latest)
    query = MetricQuery(first, end, by="shop", grain="month")
    found = data.cached(("periods", "months", latest),
                        lambda: core.compute_metrics(query, workspace=data.workspace).rows)
    months = {str(r["period_start"])[:7] for r in found
              if any(r.get(k) for k in ("sessions", "sales", "online_hours"))}
    return sorted(months, reverse=True)


@dataclass(frozen=True)
class MonthState:
    """A month under a scheme: open, or locked (``changed`` when the live figures differ
    from the latest lock; None when open or when they cannot be computed)."""

    period: str
    scheme: str
    lock: PeriodLock | None
    changed: bool | None
    error: str | None = None


def latest_locks(db: Session) -> dict[tuple[str, str], PeriodLock]:
    """The newest lock of every (month, scheme)."""
    out: dict[tuple[str, str], PeriodLock] = {}
    for lock in db.scalars(select(PeriodLock).order_by(PeriodLock.version)):
        out[(lock.period, lock.scheme)] = lock
    return out


def month_states(db: Session, data: DataGateway, months: Sequence[str]) -> list[MonthState]:
    """Every month with data or a lock (newest first), per scheme in use or locked."""
    locks = latest_locks(db)
    schemes = schemes_in_use(data)
    periods = sorted(set(months) | {p for p, _ in locks}, reverse=True)
    out: list[MonthState] = []
    for period in periods:
        for scheme in dict.fromkeys([*schemes, *(s for p, s in locks if p == period)]):
            lock = locks.get((period, scheme))
            if lock is None:
                out.append(MonthState(period, scheme, None, None))
                continue
            try:
                live = data.snapshot(scheme, period)
            except CskpiError as exc:  # a scheme file gone or broken: say so, list the rest
                out.append(MonthState(period, scheme, lock, None, exc.message))
                continue
            out.append(MonthState(period, scheme, lock, bool(diff_snapshots(lock.snapshot,
                                                                            live))))
    return out


def versions(db: Session, period: str, scheme: str) -> list[PeriodLock]:
    """Every lock of a month under a scheme, version 1 first."""
    return list(db.scalars(select(PeriodLock).where(PeriodLock.period == period,
                                                    PeriodLock.scheme == scheme)
                           .order_by(PeriodLock.version)))


def lock_reasons(db: Session, period: str, scheme: str) -> dict[int, str | None]:
    """version -> the reason given when it was locked (kept in its audit entry)."""
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == LOCK_ACTION,
                                                  AuditEntry.target == lock_target(period,
                                                                                   scheme)))
    return {e.after["version"]: e.after.get("reason") for e in entries
            if isinstance(e.after, dict) and "version" in e.after}
