"""First admin, login/logout, wrong password, rate limit, CSRF, hashes, cookies, tokens."""

from __future__ import annotations

import io
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cskpi.web.db.engine import transaction
from cskpi.web.db.models import AuditEntry, LoginSession, User
from tests.helpers.web import ADMIN_PASSWORD, PASSWORDS, form_token, login


def _users(app: FastAPI) -> list[User]:
    with transaction(app.state.cskpi.sessions) as db:
        return list(db.scalars(select(User).order_by(User.id)))


# --- first admin ----------------------------------------------------------------------


def test_first_start_creates_an_admin_with_a_printed_password(
        make_web_app: Callable[..., FastAPI]) -> None:
    out = io.StringIO()
    app = make_web_app(out=out, admin_password=None)
    users = _users(app)
    assert [(u.username, u.role) for u in users] == [("admin", "admin")]
    printed = out.getvalue()
    assert "shown once" in printed
    password = printed.split("with password ")[1].split()[0]
    assert login(TestClient(app), "admin", password).status_code == 303


def test_a_second_start_creates_no_second_admin_and_prints_nothing(
        make_web_app: Callable[..., FastAPI]) -> None:
    make_web_app(out=io.StringIO(), admin_password=None)
    out = io.StringIO()
    app = make_web_app(out=out, admin_password="another-password")
    assert len(_users(app)) == 1
    assert out.getvalue() == ""


def test_admin_password_from_settings_is_used_and_not_printed(
        make_web_app: Callable[..., FastAPI]) -> None:
    out = io.StringIO()
    app = make_web_app(out=out)
    assert out.getvalue() == ""
    assert login(TestClient(app), "admin", ADMIN_PASSWORD).status_code == 303


def test_admin_creation_is_audited(app: FastAPI) -> None:
    with transaction(app.state.cskpi.sessions) as db:
        actions = [(e.username, e.action, e.target) for e in db.scalars(select(AuditEntry))]
    assert ("system", "user.create", "user:admin") in actions
    assert ("system", "user.create", "user:mgr") in actions


# --- passwords -------------------------------------------------------------------------


def test_password_hashes_are_argon2id(app: FastAPI) -> None:
    users = _users(app)
    assert users and all(u.password_hash.startswith("$argon2id$") for u in users)
    assert all(PASSWORDS.get(u.username, "x") not in u.password_hash for u in users)


# --- login / logout ----------------------------------------------------------------------


def test_login_sets_a_httponly_samesite_cookie(app: FastAPI) -> None:
    response = login(TestClient(app), "mgr")
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith("cskpi_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_the_cookie_is_secure_over_https(app: FastAPI) -> None:
    client = TestClient(app, base_url="https://testserver")
    response = login(client, "mgr")
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith("cskpi_session="))
    assert "Secure" in cookie


