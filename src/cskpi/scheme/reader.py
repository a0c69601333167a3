"""YAML with line numbers, and typed readers that collect issues instead of raising.

:func:`compose` turns YAML text into :class:`YMap` / :class:`YSeq` / :class:`YScalar`
nodes, each knowing its 1-based line.  Keys are kept as written (``on:`` stays the
string ``"on"``, not YAML 1.1's ``True``) and a repeated key is reported.  A
:class:`Reader` then pulls typed values out of the nodes; a wrong type, a missing
or unknown key is recorded as a :class:`~cskpi.scheme.models.SchemeIssue` and the
reader returns ``None``, so one pass finds every problem.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

import yaml

from .formula import Formula, FormulaError, parse_formula
from .formula_ast import ValueType
from .models import ATTENDANCE_STATUSES, DEFAULT_EVENT_KINDS, Level, MetricInfo, SchemeIssue
from .suggest import closest


@dataclass
class YScalar:
    value: Any  # as YAML 1.1 reads it (int, float, bool, str, None, date)
    raw: str  # the text as written
    line: int


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


MAX_YAML_DEPTH = 40
"""Deepest YAML nesting accepted (a scheme needs about six levels)."""


def compose(text: str, reader: Reader) -> YNode | None:
    """Parse YAML ``text`` into located nodes; syntax errors go to ``reader``.

    Anchors and aliases are read once each (an alias bomb stays small), a recursive
    alias or nesting deeper than :data:`MAX_YAML_DEPTH` is an error.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        hint = "indent with spaces, not tabs" if "\\t" in problem or "tab" in problem else (
            "check the indentation and the quoting near this line")
        reader.error("yaml_syntax", f"YAML syntax error: {problem}",
                     mark.line + 1 if mark else None, hint)
        return None
    except yaml.YAMLError as err:
        reader.error("yaml_syntax", f"YAML error: {err}", None)
        return None
    except RecursionError:
        reader.error("yaml_syntax", "the YAML is nested far too deeply", None)
        return None
    if root is None:
        return None
    return _Converter(reader).convert(root, 1)


class _Converter:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.builder = _Builder("")
        self.done: dict[int, YNode] = {}  # id(yaml node) -> converted (aliases share it)
        self.busy: set[int] = set()

    def convert(self, node: yaml.Node, depth: int) -> YNode:
        line = node.start_mark.line + 1
        if id(node) in self.done:
            return self.done[id(node)]
        if id(node) in self.busy or depth > MAX_YAML_DEPTH:
            problem = ("an alias refers to itself" if id(node) in self.busy
                       else f"the YAML nests deeper than {MAX_YAML_DEPTH} levels")
            self.reader.error("yaml_syntax", problem, line)
            return YScalar(None, "", line)
        self.busy.add(id(node))
        out: YNode
        if isinstance(node, yaml.MappingNode):
            out = self._mapping(node, depth)
        elif isinstance(node, yaml.SequenceNode):
            out = YSeq([self.convert(n, depth + 1) for n in node.value], line)
        else:
            out = YScalar(self.builder.construct_object(node, deep=True), str(node.value), line)
        self.busy.discard(id(node))
        self.done[id(node)] = out
        return out

    def _mapping(self, node: yaml.MappingNode, depth: int) -> YMap:
        explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        self.builder.flatten_mapping(node)  # YAML merge keys (<<) come first, then the rest
        merged = len(node.value) - explicit
        out = YMap(line=node.start_mark.line + 1)
        seen: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.reader.error("wrong_type", "a mapping key must be plain text", key_line)
                continue
            key = str(key_node.value)
            if index >= merged:  # written here: may override a merged key, not repeat one
                if key in seen:
                    self.reader.error("duplicate_key", f"key {key!r} is given twice", key_line,
                                      f"the first one is at line {out.entries[key][0]}")
                    continue
                seen.add(key)
            out.entries[key] = (key_line, self.convert(value_node, depth + 1))
        return out


def _kind_of(node: YNode) -> str:
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    value = node.value
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"yes/no ({node.raw})"
    if isinstance(value, int | float):
        return f"a number ({node.raw})"
    if isinstance(value, datetime.date):
        return f"a date ({node.raw})"
    return f"text ({node.raw!r})"


def keys_hint(valid: Iterable[str], given: str | None = None) -> str:
    """``did you mean 'x'? valid: a, b, c`` for an unknown ``given`` key or name."""
    ordered = list(valid)
    close = closest(given, ordered) if given else None
    prefix = f"did you mean {close!r}? " if close else ""
    return prefix + "valid: " + (", ".join(ordered) if ordered else "(none)")


