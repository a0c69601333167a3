"""Drill-down: exactly the rows behind one agent's figure for a period.

Driven by the catalog (:mod:`cskpi.metrics.catalog`): the metric's needs decide whether
it can be explained at all, its fields (:mod:`cskpi.metrics.populations`) which rows are
listed and how they form the figure:

- a count or sum: the rows it counts (``unanswered_sessions``: only the unanswered ones);
- a rate or mean whose numerator's rows are among the denominator's: one row per member
  of the denominator, with ``numerator`` (is it counted above the line?);
- a rate whose numerator is not a part of its denominator (``refund_rate``: orders
  refunded in the period against orders paid in it; ``complaint_rate``): both, with
  ``numerator`` and ``denominator`` flags, and ``kind`` when the rows are of two kinds.

:attr:`Explanation.numerator` and :attr:`Explanation.denominator` are those rows' counts
(or sums), equal to the figure's ``KEY_num``/``KEY_den``; the note says it in words, as
message codes (:class:`~cskpi.metrics.populations.Note`) rendered in any language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import CskpiError, UsageError
from ..locale import Translator
from . import engine as E
from .catalog import CATALOG, AnyOf, Metric, Need, Part, Tbl
from .compute import MetricQuery, availability
from .ibis_adapter import fetch
from .inputs import Inputs
from .populations import FIELDS, FieldRows, Note, Population, Row, Scope, note_text
from .rows import needs_reason, shop_scope


@dataclass
class Explanation:
    """The rows behind one agent's figure.

    ``numerator``: the count or sum the rows give (a rate's numerator, or the figure of a
    count, sum or quantile); ``denominator``: a rate's or mean's denominator, else None.
    ``notes``: the note as message codes; ``note`` is their text in the language asked for.
    """

    metric: str
    agent_id: str
    source: str  # what the rows are: rounds, sessions, customers, orders, …
    rows: list[dict[str, Any]]
    note: str
    numerator: Any = None
    denominator: Any = None
    columns: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # the family fields listed: a rate's or mean's numerator and denominator, or the
    # figure's own field (``den_field`` None) for a count, sum or quantile
    num_field: str | None = None
    den_field: str | None = None

    def note_text(self, t: Any) -> str:
        """The note in the language of ``t`` (a :class:`~cskpi.locale.Translator`)."""
        return note_text(self.notes, t)


def explain(backend: Any, inp: Inputs, q: MetricQuery, agent_id: str, metric: str,
            lang: str = "en") -> Explanation:
    """The rows behind ``agent_id``'s ``metric`` over ``q``'s range (its note in ``lang``)."""
    m = CATALOG.get(metric)
    if m is None:
        raise UsageError(code="explain_unknown_metric",
                         params={"metric": metric, "metrics": ", ".join(CATALOG)})
    if not inp.has("agents"):
        raise CskpiError(code="explain_no_agents")
    agent = _agent(backend, inp, agent_id)
    if m.scope == "shop":
        raise UsageError(code="explain_shop_metric", params={"metric": metric})
    on_shop = shop_scope(m, "agent", agent["role"] == "aftersale",
                         q.profile.aftersale_order_scope)
    missing = availability(backend, inp).missing(m.needs_for("agent", on_shop))
    if missing:
        raise UsageError(code="explain_missing_input", params={
            "metric": metric, "missing": needs_reason(missing), "inputs": _names(missing)})
    scope = Scope(backend, inp, q, agent_id, agent["role"])
    if m.num is not None and m.den is not None:
        out = _rate(scope, m, _field(m.num, on_shop), _field(m.den, on_shop))
    else:
        out = _value(scope, m, m.value or "")
    out.note = out.note_text(Translator(lang))
    return out


def _agent(backend: Any, inp: Inputs, agent_id: str) -> Row:
    a = E.agents_table(inp)
    found = fetch(backend, a.filter(a.agent_id == agent_id).select("agent_id", "role"))
    if not found:
        raise UsageError(code="explain_unknown_agent", params={"agent": agent_id})
    return found[0]


def _names(missing: list[Need]) -> str:
    """The missing tables and columns by name (``online``, ``refunds.cost``)."""
    names: list[str] = []
    for need in missing:
        options = need.options if isinstance(need, AnyOf) else (need,)
        names.append(" / ".join(o.name if isinstance(o, Tbl) else f"{o.table}.{o.column}"
                                for o in options))
    return ", ".join(names)


def _field(part: Part, on_shop: bool) -> str:
    return part.shop_field if on_shop and part.shop_field else part.field


def _remarks(scope: Scope, *populations: Population) -> list[Note]:
    seen: list[Note] = []
    for p in populations:
        for note in p.remarks(scope):
            if note not in seen:
                seen.append(note)
    return seen


def _value(scope: Scope, m: Metric, name: str) -> Explanation:
    """A count, sum or quantile: the rows it counts."""
    f = FIELDS[name]
    rows = [dict(r) for r in f.members(scope)]
    value = f.value(rows)
    if value is not None and m.scale != 1:
        value = value / m.scale
    params = {"n": len(rows), "metric": m.key, "value": show(value, m.unit)}
    if f.how == "count":
        note = Note("explain.note.count", params, {"members": name})
    elif f.how == "quantile":
        note = Note("explain.note.quantile", {**params, "column": f.column,
                                              "percentile": f"{(f.quantile or 0) * 100:g}"},
                    {"members": name})
    else:
        note = Note("explain.note.sum", {**params, "column": f.column}, {"members": name})
    return _explanation(scope, m, f.population.source, rows, [note, *_remarks(
        scope, f.population)], value, None, name, None)


def _rate(scope: Scope, m: Metric, num_name: str, den_name: str) -> Explanation:
    """A rate or mean: its denominator's rows (flagged when the numerator is a part of
    them), or both populations' rows when it is not."""
    num_f, den_f = FIELDS[num_name], FIELDS[den_name]
    if num_f.within(den_f):
        rows, num, den, note = _within(scope, m, num_name, den_name)
        source, populations = den_f.population.source, [den_f.population]
    else:
        num_rows, den_rows = num_f.members(scope), den_f.members(scope)
        num, den = num_f.value(num_rows), den_f.value(den_rows)
        rows = union(num_f.population, num_rows, den_f.population, den_rows)
        source, populations = den_f.population.source, [den_f.population, num_f.population]
        if num_f.population.key != den_f.population.key:
            source = f"{den_f.population.source}_and_{num_f.population.source}"
        note = Note("explain.note.union", {
            "metric": m.key, "num": show(num, _unit(num_f)), "den": show(den, _unit(den_f)),
            "num_rows": len(num_rows), "den_rows": len(den_rows),
            "value": show(_figure(m, num, den), m.unit)},
            {"num_members": num_name, "den_members": den_name})
    notes = [note]
    if not den:
        notes.append(Note("explain.note.no_basis", {"metric": m.key}, {"members": den_name}))
    return _explanation(scope, m, source, rows, [*notes, *_remarks(scope, *populations)],
                        num, den, num_name, den_name)


