"""SQL expressions that turn staged text into typed values.

Each converter takes the SQL of a trimmed text value (NULL when the cell is empty) and
returns the SQL of the typed value, which is NULL when the text cannot be read.  The
validator flags ``text IS NOT NULL AND typed IS NULL`` as a bad cell, so nothing is
ever guessed: a value is read exactly or reported.
"""

from __future__ import annotations

import re

from .schema import FALSE_WORDS, SIMPLIFIED, TRADITIONAL, TRUE_WORDS, Column, Table
from .sql import ident, lit

# Timestamps as Chinese Excel and the platforms write them: a date (2026-10-05,
# 2026/10/5, 2026年10月5日), then optionally a time with a two-digit minute and second
# (9:03, 09:03:07, fractions of a second) after a space or T, then optionally an offset
# (Z, +08, +0800, +08:00, with or without a space before it).  Anything else, a one-digit
# minute (9:3 is 9:03 or 9:30?) or 24:00:00 included, is an error, never a guess.
_TS_RE = (
    r"\d{4}(?:[-/]|年)(?:0?[1-9]|1[0-2])(?:[-/]|月)(?:0?[1-9]|[12]\d|3[01])日?"
    r"(?:(?:\s+|T)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?)?"
    r"(?:\s*(?:[zZ]|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?))?"
)
_OFFSET_TAIL_RE = r"\d\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$"
# Excel serial day numbers (1900 date system): 1 .. 2958465 (9999-12-31).
_SERIAL_RE = r"\d{1,7}(\.\d+)?"
EXCEL_EPOCH = "TIMESTAMP '1899-12-30 00:00:00'"

# Full-width digits and signs (１２３.００, ￥) as a Chinese input method types them.
_FULL_WIDTH = "０１２３４５６７８９．，－＋％￥：／　"
_HALF_WIDTH = "0123456789.,-+%¥:/ "

# Money: plain decimal, or with a currency sign / unit and thousands separators.
_MONEY_PLAIN_RE = r"-?\d+(\.\d+)?"
_MONEY_DECORATED_RE = (
    r"(¥|\$|€|£|RMB|CNY|USD)?\s*-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s*(元|RMB|CNY|USD)?"
)


def text(col_sql: str) -> str:
    """The cell as text: surrounding spaces removed, empty -> NULL.  (Trimmed only when it
    starts or ends with a space: trim() copies every value, and cost an import of ten
    million messages a quarter of its time.)"""
    return (f"CASE WHEN {col_sql} LIKE ' %' OR {col_sql} LIKE '% ' "
            f"THEN NULLIF(trim({col_sql}), '') ELSE NULLIF({col_sql}, '') END")


def simplified(v: str) -> str:
    """Traditional characters of the contract's words as Simplified ones (售後 -> 售后)."""
    return f"translate({v}, {lit(TRADITIONAL)}, {lit(SIMPLIFIED)})"


def half_width(v: str) -> str:
    """Full-width digits and signs as their ASCII forms."""
    return f"translate({v}, {lit(_FULL_WIDTH)}, {lit(_HALF_WIDTH)})"


def local_to_utc(naive: str, tz: str) -> str:
    """TIMESTAMPTZ of a wall-clock TIMESTAMP in ``tz``: a constant shift where the zone
    keeps one offset (Asia/Shanghai since 1991), ICU elsewhere (see metrics.localtime)."""
    from ..metrics.localtime import fixed_span

    icu = f"timezone({lit(tz)}, {naive})"
    span = fixed_span(tz)
    if span is None:
        return icu
    start, end, off = span
    utc = f"(epoch_us({naive}) - {int(off)})"
    return (f"CASE WHEN {utc} >= {int(start)} AND {utc} < {int(end)} "
            f"THEN make_timestamptz({utc}) ELSE {icu} END")


def timestamp_fast(v: str) -> str:
    """The wall-clock TIMESTAMP of the common form ``YYYY-MM-DD hh:mm:ss``, else NULL."""
    return (f"CASE WHEN {v} LIKE '____-__-__ __:__:__' AND substr({v}, 12, 2) < '24' "
            f"THEN TRY_CAST({v} AS TIMESTAMP) END")


