"""The grading grid: every agent a scheme in force has managers grade, by that scheme's
graded items (优/良/中/差), with the grade that counts now and last month's beside each
cell, saved as a whole.

Each cell of a post is one grade entry, checked and stored as the single entry is
(:func:`cskpi.web.services.records.record_grade`: :func:`cskpi.scoring.entries.check_grade`
against the schemes covering the agent, a lock keeps an entry it was computed from), and
audited alike (``grade.create`` / ``grade.update`` / ``grade.delete``).  A post is saved
whole or not at all: when any cell is refused, nothing is stored and every refused cell
is reported with its reason (:class:`GridRefused`).

What a cell says:

- empty: no change;
- a grade of the item (A–D, or 优/良/中/差): that grade is entered, replacing an imported
  one; the grade entered already is no change (nothing stored, nothing audited);
- :data:`CLEAR`: the entered grade is deleted, so the imported grade, if any, counts
  again; a cell with no entered grade has nothing to clear and is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import CskpiError
from ...months import previous_month
from ...scheme import GradeItem, Scheme
from ...scheme.models import GRADE_ALIASES
from ...scoring.entries import check_grade
from ..db.models import Grade, User
from ..errors import AppError, BadRequest
from .gateway import DataGateway, valid_period
from .records import covering_names, delete_grade, month_entries, record_grade

CLEAR = "-"
"""A cell's value that deletes the entered grade."""
MAX_CELL = 8
"""The longest value a cell may carry (a grade is one letter or one character)."""
FIELD_PREFIX = "g|"


def cell_field(agent_id: str, item: str) -> str:
    """The form field of a cell: ``g|AGENT|ITEM``, each part percent-encoded (so any
    agent id or item key reads back exactly)."""
    return f"{FIELD_PREFIX}{quote(agent_id, safe='')}|{quote(item, safe='')}"


def parse_cells(form: Iterable[tuple[str, Any]]) -> dict[tuple[str, str], str]:
    """The cells of a posted grid, (agent_id, item) -> what was chosen (other fields are
    the form's own); a malformed cell name, or a cell sent twice with different values, is
    refused (400)."""
    cells: dict[tuple[str, str], str] = {}
    for name, value in form:
        if not name.startswith(FIELD_PREFIX):
            continue
        parts = name[len(FIELD_PREFIX):].split("|")
        if len(parts) != 2 or not all(parts) or not isinstance(value, str):
            raise BadRequest("web.grid.error.cell_name")
        key = (unquote(parts[0]), unquote(parts[1]))
        if cells.get(key, value) != value:
            raise BadRequest("web.grid.error.cell_twice", agent=key[0], item=key[1])
        cells[key] = value
    return cells


@dataclass(frozen=True)
class GridItem:
    """A graded item, its label and the grades it may take (with the points of each)."""

    key: str
    label: str
    grades: list[tuple[str, Decimal]]
    label_en: str | None = None  # its name in English pages (the scheme's label_en)


@dataclass(frozen=True)
class Shown:
    """A grade as it counts: the grade (A–D), entered or imported, by whom."""

    grade: str
    source: str  # entered | imported
    by: str | None = None
    entered_id: int | None = None


@dataclass(frozen=True)
class GridCell:
    agent_id: str
    item: GridItem
    now: Shown | None
    last: Shown | None

    @property
    def field(self) -> str:
        return cell_field(self.agent_id, self.item.key)


@dataclass
class GridGroup:
    """The agents covered by the same schemes, by those schemes' graded items."""

    schemes: list[str]
    items: list[GridItem]
    rows: list[tuple[dict[str, Any], list[GridCell]]] = field(default_factory=list)


@dataclass
class GradeGrid:
    period: str
    previous: str
    groups: list[GridGroup]
    teams: list[str]
    team: str | None

    def cells(self) -> list[GridCell]:
        return [c for g in self.groups for _, cells in g.rows for c in cells]


def grid_items(schemes: Sequence[Scheme]) -> list[GridItem]:
    """The graded items of the schemes (each key once, labelled as its first scheme
    labels it), each with the grades every scheme grading it gives points for."""
    found: dict[str, list[GradeItem]] = {}
    for scheme in schemes:
        for item in scheme.items:
            if isinstance(item, GradeItem):
                found.setdefault(item.key, []).append(item)
    out = []
    for key, items in found.items():
        first = items[0]
        grades = [(g, first.grades[g]) for g in first.grades
                  if all(g in other.grades for other in items)]
        out.append(GridItem(key, first.label or key, grades, first.label_en))
    return out


