"""Pydantic shapes of the JSON API (they document /api/v1 in OpenAPI)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. forbidden")
    message: str = Field(description="what went wrong, in English")
    details: Any = Field(default=None, description="extra data (validation errors, hints)")


class ErrorOut(BaseModel):
    """The one error shape of the API."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "not logged in / bad token"},
    403: {"model": ErrorOut, "description": "the role or agent is not allowed"},
    404: {"model": ErrorOut, "description": "unknown agent"},
    422: {"model": ErrorOut, "description": "invalid parameters"},
}
# routes that read the workspace: the core's errors (cskpi.web.errors._core_error)
DATA_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"model": ErrorOut, "description": "the data cannot answer this request (code "
                                            "data_error), or an unknown scheme (bad_request)"},
    503: {"model": ErrorOut, "description": "the workspace is unavailable"},
}


class MeOut(BaseModel):
    id: int
    username: str
    role: Literal["admin", "manager", "agent", "qa_reviewer"]
    agent_id: str | None
    locale: str | None
    active: bool
    auth: Literal["session", "token"]


class MetricsOut(BaseModel):
    period: str = Field(description="the period's key: 2026-10 (a month), 2026-W45 (an ISO "
                                    "week) or 2026-11-01..2026-11-15 (days)")
    kind: Literal["month", "week", "days"]
    first: dt.date = Field(description="the period's first day")
    last: dt.date = Field(description="the period's last day (included)")
    by: Literal["agent", "team", "shop"]
    rows: list[dict[str, Any]] = Field(
        description="one row per group: every catalog metric, KEY_num/KEY_den for rates, "
                    "reasons for missing figures")


class LockOut(BaseModel):
    version: int
    locked_at: str
    locked_by: str | None


class ScorecardOut(BaseModel):
    agent: dict[str, Any]
    period: str
    scheme: str | None
    locked: LockOut | None = Field(description="set when the card is a locked snapshot")
    card: dict[str, Any] | None = Field(description="ScoreCard: items, adjustments, pay")
    problems: list[dict[str, Any]]
    grades: list[dict[str, Any]] = Field(description="grades entered in the app")
    has_data: bool = Field(default=True, description="false when the month has no sessions, "
                           "sales or online time (and no lock): no card is scored for it")
