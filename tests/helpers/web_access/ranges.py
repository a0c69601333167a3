"""Who may open the pages of figures for a week or a range of days (issue #20): the same
as for a month.  An agent opens their own figures of any period and nobody else's, nor a
team's or the shop's; the demo's data is 2026-10-01 to 10-05 (2026-W40 is 09-28 –
10-04)."""

from __future__ import annotations

OK, REDIRECT, UNAUTH, FORBIDDEN = 200, 303, 401, 403
WEEK = "week=2026-W40"
DAYS = "from=2026-10-02&to=2026-10-04"

# path -> status for (admin, mgr, a001 = agent A001, anonymous)
GET: dict[str, tuple[int, int, int, int]] = {
    f"/overview?{WEEK}": (OK, OK, FORBIDDEN, REDIRECT),
    f"/overview?{DAYS}&format=csv&table=agents": (OK, OK, FORBIDDEN, REDIRECT),
    f"/leaderboard?{DAYS}": (OK, OK, FORBIDDEN, REDIRECT),
    f"/funnel?{WEEK}": (OK, OK, FORBIDDEN, REDIRECT),
    f"/heatmap?{WEEK}": (OK, OK, OK, REDIRECT),
    f"/heatmap?{WEEK}&agent=A004": (OK, OK, FORBIDDEN, REDIRECT),
    f"/reviews?{DAYS}&team=aftersale-1": (OK, OK, FORBIDDEN, REDIRECT),
    f"/reviews?{DAYS}&agent=A001&format=xlsx": (OK, OK, OK, REDIRECT),
    f"/agents/A001/metrics/sessions?{WEEK}": (OK, OK, OK, REDIRECT),
    f"/agents/A004/metrics/sessions?{DAYS}": (OK, OK, FORBIDDEN, REDIRECT),
    f"/agents/A004/metrics/sessions?{DAYS}&format=csv": (OK, OK, FORBIDDEN, REDIRECT),
    f"/agents/A001/lost?{WEEK}": (OK, OK, OK, REDIRECT),
    f"/agents/A004/lost?{WEEK}": (OK, OK, FORBIDDEN, REDIRECT),
    f"/api/v1/metrics?{WEEK}": (OK, OK, OK, UNAUTH),
    f"/api/v1/metrics?{DAYS}&by=team": (OK, OK, FORBIDDEN, UNAUTH),
    f"/api/v1/metrics?{WEEK}&by=shop": (OK, OK, FORBIDDEN, UNAUTH),
}
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {}
