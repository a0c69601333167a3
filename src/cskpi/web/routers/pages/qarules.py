"""QA rules (质检方案): the list, a file's YAML and history, an editor checked as one
types, and the choice of the rules a month's review queue uses.

Managers, admins and QA reviewers (质检员) only.  Saving stores a new version only when the text has no errors
(else the editor again with every issue, 400); checking saves nothing.  Choosing the
rules of a locked month is refused in place (409)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ...deps import DataDep, DbDep, QaReviewerForm, QaReviewerUser, client_ip
from ...forms import FormError, form_error, kept
from ...params import BaseVersionForm, MonthForm, MonthQuery, NoteForm
from ...services.gateway import SCHEME_NAME, DataGateway
from ...services.qarules import (
    MAX_TEXT_CHARS,
    Checked,
    check_text,
    choose,
    copy_of,
    history,
    in_use,
    is_preset,
    normalise,
    rules_rows,
    save_version,
    text_of,
)
from ...services.schemes import diff_lines
from ...templating import render

router = APIRouter()

RulesName = Annotated[str, Path(pattern=SCHEME_NAME.pattern)]
RulesTextForm = Annotated[str, Form(max_length=MAX_TEXT_CHARS)]
NameForm = Annotated[str, Form(max_length=64)]
Version = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


class TextToCheck(BaseModel):
    """What the editor's script posts to ``/qa/rules/validate`` (``name`` empty: a new
    file)."""

    name: str = Field(default="", pattern=r"^$|" + SCHEME_NAME.pattern)
    text: str = Field(max_length=MAX_TEXT_CHARS)


def _list(request: Request, db: Session, data: DataGateway, period: str, *,
          saved: str | None = None, values: dict[str, str] | None = None,
          error: FormError | None = None) -> HTMLResponse:
    return render(request, "qa_rules.html", {
        "period": period, "rows": rules_rows(db), "use": in_use(db, data, period),
        "saved": saved, "values": values or {}, "error": error},
        status_code=error.status if error else 200)


@router.get("/qa/rules", response_class=HTMLResponse)
def rules_page(request: Request, principal: QaReviewerUser, db: DbDep, data: DataDep,
               period: MonthQuery = None,
               saved: Literal["choose"] | None = None) -> HTMLResponse:
    """The presets and the shop's rules files, and the rules of a month's review."""
    return _list(request, db, data, period or data.latest_period(), saved=saved)


@router.post("/qa/rules/choose", response_model=None)
def choose_submit(request: Request, principal: QaReviewerForm, db: DbDep, data: DataDep,
                  period: MonthForm, name: NameForm = "") -> Response:
    """Review a month with these rules (empty: the default), audited; a locked month is
    refused in place (409)."""
    try:
        choose(db, principal.user, period=period, name=name, ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        return _list(request, db, data, period, values=kept({"name": name}),
                     error=form_error(request, exc))
    db.commit()
    return RedirectResponse(f"/qa/rules?period={period}&saved=choose", status_code=303)


@router.post("/qa/rules/validate")
def validate(request: Request, body: TextToCheck, principal: QaReviewerForm,
             db: DbDep) -> JSONResponse:
    """Live validation: every issue of the posted text with level, line and hint (JSON),
    each also in the reader's language (``text``, ``hint_text``)."""
    from ....locale import Translator
    from ...templating import request_lang

    _, checked = check_text(db, body.name or None, normalise(body.text))
    return JSONResponse(checked.to_json(Translator(request_lang(request))))


def _edit_page(request: Request, name: str | None, text: str, *, base_version: int | None,
               note: str = "", checked: Checked | None = None,
               error: FormError | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "qa_rules_edit.html", {
        "name": name, "text": text, "base_version": base_version, "note": note,
        "checked": checked, "error": error, "max_chars": MAX_TEXT_CHARS},
        status_code=error.status if error else status_code)


@router.get("/qa/rules/new", response_class=HTMLResponse)
def new_page(request: Request, principal: QaReviewerUser,
             copy: Annotated[str, Query(max_length=64)] = "taobao-basic") -> HTMLResponse:
    """A new rules file, starting as a copy of a preset under its own name."""
    if not is_preset(copy):
        copy = "taobao-basic"
    return _edit_page(request, None, normalise(copy_of(copy)), base_version=None)


@router.get("/qa/rules/{name}", response_class=HTMLResponse)
def rules_file_page(request: Request, name: RulesName, principal: QaReviewerUser, db: DbDep,
                    version: Version = None, saved: Version = None) -> HTMLResponse:
    """A rules file's YAML with line numbers; for a shop's file also its history and
    the diff of the version shown against the one before."""
    shown = text_of(db, name, version)
    newest = text_of(db, name) if version is not None else shown
    diff = None
    if shown.version is not None and shown.version > 1:
        diff = diff_lines(text_of(db, name, shown.version - 1).text, shown.text)
    return render(request, "qa_rules_file.html", {
        "name": name, "shown": shown, "newest": newest, "versions": history(db, name),
        "lines": normalise(shown.text).splitlines(), "diff": diff, "saved": saved})


@router.get("/qa/rules/{name}/edit", response_class=HTMLResponse, response_model=None)
def edit_page(request: Request, name: RulesName, principal: QaReviewerUser,
              db: DbDep) -> Response:
    """The newest version of a shop's file in an editor checked as one types (a preset
    is copied into a new file)."""
    if is_preset(name):
        return RedirectResponse(f"/qa/rules/new?copy={name}", status_code=303)
    current = text_of(db, name)
    return _edit_page(request, name, normalise(current.text), base_version=current.version)


@router.post("/qa/rules", response_model=None)
def save_submit(request: Request, principal: QaReviewerForm, db: DbDep, text: RulesTextForm,
                name: Annotated[str, Form(pattern=r"^$|" + SCHEME_NAME.pattern)] = "",
                note: NoteForm = "", base_version: BaseVersionForm = None,
                action: Annotated[Literal["save", "check"], Form()] = "save") -> Response:
    """Check the text (``action=check``, the editor without script), or save it as a new
    version when it has no errors (audited); otherwise show it again with its issues."""
    editing = name or None
    if editing is not None:
        text_of(db, editing)  # 404 for a file that does not exist
    text = normalise(text)
    written, checked = check_text(db, editing, text)
    if action == "check" or written is None:
        return _edit_page(request, editing, text, base_version=base_version, note=note,
                          checked=checked, status_code=200 if action == "check" else 400)
    try:
        row = save_version(db, principal.user, name=editing, written=written, text=text,
                           note=note, base_version=base_version, ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        return _edit_page(request, editing, text, base_version=base_version, note=note,
                          checked=checked, error=form_error(request, exc))
    db.commit()
    return RedirectResponse(f"/qa/rules/{row.name}?saved={row.version}", status_code=303)
