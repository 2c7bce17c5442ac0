"""Allocation of a total sample to strata, with bounds and exact integer totals.

Every method gives a *share* ``w_h`` to each stratum and the sample is split in proportion to it:

* proportional: ``w_h = N_h`` (Cochran 1977, §5.3);
* equal: ``w_h = 1``;
* Neyman / optimum: ``w_h = N_h S_h / sqrt(c_h)`` with ``S_h`` given or ``sqrt(p_h (1 - p_h))``
  for a proportion (Cochran 1977, §5.5, Theorems 5.8–5.9; Lohr 2019, §3.4.2);
* power: ``w_h = X_h^q CV_h`` (Bankier 1988, "Power allocations: determining sample sizes for
  subnational areas", The American Statistician 42(3), 174–177), with ``X_h = N_h`` by default.

Bounds. With per-stratum minimum ``l_h`` and maximum ``u_h`` (never above ``N_h``), the continuous
allocation is ``x_h = clip(lambda w_h, l_h, u_h)`` with ``lambda`` chosen so that
``sum x_h = n``. This is the fixed point of the textbook procedure (Cochran 1977, §5.8): give
``n_h = N_h`` (take-all) to strata whose share exceeds their population, re-allocate the rest to
the others in proportion to ``w_h``, and repeat. ``sum_h clip(lambda w_h, l_h, u_h)`` is piecewise
linear and non-decreasing in ``lambda``, so it is solved exactly from its sorted breakpoints,
vectorised, without iterating. Integer sizes come from the largest-remainder rule (Hamilton's
method) restricted to strata below their maximum, so the total is exact and bounds hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sampling.errors import DesignError
from sampling.frames import encode_labels
from sampling.reproducibility import readonly
from sampling.sample_size import z_value

__all__ = [
    "Allocation",
    "Precision",
    "allocate",
    "allocate_equal",
    "allocate_neyman",
    "allocate_power",
    "allocate_proportional",
    "expected_precision",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_FLOOR_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Allocation:
    """Sample sizes per stratum (arrays read-only, in the order of ``population``).

    Attributes
    ----------
    method
        ``"proportional"``, ``"equal"``, ``"neyman"``, ``"power"`` or ``"custom"``.
    total
        The exact total ``sum n_h``.
    population
        ``N_h``.
    n
        Integer sample sizes.
    n_continuous
        The bounded continuous allocation before rounding.
    take_all
        True where ``n_h = N_h``.
    labels
        Stratum labels if given, else None.
    """

    method: str
    total: int
    population: IntArray
    n: IntArray
    n_continuous: FloatArray
    take_all: NDArray[np.bool_]
    labels: NDArray[Any] | None = None

    def sizes_by_stratum(self) -> dict[Any, int]:
        """Return ``{label: n_h}``, the form the draw functions take; needs ``labels``."""
        if self.labels is None:
            raise DesignError(
                "this allocation has no stratum labels; pass labels= when allocating",
                loc=("labels",),
            )
        return {label: int(v) for label, v in zip(self.labels.tolist(), self.n, strict=True)}


def _per_stratum(value: ArrayLike, size: int, name: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(size, float(arr))
    if arr.shape != (size,):
        raise DesignError(
            f"{name} has {arr.size} values for {size} strata; give one per stratum or a scalar",
            loc=(name,),
        )
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise DesignError(f"{name} for stratum #{bad} is not finite", loc=(name, bad))
    return arr


def _name(labels: NDArray[Any] | None, h: int) -> str:
    return repr(labels[h].item()) if labels is not None else f"#{h}"


def _solve_continuous(total: int, w: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """Return ``clip(lam * w, lo, hi)`` with ``lam`` such that the sum is ``total``."""
    fixed = (w <= 0) | (lo >= hi)
    free = np.flatnonzero(~fixed)
    x = lo.copy()
    if free.size == 0:
        return x
    wf, lf, uf = w[free], lo[free], hi[free]
    a, c = lf / wf, uf / wf
    by_a, by_c = np.argsort(a, kind="stable"), np.argsort(c, kind="stable")
    a_sorted, c_sorted = a[by_a], c[by_c]
    cum_l_a = np.concatenate(([0.0], np.cumsum(lf[by_a])))
    cum_w_a = np.concatenate(([0.0], np.cumsum(wf[by_a])))
    cum_u_c = np.concatenate(([0.0], np.cumsum(uf[by_c])))
    cum_w_c = np.concatenate(([0.0], np.cumsum(wf[by_c])))
    constant = float(lo[fixed].sum()) + float(lf.sum())

    def g(lam: FloatArray) -> FloatArray:
        ia = np.searchsorted(a_sorted, lam, side="left")
        ic = np.searchsorted(c_sorted, lam, side="right")
        # Strata past their lower breakpoint leave l_h for lam w_h; past the upper, for u_h.
        return constant - cum_l_a[ia] + cum_u_c[ic] + lam * (cum_w_a[ia] - cum_w_c[ic])

    breaks = np.unique(np.concatenate(([0.0], a, c)))
    values = g(breaks)
    k = int(np.searchsorted(values, total - 1e-12 * max(total, 1), side="left"))
    if k == 0:
        lam = 0.0
    else:
        k = min(k, breaks.size - 1)
        b0, b1, g0, g1 = breaks[k - 1], breaks[k], values[k - 1], values[k]
        lam = float(b0 + (total - g0) * (b1 - b0) / (g1 - g0)) if g1 > g0 else float(b1)
    x[free] = np.clip(lam * wf, lf, uf)
    return x


def _round_exact(total: int, x: FloatArray, lo: IntArray, hi: IntArray) -> IntArray:
    """Largest-remainder rounding of ``x`` to integers summing to ``total`` within bounds."""
    n = np.clip(np.floor(x + _FLOOR_TOLERANCE).astype(np.int64), lo, hi)
    frac = x - n
    short = total - int(n.sum())
    idx = np.arange(x.size)
    if short > 0:
        # Highest remainders first; ties go to the earlier stratum, deterministically.
        eligible = idx[n < hi]
        order = eligible[np.lexsort((eligible, -frac[eligible]))]
        n[order[:short]] += 1
    elif short < 0:
        eligible = idx[n > lo]
        order = eligible[np.lexsort((eligible, frac[eligible]))]
        n[order[:-short]] -= 1
    return n


def allocate(
    total: int,
    population: ArrayLike,
    share: ArrayLike,
    *,
    min_size: ArrayLike = 0,
    max_size: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    method: str = "custom",
) -> Allocation:
    """Allocate ``total`` in proportion to ``share`` under per-stratum bounds.

    Parameters
    ----------
    total
        Total sample size ``n``.
    population
        ``N_h`` per stratum.
    share
        Non-negative allocation share ``w_h`` per stratum.
    min_size
        Minimum ``n_h`` (scalar or per stratum); a minimum above ``N_h`` means take-all.
    max_size
        Maximum ``n_h`` (scalar or per stratum); always capped at ``N_h``.
    labels
        Optional stratum labels, used in messages and :meth:`Allocation.sizes_by_stratum`.
    method
        Name recorded in the result.

    Returns
    -------
    Allocation

    Raises
    ------
    DesignError
        If the total exceeds the population or the maxima, the minima exceed the total,
        a minimum exceeds its maximum, or any size or share is negative.
    """
    if isinstance(total, bool) or not isinstance(total, int | np.integer) or total < 0:
        raise DesignError(f"total must be a non-negative integer, got {total!r}", loc=("total",))
    pop = _per_stratum(population, np.asarray(population).size, "population")
    n_strata = pop.size
    names = None if labels is None else np.asarray(labels)
    if names is not None and names.shape != (n_strata,):
        raise DesignError("labels need one value per stratum", loc=("labels",))
    if np.any(pop < 0) or np.any(pop != np.floor(pop)):
        h = int(np.flatnonzero((pop < 0) | (pop != np.floor(pop)))[0])
        raise DesignError(
            f"population of stratum {_name(names, h)} must be a whole number >= 0, got {pop[h]}",
            loc=("population", h),
        )
    w = _per_stratum(share, n_strata, "share")
    lo_req = _per_stratum(min_size, n_strata, "min_size")
    hi_req = pop.copy() if max_size is None else _per_stratum(max_size, n_strata, "max_size")
    for arr, field in ((w, "share"), (lo_req, "min_size"), (hi_req, "max_size")):
        if np.any(arr < 0):
            h = int(np.flatnonzero(arr < 0)[0])
            raise DesignError(
                f"{field} of stratum {_name(names, h)} is negative ({arr[h]}); use 0 or more",
                loc=(field, h),
            )
    # A minimum above N_h means take-all, so it only contradicts a maximum the caller set that is
    # below the units the minimum actually asks for (the maximum defaults to N_h itself).
    asked = np.minimum(lo_req, pop)
    bad = np.flatnonzero(asked > hi_req) if max_size is not None else np.zeros(0, np.int64)
    if bad.size:
        h = int(bad[0])
        raise DesignError(
            f"min_size ({lo_req[h]:g}) exceeds max_size ({hi_req[h]:g}) in stratum "
            f"{_name(names, h)}; lower the minimum or raise the maximum",
            loc=("min_size", h),
        )
    if total > pop.sum():
        raise DesignError(
            f"total {total} is larger than the population ({int(pop.sum())} units); "
            "lower the total or take every unit",
            loc=("total",),
        )
    lo = np.minimum(np.ceil(lo_req), pop).astype(np.int64)
    hi = np.minimum(np.floor(hi_req), pop).astype(np.int64)
    if total < lo.sum():
        raise DesignError(
            f"the per-stratum minimums add up to {int(lo.sum())}, more than the total {total}; "
            "lower min_size or raise the total",
            loc=("min_size",),
        )
    if total > hi.sum():
        raise DesignError(
            f"the per-stratum maximums cap the sample at {int(hi.sum())}, below the total "
            f"{total}; raise max_size or lower the total",
            loc=("max_size",),
        )
    # A stratum with no share can still receive units when every other stratum is full.
    x = _solve_continuous(int(total), w, lo.astype(np.float64), hi.astype(np.float64))
    if x.sum() < total - 1e-6:
        room = hi - x
        x = x + room * ((total - x.sum()) / room.sum())
    n = _round_exact(int(total), x, lo, hi)
    return Allocation(
        method=method,
        total=int(total),
        population=readonly(pop.astype(np.int64)),
        n=readonly(n),
        n_continuous=readonly(x),
        take_all=readonly((n == pop) & (pop > 0)),
        labels=None if names is None else readonly(names.copy()),
    )


def allocate_proportional(
    total: int,
    population: ArrayLike,
    *,
    min_size: ArrayLike = 0,
    max_size: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> Allocation:
    """Proportional allocation ``n_h ∝ N_h`` (Cochran 1977, §5.3), with bounds."""
    return allocate(
        total,
        population,
        np.asarray(population, dtype=np.float64),
        min_size=min_size,
        max_size=max_size,
        labels=labels,
        method="proportional",
    )


def allocate_equal(
    total: int,
    population: ArrayLike,
    *,
    min_size: ArrayLike = 0,
    max_size: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> Allocation:
    """Equal allocation ``n_h = n / H``, with take-all of small strata and bounds."""
    pop = np.asarray(population, dtype=np.float64)
    return allocate(
        total,
        pop,
        (pop > 0).astype(np.float64),
        min_size=min_size,
        max_size=max_size,
        labels=labels,
        method="equal",
    )


def allocate_neyman(
    total: int,
    population: ArrayLike,
    *,
    sd: ArrayLike | None = None,
    p: ArrayLike | None = None,
    cost: ArrayLike | None = None,
    min_size: ArrayLike = 0,
    max_size: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> Allocation:
    """Neyman (optimum) allocation ``n_h ∝ N_h S_h / sqrt(c_h)``.

    Minimises the variance of the stratified mean for a fixed total (or fixed cost when
    ``cost`` is given): Cochran 1977, §5.5, Theorems 5.8 and 5.9 (eq. 5.26); Lohr 2019, §3.4.2.
    Strata whose share exceeds ``N_h`` are taken whole and the rest re-allocated (§5.8).

    Parameters
    ----------
    total, population, min_size, max_size, labels
        As in :func:`allocate`.
    sd
        Prior within-stratum standard deviations ``S_h``.
    p
        Prior proportions, giving ``S_h = sqrt(p_h (1 - p_h))``; used when ``sd`` is None.
    cost
        Optional cost per interview ``c_h``.
    """
    pop = np.asarray(population, dtype=np.float64)
    if sd is None and p is None:
        raise DesignError("give sd= (S_h) or p= (prior proportions) for Neyman allocation")
    if sd is not None:
        s = _per_stratum(sd, pop.size, "sd")
    else:
        prop = _per_stratum(p if p is not None else 0.5, pop.size, "p")
        if np.any((prop < 0) | (prop > 1)):
            raise DesignError("p must lie in [0, 1] for every stratum", loc=("p",))
        s = np.sqrt(prop * (1.0 - prop))
    share = pop * s
    if cost is not None:
        c = _per_stratum(cost, pop.size, "cost")
        if np.any(c <= 0):
            raise DesignError("cost must be positive for every stratum", loc=("cost",))
        share = share / np.sqrt(c)
    return allocate(
        total,
        pop,
        share,
        min_size=min_size,
        max_size=max_size,
        labels=labels,
        method="neyman",
    )


def allocate_power(
    total: int,
    population: ArrayLike,
    *,
    q: float = 0.5,
    size: ArrayLike | None = None,
    cv: ArrayLike | None = None,
    min_size: ArrayLike = 0,
    max_size: ArrayLike | None = None,
    labels: ArrayLike | None = None,
) -> Allocation:
    """Power allocation ``n_h ∝ X_h^q CV_h`` (Bankier 1988).

    ``q = 1`` with constant CV is proportional allocation, ``q = 0`` is equal allocation; values
    in between trade national precision against precision in small domains (e.g. provinces).

    Parameters
    ----------
    total, population, min_size, max_size, labels
        As in :func:`allocate`.
    q
        Power, in ``[0, 1]`` in practice.
    size
        Size measure ``X_h``; defaults to ``N_h``.
    cv
        Coefficient of variation of the study variable in each stratum; defaults to 1.
    """
    pop = np.asarray(population, dtype=np.float64)
    if not np.isfinite(q) or q < 0:
        raise DesignError(f"q must be a non-negative number, got {q}", loc=("q",))
    x = pop if size is None else _per_stratum(size, pop.size, "size")
    if np.any(x < 0):
        raise DesignError("size must be non-negative for every stratum", loc=("size",))
    v = np.ones(pop.size) if cv is None else _per_stratum(cv, pop.size, "cv")
    share = np.where(x > 0, np.power(x, q), 0.0) * v
    return allocate(
        total,
        pop,
        share,
        min_size=min_size,
        max_size=max_size,
        labels=labels,
        method="power",
    )


@dataclass(frozen=True)
class Precision:
    """Expected precision of a proportion, per stratum, per domain and overall.

    Attributes
    ----------
    se, margin
        Per stratum: standard error and margin of error (``z * se``); ``inf`` where ``n_h = 0``.
    domain
        Distinct domain labels (sorted), or an empty array when no domains were given.
    domain_se, domain_margin
        Per domain (stratified estimator over the domain's strata).
    overall_se, overall_margin
        For the whole population.
    """

    se: FloatArray
    margin: FloatArray
    domain: NDArray[Any]
    domain_se: FloatArray
    domain_margin: FloatArray
    overall_se: float
    overall_margin: float


def expected_precision(
    n: ArrayLike,
    population: ArrayLike,
    *,
    p: ArrayLike = 0.5,
    confidence: float = 0.95,
    deff: float = 1.0,
    domain: ArrayLike | None = None,
) -> Precision:
    """Expected standard error and margin of error of a proportion for a preview table.

    Per stratum (Cochran 1977, eq. 3.8, the SRSWOR variance with the fpc)::

        V_h = deff * P_h (1 - P_h) / n_h * (N_h - n_h) / (N_h - 1)

    and for a domain ``d`` made of whole strata, the stratified estimator's variance
    ``V_d = sum_{h in d} (N_h / N_d)^2 V_h`` (Cochran 1977, eq. 5.6); likewise overall.

    Parameters
    ----------
    n, population
        ``n_h`` and ``N_h`` per stratum.
    p
        Anticipated proportion ``P_h`` (scalar or per stratum).
    confidence
        Confidence level for the margin.
    deff
        Anticipated design effect within strata.
    domain
        Optional domain label of each stratum (e.g. the agency a stratum belongs to).

    Returns
    -------
    Precision
    """
    pop = np.asarray(population, dtype=np.float64)
    n_arr = _per_stratum(n, pop.size, "n")
    if np.any(n_arr < 0) or np.any(n_arr > pop):
        raise DesignError("each n_h must lie between 0 and N_h", loc=("n",))
    prop = _per_stratum(p, pop.size, "p")
    z = z_value(confidence)
    fpc = np.divide(pop - n_arr, pop - 1.0, out=np.zeros(pop.size), where=pop > 1)
    var = np.divide(
        deff * prop * (1.0 - prop) * fpc,
        n_arr,
        out=np.full(pop.size, np.inf),
        where=n_arr > 0,
    )
    # A stratum with no units contributes nothing, whatever its n.
    var = np.where(pop > 0, var, 0.0)
    contrib = np.where(pop > 0, pop**2 * var, 0.0)
    overall_var = float(contrib.sum() / pop.sum() ** 2) if pop.sum() > 0 else np.inf
    if domain is None:
        labels: NDArray[Any] = np.asarray([], dtype=np.int64)
        d_var = np.zeros(0)
    else:
        labels, code = encode_labels(np.asarray(domain), "domain")
        n_dom = np.bincount(code, weights=pop, minlength=labels.size)
        d_var = np.bincount(code, weights=contrib, minlength=labels.size) / n_dom**2
    se = np.sqrt(var)
    d_se = np.sqrt(d_var)
    return Precision(
        se=readonly(se),
        margin=readonly(z * se),
        domain=readonly(labels),
        domain_se=readonly(d_se),
        domain_margin=readonly(z * d_se),
        overall_se=float(np.sqrt(overall_var)),
        overall_margin=float(z * np.sqrt(overall_var)),
    )
