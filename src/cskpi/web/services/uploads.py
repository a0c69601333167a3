"""The Data page's logic: stage uploaded files, check them, import them, list imports.

An upload is streamed straight into a fresh staging folder beside the workspace
(``<workspace>.uploads/<token>/files``); nothing reaches the workspace until the
uploader has seen the check report and pressed Import.  Why each rule:

- the size limit counts every byte of the request *while it arrives* (and a too large
  ``Content-Length`` is refused before reading), so a huge upload never fills the disk;
- only the base name of a file is kept, and only names the importer reads
  (``agents.csv``, ``订单_2026-11.xlsx`` …: a readable ending) are accepted: an upload is data, it is never
  executed nor served back, and it cannot land outside its staging folder;
- a token is random, belongs to its uploader (another user gets 404, as for a token that
  never existed) and its folder is removed on import, on discard, or after a day.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...data.readers import SUFFIXES
from ...data.schema import TABLES
from ...data.tables import table_of_name
from ...data.validate import file_sha256
from ...errors import Issue, ValidationFailed
from ...shop import ImportCheck
from ...store.workspace import ImportReport
from ..db.models import AuditEntry, User
from ..deps import UserView
from ..errors import AppError, BadRequest, CsrfFailed, NotFound
from ..security import same
from .accounts import audit
from .gateway import DataGateway

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32}")
STALE_AFTER_S = 24 * 3600
MAX_FIELDS = 20
MAX_FIELD_BYTES = 4096
IMPORT_ACTION = "data.import"
ACCEPTED_SUFFIXES: tuple[str, ...] = SUFFIXES  # what the importer reads
ACCEPT = ",".join(SUFFIXES)  # the file input's ``accept``
TABLE_ZH = {name: table.zh for name, table in TABLES.items()}  # the tables, in contract order


class TooLarge(AppError):
    """The request is bigger than ``upload_max_mb`` (nothing of it is kept)."""

    status, code = 413, "too_large"


def staging_root(workspace: Path) -> Path:
    """Where uploads wait to be imported: a folder beside the workspace file."""
    return Path(f"{workspace}.uploads")


def accepted_names() -> list[str]:
    """Every file name an upload may have: a table of the contract, a readable suffix."""
    return [f"{table}{suffix}" for table in TABLES for suffix in SUFFIXES]


def checked_name(raw: str) -> str:
    """The file name if the importer reads it, else a :class:`BadRequest` naming it."""
    name = raw.strip()
    if not name or "/" in name or "\\" in name or name in (".", "..") or not name.isprintable():
        raise BadRequest("web.data.error.path_in_name", file=raw)
    stem, dot, suffix = name.rpartition(".")
    # any name the importer reads: 订单.csv, orders_2026-11.xlsx, or one known by its headers
    if not dot or not stem or f".{suffix.lower()}" not in SUFFIXES:
        raise BadRequest("web.data.error.bad_name", file=name,
                         tables=", ".join(TABLES), suffixes=", ".join(SUFFIXES),
                         details={"accepted": accepted_names()})
    return name


# --- one staged upload ---------------------------------------------------------------------


@dataclass
class Upload:
    """A staged upload: who sent which files, and how the import should treat them."""

    token: str
    owner_id: int
    owner: str
    created_at: str  # ISO 8601, UTC
    files: list[dict[str, Any]] = field(default_factory=list)  # name, bytes
    replace: list[str] = field(default_factory=list)  # tables whose stored rows it replaces
    folder: Path = Path()

    @property
    def files_dir(self) -> Path:
        return self.folder / "files"

    def save(self) -> None:
        meta = {k: v for k, v in asdict(self).items() if k != "folder"}
        (self.folder / "upload.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")

    def failure(self) -> list[Issue] | None:
        """The issues of an import that was refused, if one was."""
        path = self.folder / "failure.json"
        if not path.exists():
            return None
        return [Issue(**i) for i in json.loads(path.read_text("utf-8"))]

    def record_failure(self, issues: list[Issue]) -> None:
        (self.folder / "failure.json").write_text(
            json.dumps([i.to_dict() for i in issues], ensure_ascii=False), "utf-8")


def _load(folder: Path) -> Upload | None:
    try:
        meta = json.loads((folder / "upload.json").read_text("utf-8"))
        return Upload(**meta, folder=folder)
    except (OSError, ValueError, TypeError):
        return None


def open_upload(workspace: Path, token: str, user: UserView) -> Upload:
    """The user's own staged upload; 404 for a malformed, unknown or foreign token."""
    if not TOKEN_RE.fullmatch(token):
        raise NotFound("web.data.error.no_upload")
    upload = _load(staging_root(workspace) / token)
    if upload is None or upload.owner_id != user.id:
        raise NotFound("web.data.error.no_upload")
    return upload


