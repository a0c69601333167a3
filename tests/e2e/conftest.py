"""Fixtures of the browser tests: one headless chromium per test module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.browser import chromium, launched


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched(chromium()) as b:
        yield b
