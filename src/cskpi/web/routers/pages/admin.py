"""Admin pages: users (create, list, edit, reset a password) and the audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db.models import ROLES, AuditEntry, User
from ...deps import AdminSessionForm, AdminUser, DataDep, DbDep, StateDep, client_ip
from ...errors import BadRequest
from ...forms import FormError, form_error, kept
from ...services import accounts
from ...services.gateway import DataGateway
from ...templating import render

router = APIRouter(prefix="/admin")


def _users_page(request: Request, db: Session, data: DataGateway,
                values: dict[str, str] | None = None,
                error: FormError | None = None) -> Response:
    users = list(db.scalars(select(User).order_by(User.username)))
    roster = data.roster()
    # the least privileged role a new user can have: an agent, once there are agents
    default_role = "agent" if roster else "manager"
    return render(request, "users.html", {"users": users, "roles": ROLES, "roster": roster,
                                          "values": values or {"role": default_role},
                                          "error": error},
                  status_code=error.status if error else 200)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, principal: AdminUser, db: DbDep,
               data: DataDep) -> Response:
    """Every user and the form to add one (with or without a workspace yet)."""
    return _users_page(request, db, data)


@router.post("/users", response_model=None)
def user_submit(request: Request, principal: AdminSessionForm, state: StateDep, db: DbDep,
                data: DataDep, username: Annotated[str, Form(max_length=64)],
                password: Annotated[str, Form(max_length=1000)],
                role: Annotated[str, Form(max_length=16)],
                agent_id: Annotated[str, Form(max_length=64)] = "",
                locale: Annotated[str, Form(max_length=16)] = "") -> Response:
    """Add a user (audited); an agent account must name a workspace agent.  A refused
    one shows the form again with the reason and what was typed (not the password)."""
    try:
        if role == "agent":
            if not agent_id:
                raise BadRequest("web.error.agent_needs_id", field="agent_id")
            if data.agent(agent_id) is None:
                raise BadRequest("web.error.agent_unknown", agent=agent_id, field="agent_id")
        accounts.create_user(db, state.passwords, username=username, password=password,
                             role=role, agent_id=agent_id if role == "agent" else None,
                             locale=locale or None, actor=principal.user,
                             ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        values = kept({"username": username, "role": role, "agent_id": agent_id,
                       "locale": locale})
        return _users_page(request, db, data, values, form_error(request, exc))
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)


def _edit_page(request: Request, db: DbDep, data: DataDep, user_id: int,
               new_password: str | None = None, saved: str | None = None,
               values: dict[str, str] | None = None,
               error: FormError | None = None) -> HTMLResponse:
    user = accounts.get_user(db, user_id)
    return render(request, "users_edit.html", {"u": user, "roles": ROLES,
                                               "roster": data.roster(),
                                               "new_password": new_password,
                                               "saved": saved, "values": values or {},
                                               "error": error},
                  status_code=error.status if error else 200)


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_edit(request: Request, user_id: int, principal: AdminUser, db: DbDep, data: DataDep,
              saved: Literal["user", "password"] | None = None) -> HTMLResponse:
    """The form to change a user's role, agent, active flag and language, or password."""
    return _edit_page(request, db, data, user_id, saved=saved)


@router.post("/users/{user_id}", response_model=None)
def user_update(request: Request, user_id: int, principal: AdminSessionForm, db: DbDep,
                data: DataDep, role: Annotated[str, Form(max_length=16)],
                agent_id: Annotated[str, Form(max_length=64)] = "",
                active: Annotated[str, Form(max_length=8)] = "",
                locale: Annotated[str, Form(max_length=16)] = "") -> Response:
    """Save the form (audited); a deactivated user is logged out everywhere.  A refused
    change shows the form again with the reason and what was chosen."""
    try:
        accounts.update_user(db, principal.user, accounts.get_user(db, user_id), role=role,
                             agent_id=agent_id, active=active in ("1", "on", "true"),
                             locale=locale or None,
                             agents={a["agent_id"] for a in data.roster()},
                             ip=client_ip(request))
    except Exception as exc:
        db.rollback()
        values = kept({"role": role, "agent_id": agent_id, "locale": locale,
                       "active": "1" if active in ("1", "on", "true") else ""})
        return _edit_page(request, db, data, user_id, values=values,
                          error=form_error(request, exc))
    db.commit()
    still_admin = principal.user.role == "admin" and principal.user.active  # edited oneself?
    return RedirectResponse(f"/admin/users/{user_id}?saved=user" if still_admin else "/",
                            status_code=303)


@router.post("/users/{user_id}/password", response_model=None)
def user_password(request: Request, user_id: int, principal: AdminSessionForm, state: StateDep,
                  db: DbDep, data: DataDep,
                  password: Annotated[str, Form(max_length=1000)] = ""
                  ) -> HTMLResponse | RedirectResponse:
    """Set the password the admin typed, or generate one and show it once."""
    user = accounts.get_user(db, user_id)
    keep = principal.login if user.id == principal.user.id else None
    generated = accounts.reset_password(db, state.passwords, principal.user, user, password,
                                        keep=keep, ip=client_ip(request))
    db.commit()
    if generated is None:
        return RedirectResponse(f"/admin/users/{user_id}?saved=password", status_code=303)
    response = _edit_page(request, db, data, user_id, new_password=generated)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, principal: AdminUser, db: DbDep) -> HTMLResponse:
    """The latest 200 audit entries."""
    entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)))
    return render(request, "audit.html", {"entries": entries})
