"""Confidence intervals for proportions from complex samples, as R ``survey::svyciprop``.

Methods (Lumley 2010, sec. 2.3.1; R ``?svyciprop``):

``wald``
    p +/- z se (normal quantile), clipped to [0, 1].
``mean``
    p +/- t_df se, clipped to [0, 1] (R ``method="mean"``).
``logit``
    expit(b +/- t_df se_b), the Wald interval of the intercept b of a quasi-binomial svyglm.
    With Taylor variance se_b = se / (p (1 - p)) (the same as ``xlogit`` up to the convergence
    of R's glm fit). With replicate weights, as R ``svyciprop`` on a ``svrepdesign``, the
    intercept is refitted with each replicate's weights (R's IRLS from the full-sample fit,
    reproduced step by step) and se_b is their replicate SE: not the delta method.
``xlogit``
    expit(logit p +/- t_df se / (p (1 - p))), the delta-method logit (R ``svycontrast``), for
    Taylor and replicate designs alike.
``asin``
    sin^2(asin sqrt(p) +/- t_df se / (2 sqrt(p (1 - p)))), the transformed limits clipped to
    [0, pi/2].
``beta``
    Korn & Graubard (1998, *Survey Methodology* 24, 193-201): Clopper-Pearson limits with the
    effective sample size n* = p (1 - p) / v * (t_{n-1} / t_df)^2.
``likelihood``
    Rao-Scott-scaled profile likelihood of the intercept of a quasi-binomial svyglm, as R's
    ``confint(svyglm, method="likelihood")`` (profile points, FMM spline and linear inverse
    interpolation as MASS ``confint.profile.glm``), for 0/1 outcomes. The profile uses R's
    clamped inverse link (|eta| > 30 saturates at 1 - 2.2e-16), so limits near 0 or 1 in small
    domains come out as R's instead of NaN; a side whose profile never reaches the cut-off
    within R's 10 steps (R: NA) is given the boundary 0 or 1.

:func:`proportion_ci` gives a cell whose answers are unanimous (p = 0 or 1, variance 0) the
exact Clopper-Pearson interval for 0 or n successes out of its n rows, whatever the method: every
design-based interval collapses onto the point there (R returns [1, 1] or NaN) and would claim
certainty from a handful of answers (:func:`exact_bounds_for_unanimous`).

``df`` is the design's degrees of freedom (R ``degf``: PSUs - strata); for a domain it is that
of the domain's subset design, as ``svyby(..., svyciprop)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, logit

from analysis.design import DesignError, SurveyDesign
from analysis.distributions import beta_ppf, f_ppf, norm_cdf, norm_ppf, t_ppf
from analysis.estimators import Design, estimate_domain_means, make_domains
from analysis.replicates import ReplicateDesign
from analysis.variance import taylor_covariance

ProportionCiMethod = Literal["wald", "mean", "logit", "xlogit", "asin", "beta", "likelihood"]
PROPORTION_CI_METHODS: tuple[ProportionCiMethod, ...] = (
    "wald",
    "mean",
    "logit",
    "xlogit",
    "asin",
    "beta",
    "likelihood",
)


@dataclass(frozen=True)
class ProportionInterval:
    """Proportions with confidence intervals, one row per domain.

    Attributes
    ----------
    method : ProportionCiMethod
    level : float
    labels : tuple of ndarray
        Domain labels (empty for the whole population).
    estimate, se, lower, upper : ndarray, shape (G,)
    df : ndarray, shape (G,)
        Degrees of freedom used for each row (inf for the normal quantile).
    n : ndarray of int, shape (G,)
        Sampled rows in each domain.
    """

    method: ProportionCiMethod
    level: float
    labels: tuple[NDArray[np.generic], ...]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    df: NDArray[np.float64]
    n: NDArray[np.int64]


def _t_quantile(level: float, df: NDArray[np.float64]) -> NDArray[np.float64]:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: {level} must be between 0 and 1 (e.g. 0.95)")
    if (df <= 0).any():
        raise ValueError(
            "df: a domain has no degrees of freedom (one PSU per stratum or fewer); merge "
            "domains or pass df explicitly"
        )
    q = 0.5 + level / 2.0
    return np.where(np.isinf(df), norm_ppf(q), t_ppf(q, np.where(np.isinf(df), 1, df)))


def proportion_interval_bounds(
    p: ArrayLike,
    variance: ArrayLike,
    *,
    method: ProportionCiMethod,
    df: ArrayLike,
    n: ArrayLike | None = None,
    level: float = 0.95,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Interval limits for proportions p with design variance v (all methods but likelihood).

    Parameters
    ----------
    p, variance : array_like, shape (G,)
    method : {"wald", "mean", "logit", "xlogit", "asin", "beta"}
    df : array_like, shape (G,)
        Degrees of freedom of the t quantile (ignored by ``wald``).
    n : array_like, shape (G,), optional
        Sampled rows per domain; needed by ``beta`` (its t_{n-1} / t_df correction and the
        effective size when the variance is 0).
    level : float

    Returns
    -------
    lower, upper : ndarray
        Always within [0, 1]. At p = 0 or 1 (variance 0) ``logit``/``xlogit``/``asin``/``mean``
        collapse to the point; ``beta`` then gives the Clopper-Pearson interval with n* = n.
    """
    pv = np.atleast_1d(np.asarray(p, dtype=np.float64))
    var = np.broadcast_to(np.asarray(variance, dtype=np.float64), pv.shape)
    dfv = np.broadcast_to(np.asarray(df, dtype=np.float64), pv.shape)
    se = np.sqrt(var)
    if method == "wald":
        q = _t_quantile(level, np.full(pv.shape, np.inf))
        return np.clip(pv - q * se, 0.0, 1.0), np.clip(pv + q * se, 0.0, 1.0)
    q = _t_quantile(level, dfv)
    pq = pv * (1.0 - pv)
    if method == "mean":
        return np.clip(pv - q * se, 0.0, 1.0), np.clip(pv + q * se, 0.0, 1.0)
    if method in ("logit", "xlogit"):
        with np.errstate(divide="ignore", invalid="ignore"):
            half = np.where(pq > 0, q * se / pq, 0.0)
            centre = logit(pv)
        return expit(centre - half), expit(centre + half)
    if method == "asin":
        with np.errstate(divide="ignore", invalid="ignore"):
            half = np.where(pq > 0, q * se / (2.0 * np.sqrt(pq)), 0.0)
        centre = np.arcsin(np.sqrt(pv))
        lo = np.clip(centre - half, 0.0, np.pi / 2.0)
        hi = np.clip(centre + half, 0.0, np.pi / 2.0)
        return np.sin(lo) ** 2, np.sin(hi) ** 2
    if method == "beta":
        if n is None:
            raise ValueError("n: the beta (Korn-Graubard) interval needs the domain sample sizes")
        nv = np.broadcast_to(np.asarray(n, dtype=np.float64), pv.shape)
        alpha = 1.0 - level
        with np.errstate(divide="ignore", invalid="ignore"):
            n_eff = np.where(var > 0, pq / var, nv)
        ratio = t_ppf(alpha / 2.0, nv - 1.0) / t_ppf(alpha / 2.0, dfv)
        n_eff = n_eff * ratio**2
        x = n_eff * pv
        lower = np.where(x > 0, beta_ppf(alpha / 2.0, np.maximum(x, 1e-300), n_eff - x + 1), 0.0)
        upper = np.where(
            n_eff - x > 0,
            beta_ppf(1.0 - alpha / 2.0, x + 1, np.maximum(n_eff - x, 1e-300)),
            1.0,
        )
        return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
    raise ValueError(
        f"method: {method!r} is not one of {', '.join(PROPORTION_CI_METHODS)} (likelihood "
        "needs the data: use proportion_ci)"
    )


