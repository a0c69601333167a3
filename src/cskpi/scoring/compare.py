"""Scheme what-if: score a period under the current and an edited scheme, compare."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .score import ScoreCard, ScoreResult

ZERO = Decimal(0)


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

    def to_dict(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "name": self.name,
                "old_score": self.old_score, "new_score": self.new_score,
                "score_delta": self.score_delta, "old_pay": self.old_pay,
                "new_pay": self.new_pay, "pay_delta": self.pay_delta,
                "old_passed": self.old_passed, "new_passed": self.new_passed,
                "old_level": self.old_level, "new_level": self.new_level,
                "old_lines": self.old_lines, "new_lines": self.new_lines}


def compare(old: ScoreResult, new: ScoreResult) -> list[Change]:
    """Every agent scored by either scheme, biggest pay change first."""
    before = {c.agent_id: c for c in old.cards}
    after = {c.agent_id: c for c in new.cards}
    out = []
    for agent_id in sorted(set(before) | set(after)):
        a: ScoreCard | None = before.get(agent_id)
        b: ScoreCard | None = after.get(agent_id)
        out.append(Change(agent_id, (a or b).name if (a or b) else None,  # type: ignore[union-attr]
                          a.score if a else None, b.score if b else None,
                          a.pay.total if a else None, b.pay.total if b else None,
                          a.passed if a else None, b.passed if b else None,
                          a.level if a else None, b.level if b else None,
                          _lines(a), _lines(b)))
    out.sort(key=lambda c: (-abs(c.pay_delta), -abs(c.score_delta), c.agent_id))
    return out


def _lines(card: ScoreCard | None) -> Decimal | None:
    """A card's pool shares and money per event (None: it has none)."""
    if card is None or not card.pay.lines:
        return None
    return sum((line.amount for line in card.pay.lines), ZERO)