def timestamp(v: str, tz: str, naive: str | None = None) -> str:
    """TIMESTAMPTZ from the forms of ``_TS_RE``, or an Excel serial number; else NULL.

    The common ``YYYY-MM-DD hh:mm:ss`` takes a fast path (``naive``: its
    :func:`timestamp_fast` value, computed once by the caller).  Values without an offset
    are local time in ``tz``.
    """
    if naive is None:
        naive = f"({timestamp_fast(v)})"
    normal = (f"replace(replace(replace(replace(regexp_replace({v}, '\\s+([zZ+-])', '\\1'), "
              f"'/', '-'), '年', '-'), '月', '-'), '日', '')")
    serial = (
        f"CASE WHEN regexp_full_match({v}, '{_SERIAL_RE}') AND TRY_CAST({v} AS DOUBLE) >= 1 "
        f"THEN {local_to_utc(f'({EXCEL_EPOCH} + to_microseconds(CAST(round(CAST({v} AS DOUBLE) * 86400) * 1000000 AS BIGINT)))', tz)} END"
    )
    return (
        f"CASE WHEN {naive} IS NOT NULL THEN {local_to_utc(naive, tz)} "
        f"WHEN regexp_full_match({v}, '{_TS_RE}') THEN (CASE "
        f"WHEN regexp_matches({v}, '{_OFFSET_TAIL_RE}') THEN TRY_CAST({normal} AS TIMESTAMPTZ) "
        f"ELSE {local_to_utc(f'TRY_CAST({normal} AS TIMESTAMP)', tz)} END) "
        f"ELSE {serial} END"
    )


def date(v: str) -> str:
    serial = (
        f"CASE WHEN regexp_full_match({v}, '{_SERIAL_RE}') AND TRY_CAST({v} AS DOUBLE) >= 1 "
        f"THEN CAST({EXCEL_EPOCH} + to_days(CAST(floor(CAST({v} AS DOUBLE)) AS INTEGER)) "
        f"AS DATE) END"
    )
    normal = f"replace(replace(replace(replace({v}, '/', '-'), '年', '-'), '月', '-'), '日', '')"
    return (f"COALESCE(CASE WHEN regexp_full_match({v}, '\\d{{4}}(?:[-/]|年)\\d{{1,2}}(?:[-/]|月)"
            f"\\d{{1,2}}日?') THEN TRY_CAST({normal} AS DATE) "
            f"WHEN regexp_full_match({v}, '\\d{{8}}') "
            f"THEN CAST(TRY_STRPTIME({v}, '%Y%m%d') AS DATE) END, {serial})")


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
    w = half_width(v)
    return (f"CASE WHEN regexp_full_match({v}, '[+-]?\\d+(\\.0+)?') THEN TRY_CAST({v} AS BIGINT) "
            f"WHEN regexp_full_match({w}, '[+-]?\\d+(\\.0+)?') THEN TRY_CAST({w} AS BIGINT) END")


def enum(v: str, column: Column) -> str:
    assert column.values is not None
    canonical = sorted(set(column.values.values()))
    fast = ", ".join(lit(c) for c in canonical)
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(c)}" for k, c in column.values.items())
    return (f"CASE WHEN {v} IN ({fast}) THEN {v} "
            f"ELSE (CASE lower({v}) {whens} ELSE (CASE {simplified(f'lower({v})')} {whens} END) "
            f"END) END")


def open_enum(v: str, column: Column) -> str:
    """A text column whose known spellings map to a canonical value (级别 高级 -> senior);
    other values are kept as written."""
    assert column.values is not None
    canonical = ", ".join(lit(c) for c in sorted(set(column.values.values())))
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(c)}" for k, c in column.values.items())
    return (f"(CASE WHEN {v} IN ({canonical}) THEN {v} ELSE (CASE lower({v}) {whens} ELSE "
            f"(CASE {simplified(f'lower({v})')} {whens} ELSE {v} END) END) END)")