def proportion_ci(
    design: Design,
    y: ArrayLike,
    *,
    method: ProportionCiMethod = "logit",
    level: float = 0.95,
    by: ArrayLike | Sequence[ArrayLike] | None = None,
    df: float | None = None,
    na_rm: bool = False,
) -> ProportionInterval:
    """Proportion of a 0/1 (or [0, 1]) variable with an interval, overall or by domain.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    y : array_like, shape (n,)
        Indicator (e.g. satisfied = answer 4 or 5).
    method : ProportionCiMethod
    level : float
    by : domain column(s), optional
    df : float, optional
        Degrees of freedom; default that of each domain's subset design (R ``degf``), which is
        the design df without ``by``. ``math.inf`` gives normal quantiles.
    na_rm : bool
        Leave rows with missing y out (as outside every domain).

    Returns
    -------
    ProportionInterval
    """
    yv = np.asarray(y, dtype=np.float64)
    finite = yv[~np.isnan(yv)]
    if ((finite < 0) | (finite > 1)).any():
        raise DesignError("y: a proportion needs values in [0, 1] (use a 0/1 indicator)")
    # Variances only (O(n) for any number of domains): an interval needs no covariance.
    est = estimate_domain_means(design, yv, by=by, na_rm=na_rm)
    dfv = est.domain_df.astype(np.float64) if df is None else np.full(est.estimate.shape, df)
    present = ~np.isnan(yv)
    if method == "likelihood":
        domains = make_domains(design.n, by)
        lower, upper = _likelihood_bounds(
            design, np.where(present, yv, 0.0), domains.codes, present, dfv, level
        )
    elif method == "logit" and isinstance(design, ReplicateDesign):
        domains = make_domains(design.n, by)
        lower, upper = _replicate_logit_bounds(
            design, np.where(present, yv, 0.0), domains.codes, present, dfv, level
        )
    else:
        lower, upper = proportion_interval_bounds(
            est.estimate, est.variance, method=method, df=dfv, n=est.n, level=level
        )
    lower, upper = exact_bounds_for_unanimous(
        est.estimate, est.variance, est.n, level, lower, upper
    )
    return ProportionInterval(
        method=method,
        level=level,
        labels=est.labels,
        estimate=est.estimate,
        se=est.se,
        lower=lower,
        upper=upper,
        df=dfv,
        n=est.n,
    )


