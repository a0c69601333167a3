"""Access matrix of the overview area: drill-downs, user editing, the vendored charts.

Merged into ``test_access.py``.  The routes named in ``COVERED_ELSEWHERE`` are tested by
role in ``test_drilldown.py`` and ``test_admin_users.py`` (user ids differ per database).
"""

from __future__ import annotations

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 303, 403, 404

# path -> status for (admin, mgr, a001 = agent A001, anonymous)
GET: dict[str, tuple[int, int, int, int]] = {
    "/agents/A001/metrics/satisfaction?period=2026-10": (OK, OK, OK, REDIRECT),
    "/agents/A004/metrics/refund_rate?period=2026-10": (OK, OK, FORBIDDEN, REDIRECT),
    "/agents/A001/metrics/no_such_metric": (NOT_FOUND, NOT_FOUND, NOT_FOUND, REDIRECT),
    "/agents/A004/metrics/no_such_metric": (NOT_FOUND, NOT_FOUND, FORBIDDEN, REDIRECT),
    "/admin/users/2": (OK, FORBIDDEN, FORBIDDEN, REDIRECT),
    "/static/vendor/echarts/echarts.min.js": (OK, OK, OK, OK),
    "/static/charts.js": (OK, OK, OK, OK),
}

# form POSTs (csrf added by the test) -> status for (admin, mgr, a001); user 4 is a004
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {
    "/admin/users/4": ({"role": "agent", "agent_id": "A004", "active": "1", "locale": "zh_CN"},
                       (REDIRECT, FORBIDDEN, FORBIDDEN)),
    "/admin/users/4/password": ({"password": "reset-pass-004"}, (REDIRECT, FORBIDDEN, FORBIDDEN)),
}

COVERED_ELSEWHERE: set[tuple[str, str]] = {
    ("GET", "/agents/{agent_id}/metrics/{metric}"),
    ("GET", "/admin/users/{user_id}"),
    ("POST", "/admin/users/{user_id}"),
    ("POST", "/admin/users/{user_id}/password"),
}
