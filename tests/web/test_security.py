"""Hostile input (issue #15), the web app: API tokens managed from a browser login only,
with an expiry, a last-used time and a parent; login limits per username and per IP that
a forged X-Forwarded-For cannot move.  (The month type of every route:
``test_month_param.py``.)"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.errors import UsageError
from cskpi.web import app as web_app
from cskpi.web.db.engine import transaction
from cskpi.web.db.models import ApiToken, AuditEntry, LoginSession, User, utcnow
from cskpi.web.services.accounts import create_api_token, create_user
from tests.helpers.web import ADMIN_PASSWORD, PASSWORDS, form_token, login

# --- helpers --------------------------------------------------------------------------------


def _make_token(client: TestClient, name: str = "ci", **fields: str) -> tuple[str, Any]:
    """(secret, response) of the Account page's form."""
    page = client.get("/account")
    response = client.post("/account/tokens", data={"name": name, **fields,
                                                    "csrf_token": form_token(page.text)})
    assert response.status_code == 200, response.text
    return response.text.split('<pre id="new-token">')[1].split("</pre>")[0], response


def _bearer(app: FastAPI, secret: str) -> TestClient:
    return TestClient(app, headers={"authorization": f"Bearer {secret}"})


def _tokens(app: FastAPI) -> list[ApiToken]:
    with transaction(app.state.cskpi.sessions) as db:
        return list(db.scalars(select(ApiToken).order_by(ApiToken.id)))


def _token_row(app: FastAPI, secret_prefix: str) -> ApiToken:
    [row] = [t for t in _tokens(app) if secret_prefix.startswith(t.prefix)]
    return row


