"""Reviewing and locking a month: the months with data, the locks of each, and the state
of every month per scheme.

A *snapshot* is what :meth:`DataGateway.snapshot` returns and a :class:`PeriodLock`
stores (:func:`cskpi.scoring.snapshots.snapshot`); ranking its agents and the diff between
two of them are the core's (:func:`cskpi.scoring.snapshots.rows`,
:func:`cskpi.scoring.compare.diff_snapshots`), so the review page (live figures against
the latest lock), the version page (version n against n-1) and the rule that a re-lock
must change something all read the same diff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import CskpiError, UsageError
from ...metrics.compute import MetricQuery
from ...months import month_range, shift_month
from ...scoring.compare import diff_snapshots
from ..db.models import AuditEntry, PeriodLock
from .gateway import DataGateway

MONTHS_LISTED = 12  # the Periods page lists the months with data of the last year
LOCK_ACTION = "period.lock"
REOPEN_ACTION = "period.reopen"


def lock_target(period: str, scheme: str) -> str:
    """The audit target of a lock (the lock's reason is kept in that audit entry)."""
    return f"period:{period}:{scheme}"


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
                        lambda: data.shop.metrics(query).rows)
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
