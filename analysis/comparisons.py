"""Differences between domains or survey rounds, and rankings of agencies with uncertainty.

* :func:`compare_domains` - two domains of the same survey (e.g. two agencies). The SE of the
  difference uses their covariance under the design (non-zero when they share PSUs or strata):
  Var(d1 - d2) = V11 + V22 - 2 V12 (Lumley 2010, sec. 3.4, ``svycontrast``), with a Student t test
  on the PSUs-minus-strata df of the two domains' rows.
* :func:`compare_independent` / :func:`compare_rounds` - two independent samples (two survey
  rounds): Var = V1 + V2 with Welch-Satterthwaite df.
* :func:`rank_domains` - ranks with uncertainty. Estimates are drawn from their joint normal
  approximation N(estimate, Cov) (seeded ``numpy.random.Generator``); each draw is ranked; the rank
  interval of a domain is the central ``level`` range of its simulated ranks (Goldstein &
  Spiegelhalter 1996; Marshall & Spiegelhalter 1998). Tiers group domains whose rank intervals do
  not separate, so no agency is put last on noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from analysis.indices import IndexTable

__all__ = [
    "Difference",
    "Ranking",
    "compare_domains",
    "compare_independent",
    "compare_rounds",
    "rank_domains",
]


@dataclass(frozen=True)
class Difference:
    """Difference ``first - second`` with its SE, t test and confidence interval."""

    estimate: float
    se: float
    df: float
    statistic: float
    p_value: float
    ci_lower: float
    ci_upper: float
    level: float


def _difference(estimate: float, variance: float, df: float, level: float) -> Difference:
    se = float(np.sqrt(max(variance, 0.0)))
    quantile = float(stats.t.ppf(0.5 + level / 2.0, df))
    if se > 0:
        statistic = estimate / se
        p_value = float(2.0 * stats.t.sf(abs(statistic), df))
    else:
        statistic = float("nan")
        p_value = float("nan")
    return Difference(
        estimate=float(estimate),
        se=se,
        df=float(df),
        statistic=float(statistic),
        p_value=p_value,
        ci_lower=float(estimate - quantile * se),
        ci_upper=float(estimate + quantile * se),
        level=level,
    )


def compare_domains(
    table: IndexTable, node: str, first: object, second: object, *, level: float = 0.95
) -> Difference:
    """Difference of ``node`` between two domains of the same survey.

    Parameters
    ----------
    table : IndexTable
        From :func:`analysis.indices.estimate_indices` with the domains compared.
    node : str
        ``"overall"``, an element code or a criterion code.
    first, second : domain labels
    level : float

    Returns
    -------
    Difference
        SE from V11 + V22 - 2 V12 with the design covariance of the two domains; t test with
        df = PSUs minus strata among the two domains' rows.
    """
    i, k = table.domain_index(first), table.domain_index(second)
    j = table.node_index(node)
    cov = table.domain_covariance(node, [i, k])
    variance = cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]
    estimate = table.estimate[i, j] - table.estimate[k, j]
    return _difference(float(estimate), float(variance), table.pooled_df([i, k]), level)


def compare_independent(
    estimate_1: float,
    se_1: float,
    df_1: float,
    estimate_2: float,
    se_2: float,
    df_2: float,
    *,
    level: float = 0.95,
) -> Difference:
    """Difference ``estimate_1 - estimate_2`` of two independent samples.

    Var = se_1^2 + se_2^2; df by Welch-Satterthwaite, (v1 + v2)^2 / (v1^2/df_1 + v2^2/df_2)
    (Satterthwaite 1946).
    """
    v1, v2 = se_1**2, se_2**2
    denominator = v1**2 / df_1 + v2**2 / df_2
    df = (v1 + v2) ** 2 / denominator if denominator > 0 else min(df_1, df_2)
    return _difference(estimate_1 - estimate_2, v1 + v2, df, level)


def compare_rounds(
    later: IndexTable,
    earlier: IndexTable,
    node: str,
    domain: object = "all",
    *,
    level: float = 0.95,
) -> Difference:
    """Change of ``node`` in ``domain`` between two independent rounds: later - earlier."""
    i, k = later.domain_index(domain), earlier.domain_index(domain)
    j1, j2 = later.node_index(node), earlier.node_index(node)
    return compare_independent(
        float(later.estimate[i, j1]),
        float(later.se[i, j1]),
        float(later.df[i]),
        float(earlier.estimate[k, j2]),
        float(earlier.se[k, j2]),
        float(earlier.df[k]),
        level=level,
    )


@dataclass(frozen=True)
class Ranking:
    """Domains ranked on one node, best (highest) first.

    Attributes
    ----------
    domains : ndarray, shape (D,)
        Domain labels, by decreasing estimate.
    estimate, se : ndarray, shape (D,)
    rank : ndarray of int
        1 for the highest point estimate.
    rank_lower, rank_upper : ndarray of int
        The central ``level`` interval of the simulated ranks.
    tier : ndarray of int
        1 for the top tier. A tier opens at the best domain not yet placed and takes the next
        domains, in order of estimate, up to the first one whose rank interval is separated from
        the opener's (its best rank is worse than the opener's worst rank), which opens the next.
    prob_first : ndarray
        Share of draws in which the domain ranks first.
    """

    node: str
    domains: NDArray[np.generic]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    rank: NDArray[np.int64]
    rank_lower: NDArray[np.int64]
    rank_upper: NDArray[np.int64]
    tier: NDArray[np.int64]
    prob_first: NDArray[np.float64]
    level: float
    n_draws: int
    seed: int


def rank_domains(
    table: IndexTable,
    node: str = "overall",
    *,
    level: float = 0.95,
    n_draws: int = 4000,
    seed: int = 20240601,
    include: ArrayLike | None = None,
) -> Ranking:
    """Rank the domains of ``table`` on ``node`` with rank intervals and tiers.

    Parameters
    ----------
    table : IndexTable
    node : str
    level : float
        Coverage of the rank intervals.
    n_draws : int
        Draws from N(estimate, Cov); 4,000 keeps the Monte Carlo error of a 95% rank bound small.
    seed : int
        Seed of ``numpy.random.default_rng`` so a published ranking can be reproduced.
    include : array_like of bool, shape (G,), optional
        Domains to rank (e.g. those not suppressed); domains without an estimate are always left
        out.

    Returns
    -------
    Ranking
    """
    j = table.node_index(node)
    keep = np.isfinite(table.estimate[:, j]) & np.isfinite(table.se[:, j])
    if include is not None:
        keep &= np.asarray(include, dtype=bool)
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        raise ValueError(f"node {node!r}: no domain has an estimate to rank")
    est = table.estimate[rows, j]
    order = np.argsort(-est, kind="stable")
    rows, est = rows[order], est[order]
    cov = table.domain_covariance(node, rows)
    rng = np.random.default_rng(seed)
    draws = rng.standard_normal((n_draws, rows.size))
    off_diagonal = cov - np.diag(np.diag(cov))
    if np.any(off_diagonal != 0):
        # eigh tolerates the semi-definite matrices that domains sharing PSUs can give.
        values, vectors = np.linalg.eigh(cov)
        draws = draws @ (vectors * np.sqrt(np.clip(values, 0.0, None))).T
    else:
        draws = draws * np.sqrt(np.clip(np.diag(cov), 0.0, None))
    draws += est
    # Rank 1 = highest; ties (identical draws) share the better rank via stable ordering.
    simulated = np.empty(draws.shape, dtype=np.int64)
    by_draw = np.argsort(-draws, axis=1, kind="stable")
    np.put_along_axis(simulated, by_draw, np.arange(1, rows.size + 1)[None, :], axis=1)
    alpha = 1.0 - level
    lower = np.quantile(simulated, alpha / 2.0, axis=0, method="lower").astype(np.int64)
    upper = np.quantile(simulated, 1.0 - alpha / 2.0, axis=0, method="higher").astype(np.int64)
    tier = _tiers(lower, upper)
    return Ranking(
        node=node,
        domains=table.domains[rows],
        estimate=est,
        se=table.se[rows, j],
        rank=np.arange(1, rows.size + 1, dtype=np.int64),
        rank_lower=lower,
        rank_upper=upper,
        tier=tier,
        prob_first=(simulated == 1).mean(axis=0),
        level=level,
        n_draws=n_draws,
        seed=seed,
    )


def _tiers(lower: NDArray[np.int64], upper: NDArray[np.int64]) -> NDArray[np.int64]:
    """Tier numbers for domains sorted best first (see :class:`Ranking`).

    Tiers are sequential by construction (each opener depends on the previous tier), so this is
    a loop over tiers, not over rows of data.
    """
    tier = np.empty(lower.shape[0], dtype=np.int64)
    start, number = 0, 1
    while start < lower.shape[0]:
        joins = np.flatnonzero(lower[start:] > upper[start])
        stop = start + (int(joins[0]) if joins.size else lower.shape[0] - start)
        tier[start:stop] = number
        start, number = stop, number + 1
    return tier
