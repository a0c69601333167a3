"""One JSON error shape for the whole API, and an error page for browsers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _assert_shape(body: Any, code: str) -> None:
    """The pinned shape: exactly {"error": {"code", "message", "details"}}."""
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_pinned_json_error_shape(client_for: Callable[..., TestClient]) -> None:
    client = client_for("a001")
    forbidden = client.get("/api/v1/agents/A004/scorecard")
    assert forbidden.status_code == 403
    assert forbidden.json() == {"error": {"code": "forbidden",
                                          "message": "Agents may only see their own figures.",
                                          "details": None}}
    cases = [
        ("/api/v1/nowhere", 404, "not_found"),
        ("/api/v1/metrics?period=October", 422, "invalid_request"),
        ("/api/v1/metrics?by=planet", 422, "invalid_request"),
        ("/api/v1/metrics?period=2026-13", 422, "invalid_request"),  # as the schema says
        ("/api/v1/agents/A001/scorecard?scheme=presale-standard", 403, "forbidden"),
    ]
    for path, status, code in cases:
        response = client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"] == "application/json"
        _assert_shape(response.json(), code)


def test_validation_errors_carry_details(client_for: Callable[..., TestClient]) -> None:
    body = client_for("mgr").get("/api/v1/metrics?period=October").json()
    assert body["error"]["details"][0]["loc"] == ["query", "period"]


def test_core_errors_carry_the_hint(client_for: Callable[..., TestClient],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from cskpi.errors import UsageError
    from cskpi.web.services.gateway import DataGateway

    def no_data(_self: DataGateway, period: Any, _by: str = "agent") -> None:
        # a month, week or days (cskpi.period.Period) by its key: 2026-11
        raise UsageError(f"'{period.key}' has no data", hint="import the month first")

    monkeypatch.setattr(DataGateway, "metrics", no_data)
    response = client_for("mgr").get("/api/v1/metrics?period=2026-11")
    assert response.status_code == 400
    _assert_shape(response.json(), "data_error")
    assert "2026-11" in response.json()["error"]["message"]
    assert response.json()["error"]["details"] == {"hint": "import the month first"}


def test_unknown_scheme_is_refused_not_read_from_disk(
        client_for: Callable[..., TestClient]) -> None:
    response = client_for("mgr").get("/api/v1/agents/A001/scorecard?scheme=/etc/passwd")
    assert response.status_code == 400
    _assert_shape(response.json(), "bad_request")
    assert "presale-standard" in response.json()["error"]["details"]["allowed"]


def test_method_not_allowed(client_for: Callable[..., TestClient]) -> None:
    response = client_for("mgr").post("/api/v1/metrics")
    assert response.status_code == 405
    _assert_shape(response.json(), "method_not_allowed")


def test_html_pages_get_an_error_page(client_for: Callable[..., TestClient]) -> None:
    response = client_for("mgr").get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-code="not_found"' in response.text and "<html" in response.text


def test_json_clients_of_pages_get_json(client_for: Callable[..., TestClient]) -> None:
    response = client_for("a001").get("/overview", headers={"accept": "application/json"})
    assert response.status_code == 403
    _assert_shape(response.json(), "forbidden")


def test_openapi_documents_the_api_and_its_error_shape(
        client_for: Callable[..., TestClient]) -> None:
    spec = client_for(None).get("/api/v1/openapi.json").json()
    assert {"/api/v1/me", "/api/v1/metrics", "/api/v1/agents/{agent_id}/scorecard"} <= set(
        spec["paths"])
    assert not any(p.startswith("/overview") for p in spec["paths"])  # pages are not API
    forbidden = spec["paths"]["/api/v1/metrics"]["get"]["responses"]["403"]
    assert forbidden["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
