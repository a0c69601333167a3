"""Platform compliance: a profile's thresholds checked for the shop and every agent.

The texts a reader sees (column heads, cells, verdicts) come from the catalogs
(``compliance.*``) and :mod:`cskpi.units`, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..units import format_percent
from .score import metric_value
from .texts import metric_label


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


def column_text(metric: str, threshold: float, t: Any) -> str:
    """A check's column head: the metric's label and its threshold (``≥ 85%``)."""
    return t("compliance.column", metric=metric_label(metric, t.lang),
             threshold=format_percent(threshold, t.lang, 1))


def cell_text(check: Check, t: Any) -> str:
    """A check's value (a rate) and whether it passes (✓ / ✗)."""
    shown = format_percent(check.value, t.lang, 1)
    if check.passed is None:
        return shown
    return t("compliance.cell_pass" if check.passed else "compliance.cell_fail", value=shown)


def verdict_text(value: bool | None, t: Any) -> str:
    """compliant / not compliant / no basis, in the reader's language."""
    return t("compliance.pass") if value else t("compliance.fail") if value is False \
        else t("compliance.unknown")
