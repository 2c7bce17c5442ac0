"""`sipas analyze --calibrate ... --margins ...` and `--variance ...`: the command's estimates
and SEs are the library's on the same data, bad margins files name their row and field.

The references are computed here with the pure library (analysis.calibration,
analysis.replicates, analysis.indices.estimate_indices), whose calibration and replicate
variances are themselves checked against R `survey` (tests/analysis/test_reference_r.py and the
calibrate references); these tests check that the command wires them as it says.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from analysis.calibration import calibrate, poststratify, rake
from analysis.design import SurveyDesign
from analysis.indices import IndexTable, estimate_indices
from analysis.questionnaire_tree import SIPAS_STANDARD
from analysis.replicates import bootstrap, jk1, jkn
from analysis.responses_file import read_responses
from tests.api.test_cli_analyze import main, make_rows, write_csv

CHANNELS = {"online": 1300.0, "desk": 1000.0}
SEXES = {"nam": 1100.0, "nu": 1200.0}


def _responses(tmp_path: Path) -> Path:
    rows = make_rows(seed=4)
    rng = np.random.default_rng(9)
    for row in rows:
        row["sex"] = str(rng.choice(["nam", "nu"], p=[0.6, 0.4]))
    return write_csv(tmp_path / "r.csv", rows)


def _margins(tmp_path: Path, text: str, name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MARGINS = (
    "variable,category,population\n"
    + "".join(f"channel,{k},{v:g}\n" for k, v in CHANNELS.items())
    + "".join(f"sex,{k},{v:g}\n" for k, v in SEXES.items())
)


def _run(
    tmp_path: Path, responses: Path, *options: str, out_name: str = "out"
) -> list[dict[str, str]]:
    out = tmp_path / out_name
    argv = ["analyze", str(responses), "-q", "sipas-standard", "--strata", "agency"]
    argv += ["--fpc", "N", "--by", "agency", *options, "--out", str(out)]
    assert main(argv) == 0
    with (out / "indices.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _library(responses: Path) -> tuple[SurveyDesign, np.ndarray, dict[str, np.ndarray]]:
    data = read_responses(
        responses,
        criteria=SIPAS_STANDARD.criteria,
        strata="agency",
        fpc="N",
        by=["agency", "channel", "sex"],
    )
    design = SurveyDesign.from_columns(strata=data.strata, fpc=data.fpc)
    return design, data.answers, data.by


def _assert_same(table: list[dict[str, str]], whole: IndexTable, domains: IndexTable) -> None:
    # The whole sample's rows, then each agency's, nodes in tree order (as the command writes).
    expected = [(whole, 0, "(all)")] + [(domains, g, str(d)) for g, d in enumerate(domains.domains)]
    k = 0
    for result, g, label in expected:
        for j, node in enumerate(result.nodes):
            row = table[k]
            assert (row["agency"], row["node"]) == (label, node)
            assert float(row["estimate"]) == pytest.approx(result.estimate[g, j], rel=1e-12)
            assert float(row["se"]) == pytest.approx(result.se[g, j], rel=1e-12)
            assert float(row["ci_lower"]) == pytest.approx(result.ci_lower[g, j], rel=1e-12)
            assert int(row["df"]) == int(result.df[g])
            k += 1
    assert k == len(table)


def _indices(design: object, answers: np.ndarray, agency: np.ndarray) -> tuple[IndexTable, ...]:
    return (
        estimate_indices(design, answers, SIPAS_STANDARD),  # type: ignore[arg-type]
        estimate_indices(design, answers, SIPAS_STANDARD, domain=agency),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("method", ["rake", "poststratify", "linear"])
def test_calibrated_estimates_and_ses_are_the_librarys(tmp_path: Path, method: str) -> None:
    responses = _responses(tmp_path)
    text = MARGINS
    if method == "poststratify":  # one variable: the crossed cells
        text = "variable,category,population\n" + "".join(
            f"channel*sex,{c}*{s},{nc * ns / 2300:.12g}\n"
            for c, nc in CHANNELS.items()
            for s, ns in SEXES.items()
        )
    margins = _margins(tmp_path, text)
    table = _run(tmp_path, responses, "--calibrate", method, "--margins", str(margins))
    design, answers, columns = _library(responses)
    if method == "rake":
        calibrated = rake(
            design, [columns["channel"], columns["sex"]], [CHANNELS, SEXES], max_iter=200
        ).design
    elif method == "poststratify":
        cells = np.char.add(np.char.add(columns["channel"], "*"), columns["sex"])
        counts = {
            f"{c}*{s}": nc * ns / 2300 for c, nc in CHANNELS.items() for s, ns in SEXES.items()
        }
        calibrated = poststratify(design, cells, {k: float(f"{v:.12g}") for k, v in counts.items()})
    else:
        calibrated = calibrate(
            design,
            [columns["channel"], columns["sex"]],
            [CHANNELS, SEXES],
            epsilon=1e-10,
            max_iter=100,
        )
    for margin, population in (("channel", CHANNELS), ("sex", SEXES)):
        for category, count in population.items():
            reached = calibrated.weights[columns[margin] == category].sum()
            assert reached == pytest.approx(count, rel=1e-8)
    _assert_same(table, *_indices(calibrated, answers, columns["agency"]))
    uncalibrated = _run(tmp_path, responses, out_name="plain")
    assert [r["se"] for r in uncalibrated] != [r["se"] for r in table]

    out = tmp_path / "out"
    meta = json.loads((out / "indices.json").read_text(encoding="utf-8"))
    assert meta["calibration"]["method"] == method
    assert meta["calibration"]["margins_file"] == str(margins)
    assert len(meta["calibration"]["margins"]) == 4
    assert meta["variance"] == {"method": "taylor"}
    report = (out / "report.txt").read_text(encoding="utf-8")
    assert f"to the margins of {margins}" in report
    assert "calibration residual" in report
    first = "channel*sex" if method == "poststratify" else "channel"
    assert f"  {first}: " in report


@pytest.mark.parametrize("method", ["jkn", "bootstrap"])
def test_replicate_ses_are_the_librarys(tmp_path: Path, method: str) -> None:
    responses = _responses(tmp_path)
    options = ["--variance", method]
    if method == "bootstrap":
        options += ["--replicates", "40", "--seed", "5"]
    table = _run(tmp_path, responses, *options)
    design, answers, columns = _library(responses)
    if method == "jkn":
        replicate = jkn(design)
    else:
        replicate = bootstrap(design, replicates=40, rng=np.random.default_rng(5))
    _assert_same(table, *_indices(replicate, answers, columns["agency"]))
    meta = json.loads((tmp_path / "out" / "indices.json").read_text(encoding="utf-8"))
    assert meta["variance"]["method"] == method
    assert meta["variance"]["replicates"] == replicate.n_replicates
    report = (tmp_path / "out" / "report.txt").read_text(encoding="utf-8")
    assert f"{replicate.n_replicates} replicates" in report
    assert f"Variance method: {method}" in report


def test_calibrated_replicates_are_recalibrated_as_the_library_does(tmp_path: Path) -> None:
    responses = _responses(tmp_path)
    margins = _margins(tmp_path, MARGINS)
    table = _run(
        tmp_path, responses, "--calibrate", "rake", "--margins", str(margins), "--variance", "jkn"
    )
    design, answers, columns = _library(responses)
    raked = rake(design, [columns["channel"], columns["sex"]], [CHANNELS, SEXES], max_iter=200)
    _assert_same(table, *_indices(jkn(raked.design), answers, columns["agency"]))
    assert "each replicate calibrated again" in (tmp_path / "out" / "report.txt").read_text(
        encoding="utf-8"
    )


def test_jk1_on_an_unstratified_design(tmp_path: Path) -> None:
    responses = _responses(tmp_path)
    out = tmp_path / "out"
    argv = ["analyze", str(responses), "-q", "sipas-standard", "--weight", "w", "--by", "agency"]
    assert main([*argv, "--variance", "jk1", "--out", str(out)]) == 0
    with (out / "indices.csv").open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    data = read_responses(responses, criteria=SIPAS_STANDARD.criteria, weight="w", by=["agency"])
    replicate = jk1(SurveyDesign.from_columns(weights=data.weights))
    _assert_same(table, *_indices(replicate, data.answers, data.by["agency"]))


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        (
            "variable,category,population\nchannel,online,1300\nchannel,desk,abc\n",
            [],
            "row 2, field 'population': the population count 'abc' is not a number",
        ),
        (
            "variable,category,population\nchannel,online,1300\nchannel,,1000\n",
            [],
            "row 2, field 'category': the category is empty",
        ),
        (
            "variable,category,population\nchannel,online,1300\nchannel,online,1000\n",
            [],
            "row 2, field 'category': the category 'online' of 'channel' is given twice",
        ),
        (
            "variable,category,population\nchannel,online,1300\nchannel,desk,-5\n",
            [],
            "row 2, field 'population': the population count must be a positive number",
        ),
        (
            "variable,category\nchannel,online\n",
            [],
            "header, field 'population'",
        ),
        (
            "variable,category,population\nregion,north,1300\nregion,south,1000\n",
            [],
            "row 1, field 'variable': the responses have no column 'region'",
        ),
        (
            "variable,category,population\nchannel,online,1300\nchannel,desk,900\n"
            "channel,post,100\n",
            [],
            "row 3, field 'category': no response has channel 'post'",
        ),
        (
            "variable,category,population\nchannel,online,1300\n",
            [],
            "variable 'channel': the responses have channel 'desk', which the margins do not",
        ),
        (
            "variable,category,population\nchannel,online,1300\nchannel,desk,1000\n"
            "sex,nam,1000\nsex,nu,1000\n",
            [],
            "variable 'sex': the margins of 'sex' add up to 2000",
        ),
        (MARGINS, ["--bounds", "0.5,2"], "--bounds: bounds apply to --calibrate linear only"),
    ],
)
def test_bad_margins_name_row_and_field_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    options: list[str],
    message: str,
) -> None:
    responses = _responses(tmp_path)
    margins = _margins(tmp_path, text)
    argv = ["analyze", str(responses), "-q", "sipas-standard", "--strata", "agency", "--fpc", "N"]
    argv += ["--calibrate", "rake", "--margins", str(margins), *options]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--calibrate", "rake"], "--margins: --calibrate rake needs the margins file"),
        (["--margins", "m.csv"], "--calibrate: --margins needs the method"),
        (["--calibrate", "poststratify", "--margins", "{m}"], "post-stratification takes one"),
        (["--calibrate", "rake", "--margins", "nowhere.csv"], "--margins nowhere.csv: cannot"),
        (["--variance", "jkn", "--replicates", "10"], "--replicates: only for --variance boot"),
        (["--seed", "3"], "--seed: only for --variance bootstrap"),
        (["--variance", "bootstrap", "--replicates", "1"], "--replicates: 1 is too few"),
        (["--variance", "jk1"], "--variance jk1: the JK1 jackknife is for unstratified"),
    ],
)
def test_inconsistent_calibration_and_variance_options_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    responses = _responses(tmp_path)
    margins = _margins(tmp_path, MARGINS)
    options = [o.replace("{m}", str(margins)) for o in options]
    argv = ["analyze", str(responses), "-q", "sipas-standard", "--strata", "agency", "--fpc", "N"]
    assert main([*argv, *options, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err


def test_too_many_jackknife_replicates_are_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import survey.analyze_file

    monkeypatch.setattr(survey.analyze_file, "MAX_REPLICATE_CELLS", 180 * 100)
    responses = _responses(tmp_path)
    argv = ["analyze", str(responses), "-q", "sipas-standard", "--strata", "agency", "--fpc", "N"]
    assert main([*argv, "--variance", "jkn", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--variance jkn: 180 replicates of 180 rows" in err
    assert "give --psu with clusters" in err
