"""Who may change and delete an entered grade or event, and reopen a locked month for
corrections: managers and admins; agents never.  A new app database has no entry yet, so a manager gets 404 for id 999 (an
agent 403 before the id is looked up)."""

from __future__ import annotations

REDIRECT, FORBIDDEN, NOT_FOUND = 303, 403, 404

GET: dict[str, tuple[int, int, int, int]] = {
    "/grades/999/edit": (NOT_FOUND, NOT_FOUND, FORBIDDEN, REDIRECT),
    "/events/999/edit": (NOT_FOUND, NOT_FOUND, FORBIDDEN, REDIRECT),
}
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {
    "/grades/999": ({"grade": "B"}, (NOT_FOUND, NOT_FOUND, FORBIDDEN)),
    "/grades/999/delete": ({}, (NOT_FOUND, NOT_FOUND, FORBIDDEN)),
    "/events/999": ({"date": "2026-10-03", "kind": "praise"}, (NOT_FOUND, NOT_FOUND, FORBIDDEN)),
    "/events/999/delete": ({}, (NOT_FOUND, NOT_FOUND, FORBIDDEN)),
    # after test_access.py's POST /periods/lock has locked the month
    "/periods/reopen": ({"period": "2026-10", "scheme": "aftersale-4crown",
                         "reason": "complaint upheld"}, (REDIRECT, REDIRECT, FORBIDDEN)),
}
