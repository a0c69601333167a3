"""What a report shows, gathered once through the core facade.

:func:`gather_report` scores the period (``Shop.score``), computes the metric
catalog by agent and for the shop (``Shop.metrics``), optionally the daily
figures per agent for trend charts, and reads the import log.  The Excel and PDF
writers take the resulting :class:`ReportData` and never touch a workspace, so the
web app can gather once and write either format.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..months import month_range

if TYPE_CHECKING:
    from ..scheme import Scheme
    from ..scoring.run import Scored
    from ..scoring.score import ScoreCard, ScoreProblem

IMPORT_COLUMNS = ("import_id", "table_name", "file", "rows_in_file", "rows_added",
                  "duplicates", "sha256")
"""The import-log columns a report shows (no paths or clock times: reports are
reproducible)."""


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows: the scored period plus the figures behind it."""

    scheme: Scheme
    period: str
    cards: Sequence[ScoreCard]
    problems: Sequence[ScoreProblem]
    unmatched: Sequence[str]
    agents: Mapping[str, Mapping[str, Any]]  # agent_id -> metric row of the month
    shop: Mapping[str, Any]  # the shop's metric row of the month
    daily: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    differences: Sequence[Mapping[str, Any]] = ()  # computed vs imported platform figures
    imports: Sequence[Mapping[str, Any]] = ()  # import log rows (IMPORT_COLUMNS)
    import_issues: Sequence[Mapping[str, Any]] = ()  # warnings kept from the imports
    lost: Sequence[Any] = ()  # the month's lost inquiries (cskpi.lost.LostInquiry), by agent
    lost_taxonomy: Any = None  # the taxonomy that named their reasons

    @classmethod
    def from_scored(cls, scored: Scored, agent_rows: Sequence[Mapping[str, Any]],
                    shop_row: Mapping[str, Any], *,
                    daily_rows: Sequence[Mapping[str, Any]] = (),
                    differences: Sequence[Mapping[str, Any]] = (),
                    imports: Sequence[Mapping[str, Any]] = (),
                    import_issues: Sequence[Mapping[str, Any]] = (),
                    lost: Sequence[Any] = (), lost_taxonomy: Any = None) -> ReportData:
        """Build from a :class:`~cskpi.scoring.run.Scored` and metric rows already computed."""
        daily: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for row in sorted(daily_rows, key=lambda r: (r["agent_id"], r["period_start"])):
            daily[row["agent_id"]].append(row)
        result = scored.result
        return cls(scheme=scored.scheme, period=scored.period, cards=list(result.cards),
                   problems=list(result.problems), unmatched=list(result.unmatched),
                   agents={r["agent_id"]: r for r in agent_rows}, shop=shop_row,
                   daily=dict(daily), differences=list(differences),
                   imports=[{k: r.get(k) for k in IMPORT_COLUMNS} for r in imports],
                   import_issues=list(import_issues), lost=list(lost),
                   lost_taxonomy=lost_taxonomy)

    @property
    def roster(self) -> list[Mapping[str, Any]]:
        """Every agent with a metric row, by id."""
        return [self.agents[k] for k in sorted(self.agents)]


def gather_report(shop: Any, scheme: Any, period: str, *,
                  trend: bool = True, scored: Any = None,
                  relabels: Mapping[str, str] | None = None) -> ReportData:
    """Score ``period`` under ``scheme`` and compute the figures a report shows: the one
    path of ``cskpi report`` and the web app's downloads.

    ``shop``: a :class:`~cskpi.shop.Shop` on a workspace (or the workspace's path); one
    connection serves every figure.  ``trend`` adds the daily figures per agent (the
    PDF's trend chart); the Excel report does not need them.  ``scored``: the period
    already scored under ``scheme`` (the web app's, with the grades and events entered
    there); ``relabels``: lost inquiries a manager relabelled (session id -> reason).
    """
    from ..metrics.compute import MetricQuery
    from ..metrics.profiles import resolve
    from ..shop import Shop

    if not isinstance(shop, Shop):
        shop = Shop(shop)
    with shop:
        if scored is None:
            scored = shop.score(scheme, period)
        profile = resolve(scored.scheme.profile or "generic")
        first, last = month_range(period)
        agents = shop.metrics(MetricQuery(first, last, by="agent", profile=profile))
        shop_row = shop.metrics(MetricQuery(first, last, by="shop", profile=profile)).rows
        daily: list[dict[str, Any]] = []
        if trend:
            daily = shop.metrics(MetricQuery(first, last, by="agent", grain="day",
                                             profile=profile)).rows
        lost, taxonomy = _lost(shop, first, last, profile, relabels)
    return ReportData.from_scored(scored, agents.rows, shop_row[0] if shop_row else {},
                                  daily_rows=daily, differences=agents.differences,
                                  imports=shop.import_log(),
                                  import_issues=shop.import_issues(), lost=lost,
                                  lost_taxonomy=taxonomy)


def _lost(shop: Any, first: Any, last: Any, profile: Any,
          relabels: Mapping[str, str] | None = None) -> tuple[list[Any], Any]:
    """The month's lost inquiries with their reasons (none without sessions and orders)."""
    from ..errors import UsageError
    from ..lost import LostQuery

    try:
        return shop.lost_inquiries(LostQuery(first, last, profile), relabels=relabels)
    except UsageError as err:
        if err.code == "lost_needs_input":
            return [], None
        raise
