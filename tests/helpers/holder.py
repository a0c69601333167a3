"""Another process holding a workspace file, as an import or the web app's cache write
does: it opens the file for writing and keeps it until told to let go; and an import
paused in another process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


class Holder:
    """``with Holder(path) as h: ... h.release()``: the file is held from the start of the
    block until :meth:`release` (or the block's end)."""

    def __init__(self, path: Path, *, write: bool = False) -> None:
        """``write``: the holder also changes the file (a table of its own, written to the
        WAL), as an import storing a month does before it lets go."""
        self.path = path
        self.write = write
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Holder:
        change = ("con.execute('CREATE TABLE _holder_probe AS SELECT range AS x "
                  "FROM range(1000)')\n" if self.write else "")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import duckdb, sys\n"
             f"con = duckdb.connect({str(self.path)!r})\n{change}print('ready', flush=True)\n"
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


class PausedImport:
    """``cskpi import FOLDER --workspace PATH`` in another process, paused at ``point`` of
    an import into an existing workspace (the ``pause-<point>`` test hook of
    :mod:`cskpi.store.workspace`): ``with PausedImport(...) as imp: ...; imp.go()``."""

    def __init__(self, folder: Path, path: Path, point: str, rendezvous: Path) -> None:
        from cskpi.store.workspace import FAULT_DIR_ENV, FAULT_ENV

        rendezvous.mkdir(parents=True, exist_ok=True)
        self.rendezvous = rendezvous
        self.env = dict(os.environ, **{FAULT_ENV: f"pause-{point}",
                                       FAULT_DIR_ENV: str(rendezvous)})
        self.cmd = [sys.executable, "-m", "cskpi.cli", "import", str(folder),
                    "--workspace", str(path)]
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> PausedImport:
        self.process = subprocess.Popen(self.cmd, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not (self.rendezvous / "paused").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                out, err = self.process.communicate(timeout=30)
                raise AssertionError(f"the import did not pause:\n{out}\n{err}")
            time.sleep(0.02)
        return self

    def go(self) -> subprocess.CompletedProcess[str]:
        """Let the import go on, and return once it ended."""
        assert self.process is not None
        (self.rendezvous / "go").write_text("go")
        out, err = self.process.communicate(timeout=120)
        return subprocess.CompletedProcess(self.cmd, self.process.returncode, out, err)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            (self.rendezvous / "go").write_text("go")
            self.process.communicate(timeout=120)
