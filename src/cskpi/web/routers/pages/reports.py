"""Report downloads: the month's Excel or PDF, the same files as ``cskpi report``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from ... import data as _data
from ...deps import DataDep, ManagerUser
from ...errors import BadRequest
from ...i18n import resolve_lang

router = APIRouter()

MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf"}


@router.get("/reports/{period}.{fmt}")
def download_report(request: Request, principal: ManagerUser, data: DataDep,
                    period: Annotated[str, Path(pattern=r"^\d{4}-\d{2}$")],
                    fmt: Annotated[str, Path(pattern=r"^(xlsx|pdf)$")],
                    scheme: Annotated[str, Query(max_length=255)]) -> Response:
    """The report of a month under a scheme, scored with the grades entered here too."""
    from ....core import Workspace
    from ....reports import ReportData, excel_bytes, pdf_bytes

    if scheme not in data.schemes_by_role.values():
        raise BadRequest("web.error.scheme_unknown", scheme=scheme,
                         details={"allowed": sorted(set(data.schemes_by_role.values()))})
    _data.valid_period(period)
    scored = data.scored(scheme, period)
    shop = data.metrics(period, "shop")
    store = Workspace(data.workspace)
    report = ReportData.from_scored(scored, data.metrics(period, "agent"),
                                    shop[0] if shop else {}, imports=store.import_log(),
                                    import_issues=store.import_issues())
    lang = resolve_lang(principal.user.locale, request.headers.get("accept-language"))
    body = excel_bytes(report, lang) if fmt == "xlsx" else pdf_bytes(report, lang)
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="cskpi-{scheme}-{period}.{fmt}"'})
