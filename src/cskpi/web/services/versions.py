"""Texts saved in versions (schemes, QA rules): each name's versions numbered from 1, the
newest the one in force."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

V = TypeVar("V")


def newest_version(db: Session, model: type[V], name: str) -> V | None:
    """The newest saved version of ``name`` (a row of ``model``: a name and a version),
    None when none is saved."""
    table: Any = model
    return db.scalar(select(model).where(table.name == name)
                     .order_by(table.version.desc()).limit(1))


def version_history(db: Session, model: type[V], name: str) -> list[V]:
    """Every saved version of ``name``, newest first."""
    table: Any = model
    return list(db.scalars(select(model).where(table.name == name)
                           .order_by(table.version.desc())))
