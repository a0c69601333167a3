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
    GRADE_ALIASES,
    GRADES,
    ITEM_KINDS,
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

COMMON_KEYS = ("key", "label", "max", "min_sample")
EXTRA_KEYS = {"metric": ("tiers", "linear", "target"), "start": ("per",), "min": ("per",)}
ITEM_KEYS = (*COMMON_KEYS, *ITEM_KINDS, *EXTRA_KEYS)
METRIC_KINDS = ("tiers", "linear", "target")


def read_items(node: YNode | None, r: Reader, ctx: LoadContext) -> list[Item]:
    """Every item that could be built (problems of the others are in ``r.issues``)."""
    if node is None:
        return []
    items = [read_item(n, i, r, ctx) for i, n in enumerate(r.sequence(node, "items"), 1)]
    return [item for item in items if item is not None]


def read_item(node: YNode, index: int, r: Reader, ctx: LoadContext) -> Item | None:
    """Build one item, or report why it cannot be built and return None."""
    m = r.mapping(node, f"item #{index}")
    if m is None:
        return None
    key = r.string(r.require(m, "key", f"item #{index}"), "an item key")
    what = f"item {key!r}" if key else f"item #{index}"
    r.check_keys(m, ITEM_KEYS, what)
    label = r.string(m.get("label"), f"the label of {what}") or key
    max_points = r.number(r.require(m, "max", what), f"max of {what}")
    kinds = [k for k in ITEM_KINDS if k in m]
    if not kinds:
        r.error("no_kind", f"{what} has no kind", m.line,
                "add one of: " + ", ".join(ITEM_KINDS))
        return None
    if len(kinds) > 1:
        r.error("many_kinds", f"{what} has {len(kinds)} kinds ({', '.join(kinds)})",
                m.key_line(kinds[1]), "keep exactly one of: " + ", ".join(ITEM_KINDS))
        return None
    kind = kinds[0]
    for extra, allowed in EXTRA_KEYS.items():
        if extra in m and kind not in allowed:
            r.error("unknown_key", f"'{extra}' does not apply to a {kind} item ({what})",
                    m.key_line(extra), f"'{extra}' is for {' / '.join(allowed)} items")
    min_sample = _min_sample(m.get("min_sample"), kind, what, max_points, r)
    fields = _KIND_READERS[kind](m, what, r, ctx)
    if key is None or label is None or max_points is None or fields is None:
        return None
    if "min_sample" in m and min_sample is None:
        return None
    if kind == "per" and fields["start"] is None:
        fields["start"] = max_points
    common: dict[str, Any] = {"key": key, "label": label, "max": max_points, "line": m.line,
                              "min_sample": min_sample}
    return _ITEM_CLASSES[kind](**common, **fields)


def _metric(m: YMap, what: str, r: Reader) -> str | None:
    """The item's metric: its ``metric`` key, else its own key."""
    if "metric" in m:
        return r.string(m.get("metric"), f"the metric of {what}")
    return r.string(m.get("key"), f"the metric of {what}")


