"""Reading the ``items:`` list: one builder per item kind.

The builders check shape only (keys, types, exactly one kind, grade letters); rules
that compare values (tier order, points within ``max``, known metrics) live in
:mod:`cskpi.scheme.validate` and run on the built models.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import Any, cast

from .models import (
    ATTENDANCE_STATUSES,
    GRADE_ALIASES,
    GRADES,
    ITEM_KINDS,
    Bound,
    Fallback,
    FormulaItem,
    GradeItem,
    Item,
    LinearItem,
    MinSample,
    PerItem,
    TargetItem,
    Tier,
    TiersItem,
)
from .reader import LoadContext, Reader, YMap, YNode, YScalar
from .texts import Msg, key_of, phrase, what

COMMON_KEYS = ("key", "label", "label_en", "max", "min_sample", "weight")
EXTRA_KEYS = {"metric": ("tiers", "linear", "target"), "start": ("per",), "min": ("per",),
              "per_occurrence": ("per",)}
DEFAULT_SCALE = Decimal(100)
"""The scale of a weighted item that says nothing else (points out of 100)."""
ITEM_KEYS = (*COMMON_KEYS, *ITEM_KINDS, *EXTRA_KEYS)
METRIC_KINDS = ("tiers", "linear", "target")


def read_items(node: YNode | None, r: Reader, ctx: LoadContext) -> list[Item]:
    """Every item that could be built (problems of the others are in ``r.issues``)."""
    if node is None:
        return []
    items = [read_item(n, i, r, ctx)
             for i, n in enumerate(r.sequence(node, what("items")), 1)]
    return [item for item in items if item is not None]


def read_item(node: YNode, index: int, r: Reader, ctx: LoadContext) -> Item | None:
    """Build one item, or report why it cannot be built and return None."""
    numbered = what("item_n", n=index)
    m = r.mapping(node, numbered)
    if m is None:
        return None
    key = r.string(r.require(m, "key", numbered), key_of("key", numbered))
    it = what("item", key=key) if key else numbered
    r.check_keys(m, ITEM_KEYS, it)
    label = r.string(m.get("label"), key_of("label", it)) or key
    label_en = r.string(m.get("label_en"), key_of("label_en", it))
    weight = r.number(m.get("weight"), key_of("weight", it))
    if "weight" in m and "max" not in m:  # a weighted item's max is implied
        max_points = None
    else:
        max_points = r.number(r.require(m, "max", it), key_of("max", it))
    if weight is not None and weight <= 0:
        r.error("bad_value", m.key_line("weight"), variant="weight", what=it,
                value=str(weight))
        return None
    kinds = [k for k in ITEM_KINDS if k in m]
    if not kinds:
        r.error("no_kind", m.line, what=it, kinds=", ".join(ITEM_KINDS))
        return None
    if len(kinds) > 1:
        r.error("many_kinds", m.key_line(kinds[1]), what=it, n=len(kinds),
                given=", ".join(kinds), kinds=", ".join(ITEM_KINDS))
        return None
    kind = kinds[0]
    for extra, allowed in EXTRA_KEYS.items():
        if extra in m and kind not in allowed:
            r.error("unknown_key", m.key_line(extra), variant="kind", key=extra, kind=kind,
                    what=it, allowed=" / ".join(allowed))
    fields = _KIND_READERS[kind](m, it, r, ctx)
    if "weight" in m and "max" not in m and fields is not None:
        max_points = _implied_scale(kind, fields)
    min_sample = _min_sample(m.get("min_sample"), kind, it, max_points, r)
    if key is None or label is None or max_points is None or fields is None:
        return None
    if "min_sample" in m and min_sample is None:
        return None
    if kind == "per" and fields["start"] is None:
        fields["start"] = max_points
    common: dict[str, Any] = {"key": key, "label": label, "max": max_points, "line": m.line,
                              "min_sample": min_sample, "label_en": label_en}
    if weight is not None:
        common.update(max=max_points * weight, weight=weight, scale=max_points)
    return _ITEM_CLASSES[kind](**common, **fields)


def _implied_scale(kind: str, fields: dict[str, Any]) -> Decimal:
    """The own scale of a weighted item without ``max``: the most its tiers or grades give,
    its start (per), else 100."""
    if kind == "tiers":
        return max((t.points for t in fields["tiers"]), default=DEFAULT_SCALE)
    if kind == "grade":
        return max(fields["grades"].values(), default=DEFAULT_SCALE)
    if kind == "per" and fields.get("start") is not None:
        return Decimal(fields["start"])
    return DEFAULT_SCALE


def _metric(m: YMap, it: Msg, r: Reader) -> str | None:
    """The item's metric: its ``metric`` key, else its own key."""
    if "metric" in m:
        return r.string(m.get("metric"), key_of("metric", it))
    return r.string(m.get("key"), key_of("metric", it))


