"""What a manager may enter for an agent: events and grades that count under the schemes
in force, or a refusal that says why not.

An entry that is stored but counts nowhere (a kind no scheme knows, a complaint with no
points or points outside the scheme's range, praise typed as 100 where the scheme fixes
+2, an agent no scheme covers) misleads whoever trusts the figures, so the app checks
each entry here, against every scheme that covers the agent, before it stores it:

- an event kind must be one a covering scheme counts: an adjustment (fixed points, or
  points chosen within a range), an event paid with money (``events:``), or one an item
  or veto counts;
- where a scheme lets the manager choose the points (``points: {min, max}``) they are
  required and must lie in the range; a deduction written positive counts negative, as
  scoring reads it (13 is −13 for a −20..−5 complaint) and is stored so;
- where a scheme fixes the points (``points: 2``), the entry takes none (the scheme's
  apply) or exactly those; other points would be set aside by scoring;
- a kind that is only counted or paid takes no points;
- a grade must be a grade item of a covering scheme and one of that item's grades.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import CskpiError, figure, message
from ..scheme import ATTENDANCE_STATUSES, DEFAULT_EVENT_KINDS, GradeItem, PerItem, Scheme
from ..scheme.models import GRADE_ALIASES
from .texts import event_ref, points

ZERO = Decimal(0)
MAX_POINTS = Decimal(1_000_000)
"""Typed points must be smaller than this in size (the app stores 10 digits, 2 decimals)."""


class EntryRefused(CskpiError):
    """An entry that would not count as typed: the coded reason (``error.entry.*``)."""

    def __init__(self, code: str, field: str, **params: Any) -> None:
        super().__init__(code=f"entry.{code}", params=params)
        self.field = field  # the form field the reason is about

    @property
    def msg(self) -> dict[str, Any]:
        """The reason as a coded message (``texts.say`` renders it, with event labels)."""
        return message(f"error.{self.code}", **self.params)

    @property
    def hint_msg(self) -> dict[str, Any] | None:
        key = f"error.{self.code}.hint"
        return message(key, **self.params) if self.hint is not None else None


@dataclass(frozen=True)
class EventRule:
    """How one scheme counts one event kind.

    ``fixed`` points per event, or points ``chosen`` per event within ``low``..``high``;
    ``money`` paid per event; ``counted`` by an item or a veto.  A kind may be several
    of these at once (an adjustment and a veto count)."""

    scheme: str
    kind: str
    label: str | None = None
    fixed: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    money: Decimal | None = None
    counted: bool = False

    @property
    def chosen(self) -> bool:
        return self.low is not None or self.high is not None

    @property
    def takes_points(self) -> bool:
        return self.fixed is not None or self.chosen

    @property
    def deduction(self) -> bool:
        """Whether the points deduct (then a positive figure typed counts negative)."""
        return is_deduction(self.fixed, self.high)

    @property
    def kind_phrase(self) -> dict[str, str]:
        """The kind as a coded phrase (its label, else its name) for messages."""
        return event_ref(self.kind, self.label)

    def describe(self) -> dict[str, Any]:
        """What an event of this kind is worth, as a coded phrase."""
        if self.fixed is not None:
            return message("entry.rule.fixed", points=signed(self.fixed))
        if self.chosen:
            return message("entry.rule.chosen", min=signed(self.low), max=signed(self.high))
        if self.money is not None:
            return message("entry.rule.money", money=figure(self.money, "money"))
        return message("entry.rule.counted")


def is_deduction(fixed: Decimal | None, high: Decimal | None) -> bool:
    """A deduction is worth at most 0 (a range's upper end at most 0): how scoring reads
    a figure written positive for one (扣分 13 is −13)."""
    return (fixed if fixed is not None else high if high is not None else ZERO) <= 0


def own_points(value: Any, deduction: bool) -> Decimal | None:
    """The points an event row carries, a deduction's written positive counted negative."""
    if value is None:
        return None
    points_ = Decimal(str(value))
    return -points_ if deduction and points_ > 0 else points_


def signed(value: Decimal | None) -> dict[str, Any] | str:
    return points(value) if value is not None else "—"


def _counted_kinds(scheme: Scheme) -> list[str]:
    """Event kinds an item (``per``) or a veto counts."""
    known = {*DEFAULT_EVENT_KINDS, *(e.kind for e in scheme.events),
             *(a.event for a in scheme.adjustments)}
    out: list[str] = []
    for item in scheme.items:
        if isinstance(item, PerItem):
            out += [k for k in item.per if k not in ATTENDANCE_STATUSES]
    for veto in scheme.veto:
        out += sorted(n for n in veto.condition.names if n in known)
    return list(dict.fromkeys(out))


def event_rules(scheme: Scheme) -> list[EventRule]:
    """Every event kind the scheme counts, with how (in the scheme's order)."""
    rules: dict[str, EventRule] = {}
    for adj in scheme.adjustments:
        if adj.event in rules:  # one rule a kind: the first adjustment is the one shown
            continue
        rules[adj.event] = EventRule(scheme.name, adj.event, adj.label, fixed=adj.points,
                                     low=adj.min_points, high=adj.max_points)
    for event in scheme.events:
        rule = rules.get(event.kind) or EventRule(scheme.name, event.kind, event.label)
        rules[event.kind] = EventRule(rule.scheme, rule.kind, rule.label or event.label,
                                      rule.fixed, rule.low, rule.high, event.money,
                                      rule.counted)
    for kind in _counted_kinds(scheme):
        rule = rules.get(kind) or EventRule(scheme.name, kind)
        rules[kind] = EventRule(rule.scheme, rule.kind, rule.label, rule.fixed, rule.low,
                                rule.high, rule.money, counted=True)
    return [r for r in rules.values() if r.takes_points or r.money is not None or r.counted]


def parse_points(text: str | Decimal | None) -> Decimal | None:
    """Typed points as a number with at most 2 decimals (None when none were typed)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = Decimal(str(text).strip().replace(",", "").replace("＋", "+")
                        .replace("−", "-").replace("－", "-"))
        if not value.is_finite() or abs(value) >= MAX_POINTS:
            raise InvalidOperation
        quantized = value.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise EntryRefused("points_invalid", "points", points=str(text)) from None
    if quantized != value:
        raise EntryRefused("points_decimals", "points", points=str(text))
    return quantized


def _names(schemes: Sequence[Scheme]) -> list[str]:
    return [s.name for s in schemes]


def check_event(schemes: Sequence[Scheme], agent: Mapping[str, Any], kind: str,
                typed: str | Decimal | None) -> Decimal | None:
    """The points to store for an event of ``kind`` for ``agent`` (None: none), or an
    :class:`EntryRefused` saying why it would not count as typed.

    ``schemes`` are the schemes in force that cover the agent; the entry must count, as
    typed, under every one of them that knows the kind."""
    agent_id = str(agent.get("agent_id"))
    kind = kind.strip()
    if not schemes:
        raise EntryRefused("no_scheme", "agent_id", agent=agent_id,
                           role=str(agent.get("role") or "—"))
    value = parse_points(typed)
    rules = [r for s in schemes for r in event_rules(s) if r.kind == kind]
    if not rules:
        kinds = list(dict.fromkeys(r.kind for s in schemes for r in event_rules(s)))
        if not kinds:
            raise EntryRefused("no_kinds", "kind", agent=agent_id, schemes=_names(schemes))
        raise EntryRefused("kind_unknown", "kind", kind=kind, agent=agent_id,
                           schemes=_names(schemes), kinds=[event_ref(k) for k in kinds])
    stored = value
    for rule in rules:
        got = own_points(value, rule.deduction)
        if rule.chosen:
            if got is None:
                raise EntryRefused("points_required", "points", event=rule.kind_phrase,
                                   scheme=rule.scheme, min=signed(rule.low),
                                   max=signed(rule.high))
            if (rule.low is not None and got < rule.low) or \
                    (rule.high is not None and got > rule.high):
                raise EntryRefused("points_range", "points", event=rule.kind_phrase,
                                   scheme=rule.scheme, points=points(got),
                                   min=signed(rule.low), max=signed(rule.high))
            stored = got
        elif rule.fixed is not None:
            if got is not None and got != rule.fixed:
                raise EntryRefused("points_fixed", "points", event=rule.kind_phrase,
                                   scheme=rule.scheme, points=points(got),
                                   fixed=points(rule.fixed))
            stored = got
        elif value is not None and not any(r.takes_points for r in rules):
            raise EntryRefused("points_none", "points", event=rule.kind_phrase, scheme=rule.scheme,
                               rule=rule.describe())
    return stored


def grade_items(schemes: Sequence[Scheme]) -> list[tuple[Scheme, GradeItem]]:
    """The items managers grade under ``schemes`` (each key once, the first scheme's)."""
    out: dict[str, tuple[Scheme, GradeItem]] = {}
    for scheme in schemes:
        for item in scheme.items:
            if isinstance(item, GradeItem) and item.key not in out:
                out[item.key] = (scheme, item)
    return list(out.values())


def check_grade(schemes: Sequence[Scheme], agent: Mapping[str, Any], item: str,
                grade: str) -> str:
    """The grade ``A``–``D`` to store for ``item`` (优/良/中/差 read as A–D), or an
    :class:`EntryRefused`: the item must be graded under a scheme that covers the agent,
    and the grade one that item gives points for (under every such scheme)."""
    agent_id = str(agent.get("agent_id"))
    if not schemes:
        raise EntryRefused("no_scheme", "agent_id", agent=agent_id,
                           role=str(agent.get("role") or "—"))
    graded = [(s, i) for s in schemes for i in s.items
              if isinstance(i, GradeItem) and i.key == item]
    if not graded:
        items = [i.key for _, i in grade_items(schemes)]
        if not items:
            raise EntryRefused("no_items", "item", agent=agent_id, schemes=_names(schemes))
        raise EntryRefused("item_unknown", "item", item=item, agent=agent_id,
                           schemes=_names(schemes), items=items)
    value = grade.strip()
    canonical = GRADE_ALIASES.get(value, value.upper())
    for scheme, found in graded:
        if canonical not in found.grades:
            raise EntryRefused("grade_invalid", "grade", grade=value, item=found.label or item,
                               scheme=scheme.name, grades=list(found.grades))
    return canonical
