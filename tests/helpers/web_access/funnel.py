"""Who may open the Funnel page, the lost lists and the transcripts, and relabel: managers
and admins everything; an agent their own lost list and their own sessions only."""

from __future__ import annotations

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 303, 403, 404

# in the web tests' demo shop, S00000001 is A001's first session and S00000007 A004's
GET: dict[str, tuple[int, int, int, int]] = {
    "/funnel": (OK, OK, FORBIDDEN, REDIRECT),
    "/funnel?period=2026-10": (OK, OK, FORBIDDEN, REDIRECT),
    "/agents/A001/lost": (OK, OK, OK, REDIRECT),
    "/agents/A004/lost?period=2026-10": (OK, OK, FORBIDDEN, REDIRECT),
    "/funnel/sessions/S00000001": (OK, OK, OK, REDIRECT),
    "/funnel/sessions/S00000007?period=2026-10": (OK, OK, FORBIDDEN, REDIRECT),
    "/funnel/sessions/S99999999": (NOT_FOUND, NOT_FOUND, NOT_FOUND, REDIRECT),
}
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {
    "/funnel/relabel": ({"session_id": "S00000001", "period": "2026-10", "reason": "price"},
                        (REDIRECT, REDIRECT, FORBIDDEN)),
}
