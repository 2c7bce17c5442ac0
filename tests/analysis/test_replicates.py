"""Replicate constructors: structure, balance and exactness for linear statistics."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.calibration import poststratify, rake
from analysis.design import DesignError, SurveyDesign
from analysis.estimators import estimate_mean, estimate_total
from analysis.replicates import (
    bootstrap,
    brr,
    fay,
    from_multipliers,
    hadamard_matrix,
    jk1,
    jkn,
)


@pytest.mark.parametrize(("min_order", "order"), [(3, 4), (5, 8), (11, 12), (17, 20), (101, 104)])
def test_hadamard_matrices_are_orthogonal(min_order: int, order: int) -> None:
    h = hadamard_matrix(min_order)
    assert h.shape == (order, order)
    np.testing.assert_array_equal(h.T @ h, order * np.eye(order))
    assert (h[:, 0] == 1).all()


def paired_design(n_pairs: int, seed: int) -> tuple[SurveyDesign, np.ndarray]:
    rng = np.random.default_rng(seed)
    strata = np.repeat(np.arange(n_pairs), 2)
    design = SurveyDesign.from_columns(weights=rng.uniform(5, 15, 2 * n_pairs), strata=strata)
    return design, rng.normal(20, 5, 2 * n_pairs)


def test_brr_and_fay_give_the_pairwise_variance_of_a_total() -> None:
    # With 2 PSUs per stratum, V(T) = sum_h (z_h1 - z_h2)^2 (Wolter 2007, eq. 3.3.5).
    design, y = paired_design(7, seed=31)
    z = (design.weights * y).reshape(-1, 2)
    expected = ((z[:, 0] - z[:, 1]) ** 2).sum()
    for rep in (brr(design), fay(design, rho=0.3), brr(design).with_mse(True)):
        assert estimate_total(rep, y).variance[0] == pytest.approx(expected, rel=1e-10)
    assert brr(design).n_replicates == 8


def test_brr_needs_two_psus_per_stratum() -> None:
    design = SurveyDesign.from_columns(weights=np.ones(5), strata=[0, 0, 0, 1, 1])
    with pytest.raises(DesignError, match="exactly 2 PSUs"):
        brr(design)


def test_jk1_equals_taylor_for_a_cluster_total() -> None:
    rng = np.random.default_rng(32)
    psu = np.repeat(np.arange(8), 3)
    design = SurveyDesign.from_columns(weights=np.full(24, 10.0), psu=psu, fpc=np.full(24, 40.0))
    y = rng.normal(size=24)
    np.testing.assert_allclose(
        estimate_total(jk1(design), y).variance, estimate_total(design, y).variance, rtol=1e-10
    )
    stratified = SurveyDesign.from_columns(weights=np.ones(4), strata=[0, 0, 1, 1])
    with pytest.raises(DesignError, match="jkn"):
        jk1(stratified)


def test_jkn_rejects_a_single_psu_stratum() -> None:
    design = SurveyDesign.from_columns(weights=np.ones(3), strata=[0, 0, 1], lonely_psu="certainty")
    with pytest.raises(DesignError, match="single PSU"):
        jkn(design)


def test_bootstrap_is_reproducible_and_unbiased_in_weight() -> None:
    design = SurveyDesign.from_columns(weights=np.full(30, 4.0), strata=np.repeat([0, 1, 2], 10))
    a = bootstrap(design, replicates=50, rng=np.random.default_rng(1))
    b = bootstrap(design, replicates=50, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.replicate_weights, b.replicate_weights)
    # Rescaled multipliers of n_h - 1 draws add to n_h within each stratum.
    sums = a.replicate_weights.reshape(3, 10, 50).sum(axis=1) / 4.0
    np.testing.assert_allclose(sums, 10.0)
    assert a.scale == pytest.approx(1 / 49)


def test_from_multipliers_builds_replicate_weights() -> None:
    w = np.array([2.0, 3.0, 5.0])
    mult = np.array([[0.0, 1.5, 1.5], [1.5, 0.0, 1.5], [1.5, 1.5, 0.0]])
    rep = from_multipliers(w, mult, scale=2 / 3)
    np.testing.assert_allclose(rep.replicate_weights, mult * w[:, None])
    y = np.array([1.0, 4.0, 2.0])
    est = estimate_mean(rep, y)
    reps = (rep.replicate_weights.T @ y) / rep.replicate_weights.sum(axis=0)
    assert est.variance[0] == pytest.approx(2 / 3 * ((reps - reps.mean()) ** 2).sum())
    with pytest.raises(DesignError, match="multipliers"):
        from_multipliers(w, mult[:2], scale=1.0)


def _calibration_sample() -> tuple[SurveyDesign, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 90
    sex = rng.choice(["f", "m"], n, p=[0.55, 0.45])
    age = rng.choice(["young", "mid", "old"], n)
    y = rng.normal(40 + 6 * (sex == "m") + 3 * (age == "old"), 7)
    return SurveyDesign.from_columns(weights=np.full(n, 20.0)), y, sex, age


def test_replicates_of_a_poststratified_design_are_recalibrated() -> None:
    """Post-stratum counts are fixed by the calibration, so every replicate must reproduce them:
    their replicate variance is 0. Treating the calibrated weights as fixed would not."""
    design, y, sex, _ = _calibration_sample()
    ps = poststratify(design, sex, {"f": 1000, "m": 800})
    rep = jk1(ps)
    counts = estimate_total(rep, np.ones(ps.n), by=sex)
    np.testing.assert_allclose(counts.estimate, [1000, 800])
    np.testing.assert_allclose(counts.variance, 0.0, atol=1e-12)
    naive = from_multipliers(
        ps.weights, jk1(design).replicate_weights / design.weights[:, None], scale=rep.scale
    )
    assert estimate_total(naive, np.ones(ps.n), by=sex).variance.min() > 1.0
    # The jackknife and the calibration-aware linearisation estimate the same variance.
    taylor = estimate_total(ps, y).se[0]
    assert estimate_total(rep, y).se[0] == pytest.approx(taylor, rel=0.1)


def test_replicates_of_a_raked_design_hit_every_margin() -> None:
    design, _, sex, age = _calibration_sample()
    pops = [{"f": 1000, "m": 800}, {"young": 500, "mid": 700, "old": 600}]
    raked = rake(design, [sex, age], pops).design
    rep = jkn(raked)
    for margin, pop in zip([sex, age], pops, strict=True):
        for label, total in pop.items():
            column_totals = rep.replicate_weights[margin == label].sum(axis=0)
            np.testing.assert_allclose(column_totals, total, rtol=1e-9)
