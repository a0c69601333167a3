"""YAML with line numbers, and typed readers that collect issues instead of raising.

:func:`compose` turns YAML text into :class:`YMap` / :class:`YSeq` / :class:`YScalar`
nodes, each knowing its 1-based line.  Keys are kept as written (``on:`` stays the
string ``"on"``, not YAML 1.1's ``True``) and a repeated key is reported.  A
:class:`Reader` then pulls typed values out of the nodes; a wrong type, a missing
or unknown key is recorded as an :class:`~cskpi.errors.Issue` (a code with parameters,
``origin="scheme"``, its ``row`` the YAML line) and the reader returns ``None``, so one
pass finds every problem.

Hostile input is an issue, never an exception: a non-standard tag (``!!python/…``), a
number past Python's 4,300-digit ``int`` limit, an invalid explicitly tagged value,
nesting past :data:`MAX_YAML_DEPTH` and aliases that would make reading the scheme far
longer than its text (see :data:`~cskpi.scheme.limits.MAX_ALIAS_EXPANSION`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

import yaml

from ..errors import HINT, Issue, Level
from .formula import Formula, FormulaError, Lookups, parse_formula
from .formula_ast import ValueType
from .limits import (
    MAX_ALIAS_EXPANSION,
    MAX_SUGGESTIONS,
    MAX_YAML_DEPTH,
    STANDARD_TAGS,
    limits_hint,
    number_problem,
    shorten,
)
from .models import ATTENDANCE_STATUSES, DEFAULT_EVENT_KINDS, MetricInfo
from .texts import Msg, phrase, valid_hint

__all__ = ["MAX_YAML_DEPTH", "LoadContext", "Reader", "TooMuchAliasing", "YMap", "YNode",
           "YScalar", "YSeq", "compose", "keys_hint"]


@dataclass
class YScalar:
    value: Any  # as YAML 1.1 reads it (int, float, bool, str, None, date; a Decimal for
    # an integer past int()'s digit limit, which Reader.number then reports)
    raw: str  # the text as written
    line: int
    column: int | None = None  # 1-based, where the value starts on its line


@dataclass
class YSeq:
    items: list[YNode]
    line: int


@dataclass
class YMap:
    entries: dict[str, tuple[int, YNode]] = field(default_factory=dict)  # key -> (line, value)
    line: int = 0

    def get(self, key: str) -> YNode | None:
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def key_line(self, key: str) -> int:
        return self.entries[key][0] if key in self.entries else self.line

    def __contains__(self, key: str) -> bool:
        return key in self.entries


YNode: TypeAlias = YScalar | YSeq | YMap


class _Builder(yaml.SafeLoader):
    """A SafeLoader used only for its scalar constructors and merge-key handling."""


_YAML = "tag:yaml.org,2002:"
_TEXT_TAGS = frozenset({f"{_YAML}value", f"{_YAML}merge"})  # '=' and '<<' written as values
_DIGITS = re.compile(r"[-+]?[0-9]+")


class TooMuchAliasing(Exception):
    """Reading the scheme through its aliases went past its budget (see :class:`Reader`)."""

    def __init__(self, line: int | None) -> None:
        super().__init__(f"too much aliasing (line {line})")
        self.line = line


def compose(text: str, reader: Reader) -> YNode | None:
    """Parse YAML ``text`` into located nodes; syntax errors go to ``reader``.

    Anchors and aliases are read once each (an alias bomb stays small), a recursive
    alias or nesting deeper than :data:`MAX_YAML_DEPTH` is an error.  Sets the
    reader's budget for what follows: the text's length plus
    :data:`~cskpi.scheme.limits.MAX_ALIAS_EXPANSION`.
    """
    reader.budget = len(text) + MAX_ALIAS_EXPANSION
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        hint = phrase("hint.tabs") if "\\t" in problem or "tab" in problem else (
            phrase("hint.indentation"))
        reader.error("yaml_syntax", mark.line + 1 if mark else None, hint=hint,
                     problem=yaml_problem(problem))
        return None
    except yaml.YAMLError as err:
        reader.error("yaml_syntax", None, variant="other", problem=str(err))
        return None
    except RecursionError:
        reader.error("yaml_syntax", None, variant="too_deep")
        return None
    if root is None:
        return None
    try:
        return _Converter(reader).convert(root, 1)
    except TooMuchAliasing as err:
        reader.too_much_aliasing(err.line)
        return None


_YAML_PROBLEMS = {  # PyYAML's words for the commonest slips, said in the reader's language
    "found character '\\t' that cannot start any token": "tab",
    "mapping values are not allowed here": "mapping_values",
    "could not find expected ':'": "expected_colon",
    "did not find expected key": "expected_key",
    "did not find expected '-' indicator": "expected_dash",
    "did not find expected node content": "expected_node",
    "found unexpected end of stream": "end_of_stream",
    "found duplicate anchor; first occurrence": "duplicate_anchor",
}


def yaml_problem(problem: str) -> Msg | str:
    """PyYAML's problem as a coded phrase when it is a common one (else its own words)."""
    for text, code in _YAML_PROBLEMS.items():
        if problem.startswith(text):
            return phrase(f"yaml.{code}")
    if problem.startswith("found undefined alias"):
        return phrase("yaml.undefined_alias", alias=problem.rsplit(" ", 1)[-1])
    if problem.startswith("expected ") and ", but found " in problem:
        return phrase("yaml.expected_found")
    return problem