class Reader:
    """Collects issues for one scheme source and reads typed values from nodes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[SchemeIssue] = []

    # -- recording
    def add(self, level: Level, code: str, message: str, line: int | None,
            hint: str | None = None, column: int | None = None) -> None:
        self.issues.append(SchemeIssue(level, code, message, line, hint, self.source, column))

    def error(self, code: str, message: str, line: int | None, hint: str | None = None,
              column: int | None = None) -> None:
        self.add("error", code, message, line, hint, column)

    def warning(self, code: str, message: str, line: int | None,
                hint: str | None = None) -> None:
        self.add("warning", code, message, line, hint)

    # -- structure
    def mapping(self, node: YNode | None, what: str) -> YMap | None:
        if node is None or isinstance(node, YMap):
            return node
        self.error("wrong_type", f"{what} must be a mapping (key: value), not {_kind_of(node)}",
                   node.line)
        return None

    def sequence(self, node: YNode | None, what: str) -> list[YNode]:
        if node is None:
            return []
        if isinstance(node, YSeq):
            return node.items
        self.error("wrong_type", f"{what} must be a list, not {_kind_of(node)}", node.line,
                   "write each entry on its own line starting with '- '")
        return []

    def check_keys(self, ymap: YMap, valid: Collection[str], what: str) -> None:
        """Report every key of ``ymap`` that is not in ``valid``."""
        for key, (line, _) in ymap.entries.items():
            if key not in valid:
                self.error("unknown_key", f"unknown key {key!r} in {what}", line,
                           keys_hint(valid, key))

    def require(self, ymap: YMap, key: str, what: str) -> YNode | None:
        node = ymap.get(key)
        if node is None or (isinstance(node, YScalar) and node.value is None):
            self.error("missing_key", f"{what} needs '{key}'", ymap.line)
            return None
        return node

    # -- scalars
    def number(self, node: YNode | None, what: str) -> Decimal | None:
        """A YAML number as an exact ``Decimal`` (floats via ``str``)."""
        if node is None:
            return None
        if isinstance(node, YScalar) and isinstance(node.value, int | float) and not isinstance(
                node.value, bool):
            try:
                value = Decimal(str(node.value))
            except InvalidOperation:  # pragma: no cover - YAML numbers are valid decimals
                value = Decimal("NaN")
            if value.is_finite():
                return value
        self.error("wrong_type", f"{what} must be a number, not {_kind_of(node)}", node.line)
        return None

    def integer(self, node: YNode | None, what: str, minimum: int = 1) -> int | None:
        value = self.number(node, what)
        if value is None or node is None:
            return None
        if value != value.to_integral_value() or value < minimum:
            self.error("bad_value", f"{what} must be a whole number of at least {minimum}, "
                       f"not {value}", node.line)
            return None
        return int(value)

    def string(self, node: YNode | None, what: str) -> str | None:
        """Text as written (``001`` stays ``"001"``; ``on`` stays ``"on"``)."""
        if node is None:
            return None
        if isinstance(node, YScalar) and node.value is not None and node.raw.strip():
            return node.raw
        self.error("wrong_type", f"{what} must be text, not {_kind_of(node)}", node.line)
        return None

    def strings(self, node: YNode | None, what: str) -> tuple[str, ...]:
        """One text or a list of texts."""
        if node is None:
            return ()
        if isinstance(node, YSeq):
            found = (self.string(n, what) for n in node.items)
            return tuple(s for s in found if s is not None)
        text = self.string(node, what)
        return (text,) if text is not None else ()

    def boolean(self, node: YNode | None, what: str, default: bool) -> bool:
        if node is None:
            return default
        if isinstance(node, YScalar) and isinstance(node.value, bool):
            return node.value
        self.error("wrong_type", f"{what} must be true or false, not {_kind_of(node)}",
                   node.line)
        return default

    def choice(self, node: YNode | None, what: str, choices: tuple[str, ...],
               default: str | None = None) -> str | None:
        if node is None:
            return default
        text = self.string(node, what)
        if text is None:
            return None
        if text not in choices:
            self.error("bad_value", f"{what} must be one of {', '.join(choices)}, not {text!r}",
                       node.line, keys_hint(choices, text))
            return None
        return text

    def formula(self, node: YNode | None, what: str, allowed: Collection[str] | None,
                expect: ValueType) -> Formula | None:
        """Parse a formula; problems become ``formula_syntax/name/type`` issues."""
        text = self.string(node, what) if node is not None else None
        if text is None or node is None:
            return None
        try:
            return parse_formula(text, allowed, expect=expect)
        except FormulaError as err:
            self.error(f"formula_{err.kind}",
                       f"{what}: {err.message} at column {err.column} of {text!r}",
                       node.line, err.hint, err.column)
            return None


@dataclass(frozen=True)
class LoadContext:
    """What the caller told the loader about the world outside the scheme."""

    metrics: Mapping[str, MetricInfo] | None = None
    event_kinds: tuple[str, ...] = DEFAULT_EVENT_KINDS
    roster: tuple[Mapping[str, Any], ...] | None = None

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
