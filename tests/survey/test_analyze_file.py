"""``sipas analyze`` as a use case: the same outputs without the command line, and indices.json
written row by row."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest

from api.cli.analyze import options_from, register
from survey.analyze_file import (
    ALL_DOMAINS,
    STAT_FIELDS,
    AnalyzeOptions,
    analyze_file,
    output_cells,
    run_analysis,
    write_analysis,
    write_json,
)
from survey.release_rows import WHOLE_CAMPAIGN, ReleaseRow, parse_row
from tests.api.test_cli_analyze import main, make_rows, write_csv


def test_the_use_case_writes_what_the_command_writes(tmp_path: Path) -> None:
    responses = write_csv(tmp_path / "r.csv", make_rows())
    argv = ["analyze", str(responses), "-q", "sipas-standard", "--strata", "agency"]
    argv += ["--fpc", "N", "--by", "agency, channel", "--rule", "pooled", "--ci", "beta"]
    assert main([*argv, "--out", str(tmp_path / "cli")]) == 0
    summary = analyze_file(
        AnalyzeOptions(
            responses=responses,
            questionnaire="sipas-standard",
            out=tmp_path / "use_case",
            strata="agency",
            fpc="N",
            by=("agency", "channel"),
            rule="pooled",
            ci_method="beta",
        )
    )
    assert summary.startswith("sipas analyze: 180 respondents")
    for name in ("indices.csv", "indices.json", "report.txt"):
        cli = (tmp_path / "cli" / name).read_text(encoding="utf-8")
        assert cli == (tmp_path / "use_case" / name).read_text(encoding="utf-8"), name


def test_options_from_the_command_line() -> None:
    parser = argparse.ArgumentParser(prog="sipas")
    register(parser.add_subparsers())
    args = parser.parse_args(
        ["analyze", "r.csv", "-q", "q.json", "--by", " agency,,channel ", "--out", "o"]
    )
    options = options_from(args)
    assert options.by == ("agency", "channel")
    assert (options.rule, options.ci_method, options.lonely_psu) == (
        "criteria-mean",
        "logit",
        "fail",
    )
    assert options.responses == Path("r.csv") and options.out == Path("o")


@pytest.mark.parametrize("n_rows", [0, 1, 999, 1000, 1001, 2500])
def test_indices_json_is_the_json_of_meta_and_rows(tmp_path: Path, n_rows: int) -> None:
    meta = {"questionnaire": "sipas-standard", "by": ["tỉnh"], "by_columns": {"tỉnh": "tỉnh"}}
    rows = [
        {"tỉnh": f"Hà Nội {i}", "node": "overall", "estimate": i / 7, "se": None, "df": i}
        for i in range(n_rows)
    ]
    path = tmp_path / "indices.json"
    write_json(path, meta, rows)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == {**meta, "rows": rows}
    # One row per line (a reader can stream it too), Vietnamese as written, not \u escapes.
    lines = text.splitlines()
    assert len(lines) == n_rows + 2
    if n_rows:
        assert "Hà Nội" in text and json.loads(lines[1].rstrip(",")) == rows[0]


def test_the_rows_are_release_rows_and_the_outputs_are_written_from_them(
    tmp_path: Path,
) -> None:
    # Issue 10: one typed definition of an index cell (survey.release_rows.ReleaseRow) for
    # releases and sipas analyze; the CSV and the JSON are those rows, column for column.
    responses = write_csv(tmp_path / "r.csv", make_rows())
    options = AnalyzeOptions(
        responses=responses,
        questionnaire="sipas-standard",
        out=tmp_path / "out",
        strata="agency",
        fpc="N",
        by=("channel", "node_level"),
    )
    # A grouping column named like an output column (written by_node_level) must not collide.
    rows = make_rows()
    for row in rows:
        row["node_level"] = row["agency"]
    write_csv(responses, rows)
    analysis = run_analysis(options)
    assert all(isinstance(r, ReleaseRow) for r in analysis.rows)
    whole = [r for r in analysis.rows if r.is_whole_campaign]
    assert len(whole) == 25 and whole[0].domain_name == WHOLE_CAMPAIGN
    cell = next(r for r in analysis.rows if r.domain_value("channel") == "desk")
    assert cell.domain == (("channel", "desk"), ("node_level", "A"))
    assert cell.domain_name == "desk / A"
    # Stored in a release's format and read back, the row is the same.
    assert parse_row(cell.to_json()) == cell

    write_analysis(analysis, options.out)
    with (options.out / "indices.csv").open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["channel", "by_node_level", *STAT_FIELDS]
    payload = json.loads((options.out / "indices.json").read_text(encoding="utf-8"))
    assert len(table) - 1 == len(payload["rows"]) == len(analysis.rows)
    for line, stored, cell_row in zip(table[1:], payload["rows"], analysis.rows, strict=True):
        cells = output_cells(cell_row, ["channel", "node_level"])
        assert line == ["" if v is None else str(v) for v in cells]
        assert list(stored.values()) == cells
        assert stored["node_level"] == cell_row.node_level
        assert stored["by_node_level"] == (cell_row.domain_value("node_level") or ALL_DOMAINS)
        assert line[6] == ("" if cell_row.se is None else repr(cell_row.se))
