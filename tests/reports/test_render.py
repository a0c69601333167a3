"""What people see: the xlsx through LibreOffice and the PDF through poppler, as images."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cskpi.reports import ReportData, write_excel
from cskpi.reports.fonts import FontFile
from cskpi.reports.pdf import write_pdf
from tests.helpers.reports import need_tool

# slow tier: LibreOffice converts the workbook and poppler renders pages (child processes)
pytestmark = pytest.mark.slow


def test_libreoffice_opens_the_workbook(presale: ReportData, tmp_path: Path) -> None:
    office = need_tool("libreoffice")
    pdftotext = need_tool("pdftotext")
    xlsx = write_excel(presale, tmp_path / "report.xlsx", "zh")
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(xlsx)],
                   capture_output=True, check=True, timeout=180)
    text = subprocess.run([pdftotext, str(tmp_path / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    for shown in ("2026年10月 客服绩效报告", "团队指标与目标", "询单转化率", "应发合计", "检查结果"):
        assert shown in text, shown
    assert f"{presale.cards[0].pay.total:,.2f}" in text  # money as its number format says
    assert "%" in text and "1:0" in text  # percentages, m:ss durations


def test_pdf_pages_render(presale: ReportData, system_cjk_font: FontFile,
                          tmp_path: Path) -> None:
    pdftoppm = need_tool("pdftoppm")
    pdf = write_pdf(presale, tmp_path / "r.pdf", "zh", font=system_cjk_font)
    subprocess.run([pdftoppm, "-png", "-r", "40", "-f", "1", "-l", "2", str(pdf),
                    str(tmp_path / "page")], check=True, capture_output=True, timeout=60)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 5000 for p in pages)
