"""SQL expressions that turn staged text into typed values.

Each converter takes the SQL of a trimmed text value (NULL when the cell is empty) and
returns the SQL of the typed value, which is NULL when the text cannot be read.  The
validator flags ``text IS NOT NULL AND typed IS NULL`` as a bad cell, so nothing is
ever guessed: a value is read exactly or reported.
"""

from __future__ import annotations

from .schema import FALSE_WORDS, TRUE_WORDS, Column
from .sql import lit

# Offsets a timestamp may carry after its time part: Z, +08, +0800, +08:00, -05:00.
_OFFSET_RE = r"\d:\d\d(:\d\d(\.\d+)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?)$"
# Excel serial day numbers (1900 date system): 1 .. 2958465 (9999-12-31).
_SERIAL_RE = r"\d{1,7}(\.\d+)?"
EXCEL_EPOCH = "TIMESTAMP '1899-12-30 00:00:00'"

# Money: plain decimal, or with a currency sign / unit and thousands separators.
_MONEY_PLAIN_RE = r"-?\d+(\.\d+)?"
_MONEY_DECORATED_RE = (
    r"(¥|￥|\$|€|£|RMB|CNY|USD)?\s*-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s*(元|RMB|CNY|USD)?"
)


def text(col_sql: str) -> str:
    """The cell as text: surrounding spaces removed, empty -> NULL."""
    return f"NULLIF(trim({col_sql}), '')"


def timestamp(v: str, tz: str) -> str:
    """TIMESTAMPTZ from ISO 8601, ``YYYY/MM/DD hh:mm:ss``, or an Excel serial number.

    Values without an offset are local time in ``tz``.  ``TRY_CAST(... AS TIMESTAMP)``
    would silently drop an offset, so values that carry one take their own branch.
    """
    serial = (
        f"CASE WHEN regexp_full_match({v}, '{_SERIAL_RE}') AND TRY_CAST({v} AS DOUBLE) >= 1 "
        f"THEN timezone({lit(tz)}, {EXCEL_EPOCH} + to_microseconds("
        f"CAST(round(CAST({v} AS DOUBLE) * 86400) * 1000000 AS BIGINT))) END"
    )
    local = f"timezone({lit(tz)}, TRY_CAST({v} AS TIMESTAMP))"
    # fast path: 'YYYY-MM-DD hh:mm:ss' and shorter cannot carry an offset
    return (
        f"COALESCE(CASE WHEN length({v}) <= 19 THEN {local} "
        f"WHEN regexp_matches({v}, '{_OFFSET_RE}') THEN TRY_CAST({v} AS TIMESTAMPTZ) "
        f"ELSE {local} END, {serial})"
    )


def date(v: str) -> str:
    serial = (
        f"CASE WHEN regexp_full_match({v}, '{_SERIAL_RE}') AND TRY_CAST({v} AS DOUBLE) >= 1 "
        f"THEN CAST({EXCEL_EPOCH} + to_days(CAST(floor(CAST({v} AS DOUBLE)) AS INTEGER)) "
        f"AS DATE) END"
    )
    return f"COALESCE(TRY_CAST({v} AS DATE), {serial})"


def period(v: str) -> str:
    """``YYYY-MM`` (also ``YYYY/MM`` and ``2026年10月``) normalised to ``YYYY-MM``."""
    m = f"regexp_extract({v}, '^(\\d{{4}})\\s*[-/年.]\\s*(\\d{{1,2}})\\s*月?$', ['y', 'm'])"
    return (
        f"CASE WHEN regexp_full_match({v}, '\\d{{4}}\\s*[-/年.]\\s*\\d{{1,2}}\\s*月?') "
        f"AND CAST({m}.m AS INTEGER) BETWEEN 1 AND 12 "
        f"THEN {m}.y || '-' || lpad({m}.m, 2, '0') END"
    )


def boolean(v: str) -> str:
    trues = ", ".join(lit(w) for w in TRUE_WORDS)
    falses = ", ".join(lit(w) for w in FALSE_WORDS)
    return (
        f"CASE WHEN lower({v}) IN ({trues}) THEN true "
        f"WHEN lower({v}) IN ({falses}) THEN false END"
    )


