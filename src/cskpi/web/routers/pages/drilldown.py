"""Drill-down from a scorecard figure to the sessions and orders behind it."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