def _tiers(m: YMap, what: str, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    metric = _metric(m, what, r)
    nodes = r.sequence(m.get("tiers"), f"tiers of {what}")
    if not nodes:
        r.error("missing_key", f"{what} has no tiers", m.key_line("tiers"))
        return None
    tiers: list[Tier] = []
    ok = True
    for node in nodes:
        t = r.mapping(node, f"a tier of {what}")
        if t is None:
            ok = False
            continue
        r.check_keys(t, ("max", "min", "points"), f"a tier of {what}")
        if "max" in t and "min" in t:
            r.error("tier_mixed", f"a tier of {what} has both 'max' and 'min'", t.line,
                    "upper bounds ('max') for lower-is-better metrics, lower bounds ('min') "
                    "for higher-is-better ones")
            ok = False
        points = r.number(r.require(t, "points", f"a tier of {what}"), f"points of {what}")
        upper = r.number(t.get("max"), f"a tier bound of {what}")
        lower = r.number(t.get("min"), f"a tier bound of {what}")
        if points is None or ("max" in t and upper is None) or ("min" in t and lower is None):
            ok = False
            continue
        tiers.append(Tier(points, upper, lower, t.line))
    if metric is None or not ok:
        return None
    return {"metric": metric, "tiers": tuple(tiers)}


def _linear(m: YMap, what: str, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    metric = _metric(m, what, r)
    spec = r.mapping(m.get("linear"), f"linear of {what}")
    if spec is None:
        return None
    r.check_keys(spec, ("from", "to"), f"linear of {what}")
    worst = r.number(r.require(spec, "from", f"linear of {what}"), f"'from' of {what}")
    best = r.number(r.require(spec, "to", f"linear of {what}"), f"'to' of {what}")
    if metric is None or worst is None or best is None:
        return None
    return {"metric": metric, "worst": worst, "best": best}


def _target(m: YMap, what: str, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    metric = _metric(m, what, r)
    node = m.get("target")
    assert node is not None
    if isinstance(node, YScalar) and node.raw == "targets":
        return {"metric": metric, "target": None} if metric else None
    if isinstance(node, YScalar) and isinstance(node.value, str):
        r.error("target_value", f"the target of {what} must be a number or 'targets', "
                f"not {node.raw!r}", node.line, "'targets' takes the period's target")
        return None
    value = r.number(node, f"the target of {what}")
    if value is None:
        return None
    if value <= 0:
        r.error("target_value", f"the target of {what} must be above 0, not {value}",
                node.line)
        return None
    return {"metric": metric, "target": value} if metric else None


def _grade(m: YMap, what: str, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    spec = r.mapping(m.get("grade"), f"grade of {what}")
    if spec is None:
        return None
    grades: dict[str, Decimal] = {}
    first_seen: dict[str, str] = {}
    ok = True
    for written, (line, node) in spec.entries.items():
        grade = written if written in GRADES else GRADE_ALIASES.get(written)
        if grade is None:
            r.error("grade_key", f"unknown grade {written!r} in {what}", line,
                    "grades are A, B, C, D (or 优, 良, 中, 差)")
            ok = False
            continue
        if grade in first_seen:
            r.error("grade_duplicate", f"grade {grade} of {what} is given twice "
                    f"({first_seen[grade]!r} and {written!r})", line)
            ok = False
            continue
        first_seen[grade] = written
        points = r.number(node, f"points of grade {written} in {what}")
        if points is None:
            ok = False
            continue
        grades[grade] = points
    missing = [g for g in GRADES if g not in first_seen]
    if missing:
        r.error("grade_missing", f"{what} gives no points for grade {', '.join(missing)}",
                spec.line, "every grade A, B, C and D needs points (0 is fine)")
        ok = False
    if not ok:
        return None
    return {"grades": MappingProxyType({g: grades[g] for g in GRADES})}


def _per(m: YMap, what: str, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    spec = r.mapping(m.get("per"), f"per of {what}")
    if spec is None:
        return None
    per: dict[str, Decimal] = {}
    ok = True
    for name, (line, node) in spec.entries.items():
        if name not in ctx.countable:
            r.error("unknown_event", f"{what} counts {name!r}, which is neither an "
                    "attendance status nor an event kind", line,
                    r.hint(ctx.countable, name))
            ok = False
        points = r.number(node, f"points per {name} in {what}")
        if points is None:
            ok = False
        else:
            per[name] = points
    start = r.number(m.get("start"), f"start of {what}")  # None: start at max
    minimum = r.number(m.get("min"), f"min of {what}")
    if not ok or ("start" in m and start is None) or ("min" in m and minimum is None):
        return None
    return {"per": MappingProxyType(per), "start": start, "min": minimum}


def _formula(m: YMap, what: str, r: Reader, ctx: LoadContext) -> dict[str, Any] | None:
    formula = r.formula(m.get("formula"), f"the formula of {what}", ctx.metric_names, "number")
    return {"formula": formula} if formula is not None else None


def _min_sample(node: YNode | None, kind: str, what: str, max_points: Decimal | None,
                r: Reader) -> MinSample | None:
    spec = r.mapping(node, f"min_sample of {what}")
    if spec is None:
        return None
    if kind not in METRIC_KINDS:
        r.error("min_sample", f"min_sample does not apply to a {kind} item ({what})",
                spec.line, "min_sample is for metric items: " + ", ".join(METRIC_KINDS))
        return None
    r.check_keys(spec, ("n", "fallback", "neutral", "metric"), f"min_sample of {what}")
    n = r.integer(r.require(spec, "n", f"min_sample of {what}"), f"min_sample n of {what}")
    fallback = r.choice(r.require(spec, "fallback", f"min_sample of {what}"),
                        f"the fallback of {what}", ("full", "neutral", "team"))
    neutral = r.number(spec.get("neutral"), f"neutral points of {what}")
    if "neutral" in spec and fallback not in (None, "neutral"):
        r.error("min_sample", f"'neutral' points only apply to the neutral fallback ({what})",
                spec.key_line("neutral"))
        return None
    metric = r.string(spec.get("metric"), f"the min_sample metric of {what}")
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
