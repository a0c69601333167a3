"""Every table of a page as a CSV file or an Excel workbook: the page itself, asked with
``?format=csv`` or ``?format=xlsx``.

Pages render through :func:`cskpi.web.templating.render`.  When the request asks for a
format, ``render`` hands this module the page's context, the very values its template
would show, and the page's tables (:mod:`cskpi.web.services.page_tables`) are written instead of
the HTML.  So a download goes through the page's own route: its access rules (an agent
exports only what they may see), its parameters (period, team, sort …) and its rows,
never figures computed again.

- ``format=csv&table=ID``: that table (a CSV file holds one; a page of one table needs
  no ``table``);
- ``format=xlsx&table=ID``: that table; without ``table``, every table of the page, a
  sheet each.

The file is named in the reader's language (``排行榜 2026年10月 - 售前.csv``), sent as
RFC 6266's ``filename*`` (RFC 5987: UTF-8, percent-encoded) with an ASCII ``filename``
beside it for clients that know no better.  Pages that show no table (the error page,
"no data") are never exported: they answer as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import Response

from ...reports.tables import Column, Table, csv_bytes, xlsx_bytes
from ..errors import BadRequest, NotFound
from ..i18n import Formatter

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NEVER_EXPORTED = ("error.html", "no_data.html")  # they answer for any page
# what a file name may not hold on common systems (and no control character)
NOT_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")
CSV_UNIT_NOTES = {"rate": "web.export.unit.rate", "s": "web.export.unit.s",
                  "h": "web.export.unit.h", "money": "web.export.unit.money"}


def wanted(request: Request, template: str, status_code: int) -> str | None:
    """The format a page request asks for (None: the HTML page)."""
    fmt = request.query_params.get("format")
    if fmt is None or status_code != 200 or template in NEVER_EXPORTED:
        return None
    if fmt not in FORMATS:
        raise BadRequest("web.export.error.format", format=fmt,
                         details={"allowed": list(FORMATS)})
    return fmt


def href(params: Mapping[str, Any], table: str, fmt: str) -> str:
    """The link to a table of the page (relative: the page's own path), with the page's
    ``params`` (empty ones left out: the page's defaults)."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode({**kept, "format": fmt, "table": table})


def attachment(name: str, ascii_name: str) -> str:
    """A ``Content-Disposition`` for a download named ``name`` (any language), with
    ``ascii_name`` for clients that read only ``filename``."""
    name = NOT_IN_NAMES.sub("_", name).strip() or ascii_name
    fallback = NOT_ASCII_NAME.sub("_", ascii_name).strip("_") or "export"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def csv_header(fmt: Formatter) -> Any:
    """A column's header in a CSV file: its plain numbers' unit named (a rate is a
    fraction, a duration in seconds …)."""
    def header(column: Column) -> str:
        key = CSV_UNIT_NOTES.get(column.unit)
        return fmt.t(key, header=column.header) if key else column.header

    return header


def export(request: Request, template: str, context: Mapping[str, Any], fmt: Formatter,
           file_format: str) -> Response:
    """The download of the page's table(s) that the request names."""
    from .page_tables import PAGES

    build = PAGES.get(template)
    if build is None:
        raise BadRequest("web.export.error.page")
    page = build(context)
    ids = [t.id for t in page.tables]
    chosen = request.query_params.get("table")
    tables: list[Table]
    if chosen is not None:
        tables = [t for t in page.tables if t.id == chosen]
        if not tables:
            raise NotFound("web.export.error.table", table=chosen, allowed=", ".join(ids),
                           details={"allowed": ids})
    elif file_format == "csv" and len(page.tables) != 1:
        raise BadRequest("web.export.error.csv_one_table", allowed=", ".join(ids),
                         details={"allowed": ids})
    else:
        tables = list(page.tables)
    if len(tables) == 1 and (chosen is not None or file_format == "csv"):
        name = f"{page.name} - {tables[0].title}"
        ascii_name = f"{page.ascii_name}-{tables[0].id}"
    else:
        name, ascii_name = page.name, page.ascii_name
    if file_format == "csv":
        body = csv_bytes(tables[0], fmt.lang, csv_header(fmt))
    else:
        body = xlsx_bytes(tables, fmt.lang, page.name)
    return Response(body, media_type=FORMATS[file_format], headers={
        "Content-Disposition": attachment(f"{name}.{file_format}",
                                          f"{ascii_name}.{file_format}"),
        "Cache-Control": "private, no-store"})
