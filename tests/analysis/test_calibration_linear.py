"""Linear (GREG), bounded linear and raking calibration reproduced against R ``calibrate``.

Provenance: ``tests/analysis/reference/calibrate_reference.json`` was written by
``tests/analysis/reference/r/reference_calibrate.R`` (R 4.2.2, survey 4.1-1; run from that
folder with ``Rscript``) from ``reference/data/sipas_synthetic.csv`` and R's api data
(``shared/reference/data``); each case holds the R call that produced it. Every case is
reproduced to a relative error of 1e-8. Besides: the low-rank calibration terms that
``estimate_indices`` uses equal the dense residuals, and misuse gets a clear error.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from analysis.calibration import CalibrationError, calibrate, rake
from analysis.design import SurveyDesign, calibration_terms
from analysis.estimators import estimate_mean, estimate_ratio, estimate_total
from analysis.indices import estimate_indices
from analysis.replicates import jkn
from tests.analysis.test_reference_fixes import HERE, TREE, api, num, sipas, sipas_answers

RTOL = 1e-8
MARGIN_POPULATIONS = [
    {"f": 7800.0, "m": 6700.0},
    {"18-34": 4300.0, "35-54": 6500.0, "55+": 3700.0},
    {"desk": 7500.0, "online": 5000.0, "post": 2000.0},
]
BOUNDS = (0.81, 1.09)


@cache
def cases() -> dict[str, dict[str, Any]]:
    with (HERE / "calibrate_reference.json").open(encoding="utf-8") as fh:
        data: dict[str, dict[str, Any]] = json.load(fh)["cases"]
    return data


def base_design() -> SurveyDesign:
    s = sipas()
    return SurveyDesign.from_columns(weights=num(s["w"]), strata=s["agency"], fpc=num(s["N"]))


def margins() -> list[NDArray[Any]]:
    s = sipas()
    return [s["sex"], s["age"], s["channel"]]


@cache
def designs() -> dict[str, SurveyDesign]:
    base = base_design()
    return {
        "dgreg": calibrate(base, margins(), MARGIN_POPULATIONS, method="linear"),
        "dbounded": calibrate(base, margins(), MARGIN_POPULATIONS, bounds=BOUNDS),
        "dcalrake": calibrate(base, margins(), MARGIN_POPULATIONS, method="raking"),
    }


def indicators() -> dict[str, NDArray[np.float64]]:
    a = sipas_answers()
    out = {}
    for j in range(4):
        out[f"s{j + 1}"] = (np.nan_to_num(a[:, j], nan=0.0) >= 4).astype(np.float64)
        out[f"v{j + 1}"] = (~np.isnan(a[:, j])).astype(np.float64)
    return out


NAMES = ["dgreg", "dbounded", "dcalrake"]


@pytest.mark.parametrize("name", NAMES)
def test_weights_equal_r(name: str) -> None:
    design = designs()[name]
    np.testing.assert_allclose(design.weights, cases()[f"{name}.weights"]["weights"], rtol=RTOL)
    # The calibrated weights reproduce every margin.
    for codes, pop in zip(margins(), MARGIN_POPULATIONS, strict=True):
        for level, count in pop.items():
            # R stops at a relative misfit of 1e-7 (epsilon).
            assert design.weights[codes == level].sum() == pytest.approx(count, rel=1e-7)


def test_bounded_weights_stay_within_bounds_and_some_reach_them() -> None:
    g = designs()["dbounded"].weights / base_design().weights
    assert g.min() >= BOUNDS[0] - 1e-12 and g.max() <= BOUNDS[1] + 1e-12
    assert np.isclose(g, BOUNDS[0]).sum() > 10 and np.isclose(g, BOUNDS[1]).sum() > 10
    unbounded = designs()["dgreg"].weights / base_design().weights
    assert unbounded.min() < BOUNDS[0] and unbounded.max() > BOUNDS[1]


@pytest.mark.parametrize("name", NAMES)
def test_mean_total_ratio_whole_sample_equal_r(name: str) -> None:
    design, y = designs()[name], indicators()
    case = cases()[f"{name}.mean.s1_s2"]
    for k, var in enumerate(["s1", "s2"]):
        est = estimate_mean(design, y[var])
        assert est.estimate[0] == pytest.approx(case["estimate"][k], rel=RTOL)
        assert est.se[0] == pytest.approx(case["se"][k], rel=RTOL)
    case = cases()[f"{name}.total.v1_s3"]
    for k, var in enumerate(["v1", "s3"]):
        est = estimate_total(design, y[var])
        assert est.estimate[0] == pytest.approx(case["estimate"][k], rel=RTOL)
        assert est.se[0] == pytest.approx(case["se"][k], rel=RTOL)
    case = cases()[f"{name}.ratio.s4_v4"]
    est = estimate_ratio(design, y["s4"], y["v4"])
    assert est.estimate[0] == pytest.approx(case["estimate"], rel=RTOL)
    assert est.se[0] == pytest.approx(case["se"], rel=RTOL)


@pytest.mark.parametrize("by", ["agency", "channel"])
@pytest.mark.parametrize("name", NAMES)
def test_domains_equal_r(name: str, by: str) -> None:
    design, y, groups = designs()[name], indicators(), sipas()[by]
    for stat, est in (
        ("mean.s1", estimate_mean(design, y["s1"], by=groups)),
        ("total.v1", estimate_total(design, y["v1"], by=groups)),
        ("ratio.s4_v4", estimate_ratio(design, y["s4"], y["v4"], by=groups)),
    ):
        case = cases()[f"{name}.by_{by}.{stat}"]
        assert est.labels[0].tolist() == case["groups"]
        np.testing.assert_allclose(est.estimate, case["estimate"], rtol=RTOL)
        np.testing.assert_allclose(est.se, case["se"], rtol=RTOL)


@pytest.mark.parametrize("by", [None, "agency", "channel"])
@pytest.mark.parametrize("name", NAMES)
def test_indices_equal_r(name: str, by: str | None) -> None:
    # R: svyratio of each criterion and svycontrast for elements and overall, in each domain
    # of the calibrated design (SEs from the regression residuals of calibrate()).
    design = designs()[name]
    table_ = estimate_indices(
        design, sipas_answers(), TREE, domain=None if by is None else sipas()[by]
    )
    case = cases()[f"indices.{name}.{'whole' if by is None else f'by_{by}'}"]
    assert len(table_.domains) == len(case["domains"])
    for g, ref in enumerate(case["domains"].values()):
        assert list(table_.nodes) == ref["nodes"]
        np.testing.assert_allclose(table_.estimate[g], ref["estimate"], rtol=RTOL)
        np.testing.assert_allclose(table_.se[g], ref["se"], rtol=RTOL)


@pytest.mark.parametrize(
    ("tag", "method", "bounds"),
    [("linear", "linear", None), ("raking", "raking", None), ("bounded", "linear", BOUNDS)],
)
def test_replicates_are_calibrated_again_as_r(tag: str, method: Any, bounds: Any) -> None:
    design = calibrate(base_design(), margins(), MARGIN_POPULATIONS, method=method, bounds=bounds)
    rep, y = jkn(design), indicators()
    case = cases()[f"rep_JKn.{tag}.mean.s1_s2"]
    for k, var in enumerate(["s1", "s2"]):
        est = estimate_mean(rep, y[var])
        assert est.estimate[0] == pytest.approx(case["estimate"][k], rel=RTOL)
        assert est.se[0] == pytest.approx(case["se"][k], rel=RTOL)
    if tag == "bounded":
        return
    case = cases()[f"rep_JKn.{tag}.by_channel.ratio.s4_v4"]
    est = estimate_ratio(rep, y["s4"], y["v4"], by=sipas()["channel"])
    np.testing.assert_allclose(est.estimate, case["estimate"], rtol=RTOL)
    np.testing.assert_allclose(est.se, case["se"], rtol=RTOL)
    # Every replicate reproduces the margins.
    for codes, pop in zip(margins(), MARGIN_POPULATIONS, strict=True):
        for level, count in pop.items():
            np.testing.assert_allclose(rep.replicate_weights[codes == level].sum(axis=0), count)


def api_design(method: Any) -> SurveyDesign:
    c, p = api("apiclus1"), api("apipop")
    base = SurveyDesign.from_columns(weights=num(c["pw"]), psu=c["dnum"], fpc=num(c["fpc"]))
    return calibrate(
        base,
        [c["stype"]],
        [{"E": 6194.0 - 755.0 - 1018.0, "H": 755.0, "M": 1018.0}],
        covariates=[num(c["api99"])],
        covariate_totals=[float(num(p["api99"]).sum())],
        method=method,
    )


def test_numeric_auxiliary_equals_r() -> None:
    # R: calibrate(dclus1, ~stype + api99, c(`(Intercept)` = 6194, stypeH = 755, ...)); the
    # intercept and treatment dummies span the same space as one indicator per school type.
    c = api("apiclus1")
    design = api_design("linear")
    np.testing.assert_allclose(design.weights, cases()["api.weights"]["weights"], rtol=RTOL)
    for tag, d in (("api", design), ("api.raking", api_design("raking"))):
        case = cases()[f"{tag}.mean.api00_enroll"]
        for k, var in enumerate(["api00", "enroll"]):
            est = estimate_mean(d, num(c[var]))
            assert est.estimate[0] == pytest.approx(case["estimate"][k], rel=RTOL)
            assert est.se[0] == pytest.approx(case["se"][k], rel=RTOL)
    case = cases()["api.by_awards.total.api00"]
    est = estimate_total(design, num(c["api00"]), by=c["awards"])
    np.testing.assert_allclose(est.estimate, case["estimate"], rtol=RTOL)
    np.testing.assert_allclose(est.se, case["se"], rtol=RTOL)


def test_calibrate_raking_has_rakes_weights_but_not_its_variance() -> None:
    # Same weights as iterative proportional fitting; the variance is calibrate()'s regression
    # residual, not rake()'s 10 sweeps (R differs in the same way).
    raked = rake(base_design(), margins(), MARGIN_POPULATIONS, epsilon=1e-12).design
    cal = designs()["dcalrake"]
    np.testing.assert_allclose(cal.weights, raked.weights, rtol=1e-6)
    y = indicators()["s1"]
    se_cal, se_rake = estimate_mean(cal, y).se[0], estimate_mean(raked, y).se[0]
    assert se_cal != pytest.approx(se_rake, rel=1e-9)
    assert se_cal == pytest.approx(se_rake, rel=1e-2)


def test_low_rank_terms_equal_dense_residuals() -> None:
    # estimate_indices uses calibration_terms; they must equal CalibrationStep.residualise.
    design = calibrate(designs()["dcalrake"], [sipas()["agency"]], [dict.fromkeys("ABCDEF", 1e3)])
    rng = np.random.default_rng(7)
    x = rng.normal(size=(design.n, 3)) * design.weights[:, None]
    dense = design.calibration_residuals(x)

    def cell_sums(groups: NDArray[np.intp], v: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.zeros((int(groups.max()) + 1, x.shape[1]))
        np.add.at(out, groups, v[:, None] * x)
        return out

    resid = x.copy()
    for term in calibration_terms(design.calibration, cell_sums, x.shape[1]):
        resid -= term.multiplier[:, None] * term.gamma[term.groups]
    np.testing.assert_allclose(resid, dense, rtol=1e-10, atol=1e-10 * np.abs(x).max())


def test_poststratify_method_equals_linear_on_one_margin() -> None:
    base, s = base_design(), sipas()
    pop = {"desk": 7500.0, "online": 5000.0, "post": 2000.0}
    ps = calibrate(base, [s["channel"]], [pop], method="poststratify")
    lin = calibrate(base, [s["channel"]], [pop], method="linear")
    np.testing.assert_allclose(ps.weights, lin.weights, rtol=1e-12)
    y = indicators()["s2"]
    assert estimate_mean(ps, y).se[0] == pytest.approx(estimate_mean(lin, y).se[0], rel=1e-10)


def test_bad_input_is_named() -> None:
    base = base_design()
    with pytest.raises(CalibrationError, match=r"margins\[1\].*'55\+'"):
        calibrate(base, margins()[:2], [MARGIN_POPULATIONS[0], {"18-34": 1.0, "35-54": 2.0}])
    with pytest.raises(CalibrationError, match="different population totals"):
        calibrate(
            base, margins()[:2], [MARGIN_POPULATIONS[0], {"18-34": 1.0, "35-54": 2.0, "55+": 3.0}]
        )
    with pytest.raises(CalibrationError, match="poststratify takes exactly one margin"):
        calibrate(base, margins(), MARGIN_POPULATIONS, method="poststratify")
    with pytest.raises(CalibrationError, match="bounds"):
        calibrate(base, margins(), MARGIN_POPULATIONS, bounds=(1.1, 2.0))
    with pytest.raises(CalibrationError, match="did not reach"):
        calibrate(base, margins(), MARGIN_POPULATIONS, bounds=(0.95, 1.02))
    # Far-off totals make GREG weights negative: the message says what to do.
    skewed = [{"f": 14000.0, "m": 500.0}, {"18-34": 300.0, "35-54": 6500.0, "55+": 7700.0}]
    with pytest.raises(CalibrationError, match=r"negative weight.*bounds"):
        calibrate(base, margins()[:2], skewed)