def money_clean(v: str) -> str:
    """Money text with currency signs, thousands separators and full-width digits
    removed, or NULL: the one money reader of every table (orders, refunds, platform
    figures)."""
    w = half_width(v)
    return (
        f"CASE WHEN regexp_full_match({v}, '{_MONEY_PLAIN_RE}') THEN {v} "
        f"WHEN regexp_full_match({w}, '{_MONEY_DECORATED_RE}') "
        f"THEN regexp_replace({w}, '[^0-9.\\-]', '', 'g') END"
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
    """A decimal figure; ``95.5%`` reads as 0.955; ``1,234.5`` as 1234.5; full-width
    digits as their ASCII forms."""
    w = half_width(v)
    return (
        f"CASE WHEN regexp_full_match({v}, '-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?') "
        f"THEN TRY_CAST({v} AS DOUBLE) "
        f"WHEN regexp_full_match({w}, '-?\\d+(\\.\\d+)?\\s*%') "
        f"THEN TRY_CAST(rtrim({w}, ' %') AS DOUBLE) / 100 "
        f"WHEN regexp_full_match({w}, '-?(\\d{{1,3}}(,\\d{{3}})+|\\d+)(\\.\\d+)?') "
        f"THEN TRY_CAST(replace({w}, ',', '') AS DOUBLE) END"
    )


# durations as the platforms show them: 65, 65秒, 1分05秒, 2分钟, 1小时2分, 01:05, 1:02:05
_DURATION_RE = (r"(?:(\d+(?:\.\d+)?)\s*(?:小时|时|h))?\s*(?:(\d+(?:\.\d+)?)\s*(?:分钟|分|min|m))?"
                r"\s*(?:(\d+(?:\.\d+)?)\s*(?:秒钟|秒|s))?")
_CLOCK_RE = r"(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)"


def seconds(v: str) -> str:
    """A duration in seconds: a plain number, or 1分05秒, 65s, 01:05 …"""
    w = half_width(v)
    return (f"CASE WHEN regexp_full_match({v}, '-?\\d+(\\.\\d+)?') THEN TRY_CAST({v} AS DOUBLE) "
            f"WHEN regexp_full_match({w}, '{_DURATION_RE}') THEN {_hms(w, _DURATION_RE)} "
            f"WHEN regexp_full_match({w}, '{_CLOCK_RE}') THEN {_hms(w, _CLOCK_RE)} END")


def _hms(w: str, regex: str) -> str:
    """Seconds from the hours, minutes and seconds ``regex`` finds in ``w``."""
    g = f"regexp_extract({w}, '^{regex}$', ['h', 'm', 's'])"
    return (f"coalesce(TRY_CAST(NULLIF({g}.h, '') AS DOUBLE), 0) * 3600 + "
            f"coalesce(TRY_CAST(NULLIF({g}.m, '') AS DOUBLE), 0) * 60 + "
            f"coalesce(TRY_CAST(NULLIF({g}.s, '') AS DOUBLE), 0)")


def is_money(column: Column) -> bool:
    """Money, in any table: a money column, or a platform figure in money."""
    return column.type == "money" or (column.type == "number" and column.unit == "money")


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


def column_ddl(table: Table) -> list[str]:
    """The definitions of ``table``'s columns in a workspace: their types, and the
    compression of those with few distinct values, each on many rows (see
    :attr:`~cskpi.data.schema.Table.dictionary`)."""
    return [f"{ident(c.name)} {SQL_TYPES[c.type]}"
            + (" USING COMPRESSION dictionary" if is_dictionary(table, c) else "")
            for c in table.columns]


def is_dictionary(table: Table, column: Column) -> bool:
    """Whether a column is stored as a dictionary: text of a set of values (an enum, a
    channel), an agent's id, or a column the table names."""
    return column.type in ("str", "enum") and (
        column.values is not None or column.name in table.agent_refs
        or column.name in table.dictionary)


def typed(column: Column, v: str, tz: str, naive: str | None = None) -> str:
    """SQL of the typed value of ``column`` from its text ``v`` (``naive``: a timestamp's
    fast-path value, see :func:`timestamp`)."""
    kind = column.type
    if kind == "str":
        return open_enum(v, column) if column.values else v
    if kind == "number" and column.unit == "money":
        return f"TRY_CAST({money_clean(v)} AS DOUBLE)"
    if kind == "number" and column.unit == "s":
        return seconds(v)
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
        return timestamp(v, tz, naive)
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


_TS_SHAPE = re.compile(r"\d{4}\D{1,2}\d{1,2}\D{1,2}\d{1,2}\D*?(\s+|T)\d{1,2}:\d{1,2}(:\d{1,2})?.*")
_ONE_DIGIT = re.compile(r":\d(?!\d)")
_MONEY_MANY_PLACES = re.compile(r"\D*-?[\d,]+\.\d{3,}\D*")

BAD_KEYS = {"bool": "bad_bool", "int": "bad_int", "number": "bad_number", "date": "bad_date",
            "period": "bad_period", "timestamp": "bad_timestamp", "money": "bad_money"}


def problem_key(column: Column, value: str) -> str:
    """The message of a value ``column`` cannot read: for a time, what is wrong with it
    (a one-digit minute, an hour 24), for money, too many decimal places."""
    value = value.translate(str.maketrans(_FULL_WIDTH, _HALF_WIDTH))
    if column.type == "timestamp":
        if _TS_SHAPE.fullmatch(value):
            return "bad_timestamp_digits" if _ONE_DIGIT.search(value) else \
                "bad_timestamp_range"
        return "bad_timestamp"
    if is_money(column):
        return "money_cents" if _MONEY_MANY_PLACES.fullmatch(value) else "bad_money"
    return BAD_KEYS.get(column.type, "bad_number")
