"""Quantiles and tail probabilities of the t, normal, beta and F distributions.

The values of ``scipy.stats.t.ppf``, ``t.sf``, ``norm.ppf``, ``norm.cdf``, ``beta.ppf`` and
``f.ppf``, taken from the ``scipy.special`` functions those methods call (``stdtrit``,
``stdtr``, ``ndtri``, ``ndtr``, ``betaincinv``, ``fdtri``), with scipy.stats' conventions at
the edges: NaN for a probability outside [0, 1] or a non-positive parameter, the support's
bounds at probabilities 0 and 1 (``stdtrit`` alone gives +inf at both). Importing
``scipy.stats`` costs about 0.6 s of CPU, most of ``sipas analyze``'s start-up, for these few
functions; ``scipy.special`` is loaded anyway. ``tests/analysis/test_distributions.py`` checks
them against scipy.stats over a grid.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["beta_ppf", "f_ppf", "norm_cdf", "norm_ppf", "t_ppf", "t_sf"]


def _with_edges(
    values: NDArray[np.float64],
    q: NDArray[np.float64],
    valid: NDArray[np.bool_] | bool,
    lower: float,
    upper: float,
) -> NDArray[np.float64]:
    """scipy.stats' ``ppf`` conventions around the special function's ``values``."""
    out = np.where(valid & (q > 0) & (q < 1), values, np.nan)
    out = np.where(valid & (q == 0), lower, out)
    out = np.where(valid & (q == 1), upper, out)
    return np.asarray(out, dtype=np.float64)


def t_ppf(q: ArrayLike, df: ArrayLike) -> NDArray[np.float64]:
    """Student t quantile t_df(q) (``scipy.stats.t.ppf``); ``df = inf`` gives the normal one."""
    qv, dfv = np.broadcast_arrays(np.asarray(q, dtype=np.float64), np.asarray(df, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        values = special.stdtrit(dfv, qv)
    return _with_edges(values, qv, dfv > 0, -np.inf, np.inf)


def t_sf(x: ArrayLike, df: ArrayLike) -> NDArray[np.float64]:
    """Upper tail P(T_df > x) (``scipy.stats.t.sf``)."""
    xv, dfv = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(df, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        values = special.stdtr(dfv, -xv)
    return np.asarray(np.where(dfv > 0, values, np.nan), dtype=np.float64)


def norm_ppf(q: ArrayLike) -> NDArray[np.float64]:
    """Standard normal quantile Phi^-1(q) (``scipy.stats.norm.ppf``)."""
    qv = np.asarray(q, dtype=np.float64)
    return _with_edges(special.ndtri(qv), qv, True, -np.inf, np.inf)


def norm_cdf(x: ArrayLike) -> NDArray[np.float64]:
    """Standard normal distribution function Phi(x) (``scipy.stats.norm.cdf``)."""
    return np.asarray(special.ndtr(np.asarray(x, dtype=np.float64)), dtype=np.float64)


def beta_ppf(q: ArrayLike, a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Quantile of Beta(a, b): the inverse regularised incomplete beta function I_q^-1(a, b)
    (``scipy.stats.beta.ppf``)."""
    qv, av, bv = np.broadcast_arrays(
        np.asarray(q, dtype=np.float64),
        np.asarray(a, dtype=np.float64),
        np.asarray(b, dtype=np.float64),
    )
    valid = (av > 0) & (bv > 0)
    with np.errstate(invalid="ignore"):
        values = special.betaincinv(np.where(valid, av, 1.0), np.where(valid, bv, 1.0), qv)
    return _with_edges(values, qv, valid, 0.0, 1.0)


def f_ppf(q: ArrayLike, dfn: ArrayLike, dfd: ArrayLike) -> NDArray[np.float64]:
    """Quantile of the F(dfn, dfd) distribution (``scipy.stats.f.ppf``)."""
    qv, nv, dv = np.broadcast_arrays(
        np.asarray(q, dtype=np.float64),
        np.asarray(dfn, dtype=np.float64),
        np.asarray(dfd, dtype=np.float64),
    )
    valid = (nv > 0) & (dv > 0)
    with np.errstate(invalid="ignore"):
        values = special.fdtri(np.where(valid, nv, 1.0), np.where(valid, dv, 1.0), qv)
    return _with_edges(values, qv, valid, 0.0, np.inf)
