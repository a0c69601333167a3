"""Periods: every month's state per scheme, the review of a month (scores, pay, problems,
and what a re-lock would change), locking as numbered versions, and each version as it
was locked."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ....scoring.compare import diff_snapshots
from ....scoring.snapshots import rows
from ...db.models import PeriodLock
from ...deps import DataDep, DbDep, ManagerForm, ManagerUser, client_ip
from ...errors import BadRequest, NoData, NotFound
from ...forms import FormError, form_error, kept
from ...params import MonthForm, MonthPath, MonthQuery, current_month
from ...services.gateway import DataGateway, valid_period
from ...services.periods import (
    lock_reasons,
    month_states,
    months_with_data,
    schemes_in_use,
    versions,
)
from ...services.records import lock_period, reopen_period
from ...templating import render

router = APIRouter()


def _scheme(data: DataGateway, scheme: str | None) -> str:
    """The scheme asked for, which must be in use; by default the first in use."""
    schemes = schemes_in_use(data)
    if scheme is None and schemes:
        return schemes[0]
    if scheme not in schemes:
        raise BadRequest("web.error.scheme_unknown", scheme=scheme,
                         details={"allowed": sorted(schemes)})
    return scheme


def _periods_page(request: Request, db: Session, data: DataGateway, period: str | None,
                  locked: int | None = None, values: dict[str, str] | None = None,
                  error: FormError | None = None) -> Response:
    months = months_with_data(data)
    locks = list(db.scalars(select(PeriodLock).order_by(PeriodLock.locked_at.desc())
                            .limit(200)))
    return render(request, "periods.html", {
        "period": period or (months[0] if months else current_month(data.timezone())),
        "states": month_states(db, data, months), "locks": locks,
        "schemes": schemes_in_use(data), "locked": locked, "values": values or {},
        "error": error}, status_code=error.status if error else 200)


@router.get("/periods", response_class=HTMLResponse)
def periods_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
                 period: MonthQuery = None,
                 locked: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """Every month with data or a lock, its state per scheme, and the form to lock one."""
    return _periods_page(request, db, data, period, locked)


def _review_page(request: Request, db: Session, data: DataGateway, period: str,
                 scheme: str | None, locked: int | None = None,
                 values: dict[str, str] | None = None,
                 error: FormError | None = None, reopened: bool = False) -> Response:
    scheme = _scheme(data, scheme)
    history = versions(db, period, scheme)
    if not history and not data.has_data(period):
        raise NoData(period)
    live = data.snapshot(scheme, valid_period(period))
    latest = history[-1] if history else None
    return render(request, "periods_review.html", {
        "period": period, "scheme": scheme, "schemes": schemes_in_use(data),
        "snapshot": live, "rows": rows(live), "locked": locked,
        "versions": history, "reasons": lock_reasons(db, period, scheme),
        "lock": latest, "diff": diff_snapshots(latest.snapshot, live) if latest else None,
        "values": values or {}, "error": error, "reopened": reopened},
        status_code=error.status if error else 200)


@router.get("/periods/{period}", response_class=HTMLResponse)
def review_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
                period: MonthPath,
                scheme: Annotated[str | None, Query(max_length=255)] = None,
                locked: Annotated[int | None, Query(ge=1)] = None,
                reopened: bool = False) -> Response:
    """The month's live scores and pay, its problems, and the diff against the latest lock."""
    return _review_page(request, db, data, period, scheme, locked, reopened=reopened)


@router.get("/periods/{period}/versions/{version}", response_class=HTMLResponse)
def version_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
                 period: MonthPath,
                 version: Annotated[int, Path(ge=1)],
                 scheme: Annotated[str | None, Query(max_length=255)] = None) -> HTMLResponse:
    """A locked version as it was, with what it changed against the version before."""
    scheme = _scheme(data, scheme)
    history = {lock.version: lock for lock in versions(db, valid_period(period), scheme)}
    lock = history.get(version)
    if lock is None:
        raise NotFound("web.periods.error.version_unknown", period=period, scheme=scheme,
                       version=version)
    previous = history.get(version - 1)
    return render(request, "periods_version.html", {
        "period": period, "scheme": scheme, "lock": lock, "snapshot": lock.snapshot,
        "rows": rows(lock.snapshot), "reason": lock_reasons(db, period, scheme).get(version),
        "previous": previous, "versions": list(history.values()),
        "diff": diff_snapshots(previous.snapshot, lock.snapshot) if previous else None})


@router.post("/periods/lock", response_model=None)
def lock_submit(request: Request, principal: ManagerForm, db: DbDep, data: DataDep,
                period: MonthForm,
                scheme: Annotated[str, Form(max_length=255)],
                reason: Annotated[str, Form(max_length=1000)] = "",
                allow_incomplete: Annotated[bool, Form()] = False,
                back: Annotated[str, Form(pattern=r"^(periods|review)$")] = "periods",
                ) -> Response:
    """Snapshot the month's scores and pay under the scheme as the next version (audited);
    back to the page the form was on.  A refused lock shows that page again with the
    reason beside the form and what was typed kept."""
    try:
        scheme = _scheme(data, scheme)
        lock = lock_period(db, data, principal.user, period=period, scheme=scheme,
                           reason=reason, allow_incomplete=allow_incomplete,
                           ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        error = form_error(request, exc)
        values = kept({"period": period, "scheme": scheme, "reason": reason,
                       "allow_incomplete": "true" if allow_incomplete else ""})
        if back == "review" and scheme in schemes_in_use(data):
            return _review_page(request, db, data, period, scheme, values=values,
                                error=error)
        return _periods_page(request, db, data, period, values=values, error=error)
    db.commit()
    if back == "review":
        query = urlencode({"scheme": scheme, "locked": lock.version})
        return RedirectResponse(f"/periods/{period}?{query}", status_code=303)
    return RedirectResponse(f"/periods?period={period}&locked={lock.version}", status_code=303)


@router.post("/periods/reopen", response_model=None)
def reopen_submit(request: Request, principal: ManagerForm, db: DbDep, data: DataDep,
                  period: MonthForm,
                  scheme: Annotated[str, Form(max_length=255)],
                  reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """Reopen a locked month for corrections (audited, with a reason); back to its review.
    A refused one shows the review again with the reason beside the form."""
    try:
        scheme = _scheme(data, scheme)
        reopen_period(db, principal.user, period=period, scheme=scheme, reason=reason,
                      ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        error = form_error(request, exc)
        if scheme not in schemes_in_use(data):
            return _periods_page(request, db, data, period, error=error)
        return _review_page(request, db, data, period, scheme,
                            values=kept({"reopen_reason": reason}), error=error)
    db.commit()
    return RedirectResponse(f"/periods/{period}?{urlencode({'scheme': scheme})}&reopened=1",
                            status_code=303)
