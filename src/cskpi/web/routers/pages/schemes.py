"""Schemes: view, edit with live validation, version history, preview on last period."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
