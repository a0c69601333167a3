"""The cskpi scheme language (考核方案): models, a YAML loader with line numbers, safe
formulas and validation rules.

This package sits at the bottom of cskpi and imports nothing else from it but
:mod:`cskpi.errors` (a leaf: the one :class:`~cskpi.errors.Issue` type and coded
messages); metric facts, event kinds and the agent roster are passed in by the caller::

    scheme, issues = load_scheme(text, "aftersale.yaml",
                                 metrics={"refund_rate": MetricSpec("rate", "lower")})
    for issue in issues:
        print(issue)          # aftersale.yaml:12: error: ... [code]

``load_scheme`` reports every problem at once and returns ``None`` as the scheme when
any of them is an error.
"""

from .formula import Formula, FormulaError, FormulaRangeError, parse_formula
from .loader import decode_scheme, load_scheme, load_scheme_file
from .models import (
    ATTENDANCE_STATUSES,
    CANCELLABLE,
    DEFAULT_EVENT_KINDS,
    Adjustment,
    AppliesTo,
    Award,
    Base,
    Commission,
    CommissionTier,
    EventKind,
    FormulaAward,
    FormulaItem,
    GradeItem,
    Item,
    KpiBonus,
    Level,
    LinearItem,
    MetricInfo,
    MetricSpec,
    MinSample,
    Pay,
    PerItem,
    Pool,
    RankAward,
    RankSample,
    Scheme,
    TargetAward,
    TargetBracket,
    TargetItem,
    TargetRule,
    Tier,
    TiersItem,
    Veto,
)

__all__ = [
    "ATTENDANCE_STATUSES", "CANCELLABLE", "DEFAULT_EVENT_KINDS", "Adjustment", "AppliesTo",
    "Award", "Base", "Commission", "CommissionTier", "EventKind", "Formula", "FormulaAward",
    "FormulaError", "FormulaItem", "FormulaRangeError", "GradeItem", "Item", "KpiBonus",
    "Level", "LinearItem", "MetricInfo", "MetricSpec", "MinSample", "Pay", "PerItem", "Pool",
    "RankAward", "RankSample", "Scheme", "TargetAward", "TargetBracket", "TargetItem",
    "TargetRule", "Tier", "TiersItem", "Veto",
    "decode_scheme", "load_scheme", "load_scheme_file", "parse_formula",
]
