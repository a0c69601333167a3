"""The Data page: upload files, the validation report row by row, import history.

Managers and admins only.  The handlers stay thin: staging, checks and imports are in
:mod:`cskpi.web.services.uploads`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...deps import DataDep, DbDep, ManagerForm, ManagerUser, StateDep, client_ip
from ...services import uploads
from ...templating import render

router = APIRouter()


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
              state: StateDep, imported: Annotated[int | None, Query(ge=0)] = None,
              discarded: Annotated[bool, Query()] = False) -> HTMLResponse:
    """The upload form, the user's uploads waiting for import, and the import history."""
    history = uploads.history(db, data)
    return render(request, "data.html", {
        "max_mb": state.settings.upload_max_mb, "accept": uploads.ACCEPT,
        "suffixes": uploads.ACCEPTED_SUFFIXES, "zh": uploads.TABLE_ZH,
        "history": history, "pending": uploads.pending_uploads(data.workspace, principal.view),
        "imported": imported, "discarded": discarded,
        "just_imported": next((h for h in history if h["import_id"] == imported), None)})


@router.post("/data/upload")
async def upload_submit(request: Request, principal: ManagerUser, data: DataDep,
                        state: StateDep) -> RedirectResponse:
    """Stage the files (size-limited while they arrive), then show their check report.

    The multipart body is read here, not by a form dependency, so that the size limit
    holds while it streams; the CSRF token is checked as a field of the same stream.
    """
    csrf = principal.csrf_token if principal.login is not None else None
    staged = await uploads.receive(request, data.workspace, principal.view,
                                   max_mb=state.settings.upload_max_mb, csrf=csrf)
    return RedirectResponse(f"/data/uploads/{staged.token}", status_code=303)


@router.get("/data/uploads/{token}", response_class=HTMLResponse)
def upload_page(request: Request, token: str, principal: ManagerUser,
                data: DataDep) -> HTMLResponse:
    """Every issue, errors first, rows per table, and Import when nothing blocks it."""
    staged = uploads.open_upload(data.workspace, token, principal.view)
    return render(request, "data_upload.html", {
        "upload": staged, "report": uploads.check(data, staged), "failure": staged.failure(),
        "zh": uploads.TABLE_ZH})


@router.post("/data/uploads/{token}/import")
def import_submit(request: Request, token: str, principal: ManagerForm, db: DbDep,
                  data: DataDep) -> RedirectResponse:
    """Import all or nothing (audited); a refused import is shown on the upload's page."""
    staged = uploads.open_upload(data.workspace, token, principal.view)
    report = uploads.import_upload(db, data, principal.user, staged, ip=client_ip(request))
    if report is None:
        return RedirectResponse(f"/data/uploads/{token}", status_code=303)
    db.commit()
    # no import id when every file had been imported before (nothing was stored)
    imported = "" if report.import_id is None else f"?imported={report.import_id}"
    return RedirectResponse(f"/data{imported}", status_code=303)


@router.post("/data/uploads/{token}/discard")
def discard_submit(token: str, principal: ManagerForm, data: DataDep) -> RedirectResponse:
    """Forget a staged upload without importing it."""
    uploads.discard(uploads.open_upload(data.workspace, token, principal.view))
    return RedirectResponse("/data?discarded=true", status_code=303)
