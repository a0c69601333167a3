"""Schemes: view, edit with live validation, version history, preview on last period.

Managers and admins read and edit every scheme; an agent reads only the scheme of their
role (``/schemes/mine`` sends them there).  Saving stores a new version only when the
text has no errors; checking and previewing save nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from ...deps import CurrentUser, DataDep, DbDep, ManagerForm, ManagerUser, client_ip
from ...errors import Forbidden, NotFound
from ...params import BaseVersionForm, NoteForm
from ...services.gateway import SCHEME_NAME, DataGateway
from ...services.schemes import (
    MAX_TEXT_CHARS,
    Checked,
    agent_scheme,
    check_text,
    diff_lines,
    history,
    normalise,
    parse_in_force,
    preview,
    require_known,
    require_readable,
    save_version,
    scheme_rows,
    text_of,
    unlisted_refs,
)
from ...templating import render

router = APIRouter()

SchemeName = Annotated[str, Path(pattern=SCHEME_NAME.pattern)]
SchemeTextForm = Annotated[str, Form(max_length=MAX_TEXT_CHARS)]


class TextToCheck(BaseModel):
    """What the editor's script posts to ``/schemes/validate``."""

    name: str = Field(pattern=SCHEME_NAME.pattern)
    text: str = Field(max_length=MAX_TEXT_CHARS)


@router.get("/schemes", response_class=HTMLResponse)
def schemes_page(request: Request, principal: ManagerUser, db: DbDep,
                 data: DataDep) -> HTMLResponse:
    """The schemes in use per role and the presets, each with its version in force."""
    return render(request, "schemes.html", {"rows": scheme_rows(db, data),
                                            "unlisted": unlisted_refs(data)})


@router.get("/schemes/mine")
def my_scheme(principal: CurrentUser, data: DataDep) -> RedirectResponse:
    """An agent's menu entry: the scheme of their role (others get the list)."""
    if principal.user.role != "agent":
        return RedirectResponse("/schemes", status_code=303)
    name = agent_scheme(data, principal)
    if name is None or not SCHEME_NAME.match(name):
        raise NotFound("web.schemes.error.none_for_you")
    return RedirectResponse(f"/schemes/{name}", status_code=303)


@router.post("/schemes/validate")
def validate(request: Request, body: TextToCheck, principal: ManagerForm, db: DbDep,
             data: DataDep) -> JSONResponse:
    """Live validation: every issue of the posted text with level, line and hint (JSON),
    each also in the reader's language (``text``, ``hint_text``)."""
    from ....locale import Translator
    from ...templating import request_lang

    require_known(db, data, body.name)
    checked = check_text(data, body.name, normalise(body.text))
    return JSONResponse(checked.to_json(Translator(request_lang(request))))


@router.get("/schemes/{name}", response_class=HTMLResponse)
def scheme_page(request: Request, name: SchemeName, principal: CurrentUser, db: DbDep,
                data: DataDep, version: int | None = None,
                saved: int | None = None) -> HTMLResponse:
    """A scheme's YAML with line numbers and its summary; for managers also its history
    and the diff of the version shown against the one before."""
    require_readable(data, principal, name)
    require_known(db, data, name)
    is_agent = principal.user.role == "agent"
    if is_agent and version is not None:
        raise Forbidden("web.error.scheme_choice")
    shown = text_of(db, name, version)
    in_force = text_of(db, name) if version is not None else shown
    versions = [] if is_agent else history(db, name)
    diff = None
    if not is_agent and shown.version is not None and shown.version > 1:
        diff = diff_lines(text_of(db, name, shown.version - 1).text, shown.text)
    return render(request, "scheme.html", {
        "name": name, "shown": shown, "in_force": in_force, "scheme": parse_in_force(shown, data),
        "lines": normalise(shown.text).splitlines(), "versions": versions, "diff": diff,
        "roles": sorted(r for r, s in data.schemes_by_role.items() if s == name),
        "saved": saved})


def _edit_page(request: Request, data: DataGateway, name: str, text: str, *,
               base_version: int | None, note: str = "", checked: Checked | None = None,
               status_code: int = 200, **extra: Any) -> HTMLResponse:
    return render(request, "scheme_edit.html", {
        "name": name, "text": text, "base_version": base_version, "note": note,
        "checked": checked, "max_chars": MAX_TEXT_CHARS, "period": data.latest_period(),
        **extra}, status_code=status_code)


@router.get("/schemes/{name}/edit", response_class=HTMLResponse)
def edit_page(request: Request, name: SchemeName, principal: ManagerUser, db: DbDep,
              data: DataDep) -> HTMLResponse:
    """The YAML of the version in force in an editor checked as one types."""
    require_known(db, data, name)
    current = text_of(db, name)
    return _edit_page(request, data, name, normalise(current.text),
                      base_version=current.version or 1)


@router.post("/schemes/{name}", response_class=HTMLResponse, response_model=None)
def save_submit(request: Request, name: SchemeName, principal: ManagerForm, db: DbDep,
                data: DataDep, text: SchemeTextForm, note: NoteForm = "",
                base_version: BaseVersionForm = None,
                action: Annotated[Literal["save", "check"], Form()] = "save"
                ) -> HTMLResponse | RedirectResponse:
    """Check the text (``action=check``, the editor without script), or save it as a new
    version when it has no errors (audited); otherwise show it again with its issues."""
    require_known(db, data, name)
    text = normalise(text)
    checked = check_text(data, name, text)
    if action == "check" or not checked.ok:
        return _edit_page(request, data, name, text, base_version=base_version, note=note,
                          checked=checked, status_code=200 if action == "check" else 400)
    row = save_version(db, principal.user, name=name, text=text, note=note,
                       base_version=base_version, ip=client_ip(request))
    db.commit()
    return RedirectResponse(f"/schemes/{name}?saved={row.version}", status_code=303)


@router.post("/schemes/{name}/preview", response_class=HTMLResponse)
def preview_submit(request: Request, name: SchemeName, principal: ManagerForm, db: DbDep,
                   data: DataDep, text: SchemeTextForm, note: NoteForm = "",
                   base_version: BaseVersionForm = None) -> HTMLResponse:
    """Who gains and who loses on the latest month if the edited text were in force."""
    require_known(db, data, name)
    text = normalise(text)
    checked = check_text(data, name, text)
    if not checked.ok:
        return _edit_page(request, data, name, text, base_version=base_version, note=note,
                          checked=checked, status_code=400)
    result = preview(data, name, text, data.latest_period())
    return _edit_page(request, data, name, text, base_version=base_version, note=note,
                      checked=checked, preview=result)
