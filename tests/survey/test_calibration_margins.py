"""survey.calibration_margins: the analyst's margins read, checked and applied to a design.

The calibrated totals are checked against the margins themselves (what calibration promises) and
the SEs against :mod:`analysis.calibration` on the same design, whose R references live in
tests/analysis/test_calibration_linear.py and test_reference_fixes.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.calibration import calibrate, poststratify, rake
from analysis.design import SurveyDesign
from analysis.estimators import estimate_mean
from survey.calibration_margins import (
    apply_calibration,
    calibration_spec,
    parse_margins,
    spec_from_record,
)
from survey.errors import InvalidInput

CSV = """variable,category,population
sex,nam,5200
sex,nu,4800
channel,online,3000
channel,desk,7000
"""


def rows() -> tuple[SurveyDesign, dict[str, np.ndarray]]:
    rng = np.random.default_rng(11)
    n = 300
    strata = rng.choice(["A", "B", "C"], n)
    design = SurveyDesign.from_columns(weights=rng.uniform(20, 50, n), strata=strata)
    columns = {
        "sex": rng.choice(["nam", "nu"], n, p=[0.4, 0.6]),
        "channel": rng.choice(["online", "desk"], n),
        "age_band": rng.choice(["18-34", "35+"], n),
    }
    return design, columns


def problem(error: pytest.ExceptionInfo[InvalidInput]) -> tuple[tuple[str | int, ...], str]:
    p = error.value.problems[0]
    return p.loc, p.msg


def test_csv_and_json_forms_read_the_same_margins() -> None:
    from_csv = parse_margins(CSV.encode("utf-8-sig"))
    listed = [
        {"variable": "sex", "category": "nam", "population": 5200},
        {"variable": "sex", "category": "nu", "population": "4 800"},
        {"variable": "channel", "category": "online", "population": 3000},
        {"variable": "channel", "category": "desk", "population": 7000.0},
    ]
    nested = {"sex": {"nam": 5200, "nu": 4800}, "channel": {"online": 3000, "desk": 7000}}
    for text in (json.dumps(listed), json.dumps({"margins": listed}), json.dumps(nested)):
        parsed = parse_margins(text)
        assert [(m.variable, dict(m.counts)) for m in parsed.margins] == [
            (m.variable, dict(m.counts)) for m in from_csv.margins
        ]
    assert from_csv.variables == ("sex", "channel")
    assert from_csv.margins[1].rows == {"online": 3, "desk": 4}


@pytest.mark.parametrize(
    ("text", "loc", "words"),
    [
        ("variable,category\nsex,nam\n", ("margins", 0, "population"), "no population column"),
        (CSV + "sex,,10\n", ("margins", 5, "category"), "category is empty"),
        (CSV + ",x,10\n", ("margins", 5, "variable"), "variable is empty"),
        (CSV.replace("4800", "-3"), ("margins", 2, "population"), "positive"),
        (CSV.replace("4800", "bốn"), ("margins", 2, "population"), "not a number"),
        (CSV + "sex,nam,1\n", ("margins", 5, "category"), "given twice (rows 1 and 5)"),
        (
            "variable,category,population\nsex*age_band,nam,10\n",
            ("margins", 1, "category"),
            "needs 2 parts",
        ),
        ("[1, 2]", ("margins", 1), "must be an object"),
        ("{oops", ("margins",), "not valid JSON"),
    ],
)
def test_bad_tables_name_the_row_and_field(text: str, loc: tuple[object, ...], words: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_margins(text)
    got_loc, msg = problem(error)
    assert got_loc == loc and words in msg


def test_spec_checks_method_bounds_and_totals() -> None:
    margins = parse_margins(CSV)
    with pytest.raises(InvalidInput) as error:
        calibration_spec("ipf", margins)
    assert problem(error) == (("calibration", "method"), "use one of rake, poststratify, linear")
    with pytest.raises(InvalidInput, match="margins cannot be used") as error:
        calibration_spec("poststratify", margins)
    assert "takes one variable" in problem(error)[1]
    with pytest.raises(InvalidInput) as error:
        calibration_spec("rake", margins, bounds=[0.5, 2])
    assert problem(error)[0] == ("calibration", "bounds")
    with pytest.raises(InvalidInput) as error:
        calibration_spec("linear", margins, bounds=[1.2, 2])
    assert "must hold 1" in problem(error)[1]
    with pytest.raises(InvalidInput) as error:
        calibration_spec("rake", parse_margins(CSV.replace("7000", "6000")))
    assert problem(error)[0] == ("margins", "channel") and "add up to 9000" in problem(error)[1]
    spec = calibration_spec("linear", margins, bounds=[0.5, 2])
    assert spec_from_record(json.loads(json.dumps(spec.as_record()))) == spec


@pytest.mark.parametrize("method", ["rake", "linear"])
def test_calibrated_design_reproduces_margins_and_library_ses(method: str) -> None:
    design, columns = rows()
    outcome = apply_calibration(design, calibration_spec(method, parse_margins(CSV)), columns)
    for variable, counts in outcome.calibrated_totals.items():
        for category, total in counts.items():
            assert total == pytest.approx(
                parse_margins(CSV).margins[0 if variable == "sex" else 1].counts[category], rel=1e-9
            )
            assert outcome.design.weights[columns[variable] == category].sum() == pytest.approx(
                total, rel=1e-12
            )
    assert outcome.sample_totals["sex"]["nam"] == pytest.approx(
        design.weights[columns["sex"] == "nam"].sum()
    )
    pops = [{"nam": 5200.0, "nu": 4800.0}, {"online": 3000.0, "desk": 7000.0}]
    margins = [columns["sex"], columns["channel"]]
    library = (
        rake(design, margins, pops, max_iter=200, epsilon=1e-10).design
        if method == "rake"
        else calibrate(design, margins, pops, epsilon=1e-10, max_iter=100)
    )
    y = (columns["age_band"] == "18-34").astype(float)
    np.testing.assert_allclose(outcome.design.weights, library.weights, rtol=1e-12)
    assert estimate_mean(outcome.design, y).se[0] == pytest.approx(
        estimate_mean(library, y).se[0], rel=1e-12
    )
    # Calibration changes the SE (it is not the uncalibrated design's).
    assert estimate_mean(outcome.design, y).se[0] != pytest.approx(
        estimate_mean(design, y).se[0], rel=1e-3
    )


def test_poststratify_on_crossed_cells() -> None:
    design, columns = rows()
    cells = {"nam*18-34": 2000, "nam*35+": 3200, "nu*18-34": 2100, "nu*35+": 2700}
    table = "variable,category,population\n" + "".join(
        f"sex*age_band,{c},{v}\n" for c, v in cells.items()
    )
    outcome = apply_calibration(
        design, calibration_spec("poststratify", parse_margins(table)), columns
    )
    joint = np.char.add(np.char.add(columns["sex"], "*"), columns["age_band"])
    expected = poststratify(design, joint, {k: float(v) for k, v in cells.items()})
    np.testing.assert_allclose(outcome.design.weights, expected.weights, rtol=1e-14)
    assert outcome.calibrated_totals["sex*age_band"]["nu*35+"] == pytest.approx(2700)


def test_margins_that_do_not_fit_the_rows_name_the_row() -> None:
    design, columns = rows()
    with pytest.raises(InvalidInput) as error:
        apply_calibration(
            design,
            calibration_spec("rake", parse_margins(CSV.replace("channel", "urban_rural"))),
            columns,
        )
    loc, msg = problem(error)
    assert loc == ("margins", 3, "variable") and "no column 'urban_rural'" in msg
    recoded = {**columns, "sex": np.where(columns["sex"] == "nam", "khac", columns["sex"])}
    with pytest.raises(InvalidInput) as error:
        apply_calibration(design, calibration_spec("rake", parse_margins(CSV)), recoded)
    assert "'khac', which the margins do not count" in problem(error)[1]
    table = CSV.replace("sex,nu,4800", "sex,nu,4700\nsex,khac,100")
    with pytest.raises(InvalidInput) as error:
        apply_calibration(design, calibration_spec("rake", parse_margins(table)), columns)
    assert problem(error)[0] == ("margins", 3, "category")
    assert "no response has sex 'khac'" in problem(error)[1]
    # GREG weights that would turn negative: the analyst is told to bound them or rake.
    skewed = (
        "variable,category,population\nsex,nam,9900\nsex,nu,100\n"
        "age_band,18-34,100\nage_band,35+,9900\n"
    )
    with pytest.raises(InvalidInput) as error:
        apply_calibration(design, calibration_spec("linear", parse_margins(skewed)), columns)
    assert "negative weight" in problem(error)[1] and "bounds" in problem(error)[1]


def test_every_problem_reads_in_vietnamese() -> None:
    # The use case writes English; api/problem_catalogue/calibration.py says each in Vietnamese.
    from api.problem_text import known

    design, columns = rows()
    messages = []
    bad_inputs = [
        "variable,category\nsex,nam\n",
        CSV + "sex,,10\n",
        CSV + ",x,10\n",
        CSV.replace("4800", "-3"),
        CSV.replace("4800", "bốn"),
        CSV + "sex,nam,1\n",
        "variable,category,population\nsex*age_band,nam,10\n",
        "variable,category,population\nsex*,nam*x,10\n",
        "[1, 2]",
        "{oops",
        "",
    ]
    for text in bad_inputs:
        with pytest.raises(InvalidInput) as error:
            parse_margins(text)
        messages += [error.value.msg, error.value.problems[0].msg]
    for method, bounds in (("poststratify", None), ("rake", [0.5, 2]), ("linear", [1.2, 2])):
        with pytest.raises(InvalidInput) as error:
            calibration_spec(method, parse_margins(CSV), bounds=bounds)
        messages.append(error.value.problems[0].msg)
    for table, cols in (
        (CSV.replace("channel", "urban_rural"), columns),
        (CSV, {**columns, "sex": np.where(columns["sex"] == "nam", "khac", columns["sex"])}),
        (CSV.replace("sex,nu,4800", "sex,nu,4700\nsex,khac,100"), columns),
        (CSV, {**columns, "sex": np.where(columns["sex"] == "nam", "", columns["sex"])}),
    ):
        with pytest.raises(InvalidInput) as error:
            apply_calibration(design, calibration_spec("rake", parse_margins(table)), cols)
        messages.append(error.value.problems[0].msg)
    unknown = [m for m in messages if not known(m)]
    assert not unknown
