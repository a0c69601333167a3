"""The heatmap and reviews pages and the scorecard's team median: core calls through the
gateway's cache, whose filters an agent cannot widen, and the heatmap's chart.

Every figure comes from the core (:meth:`cskpi.shop.Shop.heatmap`,
:meth:`cskpi.shop.Shop.feedback`, :func:`cskpi.metrics.peers.team_medians` over the catalog's
rows); this module only decides whose, and how the chart reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel.dates import get_day_names

from ... import units
from ...metrics.feedback import Feedback, FeedbackQuery
from ...metrics.heatmap import HOURS, WEEKDAYS, Heatmap, HeatmapQuery
from ...metrics.peers import Peers, team_medians
from ...metrics.profiles import resolve as resolve_profile
from ...period import Period
from ..db.models import MANAGERS
from ..deps import Principal
from ..errors import BadRequest, Forbidden, NotFound
from ..i18n import Formatter
from .gateway import DataGateway
from .views import AGENT_TREND_KEYS, agent_rows, card_metrics, scheme_profile, unit_text

PAGE_ROWS = 200  # rows of a list per page (a month of a big shop has thousands of ratings)


@dataclass(frozen=True)
class Paged:
    """One page of a list: its rows, and where they stand in the whole."""

    rows: list[Any]
    total: int
    page: int
    pages: int

    @property
    def first(self) -> int:
        """The number of the first row shown (1-based; 0 when there is none)."""
        return (self.page - 1) * PAGE_ROWS + 1 if self.rows else 0


def paged(rows: list[Any], page: int) -> Paged:
    """The ``page``-th :data:`PAGE_ROWS` rows (a page past the end: the last one)."""
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    at = min(max(page, 1), pages)
    return Paged(rows[(at - 1) * PAGE_ROWS:at * PAGE_ROWS], len(rows), at, pages)


@dataclass(frozen=True)
class Whose:
    """Whose figures a page shows: one agent's, one team's, both (the agent's, if they
    are in the team), or the shop's; and the choices a manager's filter offers."""

    team: str | None
    agent: str | None
    teams: list[str]
    agents: list[Mapping[str, Any]]  # the roster (agent_id, name, team …)
    fixed: bool  # an agent's own page: no filter to offer


def whose(principal: Principal, data: DataGateway, team: str | None,
          agent: str | None) -> Whose:
    """The filter a request may use: an agent only their own figures (another agent or a
    team is 403), another role but a manager's none (403); a manager any team or agent of the roster (an unknown one is refused,
    never shown as an empty page)."""
    team, agent = team or None, agent or None
    user = principal.user
    roster = data.roster()
    if user.role == "agent":
        if team is not None or (agent is not None and agent != user.agent_id):
            raise Forbidden("web.error.other_agent")
        return Whose(None, user.agent_id, [], [], True)
    if user.role not in MANAGERS:  # a QA reviewer sees chats, not every agent's figures
        raise Forbidden("web.error.role_required", roles=", ".join(MANAGERS))
    teams = sorted({str(a["team"]) for a in roster if a.get("team")})
    if team is not None and team not in teams:
        raise BadRequest("web.error.team_invalid", details={"allowed": teams}, team=team)
    if agent is not None and not any(a["agent_id"] == agent for a in roster):
        raise NotFound("web.error.agent_unknown", agent=agent)
    return Whose(team, agent, teams, roster, False)


def heatmap(data: DataGateway, period: Period, who: Whose) -> Heatmap:
    """The period's sessions and 3-minute reply rate by weekday and hour, under the
    gateway's profile (the overview's figures)."""
    query = HeatmapQuery(period.first, period.last, resolve_profile(data.profile),
                         who.agent, who.team)
    return data.cached(("activity", "heatmap", period.key, data.profile, who.agent,
                        who.team),
                       lambda: data.shop.heatmap(query))


def feedback(data: DataGateway, period: Period, who: Whose) -> Feedback:
    """The period's bad and neutral reviews and low ratings, with whom they are held
    against."""
    query = FeedbackQuery(period.first, period.last, resolve_profile(data.profile),
                          who.agent, who.team)
    return data.cached(("activity", "feedback", period.key, data.profile, who.agent,
                        who.team),
                       lambda: data.shop.feedback(query))


def weekday_names(lang: str) -> list[str]:
    """Monday … Sunday in the reader's language (星期一 … 星期日)."""
    names = get_day_names("wide", locale=units.locale_of(lang))
    return [str(names[d]) for d in range(WEEKDAYS)]


def hour_labels() -> list[str]:
    return [f"{h:02d}:00" for h in range(HOURS)]


def heatmap_chart(fmt: Formatter, h: Heatmap, field: str) -> dict[str, Any]:
    """A chart specification (static/charts.js, ``type: heatmap``) of ``field``
    (``sessions`` or ``reply_3min_rate``, the catalog's keys): hours across, weekdays down,
    a cell per hour; None where the rate has no round."""
    unit = "rate" if field == "reply_3min_rate" else "count"
    values = [[hour, day, None if v is None else float(v)]
              for day, row in enumerate(h.grid(field)) for hour, v in enumerate(row)]
    present = [v for _, _, v in values if v is not None]
    return {"type": "heatmap", "title": fmt.metric_label(field), "unit": unit,
            "unit_text": unit_text(fmt, unit), "categories": hour_labels(),
            "rows": weekday_names(fmt.lang), "data": values,
            "max": 1 if unit == "rate" else max(present + [1]),
            "higher_is_better": unit == "rate", "series": [], "marks": []}


def scorecard_peers(data: DataGateway, view: Any) -> Peers | None:
    """The agent's scored figures (their scheme's metrics, else the general ones) beside
    their team's median, computed under the profile their scheme scores with."""
    if not view.has_data:
        return None
    profile = scheme_profile(data, view.scheme) if view.scheme else data.profile
    keys = card_metrics(view.card) or list(AGENT_TREND_KEYS)
    rows = agent_rows(data, view.period, profile)
    return team_medians(rows, str(view.agent["agent_id"]), keys)
