"""``prev()`` and ``streak()`` from a workspace: the months before the period are scored
with the same scheme, back to the first month without data (#19)."""

from __future__ import annotations

import json
from typing import Any

SCHEME = """\
scheme: streaks
applies_to: {role: presale}
items: [{key: q, label: 服务质量, max: 10, grade: {A: 10, B: 8, C: 5, D: 0}}]
levels: [{name: 金牌, min_ratio: 0.9, factor: 1}, {name: 其他, factor: 0}]
pay:
  awards:
    - {kind: formula, label: 连续金牌奖, amount: "streak('金牌') * 100 + prev('score')"}
"""


def test_streak_and_prev_read_the_months_before(cli: Any, folder: Any, tmp_path: Any) -> None:
    """001 was graded A in June, August, September and October, B in nothing; July has no
    data, so the history stops there: October's streak of 金牌 is Aug, Sep, Oct = 3, and
    last period's score is September's 10 -> 3 x 100 + 10 = 310.  In September: streak 2,
    prev 10 -> 210; in August (July has no data): streak 1, no prev -> no value, no award."""
    grades = "agent_id,period,item,grade\n" + "".join(
        f"001,{p},q,A\n" for p in ("2026-06", "2026-08", "2026-09", "2026-10"))
    data = folder({"grades.csv": grades})
    scheme = tmp_path / "streaks.yaml"
    scheme.write_text(SCHEME, encoding="utf-8")
    amounts = {}
    for period in ("2026-08", "2026-09", "2026-10"):
        result = cli("score", "--scheme", scheme, "--period", period, "--data", data,
                     "--format", "json")
        assert result.exit_code == 0, result.output
        (card,) = json.loads(result.stdout)
        assert card["level"] == "金牌"
        amounts[period] = [a["amount"] for a in card["pay"]["awards"]]
    assert amounts == {"2026-08": [], "2026-09": [210.0], "2026-10": [310.0]}
