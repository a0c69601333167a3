"""The one formatter: figures as people read them, in English and Chinese."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cskpi.units import format_date, format_period, format_value


@pytest.mark.parametrize(("value", "unit", "en", "zh"), [
    # 275 s = 4 min 35 s; 3725 s = 1 h 2 min 5 s
    (275, "s", "4:35", "4分35秒"),
    (275.4, "s", "4:35", "4分35秒"),
    (3725, "s", "1:02:05", "1小时2分5秒"),
    (42, "s", "0:42", "42秒"),
    # 0.358259 = 35.8259 % -> 35.83 %; 0.35 -> 35 %; 0.84995 -> 85 % (two places, half up)
    (0.358259, "rate", "35.83%", "35.83%"),
    (Decimal("0.35"), "rate", "35%", "35%"),
    (1, "rate", "100%", "100%"),
    (Decimal("1234.5"), "money", "¥1,234.50", "¥1,234.50"),
    (Decimal("-5"), "money", "-¥5.00", "-¥5.00"),
    (1234567, "count", "1,234,567", "1,234,567"),
    (7.5, "h", "7.5 h", "7.5 小时"),
    (Decimal("58.58571428571429"), "points", "58.59", "58.59"),
    (Decimal("32.00"), "points", "32", "32"),
    (None, "rate", "—", "—"),
    (True, "count", "yes", "是"),
])
def test_values_read_the_same_in_every_face(value, unit, en, zh):
    assert format_value(value, unit, "en") == en
    assert format_value(value, unit, "zh_CN") == zh


def test_half_up_not_banker_rounding():
    # 0.125 % of a rate 0.00125 -> 0.13 % (half up), not 0.12 %
    assert format_value(Decimal("0.00125"), "rate") == "0.13%"


def test_dates_and_months():
    assert format_period("2026-10") == "October 2026"
    assert format_period("2026-10", "zh_CN") == "2026年10月"
    assert format_date(dt.date(2026, 10, 5), "zh_CN") == "2026年10月5日"


def test_a_figure_written_again_reads_as_babel_writes_it() -> None:
    """Figures are written once per value, pattern and language, then remembered: the
    remembered text is Babel's ``format_decimal`` of the same rounded value, a first time
    and again, for values of every size and both signs of zero."""
    from decimal import localcontext

    from babel.numbers import format_decimal as babel_decimal

    from cskpi.units import format_money, format_number, rounded

    def format_decimal(d: Decimal, pattern: str, locale: str) -> str:
        with localcontext() as ctx:  # room for 10^27 to cents
            ctx.prec = 60
            return babel_decimal(d, pattern, locale=locale)

    values = [Decimal("-0.001"), Decimal("0.001"), Decimal("-0"), 0, 1, Decimal("1.0"),
              Decimal("1.005"), 2.675, -1234.5, 10 ** 27, Decimal("1e-9"), 98765.4321]
    for lang, locale in (("en", "en"), ("zh_CN", "zh_Hans_CN")):
        for value in values:
            for places in (0, 1, 2):
                pattern = "#,##0" + ("." + "#" * places if places else "")
                d = rounded(value, places)
                expected = format_decimal(d, pattern, locale=locale)
                assert format_number(value, lang, places) == expected  # written
                assert format_number(value, lang, places) == expected  # remembered
            money = rounded(value, 2)
            text = format_decimal(abs(money), "#,##0.00", locale=locale)
            assert format_money(value, lang) == ("-¥" if money < 0 else "¥") + text
            assert format_money(value, lang) == ("-¥" if money < 0 else "¥") + text