def test_login_then_logout(client_for: Callable[[str | None], TestClient]) -> None:
    client = client_for("mgr")
    page = client.get("/overview")
    assert page.status_code == 200
    response = client.post("/logout", data={"csrf_token": form_token(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    again = client.get("/overview", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_a_stolen_cookie_stops_working_after_logout(app: FastAPI,
                                                    client_for: Callable[..., TestClient]
                                                    ) -> None:
    client = client_for("mgr")
    token = client.cookies["cskpi_session"]
    page = client.get("/account")
    client.post("/logout", data={"csrf_token": form_token(page.text)})
    thief = TestClient(app, cookies={"cskpi_session": token})
    assert thief.get("/api/v1/me").status_code == 401
    with transaction(app.state.cskpi.sessions) as db:
        assert db.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_wrong_password_shows_the_form_again(app: FastAPI) -> None:
    client = TestClient(app)
    response = login(client, "mgr", "wrong-password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert "cskpi_session" not in client.cookies


def test_unknown_user_is_refused_like_a_wrong_password(app: FastAPI) -> None:
    response = login(TestClient(app), "nobody", "whatever-1")
    assert response.status_code == 401


def test_login_redirects_to_a_local_next_only(app: FastAPI) -> None:
    for target, expected in (("/leaderboard", "/leaderboard"), ("//evil.example", "/"),
                             ("https://evil.example", "/")):
        client = TestClient(app)
        page = client.get("/login")
        response = client.post("/login", data={"username": "mgr", "password": PASSWORDS["mgr"],
                                               "csrf_token": form_token(page.text),
                                               "next": target}, follow_redirects=False)
        assert response.headers["location"] == expected


def test_rate_limit_after_five_failures(app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(5):
        assert login(client, "mgr", "wrong-password").status_code == 401
    blocked = login(client, "mgr", PASSWORDS["mgr"])  # even the right password
    assert blocked.status_code == 429
    assert "Too many failed logins" in blocked.text
    assert blocked.headers["retry-after"] == "900"
    # another user from the same address is not blocked
    assert login(client, "a001").status_code == 303


def test_rate_limit_answers_json_to_json_clients(app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(5):
        login(client, "mgr", "wrong-password")
    page = client.get("/login")
    response = client.post("/login", headers={"accept": "application/json"},
                           data={"username": "mgr", "password": "x",
                                 "csrf_token": form_token(page.text)})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"


def test_a_success_resets_the_failure_count(app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(4):
        login(client, "mgr", "wrong-password")
    assert login(client, "mgr").status_code == 303
    for _ in range(4):
        assert login(TestClient(app), "mgr", "wrong-password").status_code == 401


# --- CSRF --------------------------------------------------------------------------------


def test_login_without_the_csrf_cookie_is_rejected(app: FastAPI) -> None:
    client = TestClient(app)
    token = form_token(client.get("/login").text)
    client.cookies.clear()
    response = client.post("/login", data={"username": "mgr", "password": PASSWORDS["mgr"],
                                           "csrf_token": token})
    assert response.status_code == 403
    assert 'data-code="csrf_failed"' in response.text


def test_login_with_a_wrong_csrf_token_is_rejected(app: FastAPI) -> None:
    client = TestClient(app)
    client.get("/login")
    response = client.post("/login", data={"username": "mgr", "password": PASSWORDS["mgr"],
                                           "csrf_token": "forged"})
    assert response.status_code == 403


def test_form_posts_without_the_session_csrf_token_are_rejected(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    grade = {"agent_id": "A004", "period": "2026-10", "item": "quality", "grade": "A"}
    for data in (grade, {**grade, "csrf_token": "forged"}):
        response = client.post("/grades", data=data)
        assert response.status_code == 403
        assert 'data-code="csrf_failed"' in response.text
    assert client.post("/logout", data={}).status_code == 403
    with transaction(app.state.cskpi.sessions) as db:
        assert not [e for e in db.scalars(select(AuditEntry)) if e.action.startswith("grade")]


def test_the_csrf_token_of_another_session_is_rejected(
        client_for: Callable[..., TestClient]) -> None:
    other = form_token(client_for("admin").get("/account").text)
    client = client_for("mgr")
    response = client.post("/grades", data={"agent_id": "A004", "period": "2026-10",
                                            "item": "quality", "grade": "A",
                                            "csrf_token": other})
    assert response.status_code == 403


# --- API tokens ----------------------------------------------------------------------------


def _new_token(client: TestClient, name: str = "ci") -> str:
    page = client.get("/account")
    response = client.post("/account/tokens", data={"name": name,
                                                    "csrf_token": form_token(page.text)})
    assert response.status_code == 200
    secret = response.text.split('<pre id="new-token">')[1].split("</pre>")[0]
    assert secret.startswith("cskpi_")
    return secret


def test_bearer_tokens_authenticate_the_api(app: FastAPI,
                                            client_for: Callable[..., TestClient]) -> None:
    secret = _new_token(client_for("a001"))
    me = TestClient(app).get("/api/v1/me", headers={"authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert me.json() == {"id": me.json()["id"], "username": "a001", "role": "agent",
                         "agent_id": "A001", "locale": None, "active": True, "auth": "token"}


def test_tokens_are_stored_hashed_and_shown_once(app: FastAPI,
                                                 client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    secret = _new_token(client)
    assert secret not in client.get("/account").text
    from cskpi.web.db.models import ApiToken

    with transaction(app.state.cskpi.sessions) as db:
        row = db.scalars(select(ApiToken)).one()
        assert row.token_hash != secret and len(row.token_hash) == 64


def test_revoked_and_unknown_tokens_get_401(app: FastAPI,
                                            client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    secret = _new_token(client)
    page = client.get("/account")
    from cskpi.web.db.models import ApiToken

    with transaction(app.state.cskpi.sessions) as db:
        token_id = db.scalars(select(ApiToken.id)).one()
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": form_token(page.text)})
    for value in (secret, "cskpi_unknown"):
        response = TestClient(app).get("/api/v1/me", headers={"authorization": f"Bearer {value}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        assert response.headers["www-authenticate"] == "Bearer"


def test_anonymous_pages_redirect_to_login_and_api_gets_401(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/leaderboard?period=2026-10", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/leaderboard%3Fperiod%3D2026-10"
    api = client.get("/api/v1/metrics")
    assert api.status_code == 401
    assert set(api.json()) == {"error"}


# --- password change ------------------------------------------------------------------------


def test_changing_the_password(app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    client, other = client_for("a001"), client_for("a001")
    token = form_token(client.get("/account").text)
    wrong = client.post("/account/password", data={"current": "nope", "new": "new-password-9",
                                                   "csrf_token": token})
    assert wrong.status_code == 400
    assert client.post("/account/password", data={"current": PASSWORDS["a001"],
                                                  "new": "new-password-9"}).status_code == 403
    ok = client.post("/account/password", data={"current": PASSWORDS["a001"],
                                                "new": "new-password-9", "csrf_token": token},
                     follow_redirects=False)
    assert ok.status_code == 303
    assert client.get("/api/v1/me").status_code == 200  # this session goes on
    assert other.get("/api/v1/me").status_code == 401  # the other one ended
    assert login(TestClient(app), "a001").status_code == 401
    assert login(TestClient(app), "a001", "new-password-9").status_code == 303
    with transaction(app.state.cskpi.sessions) as db:
        [entry] = [e for e in db.scalars(select(AuditEntry)) if e.action == "user.password"]
        assert entry.username == "a001" and entry.before is None and entry.after is None
