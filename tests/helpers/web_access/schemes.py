"""Who may open the Schemes pages (merged into test_access's matrix).

Agents read only the scheme of their role (A001 is pre-sale); editing, checking and
previewing are for managers and admins.  Routes with a ``{name}`` in the path are listed
by a real name here and named in COVERED_ELSEWHERE so the route check finds them.
"""

from __future__ import annotations

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 303, 403, 404

GET: dict[str, tuple[int, int, int, int]] = {
    "/schemes": (OK, OK, FORBIDDEN, REDIRECT),
    "/schemes/mine": (REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "/schemes/presale-standard": (OK, OK, OK, REDIRECT),
    "/schemes/aftersale-4crown": (OK, OK, FORBIDDEN, REDIRECT),
    "/schemes/douyin-compliance": (OK, OK, FORBIDDEN, REDIRECT),
    "/schemes/presale-standard?version=1": (OK, OK, FORBIDDEN, REDIRECT),
    "/schemes/no-such-scheme": (NOT_FOUND, NOT_FOUND, FORBIDDEN, REDIRECT),
    "/schemes/presale-standard/edit": (OK, OK, FORBIDDEN, REDIRECT),
}
# The form POSTs (check, save, preview) and the JSON check are tested by role in
# test_schemes_page.py: entries here would be posted after test_access's "/logout".
POST: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {}
COVERED_ELSEWHERE = {("GET", "/schemes/{name}"), ("GET", "/schemes/{name}/edit"),
                     ("POST", "/schemes/{name}"), ("POST", "/schemes/{name}/preview"),
                     ("POST", "/schemes/validate")}
