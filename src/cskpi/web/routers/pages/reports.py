"""Report downloads: the month's Excel or PDF, the same files as ``cskpi report``, or a
locked version's files as they were approved."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from ....scoring.compare import diff_snapshots
from ...deps import DataDep, DbDep, ManagerUser
from ...errors import BadRequest, Conflict, NoData, NotFound
from ...i18n import resolve_lang
from ...params import MonthPath
from ...services.periods import versions
from ...services.records import latest_lock
from ...services.reporting import MEDIA, filename, kept_report, report_bytes

router = APIRouter()


@router.get("/reports/{period}.{fmt}")
def download_report(request: Request, principal: ManagerUser, data: DataDep, db: DbDep,
                    period: MonthPath,
                    fmt: Annotated[str, Path(pattern=r"^(xlsx|pdf)$")],
                    scheme: Annotated[str, Query(max_length=255)],
                    live: bool = False,
                    version: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The report of a month under a scheme, scored with the grades entered here too.

    ``version=N`` gives locked version N as it was approved.  A locked month whose
    figures changed since its lock is not reported silently with the new figures: the
    request is refused (409) with links to the approved version, the review of the
    changes, and the figures as they stand now (``live=1``).
    """
    if scheme not in data.schemes_by_role.values():
        raise BadRequest("web.error.scheme_unknown", scheme=scheme,
                         details={"allowed": sorted(set(data.schemes_by_role.values()))})
    lang = resolve_lang(principal.user.locale, request.headers.get("accept-language"))
    if version is not None:
        return _locked(db, period, scheme, fmt, lang, version)
    lock = latest_lock(db, period, scheme)
    if lock is not None and not live and diff_snapshots(lock.snapshot,
                                                        data.snapshot(scheme, period)):
        approved = f"/reports/{period}.{fmt}?scheme={scheme}&version={lock.version}"
        review = f"/periods/{period}?scheme={scheme}"
        now = f"/reports/{period}.{fmt}?scheme={scheme}&live=1"
        raise Conflict("web.error.report_changed_since_lock", period=period, scheme=scheme,
                       version=lock.version,
                       details={"review": review, "live": now, "approved": approved},
                       links=[(approved, "web.reports.approved", {"version": lock.version}),
                              (review, "web.reports.review", {}),
                              (now, "web.reports.live", {})])
    if lock is None and not data.has_data(period):
        raise NoData(period)
    body = report_bytes(db, data, scheme, period, fmt, lang)
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename(scheme, period, fmt)}"'})


def _locked(db: DbDep, period: str, scheme: str, fmt: str, lang: str,
            version: int) -> Response:
    """A locked version's report file, as approved."""
    lock = next((lk for lk in versions(db, period, scheme) if lk.version == version), None)
    if lock is None:
        raise NotFound("web.periods.error.version_unknown", period=period, scheme=scheme,
                       version=version)
    body = kept_report(db, lock, fmt, lang)
    if body is None:  # locked before the files were kept
        raise NotFound("web.reports.not_kept", period=period, scheme=scheme, version=version)
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition":
            f'attachment; filename="{filename(scheme, period, fmt, version)}"'})
