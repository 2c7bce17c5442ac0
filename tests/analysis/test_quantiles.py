"""Weighted quantile rules against numpy's Hyndman-Fan definitions, and Woodruff intervals."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.design import SurveyDesign
from analysis.quantiles import estimate_quantiles, weighted_quantile

NUMPY_METHOD = {"math": "inverted_cdf", "school": "averaged_inverted_cdf", "hf7": "linear"}


@pytest.mark.parametrize("rule", ["math", "school", "hf7"])
def test_equal_weights_match_hyndman_fan(rule: str) -> None:
    rng = np.random.default_rng(41)
    y = rng.integers(0, 30, 40).astype(float)  # ties on purpose
    for p in (0.0, 0.1, 0.25, 0.5, 0.6, 0.75, 0.9, 1.0):
        expected = np.quantile(y, p, method=NUMPY_METHOD[rule])  # type: ignore[call-overload]
        got = weighted_quantile(y, np.full(40, 3.0), p, rule=rule)  # type: ignore[arg-type]
        assert got == pytest.approx(expected), (rule, p)


def test_integer_weights_act_as_replication_for_math_rule() -> None:
    y = np.array([5.0, 1.0, 3.0, 8.0])
    w = np.array([2.0, 1.0, 3.0, 1.0])
    expanded = np.repeat(y, w.astype(int))
    for p in (0.2, 0.5, 0.8):
        assert weighted_quantile(y, w, p) == np.quantile(expanded, p, method="inverted_cdf")


def test_woodruff_interval_brackets_the_median() -> None:
    rng = np.random.default_rng(42)
    strata = np.repeat([0, 1], [80, 70])
    design = SurveyDesign.from_columns(strata=strata, fpc=np.array([800.0, 1400.0])[strata])
    y = rng.lognormal(3.0, 0.6, strata.size)
    est = estimate_quantiles(design, y, [0.25, 0.5, 0.75], rule="hf7")
    assert np.all(est.lower <= est.estimate) and np.all(est.estimate <= est.upper)
    assert np.all(np.diff(est.estimate) > 0)
    assert np.all(est.se > 0)
    beta = estimate_quantiles(design, y, [0.5], method="beta")
    assert beta.lower[0] <= beta.estimate[0] <= beta.upper[0]
