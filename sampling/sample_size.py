"""Sample sizes for estimating a proportion (e.g. the share of people satisfied).

For a margin of error ``e`` at confidence ``1 - alpha`` and an anticipated proportion ``p``
(Cochran 1977, §4.4, eqs. 4.2 and 4.3)::

    n0 = z^2 p (1 - p) / e^2                 z = Phi^{-1}(1 - alpha / 2)
    n  = n0 / (1 + (n0 - 1) / N)             finite population correction

then ``n`` is multiplied by the design effect (Kish 1965, §8.2) and divided by the expected
response rate to give the number of units to *issue*; both are rounded up. With ``p = 0.5`` the
result is the most conservative. The fpc form is the exact inverse of the SRSWOR variance
``V(p_hat) = p (1 - p) / n * (N - n) / (N - 1)`` (Cochran 1977, eq. 3.8), which
:mod:`sampling.allocation` uses for precision previews, so the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from sampling.errors import DesignError
from sampling.reproducibility import readonly

__all__ = [
    "DomainSampleSizes",
    "SampleSize",
    "sample_size_by_domain",
    "sample_size_proportion",
    "sample_size_yamane",
    "z_value",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Guards ceil() against values like 385.00000000000006 that are 385 up to rounding error.
_CEIL_TOLERANCE = 1e-9


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile ``Phi^{-1}(1 - (1 - confidence) / 2)``."""
    if not 0.0 < confidence < 1.0:
        raise DesignError(
            f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence}",
            loc=("confidence",),
        )
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _check_inputs(margin: float, p: ArrayLike, deff: float, response_rate: float) -> FloatArray:
    if not 0.0 < margin < 1.0:
        raise DesignError(
            f"margin must be a proportion between 0 and 1 (e.g. 0.05 for ±5 points), got {margin}",
            loc=("margin",),
        )
    p_arr = np.asarray(p, dtype=np.float64)
    if np.any((p_arr <= 0.0) | (p_arr >= 1.0)) or not np.all(np.isfinite(p_arr)):
        raise DesignError(
            "p must be strictly between 0 and 1 (use 0.5 when nothing is known)", loc=("p",)
        )
    if not deff > 0.0:
        raise DesignError(f"deff must be positive (1 for SRS), got {deff}", loc=("deff",))
    if not 0.0 < response_rate <= 1.0:
        raise DesignError(
            f"response_rate must be in (0, 1] (e.g. 0.6), got {response_rate}",
            loc=("response_rate",),
        )
    return p_arr


def _ceil(x: FloatArray) -> IntArray:
    return np.ceil(x - _CEIL_TOLERANCE).astype(np.int64)


@dataclass(frozen=True)
class SampleSize:
    """Sample size for one population.

    Attributes
    ----------
    n0
        Infinite-population size ``z^2 p (1 - p) / e^2``.
    n_fpc
        After the finite population correction (equal to ``n0`` when ``N`` is None).
    n_respondents
        Completed interviews needed: ``ceil(n_fpc * deff)``, at most ``N``.
    n_issued
        Units to select: ``ceil(n_fpc * deff / response_rate)``, at most ``N``.
    take_all
        True when the cap at ``N`` applied (a census of the population is needed).
    """

    n0: float
    n_fpc: float
    n_respondents: int
    n_issued: int
    take_all: bool
    margin: float
    confidence: float
    p: float
    deff: float
    response_rate: float
    population: int | None


def _sizes(
    margin: float,
    p: FloatArray,
    population: FloatArray | None,
    confidence: float,
    deff: float,
    response_rate: float,
) -> tuple[FloatArray, FloatArray, IntArray, IntArray, NDArray[np.bool_]]:
    z = z_value(confidence)
    n0 = z**2 * p * (1.0 - p) / margin**2
    n_fpc = n0 if population is None else n0 / (1.0 + (n0 - 1.0) / population)
    respondents = _ceil(np.asarray(n_fpc * deff, dtype=np.float64))
    issued = _ceil(np.asarray(n_fpc * deff / response_rate, dtype=np.float64))
    if population is None:
        return n0, n_fpc, respondents, issued, np.zeros(issued.shape, dtype=bool)
    cap = population.astype(np.int64)
    take_all = issued >= cap
    return n0, n_fpc, np.minimum(respondents, cap), np.minimum(issued, cap), take_all


def _check_population(population: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(population, dtype=np.float64)
    if np.any(arr < 1) or not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)):
        raise DesignError(
            f"{name} must hold whole numbers of at least 1 (units in the frame)", loc=(name,)
        )
    return arr


