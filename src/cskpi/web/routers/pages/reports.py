"""Report downloads: the month's Excel or PDF, the same files as ``cskpi report``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from ... import data as _data
from ...deps import DataDep, DbDep, ManagerUser
from ...errors import BadRequest, Conflict
from ...i18n import resolve_lang
from ...params import MonthPath
from ...periods import diff_snapshots
from ...records import latest_lock

router = APIRouter()

MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf"}


@router.get("/reports/{period}.{fmt}")
def download_report(request: Request, principal: ManagerUser, data: DataDep, db: DbDep,
                    period: MonthPath,
                    fmt: Annotated[str, Path(pattern=r"^(xlsx|pdf)$")],
                    scheme: Annotated[str, Query(max_length=255)],
                    live: bool = False) -> Response:
    """The report of a month under a scheme, scored with the grades entered here too.

    A locked month whose figures changed since its lock is not reported silently with
    the new figures: the request is refused (409) with the way to review and re-lock,
    unless ``live=1`` asks for the figures as they stand now.
    """
    from ....reports import excel_bytes, pdf_bytes
    from ....reports.data import gather_report
    from ...lost import relabels as lost_relabels

    if scheme not in data.schemes_by_role.values():
        raise BadRequest("web.error.scheme_unknown", scheme=scheme,
                         details={"allowed": sorted(set(data.schemes_by_role.values()))})
    _data.valid_period(period)
    lock = latest_lock(db, period, scheme)
    if lock is not None and not live and diff_snapshots(lock.snapshot,
                                                        data.snapshot(scheme, period)):
        raise Conflict("web.error.report_changed_since_lock", period=period, scheme=scheme,
                       version=lock.version,
                       details={"review": f"/periods/{period}?scheme={scheme}",
                                "live": f"/reports/{period}.{fmt}?scheme={scheme}&live=1"})
    # the path of `cskpi report`, scored with the grades and events entered here and the
    # scheme's own profile (the trend, the differences and the relabelled lost reasons too)
    report = gather_report(data.workspace, data.in_force(scheme).ref, period, trend=fmt == "pdf",
                           scored=data.scored(scheme, period), relabels=lost_relabels(db))
    lang = resolve_lang(principal.user.locale, request.headers.get("accept-language"))
    body = excel_bytes(report, lang) if fmt == "xlsx" else pdf_bytes(report, lang)
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="cskpi-{scheme}-{period}.{fmt}"'})
