"""Survey-weighted generalised linear models (R ``svyglm``): linear and logistic.

Coefficients solve the weighted score equations sum_i w_i x_i (y_i - mu_i) = 0 by iteratively
reweighted least squares, exactly as R's ``glm.fit`` (same start, same stopping rule), with the
weights rescaled to mean 1 as ``svyglm`` does. The variance is the sandwich
A^{-1} B A^{-1} (Binder 1983, *Int. Stat. Rev.* 51, 279-292; Lumley 2010, sec. 5.2): A the
weighted information, B the Taylor design covariance of the PSU totals of the estimating
functions x_i w_i (y_i - mu_i) dmu/deta / V(mu_i). Residual df = design df + 1 - p.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from scipy.special import expit, logit

from analysis.design import DesignError, SurveyDesign
from analysis.variance import taylor_covariance

Family = Literal["gaussian", "quasibinomial"]


@dataclass(frozen=True)
class RegressionFit:
    """A fitted survey-weighted GLM.

    Attributes
    ----------
    terms : tuple of str
    coef, se, t, p : ndarray, shape (p,)
        Estimates, standard errors, t statistics and two-sided p-values on ``df_residual``.
    vcov : ndarray, shape (p, p)
        Design-based (sandwich) covariance.
    df_residual : int
    iterations : int
    """

    terms: tuple[str, ...]
    coef: NDArray[np.float64]
    se: NDArray[np.float64]
    vcov: NDArray[np.float64]
    df_residual: int
    t: NDArray[np.float64]
    p: NDArray[np.float64]
    iterations: int


@dataclass(frozen=True)
class _Irls:
    coef: NDArray[np.float64]
    mu: NDArray[np.float64]
    eta: NDArray[np.float64]
    working_weights: NDArray[np.float64]
    iterations: int


def _deviance(
    family: Family, y: NDArray[np.float64], mu: NDArray[np.float64], w: NDArray[np.float64]
) -> float:
    if family == "gaussian":
        return float(w @ (y - mu) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(y > 0, y * np.log(y / mu), 0.0)
        t0 = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return float(2.0 * (w @ (t1 + t0)))


def _irls(
    family: Family,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    epsilon: float,
    max_iter: int,
) -> _Irls:
    """R ``glm.fit``: start, WLS updates and the relative-deviance stopping rule."""
    if family == "gaussian":
        eta = y.copy()
        mu = y.copy()
    else:
        mu = (w * y + 0.5) / (w + 1.0)
        eta = logit(mu)
    dev_old = _deviance(family, y, mu, w)
    coef: NDArray[np.float64] = np.zeros(x.shape[1])
    work = w
    for iteration in range(1, max_iter + 1):
        if family == "gaussian":
            mu_eta = np.ones_like(mu)
            variance = np.ones_like(mu)
        else:
            mu_eta = mu * (1.0 - mu)
            variance = mu * (1.0 - mu)
        z = eta + (y - mu) / mu_eta
        work = w * mu_eta**2 / variance
        root = np.sqrt(work)
        coef = np.asarray(np.linalg.lstsq(x * root[:, None], z * root, rcond=None)[0])
        eta = x @ coef
        mu = eta if family == "gaussian" else expit(eta)
        dev = _deviance(family, y, mu, w)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            return _Irls(coef=coef, mu=mu, eta=eta, working_weights=work, iterations=iteration)
        dev_old = dev
    raise DesignError(
        f"regression: the fit did not converge in {max_iter} iterations; check for separation "
        "(a category with all 0 or all 1) or raise max_iter"
    )


def fit_glm(
    design: SurveyDesign,
    x: ArrayLike,
    y: ArrayLike,
    *,
    family: Family = "gaussian",
    terms: Sequence[str] | None = None,
    epsilon: float = 1e-8,
    max_iter: int = 25,
) -> RegressionFit:
    """Fit a survey-weighted GLM (R ``svyglm``) with design-based standard errors.

    Parameters
    ----------
    design : SurveyDesign
    x : array_like, shape (n, p)
        Model matrix, including the intercept column if wanted.
    y : array_like, shape (n,)
        Outcome; in [0, 1] for ``quasibinomial`` (logit link).
    family : {"gaussian", "quasibinomial"}
    terms : sequence of str, optional
        Column names (default x0, x1, ...).
    epsilon, max_iter : float, int
        R ``glm.control``: stop when |dev - dev_old| / (|dev| + 0.1) < epsilon.

    Returns
    -------
    RegressionFit
    """
    xm = np.asarray(x, dtype=np.float64)
    yv = np.asarray(y, dtype=np.float64)
    if xm.ndim != 2 or xm.shape[0] != design.n or yv.shape != (design.n,):
        raise DesignError(
            f"x, y: need an (n, p) model matrix and n outcomes for the design's {design.n} rows"
        )
    if not (np.isfinite(xm).all() and np.isfinite(yv).all()):
        raise DesignError("x, y: missing values; subset the design to complete rows first")
    if family == "quasibinomial" and ((yv < 0) | (yv > 1)).any():
        raise DesignError("y: a logistic model needs outcomes in [0, 1]")
    n_coef = xm.shape[1]
    names = tuple(terms) if terms is not None else tuple(f"x{j}" for j in range(n_coef))
    if len(names) != n_coef:
        raise DesignError(f"terms: {len(names)} names for {n_coef} columns")
    w_mean = float(design.weights.mean())
    prior = design.weights / w_mean
    fit = _irls(family, xm, yv, prior, epsilon, max_iter)
    a_inv = np.linalg.inv(xm.T @ (xm * fit.working_weights[:, None]))
    # Working residuals (y - mu) / (dmu/deta).
    resid = yv - fit.mu if family == "gaussian" else (yv - fit.mu) / (fit.mu * (1.0 - fit.mu))
    estfun = xm * (resid * fit.working_weights)[:, None]
    # svyrecvar takes the estimating functions as already weighted totals: divide by w_i.
    safe_w = np.where(design.weights > 0, design.weights, 1.0)
    b = taylor_covariance(design, estfun / safe_w[:, None])
    vcov = a_inv @ b @ a_inv
    se = np.sqrt(np.diag(vcov))
    df_residual = design.df + 1 - n_coef
    t = fit.coef / se
    return RegressionFit(
        terms=names,
        coef=fit.coef,
        se=se,
        vcov=vcov,
        df_residual=df_residual,
        t=t,
        p=2.0 * stats.t.sf(np.abs(t), df_residual),
        iterations=fit.iterations,
    )
