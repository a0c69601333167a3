"""How a team's or the shop's figure is formed from its agents' data, from the catalog.

A team's conversion can lie above every one of its agents', the shop's average order
value above every team's: the figures of a group are computed over the group's own
customers, rounds and orders (:attr:`~cskpi.metrics.catalog.Metric.combine`), not
averaged over its agents.  :func:`how_formed` says so for one metric, as a message code
(``formed.*``, in the ``aggregation.*.json`` catalogs) and parameters any face renders in
its reader's language: the metric and its parts are named by field, for the face to
show by their labels (``metric.part.FIELD``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .catalog import CATALOG, QA_CATALOG, Metric
from .populations import FIELDS


@dataclass(frozen=True)
class Formed:
    """How one metric's group rows are formed: ``code`` (``formed.sum`` …), the metric,
    and its numerator's and denominator's fields (rates and means); ``shop_orders``: an
    after-sale group's rate rests on the whole shop's orders."""

    code: str
    metric: str
    parts: dict[str, str] = field(default_factory=dict)
    shop_orders: bool = False

    def text(self, t: Any) -> str:
        """The sentence in the language of ``t`` (a :class:`~cskpi.locale.Translator`): the
        metric by its label, its parts by their names (``metric.part.FIELD``)."""
        m = CATALOG.get(self.metric) or QA_CATALOG[self.metric]
        zh = getattr(t, "lang", "en") == "zh_CN"
        words = {name: t(f"metric.part.{f}") for name, f in self.parts.items()}
        text = str(t(self.code, metric=m.zh if zh else m.en, **words))
        if self.shop_orders:
            text += ("" if zh else " ") + str(t("formed.shop_orders"))
        return text


def _per_customer(field_name: str) -> bool:
    """Whether a field counts customers, each once in a group (however many of its agents
    served them): a field that is a distinct count, as the catalog or its rows say."""
    metric = CATALOG.get(field_name)
    if metric is not None and metric.combine == "distinct":
        return True
    rows = FIELDS.get(field_name)
    return rows is not None and (rows.how == "distinct" or rows.population.key == (
        "customer_id",))


def how_formed(m: Metric) -> Formed:
    """How ``m`` combines over a group's agents, read from its catalog declaration."""
    if m.scope == "shop":
        return Formed("formed.shop_only", m.key)
    if m.combine == "quantile":
        return Formed("formed.quantile", m.key)
    if m.combine == "distinct":
        return Formed("formed.distinct", m.key)
    if m.num is None or m.den is None:
        return Formed("formed.sum", m.key)
    parts = {"num": m.num.field, "den": m.den.field}
    shop = m.scope == "aftersale_shop"
    if m.combine == "mean":
        return Formed("formed.mean", m.key, parts, shop)
    if FIELDS[m.den.field].how == "value":  # a figure of the group's own (its target)
        return Formed("formed.own_target", m.key, parts, shop)
    if _per_customer(m.num.field) or _per_customer(m.den.field):
        return Formed("formed.ratio_customers", m.key, parts, shop)
    return Formed("formed.ratio", m.key, parts, shop)
