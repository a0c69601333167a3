"""Who may open the Periods review and version pages and the What-if simulator: managers
and admins; agents never (they would see every agent's pay)."""

from __future__ import annotations

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 303, 403, 404

GET: dict[str, tuple[int, int, int, int]] = {
    "/periods/2026-10": (OK, OK, FORBIDDEN, REDIRECT),
    "/periods/2026-10?scheme=presale-standard": (OK, OK, FORBIDDEN, REDIRECT),
    # a new app database has no lock yet: version 1 is not found, but only for managers
    "/periods/2026-10/versions/1?scheme=aftersale-4crown": (NOT_FOUND, NOT_FOUND, FORBIDDEN,
                                                            REDIRECT),
    "/whatif": (OK, OK, FORBIDDEN, REDIRECT),
    "/whatif?period=2026-10&conversion=%2B20%25&aov=%2B20%25": (OK, OK, FORBIDDEN, REDIRECT),
}
# the lock form (POST /periods/lock) is in test_access.py's own matrix
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {}
