"""The grading grid (``/grades/grid``): agents × the graded items of their schemes, with
the grade in force and last month's beside each cell, saved in one post (audited per
grade, as the single entries are; see :mod:`cskpi.web.services.grid`).

A post with a refused cell stores nothing and shows the grid again with every refused
cell's reason beside it and every choice kept (422; 409 when a lock keeps a grade)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ...deps import DataDep, DbDep, ManagerForm, ManagerUser, client_ip
from ...forms import FormError, form_error
from ...params import MonthForm, MonthQuery
from ...services.gateway import DataGateway
from ...services.grid import CLEAR, GridRefused, grade_grid, parse_cells, save_grid
from ...services.periods import latest_locks
from ...services.records import records_version
from ...templating import render

router = APIRouter()
Team = Annotated[str | None, Query(max_length=64)]
Cells = dict[tuple[str, str], str]


async def posted_cells(request: Request) -> Cells:
    """The grid's cells as posted (the form is read once; the CSRF check read it first)."""
    return parse_cells((await request.form()).multi_items())


def _page(request: Request, db: Session, data: DataGateway, period: str, team: str | None,
          *, saved: int | None = None, values: Cells | None = None,
          errors: dict[tuple[str, str], FormError] | None = None) -> Response:
    errors = errors or {}
    status = 200
    if errors:  # a lock keeping a grade is a conflict; every other reason a refusal
        status = 409 if any(e.status == 409 for e in errors.values()) else 422

    def context() -> dict[str, Any]:
        grid = grade_grid(db, data, period, team or None)
        return {
            "grid": grid, "period": grid.period, "team": grid.team, "saved": saved,
            "values": values or {}, "errors": errors, "clear": CLEAR,
            "labels": {c.item.key: c.item.label for c in grid.cells()},
            "has_data": data.has_data(grid.period),
            "locks": [lk for (p, _), lk in latest_locks(db).items() if p == grid.period]}

    # the grid as it stands (no cells sent back, no count of saved cells to say) of a
    # month with data is kept until the data or a record changes
    plain = not errors and not values and saved is None and data.has_data(period)
    return render(request, "grades_grid.html", context, status_code=status,
                  cache_key=("grid", period, team or None) if plain else None,
                  cache_version=records_version(db))


@router.get("/grades/grid", response_class=HTMLResponse)
def grid_page(request: Request, principal: ManagerUser, db: DbDep, data: DataDep,
              period: MonthQuery = None, team: Team = None,
              saved: Annotated[int | None, Query(ge=0, le=1_000_000)] = None) -> Response:
    """The month's grid (of one team, or every agent graded)."""
    return _page(request, db, data, period or data.latest_period(), team, saved=saved)


@router.post("/grades/grid", response_model=None)
def grid_submit(request: Request, principal: ManagerForm, db: DbDep, data: DataDep,
                period: MonthForm, cells: Annotated[Cells, Depends(posted_cells)],
                team: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Save every changed cell (each audited), or none with every refused cell's reason."""
    try:
        changed = save_grid(db, data, principal.user, period=period, cells=cells,
                            ip=client_ip(request))
    except GridRefused as refused:
        db.rollback()
        errors = {cell: form_error(request, exc) for cell, exc in refused.problems.items()}
        return _page(request, db, data, period, team, values=cells, errors=errors)
    db.commit()
    query = {"period": period, **({"team": team} if team else {}), "saved": changed}
    return RedirectResponse(f"/grades/grid?{urlencode(query)}", status_code=303)
