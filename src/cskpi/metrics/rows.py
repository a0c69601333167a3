"""One output row per group and period, assembled from the catalog's declarations.

Nothing here knows a metric by name: each figure is read from the fields its catalog
entry names (:mod:`cskpi.metrics.catalog`), after checking that what it needs is in
the data.  A figure without basis is ``None`` with a reason; a rate or mean always
carries ``KEY_num`` and ``KEY_den``.  Money stays :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..errors import english, message, render, render_param
from .catalog import METRICS, AnyOf, Col, Metric, Need, Part, Tbl

CENT = Decimal("0.01")
GROUP_FIELD = {"agent": "agent_id", "team": "team", "shop": "shop"}


def money(v: Any) -> Decimal | None:
    """A money amount to the cent (half up); None stays None."""
    if v is None:
        return None
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Availability:
    """Which tables have rows and which optional columns have values."""

    tables: frozenset[str]
    # table -> its optional columns with at least one value (None: not checked, all count)
    columns: Mapping[str, frozenset[str]] | None = None

    def has(self, need: Need) -> bool:
        if isinstance(need, AnyOf):
            return any(self.has(o) for o in need.options)
        if isinstance(need, Tbl):
            return need.name in self.tables
        if need.table not in self.tables:
            return False
        return self.columns is None or need.column in self.columns.get(need.table, frozenset())

    def has_all(self, needs: tuple[Need, ...]) -> bool:
        return not self.missing(needs)

    def missing(self, needs: tuple[Need, ...]) -> list[Need]:
        return [n for n in needs if not self.has(n)]


def needs_text(missing: list[Need]) -> str:
    """Why a figure is null, in English: ``no ratings table``, ``no cost column in
    refunds`` … (:func:`needs_reason` is the same, coded)."""
    return english(needs_reason(missing))


def _noun(need: Tbl | Col) -> dict[str, Any]:
    if isinstance(need, Tbl):
        return message("metric.noun.table", table=need.name, table_zh=_zh(need.name))
    return message("metric.noun.column", column=need.column, table=need.table,
                   table_zh=_zh(need.table))


def _zh(table: str) -> str:
    from ..data.schema import TABLES

    return TABLES[table].zh if table in TABLES else table


def needs_reason(missing: list[Need]) -> dict[str, Any]:
    """Why a figure is null, coded (``metric.reason.*``), in the reader's language."""
    parts = []
    for need in missing:
        if isinstance(need, AnyOf):
            nouns = [_noun(o) for o in need.options]
            phrase = message("metric.reason.none_of", a=nouns[0])
            for noun in nouns[1:]:
                phrase = message("metric.reason.nor", a=phrase, b=noun)
            parts.append(phrase)
        else:
            parts.append(message("metric.reason.none_of", a=_noun(need)))
    out = parts[0]
    for part in parts[1:]:
        out = message("metric.reason.and", a=out, b=part)
    return out


def reason_text(row: Mapping[str, Any], metric: str, t: Any) -> str:
    """Why ``metric`` of ``row`` is null, in the language of ``t`` (``no data`` when the
    row gives no reason)."""
    coded = (row.get("reason_codes") or {}).get(metric)
    if coded is not None:
        return str(render_param(t, coded))
    return str((row.get("reasons") or {}).get(metric) or render(t, "metric.reason.no_data"))


def shop_scope(m: Metric, by: str, aftersale_group: bool, order_scope: str) -> bool:
    """Whether ``m`` rests on the shop's orders for this row."""
    if m.scope == "shop":
        return True
    return m.scope == "aftersale_shop" and (
        by == "shop" or (aftersale_group and order_scope == "shop"))


@dataclass
class RowInputs:
    """What one row is assembled from."""

    fields: Mapping[str, Any]  # the group's family fields for the period (absent: 0)
    shop_fields: Mapping[str, Any]  # the shop's fields for the period
    by: str
    aftersale_group: bool  # an after-sale agent, or a team of after-sale agents
    order_scope: str  # the profile's aftersale_order_scope
    available: Availability


