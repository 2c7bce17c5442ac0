"""`sipas analyze` end to end: outputs, design options, and errors with exit code 2."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
import pytest

from analysis.questionnaire_tree import SIPAS_STANDARD
from api.cli.analyze import ALL_DOMAINS as ALL
from api.cli.analyze import STAT_FIELDS, grouping_columns, register

CRITERIA = SIPAS_STANDARD.criteria
POPULATION = {"A": 1200, "B": 800, "C": 300}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sipas")
    sub = parser.add_subparsers()
    register(sub)
    args = parser.parse_args(argv)
    return int(args.handler(args))


def make_rows(seed: int = 1, per_agency: int = 60) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for agency, big_n in POPULATION.items():
        for _ in range(per_agency):
            answers = np.clip(np.round(3.6 + rng.normal(0, 1.1, len(CRITERIA))), 1, 5)
            row = {
                "agency": agency,
                "channel": str(rng.choice(["online", "desk"])),
                "N": str(big_n),
                "w": f"{big_n / per_agency!r}",
            }
            for code, value in zip(CRITERIA, answers, strict=True):
                u = rng.random()
                row[code] = "" if u < 0.05 else "0" if u < 0.1 else str(int(value))
            rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_out(out: Path) -> list[dict[str, str]]:
    with (out / "indices.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_analyze_writes_indices_and_report(tmp_path: Path) -> None:
    rows = make_rows()
    responses = write_csv(tmp_path / "r.csv", rows)
    out = tmp_path / "out"
    code = main(
        [
            "analyze",
            str(responses),
            "-q",
            "sipas-standard",
            "--strata",
            "agency",
            "--fpc",
            "N",
            "--by",
            "agency",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = read_out(out)
    nodes = 1 + 5 + 19
    assert len(table) == nodes * (1 + 3)
    for column in (
        "agency",
        "node",
        "node_level",
        "node_parent",
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "df",
        "n_respondents",
        "cv",
        "flag",
    ):
        assert column in table[0]
    # criterion share of agency B written out by hand: equal weights within the agency
    b = [r for r in rows if r["agency"] == "B"]
    valid = [r["access_q15"] for r in b if r["access_q15"] not in ("", "0")]
    expected = sum(v in ("4", "5") for v in valid) / len(valid)
    cell = next(r for r in table if r["agency"] == "B" and r["node"] == "access_q15")
    assert float(cell["estimate"]) == pytest.approx(expected, rel=1e-12)
    assert int(cell["n_respondents"]) == len(valid)
    assert int(cell["df"]) == 60 - 1
    assert cell["flag"] in ("ok", "unreliable")
    whole = next(r for r in table if r["agency"] == "(all)" and r["node"] == "overall")
    assert float(whole["ci_lower"]) < float(whole["estimate"]) < float(whole["ci_upper"])

    payload = json.loads((out / "indices.json").read_text(encoding="utf-8"))
    assert payload["rule"] == "criteria-mean" and len(payload["rows"]) == len(table)
    report = (out / "report.txt").read_text(encoding="utf-8")
    assert "population counts N_h" in report
    assert "N_h / respondents in the stratum" in report
    assert "criteria-mean" in report and "logit" in report and "suppressed" in report
    alpha_lines = [line for line in report.splitlines() if line.startswith("  access: ")]
    assert alpha_lines and "complete respondents" in alpha_lines[-1]


def test_weight_column_equal_to_n_over_respondents_gives_the_same_result(tmp_path: Path) -> None:
    responses = write_csv(tmp_path / "r.csv", make_rows())
    common = [
        "analyze",
        str(responses),
        "-q",
        "sipas-standard",
        "--strata",
        "agency",
        "--fpc",
        "N",
        "--by",
        "agency",
    ]
    assert main([*common, "--out", str(tmp_path / "a")]) == 0
    assert main([*common, "--weight", "w", "--out", str(tmp_path / "b")]) == 0
    a, b = read_out(tmp_path / "a"), read_out(tmp_path / "b")
    for col in ("estimate", "se"):
        np.testing.assert_allclose(
            [float(r[col]) for r in a], [float(r[col]) for r in b], rtol=1e-12
        )


def test_fractions_crossed_domains_custom_tree_and_mean_score(tmp_path: Path) -> None:
    rows = make_rows(seed=2)
    for r in rows:
        r["f"] = str(60 / POPULATION[r["agency"]])
    responses = write_csv(tmp_path / "r.csv", rows)
    tree = tmp_path / "q.json"
    tree.write_text(
        json.dumps(
            {"elements": {"access": ["access_q15", "access_q16"], "results": ["results_q28"]}}
        )
    )
    out = tmp_path / "out"
    code = main(
        [
            "analyze",
            str(responses),
            "-q",
            str(tree),
            "--strata",
            "agency",
            "--fpc",
            "f",
            "--weight",
            "w",
            "--by",
            "agency,channel",
            "--rule",
            "mean-score",
            "--min-respondents",
            "40",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    table = read_out(out)
    assert {r["channel"] for r in table} == {"online", "desk", "(all)"}
    assert len(table) == 6 * (1 + 6)  # overall + 2 elements + 3 criteria, 6 domains + whole
    scores = [float(r["estimate"]) for r in table if r["estimate"]]
    assert all(1 <= s <= 5 for s in scores)
    assert {r["flag"] for r in table if r["agency"] != "(all)"} == {"suppressed"}
    assert "sampling fractions" in (out / "report.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "extra", "message"),
    [
        (
            lambda rows: [dict(r, access_q15="abc") if i == 4 else r for i, r in enumerate(rows)],
            [],
            "line 6, column 'access_q15': 'abc' is not a number",
        ),
        (
            lambda rows: [dict(r, results_q29="7") if i == 0 else r for i, r in enumerate(rows)],
            [],
            "line 2, column 'results_q29': '7' is not a valid answer",
        ),
        (
            lambda rows: [dict(r, agency="") if i == 9 else r for i, r in enumerate(rows)],
            [],
            "line 11, column 'agency': is empty",
        ),
        (
            lambda rows: [{k: v for k, v in r.items() if k != "feedback_q33"} for r in rows],
            [],
            "missing column 'feedback_q33'",
        ),
        (lambda rows: rows, ["--psu", "nope"], "missing column 'nope'"),
    ],
)
def test_malformed_input_exits_2_with_line_and_column(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: object,
    extra: list[str],
    message: str,
) -> None:
    rows = edit(make_rows())  # type: ignore[operator]
    responses = write_csv(tmp_path / "r.csv", rows)
    code = main(
        [
            "analyze",
            str(responses),
            "-q",
            "sipas-standard",
            "--strata",
            "agency",
            "--fpc",
            "N",
            *extra,
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["-q", "no-such-questionnaire"], "unknown built-in questionnaire"),
        (["-q", "sipas-standard", "--strata", "agency"], "--weight: no weight column"),
        (
            ["-q", "sipas-standard", "--strata", "channel", "--weight", "w", "--fpc", "N"],
            "of r.csv differs from other rows of its stratum",
        ),
    ],
)
def test_bad_options_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    responses = write_csv(tmp_path / "r.csv", make_rows())
    code = main(["analyze", str(responses), *options, "--out", str(tmp_path / "out")])
    assert code == 2
    assert message in capsys.readouterr().err


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["analyze", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--questionnaire",
        "--strata",
        "--fpc",
        "--weight",
        "--by",
        "--rule",
        "--ci",
        "--level",
        "--na-code",
        "--psu",
        "--min-respondents",
        "--max-cv",
        "--calibrate",
        "--margins",
        "--bounds",
        "--variance",
        "--replicates",
        "--seed",
        "variable,category,population",
        "ReleaseRow",
        "--out",
        "sipas-standard",
    ):
        assert option in text


def test_single_respondent_stratum_names_the_stratum_and_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = make_rows()
    rows.append(dict(rows[0], agency="D"))
    responses = write_csv(tmp_path / "r.csv", rows)
    argv = [
        "analyze",
        str(responses),
        "-q",
        "sipas-standard",
        "--strata",
        "agency",
        "--fpc",
        "N",
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "agency = 'D'" in err and "--lonely-psu" in err
    assert main([*argv, "--lonely-psu", "certainty"]) == 0


def test_platform_questionnaire_and_library_tree_agree() -> None:
    """`sipas-service` (the platform's form) and `sipas-standard` (the library's codes) match."""
    from analysis.questionnaire_tree import parse_questionnaire_tree
    from survey.questionnaires import builtin_definition

    platform = parse_questionnaire_tree(builtin_definition())
    assert platform.elements == SIPAS_STANDARD.elements


def test_analyze_output_neutralises_formula_like_domain_values(tmp_path: Path) -> None:
    # A paper form keyed into a spreadsheet: an agency name that is a formula.
    rows = [
        {**r, "agency": '=HYPERLINK("http://x.example","A")'} if r["agency"] == "A" else r
        for r in make_rows()
    ]
    responses = write_csv(tmp_path / "r.csv", rows)
    out = tmp_path / "out"
    argv = ["analyze", str(responses), "-q", "sipas-standard", "--strata", "agency", "--fpc", "N"]
    assert main([*argv, "--by", "agency", "--out", str(out)]) == 0
    agencies = {r["agency"] for r in read_out(out) if r["agency"]}
    assert agencies == {'\'=HYPERLINK("http://x.example","A")', "B", "C", "(all)"}
    assert all(float(r["estimate"]) >= 0 for r in read_out(out) if r["estimate"])


def test_grouping_by_every_output_column_name_keeps_the_groups(tmp_path: Path) -> None:
    # `--by level` used to lose its groups: the node's own "level" overwrote the column.
    names = [*STAT_FIELDS, "level", "parent", "by_estimate"]
    rows = make_rows()
    for row in rows:
        for name in names:
            # agency-wise for half the columns, channel-wise for the others: 6 domains
            source = row["agency"] if len(name) % 2 else row["channel"]
            row[name] = f"{name}={source}"
    responses = write_csv(tmp_path / "r.csv", rows)
    out = tmp_path / "out"
    argv = ["analyze", str(responses), "-q", "sipas-standard", "--strata", "agency"]
    argv += ["--fpc", "N", "--by", ",".join(names), "--out", str(out)]
    assert main(argv) == 0
    columns = grouping_columns(names)
    assert columns["level"] == "level" and columns["parent"] == "parent"
    assert columns["estimate"] == "by_by_estimate" and columns["by_estimate"] == "by_estimate"
    assert len(set(columns.values()) | set(STAT_FIELDS)) == len(names) + len(STAT_FIELDS)
    payload = json.loads((out / "indices.json").read_text(encoding="utf-8"))
    assert payload["by_columns"] == columns
    observed = {tuple(r[name] for name in names) for r in rows}
    assert len(observed) == 6
    node_levels = {"overall", "element", "criterion"}
    for table in (read_out(out), payload["rows"]):
        assert list(table[0]) == [*columns.values(), *STAT_FIELDS]
        assert len(table) == (1 + 6) * (1 + 5 + 19)
        seen = set()
        for r in table:
            assert r["node_level"] in node_levels
            assert r["node"] in ("overall", *SIPAS_STANDARD.element_codes, *CRITERIA)
            assert 0.0 <= float(r["estimate"]) <= 1.0
            group = tuple(r[columns[name]] for name in names)
            if group != (ALL,) * len(names):
                seen.add(group)
        assert seen == observed


def test_a_grouping_column_given_twice_is_refused(tmp_path: Path) -> None:
    responses = write_csv(tmp_path / "r.csv", make_rows())
    argv = ["analyze", str(responses), "-q", "sipas-standard", "--strata", "agency"]
    argv += ["--fpc", "N", "--by", "agency,channel,agency", "--out", str(tmp_path / "o")]
    assert main(argv) == 2


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("3", "3")])
def test_the_command_keeps_openblas_to_one_thread_unless_told(
    given: str | None, expected: str
) -> None:
    # Set before numpy loads (a fresh interpreter importing the command module first), so
    # OpenBLAS's idle threads do not spin through the command's small matrix products.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = "import os, api.cli.analyze; print(os.environ['OPENBLAS_NUM_THREADS'])"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == expected
