"""A scored month as plain JSON (a *snapshot*), and its agents ranked.

A snapshot is what a period lock stores and what the review of a month shows: every
card of a :class:`~cskpi.scoring.cards.ScoreResult` as JSON, the problems, the agents the
scheme does not cover, and the version of the scheme they were scored with.  Being plain
JSON, a lock written today reads the same after the code changes; the functions here
read only that JSON, so live figures and a lock of last year are ranked alike.
:func:`cskpi.scoring.compare.diff_snapshots` says what differs between two of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..jsonable import jsonable
from .cards import ScoreResult

Snapshot = Mapping[str, Any]
PAY_PARTS = ("base", "kpi_bonus", "commission", "awards", "total")
ADJUSTMENT = "adjustment:"  # key prefix of an adjustment's points among the items


def snapshot(result: ScoreResult, scheme: str, period: str,
             scheme_version: int | None = None) -> dict[str, Any]:
    """Scores and pay of every agent of ``result``, as JSON (``scheme_version``: the
    version of the scheme they were scored with; None for a shipped or file scheme)."""
    out: dict[str, Any] = jsonable({"scheme": scheme, "period": period,
                                    "scheme_version": scheme_version,
                                    "cards": [c.to_dict() for c in result.cards],
                                    "problems": [vars(p) for p in result.problems],
                                    "unmatched": result.unmatched})
    return out


def ranks(cards: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Rank by score, ties sharing a rank (1, 1, 3): one plus the number scoring higher."""
    scores = [c["score"] for c in cards]
    return {c["agent_id"]: 1 + sum(s > c["score"] for s in scores) for c in cards}


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


def agent_row(card: Mapping[str, Any], rank: int) -> AgentRow:
    """A snapshot card as a row, at ``rank``."""
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
    return sorted((agent_row(c, rank[c["agent_id"]]) for c in cards),
                  key=lambda r: (r.rank, r.agent_id))
