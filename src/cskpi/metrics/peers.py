"""An agent's figures beside their team's median, naming no colleague.

The median is over the agents of the agent's team (the roster's ``team``, the agent
included) that have the figure in the period's metric rows; a rate is the median of
the agents' rates (the middle agent), not the team's own rate.  With fewer than
:data:`MIN_AGENTS` agents behind it no median is given: from the median of two and their
own figure an agent would read their one colleague's.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MIN_AGENTS = 3


@dataclass(frozen=True)
class PeerFigure:
    metric: str
    mine: Any  # the agent's figure (None: they have none)
    median: Decimal | None  # None: fewer than MIN_AGENTS of the team have the figure
    agents: int  # the team's agents with the figure, the agent included if they have it


@dataclass(frozen=True)
class Peers:
    team: str | None  # None: the agent is in no team (there is nobody to compare with)
    figures: tuple[PeerFigure, ...]
    min_agents: int = MIN_AGENTS


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return Decimal(str(value))


def team_medians(rows: Sequence[Mapping[str, Any]], agent_id: str, keys: Sequence[str],
                 min_agents: int = MIN_AGENTS) -> Peers:
    """``keys`` of ``agent_id``'s row beside the median of their team's rows (``rows``:
    one metric row per agent, with ``agent_id`` and ``team``)."""
    me = next((r for r in rows if r.get("agent_id") == agent_id), None)
    team = me.get("team") if me is not None else None
    if me is None or not team:
        return Peers(None, (), min_agents)
    members = [r for r in rows if r.get("team") == team]
    figures = []
    for key in keys:
        values = [v for v in (_number(r.get(key)) for r in members) if v is not None]
        median = statistics.median(values) if len(values) >= min_agents else None
        figures.append(PeerFigure(key, me.get(key), median, len(values)))
    return Peers(str(team), tuple(figures), min_agents)
