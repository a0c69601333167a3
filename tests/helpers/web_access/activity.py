"""Who may open the heatmap and the reviews list, and download a page's tables: managers
and admins any team's and agent's; an agent their own only (another agent, or a team,
is 403).  A download is the page itself (?format=…): it has the page's access rule."""

from __future__ import annotations

OK, REDIRECT, BAD, FORBIDDEN, NOT_FOUND = 200, 303, 400, 403, 404

# path -> status for (admin, mgr, a001 = agent A001, anonymous); the demo's teams are
# presale-1 (A001-A003, A006) and aftersale-1 (A004, A005)
GET: dict[str, tuple[int, int, int, int]] = {
    "/heatmap": (OK, OK, OK, REDIRECT),
    "/heatmap?period=2026-10&agent=A001": (OK, OK, OK, REDIRECT),
    "/heatmap?agent=A004": (OK, OK, FORBIDDEN, REDIRECT),
    "/heatmap?team=presale-1": (OK, OK, FORBIDDEN, REDIRECT),
    "/heatmap?team=no-such-team": (BAD, BAD, FORBIDDEN, REDIRECT),
    "/heatmap?agent=A999": (NOT_FOUND, NOT_FOUND, FORBIDDEN, REDIRECT),
    "/reviews": (OK, OK, OK, REDIRECT),
    "/reviews?period=2026-10&agent=A004": (OK, OK, FORBIDDEN, REDIRECT),
    "/reviews?team=aftersale-1": (OK, OK, FORBIDDEN, REDIRECT),
    # downloads: the page's rule, whatever the format
    "/heatmap?agent=A004&format=csv&table=heatmap-sessions": (OK, OK, FORBIDDEN, REDIRECT),
    "/heatmap?format=xlsx": (OK, OK, OK, REDIRECT),
    "/overview?format=csv&table=agents": (OK, OK, FORBIDDEN, REDIRECT),
    "/leaderboard?format=xlsx": (OK, OK, FORBIDDEN, REDIRECT),
    "/funnel?format=xlsx&table=reasons": (OK, OK, FORBIDDEN, REDIRECT),
    "/agents/A001/scorecard?format=xlsx": (OK, OK, OK, REDIRECT),
    "/agents/A004/scorecard?format=csv&table=card-items": (OK, OK, FORBIDDEN, REDIRECT),
    "/agents/A004/lost?format=csv": (OK, OK, FORBIDDEN, REDIRECT),
    "/agents/A004/metrics/sessions?period=2026-10&format=csv": (OK, OK, FORBIDDEN, REDIRECT),
}
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {}
