"""The PDF report: a summary page plus one page per agent, Chinese in a real CJK font."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from cskpi.reports import ReportData, build_report
from cskpi.reports import fonts as font_search
from cskpi.reports.fonts import FontFile, FontNotFound
from cskpi.reports.pdf import pdf_bytes
from tests.helpers.reports import PERIOD, need_tool


def pages_text(data: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]


def test_one_page_per_agent_plus_the_summary(presale: ReportData, aftersale: ReportData,
                                             any_font: FontFile) -> None:
    for report in (presale, aftersale):
        for lang in ("en", "zh"):
            texts = pages_text(pdf_bytes(report, lang, font=any_font))
            assert len(texts) == len(report.cards) + 1 >= 3
    texts = pages_text(pdf_bytes(presale, "en", font=any_font))
    assert "Team summary, October 2026" in texts[0]
    for card, text in zip(presale.cards, texts[1:], strict=True):
        assert card.agent_id in text and "Pay slip" in text and "Points by item" in text


def test_the_same_report_gives_the_same_bytes(presale: ReportData, any_font: FontFile) -> None:
    assert pdf_bytes(presale, "zh", font=any_font) == pdf_bytes(presale, "zh", font=any_font)


def test_chinese_labels_and_names(presale: ReportData, system_cjk_font: FontFile) -> None:
    texts = pages_text(pdf_bytes(presale, "zh", font=system_cjk_font))
    summary = texts[0]
    assert "2026年10月 团队汇总" in summary
    for label in ("客服", "总分", "应发合计", "团队指标与目标"):
        assert label in summary, label
    card = presale.cards[0]
    page = texts[1]
    for label in ("得分", "考核项", "工资条", "每日接待会话", card.name or "", "询单转化率"):
        assert label in page.replace(" ", ""), label
    assert f"{card.pay.total:,.2f}" in page


def test_every_character_has_a_glyph(presale: ReportData, aftersale: ReportData,
                                     system_cjk_font: FontFile) -> None:
    """No tofu: each character the PDF shows is in the embedded font's character map."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    cmap = TTFontFile(system_cjk_font.path, subfontIndex=system_cjk_font.index).charToGlyph
    for report in (presale, aftersale):
        for lang in ("en", "zh"):
            text = "".join(pages_text(pdf_bytes(report, lang, font=system_cjk_font)))
            missing = {c for c in text if not c.isspace() and ord(c) not in cmap}
            assert not missing, (lang, sorted(missing))


def test_pdftotext_finds_the_chinese_labels(presale: ReportData, system_cjk_font: FontFile,
                                            tmp_path: Path) -> None:
    exe = need_tool("pdftotext")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(pdf_bytes(presale, "zh", font=system_cjk_font))
    text = subprocess.run([exe, "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert text.count("\f") == len(presale.cards) + 1  # one form feed per page
    for label in ("客服", "得分", "工资条", "团队汇总"):
        assert label in text


@pytest.mark.slow  # a whole PDF report built from a workspace
def test_build_report_writes_a_pdf(demo_workspace: Path, presale: ReportData,
                                   system_cjk_font: FontFile, tmp_path: Path) -> None:
    out = build_report(demo_workspace, "presale-standard", PERIOD, tmp_path / "r.pdf", "zh")
    reader = PdfReader(out)
    assert len(reader.pages) == len(presale.cards) + 1
    assert reader.metadata is not None and reader.metadata.title == "2026年10月 客服绩效报告"


def test_no_cjk_font_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(font_search, "SEARCH", ())
    monkeypatch.setattr(font_search, "_fc_list", list)
    monkeypatch.setattr(font_search, "_found", {})
    monkeypatch.delenv(font_search.FONT_ENV, raising=False)
    with pytest.raises(FontNotFound) as exc:
        font_search.cjk_font()
    assert "apt-get install fonts-wqy-microhei" in (exc.value.hint or "")


def test_fonts_without_truetype_outlines_or_chinese_are_passed_over(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, any_font: FontFile) -> None:
    import os

    import reportlab

    bogus = tmp_path / "cff.ttc"
    bogus.write_bytes(b"OTTO not a TrueType font")
    vera = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")  # no CJK
    monkeypatch.setattr(font_search, "_fc_list", list)
    monkeypatch.setattr(font_search, "_found", {})
    monkeypatch.setenv(font_search.FONT_ENV, str(bogus))
    monkeypatch.setattr(font_search, "SEARCH", ((vera, 0),))
    with pytest.raises(FontNotFound, match="cff.ttc"):
        font_search.cjk_font()
    if any_font.path != vera:  # the system has a CJK font: it is found after the others
        monkeypatch.setattr(font_search, "SEARCH", ((vera, 0), (any_font.path, any_font.index)))
        assert font_search.cjk_font() == any_font
