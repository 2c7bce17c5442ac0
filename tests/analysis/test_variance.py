"""Taylor and replicate variance checked against textbook formulas (Cochran 1977, Lohr 2019)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.design import LonelyPsuRule, SurveyDesign
from analysis.replicates import ReplicateDesign
from analysis.variance import (
    LonelyPsuError,
    domain_taylor_covariance,
    replicate_covariance,
    taylor_covariance,
)


def stratified_sample(rng: np.random.Generator) -> tuple[SurveyDesign, np.ndarray, np.ndarray]:
    n_h = np.array([5, 8, 12])
    big_n = np.array([50.0, 40.0, 300.0])
    strata = np.repeat(np.arange(3), n_h)
    y = rng.normal(10 + 5 * strata, 2 + strata)
    design = SurveyDesign.from_columns(strata=strata, fpc=big_n[strata])
    return design, y, strata


def test_stratified_total_matches_cochran_5_10() -> None:
    # V(T) = sum_h N_h^2 (1 - f_h) s_h^2 / n_h (Cochran 1977, eq. 5.10).
    design, y, strata = stratified_sample(np.random.default_rng(1))
    big_n = np.array([50.0, 40.0, 300.0])
    expected = 0.0
    for h in range(3):
        yh = y[strata == h]
        n = yh.size
        expected += big_n[h] ** 2 * (1 - n / big_n[h]) * yh.var(ddof=1) / n
    assert taylor_covariance(design, y)[0, 0] == pytest.approx(expected, rel=1e-12)


def test_one_stage_cluster_total_matches_cluster_formula() -> None:
    # Equal-probability one-stage cluster sample: V(T) = N^2 (1 - f) s_t^2 / n (Lohr 2019, 5.3).
    rng = np.random.default_rng(2)
    sizes = rng.integers(2, 6, size=9)
    psu = np.repeat(np.arange(9), sizes)
    y = rng.normal(3.0, 1.0, psu.size)
    big_n = 60.0
    design = SurveyDesign.from_columns(
        weights=np.full(psu.size, big_n / 9), psu=psu, fpc=np.full(psu.size, big_n)
    )
    cluster_totals = np.bincount(psu, weights=y)
    expected = big_n**2 * (1 - 9 / big_n) * cluster_totals.var(ddof=1) / 9
    assert taylor_covariance(design, y)[0, 0] == pytest.approx(expected, rel=1e-12)


def test_covariance_matrix_is_bilinear() -> None:
    design, y, _ = stratified_sample(np.random.default_rng(3))
    x = y**2
    cov = taylor_covariance(design, np.column_stack([y, x]))
    v_sum = taylor_covariance(design, y + x)[0, 0]
    assert cov[0, 1] == pytest.approx(cov[1, 0])
    assert v_sum == pytest.approx(cov[0, 0] + cov[1, 1] + 2 * cov[0, 1], rel=1e-12)
    assert np.linalg.eigvalsh(cov).min() >= -1e-9 * cov.max()


def lonely_design(rule: LonelyPsuRule) -> tuple[SurveyDesign, np.ndarray]:
    strata = np.array([0, 0, 0, 1, 1, 2])
    y = np.array([1.0, 4.0, 6.0, 2.0, 9.0, 5.0])
    design = SurveyDesign.from_columns(
        weights=np.full(6, 3.0),
        strata=strata,
        lonely_psu=rule,
    )
    return design, y


def stratum_term(values: np.ndarray) -> float:
    n = values.size
    return float(n / (n - 1) * ((values - values.mean()) ** 2).sum())


def test_lonely_psu_rules() -> None:
    design, y = lonely_design("fail")
    with pytest.raises(LonelyPsuError, match="stratum 2 has only one PSU"):
        taylor_covariance(design, y)
    z = 3.0 * y
    ok_part = stratum_term(z[:3]) + stratum_term(z[3:5])
    design, y = lonely_design("certainty")
    assert taylor_covariance(design, y)[0, 0] == pytest.approx(ok_part)
    design, y = lonely_design("average")
    assert taylor_covariance(design, y)[0, 0] == pytest.approx(ok_part * 3 / 2)
    design, y = lonely_design("adjust")
    # R survey 4.1 onestrat: a lonely PSU's total is not centred at all, scale 1 - f = 1
    # (R: vcov(svytotal(~y, design)) = 837 with options(survey.lonely.psu = "adjust")).
    expected = ok_part + z[5] ** 2
    assert expected == pytest.approx(837.0)
    assert taylor_covariance(design, y)[0, 0] == pytest.approx(expected)


def test_fully_sampled_single_psu_stratum_has_no_variance() -> None:
    # f_h = 1 is a certainty stratum in R even under lonely_psu="fail".
    design = SurveyDesign.from_columns(strata=np.array([0, 0, 1]), fpc=np.array([10.0, 10.0, 1.0]))
    y = np.array([1.0, 3.0, 100.0])
    # Only stratum 0 counts: N^2 (1 - f) s^2 / n with N = 10, n = 2.
    expected = 10.0**2 * (1 - 0.2) * np.var([1.0, 3.0], ddof=1) / 2
    assert taylor_covariance(design, y)[0, 0] == pytest.approx(expected)


def test_replicate_centre_mean_versus_mse() -> None:
    rng = np.random.default_rng(4)
    reps = rng.normal(size=(30, 2))
    full = np.array([0.3, -0.2])
    rscales = rng.uniform(0.5, 1.0, 30)
    base = ReplicateDesign(
        weights=np.ones(5),
        replicate_weights=np.ones((5, 30)),
        scale=0.1,
        rscales=rscales,
        mse=False,
    )
    centred = reps - reps.mean(axis=0)
    expected = 0.1 * (centred * rscales[:, None]).T @ centred
    np.testing.assert_allclose(replicate_covariance(base, full, reps), expected, rtol=1e-12)
    dev = reps - full
    expected_mse = 0.1 * (dev * rscales[:, None]).T @ dev
    np.testing.assert_allclose(
        replicate_covariance(base.with_mse(True), full, reps), expected_mse, rtol=1e-12
    )


def test_lonely_average_in_a_domain_counts_the_domains_strata() -> None:
    # Domain 1 has rows in strata 1 and 2 only (2 is lonely): R's onestage on the domain's
    # subset design counts H = 2, L = 1, so the non-lonely part is doubled, not x 3/2.
    design, y = lonely_design("average")
    domain = np.array([0, 0, 0, 1, 1, 1])
    cov = domain_taylor_covariance(design, y, domain, 2)
    z = 3.0 * y
    assert cov[1, 1] == pytest.approx(stratum_term(z[3:5]) * 2)
    # Domain 0 lies in stratum 0 only: no lonely stratum among its strata, no rescaling.
    assert cov[0, 0] == pytest.approx(stratum_term(z[:3]))
