"""Helpers of the report tests (tests/reports): the month reported, and the system tools
the rendering tests need (skipped, naming the Debian package, when one is missing)."""

from __future__ import annotations

import shutil

import pytest

PERIOD = "2026-10"


def need_tool(name: str) -> str:
    """The path of a system tool, or skip the test naming the Debian package."""
    path = shutil.which(name)
    if path is None:
        package = {"pdftotext": "poppler-utils", "pdftoppm": "poppler-utils",
                   "pdfinfo": "poppler-utils", "libreoffice": "libreoffice-calc"}[name]
        pytest.skip(f"{name} not installed (apt-get install {package})")
    return path
