"""Which table a file holds: by its name, in English or Chinese, else by its headers.

A manager's folder holds what the platforms and Excel wrote: ``订单.csv``,
``聊天记录_2026-11.xlsx``, ``店铺A-orders-202611.csv``, or ``export(3).xlsx``.  A file is
recognised by the longest table name its name contains (``商品评价`` before ``评价``,
``客服绩效`` before ``客服``; English names as words: ``orders_2026-11``), and when its name
says nothing, or names a table whose required columns it lacks while another table's
it has, by its header signature.  A workbook's sheet is chosen the same way: by its
title, then by its headers.  Files that match no table, or several equally, are
listed with the reason; nothing is silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import Issue
from .problems import clip
from .schema import TABLES, Table, normalise_header

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
MAX_LISTED_HEADERS = 8


@dataclass(frozen=True)
class TableFile:
    """A file of a data folder recognised as a table (and, for a workbook, its sheet)."""

    table: Table
    path: Path
    sheet: str | None = None
    sheets: tuple[str, ...] = ()  # every sheet of the workbook
    by_headers: bool = False  # the name did not say: the headers did


def _name_key(text: str) -> str:
    return normalise_header(text).replace(" ", "_")


def _matches(name: str, text: str) -> bool:
    """``name`` occurs in ``text``: Chinese anywhere, English as a word (``orders`` in
    ``orders_2026-11``, not ``agent`` in ``agents``)."""
    name = _name_key(name)
    if not name.isascii():
        return name in text
    return re.search(rf"(?<![a-z]){re.escape(name)}s?(?![a-z])", text) is not None


def tables_named(text: str) -> list[Table]:
    """The tables whose longest matching name ``text`` (a file stem, a sheet title)
    contains; several when different tables match equally long."""
    key = _name_key(text)
    best: list[Table] = []
    longest = 0
    for table in TABLES.values():
        found = max((len(n) for n in table.file_names if _matches(n, key)), default=0)
        if found > longest:
            best, longest = [table], found
        elif found and found == longest:
            best.append(table)
    return best


def table_of_name(file_name: str) -> str | None:
    """The table a file name names unambiguously (``订单_2026-11.csv`` -> orders)."""
    named = tables_named(Path(file_name).stem)
    return named[0].name if len(named) == 1 else None


def fit(table: Table, headers: list[str]) -> tuple[bool, int]:
    """(every required column is there, how many columns of ``table`` the headers name)."""
    names = {normalise_header(h) for h in headers}
    matched = {c.name for c in table.columns if names & set(c.header_names())}
    return all(c.name in matched for c in table.columns if c.required), len(matched)


def tables_fitting(headers: list[str]) -> list[Table]:
    """The tables the headers fit best: all required columns, most columns named (two at
    least, so that a lone 客服ID says nothing)."""
    scored = [(fit(t, headers)[1], t) for t in TABLES.values() if fit(t, headers)[0]]
    scored = [(n, t) for n, t in scored if n >= 2]
    if not scored:
        return []
    top = max(n for n, _ in scored)
    return [t for n, t in scored if n == top]


def find_table_files(folder: Path, encoding: str | None = None
                     ) -> tuple[dict[str, TableFile], list[Issue]]:
    """Map table names to the files (and sheets) of a data folder, with the issues of
    files that match no table, several tables, or a table given twice."""
    from .readers import peek_headers

    found: dict[str, list[TableFile]] = {}
    issues: list[Issue] = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name.startswith((".", "~$")):
            continue
        if path.suffix.lower() not in SUFFIXES:
            issues.append(_unknown(path, None))
            continue
        sheets = peek_headers(path, encoding)  # [(sheet title or None, headers)]
        chosen = recognise(path, sheets)
        if isinstance(chosen, Issue):
            issues.append(chosen)
            continue
        found.setdefault(chosen.table.name, []).append(chosen)
        if chosen.by_headers:
            issues.append(Issue("warning", "table_from_headers", file=path.name,
                                params={"table": chosen.table.name,
                                        "table_zh": chosen.table.zh}))
        if chosen.sheet is not None and len(chosen.sheets) > 1:
            issues.append(Issue("warning", "sheet_chosen", file=path.name,
                                params={"sheet": chosen.sheet, "table": chosen.table.name,
                                        "table_zh": chosen.table.zh,
                                        "others": ", ".join(s for s in chosen.sheets
                                                            if s != chosen.sheet)}))
    files: dict[str, TableFile] = {}
    for table, candidates in found.items():
        if len(candidates) > 1:
            issues.append(Issue("error", "ambiguous_table", file=candidates[0].path.name,
                                params={"table": table, "table_zh": TABLES[table].zh,
                                        "files": ", ".join(c.path.name for c in candidates)}))
        else:
            files[table] = candidates[0]
    return files, issues


def recognise(path: Path, sheets: list[tuple[str | None, list[str]]]) -> TableFile | Issue:
    """The table (and sheet) of one file, or the issue saying why there is none."""
    titles = tuple(str(title) for title, _ in sheets if title is not None)
    named = tables_named(path.stem)
    if len(named) == 1:
        table = named[0]
        sheet, headers = _sheet_for(table, sheets)
        required, _ = fit(table, headers) if headers is not None else (True, 0)
        exact = _name_key(path.stem) in {_name_key(n) for n in table.file_names}
        if not required and not exact:
            # named like orders (客服接待_11月), but the columns are another table's, all
            # of them; a file named exactly orders.csv is read as orders
            others = [t for t in tables_fitting(headers or []) if t is not table]
            if len(others) == 1:
                sheet, _ = _sheet_for(others[0], sheets)
                return TableFile(others[0], path, sheet, titles, by_headers=True)
        return TableFile(table, path, sheet, titles)
    # the name says nothing (or names several tables): the sheets' titles, then headers
    for title, _headers in sheets:
        by_title = tables_named(title) if title else []
        if len(by_title) == 1:
            return TableFile(by_title[0], path, title, titles)
    candidates: list[tuple[Table, str | None]] = []
    for title, headers in sheets:
        for table in tables_fitting(headers):
            if not named or table in named:
                candidates.append((table, title))
    tables = {t.name for t, _ in candidates}
    if len(tables) == 1:
        table, title = candidates[0]
        return TableFile(table, path, title, titles, by_headers=True)
    if len(tables) > 1:
        return Issue("warning", "ambiguous_file", file=path.name,
                     params={"tables": ", ".join(sorted(tables))})
    return _unknown(path, [h for _, hs in sheets for h in hs])


def _sheet_for(table: Table, sheets: list[tuple[str | None, list[str]]]
               ) -> tuple[str | None, list[str] | None]:
    """The sheet of a workbook that holds ``table``: titled after it, else the one its
    headers fit best, else the first with any content.  (None, None): nothing to peek."""
    if not sheets:
        return None, None
    for title, headers in sheets:
        if title is not None and table in tables_named(title):
            return title, headers
    best = max(sheets, key=lambda s: fit(table, s[1]))
    if fit(table, best[1])[1] > 0:
        return best
    return next((s for s in sheets if s[1]), sheets[0])


def _unknown(path: Path, headers: list[str] | None) -> Issue:
    listed = ", ".join(clip(h, 30) for h in (headers or [])[:MAX_LISTED_HEADERS] if h)
    if headers and len(headers) > MAX_LISTED_HEADERS:
        listed += ", …"
    return Issue("warning", "unknown_file", file=path.name,
                 params={"headers": listed or "—", "tables": ", ".join(
                     f"{t.name} ({t.zh})" for t in TABLES.values())})