def pending_uploads(workspace: Path, user: UserView) -> list[Upload]:
    """The user's staged uploads not yet imported or discarded, newest first."""
    root = staging_root(workspace)
    if not root.is_dir():
        return []
    found = [u for p in root.iterdir() if TOKEN_RE.fullmatch(p.name)
             and (u := _load(p)) is not None and u.owner_id == user.id]
    return sorted(found, key=lambda u: u.created_at, reverse=True)


def discard(upload: Upload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)


def remove_stale(root: Path, now_s: float | None = None) -> list[str]:
    """Remove staging folders older than a day (abandoned uploads); their tokens."""
    if not root.is_dir():
        return []
    limit = (time.time() if now_s is None else now_s) - STALE_AFTER_S
    gone = [p for p in root.iterdir()
            if TOKEN_RE.fullmatch(p.name) and p.is_dir() and p.stat().st_mtime < limit]
    for p in gone:
        shutil.rmtree(p, ignore_errors=True)
    return [p.name for p in gone]


# --- receiving: multipart streamed to disk, size-limited -----------------------------------


class _Receiver:
    """Callbacks of the multipart parser: file parts go to disk, small fields to memory."""

    def __init__(self, dest: Path, csrf: str | None) -> None:
        self.dest = dest
        self.csrf = csrf  # the login's token; None when the request needs none (bearer)
        self.csrf_seen = csrf is None
        self.fields: dict[str, str] = {}
        self.files: dict[str, int] = {}  # name -> bytes
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._field: bytearray | None = None
        self._field_name = ""
        self._file: IO[bytes] | None = None
        self._file_name = ""

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {"on_part_begin": self.part_begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
                "on_part_end": self.part_end}

    def part_begin(self) -> None:
        self._disposition, self._field, self._file = b"", None, None

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            if len(self.fields) >= MAX_FIELDS:
                raise BadRequest("web.data.error.bad_form")
            self._field, self._field_name = bytearray(), name
            return
        filename = options[b"filename"].decode("utf-8", "replace")
        if not filename:
            return  # a file input left empty: browsers send a nameless, empty part
        filename = checked_name(filename)
        if filename.lower() in {f.lower() for f in self.files}:
            raise BadRequest("web.data.error.same_file", file=filename)
        self.files[filename] = 0
        self._file_name = filename
        self._file = (self.dest / filename).open("xb")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(data[start:end])
            self.files[self._file_name] += end - start
        elif self._field is not None:
            self._field += data[start:end]
            if len(self._field) > MAX_FIELD_BYTES:
                raise BadRequest("web.data.error.bad_form")

    def part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        elif self._field is not None:
            value = self._field.decode("utf-8", "replace")
            self.fields[self._field_name] = value
            if self._field_name == "csrf_token":  # refuse a forged form at once
                if self.csrf is not None and not same(value, self.csrf):
                    raise CsrfFailed()
                self.csrf_seen = True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


async def receive(request: Request, workspace: Path, user: UserView, *, max_mb: int,
                  csrf: str | None) -> Upload:
    """Stream a multipart upload into a new staging folder; its :class:`Upload`.

    Refused, with the folder removed: a body over ``max_mb`` (413, also when the
    ``Content-Length`` says so before anything is read), a bad file name, no file, or a
    missing or wrong CSRF token (``csrf`` None: the request needs none).
    """
    max_bytes = max_mb * 1024 * 1024
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise TooLarge("web.data.error.too_large", mb=max_mb)
    ctype, params = parse_options_header(request.headers.get("content-type"))
    if ctype != b"multipart/form-data" or not params.get(b"boundary"):
        raise BadRequest("web.data.error.bad_form")
    if csrf is not None and same(request.headers.get("x-csrf-token"), csrf):
        csrf = None  # sent as a header (a script's upload): no form field needed
    root = staging_root(workspace)
    remove_stale(root)
    token = secrets.token_urlsafe(24)
    upload = Upload(token, user.id, user.username,
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    folder=root / token)
    upload.files_dir.mkdir(parents=True, mode=0o700)
    receiver = _Receiver(upload.files_dir, csrf)
    try:
        parser = MultipartParser(params[b"boundary"], receiver.callbacks())  # type: ignore[arg-type]
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise TooLarge("web.data.error.too_large", mb=max_mb)
            parser.write(chunk)
        parser.finalize()
        if not receiver.csrf_seen:
            raise CsrfFailed()
        if not receiver.files:
            raise BadRequest("web.data.error.no_files")
    except FormParserError:
        receiver.close()
        discard(upload)
        raise BadRequest("web.data.error.bad_form") from None
    except BaseException:
        receiver.close()
        discard(upload)
        raise
    upload.files = [{"name": n, "bytes": b} for n, b in sorted(receiver.files.items())]
    wants_replace = receiver.fields.get("replace_agents") == "1"
    upload.replace = ["agents"] if wants_replace and _has_table(receiver.files, "agents") else []
    upload.save()
    return upload


