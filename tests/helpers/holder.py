"""Another process holding a workspace file, as an import or the web app's cache write
does: it opens the file for writing and keeps it until told to let go."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


class Holder:
    """``with Holder(path) as h: ... h.release()``: the file is held from the start of the
    block until :meth:`release` (or the block's end)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Holder:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import duckdb, sys\n"
             f"con = duckdb.connect({str(self.path)!r})\nprint('ready', flush=True)\n"
             "sys.stdin.readline()\ncon.close()\nprint('released', flush=True)"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def release(self) -> None:
        """Let go of the file, and return once the other process has closed it."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "released"
        process.wait(timeout=30)

    def __exit__(self, *exc: object) -> None:
        self.release()