def _in_force(db: Session, data: DataGateway, period: str) -> dict[tuple[str, str], Shown]:
    """The grade that counts for each (agent, item) of a month: the entered one, else the
    imported one."""
    entries = month_entries(db, data, period)
    out: dict[tuple[str, str], Shown] = {}
    for g in entries.imported_grades:
        grade = str(g["grade"])
        out[(g["agent_id"], g["item"])] = Shown(GRADE_ALIASES.get(grade, grade), "imported",
                                                g.get("reviewer"))
    for row in entries.grades:
        out[(row.agent_id, row.item)] = Shown(
            row.grade, "entered", row.reviewer.username if row.reviewer else None, row.id)
    return out


def grade_grid(db: Session, data: DataGateway, period: str,
               team: str | None = None) -> GradeGrid:
    """The month's grid: agents (of ``team``, or all) grouped by the schemes that cover
    them, each cell with the grade in force and last month's."""
    period = valid_period(period)
    previous = previous_month(period)
    now, last = _in_force(db, data, period), _in_force(db, data, previous)
    groups: dict[tuple[str, ...], GridGroup] = {}
    teams: set[str] = set()
    for agent in data.roster():
        schemes = data.schemes_covering(agent)
        items = grid_items(schemes)
        if not items:
            continue
        if agent.get("team"):
            teams.add(str(agent["team"]))
        if team and agent.get("team") != team:
            continue
        names = tuple(covering_names(data, agent))
        group = groups.setdefault(names, GridGroup(list(names), items))
        agent_id = str(agent["agent_id"])
        group.rows.append((agent, [GridCell(agent_id, it, now.get((agent_id, it.key)),
                                            last.get((agent_id, it.key)))
                                   for it in group.items]))
    return GradeGrid(period, previous, list(groups.values()), sorted(teams), team)


class GridRefused(Exception):
    """A grid post of which some cells would not count as chosen: nothing was stored.
    ``problems`` maps each refused (agent_id, item) to its reason, in the order sent."""

    def __init__(self, problems: Mapping[tuple[str, str], Exception]) -> None:
        super().__init__(f"{len(problems)} cells refused")
        self.problems = dict(problems)


def save_grid(db: Session, data: DataGateway, reviewer: User, *, period: str,
              cells: Mapping[tuple[str, str], str], ip: str | None = None) -> int:
    """Store every cell that changes a grade (each audited as the single entries are) and
    return how many did; when any cell is refused, raise :class:`GridRefused` with every
    refused cell's reason (the caller rolls the whole post back)."""
    period = valid_period(period)
    entered = {(g.agent_id, g.item): g
               for g in db.scalars(select(Grade).where(Grade.period == period))}
    problems: dict[tuple[str, str], Exception] = {}
    changed = 0
    for (agent_id, item), typed in cells.items():
        value = typed.strip()
        if not value:
            continue
        row = entered.get((agent_id, item))
        try:
            if _save_cell(db, data, reviewer, period, agent_id, item, value, row, ip):
                changed += 1
        except (AppError, CskpiError) as exc:
            problems[(agent_id, item)] = exc
    if problems:
        raise GridRefused(problems)
    return changed


def _save_cell(db: Session, data: DataGateway, reviewer: User, period: str, agent_id: str,
               item: str, value: str, row: Grade | None, ip: str | None) -> bool:
    """Store one cell; False when it changes nothing (the grade entered already)."""
    if value == CLEAR:
        if row is None:
            raise BadRequest("web.grid.error.nothing_to_clear", field="grade")
        delete_grade(db, data, reviewer, row.id, ip=ip)
        return True
    if len(value) > MAX_CELL:
        raise BadRequest("web.grid.error.cell_long", field="grade", max=MAX_CELL)
    if row is not None:
        agent = data.agent(agent_id) or {"agent_id": agent_id}
        if check_grade(data.schemes_covering(agent), agent, item, value) == row.grade:
            return False
    record_grade(db, data, reviewer, agent_id=agent_id, period=period, item=item,
                 grade=value, note=row.note if row is not None else None, ip=ip)
    return True
