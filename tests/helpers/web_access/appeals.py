"""Who may appeal a grade or an event, and decide appeals: an agent appeals their own
entries (managers and admins do not appeal: 403); managers and admins decide (an agent
403).  A001's scheme (presale-standard) grades no item, so their grade appeal is refused
in place (422); an agent's run of the matrix enters no event, so there is no event #1
(404; tests/web/test_appeals.py has an agent appeal another agent's event: 403); a new
app database has no appeal #999 (404 for managers, an agent 403 before it is looked
up).  The demo's imported complaint P0001 is A003's, so A001 may not appeal it (403;
tests/web/test_appeals_imported.py has an agent appeal their own)."""

from __future__ import annotations

OK, REDIRECT, FORBIDDEN, NOT_FOUND, REFUSED = 200, 303, 403, 404, 422

GET: dict[str, tuple[int, int, int, int]] = {
    "/appeals": (OK, OK, FORBIDDEN, REDIRECT),
    "/appeals?saved=upheld": (OK, OK, FORBIDDEN, REDIRECT),
    "/appeals/mine": (FORBIDDEN, FORBIDDEN, OK, REDIRECT),
    "/appeals/mine?period=2026-10": (FORBIDDEN, FORBIDDEN, OK, REDIRECT),
}
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {
    "/appeals/grade": ({"period": "2026-10", "item": "quality", "text": "fair"},
                       (FORBIDDEN, FORBIDDEN, REFUSED)),
    "/appeals/event": ({"period": "2026-10", "event_id": "1", "text": "not mine"},
                       (FORBIDDEN, FORBIDDEN, NOT_FOUND)),
    "/appeals/imported": ({"period": "2026-10", "table": "complaints", "key": "P0001",
                           "text": "not mine"}, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "/appeals/999/decide": ({"status": "rejected", "answer": "no"},
                            (NOT_FOUND, NOT_FOUND, FORBIDDEN)),
}
