"""Province codes checked against the units in force on each dossier's completion date."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from survey.geography import (
    PROVINCE_CODES_BEFORE_MERGER,
    PROVINCE_CODES_SINCE_MERGER,
    province_code_problem,
)
from tests.survey.test_frames import good_rows, run_import, write_csv


def _row(code: str, completed: str, dossier: str) -> list[str]:
    row = list(good_rows()[0])
    row[0], row[3], row[4], row[5] = dossier, code, "", "province"
    row[9], row[10], row[11] = completed, "", completed
    return row


def test_the_two_lists_have_63_and_34_units_and_every_new_code_is_an_old_one() -> None:
    assert len(PROVINCE_CODES_BEFORE_MERGER) == 63
    assert len(PROVINCE_CODES_SINCE_MERGER) == 34
    assert PROVINCE_CODES_SINCE_MERGER <= PROVINCE_CODES_BEFORE_MERGER


@pytest.mark.parametrize(
    ("code", "since", "rejected", "expected"),
    [
        ("27", False, None, ""),  # Bắc Ninh before the merger
        ("27", True, False, "now part of 24 (Bắc Ninh): the row is kept"),
        ("24", True, None, ""),
        ("1", True, None, ""),  # spreadsheets drop the leading zero
        ("99", False, True, "not a province code for a dossier completed before 1 July 2025"),
        ("HN", True, True, "not a province code for a dossier completed from 1 July 2025"),
    ],
)
def test_a_code_is_judged_by_the_period(
    code: str, since: bool, rejected: bool | None, expected: str
) -> None:
    problem = province_code_problem(code, since_merger=since)
    if rejected is None:
        assert problem is None
    else:
        assert problem is not None and problem[0] is rejected and expected in problem[1]


def test_an_import_rejects_codes_not_in_force_on_the_completion_date(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        _row("27", "2025-06-30", "HS-A"),  # the last day of the 63 provinces: fine
        _row("27", "2025-07-01", "HS-B"),  # merged into 24 that day: kept, with a warning
        _row("24", "2025-07-01", "HS-C"),
        _row("98", "2025-03-01", "HS-D"),  # never a province
        _row("HN", "2025-08-01", "HS-E"),
    ]
    report = run_import(engine, write_csv(tmp_path / "codes.csv", rows), accept_valid_rows=True)
    found = {(p.row_number, p.field, p.severity): p.message for p in report.problems}
    assert set(found) == {
        (3, "province_code", "warning"),
        (5, "province_code", "error"),
        (6, "province_code", "error"),
    }
    assert "or give 24" in found[(3, "province_code", "warning")]
    assert (report.imported, report.rejected) == (3, 2)
