"""Text from the user's data, kept as text in the spreadsheets cskpi writes.

A spreadsheet takes a cell that starts with ``=``, ``+``, ``-`` or ``@`` (a tab or a
carriage return in front of one too) for a formula: an agent named
``=HYPERLINK("http://…","click")`` becomes a link, ``=cmd|…`` a command (CSV or formula
injection, OWASP).  Names, teams, notes, reasons and event kinds come from the user's
files, so every writer keeps them text:

- the Excel report writes every string as a text cell, never a formula
  (:func:`cskpi.reports.excel_style.write_cell`), text intact;
- CSV output puts ``'`` before a text that starts like a formula (:func:`csv_value`,
  the OWASP rule).  Numbers are written as they are: the number ``-5`` stays ``-5``,
  the text ``-5 points`` becomes ``'-5 points``.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read ``text``, typed or opened from CSV, as a formula."""
    return text.startswith(FORMULA_STARTS)


def csv_value(value: Any) -> Any:
    """A value for a CSV cell: text that starts like a formula gets a ``'`` in front.

    Only text is changed; numbers, booleans, dates and None pass through, so a
    negative number stays a number.
    """
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value