def exact_bounds_for_unanimous(
    p: NDArray[np.float64],
    variance: NDArray[np.float64],
    n: NDArray[np.int64],
    level: float,
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Clopper-Pearson limits for cells with p = 0 or 1 and no variance; others unchanged.

    For 0 or n successes out of n the exact interval is [0, 1 - (alpha/2)^(1/n)] or
    [(alpha/2)^(1/n), 1] (Clopper & Pearson 1934), i.e. the design effect is taken as 1 where the
    sample gives no way to estimate it. This is R's ``svyciprop(method = "beta")`` with the
    effective size n* = n, which R itself cannot form there (0/0).
    """
    alpha = 1.0 - level
    lower = np.array(lower, dtype=np.float64, copy=True)
    upper = np.array(upper, dtype=np.float64, copy=True)
    nv = np.asarray(n, dtype=np.float64)
    flat = (np.asarray(variance) == 0) & (nv > 0)
    all_yes = flat & (p == 1.0)
    all_no = flat & (p == 0.0)
    lower[all_yes] = beta_ppf(alpha / 2.0, nv[all_yes], 1.0)
    upper[all_yes] = 1.0
    lower[all_no] = 0.0
    upper[all_no] = beta_ppf(1.0 - alpha / 2.0, 1.0, nv[all_no])
    return lower, upper


def _replicate_logit_bounds(
    design: ReplicateDesign,
    y: NDArray[np.float64],
    codes: NDArray[np.intp],
    present: NDArray[np.bool_],
    df: NDArray[np.float64],
    level: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """R ``svyciprop(method="logit")`` on a replicate design, domain by domain.

    As ``survey:::svyglm.svyrep.design``: the full-sample intercept b0 comes from
    ``glm(y ~ 1, quasibinomial, weights = w / mean(w))``; each replicate refits it with
    ``glm.fit(weights = w_r / sum(w_r), start = b0)``; V = scale sum_r rscale_r (b_r - c)^2
    (c = mean of b_r, or b0 when ``mse``) and the limits are expit(b0 -/+ t_df sqrt(V)).
    """
    if not np.isin(y[present], (0.0, 1.0)).all():
        raise DesignError("y: the replicate logit interval needs a 0/1 indicator")
    size = int(codes.max(initial=-1)) + 1
    lower = np.full(size, np.nan)
    upper = np.full(size, np.nan)
    q = _t_quantile(level, np.asarray(df, dtype=np.float64))
    for k in range(size):
        rows = present & (codes == k) & (design.weights != 0)
        w = design.weights[rows]
        yy = y[rows]
        pk = float(w @ yy) / float(w.sum())
        if pk <= 0.0 or pk >= 1.0:
            lower[k] = upper[k] = pk
            continue
        b0 = _fit_intercept_logit(w / w.mean(), yy).coef
        reps = design.replicate_weights[rows]
        s1 = yy @ reps
        s0 = (1.0 - yy) @ reps
        total = s1 + s0
        betas = _refit_intercepts(s1 / total, s0 / total, b0)
        centre = b0 if design.mse else float(betas.mean())
        dev = betas - centre
        se_b = float(np.sqrt(design.scale * float(design.rscales @ (dev * dev))))
        lower[k] = expit(b0 - q[k] * se_b)
        upper[k] = expit(b0 + q[k] * se_b)
    return lower, upper


def _refit_intercepts(
    s1: NDArray[np.float64], s0: NDArray[np.float64], start: float
) -> NDArray[np.float64]:
    """R ``glm.fit`` of y ~ 1 (logit link) from ``start`` for many weightings at once.

    ``s1[r]``, ``s0[r]`` are the weighted counts of ones and zeros of weighting r. Each fit
    stops where R's does (|dev - devold| / (|dev| + 0.1) < 1e-8, at most 25 iterations).
    """
    coef = np.full(s1.shape, start)
    mu = np.full(s1.shape, float(expit(start)))
    dev_old = -2.0 * (s1 * np.log(mu) + s0 * np.log1p(-mu))
    active = np.ones(s1.shape, dtype=bool)
    for _ in range(_GLM_MAXIT):
        a = active
        coef[a] = coef[a] + (s1[a] - mu[a] * (s1[a] + s0[a])) / (
            (s1[a] + s0[a]) * mu[a] * (1.0 - mu[a])
        )
        mu[a] = expit(coef[a])
        dev = -2.0 * (s1[a] * np.log(mu[a]) + s0[a] * np.log1p(-mu[a]))
        done = np.abs(dev - dev_old[a]) / (np.abs(dev) + 0.1) < _GLM_EPSILON
        dev_old[a] = dev
        idx = np.flatnonzero(a)
        active[idx[done]] = False
        if not active.any():
            break
    return coef


def _r_logit_linkinv(eta: float) -> float:
    """R's binomial inverse link (C ``logit_linkinv``): saturates beyond |eta| = 30."""
    eps = float(np.finfo(np.float64).eps)
    tmp = eps if eta < -30.0 else (1.0 / eps if eta > 30.0 else float(np.exp(eta)))
    return tmp / (1.0 + tmp)


def fmm_spline(
    x: NDArray[np.float64], y: NDArray[np.float64], xout: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Cubic interpolating spline with Forsythe-Malcolm-Moler end conditions (R ``spline``).

    The end third derivatives match those of the cubics through the four points at each end
    (Forsythe, Malcolm & Moler 1977, *Computer Methods for Mathematical Computations*, sec. 4.4).
    Loops run over the knots (a handful of profile points), never over data rows.
    """
    n = x.shape[0]
    if n < 2:
        raise ValueError("fmm_spline: need at least 2 knots")
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n < 3:
        slope = (y[1] - y[0]) / (x[1] - x[0])
        b[:] = slope
    else:
        d[0] = x[1] - x[0]
        c[1] = (y[1] - y[0]) / d[0]
        for i in range(1, n - 1):
            d[i] = x[i + 1] - x[i]
            b[i] = 2.0 * (d[i - 1] + d[i])
            c[i + 1] = (y[i + 1] - y[i]) / d[i]
            c[i] = c[i + 1] - c[i]
        b[0] = -d[0]
        b[n - 1] = -d[n - 2]
        c[0] = 0.0
        c[n - 1] = 0.0
        if n > 3:
            c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
            c[n - 1] = c[n - 2] / (x[n - 1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
            c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
            c[n - 1] = -c[n - 1] * d[n - 2] * d[n - 2] / (x[n - 1] - x[n - 4])
        for i in range(1, n):
            t = d[i - 1] / b[i - 1]
            b[i] = b[i] - t * d[i - 1]
            c[i] = c[i] - t * c[i - 1]
        c[n - 1] = c[n - 1] / b[n - 1]
        for i in range(n - 2, -1, -1):
            c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
        b[n - 1] = (y[n - 1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[n - 1])
        for i in range(n - 1):
            b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
            d[i] = (c[i + 1] - c[i]) / d[i]
            c[i] = 3.0 * c[i]
        c[n - 1] = 3.0 * c[n - 1]
        d[n - 1] = d[n - 2]
    idx = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, n - 1)
    dx = xout - x[idx]
    return np.asarray(y[idx] + dx * (b[idx] + dx * (c[idx] + dx * d[idx])))


_GLM_EPSILON = 1e-8  # R glm.control() defaults, which svyciprop's svyglm fit uses
_GLM_MAXIT = 25


@dataclass(frozen=True)
class _InterceptFit:
    """An intercept-only logistic IRLS fit as R ``glm.fit`` leaves it."""

    coef: float
    mu: float  # fitted value after the last update
    mu_working: float  # fitted value the last iteration's working weights came from
    deviance: float


def _fit_intercept_logit(big_w: NDArray[np.float64], y: NDArray[np.float64]) -> _InterceptFit:
    """Reproduce R's IRLS for ``glm(y ~ 1, family=quasibinomial, weights=big_w)``.

    Matching R to 1e-8 needs its stopping point (|dev - devold| / (|dev| + 0.1) < 1e-8) and
    the working weights of its last iteration, which enter svyglm's sandwich variance.
    """
    s1 = float(big_w @ y)
    s0 = float(big_w @ (1.0 - y))

    def deviance(mu: float) -> float:
        return -2.0 * (s1 * np.log(mu) + s0 * np.log1p(-mu))

    mu_i = (big_w * y + 0.5) / (big_w + 1.0)
    eta_i = logit(mu_i)
    dev_old = float(-2.0 * (big_w @ (y * np.log(mu_i) + (1.0 - y) * np.log1p(-mu_i))))
    var_i = mu_i * (1.0 - mu_i)
    z = eta_i + (y - mu_i) / var_i
    work = big_w * var_i
    coef = float((work @ z) / work.sum())
    mu_prev = float("nan")
    mu = float(expit(coef))
    dev = deviance(mu)
    iteration = 1
    while abs(dev - dev_old) / (abs(dev) + 0.1) >= _GLM_EPSILON and iteration < _GLM_MAXIT:
        dev_old = dev
        mu_prev = mu
        # With a constant linear predictor the weighted least-squares step is closed form.
        coef = coef + (s1 - mu * (s1 + s0)) / ((s1 + s0) * mu * (1.0 - mu))
        mu = float(expit(coef))
        dev = deviance(mu)
        iteration += 1
    if np.isnan(mu_prev):
        raise DesignError("y: the logistic fit stopped after one step; too few rows")
    return _InterceptFit(coef=coef, mu=mu, mu_working=mu_prev, deviance=dev)


def _likelihood_bounds(
    design: Design,
    y: NDArray[np.float64],
    codes: NDArray[np.intp],
    present: NDArray[np.bool_],
    df: NDArray[np.float64],
    level: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Profile-likelihood limits per domain, following R svyglm + MASS ``profile.glm``."""
    if not isinstance(design, SurveyDesign):
        raise DesignError(
            "method: the likelihood interval is implemented for Taylor designs; use 'logit' or "
            "'beta' with replicate weights"
        )
    if not np.isin(y[present], (0.0, 1.0)).all():
        raise DesignError("y: the likelihood interval needs a 0/1 indicator")
    size = int(codes.max(initial=-1)) + 1
    weights = design.weights
    inside = present & (weights != 0)
    lower = np.empty(size)
    upper = np.empty(size)
    alpha_level = 1.0 - level
    if (np.asarray(df) <= 0).any():
        raise ValueError(
            "df: a domain has no degrees of freedom (one PSU per stratum or fewer); merge "
            "domains or pass df explicitly"
        )
    for k in range(size):
        rows = inside & (codes == k)
        w = weights[rows]
        yy = y[rows]
        n_rows = float(rows.sum())
        s1 = float(w @ yy)
        pk = s1 / float(w.sum())
        if pk <= 0.0 or pk >= 1.0:
            lower[k] = upper[k] = pk
            continue
        # svyglm rescales the weights of the (subset) design to mean 1.
        w_mean = float(w.mean())
        big_w = w / w_mean
        fit = _fit_intercept_logit(big_w, yy)
        mu, mu_w = fit.mu, fit.mu_working
        a_inv = 1.0 / (big_w.sum() * mu_w * (1.0 - mu_w))
        # svyglm sandwich: estfun_i = W_i mu_w (1 - mu_w) (y_i - mu) / (mu (1 - mu)).
        c = mu_w * (1.0 - mu_w) / (mu * (1.0 - mu)) / w_mean
        scores = np.where(inside & (codes == k), (y - mu) * c, 0.0)
        v_coef = a_inv**2 * float(taylor_covariance(design, scores)[0, 0])
        std_err = float(np.sqrt(v_coef))
        if not std_err > 0.0:
            # No design variance (e.g. one row per stratum): the interval is the point.
            lower[k] = upper[k] = pk
            continue
        lam = v_coef / a_inv
        tq = norm_ppf(alpha_level / 2.0) if np.isinf(df[k]) else t_ppf(alpha_level / 2.0, df[k])
        lev = 1.0 - 2.0 * norm_cdf(tq * np.sqrt(lam))
        # summary.svyglm's dispersion: svyvar of the Pearson residuals (y - mu)/sqrt(mu (1 - mu)).
        r = (yy - mu) / np.sqrt(mu * (1.0 - mu))
        r_bar = float(w @ r) / float(w.sum())
        dispersion = float(w @ (r - r_bar) ** 2) / float(w.sum()) * n_rows / (n_rows - 1.0)
        sw1 = float(big_w @ yy)
        sw0 = float(big_w @ (1.0 - yy))

        def deviance(m: float, sw1: float = sw1, sw0: float = sw0) -> float:
            return float(-2.0 * (sw1 * np.log(m) + sw0 * np.log1p(-m)))

        prof_alpha = (1.0 - lev) / 4.0
        zmax = float(np.sqrt(f_ppf(1.0 - prof_alpha, 1, n_rows - 1.0)))
        if not np.isfinite(zmax):
            # The scaled level is 1 to double precision (R: NA, NA): the whole range.
            lower[k], upper[k] = 0.0, 1.0
            continue
        step_size = zmax / 5.0
        xs = [fit.coef]
        zs = [0.0]
        for sgn in (-1.0, 1.0):
            z = 0.0
            step = 1
            while step < 10 and abs(z) < zmax:
                bi = fit.coef + sgn * step * step_size * std_err
                zz = (deviance(_r_logit_linkinv(bi)) - fit.deviance) / dispersion
                z = sgn * float(np.sqrt(max(zz, 0.0)))
                xs.append(bi)
                zs.append(z)
                step += 1
        order = np.argsort(xs, kind="stable")
        bx = np.asarray(xs)[order]
        bz = np.asarray(zs)[order]
        grid = np.linspace(bx[0], bx[-1], 3 * bx.shape[0])
        sz = fmm_spline(bx, bz, grid)
        a = (1.0 - lev) / 2.0
        cut = norm_ppf([a, 1.0 - a])
        srt = np.argsort(sz, kind="stable")
        lo_hi = np.interp(cut, sz[srt], grid[srt], left=np.nan, right=np.nan)
        # A side whose profile never reaches the cut-off (R: NA) extends to the boundary.
        lower[k] = 0.0 if np.isnan(lo_hi[0]) else expit(lo_hi[0])
        upper[k] = 1.0 if np.isnan(lo_hi[1]) else expit(lo_hi[1])
    return lower, upper
