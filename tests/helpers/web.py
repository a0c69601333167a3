"""Helpers of the web tests (tests/web): the users' passwords, the month shown, the test
PostgreSQL server's URL, and logging in through the form.  The fixtures (a demo workspace,
app databases, apps, logged-in clients) are in tests/web/conftest.py."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

PG_URL = os.environ.get("CSKPI_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ADMIN_PASSWORD = "admin-password-1"
PASSWORDS = {"admin": ADMIN_PASSWORD, "mgr": "manager-pass-1", "a001": "agent-pass-001",
             "a004": "agent-pass-004", "qa1": "reviewer-pass-1"}
PERIOD = "2026-10"
FAST_ARGON2: dict[str, Any] = {"argon2_time_cost": 1, "argon2_memory_kib": 8192}


def form_token(html: str, name: str = "csrf_token") -> str:
    """The value of the first hidden ``name`` field of a page."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field in the page"
    return match.group(1)


def post_form(client: TestClient, page: str, action: str, data: dict[str, Any],
              **kw: Any) -> Any:
    """POST ``data`` to ``action`` with the CSRF token of ``page`` (as its form would);
    redirects are not followed."""
    token = form_token(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **data}, follow_redirects=False,
                       **kw)


def add_qa_reviewer(app: Any, username: str = "qa1") -> None:
    """A QA reviewer (质检员) in the app's database (the ``app`` fixture makes none)."""
    from cskpi.web.db.engine import transaction
    from cskpi.web.services.accounts import create_user

    state = app.state.cskpi
    with transaction(state.sessions) as db:
        create_user(db, state.passwords, username=username, password=PASSWORDS[username],
                    role="qa_reviewer")


def login(client: TestClient, username: str, password: str | None = None) -> Any:
    """Log in through the form (GET for the CSRF token, then POST)."""
    page = client.get("/login")
    return client.post("/login", data={"username": username,
                                       "password": password or PASSWORDS[username],
                                       "csrf_token": form_token(page.text), "next": "/"},
                       follow_redirects=False)


def drilldown_table(html: str) -> tuple[list[str], list[list[str]]]:
    """A drill-down page's table: its header labels and its rows' cells."""
    table = html.split('id="rows"')[1].split("</table>")[0]
    head, body = table.split("</thead>")
    return (re.findall(r"<th(?: [^>]*)?>(.*?)</th>", head),
            [re.findall(r"<td>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)])


# a small shop's users: a manager, agent A1 and a Chinese manager
SMALL_SHOP_USERS = (("mgr", "manager", None, None), ("a001", "agent", "A1", None),
                    ("a004", "manager", None, "zh_CN"))


@contextmanager
def small_shop_clients(workspace: Any, database: Any) -> Iterator[Callable[[str], Any]]:
    """While the block runs, an app on a small shop's ``workspace`` (the default schemes
    per role; its database the SQLite file ``database``) with :data:`SMALL_SHOP_USERS`:
    a function that gives a TestClient logged in as one of them."""
    from fastapi.testclient import TestClient

    from cskpi.web.app import create_app
    from cskpi.web.db.engine import transaction
    from cskpi.web.services.accounts import create_user
    from cskpi.web.services.gateway import DataGateway
    from cskpi.web.settings import DEFAULT_SCHEMES, make_settings

    settings = make_settings(workspace, database_url=f"sqlite:///{database}", environ={},
                             admin_password=ADMIN_PASSWORD, **FAST_ARGON2)
    app = create_app(settings, data=DataGateway(workspace, schemes_by_role=DEFAULT_SCHEMES))
    # nothing computed in the background after the data changes (tests/web/test_stale.py
    # does that): pages wait for the new figures, as a test asserts them
    app.state.cskpi.data.stale_after_s = None
    state = app.state.cskpi
    with transaction(state.sessions) as db:
        for username, role, agent, locale in SMALL_SHOP_USERS:
            create_user(db, state.passwords, username=username, password=PASSWORDS[username],
                        role=role, agent_id=agent, locale=locale)

    def client(username: str) -> TestClient:
        logged_in = TestClient(app)
        assert login(logged_in, username).status_code == 303
        return logged_in

    try:
        yield client
    finally:
        state.engine.dispose()
