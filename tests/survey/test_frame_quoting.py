"""Broken CSV quoting and oversized cells are diagnosed by field and cause, not by a symptom."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from tests.survey.test_frames import VN_HEADER, good_rows, run_import


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_bytes(("\r\n".join([",".join(VN_HEADER), *lines]) + "\r\n").encode("utf-8"))
    return path


def _line(row: list[str]) -> str:
    return ",".join(f'"{v}"' if "," in v else v for v in row)


def _rows(n: int) -> list[list[str]]:
    base = good_rows()[0]
    return [[f"HS-{i:03d}", *base[1:]] for i in range(n)]


def test_an_unclosed_quote_is_named_with_the_lines_it_swallowed(
    engine: Engine, tmp_path: Path
) -> None:
    lines = [_line(row) for row in _rows(20)]
    lines[2] = '"' + lines[2]  # row 4 of the file opens a quote in dossier_code, never closed
    report = run_import(engine, _csv(tmp_path / "quote.csv", lines), accept_valid_rows=True)
    errors = [p for p in report.problems if p.severity == "error"]
    assert [(p.row_number, p.field) for p in errors] == [(4, "dossier_code")]
    message = errors[0].message
    assert "a double quote" in message and "never closed" in message
    assert "the next 17 lines were read into it" in message  # rows 5 to 21 went into it
    assert report.imported == 2


def test_a_huge_cell_names_its_field_instead_of_the_csv_limit(
    engine: Engine, tmp_path: Path
) -> None:
    rows = _rows(3)
    rows[1][2] = "x" * 1_000_000  # agency_name of row 3: far beyond csv's 128 KiB field limit
    report = run_import(
        engine, _csv(tmp_path / "huge.csv", [_line(r) for r in rows]), accept_valid_rows=True
    )
    errors = [p for p in report.problems if p.severity == "error"]
    assert [(p.row_number, p.field) for p in errors] == [(3, "agency_name")]
    assert "agency_name is 1000000 characters long" in errors[0].message.replace(",", "")
    assert report.imported == 2
