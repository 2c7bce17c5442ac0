"""Estimators: closed-form checks, domains, proportions, replicates, and CI coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis import variance
from analysis.calibration import poststratify
from analysis.design import DesignError, SurveyDesign
from analysis.estimators import (
    estimate_domain_means,
    estimate_mean,
    estimate_proportions,
    estimate_ratio,
    estimate_total,
)
from analysis.intervals import proportion_ci
from analysis.replicates import bootstrap, jkn


def srs(n: int, big_n: float | None, seed: int) -> tuple[SurveyDesign, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 3.0, n)
    weights = np.full(n, (big_n or 10.0 * n) / n)
    fpc = None if big_n is None else np.full(n, big_n)
    return SurveyDesign.from_columns(weights=weights, fpc=fpc), y


def test_srs_mean_matches_cochran_and_deff_is_one() -> None:
    design, y = srs(40, 400.0, seed=1)
    est = estimate_mean(design, y)
    # V(ybar) = (1 - f) s^2 / n (Cochran 1977, eq. 2.12).
    expected = (1 - 40 / 400) * y.var(ddof=1) / 40
    assert est.estimate[0] == pytest.approx(y.mean())
    assert est.variance[0] == pytest.approx(expected, rel=1e-12)
    assert est.deff is not None and est.deff[0] == pytest.approx(1.0)
    assert est.effective_n[0] == pytest.approx(40.0)
    assert est.cv[0] == pytest.approx(math.sqrt(expected) / y.mean())
    lo, hi = est.ci(0.9)
    q = stats.t.ppf(0.95, 39)
    assert (lo[0], hi[0]) == pytest.approx((y.mean() - q * est.se[0], y.mean() + q * est.se[0]))


def test_deff_with_replacement_is_one_for_srs_without_fpc() -> None:
    design, y = srs(30, None, seed=2)
    est = estimate_mean(design, y, deff="with_replacement")
    assert est.deff is not None and est.deff[0] == pytest.approx(1.0)


def test_domain_mean_uses_the_whole_design() -> None:
    # SRS without fpc: V(ybar_d) = n/(n-1) sum_{i in d} (y_i - ybar_d)^2 / n_d^2
    # (Lohr 2019, sec. 4.3: the domain size is random, the score is zero outside d).
    design, y = srs(50, None, seed=3)
    group = np.where(np.arange(50) % 3 == 0, "a", "b")
    est = estimate_mean(design, y, by=group)
    assert list(est.labels[0]) == ["a", "b"]
    for g, label in enumerate(["a", "b"]):
        yd = y[group == label]
        expected = 50 / 49 * ((yd - yd.mean()) ** 2).sum() / yd.size**2
        assert est.estimate[g] == pytest.approx(yd.mean())
        assert est.variance[g] == pytest.approx(expected, rel=1e-12)
    assert est.n.tolist() == [17, 33]
    assert est.df == 49


def test_domains_from_several_columns() -> None:
    design, y = srs(12, None, seed=4)
    a = np.array(["x", "y"] * 6)
    b = np.array([1, 1, 2, 2, 3, 3] * 2)
    est = estimate_total(design, y, by=[a, b])
    assert est.estimate.shape == (6,)
    pairs = list(zip(est.labels[0].tolist(), est.labels[1].tolist(), strict=True))
    assert pairs == [("x", 1), ("x", 2), ("x", 3), ("y", 1), ("y", 2), ("y", 3)]
    mask = (a == "y") & (b == 2)
    assert est.estimate[4] == pytest.approx(design.weights[mask] @ y[mask])
    # Domain totals add up to the overall total, and so do their covariances.
    overall = estimate_total(design, y)
    assert est.estimate.sum() == pytest.approx(overall.estimate[0])
    assert est.covariance.sum() == pytest.approx(overall.variance[0])


def test_missing_values_raise_or_are_left_out() -> None:
    design, y = srs(10, None, seed=5)
    y[3] = np.nan
    with pytest.raises(DesignError, match="row 3 is missing"):
        estimate_mean(design, y)
    est = estimate_mean(design, y, na_rm=True)
    assert est.estimate[0] == pytest.approx(np.nanmean(y))
    assert est.n[0] == 9


def test_ratio_score_matches_delta_method() -> None:
    rng = np.random.default_rng(6)
    x = rng.uniform(1, 5, 60)
    y = 2 * x + rng.normal(0, 0.5, 60)
    design = SurveyDesign.from_columns(weights=np.full(60, 5.0))
    est = estimate_ratio(design, y, x)
    r = y.sum() / x.sum()
    # V(R) = 1/X^2 * N^2 s_e^2 / n with e = y - R x (Cochran 1977, eq. 6.9, no fpc).
    e = y - r * x
    expected = (300.0**2 * e.var(ddof=1) / 60) / (5.0 * x.sum()) ** 2
    assert est.estimate[0] == pytest.approx(r)
    assert est.variance[0] == pytest.approx(expected, rel=1e-12)
    assert est.deff is None


def test_proportions_of_a_factor_sum_to_one() -> None:
    rng = np.random.default_rng(7)
    answer = rng.choice(["1", "2", "3", "4", "5"], size=80)
    strata = np.repeat([0, 1], 40)
    design = SurveyDesign.from_columns(weights=np.where(strata == 0, 2.0, 7.0), strata=strata)
    result = estimate_proportions(design, answer, by=strata)
    est = result.estimates
    assert result.categories.tolist() == ["1", "2", "3", "4", "5"] * 2
    np.testing.assert_allclose(est.estimate.reshape(2, 5).sum(axis=1), 1.0)
    # The proportions of one domain are linearly dependent: their covariance rows sum to 0.
    np.testing.assert_allclose(est.covariance[:5, :5].sum(axis=1), 0.0, atol=1e-15)
    single = estimate_mean(design, (answer == "4").astype(float), by=strata)
    np.testing.assert_allclose(est.estimate[[3, 8]], single.estimate, rtol=1e-12)
    np.testing.assert_allclose(est.variance[[3, 8]], single.variance, rtol=1e-12)


def test_jackknife_total_equals_taylor_total() -> None:
    # For a linear statistic the stratified jackknife reproduces the Taylor variance exactly.
    rng = np.random.default_rng(8)
    strata = np.repeat([0, 1, 2], [4, 6, 9])
    design = SurveyDesign.from_columns(strata=strata, fpc=np.array([20.0, 30.0, 90.0])[strata])
    y = rng.normal(5, 2, strata.size)
    taylor = estimate_total(design, y, by=strata % 2)
    jack = estimate_total(jkn(design), y, by=strata % 2)
    np.testing.assert_allclose(jack.variance, taylor.variance, rtol=1e-10)
    np.testing.assert_allclose(jack.estimate, taylor.estimate, rtol=1e-12)


def test_bootstrap_variance_is_close_to_taylor() -> None:
    rng = np.random.default_rng(9)
    strata = np.repeat([0, 1], [30, 40])
    design = SurveyDesign.from_columns(strata=strata, fpc=np.array([300.0, 200.0])[strata])
    y = rng.normal(10 + 3 * strata, 2.0)
    taylor = estimate_mean(design, y).variance[0]
    boot = bootstrap(design, replicates=4000, rng=np.random.default_rng(10))
    assert estimate_mean(boot, y).variance[0] == pytest.approx(taylor, rel=0.08)


def draw_stratified(
    rng: np.random.Generator, pop_strata: np.ndarray, n_h: np.ndarray, reps: int
) -> np.ndarray:
    """(reps, n) row indices of stratified SRS without replacement, all replications at once."""
    chosen = []
    for h, size in enumerate(n_h):
        members = np.flatnonzero(pop_strata == h)
        keys = rng.random((reps, members.size))
        chosen.append(members[np.argpartition(keys, size, axis=1)[:, :size]])
    return np.concatenate(chosen, axis=1)


@pytest.mark.slow
def test_confidence_intervals_cover_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(20240601)
    big_n = np.array([1500, 1000, 800, 700])
    pop_strata = np.repeat(np.arange(4), big_n)
    pop_y = rng.gamma(2.0 + pop_strata, 10.0)
    pop_sat = (rng.random(pop_strata.size) < np.array([0.9, 0.8, 0.7, 0.6])[pop_strata]).astype(
        float
    )
    n_h = np.array([40, 30, 30, 30])
    reps = 1500
    rows = draw_stratified(rng, pop_strata, n_h, reps)
    strata = np.repeat(np.arange(4), n_h)
    design = SurveyDesign.from_columns(strata=strata, fpc=big_n[strata].astype(float))
    covered_mean = 0
    covered_prop = 0
    for r in range(reps):
        est = estimate_mean(design, pop_y[rows[r]], deff=None)
        lo, hi = est.ci(0.95)
        covered_mean += bool(lo[0] <= pop_y.mean() <= hi[0])
        ci = proportion_ci(design, pop_sat[rows[r]], method="logit")
        covered_prop += bool(ci.lower[0] <= pop_sat.mean() <= ci.upper[0])
    assert 0.935 <= covered_mean / reps <= 0.965
    assert 0.935 <= covered_prop / reps <= 0.965


@pytest.mark.parametrize("lonely_psu", ["adjust", "certainty", "average"])
@pytest.mark.parametrize("clustered", [False, True])
def test_domain_means_are_the_diagonal_of_estimate_mean(lonely_psu: str, clustered: bool) -> None:
    """The sparse O(n) variances equal the (R-referenced) dense domain covariance's diagonal,
    with missing values, lonely strata, fpc and domains crossing strata."""
    rng = np.random.default_rng(11)
    n = 400
    strata = rng.integers(0, 12, n)
    strata[0] = 99  # a lonely stratum (one row, so one PSU)
    psu = np.char.add(strata.astype(str), rng.integers(0, 6, n).astype(str)) if clustered else None
    fpc = np.where(strata < 6, 800.0, 5000.0)
    y = rng.random(n)
    y[rng.random(n) < 0.2] = np.nan
    by = rng.choice(np.array(["a", "b", "c", "d", "e"]), n)
    design = SurveyDesign.from_columns(
        weights=rng.uniform(1, 9, n),
        strata=strata,
        psu=psu,
        fpc=fpc,
        lonely_psu=lonely_psu,  # type: ignore[arg-type]
    )
    dense = estimate_mean(design, y, by=by, na_rm=True, deff=None)
    sparse_means = estimate_domain_means(design, y, by=by, na_rm=True)
    np.testing.assert_allclose(sparse_means.estimate, dense.estimate, rtol=1e-13)
    np.testing.assert_allclose(sparse_means.variance, np.diag(dense.covariance), rtol=1e-10)
    np.testing.assert_array_equal(sparse_means.n, dense.n)
    np.testing.assert_array_equal(sparse_means.domain_df, dense.domain_df)
    whole = estimate_domain_means(design, y, na_rm=True)
    np.testing.assert_allclose(
        whole.variance, estimate_mean(design, y, na_rm=True).variance, rtol=1e-10
    )


def test_domain_means_on_replicates_match_estimate_mean() -> None:
    design, _ = srs(120, None, 5)
    rng = np.random.default_rng(3)
    y = (rng.random(120) < 0.4).astype(float)
    y[:10] = np.nan
    by = rng.choice(np.array(["x", "y", "z"]), 120)
    rep = jkn(SurveyDesign.from_columns(weights=design.weights, strata=rng.integers(0, 4, 120)))
    dense = estimate_mean(rep, y, by=by, na_rm=True, deff=None)
    got = estimate_domain_means(rep, y, by=by, na_rm=True)
    np.testing.assert_allclose(got.variance, np.diag(dense.covariance), rtol=1e-10)
    np.testing.assert_array_equal(got.domain_df, dense.domain_df)


def test_domain_means_on_a_calibrated_design_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dense path (calibration residuals) taken a few domains at a time gives the dense
    domain covariance's diagonal exactly."""
    rng = np.random.default_rng(8)
    n = 300
    sex = rng.choice(np.array(["f", "m"]), n)
    design = poststratify(
        SurveyDesign.from_columns(weights=rng.uniform(2, 6, n), strata=rng.integers(0, 5, n)),
        sex,
        {"f": 700.0, "m": 650.0},
    )
    y = (rng.random(n) < 0.6).astype(float)
    y[:20] = np.nan
    by = rng.integers(0, 7, n)
    monkeypatch.setattr(variance, "DENSE_BLOCK", 3)
    got = estimate_domain_means(design, y, by=by, na_rm=True)
    dense = estimate_mean(design, y, by=by, na_rm=True, deff=None)
    np.testing.assert_allclose(got.variance, np.diag(dense.covariance), rtol=1e-10)
