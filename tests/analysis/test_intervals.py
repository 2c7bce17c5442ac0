"""Proportion intervals against independent formulas (Clopper-Pearson, Wald) and edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, logit
from statsmodels.stats.proportion import proportion_confint

from analysis.design import DesignError, SurveyDesign
from analysis.intervals import (
    PROPORTION_CI_METHODS,
    ProportionCiMethod,
    fmm_spline,
    proportion_ci,
    proportion_interval_bounds,
)
from analysis.replicates import jkn


def test_korn_graubard_reduces_to_clopper_pearson_under_srs() -> None:
    # With v = p(1-p)/n and df = n - 1 the effective size is n: exact binomial limits.
    n, count = 60, 9
    p = count / n
    lo, hi = proportion_interval_bounds(
        [p], [p * (1 - p) / n], method="beta", df=[n - 1], n=[n], level=0.9
    )
    ref_lo, ref_hi = proportion_confint(count, n, alpha=0.1, method="beta")
    assert lo[0] == pytest.approx(ref_lo, rel=1e-10)
    assert hi[0] == pytest.approx(ref_hi, rel=1e-10)


def test_wald_matches_statsmodels_normal_interval() -> None:
    n, count = 200, 37
    p = count / n
    lo, hi = proportion_interval_bounds([p], [p * (1 - p) / n], method="wald", df=[np.inf])
    ref_lo, ref_hi = proportion_confint(count, n, alpha=0.05, method="normal")
    assert (lo[0], hi[0]) == pytest.approx((ref_lo, ref_hi), rel=1e-12)


def test_transformed_intervals_follow_their_definitions() -> None:
    p, var, df = 0.3, 0.0016, 25.0
    q = stats.t.ppf(0.975, df)
    se = np.sqrt(var)
    lo, hi = proportion_interval_bounds([p], [var], method="logit", df=[df])
    half = q * se / (p * (1 - p))
    assert (lo[0], hi[0]) == pytest.approx((expit(logit(p) - half), expit(logit(p) + half)))
    lo, hi = proportion_interval_bounds([p], [var], method="asin", df=[df])
    half = q * se / (2 * np.sqrt(p * (1 - p)))
    centre = np.arcsin(np.sqrt(p))
    assert (lo[0], hi[0]) == pytest.approx((np.sin(centre - half) ** 2, np.sin(centre + half) ** 2))
    lo, hi = proportion_interval_bounds([p], [var], method="mean", df=[df])
    assert (lo[0], hi[0]) == pytest.approx((p - q * se, p + q * se))


@pytest.mark.parametrize("method", [m for m in PROPORTION_CI_METHODS if m != "likelihood"])
def test_intervals_stay_inside_unit_interval_near_the_edges(method: ProportionCiMethod) -> None:
    p = np.array([0.0, 0.002, 0.5, 0.998, 1.0])
    var = np.array([0.0, 0.002**2, 0.01, 0.002**2, 0.0])
    lo, hi = proportion_interval_bounds(
        p, var, method=method, df=np.full(5, 30.0), n=np.full(5, 40)
    )
    assert np.all((lo >= 0) & (hi <= 1) & (lo <= p + 1e-15) & (hi >= p - 1e-15))


def test_beta_at_zero_is_the_exact_one_sided_bound() -> None:
    lo, hi = proportion_interval_bounds([0.0], [0.0], method="beta", df=[49], n=[50])
    assert lo[0] == 0.0
    assert hi[0] == pytest.approx(1 - 0.025 ** (1 / 50))


def sample_design() -> tuple[SurveyDesign, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    strata = np.repeat([0, 1, 2], [60, 50, 40])
    design = SurveyDesign.from_columns(strata=strata, fpc=np.array([900.0, 400.0, 1200.0])[strata])
    y = (rng.random(strata.size) < np.array([0.85, 0.7, 0.5])[strata]).astype(float)
    return design, y, strata


def test_likelihood_interval_is_close_to_logit_and_contains_p() -> None:
    design, y, _ = sample_design()
    lik = proportion_ci(design, y, method="likelihood")
    wald = proportion_ci(design, y, method="logit")
    assert lik.lower[0] < lik.estimate[0] < lik.upper[0]
    # Both are first-order equivalent; at n = 150 they agree to a few thousandths.
    assert lik.lower[0] == pytest.approx(wald.lower[0], abs=0.01)
    assert lik.upper[0] == pytest.approx(wald.upper[0], abs=0.01)


def test_domain_intervals_use_domain_degrees_of_freedom() -> None:
    design, y, strata = sample_design()
    ci = proportion_ci(design, y, method="beta", by=strata)
    np.testing.assert_array_equal(ci.df, [59, 49, 39])
    np.testing.assert_array_equal(ci.n, [60, 50, 40])
    overall = proportion_ci(design, y, method="mean", df=np.inf)
    assert overall.df[0] == np.inf


def test_replicate_designs_and_bad_input() -> None:
    design, y, _ = sample_design()
    ci = proportion_ci(jkn(design), y, method="logit")
    assert 0 < ci.lower[0] < ci.upper[0] < 1
    with pytest.raises(DesignError, match="likelihood"):
        proportion_ci(jkn(design), y, method="likelihood")
    with pytest.raises(DesignError, match=r"\[0, 1\]"):
        proportion_ci(design, y * 5, method="logit")
    with pytest.raises(ValueError, match="method"):
        proportion_interval_bounds([0.5], [0.01], method="wilson", df=[9])  # type: ignore[arg-type]


def test_fmm_spline_reproduces_a_cubic() -> None:
    x = np.sort(np.random.default_rng(12).uniform(0, 3, 9))
    grid = np.linspace(-0.5, 3.5, 41)

    def f(t: np.ndarray) -> np.ndarray:
        return 1 + 2 * t - t**2 + 0.5 * t**3

    np.testing.assert_allclose(fmm_spline(x, f(x), grid), f(grid), atol=1e-10)


@pytest.mark.parametrize(
    "method", ["logit", "xlogit", "wald", "mean", "asin", "beta", "likelihood"]
)
def test_unanimous_cells_get_the_exact_interval(method: ProportionCiMethod) -> None:
    # Domain "all" answers 1 (n = 30), domain "none" answers 0 (n = 12), "mixed" is ordinary:
    # the design-based limits used to collapse to [1, 1] and [0, 0].
    rng = np.random.default_rng(4)
    domain = np.repeat(np.array(["all", "mixed", "none"]), [30, 40, 12])
    y = np.where(domain == "all", 1.0, np.where(domain == "none", 0.0, rng.random(82) < 0.6))
    design = SurveyDesign.from_columns(weights=rng.uniform(1, 3, 82), strata=rng.integers(0, 3, 82))
    ci = proportion_ci(design, y, method=method, by=domain)
    assert ci.labels[0].tolist() == ["all", "mixed", "none"]
    assert ci.lower[0] == pytest.approx(0.025 ** (1 / 30), rel=1e-12) and ci.upper[0] == 1.0
    assert ci.lower[2] == 0.0 and ci.upper[2] == pytest.approx(1 - 0.025 ** (1 / 12), rel=1e-12)
    assert 0.0 < ci.lower[1] < ci.estimate[1] < ci.upper[1] < 1.0
