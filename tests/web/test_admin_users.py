"""Admins edit users (role, linked agent, active, language) and reset passwords.

Users of the ``app`` fixture, by id in the order they are created: 1 admin, 2 mgr,
3 a001 (agent A001), 4 a004 (agent A004).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.web.db.engine import transaction
from cskpi.web.db.models import AuditEntry, LoginSession, User
from tests.helpers.web import ADMIN_PASSWORD, PASSWORDS, form_token, login

ADMIN, MGR, A001 = 1, 2, 3


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    token = form_token(client.get("/account").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _user(app: FastAPI, user_id: int) -> dict[str, Any]:
    with transaction(app.state.cskpi.sessions) as db:
        user = db.get(User, user_id)
        assert user is not None
        return {"username": user.username, "role": user.role, "agent_id": user.agent_id,
                "active": user.active, "locale": user.locale}


def _audit(app: FastAPI, action: str) -> list[AuditEntry]:
    with transaction(app.state.cskpi.sessions) as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                               .order_by(AuditEntry.id)))


def test_the_user_list_links_to_each_users_form(client_for: Callable[..., TestClient]) -> None:
    html = client_for("admin").get("/admin/users").text
    for user_id in (ADMIN, MGR, A001, 4):
        assert f'href="/admin/users/{user_id}"' in html
    form = client_for("admin").get(f"/admin/users/{A001}").text
    assert 'option value="agent" selected' in form and 'option value="A001" selected' in form
    assert 'name="active" value="1" checked' in form


def test_a_role_change_takes_effect_at_once(app: FastAPI,
                                            client_for: Callable[..., TestClient]) -> None:
    manager = client_for("mgr")
    assert manager.get("/overview").status_code == 200
    response = _post(client_for("admin"), f"/admin/users/{MGR}",
                     {"role": "agent", "agent_id": "A002", "active": "1", "locale": "zh_CN"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{MGR}?saved=user"
    assert _user(app, MGR) == {"username": "mgr", "role": "agent", "agent_id": "A002",
                               "active": True, "locale": "zh_CN"}
    # the same browser session, now an agent of A002
    assert manager.get("/overview", follow_redirects=False).status_code == 403
    assert manager.get("/agents/A002/scorecard").status_code == 200
    assert manager.get("/agents/A001/scorecard").status_code == 403
    [entry] = _audit(app, "user.update")
    assert entry.username == "admin" and entry.target == "user:mgr"
    assert (entry.before["role"], entry.after["role"]) == ("manager", "agent")
    assert (entry.before["agent_id"], entry.after["agent_id"]) == (None, "A002")


def test_the_linked_agent_must_be_in_the_roster(app: FastAPI,
                                               client_for: Callable[..., TestClient]) -> None:
    admin = client_for("admin")
    path = f"/admin/users/{A001}"
    # refused in place (422), the reason beside the form and what was chosen kept
    unknown = _post(admin, path, {"role": "agent", "agent_id": "A999", "active": "1"})
    assert unknown.status_code == 422
    assert "No agent &#39;A999&#39; in the workspace." in unknown.text
    assert '<option value="A999" selected>' in unknown.text
    assert _post(admin, path, {"role": "agent", "agent_id": "", "active": "1"}
                 ).status_code == 422
    assert _user(app, A001)["agent_id"] == "A001"  # unchanged by the refused posts
    # a manager is linked to no agent, whatever the form says
    assert _post(admin, path, {"role": "manager", "agent_id": "A001", "active": "1"}
                 ).status_code == 303
    assert (_user(app, A001)["role"], _user(app, A001)["agent_id"]) == ("manager", None)
    assert _post(admin, path, {"role": "owner", "active": "1"}).status_code == 422
    assert _post(admin, path, {"role": "manager", "active": "1", "locale": "fr"}
                 ).status_code == 422


def test_the_last_active_admin_stays_an_active_admin(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    admin = client_for("admin")
    path = f"/admin/users/{ADMIN}"
    demote = _post(admin, path, {"role": "manager", "active": "1"})
    assert demote.status_code == 409
    assert _post(admin, path, {"role": "admin", "active": ""}).status_code == 409
    assert _user(app, ADMIN)["role"] == "admin" and _user(app, ADMIN)["active"] is True
    assert _audit(app, "user.update") == []
    # with a second active admin, the first may step down (and loses the admin pages)
    assert _post(admin, f"/admin/users/{MGR}", {"role": "admin", "active": "1"}
                 ).status_code == 303
    stepped_down = _post(admin, path, {"role": "manager", "active": "1"})
    assert stepped_down.status_code == 303 and stepped_down.headers["location"] == "/"
    assert admin.get("/admin/users", follow_redirects=False).status_code == 403
    # and now mgr is the last active admin
    assert _post(client_for("mgr"), f"/admin/users/{MGR}", {"role": "admin", "active": ""}
                 ).status_code == 409


def test_a_typed_password_reset_replaces_the_old_password(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    agent = client_for("a001")
    response = _post(client_for("admin"), f"/admin/users/{A001}/password",
                     {"password": "brand-new-pass-1"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{A001}?saved=password"
    # the user's open session ended
    assert agent.get("/account", follow_redirects=False).status_code == 303
    assert login(TestClient(app), "a001", "brand-new-pass-1").status_code == 303
    assert login(TestClient(app), "a001", PASSWORDS["a001"]).status_code == 401
    [entry] = _audit(app, "user.password_reset")
    assert entry.username == "admin" and entry.after == {"generated": False}
    assert "brand-new-pass-1" not in str(entry.before) + str(entry.after)
    assert _post(client_for("admin"), f"/admin/users/{A001}/password",
                 {"password": "short"}).status_code == 400


def test_a_generated_password_is_shown_once(app: FastAPI,
                                            client_for: Callable[..., TestClient]) -> None:
    admin = client_for("admin")
    page = _post(admin, f"/admin/users/{A001}/password", {"password": ""})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    match = re.search(r'<pre class="secret">([^<]+)</pre>', page.text)
    assert match is not None
    generated = match.group(1)
    assert len(generated) >= 8
    assert login(TestClient(app), "a001", generated).status_code == 303
    assert login(TestClient(app), "a001", PASSWORDS["a001"]).status_code == 401
    assert generated not in admin.get(f"/admin/users/{A001}").text  # shown once
    assert _audit(app, "user.password_reset")[0].after == {"generated": True}


def test_an_admin_resetting_their_own_password_stays_logged_in(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    admin = client_for("admin")
    other_browser = client_for("admin")
    assert _post(admin, f"/admin/users/{ADMIN}/password", {"password": "admin-new-pass-1"}
                 ).status_code == 303
    assert admin.get("/admin/users").status_code == 200
    assert other_browser.get("/admin/users", follow_redirects=False).status_code == 303
    assert login(TestClient(app), "admin", ADMIN_PASSWORD).status_code == 401


def test_deactivation_ends_sessions_and_tokens(app: FastAPI,
                                               client_for: Callable[..., TestClient]) -> None:
    agent = client_for("a001")
    created = agent.post("/account/tokens", data={"csrf_token": form_token(
        agent.get("/account").text), "name": "script"})
    secret = created.text.split('<pre id="new-token">')[1].split("</pre>")[0]
    api = TestClient(app, headers={"authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/me").status_code == 200

    off = _post(client_for("admin"), f"/admin/users/{A001}",
                {"role": "agent", "agent_id": "A001", "active": ""})
    assert off.status_code == 303 and _user(app, A001)["active"] is False
    with transaction(app.state.cskpi.sessions) as db:
        assert list(db.scalars(select(LoginSession).where(LoginSession.user_id == A001))) == []
    page = agent.get("/agents/A001/scorecard", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert api.get("/api/v1/me").status_code == 401
    assert login(TestClient(app), "a001").status_code == 401
    assert '<tr class="inactive"><td>a001</td>' in client_for("admin").get("/admin/users").text

    _post(client_for("admin"), f"/admin/users/{A001}",
          {"role": "agent", "agent_id": "A001", "active": "1"})
    assert login(TestClient(app), "a001").status_code == 303
    assert api.get("/api/v1/me").status_code == 401  # deactivation revoked it for good


def test_only_admins_edit_users(client_for: Callable[..., TestClient]) -> None:
    form = {"role": "admin", "agent_id": "", "active": "1"}
    for name in ("mgr", "a001"):
        client = client_for(name)
        assert client.get(f"/admin/users/{A001}").status_code == 403
        assert _post(client, f"/admin/users/{MGR}", form).status_code == 403
        assert _post(client, f"/admin/users/{MGR}/password", {"password": "x" * 12}
                     ).status_code == 403
    admin = client_for("admin")
    assert admin.get("/admin/users/999").status_code == 404
    assert _post(admin, "/admin/users/999", form).status_code == 404
    no_token = admin.post(f"/admin/users/{MGR}", data=form, follow_redirects=False)
    assert no_token.status_code == 403 and 'data-code="csrf_failed"' in no_token.text
    assert client_for(None).get(f"/admin/users/{A001}", follow_redirects=False
                                ).headers["location"].startswith("/login")