class _Converter:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.builder = _Builder("")
        self.done: dict[int, YNode] = {}  # id(yaml node) -> converted (aliases share it)
        self.busy: set[int] = set()

    def convert(self, node: yaml.Node, depth: int) -> YNode:
        line = node.start_mark.line + 1
        column = node.start_mark.column + 1
        if id(node) in self.done:
            return self.done[id(node)]
        if id(node) in self.busy or depth > MAX_YAML_DEPTH:
            if id(node) in self.busy:
                self.reader.error("yaml_syntax", line, variant="self_alias")
            else:
                self.reader.error("yaml_syntax", line, variant="depth", max=MAX_YAML_DEPTH)
            return YScalar(None, "", line)
        if node.tag not in STANDARD_TAGS and not (
                isinstance(node, yaml.ScalarNode) and node.tag in _TEXT_TAGS):
            tag = "!!" + node.tag[len(_YAML):] if node.tag.startswith(_YAML) else node.tag
            self.reader.error("yaml_tag", line, column=column, tag=shorten(tag))
        self.busy.add(id(node))
        out: YNode
        if isinstance(node, yaml.MappingNode):
            out = self._mapping(node, depth)
        elif isinstance(node, yaml.SequenceNode):
            out = YSeq([self.convert(n, depth + 1) for n in node.value], line)
        elif node.tag not in STANDARD_TAGS:  # reported above (or '=', '<<'): read as text
            out = YScalar(str(node.value), str(node.value), line, column)
        else:
            out = self._scalar(node, line, column)
        self.busy.discard(id(node))
        self.done[id(node)] = out
        return out

    def _scalar(self, node: yaml.Node, line: int, column: int) -> YScalar:
        text = str(node.value)
        try:
            value = self.builder.construct_object(node, deep=True)
        except Exception as err:  # PyYAML's constructors raise several kinds (!!float '')
            value = self._unreadable(node, text, err, line, column)
        return YScalar(value, text, line, column)

    def _unreadable(self, node: yaml.Node, text: str, _err: Exception, line: int,
                    column: int) -> Any:
        """The value of a scalar YAML's constructors refuse (an issue when it was tagged)."""
        digits = text.replace("_", "")
        if node.tag == f"{_YAML}int" and _DIGITS.fullmatch(digits):
            return Decimal(digits)  # past int()'s 4,300-digit limit: Reader.number reports it
        implicit = self.builder.resolve(yaml.ScalarNode, text, (True, False))
        if getattr(node, "style", None) is None and node.tag == implicit:
            return text  # a plain value that only looks like one (2026-13-45): text
        kind = node.tag[len(_YAML):] if node.tag.startswith(_YAML) else node.tag
        self.reader.error("yaml_value", line, column=column, value=shorten(text), kind=kind)
        return text

    def _mapping(self, node: yaml.MappingNode, depth: int) -> YMap:
        explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        try:
            self.builder.flatten_mapping(node)  # YAML merge keys (<<) come first, then the rest
        except yaml.YAMLError as err:  # '<<: 3': only mappings merge
            mark = getattr(err, "problem_mark", None) or node.start_mark
            self.reader.error("yaml_syntax", mark.line + 1, column=mark.column + 1,
                              variant="merge")
            node.value = [(k, v) for k, v in node.value if k.tag != "tag:yaml.org,2002:merge"]
            explicit = len(node.value)
        merged = len(node.value) - explicit
        self.reader.spend(merged, node.start_mark.line + 1)
        out = YMap(line=node.start_mark.line + 1)
        seen: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.reader.error("wrong_type", key_line, variant="key")
                continue
            key = str(key_node.value)
            if index >= merged:  # written here: may override a merged key, not repeat one
                if key in seen:
                    self.reader.error("duplicate_key", key_line, key=key,
                                      first=out.entries[key][0])
                    continue
                seen.add(key)
            out.entries[key] = (key_line, self.convert(value_node, depth + 1))
        return out


