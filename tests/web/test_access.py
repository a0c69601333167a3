"""Who may open what: every page and API route as admin, manager, agent and anonymous.

The matrix below must name every route of the app (a test checks it), so a new route
cannot ship without its access rule being tested.  A page area may keep its part of the
matrix in its own module of tests/helpers/web_access/ (``GET``, ``POST`` and
``COVERED_ELSEWHERE``, same shapes as below); every module there is merged in.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from cskpi.web.app import API_PREFIX
from cskpi.web.routers import api_routers, page_routers
from tests.helpers import web_access
from tests.helpers.web import add_qa_reviewer, form_token

OK, REDIRECT, UNAUTH, FORBIDDEN = 200, 303, 401, 403
# path -> expected status for (admin, mgr, a001 = agent A001, anonymous)
GET_MATRIX: dict[str, tuple[int, int, int, int]] = {
    "/": (REDIRECT, REDIRECT, REDIRECT, REDIRECT),
    "/login": (REDIRECT, REDIRECT, REDIRECT, OK),
    "/overview": (OK, OK, FORBIDDEN, REDIRECT),
    "/leaderboard": (OK, OK, FORBIDDEN, REDIRECT),
    "/grades": (OK, OK, FORBIDDEN, REDIRECT),
    "/periods": (OK, OK, FORBIDDEN, REDIRECT),
    "/reports/2026-10.xlsx?scheme=aftersale-4crown": (OK, OK, FORBIDDEN, REDIRECT),
    "/account": (OK, OK, OK, REDIRECT),
    "/admin/users": (OK, FORBIDDEN, FORBIDDEN, REDIRECT),
    "/admin/audit": (OK, FORBIDDEN, FORBIDDEN, REDIRECT),
    "/agents/A001/scorecard": (OK, OK, OK, REDIRECT),
    "/agents/A004/scorecard": (OK, OK, FORBIDDEN, REDIRECT),
    "/agents/A004/scorecard?scheme=aftersale-4crown": (OK, OK, FORBIDDEN, REDIRECT),
    "/agents/A001/scorecard?scheme=presale-standard": (OK, OK, FORBIDDEN, REDIRECT),
    "/api/v1/me": (OK, OK, OK, UNAUTH),
    "/api/v1/metrics": (OK, OK, OK, UNAUTH),
    "/api/v1/metrics?by=team": (OK, OK, FORBIDDEN, UNAUTH),
    "/api/v1/metrics?by=shop": (OK, OK, FORBIDDEN, UNAUTH),
    "/api/v1/agents/A001/scorecard": (OK, OK, OK, UNAUTH),
    "/api/v1/agents/A004/scorecard": (OK, OK, FORBIDDEN, UNAUTH),
    "/api/v1/openapi.json": (OK, OK, OK, OK),
}
# form POSTs (with a valid CSRF token) -> expected status for (admin, mgr, a001)
POST_MATRIX: dict[str, tuple[dict[str, str], tuple[int, int, int]]] = {
    "/grades": ({"agent_id": "A004", "period": "2026-10", "item": "quality", "grade": "B"},
                (REDIRECT, REDIRECT, FORBIDDEN)),
    "/events": ({"agent_id": "A004", "date": "2026-10-03", "kind": "praise"},
                (REDIRECT, REDIRECT, FORBIDDEN)),
    "/periods/lock": ({"period": "2026-10", "scheme": "aftersale-4crown"},
                      (REDIRECT, REDIRECT, FORBIDDEN)),
    "/admin/users": ({"username": "new-user", "password": "new-password-1", "role": "manager"},
                     (REDIRECT, FORBIDDEN, FORBIDDEN)),
    "/account/locale": ({"locale": "en"}, (REDIRECT, REDIRECT, REDIRECT)),
    "/account/tokens": ({"name": "t"}, (OK, OK, OK)),
    "/logout": ({}, (REDIRECT, REDIRECT, REDIRECT)),
}
ROLES = ("admin", "mgr", "a001")
# the QA reviewer (质检员): the chat review and the QA rules only.  A page area's module
# names the reviewer's status of its paths in QA_REVIEWER_GET / QA_REVIEWER_POST; where
# none is named, a page that needs a login is refused (403), an open one is as for an
# admin, and every form POST is refused (403)
QA_REVIEWER_GET: dict[str, int] = {
    "/": REDIRECT, "/account": OK, "/api/v1/me": OK,
    "/schemes/mine": REDIRECT,  # to /schemes, which refuses them
    "/funnel/sessions/S99999999": 404,  # no such session, before any role check
}
QA_REVIEWER_POST: dict[str, int] = {"/account/locale": REDIRECT, "/account/tokens": OK,
                                    "/logout": REDIRECT}
# routes covered elsewhere (test_auth): the login form, token revocation, password change
COVERED_ELSEWHERE = {("POST", "/login"), ("POST", "/account/tokens/{token_id}/revoke"),
                     ("POST", "/account/password")}

for _module in pkgutil.iter_modules(web_access.__path__):
    _part = importlib.import_module(f"{web_access.__name__}.{_module.name}")
    assert not (set(_part.GET) & set(GET_MATRIX)), f"{_module.name} repeats GET paths"
    assert not (set(_part.POST) & set(POST_MATRIX)), f"{_module.name} repeats POST paths"
    GET_MATRIX.update(_part.GET)
    POST_MATRIX.update(_part.POST)
    COVERED_ELSEWHERE |= set(getattr(_part, "COVERED_ELSEWHERE", ()))
    QA_REVIEWER_GET.update(getattr(_part, "QA_REVIEWER_GET", {}))
    QA_REVIEWER_POST.update(getattr(_part, "QA_REVIEWER_POST", {}))
POST_MATRIX["/logout"] = POST_MATRIX.pop("/logout")  # it ends the session: post it last


def _app_routes() -> list[tuple[str, APIRoute]]:
    """(prefix, route) of every route the app mounts: the routers as create_app includes
    them (FastAPI keeps included routers nested, so ``app.routes`` does not list them)."""
    out = [("", r) for router in page_routers() for r in router.routes]
    out += [(API_PREFIX, r) for router in api_routers() for r in router.routes]
    return [(prefix, r) for prefix, r in out if isinstance(r, APIRoute)]


def _routes_of(method: str, path: str) -> set[tuple[str, str]]:
    """The route(s) a concrete path such as ``/periods/2026-10/versions/1`` reaches."""
    path = path.split("?")[0]
    return {(method, prefix + r.path) for prefix, r in _app_routes()
            if method in (r.methods or ()) and path.startswith(prefix)
            and r.path_regex.match(path[len(prefix):])}


def test_the_matrices_name_every_route(app: FastAPI) -> None:
    routes = {(method, prefix + route.path) for prefix, route in _app_routes()
              for method in route.methods or ()}
    assert len(routes) > 40  # the routers were found (a vacuous check would pass on none)
    tested = COVERED_ELSEWHERE.union(*(_routes_of("GET", p) for p in GET_MATRIX),
                                     *(_routes_of("POST", p) for p in POST_MATRIX))
    assert routes - tested == set()
    # and every path of the matrices reaches a route (a typo would test nothing)
    served = (f"{API_PREFIX}/openapi.json", "/static/")  # by FastAPI and the static mount
    assert [p for p in GET_MATRIX if not _routes_of("GET", p)
            and not p.startswith(served)] == []
    assert app.openapi()["paths"]  # the API is documented


@pytest.mark.parametrize("role_index", range(4), ids=[*ROLES, "anonymous"])
def test_get_routes_by_role(client_for: Callable[[str | None], TestClient],
                            role_index: int) -> None:
    client = client_for(None if role_index == 3 else ROLES[role_index])
    got = {path: client.get(path, follow_redirects=False).status_code for path in GET_MATRIX}
    assert got == {path: expected[role_index] for path, expected in GET_MATRIX.items()}


@pytest.mark.parametrize("role_index", range(3), ids=ROLES)
def test_form_posts_by_role(client_for: Callable[[str | None], TestClient],
                            role_index: int) -> None:
    client = client_for(ROLES[role_index])
    got = {}
    for path, (data, _) in POST_MATRIX.items():
        token = form_token(client.get("/account").text)
        got[path] = client.post(path, data={**data, "csrf_token": token},
                                follow_redirects=False).status_code
    assert got == {path: expected[role_index] for path, (_, expected) in POST_MATRIX.items()}


def _reviewer_get(path: str) -> int:
    admin, _, _, anonymous = GET_MATRIX[path]
    default = FORBIDDEN if anonymous in (REDIRECT, UNAUTH) else admin
    return QA_REVIEWER_GET.get(path, default)


@pytest.fixture
def qa_reviewer(app: FastAPI, client_for: Callable[[str | None], TestClient]) -> TestClient:
    add_qa_reviewer(app)
    return client_for("qa1")


def test_get_routes_as_qa_reviewer(qa_reviewer: TestClient) -> None:
    assert set(QA_REVIEWER_GET) <= set(GET_MATRIX)  # a typo would test nothing
    got = {path: qa_reviewer.get(path, follow_redirects=False).status_code
           for path in GET_MATRIX}
    assert got == {path: _reviewer_get(path) for path in GET_MATRIX}


def test_form_posts_as_qa_reviewer(qa_reviewer: TestClient) -> None:
    assert set(QA_REVIEWER_POST) <= set(POST_MATRIX)
    got = {}
    for path, (data, _) in POST_MATRIX.items():
        token = form_token(qa_reviewer.get("/account").text)
        got[path] = qa_reviewer.post(path, data={**data, "csrf_token": token},
                                     follow_redirects=False).status_code
    assert got == {path: QA_REVIEWER_POST.get(path, FORBIDDEN) for path in POST_MATRIX}


def test_qa_reviewer_starts_at_the_review_queue(qa_reviewer: TestClient) -> None:
    assert qa_reviewer.get("/", follow_redirects=False).headers["location"] == "/qa"
    page = qa_reviewer.get("/qa").text
    assert 'href="/qa"' in page and 'href="/qa/rules?period=' in page
    assert "/overview" not in page and "/grades" not in page and "/admin/" not in page


def test_anonymous_form_posts_go_to_login(client_for: Callable[..., TestClient]) -> None:
    client = client_for(None)
    for path, (data, _) in POST_MATRIX.items():
        response = client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login"), path


def test_agent_denied_another_agents_scorecard_page(
        client_for: Callable[..., TestClient]) -> None:
    response = client_for("a001").get("/agents/A004/scorecard")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-code="forbidden"' in response.text
    assert "Agents may only see their own figures" in response.text
    assert "A004" not in response.text.split("<main>")[1]  # nothing of A004 leaks


def test_agent_denied_another_agents_scorecard_json(
        client_for: Callable[..., TestClient]) -> None:
    response = client_for("a001").get("/api/v1/agents/A004/scorecard")
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "forbidden",
                                         "message": "Agents may only see their own figures.",
                                         "details": None}}


def test_agent_with_a_token_is_denied_too(app: FastAPI,
                                          client_for: Callable[..., TestClient]) -> None:
    client = client_for("a001")
    page = client.get("/account")
    created = client.post("/account/tokens", data={"csrf_token": form_token(page.text)})
    secret = created.text.split('<pre id="new-token">')[1].split("</pre>")[0]
    api = TestClient(app, headers={"authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/agents/A001/scorecard").status_code == 200
    assert api.get("/api/v1/agents/A004/scorecard").status_code == 403
    assert api.get("/api/v1/metrics?by=shop").status_code == 403


def test_agent_gets_only_their_own_metric_row(client_for: Callable[..., TestClient]) -> None:
    rows = client_for("a001").get("/api/v1/metrics?period=2026-10").json()["rows"]
    assert [r["agent_id"] for r in rows] == ["A001"]
    managers = client_for("mgr").get("/api/v1/metrics?period=2026-10").json()["rows"]
    assert [r["agent_id"] for r in managers] == ["A001", "A002", "A003", "A004", "A005", "A006"]


def test_agent_home_is_their_own_scorecard(client_for: Callable[..., TestClient]) -> None:
    response = client_for("a001").get("/", follow_redirects=False)
    assert response.headers["location"] == "/agents/A001/scorecard"
    assert client_for("mgr").get("/", follow_redirects=False).headers["location"] == "/overview"


def test_agent_navigation_offers_no_team_pages(client_for: Callable[..., TestClient]) -> None:
    page = client_for("a001").get("/agents/A001/scorecard").text
    assert "/leaderboard" not in page and "/overview" not in page and "/admin/" not in page
