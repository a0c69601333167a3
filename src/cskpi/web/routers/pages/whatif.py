"""The what-if simulator: drivers (conversion, AOV, …) to sales, scores and pay."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
