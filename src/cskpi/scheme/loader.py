"""Load a scheme from YAML text: parse with line numbers, build models, validate all.

:func:`load_scheme` never raises on a bad scheme: it returns ``(None, issues)`` with
every problem found, each with its line and a hint.  What the scheme refers to from
outside (metric keys with unit and direction, event kinds, the agent roster) is
passed in, so this package imports nothing else from cskpi.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import HINT, Issue, message, os_reason
from .items import read_items
from .models import (
    DEFAULT_EVENT_KINDS,
    Adjustment,
    AppliesTo,
    EventKind,
    Level,
    MetricInfo,
    Scheme,
)
from .pay import (
    read_adjustments,
    read_awards,
    read_events,
    read_levels,
    read_pay,
    read_targets,
    read_veto,
)
from .reader import LoadContext, Reader, TooMuchAliasing, YMap, YNode, YSeq, compose
from .texts import key_of, phrase, what
from .validate import validate_scheme

TOP_KEYS = ("scheme", "title", "applies_to", "pass_ratio", "profile", "events", "levels",
            "items", "veto", "adjustments", "pay", "awards", "targets", "qa")
APPLIES_TO_KEYS = ("role", "team", "level", "agents")


def load_scheme(text: str, source: str = "<scheme>", *,
                metrics: Mapping[str, MetricInfo] | None = None,
                event_kinds: Collection[str] = DEFAULT_EVENT_KINDS,
                roster: Sequence[Mapping[str, Any]] | None = None,
                ) -> tuple[Scheme | None, list[Issue]]:
    """Parse and check a scheme; return it (None when there are errors) and all issues.

    ``metrics`` maps metric keys to their unit and direction (None: metric keys are
    not checked and formulas may use any name); ``event_kinds`` are the kinds an
    event may have; ``roster`` rows (agent_id, role, team, level) let the loader
    check that ``applies_to`` matches somebody.  Issues are sorted by line.
    """
    r = Reader(source)
    ctx = LoadContext(metrics, tuple(event_kinds),
                      tuple(roster) if roster is not None else None)
    root = compose(text, r)
    if root is None:
        if not r.issues:
            r.error("not_mapping", None, variant="empty")
        return None, _sorted(r.issues)
    if not isinstance(root, YMap):
        r.error("not_mapping", root.line)
        return None, _sorted(r.issues)
    try:
        scheme = _read_scheme(root, r, ctx)
        validate_scheme(scheme, r, _extended(ctx, scheme.events, scheme.levels))
    except TooMuchAliasing as err:
        r.too_much_aliasing(err.line)
        return None, _sorted(r.issues)
    has_errors = any(i.is_error for i in r.issues)
    return (None if has_errors else scheme), _sorted(r.issues)


def load_scheme_file(path: str | Path, **kw: Any) -> tuple[Scheme | None, list[Issue]]:
    """:func:`load_scheme` on a UTF-8 file; issues name the file as their source."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        return None, [Issue("error", "unreadable", file=str(p), origin="scheme",
                            params={"detail": os_reason(err)})]
    text, issues = decode_scheme(data, str(p))
    if text is None:
        return None, issues
    return load_scheme(text, str(p), **kw)


def decode_scheme(data: bytes, source: str) -> tuple[str | None, list[Issue]]:
    """The text of a scheme file's bytes (UTF-8, a byte-order mark allowed).

    Other bytes give ``(None, [issue])``: an ``encoding`` error at the line and column
    of the first byte that is not UTF-8, with a hint naming the encoding the file reads
    in when it is a Chinese one (GB18030 covers GBK and GB2312).
    """
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        before = data[:err.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        hint = "hint.utf8"
        try:
            data.decode("gb18030")
            hint = "hint.utf8_gbk"
        except UnicodeDecodeError:
            pass
        byte = data[err.start:err.start + 1].hex()
        return None, [Issue("error", "encoding", file=source, row=line, column=column,
                            origin="scheme", params={"byte": f"0x{byte}", "line": line,
                                                     "column": column, HINT: phrase(hint)})]


def _sorted(issues: list[Issue]) -> list[Issue]:
    """By line, each distinct issue once (a YAML alias read twice reports once)."""
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (i.row is None, i.row or 0))