def _kind_of(node: YNode) -> Msg:
    """What a node is, as a message says it ("a number (12)", "text ('x')")."""
    if isinstance(node, YMap):
        return phrase("found.mapping")
    if isinstance(node, YSeq):
        return phrase("found.list")
    value = node.value
    raw = shorten(node.raw)
    if value is None:
        return phrase("found.nothing")
    if isinstance(value, bool):
        return phrase("found.bool", raw=raw)
    if isinstance(value, int | float | Decimal):
        return phrase("found.number", raw=raw)
    if isinstance(value, datetime.date):
        return phrase("found.date", raw=raw)
    return phrase("found.text", raw=raw)


def _excerpt(text: str, column: int, width: int = 60) -> str:
    """A formula as a message quotes it: whole when short, else the part around ``column``."""
    if len(text) <= width:
        return repr(text)
    start = max(0, min(column - 1 - width // 2, len(text) - width))
    part = text[start:start + width]
    return ("…" if start else "") + repr(part) + ("…" if start + width < len(text) else "")


def keys_hint(valid: Iterable[str], given: str | None = None) -> Msg:
    """``did you mean 'x'? valid: a, b, c`` for an unknown ``given`` key or name."""
    return valid_hint(valid, given)


class Reader:
    """Collects issues for one scheme source and reads typed values from nodes.

    Reading is counted (mapping and list entries, formula characters) against
    ``budget``: YAML aliases let a short text stand for a huge one, so past the budget
    :class:`TooMuchAliasing` is raised, and the loader reports it as ``yaml_alias``.
    """

    def __init__(self, source: str, budget: int | None = None) -> None:
        self.source = source
        self.issues: list[Issue] = []
        self.budget = budget
        self.spent = 0
        self.suggestions_left = MAX_SUGGESTIONS

    def suggest(self) -> bool:
        """Whether a hint may still look for the closest valid name (it costs ~1 ms)."""
        self.suggestions_left -= 1
        return self.suggestions_left >= 0

    def hint(self, valid: Iterable[str], given: str | None) -> Msg:
        """:func:`keys_hint`, with "did you mean" while :meth:`suggest` allows."""
        return keys_hint(valid, given if given is not None and self.suggest() else None)

    def spend(self, units: int, line: int | None) -> None:
        """Count ``units`` of reading; past the budget, stop reading altogether."""
        self.spent += units
        if self.budget is not None and self.spent > self.budget:
            raise TooMuchAliasing(line)

    def too_much_aliasing(self, line: int | None) -> None:
        self.error("yaml_alias", line, max=f"{MAX_ALIAS_EXPANSION:,}")

    # -- recording
    def add(self, level: Level, code: str, line: int | None, *, column: int | None = None,
            hint: Msg | None = None, variant: str | None = None,
            message_key: str | None = None, **params: Any) -> None:
        """Record an issue: ``code`` with ``params``, its message ``scheme.issue.<code>``
        (``.<variant>`` when the code reads differently here, or ``message_key``) and
        ``hint`` (a coded phrase) when the code's own hint does not fit."""
        if hint is not None:
            params[HINT] = hint
        key = message_key or (f"scheme.issue.{code}.{variant}" if variant else None)
        self.issues.append(Issue(level, code, file=self.source, row=line, column=column,
                                 params=params, origin="scheme", key=key))

    def error(self, code: str, line: int | None, *, column: int | None = None,
              hint: Msg | None = None, variant: str | None = None,
              message_key: str | None = None, **params: Any) -> None:
        self.add("error", code, line, column=column, hint=hint, variant=variant,
                 message_key=message_key, **params)

    def warning(self, code: str, line: int | None, *, hint: Msg | None = None,
                variant: str | None = None, **params: Any) -> None:
        self.add("warning", code, line, hint=hint, variant=variant, **params)

    # -- structure
    def mapping(self, node: YNode | None, what: Msg) -> YMap | None:
        if isinstance(node, YMap):
            self.spend(len(node.entries), node.line)
        if node is None or isinstance(node, YMap):
            return node
        self.error("wrong_type", node.line, what=what, expected=phrase("expect.mapping"),
                   found=_kind_of(node))
        return None

    def sequence(self, node: YNode | None, what: Msg) -> list[YNode]:
        if node is None:
            return []
        if isinstance(node, YSeq):
            self.spend(len(node.items), node.line)
            return node.items
        self.error("wrong_type", node.line, hint=phrase("hint.list"), what=what,
                   expected=phrase("expect.list"), found=_kind_of(node))
        return []

    def check_keys(self, ymap: YMap, valid: Collection[str], what: Msg) -> None:
        """Report every key of ``ymap`` that is not in ``valid``."""
        for key, (line, _) in ymap.entries.items():
            if key not in valid:
                self.error("unknown_key", line, hint=self.hint(valid, key), key=key, what=what)

    def require(self, ymap: YMap, key: str, what: Msg) -> YNode | None:
        node = ymap.get(key)
        if node is None or (isinstance(node, YScalar) and node.value is None):
            self.error("missing_key", ymap.line, what=what, key=key)
            return None
        return node

    # -- scalars
    def number(self, node: YNode | None, what: Msg) -> Decimal | None:
        """A YAML number as an exact ``Decimal`` (floats via ``str``), within the bounds of
        :func:`~cskpi.scheme.limits.number_problem` (else ``number_range`` or
        ``number_precision``)."""
        if node is None:
            return None
        if isinstance(node, YScalar) and isinstance(node.value, int | float | Decimal) \
                and not isinstance(node.value, bool):
            try:  # an int exactly (str() of a 0x… int past 4,300 digits would fail)
                value = Decimal(str(node.value)) if isinstance(node.value, float) else Decimal(
                    node.value)
            except InvalidOperation:  # pragma: no cover - YAML numbers are valid decimals
                value = Decimal("NaN")
            problem = number_problem(value)
            if problem is None:
                return value
            code, reason = problem
            self.error(code, node.line, column=node.column, hint=limits_hint(), what=what,
                       number=shorten(node.raw), reason=reason)
            return None
        self.error("wrong_type", node.line, what=what, expected=phrase("expect.number"),
                   found=_kind_of(node))
        return None

    def integer(self, node: YNode | None, what: Msg, minimum: int = 1) -> int | None:
        value = self.number(node, what)
        if value is None or node is None:
            return None
        if value != value.to_integral_value() or value < minimum:
            self.error("bad_value", node.line, variant="whole", what=what, minimum=minimum,
                       value=str(value))
            return None
        return int(value)

    def string(self, node: YNode | None, what: Msg) -> str | None:
        """Text as written (``001`` stays ``"001"``; ``on`` stays ``"on"``)."""
        if node is None:
            return None
        if isinstance(node, YScalar) and node.value is not None and node.raw.strip():
            return node.raw
        self.error("wrong_type", node.line, what=what, expected=phrase("expect.text"),
                   found=_kind_of(node))
        return None

    def strings(self, node: YNode | None, what: Msg) -> tuple[str, ...]:
        """One text or a list of texts."""
        if node is None:
            return ()
        if isinstance(node, YSeq):
            self.spend(len(node.items), node.line)
            found = (self.string(n, what) for n in node.items)
            return tuple(s for s in found if s is not None)
        text = self.string(node, what)
        return (text,) if text is not None else ()

    def boolean(self, node: YNode | None, what: Msg, default: bool) -> bool:
        if node is None:
            return default
        if isinstance(node, YScalar) and isinstance(node.value, bool):
            return node.value
        self.error("wrong_type", node.line, what=what, expected=phrase("expect.bool"),
                   found=_kind_of(node))
        return default

    def choice(self, node: YNode | None, what: Msg, choices: tuple[str, ...],
               default: str | None = None) -> str | None:
        if node is None:
            return default
        text = self.string(node, what)
        if text is None:
            return None
        if text not in choices:
            self.error("bad_value", node.line, variant="choice", hint=self.hint(choices, text),
                       what=what, choices=", ".join(choices), value=text)
            return None
        return text

    def formula(self, node: YNode | None, what: Msg, allowed: Collection[str] | None,
                expect: ValueType, lookups: Lookups | None = None) -> Formula | None:
        """Parse a formula; problems become ``formula_syntax/name/type/range`` issues."""
        text = self.string(node, what) if node is not None else None
        if text is None or node is None:
            return None
        self.spend(len(text), node.line)
        try:
            return parse_formula(text, allowed, expect=expect,
                                 suggest=self.suggestions_left > 0, lookups=lookups)
        except FormulaError as err:
            if err.kind == "name":
                self.suggest()
            self.error(f"formula_{err.kind}", node.line, column=err.column,
                       hint=err.hint_message, message_key="scheme.issue.formula", what=what,
                       problem=err.problem, at=err.column, excerpt=_excerpt(text, err.column))
            return None


@dataclass(frozen=True)
class LoadContext:
    """What the caller told the loader about the world outside the scheme."""

    metrics: Mapping[str, MetricInfo] | None = None
    event_kinds: tuple[str, ...] = DEFAULT_EVENT_KINDS
    roster: tuple[Mapping[str, Any], ...] | None = None
    levels: tuple[str, ...] = ()  # the scheme's level names (what streak() may count)

    @property
    def lookups(self) -> Lookups:
        """What formulas may look up: a metric's target, the team's or the shop's value of
        a metric or of the score, the team's mean, the agent's last period, a streak of a
        level.  Which of them a formula may use where (the order scoring resolves them in)
        is checked on the built scheme (:mod:`cskpi.scheme.validate`)."""
        metrics = self.metric_names
        if metrics is None:
            return {name: None for name in ("target", "team", "shop", "team_avg", "prev")} \
                | {"streak": self.levels}
        grouped = (*metrics, "score")
        return {"target": metrics, "team": grouped, "shop": grouped, "team_avg": grouped,
                "prev": (*grouped, "level_factor"), "streak": self.levels}

    @property
    def metric_names(self) -> Collection[str] | None:
        """Names a metric formula may use (None: not known, any name goes)."""
        return None if self.metrics is None else tuple(sorted(self.metrics))

    @property
    def condition_names(self) -> Collection[str] | None:
        """Names a veto condition may use: metrics, event kinds, attendance statuses."""
        if self.metrics is None:
            return None
        return tuple(sorted({*self.metrics, *self.event_kinds, *ATTENDANCE_STATUSES}))

    @property
    def countable(self) -> tuple[str, ...]:
        """What a ``per`` item may count: attendance statuses and event kinds."""
        return (*ATTENDANCE_STATUSES, *self.event_kinds)