def _tiers(m: YMap, it: Msg, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    metric = _metric(m, it, r)
    nodes = r.sequence(m.get("tiers"), key_of("tiers", it))
    if not nodes:
        r.error("missing_key", m.key_line("tiers"), variant="tiers", what=it)
        return None
    tiers: list[Tier] = []
    ok = True
    tier = what("tier", of=it)
    for node in nodes:
        t = r.mapping(node, tier)
        if t is None:
            ok = False
            continue
        r.check_keys(t, ("max", "min", "points"), tier)
        if "max" in t and "min" in t:
            r.error("tier_mixed", t.line, variant="both", what=tier)
            ok = False
        points = r.number(r.require(t, "points", tier), key_of("points", tier))
        upper = _bound(t.get("max"), key_of("max", tier), r, ctx)
        lower = _bound(t.get("min"), key_of("min", tier), r, ctx)
        if points is None or ("max" in t and upper is None) or ("min" in t and lower is None):
            ok = False
            continue
        tiers.append(Tier(points, upper, lower, t.line))
    if metric is None or not ok:
        return None
    return {"metric": metric, "tiers": tuple(tiers)}


def _bound(node: YNode | None, where: Msg, r: Reader, ctx: LoadContext) -> Bound | None:
    """A tier bound: a number, or a formula in quotes computed for each agent."""
    if isinstance(node, YScalar) and isinstance(node.value, str):
        return r.formula(node, where, ctx.metric_names, "number", ctx.lookups)
    return r.number(node, where)


def _linear(m: YMap, it: Msg, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    metric = _metric(m, it, r)
    linear = key_of("linear", it)
    spec = r.mapping(m.get("linear"), linear)
    if spec is None:
        return None
    r.check_keys(spec, ("from", "to"), linear)
    worst = r.number(r.require(spec, "from", linear), key_of("from", linear))
    best = r.number(r.require(spec, "to", linear), key_of("to", linear))
    if metric is None or worst is None or best is None:
        return None
    return {"metric": metric, "worst": worst, "best": best}


def _target(m: YMap, it: Msg, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    metric = _metric(m, it, r)
    node = m.get("target")
    assert node is not None
    if isinstance(node, YScalar) and node.raw == "targets":
        return {"metric": metric, "target": None} if metric else None
    if isinstance(node, YScalar) and isinstance(node.value, str):
        r.error("target_value", node.line, variant="text", what=it, value=node.raw)
        return None
    value = r.number(node, key_of("target", it))
    if value is None:
        return None
    if value <= 0:
        r.error("target_value", node.line, what=it, value=str(value))
        return None
    return {"metric": metric, "target": value} if metric else None


def _grade(m: YMap, it: Msg, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    spec = r.mapping(m.get("grade"), key_of("grade", it))
    if spec is None:
        return None
    grades: dict[str, Decimal] = {}
    first_seen: dict[str, str] = {}
    ok = True
    for written, (line, node) in spec.entries.items():
        grade = written if written in GRADES else GRADE_ALIASES.get(written)
        if grade is None:
            r.error("grade_key", line, grade=written, what=it)
            ok = False
            continue
        if grade in first_seen:
            r.error("grade_duplicate", line, grade=grade, what=it, first=first_seen[grade],
                    second=written)
            ok = False
            continue
        first_seen[grade] = written
        points = r.number(node, key_of(written, key_of("grade", it)))
        if points is None:
            ok = False
            continue
        grades[grade] = points
    missing = [g for g in GRADES if g not in first_seen]
    if missing:
        r.error("grade_missing", spec.line, what=it, grades=", ".join(missing))
        ok = False
    if not ok:
        return None
    return {"grades": MappingProxyType({g: grades[g] for g in GRADES})}


def _per(m: YMap, it: Msg, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    per_what = key_of("per", it)
    spec = r.mapping(m.get("per"), per_what)
    if spec is None:
        return None
    per: dict[str, Decimal] = {}
    ok = True
    for name, (line, node) in spec.entries.items():
        if name not in ctx.countable:
            r.error("unknown_event", line, variant="per", hint=_event_hint(r, ctx, name),
                    what=it, name=name)
            ok = False
        points = r.number(node, key_of(name, per_what))
        if points is None:
            ok = False
        else:
            per[name] = points
    start = r.number(m.get("start"), key_of("start", it))  # None: start at max
    minimum = r.number(m.get("min"), key_of("min", it))
    occurrence = _per_occurrence(m, it, per, r)
    if not ok or ("start" in m and start is None) or ("min" in m and minimum is None) \
            or occurrence is None:
        return None
    return {"per": MappingProxyType(per), "start": start, "min": minimum,
            "per_occurrence": occurrence}


def _per_occurrence(m: YMap, it: Msg, per: dict[str, Decimal],
                    r: Reader) -> frozenset[str] | None:
    """``per_occurrence: true`` (every attendance status counted) or a list of statuses:
    those are counted once per run of consecutive days, not per day."""
    node = m.get("per_occurrence")
    where = key_of("per_occurrence", it)
    if node is None:
        return frozenset()
    counted = [s for s in per if s in ATTENDANCE_STATUSES]
    if isinstance(node, YScalar) and isinstance(node.value, bool):
        return frozenset(counted) if node.value else frozenset()
    statuses = r.strings(node, where)
    wrong = [s for s in statuses if s not in counted]
    if wrong:
        r.error("bad_value", node.line, variant="per_occurrence", what=it,
                value=", ".join(wrong), valid=", ".join(counted) or "—")
        return None
    return frozenset(statuses)


def _event_hint(r: Reader, ctx: LoadContext, name: str) -> Msg:
    """Valid names to count, and how to declare a new event kind."""
    return phrase("hint.declare_event", valid=r.hint(ctx.countable, name), kind=name)


def _formula(m: YMap, it: Msg, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    formula = r.formula(m.get("formula"), key_of("formula", it), ctx.metric_names, "number",
                        ctx.lookups)
    return {"formula": formula} if formula is not None else None


def _min_sample(node: YNode | None, kind: str, it: Msg, max_points: Decimal | None,
                r: Reader) -> MinSample | None:
    sample = key_of("min_sample", it)
    spec = r.mapping(node, sample)
    if spec is None:
        return None
    if kind not in METRIC_KINDS:
        r.error("min_sample", spec.line, variant="kind", kind=kind, what=it,
                kinds=", ".join(METRIC_KINDS))
        return None
    r.check_keys(spec, ("n", "fallback", "neutral", "metric"), sample)
    n = r.integer(r.require(spec, "n", sample), key_of("n", sample))
    fallback = r.choice(r.require(spec, "fallback", sample), key_of("fallback", sample),
                        ("full", "neutral", "team"))
    neutral = r.number(spec.get("neutral"), key_of("neutral", sample))
    if "neutral" in spec and fallback not in (None, "neutral"):
        r.error("min_sample", spec.key_line("neutral"), variant="neutral", what=it)
        return None
    metric = r.string(spec.get("metric"), key_of("metric", sample))
    if n is None or fallback is None or ("neutral" in spec and neutral is None):
        return None
    if fallback == "neutral" and neutral is None and max_points is not None:
        neutral = max_points / 2
    return MinSample(n, cast(Fallback, fallback), neutral, metric, spec.line)


_KIND_READERS = {"tiers": _tiers, "linear": _linear, "target": _target, "grade": _grade,
                 "per": _per, "formula": _formula}
_ITEM_CLASSES: dict[str, type[Item]] = {
    "tiers": TiersItem, "linear": LinearItem, "target": TargetItem, "grade": GradeItem,
    "per": PerItem, "formula": FormulaItem}
