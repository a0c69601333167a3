"""The Data page: upload files, the validation report row by row, import history."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