def integer(v: str) -> str:
    return f"CASE WHEN regexp_full_match({v}, '[+-]?\\d+(\\.0+)?') THEN TRY_CAST({v} AS BIGINT) END"


def enum(v: str, column: Column) -> str:
    assert column.values is not None
    canonical = sorted(set(column.values.values()))
    fast = ", ".join(lit(c) for c in canonical)
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(c)}" for k, c in column.values.items())
    return f"CASE WHEN {v} IN ({fast}) THEN {v} ELSE (CASE lower({v}) {whens} END) END"


def money_clean(v: str) -> str:
    """Money text with currency signs and thousands separators removed, or NULL."""
    return (
        f"CASE WHEN regexp_full_match({v}, '{_MONEY_PLAIN_RE}') THEN {v} "
        f"WHEN regexp_full_match({v}, '{_MONEY_DECORATED_RE}') "
        f"THEN regexp_replace({v}, '[^0-9.\\-]', '', 'g') END"
    )


def money_decorated(v: str) -> str:
    """True where the money text had to be cleaned (a warning names the row)."""
    return f"NOT regexp_full_match({v}, '{_MONEY_PLAIN_RE}')"


# at most two decimal places that matter: 12.30 and 12.300 are fine, 12.345 is not
_CENTS_RE = r"-?\d+(\.\d{0,2}0*)?"


def money(cleaned: str) -> str:
    """DECIMAL(18, 2) from cleaned text; NULL (an error) when it would lose a digit."""
    return (f"CASE WHEN regexp_full_match({cleaned}, '{_CENTS_RE}') "
            f"THEN TRY_CAST({cleaned} AS DECIMAL(18, 2)) END")


def number(v: str) -> str:
    """A decimal figure; ``95.5%`` reads as 0.955; ``1,234.5`` as 1234.5."""
    return (
        f"CASE WHEN regexp_full_match({v}, '-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?') "
        f"THEN TRY_CAST({v} AS DOUBLE) "
        f"WHEN regexp_full_match({v}, '-?\\d+(\\.\\d+)?\\s*%') "
        f"THEN TRY_CAST(rtrim({v}, ' %') AS DOUBLE) / 100 "
        f"WHEN regexp_full_match({v}, '-?\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?') "
        f"THEN TRY_CAST(replace({v}, ',', '') AS DOUBLE) END"
    )


def is_percent(v: str) -> str:
    return f"({v} LIKE '%\\%' ESCAPE '\\')"


SQL_TYPES = {
    "str": "VARCHAR",
    "enum": "VARCHAR",
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "money": "DECIMAL(18, 2)",
    "number": "DOUBLE",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "period": "VARCHAR",
}


def typed(column: Column, v: str, tz: str) -> str:
    """SQL of the typed value of ``column`` from its text ``v``."""
    kind = column.type
    if kind == "str":
        return v
    if kind == "enum":
        return enum(v, column)
    if kind == "bool":
        return boolean(v)
    if kind == "int":
        return integer(v)
    if kind == "money":
        return money(money_clean(v))
    if kind == "number":
        return number(v)
    if kind == "timestamp":
        return timestamp(v, tz)
    if kind == "date":
        return date(v)
    if kind == "period":
        return period(v)
    raise ValueError(kind)


FORMAT_HINTS = {
    "bool": "write true/false (also yes/no, 1/0, 是/否)",
    "int": "write a whole number, e.g. 3",
    "money": "write a plain decimal with at most two places, e.g. 1234.50 (no currency sign)",
    "number": "write a number, e.g. 12.5 or 95.5%",
    "timestamp": "write e.g. 2026-10-03 14:05:09, 2026/10/03 14:05:09 or "
    "2026-10-03T14:05:09+08:00",
    "date": "write e.g. 2026-10-03",
    "period": "write a month as YYYY-MM, e.g. 2026-10",
}
