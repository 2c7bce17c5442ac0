"""Cronbach's alpha and the key-driver regression (design-based SEs checked against R)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

from analysis.consistency import (
    cronbach_alpha,
    element_alphas,
    fit_design_wls,
    key_drivers,
    respondent_element_scores,
)
from analysis.design import SurveyDesign
from analysis.questionnaire_tree import parse_questionnaire_tree

TREE = parse_questionnaire_tree({"elements": {"a": ["a1", "a2", "a3"], "b": ["b1", "b2"]}})


def shared_dir() -> Path:
    env = os.environ.get("SIPAS_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared"


def test_alpha_of_parallel_items_matches_spearman_brown() -> None:
    # k parallel items with inter-item correlation rho: alpha = k rho / (1 + (k - 1) rho).
    rng = np.random.default_rng(1)
    k, rho, n = 4, 0.5, 40_000
    common = rng.normal(size=(n, 1))
    items = np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.normal(size=(n, k))
    alpha, used = cronbach_alpha(items)
    assert used == n
    assert alpha == pytest.approx(k * rho / (1 + (k - 1) * rho), abs=0.01)


def test_alpha_equals_the_mean_covariance_form() -> None:
    # alpha = k cbar / (vbar + (k - 1) cbar), cbar/vbar the mean inter-item covariance/variance.
    rng = np.random.default_rng(2)
    x = rng.integers(1, 6, size=(200, 5)).astype(float) + rng.normal(size=(200, 1))
    cov = np.cov(x, rowvar=False)
    k = 5
    vbar = np.mean(np.diag(cov))
    cbar = (cov.sum() - np.trace(cov)) / (k * (k - 1))
    assert cronbach_alpha(x)[0] == pytest.approx(k * cbar / (vbar + (k - 1) * cbar), rel=1e-12)


def test_integer_weights_equal_replicated_rows_and_incomplete_rows_are_left_out() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, size=(50, 3)).astype(float)
    weights = rng.integers(1, 4, size=50)
    weighted, _ = cronbach_alpha(x, weights)
    replicated, _ = cronbach_alpha(np.repeat(x, weights, axis=0))
    assert weighted == pytest.approx(replicated, rel=1e-12)
    with_gap = np.vstack([x, [[np.nan, 5, 5]]])
    assert cronbach_alpha(with_gap) == (cronbach_alpha(x)[0], 50)


def test_element_alphas_use_respondents_complete_on_the_element() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(1, 6, size=(100, 5)).astype(float)
    y[:10, 0] = np.nan  # ten incomplete on element a only
    result = element_alphas(y, TREE)
    assert [r.element for r in result] == ["a", "b"]
    assert [r.n_complete for r in result] == [90, 100]
    assert result[0].alpha == pytest.approx(cronbach_alpha(y[10:, :3])[0])


def test_design_wls_matches_r_svyglm() -> None:
    # R: svyglm(api00 ~ ell + meals + mobility, design=dstrat) (shared/reference case
    # dstrat.svyglm.linear.api00; dstrat = svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc))
    path = shared_dir() / "reference" / "data" / "apistrat.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    col = {
        k: np.array([r[k] for r in rows])
        for k in ("pw", "stype", "fpc", "api00", "ell", "meals", "mobility")
    }
    design = SurveyDesign.from_columns(
        weights=col["pw"].astype(float), strata=col["stype"], fpc=col["fpc"].astype(float)
    )
    x = np.column_stack(
        [np.ones(len(rows)), *(col[k].astype(float) for k in ("ell", "meals", "mobility"))]
    )
    fit = fit_design_wls(
        design, col["api00"].astype(float), x, ("(Intercept)", "ell", "meals", "mobility")
    )
    np.testing.assert_allclose(
        fit.coef,
        [820.8873159056232, -0.48058661217195053, -3.141535309984561, 0.2257132102296367],
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        fit.se,
        [10.077735949885394, 0.39197340322252844, 0.28394650641650154, 0.3932183620225293],
        rtol=1e-8,
    )
    assert fit.df_residual == 194
    np.testing.assert_allclose(
        fit.p_value,
        [5.594749814546337e-152, 0.22165871515548605, 2.254134651846083e-22, 0.5666226131622014],
        rtol=1e-6,
    )


def test_design_wls_equals_uncorrected_cluster_sandwich_times_g_over_g_minus_1() -> None:
    # Without strata or fpc the design variance is G/(G-1) times statsmodels' cluster-robust
    # sandwich without its small-sample correction.
    rng = np.random.default_rng(5)
    n, g = 600, 30
    cluster = rng.integers(0, g, n)
    x = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = x @ [1.0, 2.0] + rng.normal(size=g)[cluster] + rng.normal(size=n)
    w = rng.uniform(1, 3, n)
    design = SurveyDesign.from_columns(weights=w, psu=cluster)
    fit = fit_design_wls(design, y, x, ("(Intercept)", "x"))
    robust = sm.WLS(y, x, weights=w).fit(
        cov_type="cluster", cov_kwds={"groups": cluster, "use_correction": False}
    )
    np.testing.assert_allclose(fit.coef, robust.params, rtol=1e-10)
    np.testing.assert_allclose(fit.vcov, robust.cov_params() * g / (g - 1), rtol=1e-8)


def test_key_drivers_recover_the_element_effects() -> None:
    rng = np.random.default_rng(6)
    n = 3000
    y = rng.integers(1, 6, size=(n, 5)).astype(float)
    y[rng.random(y.shape) < 0.05] = np.nan
    element_scores, overall = respondent_element_scores(y, TREE)
    assert np.nanmax(np.abs(overall - np.nanmean(y >= 4, axis=1, where=~np.isnan(y)))) < 1e-12
    outcome = 0.1 + 0.6 * element_scores[:, 0] + 0.2 * element_scores[:, 1]
    outcome = outcome + rng.normal(0, 0.05, n)
    design = SurveyDesign.from_columns(weights=rng.uniform(1, 2, n))
    result = key_drivers(design, y, TREE, outcome=outcome, outcome_name="q34")
    assert result.fit.terms == ("(Intercept)", "a", "b")
    np.testing.assert_allclose(result.fit.coef, [0.1, 0.6, 0.2], atol=0.02)
    assert result.fit.se_kind.startswith("design-based")
    assert result.fit.n_used == int(np.isfinite(element_scores).all(axis=1).sum())
