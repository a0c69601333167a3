"""Units as spreadsheet numbers and as text per locale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cskpi.reports.formats import (
    excel_format,
    excel_value,
    part_unit,
    period_text,
    points_text,
    text_value,
    tidy_rule,
)


@pytest.mark.parametrize(("value", "unit", "lang", "text"), [
    (0.4486, "rate", "en", "44.9%"),
    (Decimal("6637.456"), "money", "zh_CN", "6,637.46"),
    (63.4, "s", "en", "1:03"),
    (63.6, "s", "zh_CN", "1分04秒"),
    (150.55, "h", "en", "150.6 h"),
    (150.55, "h", "zh_CN", "150.6 小时"),
    (5691, "count", "en", "5,691"),
    (229703.0, "decimal", "en", "229,703.0"),
    (None, "rate", "en", "—"),
])
def test_text_value(value: object, unit: str, lang: str, text: str) -> None:
    assert text_value(value, unit, lang) == text


def test_excel_values_and_formats() -> None:
    assert (excel_value(43.2, "s"), excel_format("s")) == (43.2 / 86400, "[m]:ss")
    assert (excel_value(12, "h"), excel_format("h")) == (0.5, "[h]:mm")
    assert (excel_value(Decimal("1.50"), "money"), excel_format("money")) == (1.5, "#,##0.00")
    assert excel_value(3.0, "count") == 3 and isinstance(excel_value(3.0, "count"), int)
    assert excel_format("rate") == "0.00%" and excel_value(None, "rate") is None


def test_num_and_den_units() -> None:
    assert (part_unit("conversion_rate", "num"), part_unit("conversion_rate", "den")) == (
        "count", "count")
    assert (part_unit("response_s", "num"), part_unit("response_s", "den")) == ("decimal",
                                                                                "count")
    assert (part_unit("aov", "num"), part_unit("aov", "den")) == ("money", "count")
    assert part_unit("target_completion", "den") == "money"


def test_period_points_and_rules() -> None:
    assert (period_text("2026-10", "en"), period_text("2026-03", "zh_CN")) == (
        "October 2026", "2026年3月")
    assert (points_text(Decimal("32.000")), points_text(7.6643878)) == ("32", "7.66")
    assert tidy_rule("63.17… between 90 (0) and 20 (20) → 7.664387867358164387") == \
        "63.17… between 90 (0) and 20 (20) → 7.6643…"
    assert tidy_rule("grade B → 15") == "grade B → 15"