def _set_token(app: FastAPI, token_id: int, **values: Any) -> None:
    with transaction(app.state.cskpi.sessions) as db:
        row = db.get(ApiToken, token_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


def _user_id(app: FastAPI, username: str) -> int:
    with transaction(app.state.cskpi.sessions) as db:
        return db.scalars(select(User.id).where(User.username == username)).one()


# --- tokens: a browser login only ------------------------------------------------------------


def test_a_bearer_token_cannot_make_another_token(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    """The hole of #15: a token minted a token that outlived the first one's revocation."""
    secret, _ = _make_token(client_for("mgr"))
    api = _bearer(app, secret)
    response = api.post("/account/tokens", data={"name": "child"})
    assert response.status_code == 403
    assert 'data-code="forbidden"' in response.text
    assert "browser login" in response.text
    as_json = api.post("/account/tokens", data={"name": "child"},
                       headers={"accept": "application/json"})
    assert as_json.status_code == 403
    assert as_json.json()["error"]["code"] == "forbidden"
    assert len(_tokens(app)) == 1  # nothing was made


def test_a_bearer_token_can_neither_list_nor_revoke_tokens(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    browser = client_for("mgr")
    first, _ = _make_token(browser, "first")
    second, _ = _make_token(browser, "second")
    api = _bearer(app, first)
    assert api.get("/account").status_code == 403
    other = _token_row(app, second)
    assert api.post(f"/account/tokens/{other.id}/revoke").status_code == 403
    assert api.post(f"/account/tokens/{_token_row(app, first).id}/revoke").status_code == 403
    assert all(t.revoked_at is None for t in _tokens(app))
    assert _bearer(app, second).get("/api/v1/me").status_code == 200


def test_token_forms_still_need_the_logins_csrf_token(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    browser = client_for("mgr")
    assert browser.post("/account/tokens", data={"name": "x"}).status_code == 403
    assert _tokens(app) == []


# --- tokens: expiry --------------------------------------------------------------------------


def test_a_token_lasts_90_days_by_default(app: FastAPI,
                                          client_for: Callable[..., TestClient]) -> None:
    before = utcnow()
    secret, _ = _make_token(client_for("mgr"))
    row = _token_row(app, secret)
    assert row.expires_at is not None
    assert before + dt.timedelta(days=90) <= row.expires_at <= utcnow() + dt.timedelta(days=90)


@pytest.mark.parametrize(("choice", "days"), [("7", 7), ("365", 365), ("never", None)])
def test_the_form_chooses_the_lifetime(app: FastAPI, client_for: Callable[..., TestClient],
                                       choice: str, days: int | None) -> None:
    secret, _ = _make_token(client_for("mgr"), expires_days=choice)
    row = _token_row(app, secret)
    if days is None:
        assert row.expires_at is None
    else:
        assert row.expires_at is not None
        assert abs(row.expires_at - row.created_at - dt.timedelta(days=days)) \
            < dt.timedelta(seconds=1)


def test_an_unknown_lifetime_is_refused(app: FastAPI,
                                        client_for: Callable[..., TestClient]) -> None:
    browser = client_for("mgr")
    token = form_token(browser.get("/account").text)
    response = browser.post("/account/tokens", data={"name": "x", "expires_days": "100000",
                                                     "csrf_token": token})
    assert response.status_code == 400
    assert "100000" in response.text and "never" in response.text
    assert _tokens(app) == []


def test_an_expired_token_gets_401(app: FastAPI,
                                   client_for: Callable[..., TestClient]) -> None:
    secret, _ = _make_token(client_for("mgr"), expires_days="7")
    api = _bearer(app, secret)
    assert api.get("/api/v1/me").status_code == 200
    _set_token(app, _token_row(app, secret).id,
               expires_at=utcnow() - dt.timedelta(seconds=1))
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_creation_is_audited_with_expiry_and_parent(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    secret, _ = _make_token(client_for("mgr"), expires_days="30")
    row = _token_row(app, secret)
    with transaction(app.state.cskpi.sessions) as db:
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "token.create"))
    assert entry.after["expires_at"] == row.expires_at.isoformat()  # type: ignore[union-attr]
    assert entry.after["parent"] == f"session:{row.parent_session_id}"


# --- tokens: last used -----------------------------------------------------------------------


def test_last_used_is_kept_to_the_minute(app: FastAPI,
                                         client_for: Callable[..., TestClient]) -> None:
    secret, _ = _make_token(client_for("mgr"))
    api = _bearer(app, secret)
    token_id = _token_row(app, secret).id
    assert _token_row(app, secret).last_used_at is None
    api.get("/api/v1/me")
    first = _token_row(app, secret).last_used_at
    assert first is not None
    api.get("/api/v1/me")
    assert _token_row(app, secret).last_used_at == first  # no write within the minute
    _set_token(app, token_id, last_used_at=first - dt.timedelta(minutes=2))
    api.get("/api/v1/me")
    assert _token_row(app, secret).last_used_at > first  # type: ignore[operator]


def test_the_account_page_shows_expiry_and_last_use(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    browser = client_for("a004")  # a zh_CN user
    _make_token(browser, "lasting", expires_days="never")
    secret, _ = _make_token(browser, "used")
    _set_token(app, _token_row(app, secret).id,
               expires_at=dt.datetime(2027, 1, 31, 8, 0), last_used_at=dt.datetime(
                   2026, 11, 2, 9, 30))
    page = browser.get("/account").text
    assert "到期时间" in page and "永不过期" in page and "最近使用" in page
    rows = dict(re.findall(r'<tr data-token="\d+"><td>(\w+)</td>(.*?)</tr>', page,
                           flags=re.DOTALL))
    # in the shop's time zone (Asia/Shanghai, UTC+8): 09:30 UTC is 17:30, 08:00 is 16:00
    assert "17:30" in rows["used"] and "16:00" in rows["used"]
    assert "永不过期" in rows["lasting"] and "从未使用" in rows["lasting"]
    english = client_for("mgr")
    _make_token(english, "fresh")
    page = english.get("/account").text
    assert "Expires" in page and "never used" in page and "Valid for" in page
    assert '<option value="90" selected>90 days</option>' in page
    assert '<option value="never">no expiry</option>' in page


def test_an_expired_token_is_marked_on_the_account_page(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    browser = client_for("mgr")
    secret, _ = _make_token(browser, "old")
    _set_token(app, _token_row(app, secret).id, expires_at=utcnow() - dt.timedelta(days=1))
    row = re.search(r'<tr data-token="\d+"><td>old</td>.*?</tr>', browser.get("/account").text,
                    flags=re.DOTALL)
    assert row and "expired" in row.group(0) and "/revoke" not in row.group(0)


# --- tokens: parents -------------------------------------------------------------------------


def test_a_token_remembers_the_login_it_was_made_on(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    browser = client_for("mgr")
    secret, _ = _make_token(browser)
    with transaction(app.state.cskpi.sessions) as db:
        [login_row] = db.scalars(select(LoginSession))
    assert _token_row(app, secret).parent_session_id == login_row.id


def test_revoking_a_token_ends_the_tokens_made_from_it(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    """No route makes a token from a token any more, but the lineage holds if one ever
    does: the revocation reaches every descendant."""
    browser = client_for("mgr")
    secret, _ = _make_token(browser, "parent")
    with transaction(app.state.cskpi.sessions) as db:
        parent = db.scalars(select(ApiToken)).one()
        user = db.get(User, parent.user_id)
        assert user is not None
        child_secret, child = create_api_token(db, user, "child", parent=parent)
        grandchild_secret, _ = create_api_token(db, user, "grandchild", parent=child)
    for value in (secret, child_secret, grandchild_secret):
        assert _bearer(app, value).get("/api/v1/me").status_code == 200
    page = browser.get("/account")
    response = browser.post(f"/account/tokens/{_token_row(app, secret).id}/revoke",
                            data={"csrf_token": form_token(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    for value in (secret, child_secret, grandchild_secret):
        assert _bearer(app, value).get("/api/v1/me").status_code == 401


def test_a_password_change_ends_the_tokens_of_the_logins_it_ends(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    """Someone with a stolen cookie made a token; the owner changes the password from
    another browser: the stolen login ends, and so does what it made."""
    thief, owner = client_for("a001"), client_for("a001")
    stolen, _ = _make_token(thief, "stolen")
    own, _ = _make_token(owner, "own")
    token = form_token(owner.get("/account").text)
    assert owner.post("/account/password", data={"current": PASSWORDS["a001"],
                                                 "new": "new-password-9", "csrf_token": token},
                      follow_redirects=False).status_code == 303
    assert thief.get("/api/v1/me").status_code == 401
    assert _bearer(app, stolen).get("/api/v1/me").status_code == 401
    assert _bearer(app, own).get("/api/v1/me").status_code == 200


def test_a_logout_does_not_end_the_tokens_made_on_it(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    browser = client_for("mgr")
    secret, _ = _make_token(browser)
    browser.post("/logout", data={"csrf_token": form_token(browser.get("/account").text)})
    assert _bearer(app, secret).get("/api/v1/me").status_code == 200
    assert _token_row(app, secret).parent_session_id is None  # the login is gone


def test_deactivating_a_user_ends_every_token_for_good(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    agent = client_for("a001")
    secrets = [_make_token(agent, name)[0] for name in ("one", "two")]
    admin = client_for("admin")
    user_id = _user_id(app, "a001")
    for active in ("", "1"):  # off, then on again
        token = form_token(admin.get("/account").text)
        admin.post(f"/admin/users/{user_id}", data={"role": "agent", "agent_id": "A001",
                                                    "active": active, "csrf_token": token})
    for secret in secrets:
        assert _bearer(app, secret).get("/api/v1/me").status_code == 401
    assert all(t.revoked_at is not None for t in _tokens(app))
    assert login(TestClient(app), "a001").status_code == 303  # the user is back


# --- login limits ----------------------------------------------------------------------------


@pytest.fixture
def strict_app(make_web_app: Callable[..., FastAPI]) -> FastAPI:
    """An app that blocks an address after 4 failed logins, whatever the usernames."""
    web = make_web_app(login_ip_max_failures=4)
    state = web.state.cskpi
    with transaction(state.sessions) as db:
        create_user(db, state.passwords, username="mgr", password=PASSWORDS["mgr"],
                    role="manager")
    return web


def test_one_password_across_many_usernames_is_limited_per_ip(strict_app: FastAPI) -> None:
    client = TestClient(strict_app)
    for name in ("alice", "bob", "carol", "admin"):  # once each: no username is limited
        assert login(client, name, "Summer2026!").status_code == 401
    blocked = login(client, "mgr")  # even the right password of another user
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "900"
    assert "Too many failed logins from your network address" in blocked.text
    assert "15 minutes" in blocked.text
    assert 'name="username"' in blocked.text  # the form again, with the reason
    assert "cskpi_session" not in client.cookies
    # another address is not blocked
    assert login(TestClient(strict_app, client=("192.0.2.9", 50000)), "mgr").status_code == 303


def test_the_ip_limit_answers_json_and_chinese(strict_app: FastAPI) -> None:
    client = TestClient(strict_app)
    for name in ("alice", "bob", "carol", "dave"):
        login(client, name, "wrong-password")
    token = form_token(client.get("/login").text)
    data = {"username": "mgr", "password": PASSWORDS["mgr"], "csrf_token": token}
    as_json = client.post("/login", data=data, headers={"accept": "application/json"})
    assert as_json.status_code == 429
    assert as_json.json()["error"]["code"] == "rate_limited"
    assert as_json.json()["error"]["details"] == {"limit": "ip", "retry_after_s": 900}
    zh = client.post("/login", data=data, headers={"accept-language": "zh-CN"})
    assert zh.status_code == 429
    assert "您的网络地址登录失败次数过多" in zh.text and "15 分钟" in zh.text


def test_a_success_does_not_reset_the_ip_count(strict_app: FastAPI) -> None:
    """One known password must not let a spray go on."""
    client = TestClient(strict_app)
    for name in ("alice", "bob", "carol"):
        login(client, name, "wrong-password")
    assert login(TestClient(strict_app), "mgr").status_code == 303
    assert login(client, "dave", "wrong-password").status_code == 401
    assert login(client, "mgr").status_code == 429


def test_the_username_limit_names_itself(app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(5):
        login(client, "mgr", "wrong-password")
    blocked = login(client, "mgr")
    assert blocked.status_code == 429
    assert "Too many failed logins for this username" in blocked.text


# --- forwarded headers -----------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, workspace: Path,
           database_url: str) -> Iterator[Callable[..., tuple[FastAPI, dict[str, Any]]]]:
    """served(**serve_kwargs) -> (the app ``cskpi serve`` would run, uvicorn's options)."""
    runs: list[tuple[FastAPI, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: runs.append((app, kw)))
    monkeypatch.setattr("cskpi.web.services.warmup.start_warm_up", lambda data: None)
    monkeypatch.setattr("cskpi.web.services.warmup.tune_gc", lambda: None)  # process-wide
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own default must not count
    for var in ("CSKPI_FORWARDED_ALLOW_IPS", "CSKPI_ADMIN_PASSWORD", "CSKPI_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)

    def serve(**kwargs: Any) -> tuple[FastAPI, dict[str, Any]]:
        web_app.serve("127.0.0.1", 8000, workspace, database_url=database_url,
                      admin_password=ADMIN_PASSWORD, **kwargs)
        return runs[-1]

    yield serve
    for app, _ in runs:
        app.state.cskpi.engine.dispose()


def _as_uvicorn_serves(app: FastAPI, options: dict[str, Any], peer: str) -> TestClient:
    """A client of the app wrapped as uvicorn wraps it with ``options``, connecting from
    ``peer``."""
    keep = {k: v for k, v in options.items() if k not in ("host", "port", "log_level")}
    config = uvicorn.Config(app, **keep)
    config.load()
    return TestClient(config.loaded_app, client=(peer, 50000))


def test_a_forged_forwarded_for_does_not_dodge_the_login_limit(
        served: Callable[..., tuple[FastAPI, dict[str, Any]]]) -> None:
    """uvicorn trusted X-Forwarded-For from loopback: each attempt could claim another
    address and the per-username limit never counted to five."""
    app, options = served()
    client = _as_uvicorn_serves(app, options, "127.0.0.1")
    statuses = []
    for n in range(7):
        client.headers["x-forwarded-for"] = f"203.0.113.{n}"
        statuses.append(login(client, "admin", "wrong-password").status_code)
    assert statuses == [401] * 5 + [429] * 2
    with transaction(app.state.cskpi.sessions) as db:
        assert {e.ip for e in db.scalars(select(AuditEntry))} <= {None, "127.0.0.1"}


def test_a_named_proxy_is_trusted(served: Callable[..., tuple[FastAPI, dict[str, Any]]]
                                  ) -> None:
    app, options = served(forwarded_allow_ips="10.0.0.5, 127.0.0.1")
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.5", "127.0.0.1"]
    client = _as_uvicorn_serves(app, options, "10.0.0.5")
    client.headers["x-forwarded-for"] = "198.51.100.7"
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 303
    with transaction(app.state.cskpi.sessions) as db:
        assert [s.ip for s in db.scalars(select(LoginSession))] == ["198.51.100.7"]
    # a client that is not the proxy is not believed
    stranger = _as_uvicorn_serves(app, options, "192.0.2.1")
    stranger.headers["x-forwarded-for"] = "198.51.100.8"
    assert login(stranger, "admin", ADMIN_PASSWORD).status_code == 303
    with transaction(app.state.cskpi.sessions) as db:
        assert sorted(s.ip or "" for s in db.scalars(select(LoginSession))) == [
            "192.0.2.1", "198.51.100.7"]


def test_the_proxy_comes_from_the_environment_too(
        served: Callable[..., tuple[FastAPI, dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSKPI_FORWARDED_ALLOW_IPS", "10.1.0.0/16")
    _app, options = served()
    assert options["proxy_headers"] is True and options["forwarded_allow_ips"] == ["10.1.0.0/16"]


def test_no_proxy_named_means_no_forwarded_header_trusted(
        served: Callable[..., tuple[FastAPI, dict[str, Any]]]) -> None:
    _app, options = served()
    assert options["proxy_headers"] is False


def test_a_bad_proxy_address_is_a_usage_error(
        served: Callable[..., tuple[FastAPI, dict[str, Any]]]) -> None:
    with pytest.raises(UsageError) as caught:
        served(forwarded_allow_ips="10.0.0.5,proxy.local")
    assert caught.value.code == "forwarded_allow_ips_invalid"
    assert "proxy.local" in caught.value.message and "10.0.0.0/24" in str(caught.value.hint)


def test_serve_help_documents_the_option() -> None:
    from typer.testing import CliRunner

    from cskpi.cli.main import app

    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--forwarded-allow-ips" in result.output and "CSKPI_FORWARDED_ALLOW_IPS" in (
        result.output)


def test_an_admin_token_cannot_make_or_change_accounts(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    """A token must not make lasting credentials: a user, a password, a role."""
    browser = client_for("admin")
    secret, _ = _make_token(browser, "admin-ci")
    api = _bearer(app, secret)
    made = api.post("/admin/users", data={"username": "mallory", "password": "x" * 16,
                                          "role": "admin"})
    assert made.status_code == 403
    target = _user_id(app, "mgr")
    assert api.post(f"/admin/users/{target}/password",
                    data={"password": "y" * 16}).status_code == 403
    assert api.post(f"/admin/users/{target}", data={"role": "admin"}).status_code == 403
    with transaction(app.state.cskpi.sessions) as db:
        assert db.scalars(select(User).where(User.username == "mallory")).first() is None
