"""Load a scheme from YAML text: parse with line numbers, build models, validate all.

:func:`load_scheme` never raises on a bad scheme: it returns ``(None, issues)`` with
every problem found, each with its line and a hint.  What the scheme refers to from
outside (metric keys with unit and direction, event kinds, the agent roster) is
passed in, so this package imports nothing else from cskpi.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .items import read_items
from .models import DEFAULT_EVENT_KINDS, AppliesTo, MetricInfo, Scheme, SchemeIssue
from .pay import read_adjustments, read_awards, read_pay, read_targets, read_veto
from .reader import LoadContext, Reader, TooMuchAliasing, YMap, YNode, YSeq, compose
from .validate import validate_scheme

TOP_KEYS = ("scheme", "title", "applies_to", "pass_ratio", "profile", "items", "veto",
            "adjustments", "pay", "awards", "targets", "qa")
APPLIES_TO_KEYS = ("role", "team", "level", "agents")


def load_scheme(text: str, source: str = "<scheme>", *,
                metrics: Mapping[str, MetricInfo] | None = None,
                event_kinds: Collection[str] = DEFAULT_EVENT_KINDS,
                roster: Sequence[Mapping[str, Any]] | None = None,
                ) -> tuple[Scheme | None, list[SchemeIssue]]:
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
            r.error("not_mapping", "the scheme is empty", None,
                    "start with 'scheme: NAME' and an 'items:' list")
        return None, _sorted(r.issues)
    if not isinstance(root, YMap):
        r.error("not_mapping", "a scheme must be a mapping of keys (scheme, items, …)",
                root.line, "start with 'scheme: NAME'")
        return None, _sorted(r.issues)
    try:
        scheme = _read_scheme(root, r, ctx)
        validate_scheme(scheme, r, ctx)
    except TooMuchAliasing as err:
        r.too_much_aliasing(err.line)
        return None, _sorted(r.issues)
    has_errors = any(i.is_error for i in r.issues)
    return (None if has_errors else scheme), _sorted(r.issues)


def load_scheme_file(path: str | Path, **kw: Any) -> tuple[Scheme | None, list[SchemeIssue]]:
    """:func:`load_scheme` on a UTF-8 file; issues name the file as their source."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        return None, [SchemeIssue("error", "unreadable", f"cannot read the scheme: {err}",
                                  None, None, str(p))]
    text, issues = decode_scheme(data, str(p))
    if text is None:
        return None, issues
    return load_scheme(text, str(p), **kw)


def decode_scheme(data: bytes, source: str) -> tuple[str | None, list[SchemeIssue]]:
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
        hint = "save the file as UTF-8"
        try:
            data.decode("gb18030")
            hint += " (it reads as GBK/GB18030: in Notepad, Save As → Encoding: UTF-8)"
        except UnicodeDecodeError:
            pass
        byte = data[err.start:err.start + 1].hex()
        return None, [SchemeIssue("error", "encoding", f"the scheme is not UTF-8 text: byte "
                                  f"0x{byte} at line {line}, column {column} cannot be read",
                                  line, hint, source, column)]


def _sorted(issues: list[SchemeIssue]) -> list[SchemeIssue]:
    """By line, each distinct issue once (a YAML alias read twice reports once)."""
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (i.line is None, i.line or 0))


def _read_scheme(top: YMap, r: Reader, ctx: LoadContext) -> Scheme:
    """Build the scheme; parts that fail are left out (their issues are recorded)."""
    r.check_keys(top, TOP_KEYS, "the scheme")
    name = r.string(r.require(top, "scheme", "the scheme"), "the scheme name") or ""
    title = r.string(top.get("title"), "the title") or name
    pass_ratio = _pass_ratio(top.get("pass_ratio"), r)
    profile = r.string(top.get("profile"), "the profile")
    items_node = r.require(top, "items", "the scheme")
    items = read_items(items_node, r, ctx)
    if isinstance(items_node, YSeq) and not items_node.items:
        r.error("missing_key", "the scheme has no items", top.key_line("items"))
    pay, pay_awards = read_pay(top.get("pay"), r)
    if pay_awards is not None and "awards" in top:
        r.error("duplicate_key", "awards are given both under pay and at the top level",
                top.key_line("awards"), "keep one list of awards")
    awards = read_awards(pay_awards if pay_awards is not None else top.get("awards"), r, ctx)
    return Scheme(
        name=name, title=title, applies_to=_applies_to(top.get("applies_to"), r),
        pass_ratio=pass_ratio, profile=profile, items=tuple(items),
        veto=tuple(read_veto(top.get("veto"), r, ctx)),
        adjustments=tuple(read_adjustments(top.get("adjustments"), r)), pay=pay,
        awards=tuple(awards), targets=MappingProxyType(read_targets(top.get("targets"), r)),
        source=r.source, line=top.line, qa=r.string(top.get("qa"), "the QA rules"))


def _pass_ratio(node: YNode | None, r: Reader) -> Decimal | None:
    value = r.number(node, "pass_ratio")
    if value is not None and node is not None and not 0 <= value <= 1:
        r.error("pass_ratio", f"pass_ratio must be between 0 and 1, not {value}", node.line,
                "a share of the maximum score: 0.7 means 70 %")
        return None
    return value


def _applies_to(node: YNode | None, r: Reader) -> AppliesTo:
    m = r.mapping(node, "applies_to")
    if m is None:
        return AppliesTo()
    r.check_keys(m, APPLIES_TO_KEYS, "applies_to")
    return AppliesTo(role=r.strings(m.get("role"), "a role"),
                     team=r.strings(m.get("team"), "a team"),
                     level=r.strings(m.get("level"), "a level"),
                     agents=r.strings(m.get("agents"), "an agent id"), line=m.line)
