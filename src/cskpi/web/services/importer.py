"""An import through the app, and its check, each run in a child process so that pages
go on meanwhile.

Reading, typing and checking a month's folder takes half a minute at 10M messages.  Run
in the app's process, under the gateway's lock, it kept every page waiting, even pages
answered from the cache.  The child imports as ``cskpi import`` from a shell does: it
stages the folder beside the workspace holding no lock, and takes the workspace's write
lock only to store (:meth:`cskpi.store.workspace.Workspace.import_folder`).  DuckDB's file
lock, not the gateway's, serialises it with the pages: a page computing meanwhile waits
for the file (the app's ``page_wait_s``), then answers 503 with Retry-After.

The child is *spawned* (a fresh interpreter): forking the server would copy its threads'
locks and open connections in whatever state they were.  It imports with the settings of
the app's :class:`~cskpi.shop.Shop` (time zone, encoding, session rules) and the
environment of the server, and the caller gets what the call would give in-process: the
:class:`~cskpi.store.workspace.ImportReport`, or the :class:`~cskpi.errors.CskpiError` it
raised, rebuilt with its code, parameters and (for a refused folder) every issue.  A
child that ends without an answer (killed, out of memory) stored nothing, an import
being all or nothing: that is the coded error ``import_interrupted``.  An unexpected
exception in the child is logged with the child's traceback and is an internal error, as
it would be in-process.

The check an upload's page shows (:meth:`cskpi.shop.Shop.check_import`) reads and checks
the files as the import does, as long: it runs in a child for the same reason (a child
that ends unanswered: ``check_interrupted``).
"""

from __future__ import annotations

import logging
import multiprocessing
import traceback
from collections.abc import Collection
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ...data.sessions import SessionRules
from ...errors import CskpiError
from ...shop import ImportCheck, Shop
from ...store.workspace import ImportReport

log = logging.getLogger("cskpi.web")


class ImportCrashed(RuntimeError):
    """The child import (or check) failed with an exception that is not a :class:`CskpiError` (a
    bug); its message is the child's traceback."""


@dataclass(frozen=True)
class ShopSettings:
    """What the child needs to build the app's :class:`~cskpi.shop.Shop` again."""

    workspace: Path
    timezone: str | None
    encoding: str | None
    sessions: SessionRules | None

    @classmethod
    def of(cls, shop: Shop) -> ShopSettings:
        if shop.workspace is None:
            raise ValueError("an import needs a shop on a workspace")
        return cls(shop.workspace, shop.timezone_setting, shop.encoding, shop.sessions)

    def shop(self) -> Shop:
        return Shop(self.workspace, timezone=self.timezone, encoding=self.encoding,
                    sessions=self.sessions)


@dataclass(frozen=True)
class ImportJob:
    """``Shop.import_folder(folder, replace=replace)``."""

    settings: ShopSettings
    folder: Path
    replace: tuple[str, ...]
    interrupted = "import_interrupted"  # the error code of a child that ended unanswered

    def run(self) -> ImportReport:
        return self.settings.shop().import_folder(self.folder, replace=self.replace)


@dataclass(frozen=True)
class CheckJob:
    """``Shop.check_import(folder, replace=replace)``: what the import would say, storing
    nothing (as long to read and check as the import, hence a child too)."""

    settings: ShopSettings
    folder: Path
    replace: tuple[str, ...]
    interrupted = "check_interrupted"

    def run(self) -> ImportCheck:
        return self.settings.shop().check_import(self.folder, replace=self.replace)


def import_in_child(shop: Shop, folder: Path, *, replace: Collection[str] = ()
                    ) -> ImportReport:
    """``shop.import_folder(folder, replace=replace)``, run in a spawned child process."""
    report: ImportReport = in_child(ImportJob(ShopSettings.of(shop), Path(folder),
                                              tuple(replace)))
    return report


def check_in_child(shop: Shop, folder: Path, *, replace: Collection[str] = ()) -> ImportCheck:
    """``shop.check_import(folder, replace=replace)``, run in a spawned child process."""
    check: ImportCheck = in_child(CheckJob(ShopSettings.of(shop), Path(folder),
                                           tuple(replace)))
    return check


def in_child(job: ImportJob | CheckJob) -> Any:
    """``job.run()`` in a spawned child process: what it returns, or what it raised."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=child_main, args=(sending, job), name="cskpi-import",
                            daemon=True)
    child.start()
    sending.close()  # the child's end: receiving ends once the child is gone
    try:
        answer = receiving.recv()
    except EOFError:
        answer = None
    finally:
        receiving.close()
        child.join()
    if answer is None:
        raise CskpiError(code=job.interrupted, params={"exit_code": child.exitcode})
    kind, *rest = answer
    if kind == "done":
        return rest[0]
    if kind == "error":
        raise rebuilt(*rest)
    log.error("%s of %s failed in its process:\n%s", type(job).__name__, job.folder, rest[0])
    raise ImportCrashed(rest[0])


def child_main(answer: Connection, job: ImportJob | CheckJob) -> None:
    """The child: run the job and send back ``("done", result)``, ``("error", class,
    args, attributes)`` of a :class:`CskpiError`, or ``("crash", traceback)``."""
    outcome: tuple[Any, ...]
    try:
        outcome = ("done", job.run())
    except CskpiError as exc:
        outcome = ("error", type(exc), exc.args, vars(exc))
    except BaseException:  # noqa: BLE001 - the parent logs it and answers 500
        outcome = ("crash", traceback.format_exc())
    try:
        answer.send(outcome)
    except Exception:  # noqa: BLE001 - something in the answer does not pickle
        answer.send(("crash", traceback.format_exc()))
    finally:
        answer.close()


def rebuilt(cls: type[CskpiError], args: tuple[Any, ...], attributes: dict[str, Any]
            ) -> CskpiError:
    """The error the child raised, as it was: its class, arguments and attributes (code,
    params, message, hint; a :class:`~cskpi.errors.ValidationFailed`'s issues).  Built
    without calling its ``__init__``, whose parameters differ by class (pickling an
    exception calls it with ``args`` only, which loses them)."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(attributes)
    return exc
