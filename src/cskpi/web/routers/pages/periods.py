"""Periods: lock (approve) a month's scores and pay per scheme, as numbered versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from ...db.models import PeriodLock
from ...deps import DataDep, DbDep, ManagerForm, ManagerUser, client_ip
from ...errors import BadRequest
from ...records import lock_period
from ...templating import render

router = APIRouter()


@router.get("/periods", response_class=HTMLResponse)
def periods_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
                 period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None
                 ) -> HTMLResponse:
    """Locks made so far and the form to lock a month."""
    locks = list(db.scalars(select(PeriodLock).order_by(PeriodLock.locked_at.desc())
                            .limit(200)))
    schemes = list(dict.fromkeys(data.schemes_by_role.values()))
    return render(request, "periods.html", {"period": period or data.latest_period(),
                                            "locks": locks, "schemes": schemes})


@router.post("/periods/lock")
def lock_submit(request: Request, principal: ManagerForm, db: DbDep, data: DataDep,
                period: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
                scheme: Annotated[str, Form(max_length=255)]) -> RedirectResponse:
    """Snapshot the scores and pay of the month under the scheme (audited)."""
    if scheme not in data.schemes_by_role.values():
        raise BadRequest("web.error.scheme_unknown", scheme=scheme,
                         details={"allowed": sorted(set(data.schemes_by_role.values()))})
    lock_period(db, data, principal.user, period=period, scheme=scheme, ip=client_ip(request))
    db.commit()
    return RedirectResponse(f"/periods?period={period}", status_code=303)
