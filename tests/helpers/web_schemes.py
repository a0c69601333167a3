"""Helpers of the Schemes pages' tests (tests/web/test_schemes_page.py and
test_scheme_constructs_page.py): the preset edited, and posting a scheme's text the way
the editor does."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.scoring.presets import preset_text
from cskpi.web.db.models import SchemeVersion
from tests.helpers.web import form_token

PRESALE = "presale-standard"
SHIPPED = preset_text(PRESALE)
# presale-standard, lines 19-23: the 'response' item, linear from 90 s (0) to 20 s (max)
RESPONSE_MAX_20 = "    max: 20\n    metric: response_s"
assert SHIPPED.count(RESPONSE_MAX_20) == 1
assert SHIPPED.splitlines()[6] == "pass_ratio: 0.60"  # line 7, used for a known error


def page_token(client: TestClient) -> str:
    """The CSRF token of a logged-in client (from the Account page)."""
    return form_token(client.get("/account").text)


def validate_scheme(client: TestClient, text: str, *, token: str | None = None,
                    name: str = PRESALE) -> Any:
    headers = {"accept": "application/json"}
    if token is not None:
        headers["x-csrf-token"] = token
    return client.post("/schemes/validate", json={"name": name, "text": text}, headers=headers)


def post_scheme(client: TestClient, text: str, path: str = f"/schemes/{PRESALE}",
                **fields: str) -> Any:
    return client.post(path, data={"text": text, "csrf_token": page_token(client), **fields},
                       follow_redirects=False)


def stored_versions(app: FastAPI) -> list[tuple[str, int]]:
    """The scheme versions the app database keeps: (name, version), oldest first."""
    with app.state.cskpi.sessions() as db:
        return [(r.name, r.version) for r in db.scalars(
            select(SchemeVersion).order_by(SchemeVersion.version))]
