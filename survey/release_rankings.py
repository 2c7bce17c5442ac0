"""Rank intervals from a release's stored estimates and standard errors.

A release stores rank intervals for agencies only (:func:`analysis.comparisons.rank_domains` on
the agency table, with the design covariance). Its other domains (provinces) carry estimates and
SEs but no ranking, and the stored, hashed results must not change; so the public site ranks
them here, from the stored figures alone:

    theta*_g ~ N(estimate_g, se_g^2), independently, b = 1..B draws with a fixed seed,

rank each draw (1 = highest), and take the central ``level`` interval of each domain's simulated
ranks (Goldstein & Spiegelhalter 1996; the same simulation as ``rank_domains``, without the
covariance between domains, which the stored results do not keep: domains that cut across
strata are close to independent, and ignoring a positive covariance only widens the intervals).
Tiers follow :class:`analysis.comparisons.Ranking`: a tier opens at the best domain not yet
placed and takes the next ones up to the first whose best rank is worse than the opener's worst.
Same inputs, same seed, same intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

RANK_DRAWS = 4000
RANK_SEED = 20240601


@dataclass(frozen=True)
class RankInterval:
    """One ranked domain, best first."""

    domain: str
    estimate: float
    se: float
    rank: int
    rank_lower: int
    rank_upper: int
    tier: int


def _tiers(lower: NDArray[np.int64], upper: NDArray[np.int64]) -> NDArray[np.int64]:
    # A loop over tiers (each opener depends on the previous tier), not over rows.
    tier = np.empty(lower.shape[0], dtype=np.int64)
    start, number = 0, 1
    while start < lower.shape[0]:
        joins = np.flatnonzero(lower[start:] > upper[start])
        stop = start + (int(joins[0]) if joins.size else lower.shape[0] - start)
        tier[start:stop] = number
        start, number = stop, number + 1
    return tier


def rank_estimates(
    domains: Sequence[str],
    estimate: Sequence[float],
    se: Sequence[float],
    *,
    level: float = 0.95,
    n_draws: int = RANK_DRAWS,
    seed: int = RANK_SEED,
) -> list[RankInterval]:
    """Rank ``domains`` on ``estimate`` (highest first) with simulated rank intervals.

    Parameters
    ----------
    domains, estimate, se
        One entry per domain; domains without a finite estimate and SE must be left out by the
        caller (a suppressed domain is scored nowhere, so it is not ranked).
    level
        Coverage of the rank intervals.
    n_draws, seed
        Draws from the normal approximation and the seed of ``numpy.random.default_rng``.

    Returns
    -------
    list of RankInterval
        Best first; ties in the estimate are broken by the domain's name so the order does not
        depend on the stored order.
    """
    est = np.asarray(estimate, dtype=np.float64)
    sd = np.asarray(se, dtype=np.float64)
    names = np.asarray(list(domains), dtype=str)
    if not (est.shape == sd.shape == names.shape):
        raise ValueError("domains, estimate and se must have the same length")
    if est.size == 0:
        return []
    if not (np.all(np.isfinite(est)) and np.all(np.isfinite(sd)) and np.all(sd >= 0)):
        raise ValueError("every ranked domain needs a finite estimate and a non-negative SE")
    order = np.lexsort((names, -est))
    est, sd, names = est[order], sd[order], names[order]
    rng = np.random.default_rng(seed)
    draws = est + rng.standard_normal((n_draws, est.size)) * sd
    simulated = np.empty(draws.shape, dtype=np.int64)
    by_draw = np.argsort(-draws, axis=1, kind="stable")
    np.put_along_axis(simulated, by_draw, np.arange(1, est.size + 1)[None, :], axis=1)
    alpha = 1.0 - level
    lower = np.quantile(simulated, alpha / 2.0, axis=0, method="lower").astype(np.int64)
    upper = np.quantile(simulated, 1.0 - alpha / 2.0, axis=0, method="higher").astype(np.int64)
    tier = _tiers(lower, upper)
    return [
        RankInterval(
            domain=str(names[i]),
            estimate=float(est[i]),
            se=float(sd[i]),
            rank=i + 1,
            rank_lower=int(lower[i]),
            rank_upper=int(upper[i]),
            tier=int(tier[i]),
        )
        for i in range(est.size)
    ]
