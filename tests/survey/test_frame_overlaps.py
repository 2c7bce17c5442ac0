"""A second frame for the same agencies and an overlapping period is imported with a warning."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from tests.survey.test_frames import good_rows, run_import, write_csv


def _rows(prefix: str, agency: str) -> list[list[str]]:
    rows = []
    for i, row in enumerate(good_rows()):
        copy = list(row)
        copy[0], copy[1] = f"{prefix}-{i}", agency
        rows.append(copy)
    return rows


def _overlap_warnings(report: object) -> list[str]:
    return [
        p.message
        for p in report.problems  # type: ignore[attr-defined]
        if p.severity == "warning" and "overlaps this file's period" in p.message
    ]


def test_only_frames_sharing_agencies_and_time_are_flagged(engine: Engine, tmp_path: Path) -> None:
    first = run_import(engine, write_csv(tmp_path / "a.csv", _rows("A", "CQ-TP")))
    assert first.status == "ready" and not _overlap_warnings(first)

    other_agency = run_import(engine, write_csv(tmp_path / "b.csv", _rows("B", "CQ-XD")))
    assert other_agency.status == "ready"
    assert not _overlap_warnings(other_agency)  # same quarter, other agency: no double count

    again = run_import(engine, write_csv(tmp_path / "c.csv", _rows("C", "CQ-TP")))
    warnings = _overlap_warnings(again)
    assert len(warnings) == 1
    assert f"frame {first.frame_id} " in warnings[0]
    assert "1 of the same agencies (CQ-TP)" in warnings[0]
    assert again.status == "ready"  # a warning: the coordinator decides


def test_the_warning_reads_in_vietnamese(engine: Engine, tmp_path: Path) -> None:
    from api.problem_text import problem_text

    run_import(engine, write_csv(tmp_path / "a.csv", _rows("A", "CQ-TP")))
    again = run_import(engine, write_csv(tmp_path / "c.csv", _rows("C", "CQ-TP")))
    text = problem_text(_overlap_warnings(again)[0], "vi")
    assert "trùng kỳ với tệp này" in text and "overlaps" not in text
