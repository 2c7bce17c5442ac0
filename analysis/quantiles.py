"""Design-based quantiles with Woodruff confidence intervals (R ``svyquantile``, survey >= 4.1).

A quantile is read off the weighted distribution function with one of three rules, and its
interval comes from an interval for the distribution function at the estimate, mapped back
through the same rule (Woodruff 1952, *JASA* 47, 635-646; Lumley 2010, sec. 2.4.2):

1. q_hat = Q(p), F_hat(q_hat) = weighted share of rows with y <= q_hat (a proportion, with its
   design variance);
2. [F_L, F_U] = a proportion interval for F_hat(q_hat) (``mean``: F_hat +/- t_df se);
3. [Q(F_L), Q(F_U)]; se = (upper - lower) / (2 t_df).

Rules (Hyndman & Fan 1996, *Am. Stat.* 50, 361-365, with weights as R):

``math`` (hf1)
    the smallest y whose cumulative weight share reaches p;
``school`` (hf2)
    as ``math`` but the average of the two neighbours when the share equals p exactly;
``hf7``
    linear interpolation of y against p_k = C_{k-1} / C_{n-1} (C the cumulative weights of
    the sorted values), which is R's ``quantile(type=7)`` for equal weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.design import DesignError, SurveyDesign
from analysis.estimators import critical_value, estimate_mean, make_domains
from analysis.intervals import proportion_interval_bounds

QuantileRule = Literal["math", "school", "hf7"]
WoodruffMethod = Literal["mean", "beta", "xlogit", "asin"]


@dataclass(frozen=True)
class QuantileEstimate:
    """Quantiles with Woodruff intervals.

    Attributes
    ----------
    probabilities : ndarray, shape (m,)
    estimate, lower, upper, se : ndarray, shape (m,)
    rule : QuantileRule
    level : float
    df : float
    """

    probabilities: NDArray[np.float64]
    estimate: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    se: NDArray[np.float64]
    rule: QuantileRule
    level: float
    df: float


@dataclass(frozen=True)
class _Sorted:
    values: NDArray[np.float64]
    cumw: NDArray[np.float64]
    total: float


def _sorted(y: NDArray[np.float64], w: NDArray[np.float64]) -> _Sorted:
    keep = w != 0
    order = np.argsort(y[keep], kind="stable")
    ws = w[keep][order]
    # R accumulates cumsum and sum in long double; doing the same keeps ties with p*W exact.
    cumw = np.cumsum(ws.astype(np.longdouble)).astype(np.float64)
    total = float(np.sum(ws, dtype=np.longdouble))
    return _Sorted(values=y[keep][order], cumw=cumw, total=total)


def _quantile(s: _Sorted, p: float, rule: QuantileRule) -> float:
    n = s.values.shape[0]
    if n == 1:
        return float(s.values[0])
    if rule == "hf7":
        pk = np.concatenate([[0.0], s.cumw[:-1]]) / s.cumw[n - 2]
        return float(np.interp(p, pk, s.values))
    below = np.flatnonzero(s.cumw <= p * s.total)
    pos = int(below[-1]) if below.size else 0
    nxt = pos if pos == n - 1 else pos + 1
    at_boundary = p - s.cumw[pos] / s.total == 0
    if rule == "math":
        return float(s.values[pos] if at_boundary else s.values[nxt])
    if rule == "school":
        return float((s.values[pos] + s.values[nxt]) / 2 if at_boundary else s.values[nxt])
    raise ValueError(f"rule: {rule!r} is not one of math, school, hf7")


def weighted_quantile(
    y: ArrayLike, weights: ArrayLike, p: float, *, rule: QuantileRule = "math"
) -> float:
    """The p-quantile of y under weights, by ``rule`` (see the module docstring)."""
    yv = np.asarray(y, dtype=np.float64)
    wv = np.asarray(weights, dtype=np.float64)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p: {p} must be in [0, 1]")
    if yv.shape != wv.shape or not (wv > 0).any():
        raise DesignError("weights: need one weight per value and at least one positive weight")
    return _quantile(_sorted(yv, wv), p, rule)


def estimate_quantiles(
    design: SurveyDesign,
    y: ArrayLike,
    probabilities: ArrayLike,
    *,
    rule: QuantileRule = "math",
    level: float = 0.95,
    method: WoodruffMethod = "mean",
    df: float | None = None,
) -> QuantileEstimate:
    """Quantiles of y with Woodruff intervals (R ``svyquantile(..., ci=TRUE)``).

    Parameters
    ----------
    design : SurveyDesign
    y : array_like, shape (n,)
        No missing values (subset the design first).
    probabilities : array_like
        Probabilities in [0, 1].
    rule : {"math", "school", "hf7"}
    level : float
    method : {"mean", "beta", "xlogit", "asin"}
        Interval for the distribution function (R ``interval.type``); its limits are kept in
        [0, 1] (R returns NaN when a ``mean`` limit leaves [0, 1]).
    df : float, optional
        Degrees of freedom; default the design's.

    Returns
    -------
    QuantileEstimate
    """
    yv = np.asarray(y, dtype=np.float64)
    if yv.shape != (design.n,) or np.isnan(yv).any():
        raise DesignError(
            "y: needs one non-missing value per row of the design; subset the design to the "
            "rows with a value first"
        )
    probs = np.atleast_1d(np.asarray(probabilities, dtype=np.float64))
    s = _sorted(yv, design.weights)
    dfv = float(design.df if df is None else df)
    q_crit = critical_value(level, dfv)
    estimate = np.array([_quantile(s, float(p), rule) for p in probs])
    # One design-based proportion per quantile: the share of rows at or below it.
    shares = [estimate_mean(design, (yv <= q).astype(np.float64), deff=None) for q in estimate]
    f_hat = np.array([e.estimate[0] for e in shares])
    f_var = np.array([e.variance[0] for e in shares])
    f_lo, f_hi = proportion_interval_bounds(
        f_hat,
        f_var,
        method=method,
        df=np.full(probs.shape, dfv),
        n=np.full(probs.shape, design.n),
        level=level,
    )
    lower = np.array([_quantile(s, float(p), rule) for p in f_lo])
    upper = np.array([_quantile(s, float(p), rule) for p in f_hi])
    return QuantileEstimate(
        probabilities=probs,
        estimate=estimate,
        lower=lower,
        upper=upper,
        se=(upper - lower) / (2.0 * q_crit),
        rule=rule,
        level=level,
        df=dfv,
    )


@dataclass(frozen=True)
class DomainQuantiles:
    """Quantiles by domain with Woodruff intervals, one row per domain.

    Attributes
    ----------
    labels : tuple of ndarray, each shape (G,)
        Domain labels, one array per ``by`` column (as :class:`analysis.estimators.Domains`).
    probabilities : ndarray, shape (m,)
    estimate, lower, upper, se : ndarray, shape (G, m)
    df : ndarray, shape (G,)
        PSUs minus strata among the domain's rows (R ``degf`` of the domain's subset).
    n_obs : ndarray of int, shape (G,)
        Rows in the domain with a value and non-zero weight.
    rule : QuantileRule
    level : float
    """

    labels: tuple[NDArray[np.generic], ...]
    probabilities: NDArray[np.float64]
    estimate: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    se: NDArray[np.float64]
    df: NDArray[np.float64]
    n_obs: NDArray[np.int64]
    rule: QuantileRule
    level: float


def estimate_quantiles_by(
    design: SurveyDesign,
    y: ArrayLike,
    by: ArrayLike | Sequence[ArrayLike],
    probabilities: ArrayLike,
    *,
    rule: QuantileRule = "math",
    level: float = 0.95,
    method: WoodruffMethod = "mean",
    na_rm: bool = False,
) -> DomainQuantiles:
    """Quantiles of y in each domain (R ``svyby(~y, ~by, design, svyquantile, ci=TRUE)``).

    Domains may cut across PSUs and strata: the whole design is kept, the quantile is read
    off the domain's rows and the variance of F_hat(q_hat) is the domain estimate of the
    share at or below q_hat (zero score outside the domain, R's subset with its PSU counts
    kept), so two-stage and calibrated designs work as in :func:`estimate_quantiles`.

    Parameters
    ----------
    design : SurveyDesign
    y : array_like, shape (n,)
    by : array_like or sequence of array_like
        Domain column(s).
    probabilities : array_like
    rule, level, method
        As :func:`estimate_quantiles` (interval limits kept in [0, 1]; R gives NaN when a
        ``mean`` limit leaves [0, 1]).
    na_rm : bool
        Leave rows with a missing y out of every domain instead of raising.

    Returns
    -------
    DomainQuantiles
    """
    yv = np.asarray(y, dtype=np.float64)
    if yv.shape != (design.n,):
        raise DesignError(f"y: has shape {yv.shape}; give one value per row ({design.n})")
    missing = np.isnan(yv)
    if missing.any() and not na_rm:
        row = int(np.flatnonzero(missing)[0])
        raise DesignError(
            f"y: row {row} is missing; pass na_rm=True to leave missing rows out of the domains"
        )
    probs = np.atleast_1d(np.asarray(probabilities, dtype=np.float64))
    if ((probs < 0) | (probs > 1)).any():
        raise DesignError("probabilities: every probability must be in [0, 1]")
    domains = make_domains(design.n, by)
    size = domains.size
    # Rows without a value form an extra domain that is estimated and then dropped.
    codes = np.where(missing, size, domains.codes)
    inside = [(codes == g) & (design.weights != 0) for g in range(size)]
    if not all(mask.any() for mask in inside):
        raise DesignError("by: a domain has no row with a value and a positive weight")
    sorted_by = [_sorted(yv[mask], design.weights[mask]) for mask in inside]
    estimate = np.array([[_quantile(s, float(p), rule) for p in probs] for s in sorted_by])
    lower = np.empty_like(estimate)
    upper = np.empty_like(estimate)
    y_filled = np.where(missing, 0.0, yv)
    dfv = np.zeros(size)
    n_obs = np.array([int(mask.sum()) for mask in inside], dtype=np.int64)
    for j in range(probs.shape[0]):
        # Each row is compared with its own domain's quantile.
        q_row = np.append(estimate[:, j], 0.0)[codes]
        share = estimate_mean(design, (y_filled <= q_row).astype(np.float64), by=codes, deff=None)
        keep = np.asarray(share.labels[0], dtype=np.intp) < size
        f_hat = share.estimate[keep]
        f_var = share.variance[keep]
        dfv = share.domain_df[keep].astype(np.float64)
        f_lo, f_hi = proportion_interval_bounds(
            f_hat, f_var, method=method, df=dfv, n=n_obs, level=level
        )
        for g, s in enumerate(sorted_by):
            lower[g, j] = _quantile(s, float(f_lo[g]), rule)
            upper[g, j] = _quantile(s, float(f_hi[g]), rule)
    crit = np.array([critical_value(level, float(d)) for d in dfv])
    se = (upper - lower) / (2.0 * crit[:, None])
    return DomainQuantiles(
        labels=domains.labels,
        probabilities=probs,
        estimate=estimate,
        lower=lower,
        upper=upper,
        se=se,
        df=dfv,
        n_obs=n_obs,
        rule=rule,
        level=level,
    )
