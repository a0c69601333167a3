"""What makes a file unreadable, as a message code: raised by the readers, reported as an Issue.

The text comes from the catalogs (``issue.<code>`` in ``locale/readers.*.json``), so a
problem found deep inside a reader reaches the user in their language, with the file,
the row and the column where it is known.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import Issue
from .sql import file_path


class FileProblem(Exception):
    """The file cannot be read as a table: an issue code, its parameters and where."""

    def __init__(self, code: str, *, row: int | None = None, column: str | None = None,
                 **params: Any) -> None:
        super().__init__(f"{code} {params}")
        self.code = code
        self.row = row
        self.column = column
        self.params = params

    def issue(self, file: str) -> Issue:
        return Issue("error", self.code, file=file, row=self.row, column=self.column,
                     params=self.params)


def clip(text: str, limit: int = 80) -> str:
    """A value from a file, short enough to quote in a message."""
    text = text.replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(exc: BaseException, path: Path | None = None, *also: Path | None) -> str:
    """The first line of a library's error, where the files it names (``path``, and
    ``also`` read for it) are shown by the name of ``path`` alone: the folders of a
    server are nobody's business."""
    lines = str(exc).strip().splitlines()
    text = lines[0][:300] if lines else type(exc).__name__
    if path is not None:
        for named in (path, *also):
            if named is not None:
                for spelled in (file_path(named), os.path.abspath(named), str(named)):
                    text = text.replace(spelled, path.name)
    return text
