"""svyglm-style fits against statsmodels (point estimates) and the HC0 sandwich (variance)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from analysis.design import DesignError, SurveyDesign
from analysis.regression import fit_glm


def data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 150
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(0, 1, n)])
    y_lin = x @ np.array([1.0, 2.0, -1.0]) + rng.normal(0, 1 + x[:, 2], n)
    y_bin = (rng.random(n) < 1 / (1 + np.exp(-(x @ np.array([0.3, 1.0, -1.5]))))).astype(float)
    return x, y_lin, y_bin


def test_linear_fit_is_weighted_least_squares_with_a_sandwich_variance() -> None:
    x, y, _ = data(51)
    n = y.size
    w = np.random.default_rng(52).uniform(1, 3, n)
    design = SurveyDesign.from_columns(weights=w)
    fit = fit_glm(design, x, y, terms=["(Intercept)", "a", "b"])
    wls = sm.WLS(y, x, weights=w).fit(cov_type="HC0")
    np.testing.assert_allclose(fit.coef, wls.params, rtol=1e-10)
    # With-replacement design variance = HC0 sandwich * n / (n - 1) (Binder 1983).
    np.testing.assert_allclose(fit.vcov, wls.cov_params() * n / (n - 1), rtol=1e-8)
    assert fit.df_residual == n - 1 + 1 - 3
    assert fit.terms == ("(Intercept)", "a", "b")


def test_logistic_fit_matches_the_maximum_likelihood_estimate() -> None:
    x, _, y = data(53)
    design = SurveyDesign.from_columns(weights=np.full(y.size, 4.0))
    fit = fit_glm(design, x, y, family="quasibinomial", epsilon=1e-14, max_iter=100)
    ml = sm.Logit(y, x).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(fit.coef, ml.params, rtol=1e-8)
    ml_robust = sm.Logit(y, x).fit(disp=0, tol=1e-12, cov_type="HC0")
    np.testing.assert_allclose(fit.vcov, ml_robust.cov_params() * y.size / (y.size - 1), rtol=1e-6)


def test_bad_inputs_are_reported() -> None:
    x, y, _ = data(54)
    design = SurveyDesign.from_columns(weights=np.ones(y.size))
    with pytest.raises(DesignError, match=r"\[0, 1\]"):
        fit_glm(design, x, y, family="quasibinomial")
    with pytest.raises(DesignError, match="model matrix"):
        fit_glm(design, x[:10], y)
