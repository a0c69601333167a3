"""Lost inquiries in the app: managers' relabels (audited) and what the Funnel page shows.

A relabel names a lost inquiry by the session of its last inquiry and gives it one of the
taxonomy's reasons; the core (:mod:`cskpi.lost`) then counts it under that reason.  Every
figure comes from :class:`cskpi.shop.Shop` through the gateway's cache, keyed with the relabels
so that a new one is seen at once.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...lost import LostInquiry, LostQuery, Taxonomy, read_taxonomy
from ...lost.curve import DEFAULT_EDGES
from ...metrics.profiles import resolve as resolve_profile
from ...period import Period
from ..db.models import LostLabel, User, utcnow
from ..errors import BadRequest
from .accounts import audit
from .gateway import DataGateway

EXAMPLES = 3  # example sessions shown per reason
FUNNEL_KEYS = ("inquiring_customers", "ordering_customers", "paying_customers", "order_rate",
               "conversion_rate", "lost_customers", "lost_rate", "unpaid_customers")
REMIND_KEYS = ("reminded_orders", "reminded_paid_orders", "remind_success_rate")


def taxonomy() -> Taxonomy:
    """The shipped taxonomy of lost inquiries (read once, by the core)."""
    return read_taxonomy()


def relabels(db: Session) -> dict[str, str]:
    """Session id of a lost inquiry -> the reason a manager gave it."""
    return {r.session_id: r.reason for r in db.scalars(select(LostLabel))}


def record_relabel(db: Session, user: User, *, session_id: str, reason: str,
                   note: str | None, ip: str | None = None) -> LostLabel | None:
    """Give a lost inquiry a reason (audited as ``lost.relabel``); the rule's reason back
    with ``reason`` empty (the label is removed, audited as ``lost.unlabel``)."""
    session_id = session_id.strip()
    if not session_id:
        raise BadRequest("web.lost.error.session")
    row = db.scalar(select(LostLabel).where(LostLabel.session_id == session_id))
    before = row.to_dict() if row is not None else None
    target = f"lost:{session_id}"
    if not reason:
        if row is not None:
            db.delete(row)
            db.flush()
            audit(db, user, "lost.unlabel", target, before=before, ip=ip)
        return None
    keys = taxonomy().keys
    if reason not in keys:
        raise BadRequest("web.lost.error.reason", reason=reason, details={"allowed": keys})
    if row is None:
        row = LostLabel(session_id=session_id, reason=reason)
        db.add(row)
    row.reason, row.note, row.labelled_by = reason, (note or "").strip() or None, user.id
    row.updated_at = utcnow()
    db.flush()
    audit(db, user, "lost.relabel", target, before=before, after=row.to_dict(), ip=ip)
    return row


@dataclass
class ReasonShare:
    key: str
    lost: int
    share: float
    examples: list[LostInquiry] = field(default_factory=list)


@dataclass
class FunnelView:
    period: Period
    previous: Period  # of the same kind (the previous month, ISO week or days)
    rows: dict[str, list[dict[str, Any]]]  # shop / team / agent -> metric rows
    before: dict[str, dict[Any, dict[str, Any]]]  # the previous period's, by group
    reasons: list[ReasonShare]
    curves: dict[str, list[dict[str, Any]]]  # duration / rounds -> buckets
    taxonomy: Taxonomy
    lost_error: str | None = None  # why there is no lost list (no sessions or orders)


def _query(data: DataGateway, period: Period, agent: str | None = None) -> LostQuery:
    return LostQuery(period.first, period.last, resolve_profile(data.profile), agent)


def lost_list(data: DataGateway, period: Period, labels: Mapping[str, str],
              agent: str | None = None, by: str = "agent") -> list[LostInquiry]:
    """The period's lost inquiries (one agent's, or every agent's; ``by`` shop: the
    shop's lost customers, each once), relabels applied."""
    key = ("lost", period.key, agent, by, tuple(sorted(labels.items())))
    q = _query(data, period, agent)
    return data.cached(key, lambda: data.shop.lost_inquiries(q, relabels=dict(labels), by=by)[0])


def funnel(data: DataGateway, period: Period, labels: Mapping[str, str]) -> FunnelView:
    """The funnel per shop, team and agent beside the previous period of the same kind,
    the lost reasons of the shop (its lost customers, each once) with example sessions,
    and the duration and rounds curves."""
    previous = period.previous()
    by_field = {"shop": "shop", "team": "team", "agent": "agent_id"}
    rows = {by: data.metrics(period, by) for by in by_field}
    before = {by: {r[f]: r for r in data.metrics(previous, by)} for by, f in by_field.items()}
    if not any(r.get(k) for r in before["shop"].values()
               for k in ("sessions", "sales", "online_hours")):
        before = {by: {} for by in by_field}  # a period without data is no comparison
    tax = taxonomy()
    reasons: list[ReasonShare] = []
    curves: dict[str, list[dict[str, Any]]] = {}
    error = None
    try:
        items = lost_list(data, period, labels, by="shop")
        q = _query(data, period)
        for by in ("duration", "rounds"):
            edges = DEFAULT_EDGES[by]
            curves[by] = data.cached(("curve", period.key, by), lambda by=by, edges=edges:
                                     data.shop.conversion_curve(q, by, edges))
    except Exception as err:  # noqa: BLE001 - shown on the page, the funnel still is
        from ...errors import UsageError

        if not isinstance(err, UsageError):
            raise
        items, error = [], err.code or str(err)
    counts: dict[str, list[LostInquiry]] = {}
    for i in items:
        counts.setdefault(i.reason, []).append(i)
    total = len(items)
    for key in tax.keys:
        found = counts.get(key, [])
        if found:
            latest = heapq.nlargest(EXAMPLES, found, key=lambda i: i.inquiry_start)
            reasons.append(ReasonShare(key, len(found), len(found) / total, latest))
    return FunnelView(period, previous, rows, before, reasons, curves, tax, error)
