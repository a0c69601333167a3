"""Admin pages: users (create, list) and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from ... import accounts
from ...db.models import ROLES, AuditEntry, User
from ...deps import AdminForm, AdminUser, DataDep, DbDep, StateDep, client_ip
from ...errors import BadRequest
from ...templating import render

router = APIRouter(prefix="/admin")


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, principal: AdminUser, db: DbDep,
               data: DataDep) -> HTMLResponse:
    """Every user and the form to add one."""
    users = list(db.scalars(select(User).order_by(User.username)))
    return render(request, "users.html", {"users": users, "roles": ROLES,
                                          "roster": data.roster()})


@router.post("/users")
def user_submit(request: Request, principal: AdminForm, state: StateDep, db: DbDep,
                data: DataDep, username: Annotated[str, Form(max_length=64)],
                password: Annotated[str, Form(max_length=1000)],
                role: Annotated[str, Form(max_length=16)],
                agent_id: Annotated[str, Form(max_length=64)] = "",
                locale: Annotated[str, Form(max_length=16)] = "") -> RedirectResponse:
    """Add a user (audited); an agent account must name a workspace agent."""
    if role == "agent" and data.agent(agent_id) is None:
        raise BadRequest("web.error.agent_unknown", agent=agent_id)
    accounts.create_user(db, state.passwords, username=username, password=password,
                         role=role, agent_id=agent_id if role == "agent" else None,
                         locale=locale or None, actor=principal.user, ip=client_ip(request))
    db.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, principal: AdminUser, db: DbDep) -> HTMLResponse:
    """The latest 200 audit entries."""
    entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)))
    return render(request, "audit.html", {"entries": entries})