def assemble(head: dict[str, Any], src: RowInputs,
             metrics: tuple[Metric, ...] = METRICS) -> dict[str, Any]:
    """The row: ``head`` (group and period), every metric, its num/den and reasons."""
    out = dict(head)
    codes: dict[str, dict[str, Any]] = {}
    for m in metrics:
        value, num, den, reason = figure(m, src)
        out[m.key] = value
        if m.is_rate:
            out[f"{m.key}_num"] = num
            out[f"{m.key}_den"] = den
        if value is None:
            codes[m.key] = reason or message("metric.reason.no_data")
    # the reasons in English (JSON's ``reasons``), and coded for every face's language
    out["reasons"] = {k: english(v) for k, v in codes.items()}
    out["reason_codes"] = codes
    return out


Reason = dict[str, Any]  # a coded phrase (cskpi.errors.message)


def figure(m: Metric, src: RowInputs) -> tuple[Any, Any, Any, Reason | None]:
    """(value, numerator, denominator, reason when the value is None) of one metric."""
    if m.scope == "shop" and src.by != "shop":
        return None, None, None, message("metric.reason.shop_only")
    on_shop = shop_scope(m, src.by, src.aftersale_group, src.order_scope)
    missing = src.available.missing(m.needs_for(src.by, on_shop))
    if missing:
        return None, None, None, needs_reason(missing)

    def get(part: Part | str) -> Any:
        field = part if isinstance(part, str) else part.field
        if on_shop and isinstance(part, Part) and part.shop_field:
            return src.shop_fields.get(part.shop_field)
        if m.scope == "shop":
            return src.shop_fields.get(field)
        return src.fields.get(field)

    if m.combine == "quantile":
        value = get(m.value or "")
        why = message("metric.reason.no_quantile")  # both quantiles: first-round replies
        return (None, None, None, why) if value is None else (float(value), None, None, None)
    if m.value is not None:
        return _typed(m, get(m.value)), None, None, None
    assert m.num is not None and m.den is not None
    num, den = _number(get(m.num)), get(m.den)
    if den is None and m.den.field == "target":
        return None, num, None, message("metric.reason.no_target")
    den = _number(den)
    if m.unit == "money":
        num = money(num)
    if not den:
        return None, 0.0 if m.combine == "mean" else num, den, message(
            "metric.reason.zero_den", den=m.den.text, label_zh=m.zh)
    if m.unit == "money":
        return money(Decimal(num) / Decimal(den)), num, den, None
    return float(num) / float(den) / m.scale, num, den, None


def _typed(m: Metric, v: Any) -> Any:
    """A sum or count as its unit says: money to the cent, counts as integers."""
    if m.unit == "money":
        return money(v if v is not None else 0)
    if m.unit == "count":
        return int(v or 0)
    return float(v or 0) / m.scale


def _number(v: Any) -> Any:
    """A numerator or denominator: absent is 0, counts are integers, sums keep their type."""
    if v is None:
        return 0
    if isinstance(v, (Decimal, float)):
        return v
    return int(v)


# --- what the engine's rows give -------------------------------------------------------


def merged_fields(tables: Mapping[str, Mapping[Any, Mapping[str, Any]]], key: Any
                  ) -> dict[str, Any]:
    """Every family's fields for one (group, bucket) or bucket, merged into one dict."""
    out: dict[str, Any] = {}
    for table in tables.values():
        row = table.get(key)
        if row:
            out.update((k, v) for k, v in row.items() if v is not None)
    return out


def columns_with_values(need_columns: Mapping[str, tuple[str, ...]],
                        count: Callable[[str, tuple[str, ...]], Mapping[str, int]],
                        tables: frozenset[str]) -> dict[str, frozenset[str]]:
    """The optional columns that have at least one value, per table with rows.

    ``count(table, columns)`` returns each column's count of non-null values.
    """
    out: dict[str, frozenset[str]] = {}
    for table, cols in need_columns.items():
        if table in tables:
            counts = count(table, cols)
            out[table] = frozenset(c for c in cols if counts.get(c))
    return out