def _within(scope: Scope, m: Metric, num_name: str, den_name: str
            ) -> tuple[list[Row], Any, Any, Note]:
    """The denominator's rows; ``numerator`` on each when the numerator counts only some
    (a mean sums a column of them all; AOV sums the orders of its distinct customers)."""
    num_f, den_f = FIELDS[num_name], FIELDS[den_name]
    rows = [dict(r) for r in den_f.members(scope)]
    extra = num_f.rules[len(den_f.rules):]
    counted = rows
    if extra:
        for r in rows:
            r["numerator"] = num_f.counts(r)
        counted = [r for r in rows if r["numerator"]]
    num, den = num_f.value(counted), den_f.value(rows)
    params = {"metric": m.key, "num": show(num, _unit(num_f)), "den": show(den, _unit(den_f)),
              "rows": len(rows), "value": show(_figure(m, num, den), m.unit)}
    fields = {"num_members": num_name, "den_members": den_name}
    if num_f.column:
        params["column"] = num_f.column
    if extra and num_f.how == "count":
        code = "explain.note.rate"
    elif den_f.how == "distinct":  # the rows are what the numerator sums
        code, fields["members"] = "explain.note.ratio_distinct", num_name
    else:
        code = "explain.note.mean"
    return rows, num, den, Note(code, params, fields)


def union(num_pop: Population, num_rows: list[Row], den_pop: Population,
          den_rows: list[Row]) -> list[Row]:
    """The rows of a numerator and a denominator of different populations, each once, with
    ``numerator`` and ``denominator`` flags (and ``kind`` when they are different rows).

    Rows of the same key (orders refunded and orders paid) are one row; otherwise the
    denominator's rows come first, then the numerator's.
    """
    same = num_pop.key == den_pop.key
    merged: dict[Any, Row] = {}
    order: list[Any] = []
    for pop, rows, flag in ((den_pop, den_rows, "denominator"), (num_pop, num_rows, "numerator")):
        for r in rows:
            key = tuple(r[k] for k in pop.key) if same else (pop.kind, id(r))
            if key not in merged:
                merged[key] = {"kind": pop.kind} if not same else {}
                order.append(key)
            row = merged[key]
            row.update({c: v for c, v in r.items() if row.get(c) is None})
            row[flag] = True
    if not order:
        return []
    columns = [] if same else ["kind"]
    for rows in (den_rows, num_rows):
        for r in rows[:1]:
            columns += [c for c in r if c not in columns]
    columns += ["numerator", "denominator"]
    return [{c: merged[k].get(c, False if c in ("numerator", "denominator") else None)
             for c in columns} for k in order]


MONEY_COLUMNS = ("amount", "cost", "target")


def _unit(f: FieldRows) -> str:
    """The unit of a rate's part: a count, money, or a number (seconds, hours)."""
    if f.how in ("count", "distinct"):
        return "count"
    return "money" if f.column in MONEY_COLUMNS else "number"


def _figure(m: Metric, num: Any, den: Any) -> Any:
    if not den or num is None:
        return None
    if m.unit == "money":
        return Decimal(num) / Decimal(den)
    return float(num) / float(den) / m.scale


def show(value: Any, unit: str) -> str:
    """A number of a note: rates as percentages, money to the cent, times to 0.1."""
    if value is None:
        return "—"
    if unit == "rate":
        return f"{float(value):.1%}"
    if unit == "money":
        return f"{Decimal(value):,.2f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"


def _explanation(scope: Scope, m: Metric, source: str, rows: list[Row], notes: list[Note],
                 num: Any, den: Any, num_field: str, den_field: str | None) -> Explanation:
    columns = list(rows[0]) if rows else []
    return Explanation(m.key, scope.agent_id, source, rows, "", num, den, columns, notes,
                       num_field, den_field)
