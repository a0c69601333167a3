"""Routers, one module per resource: ``pages/`` render HTML, ``api/`` serve /api/v1."""

from __future__ import annotations

from fastapi import APIRouter


def page_routers() -> list[APIRouter]:
    """Every HTML page router, in menu order."""
    from .pages import (
        account,
        activity,
        admin,
        appeals,
        auth,
        data,
        drilldown,
        funnel,
        grades,
        grid,
        home,
        leaderboard,
        overview,
        periods,
        qa,
        qarules,
        reports,
        schemes,
        scorecard,
        whatif,
    )

    return [auth.router, home.router, overview.router, leaderboard.router, scorecard.router,
            drilldown.router, funnel.router, activity.router,
            # the grid before grades: POST /grades/{grade_id} would take /grades/grid
            grid.router, grades.router, qa.router, qarules.router, appeals.router, data.router,
            schemes.router,
            periods.router, whatif.router, reports.router, account.router, admin.router]


def api_routers() -> list[APIRouter]:
    """Every /api/v1 router."""
    from .api import agents, me, metrics

    return [me.router, metrics.router, agents.router]
