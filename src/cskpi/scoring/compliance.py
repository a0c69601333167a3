"""Platform compliance: a profile's thresholds checked for the shop and every agent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .score import metric_value


@dataclass
class Check:
    metric: str
    threshold: float
    value: float | None
    num: Any
    den: Any
    passed: bool | None  # None: no basis to judge

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "threshold": self.threshold, "value": self.value,
                "num": self.num, "den": self.den, "passed": self.passed}


def check_row(row: dict[str, Any], thresholds: dict[str, float]) -> list[Check]:
    out = []
    for metric, threshold in thresholds.items():
        value, num, den = metric_value(row, metric)
        passed = None if value is None else float(value) >= threshold
        out.append(Check(metric, threshold, None if value is None else float(value), num, den,
                         passed))
    return out


def verdict(checks: list[Check]) -> bool | None:
    """Compliant when every check passes; None when one cannot be judged."""
    if any(c.passed is False for c in checks):
        return False
    if any(c.passed is None for c in checks):
        return None
    return True