def _has_table(names: dict[str, int], table: str) -> bool:
    return any(table_of_name(n) == table for n in names)


# --- checking and importing ----------------------------------------------------------------


def check(data: DataGateway, upload: Upload) -> ImportCheck:
    """What importing the upload would report, cached until the workspace changes.

    The files are read and checked in a child process, pages going on meanwhile
    (:meth:`DataGateway.check_import`); what the check depends on, the workspace's rows,
    changes only by imports, so the latest import's id is part of the key.
    """
    def run() -> ImportCheck:
        report = data.check_import(upload.files_dir, replace=upload.replace)
        errors_first = sorted(report.issues, key=lambda i: not i.is_error)
        return ImportCheck(errors_first, report.tables)

    imports = workspace_imports(data)
    latest = imports[0]["import_id"] if imports else None
    return data.cached_apart(("data", "check", upload.token, latest), run)


def workspace_imports(data: DataGateway) -> list[dict[str, Any]]:
    """The workspace's import log, newest first (:meth:`cskpi.shop.Shop.import_history`)."""
    return data.cached(("data", "history"), lambda: data.shop.import_history())


def import_upload(db: Session, data: DataGateway, user: User, upload: Upload,
                  ip: str | None = None) -> ImportReport | None:
    """Store the upload in the workspace, all or nothing, and audit it.

    Returns the import's report, or None when the importer refused it (its issues are
    kept with the upload to be shown; the workspace is unchanged).  The staging folder
    is removed after a successful import.
    """
    try:
        report = data.import_folder(upload.files_dir, replace=upload.replace)
    except ValidationFailed as exc:
        upload.record_failure(sorted(exc.issues, key=lambda i: not i.is_error))
        return None
    files = [{"table": t.table, "file": t.file, "rows_in_file": t.rows_in_file,
              "rows_added": t.added, "duplicates": t.duplicates, "skipped": t.skipped}
             for t in report.tables]
    # the hashes tie this entry to the import log's lines (see :func:`history`)
    sha256 = sorted(file_sha256(upload.files_dir / t.file) for t in report.tables
                    if not t.skipped)
    audit(db, user, IMPORT_ACTION, f"import:{report.import_id}",
          after={"import_id": report.import_id, "token": upload.token, "files": files,
                 "sha256": sha256, "added": report.added, "replace": upload.replace,
                 "warnings": len(report.issues)}, ip=ip)
    discard(upload)
    return report


def history(db: Session, data: DataGateway) -> list[dict[str, Any]]:
    """The workspace's imports, newest first, each with the app user who made it (if any).

    The user comes from the audit log; an entry counts only when its files' hashes match
    the import's, so a log kept from another workspace never names the wrong person.
    """
    imports = workspace_imports(data)
    by_import: dict[int, tuple[str, list[str]]] = {}
    for entry in db.scalars(select(AuditEntry).where(AuditEntry.action == IMPORT_ACTION)):
        after = entry.after or {}
        if isinstance(after.get("import_id"), int):
            by_import[after["import_id"]] = (entry.username, sorted(after.get("sha256") or []))
    out = []
    for imp in imports:
        who, hashes = by_import.get(imp["import_id"], (None, []))
        mine = hashes == sorted(f["sha256"] for f in imp["files"])
        out.append({**imp, "user": who if mine else None,
                    "finished_at": _utc(imp["finished_at"]),
                    "rows_added": sum(f["rows_added"] for f in imp["files"])})
    return out


def _utc(value: dt.datetime) -> dt.datetime:
    """Naive UTC, as the app's formatter shows times."""
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
