"""The month's Excel and PDF reports: made from the live figures (the same files as
``cskpi report``, scored with the grades and events entered in the app too), and kept
for every locked version as it was approved, in each language, so the approved version
stays downloadable whatever changes later."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...locale import LANGS
from ...reports.data import ReportData
from ..db.models import LockReport, PeriodLock
from .gateway import DataGateway

FORMATS = ("xlsx", "pdf")
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf"}


def report_data(db: Session, data: DataGateway, scheme: str, period: str, *,
                trend: bool = True) -> ReportData:
    """What a report of the month shows, by ``cskpi report``'s path (the same figures,
    trend and differences, the scheme's own profile), scored with the grades and events
    entered in the app and counting the lost inquiries a manager relabelled."""
    from ...reports.data import gather_report
    from .lost import relabels

    return gather_report(data.workspace, data.in_force(scheme).ref, period, trend=trend,
                         scored=data.scored(scheme, period), relabels=relabels(db))


def report_bytes(db: Session, data: DataGateway, scheme: str, period: str, fmt: str,
                 lang: str, report: ReportData | None = None) -> bytes:
    """The report file of a month under the version in force of a scheme, as it stands
    now (``report``: its data, when already gathered)."""
    from ...reports import excel_bytes, pdf_bytes

    if report is None:  # the Excel file has no trend chart: no daily figures needed
        report = report_data(db, data, scheme, period, trend=fmt == "pdf")
    return excel_bytes(report, lang) if fmt == "xlsx" else pdf_bytes(report, lang)


def keep_reports(db: Session, data: DataGateway, lock: PeriodLock) -> None:
    """Make and keep the report files of a version being locked (every format and
    language: whoever downloads the approved version reads it in their own), from one
    gathering of the month's figures."""
    report = report_data(db, data, lock.scheme, lock.period)
    for fmt in FORMATS:
        for lang in LANGS:
            db.add(LockReport(lock_id=lock.id, fmt=fmt, lang=lang,
                              body=report_bytes(db, data, lock.scheme, lock.period, fmt, lang,
                                                report)))
    db.flush()


def kept_report(db: Session, lock: PeriodLock, fmt: str, lang: str) -> bytes | None:
    """A locked version's report file as approved (in ``lang``, else in any language kept);
    None for a version locked before the files were kept."""
    rows = {r.lang: r.body for r in db.scalars(
        select(LockReport).where(LockReport.lock_id == lock.id, LockReport.fmt == fmt))}
    return rows.get(lang) or next(iter(rows.values()), None)


def filename(scheme: str, period: str, fmt: str, version: int | None = None) -> str:
    """``cskpi-SCHEME-PERIOD.xlsx``; a locked version's ``cskpi-SCHEME-PERIOD-v2.xlsx``."""
    return f"cskpi-{scheme}-{period}{f'-v{version}' if version else ''}.{fmt}"