def _read_scheme(top: YMap, r: Reader, ctx: LoadContext) -> Scheme:
    """Build the scheme; parts that fail are left out (their issues are recorded)."""
    scheme = what("scheme")
    r.check_keys(top, TOP_KEYS, scheme)
    name = r.string(r.require(top, "scheme", scheme), key_of("scheme", scheme)) or ""
    title = r.string(top.get("title"), key_of("title", scheme)) or name
    pass_ratio = _pass_ratio(top.get("pass_ratio"), r)
    profile = r.string(top.get("profile"), key_of("profile", scheme))
    events = read_events(top.get("events"), r)
    levels = read_levels(top.get("levels"), r)
    ctx = _extended(ctx, events, levels)
    items_node = top.get("items")
    pays = "pay" in top or any(e.money is not None for e in events)
    if items_node is None and not pays:  # a scheme that only pays needs no items
        r.require(top, "items", scheme)
    items = read_items(items_node, r, ctx)
    if isinstance(items_node, YSeq) and not items_node.items and not pays:
        r.error("missing_key", top.key_line("items"), variant="no_items")
    pay, pay_awards = read_pay(top.get("pay"), r, ctx)
    if pay_awards is not None and "awards" in top:
        r.error("duplicate_key", top.key_line("awards"), variant="awards")
    awards = read_awards(pay_awards if pay_awards is not None else top.get("awards"), r, ctx)
    adjustments = _with_event_points(read_adjustments(top.get("adjustments"), r), events, r)
    return Scheme(
        name=name, title=title, applies_to=_applies_to(top.get("applies_to"), r),
        pass_ratio=pass_ratio, profile=profile, items=tuple(items),
        veto=tuple(read_veto(top.get("veto"), r, ctx)),
        adjustments=tuple(adjustments), pay=pay,
        awards=tuple(awards), targets=MappingProxyType(read_targets(top.get("targets"), r)),
        source=r.source, line=top.line, events=tuple(events), levels=tuple(levels),
        qa=r.string(top.get("qa"), message("qa.what.rules")))


def _extended(ctx: LoadContext, events: Sequence[EventKind],
              levels: Sequence[Level]) -> LoadContext:
    """The caller's facts, with the event kinds and levels the scheme declares."""
    kinds = tuple(dict.fromkeys((*ctx.event_kinds, *(e.kind for e in events))))
    return replace(ctx, event_kinds=kinds, levels=tuple(level.name for level in levels))


def _with_event_points(adjustments: list[Adjustment], events: list[EventKind],
                       r: Reader) -> list[Adjustment]:
    """The adjustments, with the events declared with ``points`` as adjustments of their
    own, and the declared labels on adjustments that have none."""
    out = []
    declared = {e.kind: e for e in events}
    for adj in adjustments:
        event = declared.get(adj.event)
        if event is not None and event.points is not None:
            r.error("duplicate_key", adj.line, variant="event_points", kind=adj.event,
                    first=event.line)
        out.append(adj if adj.label or event is None or not event.label
                   else replace(adj, label=event.label))
    out += [Adjustment(e.kind, e.points, None, None, e.label, e.line)
            for e in events if e.points is not None]
    return out


def _pass_ratio(node: YNode | None, r: Reader) -> Decimal | None:
    value = r.number(node, key_of("pass_ratio", what("scheme")))
    if value is not None and node is not None and not 0 <= value <= 1:
        r.error("pass_ratio", node.line, value=str(value))
        return None
    return value


def _applies_to(node: YNode | None, r: Reader) -> AppliesTo:
    applies = what("applies_to")
    m = r.mapping(node, applies)
    if m is None:
        return AppliesTo()
    r.check_keys(m, APPLIES_TO_KEYS, applies)
    return AppliesTo(role=r.strings(m.get("role"), key_of("role", applies)),
                     team=r.strings(m.get("team"), key_of("team", applies)),
                     level=r.strings(m.get("level"), key_of("level", applies)),
                     agents=r.strings(m.get("agents"), key_of("agents", applies)),
                     line=m.line)
