"""Helpers of the web tests about entries (the grading grid, appeals): posting a form with
the login's CSRF token, reading the reason of a refusal, the API scorecard, the audit log.

The figures of the demo shop (tests/web/conftest.py's workspace, 1-5 October 2026) under
aftersale-4crown (presets/aftersale-4crown.yaml), worked by hand: A004 scores 97 of 130
with its imported grades (quality B 15, disputes C 10, cooperation C 10, execution C 10),
its metrics and one imported praise (+2).  The pass line is 70 % of 130 = 91; the KPI
bonus is 1000 × score / 130 when the agent passes; A004 is senior, base pay 2,500.  So
97 passes: 2,500 + 1000 × 97 / 130 = 2,500 + 746.15 = 3,246.15."""

from __future__ import annotations

import html as htmllib
import re
from typing import TYPE_CHECKING, Any

from tests.helpers.web import PERIOD, form_token

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from cskpi.web.db.models import AuditEntry

SCHEME = "aftersale-4crown"
A004_SCORE, A004_PAY = 97, 3246.15


def post(client: TestClient, path: str, data: dict[str, str], **kw: Any) -> Any:
    """A form post with the login's CSRF token, not following the redirect."""
    token = form_token(client.get("/account").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False, **kw)


def text_of(fragment: str) -> str:
    """An HTML fragment's text, spaces collapsed."""
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def refusal(page: str) -> str:
    """The text of the reason shown beside a refused form."""
    return text_of(page.split('id="form-error"')[1].split(">", 1)[1].split("</div>")[0])


def card(client: TestClient, agent: str = "A004", period: str = PERIOD) -> dict[str, Any]:
    """An agent's live (or locked) scorecard of the month, from the API."""
    found: dict[str, Any] = client.get(f"/api/v1/agents/{agent}/scorecard?period={period}"
                                       ).json()["card"]
    return found


def audit_of(app: FastAPI, action: str) -> list[AuditEntry]:
    """The audit log's entries of one action, oldest first."""
    from sqlalchemy import select

    from cskpi.web.db.engine import transaction
    from cskpi.web.db.models import AuditEntry

    with transaction(app.state.cskpi.sessions) as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                               .order_by(AuditEntry.id)))