def sample_size_proportion(
    margin: float,
    *,
    p: float = 0.5,
    confidence: float = 0.95,
    population: int | None = None,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> SampleSize:
    """Sample size to estimate a proportion within ``±margin`` (Cochran 1977, §4.4).

    Parameters
    ----------
    margin
        Target half-width of the confidence interval, as a proportion (0.05 = ±5 points).
    p
        Anticipated proportion; 0.5 is the most conservative.
    confidence
        Confidence level of the interval.
    population
        Population size ``N`` for the finite population correction; None for none.
    deff
        Anticipated design effect (Kish 1965, §8.2).
    response_rate
        Expected share of selected units that respond.

    Returns
    -------
    SampleSize

    Examples
    --------
    >>> sample_size_proportion(0.05).n_respondents
    385
    """
    p_arr = _check_inputs(margin, p, deff, response_rate)
    pop = None if population is None else _check_population(population, "population")
    n0, n_fpc, resp, issued, take_all = _sizes(margin, p_arr, pop, confidence, deff, response_rate)
    return SampleSize(
        n0=float(n0),
        n_fpc=float(n_fpc),
        n_respondents=int(resp),
        n_issued=int(issued),
        take_all=bool(take_all),
        margin=margin,
        confidence=confidence,
        p=float(p),
        deff=deff,
        response_rate=response_rate,
        population=None if population is None else int(population),
    )


# Yamane's rule is Cochran's with z^2 p (1 - p) = 1, i.e. p = 0.5 and z = 2.
_YAMANE_Z = 2.0


def sample_size_yamane(
    population: int,
    margin: float,
    *,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> SampleSize:
    """Sample size by Yamane's rule ``n = N / (1 + N e^2)`` (MoHA's legacy SIPAS rule).

    Yamane, T. (1967), *Statistics: An Introductory Analysis*, 2nd ed., Harper & Row, p. 886.
    It is Cochran's size for p = 0.5 at z = 2 (confidence 95.45%, not 95%), n0 = 1 / e^2,
    with the correction n0 / (1 + n0 / N) instead of Cochran's n0 / (1 + (n0 - 1) / N), so
    it is never larger than :func:`sample_size_proportion` at p = 0.5 and 95.45%. It knows
    nothing of the design: ``deff`` and ``response_rate`` are applied after it as there.

    Parameters
    ----------
    population
        Population size N (whole number, at least 1).
    margin
        e, the target half-width as a proportion (0.05 = ±5 points).
    deff, response_rate
        As :func:`sample_size_proportion`.

    Examples
    --------
    >>> sample_size_yamane(10_000, 0.05).n_respondents
    385
    """
    _check_inputs(margin, 0.5, deff, response_rate)
    pop = _check_population(population, "population")
    n0 = 1.0 / margin**2
    n_fpc = float(pop) / (1.0 + float(pop) * margin**2)
    cap = int(pop)
    respondents = int(_ceil(np.asarray(n_fpc * deff)))
    issued = int(_ceil(np.asarray(n_fpc * deff / response_rate)))
    return SampleSize(
        n0=n0,
        n_fpc=n_fpc,
        n_respondents=min(respondents, cap),
        n_issued=min(issued, cap),
        take_all=issued >= cap,
        margin=margin,
        confidence=float(2.0 * stats.norm.cdf(_YAMANE_Z) - 1.0),
        p=0.5,
        deff=deff,
        response_rate=response_rate,
        population=cap,
    )


@dataclass(frozen=True)
class DomainSampleSizes:
    """Sample sizes that give every domain (e.g. every agency) its own margin of error.

    Attributes
    ----------
    domain
        Domain labels as given.
    population
        ``N_d`` per domain.
    n_respondents, n_issued, take_all
        Per domain, as in :class:`SampleSize`.
    total_respondents, total_issued
        Sums over domains: the sample needed for *every* domain to reach the margin.
    overall
        The size needed for the margin on the whole population only, for comparison.
    """

    domain: NDArray[Any]
    population: IntArray
    n_respondents: IntArray
    n_issued: IntArray
    take_all: NDArray[np.bool_]
    total_respondents: int
    total_issued: int
    overall: SampleSize


def sample_size_by_domain(
    margin: float,
    domain: ArrayLike,
    population: ArrayLike,
    *,
    p: ArrayLike = 0.5,
    confidence: float = 0.95,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> DomainSampleSizes:
    """Per-domain and total sample sizes for a proportion (Cochran 1977, §4.4, per domain).

    Each domain is treated as its own population: ``n_d`` from :func:`sample_size_proportion`
    with ``N = N_d`` and the domain's anticipated ``p_d``. Their sum is what a survey needs for
    every domain to reach ``margin``; ``overall`` is the (much smaller) size for the total alone.

    Parameters
    ----------
    margin, confidence, deff, response_rate
        As in :func:`sample_size_proportion`.
    domain
        Domain labels, one per domain.
    population
        ``N_d``, one per domain.
    p
        Anticipated proportion: one value or one per domain.

    Returns
    -------
    DomainSampleSizes
    """
    labels = np.asarray(domain)
    pop = _check_population(population, "population")
    if labels.shape != pop.shape or labels.ndim != 1:
        raise DesignError(
            f"domain ({labels.shape}) and population ({pop.shape}) need one value per domain",
            loc=("population",),
        )
    p_arr = np.broadcast_to(_check_inputs(margin, p, deff, response_rate), pop.shape)
    _, _, resp, issued, take_all = _sizes(margin, p_arr, pop, confidence, deff, response_rate)
    # The overall size uses the population-weighted anticipated proportion.
    p_total = float(np.sum(p_arr * pop) / np.sum(pop))
    overall = sample_size_proportion(
        margin,
        p=p_total,
        confidence=confidence,
        population=int(pop.sum()),
        deff=deff,
        response_rate=response_rate,
    )
    return DomainSampleSizes(
        domain=readonly(labels.copy()),
        population=readonly(pop.astype(np.int64)),
        n_respondents=readonly(resp),
        n_issued=readonly(issued),
        take_all=readonly(take_all),
        total_respondents=int(resp.sum()),
        total_issued=int(issued.sum()),
        overall=overall,
    )
