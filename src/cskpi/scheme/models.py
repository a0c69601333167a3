"""The scheme language as typed, immutable data.

A :class:`Scheme` is what :func:`cskpi.scheme.load_scheme` builds from YAML.  Every
part keeps the 1-based YAML ``line`` it came from, so scoring can explain a result
with "rule at line 12".  Money and points are ``decimal.Decimal``; mappings are
read-only views.  Nothing here imports the rest of cskpi: metric facts arrive as
:class:`MetricInfo` objects handed in by the caller.  Problems of a scheme are
:class:`cskpi.errors.Issue` records (``origin="scheme"``, ``row`` the YAML line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Literal, Protocol, TypeAlias

from .formula import Formula

Direction = Literal["higher", "lower", "neutral"]
Fallback = Literal["full", "neutral", "team"]
VetoEffect = Literal["score", "bonus"]
Ties = Literal["split", "repeat"]
PoolScope = Literal["team", "shop"]
PoolSplit = Literal["score", "sales", "equal"]

CANCELLABLE: tuple[str, ...] = ("score", "kpi_bonus", "commission", "awards", "pools")
"""What a veto may cancel (``cancels:``); a veto without ``cancels`` (``effect: score``)
cancels them all, ``effect: bonus`` only the KPI bonus."""

ATTENDANCE_STATUSES: tuple[str, ...] = ("late", "leave", "absent")
"""Attendance statuses a ``per`` item may count."""

DEFAULT_EVENT_KINDS: tuple[str, ...] = ("praise", "outstanding", "low_quality_review",
                                        "complaint")
"""Event kinds known when the caller gives none (those of the events table's help)."""

GRADES: tuple[str, ...] = ("A", "B", "C", "D")
GRADE_ALIASES: Mapping[str, str] = {"优": "A", "良": "B", "中": "C", "差": "D",
                                    "a": "A", "b": "B", "c": "C", "d": "D"}


class MetricInfo(Protocol):
    """What the loader needs to know of a metric (the metric catalog's entries fit)."""

    @property
    def unit(self) -> str: ...  # count | rate | s | h | money

    @property
    def direction(self) -> str: ...  # higher | lower | neutral


@dataclass(frozen=True)
class MetricSpec:
    """A plain :class:`MetricInfo`, for callers without a metric catalog (and tests)."""

    unit: str = "count"
    direction: Direction = "neutral"


# ---------------------------------------------------------------------------- items
@dataclass(frozen=True)
class MinSample:
    """Below ``n`` basis cases an item scores by ``fallback`` and says so.

    ``neutral`` holds the points for the ``neutral`` fallback (default: max / 2);
    ``metric`` names the basis count (default: the item metric's denominator).
    """

    n: int
    fallback: Fallback
    neutral: Decimal | None = None
    metric: str | None = None
    line: int = 0


@dataclass(frozen=True, kw_only=True)
class ItemBase:
    """Fields every item has; ``kind`` names the item kind.

    ``max`` is the item's share of the score.  A weighted item (``weight``) scores on a
    scale of its own (``scale``: the most its tiers or grades give, else its ``max:`` or
    100) and counts ``points × weight``; its ``max`` is ``scale × weight``.
    """

    kind: ClassVar[str] = ""
    key: str
    label: str
    max: Decimal
    line: int
    min_sample: MinSample | None = None
    weight: Decimal | None = None
    scale: Decimal | None = None
    label_en: str | None = None  # the label in English pages (``label`` is the shop's own)

    @property
    def own_max(self) -> Decimal:
        """The most points on the item's own scale (before its weight)."""
        return self.scale if self.scale is not None else self.max


Bound: TypeAlias = Decimal | Formula
"""A tier bound: a number, or a formula (``target('conversion_rate') * 1.1``)."""


@dataclass(frozen=True)
class Tier:
    """One tier: ``max`` (value ≤ bound) or ``min`` (value ≥ bound), or neither (catch-all).

    A bound may be a formula, computed for each agent (a target, the team's value …)."""

    points: Decimal
    max: Bound | None = None
    min: Bound | None = None
    line: int = 0

    @property
    def is_catch_all(self) -> bool:
        return self.max is None and self.min is None

    @property
    def bound(self) -> Bound | None:
        return self.max if self.max is not None else self.min

    @property
    def fixed_bound(self) -> Decimal | None:
        """The bound when it is a number (None for a formula or a catch-all)."""
        bound = self.bound
        return bound if isinstance(bound, Decimal) else None


@dataclass(frozen=True, kw_only=True)
class TiersItem(ItemBase):
    """Points from the first tier the metric value falls in."""

    kind: ClassVar[str] = "tiers"
    metric: str
    tiers: tuple[Tier, ...]


@dataclass(frozen=True, kw_only=True)
class LinearItem(ItemBase):
    """0 points at ``worst`` (YAML ``from``), ``max`` at ``best`` (``to``), clamped between."""

    kind: ClassVar[str] = "linear"
    metric: str
    worst: Decimal
    best: Decimal


@dataclass(frozen=True, kw_only=True)
class TargetItem(ItemBase):
    """``max × min(1, value / target)`` (lower-is-better metrics: ``max × min(1, target /
    value)``); ``target`` None means the period's targets table."""

    kind: ClassVar[str] = "target"
    metric: str
    target: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class GradeItem(ItemBase):
    """A manager's grade A–D (优/良/中/差 normalised to A–D) mapped to points."""

    kind: ClassVar[str] = "grade"
    grades: Mapping[str, Decimal]


@dataclass(frozen=True, kw_only=True)
class PerItem(ItemBase):
    """``start`` plus ``points each`` per counted status/event, clamped to ``min``..``max``."""

    kind: ClassVar[str] = "per"
    start: Decimal
    per: Mapping[str, Decimal]
    min: Decimal | None = None
    per_occurrence: frozenset[str] = frozenset()
    """Attendance statuses counted once per run of consecutive days (请假一次)."""


@dataclass(frozen=True, kw_only=True)
class FormulaItem(ItemBase):
    """Points computed by a safe formula over metric keys and numbers."""

    kind: ClassVar[str] = "formula"
    formula: Formula


Item: TypeAlias = TiersItem | LinearItem | TargetItem | GradeItem | PerItem | FormulaItem
MetricItem: TypeAlias = TiersItem | LinearItem | TargetItem
ITEM_KINDS: tuple[str, ...] = ("tiers", "linear", "target", "grade", "per", "formula")


# ------------------------------------------------------------- veto and adjustments
@dataclass(frozen=True)
class Veto:
    """一票否决: when ``condition`` holds, what ``cancels`` names is not paid (``score``:
    the score is 0, so the agent does not pass).  ``effect`` is the older spelling:
    ``score`` cancels everything, ``bonus`` the KPI bonus."""

    condition: Formula
    effect: VetoEffect
    reason: str
    line: int = 0
    cancels: frozenset[str] = frozenset(CANCELLABLE)


@dataclass(frozen=True)
class EventKind:
    """An event kind a scheme knows beyond the defaults (``events:``), with its label and
    what each event is worth: ``money`` (a pay line, negative for a deduction 扣款) or
    ``points`` (added to the score, as an adjustment)."""

    kind: str
    label: str | None = None
    money: Decimal | None = None
    points: Decimal | None = None
    line: int = 0


@dataclass(frozen=True)
class Level:
    """A named band of score / max_score (金牌 …): reached at ``min_ratio`` (inclusive; None:
    every ratio, the last band), paying ``factor`` (the pay formulas' ``level_factor``)."""

    name: str
    min_ratio: Decimal | None
    factor: Decimal = Decimal(1)
    line: int = 0


@dataclass(frozen=True)
class Adjustment:
    """Points per event outside the items: fixed ``points``, or a range to pick within."""

    event: str
    points: Decimal | None = None
    min_points: Decimal | None = None
    max_points: Decimal | None = None
    label: str | None = None
    line: int = 0

    @property
    def is_range(self) -> bool:
        return self.points is None


# -------------------------------------------------------------------------------- pay
@dataclass(frozen=True)
class Base:
    """Base pay: one ``amount`` or an amount per level."""

    amount: Decimal | None = None
    by_level: Mapping[str, Decimal] | None = None
    line: int = 0

    def for_level(self, level: str | None) -> Decimal | None:
        """The base pay of an agent of ``level`` (None when the level has none)."""
        if self.by_level is None:
            return self.amount
        return self.by_level.get(level) if level is not None else None


@dataclass(frozen=True)
class KpiBonus:
    """A pool paid by ``formula`` (names: pool, score, max_score, pass_ratio, level_factor,
    sales, and lookups), at most ``cap`` (default: the pool; None: no cap)."""

    pool: Decimal
    formula: Formula
    requires_pass: bool = True
    line: int = 0
    cap: Decimal | None = None
    capped: bool = True  # False: ``cap: none``


@dataclass(frozen=True)
class CommissionTier:
    """Rate for the part (``marginal``) or the whole of ``on`` up to ``upto`` (None: above)."""

    rate: Decimal
    upto: Decimal | None = None
    line: int = 0


@dataclass(frozen=True)
class TargetBracket:
    """From ``start`` (a share of the target: 1.2 is 120 %) the commission ``rate``."""

    start: Decimal
    rate: Decimal
    line: int = 0


@dataclass(frozen=True)
class Commission:
    """A flat ``rate`` on a money metric, ``tiers`` of rates by amount, or ``of_target``:
    the rate of the bracket of target attainment reached (阶梯提成), on all of it (or on
    each slice, ``marginal``)."""

    on: str = "sales"
    rate: Decimal | None = None
    tiers: tuple[CommissionTier, ...] = ()
    marginal: bool = False
    net_of_refunds: bool = False
    line: int = 0
    of_target: tuple[TargetBracket, ...] = ()
    requires_pass: bool = False


@dataclass(frozen=True)
class Pool:
    """Shared money (团队奖金池): ``amount`` computed per team (or for the shop) and split
    among the agents the scheme covers there in proportion to ``split``."""

    label: str
    per: PoolScope
    amount: Formula
    split: PoolSplit
    requires_pass: bool = False
    line: int = 0


@dataclass(frozen=True)
class Pay:
    base: Base | None = None
    kpi_bonus: KpiBonus | None = None
    commission: Commission | None = None
    line: int = 0
    pools: tuple[Pool, ...] = ()


@dataclass(frozen=True)
class RankSample:
    """Agents with fewer than ``n`` of ``metric`` are not ranked."""

    metric: str
    n: int
    line: int = 0


@dataclass(frozen=True)
class RankAward:
    """排名奖: the best ``top`` agents by ``metric`` get ``amount``; ties split or repeat it.

    ``direction`` is resolved from the metric when the scheme does not give one (None
    only when no metric facts were given to the loader).
    """

    kind: ClassVar[str] = "rank"
    metric: str
    top: int
    amount: Decimal
    ties: Ties = "split"
    min_sample: RankSample | None = None
    direction: Direction | None = None
    label: str | None = None
    line: int = 0


@dataclass(frozen=True)
class TargetAward:
    """达标奖: ``amount`` when ``metric`` reaches ``reach`` (None: the period's target)."""

    kind: ClassVar[str] = "target"
    metric: str
    amount: Decimal
    reach: Decimal | None = None
    label: str | None = None
    line: int = 0


@dataclass(frozen=True)
class FormulaAward:
    """An amount a formula computes for each agent (``if(streak('金牌') >= 2, 300, 0)``)."""

    kind: ClassVar[str] = "formula"
    amount: Formula
    label: str | None = None
    line: int = 0
    metric: str = ""


Award: TypeAlias = RankAward | TargetAward | FormulaAward


@dataclass(frozen=True)
class TargetRule:
    """How a metric's target is set when none is given.

    ``history``: mean of the last ``periods`` × (1 + ``uplift``); ``percentile``: the
    ``percentile`` of the last ``periods``; ``fixed``: ``value``.
    """

    metric: str
    method: Literal["history", "percentile", "fixed"]
    periods: int | None = None
    uplift: Decimal = Decimal(0)
    percentile: Decimal | None = None
    value: Decimal | None = None
    line: int = 0


# ----------------------------------------------------------------------------- scheme
@dataclass(frozen=True)
class AppliesTo:
    """Who a scheme is for; every given key must match (no keys: everyone)."""

    role: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    line: int = 0

    def matches(self, agent: Mapping[str, Any]) -> bool:
        """Whether an agent (a mapping with agent_id, role, team, level) is covered."""
        for key, wanted in (("role", self.role), ("team", self.team),
                            ("level", self.level), ("agent_id", self.agents)):
            if wanted and str(agent.get(key, "")) not in wanted:
                return False
        return True


@dataclass(frozen=True)
class Scheme:
    """A loaded scheme.  ``pass_ratio`` None means every score passes."""

    name: str
    title: str
    applies_to: AppliesTo
    pass_ratio: Decimal | None
    profile: str | None
    items: tuple[Item, ...]
    veto: tuple[Veto, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    pay: Pay | None = None
    awards: tuple[Award, ...] = ()
    targets: Mapping[str, TargetRule] = field(default_factory=dict)
    source: str = "<scheme>"
    line: int = 1
    qa: str | None = None  # QA rules (a file or preset) whose figures its items may use
    events: tuple[EventKind, ...] = ()
    levels: tuple[Level, ...] = ()

    def formulas(self) -> list[Formula]:
        """Every formula of the scheme: items, tier bounds, vetoes, pay, pools, awards."""
        out: list[Formula] = []
        for item in self.items:
            if isinstance(item, FormulaItem):
                out.append(item.formula)
            elif isinstance(item, TiersItem):
                out += [b for t in item.tiers if isinstance(b := t.bound, Formula)]
        out += [v.condition for v in self.veto]
        if self.pay is not None:
            if self.pay.kpi_bonus is not None:
                out.append(self.pay.kpi_bonus.formula)
            out += [pool.amount for pool in self.pay.pools]
        out += [a.amount for a in self.awards if isinstance(a, FormulaAward)]
        return out

    def metric_names(self) -> list[str]:
        """The names the scheme scores, vetoes, awards and pays commission on, in scheme
        order, each once (metrics and other names a formula reads)."""
        names: list[str] = []
        for item in self.items:
            if isinstance(item, TiersItem | LinearItem | TargetItem):
                names.append(item.metric)
            elif isinstance(item, FormulaItem):
                names.extend(sorted(item.formula.names))
        for veto in self.veto:
            names.extend(sorted(veto.condition.names))
        names.extend(a.metric for a in self.awards)
        if self.pay is not None and self.pay.commission is not None:
            names.append(self.pay.commission.on)
        return list(dict.fromkeys(names))

    def lookup_keys(self, *funcs: str) -> set[str]:
        """The names the scheme's formulas look up with ``funcs`` (``target``, …)."""
        return {lk.key for f in self.formulas() for lk in f.lookups if lk.func in funcs}

    def event(self, kind: str) -> EventKind | None:
        """The scheme's declaration of an event kind (None when it declares none)."""
        return next((e for e in self.events if e.kind == kind), None)

    def level_of(self, ratio: Decimal) -> Level | None:
        """The band a score ratio falls in (bands inclusive at ``min_ratio``)."""
        for level in self.levels:
            if level.min_ratio is None or ratio >= level.min_ratio:
                return level
        return None

    @property
    def max_score(self) -> Decimal:
        """The sum of the items' ``max`` points."""
        return sum((item.max for item in self.items), Decimal(0))

    def item(self, key: str) -> Item:
        """The item with ``key`` (``KeyError`` if none)."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)
