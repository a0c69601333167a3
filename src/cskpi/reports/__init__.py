"""Reports people hand around: the month's scores, pay and figures as Excel or PDF.

``build_report`` is what ``cskpi report`` calls: it gathers everything through the core
facade and writes the format named by the output's suffix.  The web app gathers once
with :func:`gather_report` and calls :func:`write_excel`/:func:`write_pdf` (or
:func:`excel_bytes`/:func:`pdf_bytes` for a download).  The PDF needs the ``[pdf]``
extra (reportlab) and a TrueType CJK font (Debian: ``fonts-wqy-microhei``).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from ..errors import ScoringIncomplete, UsageError
from .data import ReportData, gather_report
from .excel import excel_bytes, write_excel

FORMATS = (".xlsx", ".pdf")

__all__ = ["FORMATS", "ReportData", "build_report", "excel_bytes", "gather_report",
           "pdf_bytes", "write_excel", "write_pdf"]


def write_pdf(report: ReportData, out: Path | str, lang: str = "en") -> Path:
    """Write the PDF report to ``out`` (needs reportlab and a CJK font)."""
    from .fonts import require_reportlab

    require_reportlab()
    from .pdf import write_pdf as write

    return write(report, out, lang)


def pdf_bytes(report: ReportData, lang: str = "en") -> bytes:
    """The PDF report's bytes (needs reportlab and a CJK font)."""
    from .fonts import require_reportlab

    require_reportlab()
    from .pdf import pdf_bytes as render

    return render(report, lang)


def _check(out: Path, period: str) -> str:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(code="report_format", params={"name": out.name})
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise UsageError(code="report_period", params={"value": period})
    if not out.parent.is_dir():
        raise UsageError(code="report_folder_missing", params={"folder": str(out.parent)})
    return suffix


def build_report(workspace: Path | str | None, scheme: str, period: str, out: Path | str,
                 lang: str = "en", *, data: Path | str | None = None,
                 allow_incomplete: bool = False) -> Path:
    """Score ``period`` under ``scheme`` and write the report to ``out`` (.xlsx or .pdf).

    Give a ``workspace`` or a ``data`` folder (imported once into a temporary
    workspace).  When the period cannot be scored yet (a missing grade …)
    :class:`~cskpi.errors.ScoringIncomplete` is raised, unless ``allow_incomplete``,
    which writes the report with the problems on its Data quality sheet.
    """
    path = Path(out)
    suffix = _check(path, period)
    if (workspace is None) == (data is None):
        raise UsageError(code="workspace_or_data")
    if suffix == ".pdf":
        from .fonts import cjk_font

        cjk_font()  # fail before any work when the PDF cannot be written
    if data is not None:
        from ..shop import Shop

        tmp = Path(tempfile.mkdtemp(prefix="cskpi-report-"))
        try:
            Shop(tmp / "ws.duckdb").import_folder(data)
            return build_report(tmp / "ws.duckdb", scheme, period, path, lang,
                                allow_incomplete=allow_incomplete)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    report = gather_report(workspace, scheme, period,  # type: ignore[arg-type]
                           trend=suffix == ".pdf")
    if report.problems and not allow_incomplete:
        raise ScoringIncomplete(list(report.problems))
    if suffix == ".pdf":
        return write_pdf(report, path, lang)
    return write_excel(report, path, lang)
