"""Weighting steps before estimation: base weights, non-response adjustment, trimming.

Calibration to population counts (post-stratification, raking) lives in
:mod:`analysis.calibration` because the variance must remember it.

References: Valliant, Dever & Kreuter (2018), *Practical Tools for Designing and Weighting
Survey Samples*, 2nd ed., ch. 13 (non-response adjustment in weighting classes) and sec. 14.4
(weight trimming); Kish (1992), *J. Official Statistics* 8, 183-200.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.design import DesignError, encode_labels


class WeightingError(DesignError):
    """A weighting step cannot be done; the message names the row or cell and the fix."""


def base_weights(inclusion_prob: ArrayLike) -> NDArray[np.float64]:
    """Horvitz-Thompson base weights d_i = 1 / pi_i.

    Raises
    ------
    WeightingError
        When a probability is missing or outside (0, 1], naming the row.
    """
    prob = np.asarray(inclusion_prob, dtype=np.float64)
    bad = ~np.isfinite(prob) | (prob <= 0) | (prob > 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise WeightingError(
            f"inclusion_prob: row {row} is {prob[row]!r}; inclusion probabilities must be in (0, 1]"
        )
    return 1.0 / prob


@dataclass(frozen=True)
class NonresponseAdjustment:
    """Result of a weighting-class non-response adjustment.

    Attributes
    ----------
    weights : ndarray, shape (n,)
        Adjusted weights: d_i * f_c for respondents, 0 for non-respondents.
    classes : ndarray, shape (C,)
        Weighting-class labels.
    factors : ndarray, shape (C,)
        f_c = sum_{i in c} d_i / sum_{i in c, respondent} d_i.
    response_rates : ndarray, shape (C,)
        Weighted response rate of each class, 1 / f_c.
    """

    weights: NDArray[np.float64]
    classes: NDArray[np.generic]
    factors: NDArray[np.float64]
    response_rates: NDArray[np.float64]


def adjust_nonresponse(
    weights: ArrayLike, responded: ArrayLike, classes: ArrayLike
) -> NonresponseAdjustment:
    """Weighting-class non-response adjustment (Valliant et al. 2018, sec. 13.5).

    Respondents in class c carry the weight of the class's non-respondents:
    w_i = d_i * sum_{j in c} d_j / sum_{j in c, resp} d_j.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Base weights d_i of all sampled units (respondents and non-respondents).
    responded : array_like of bool, shape (n,)
    classes : array_like, shape (n,)
        Weighting class of each unit (combine columns into one label beforehand).

    Raises
    ------
    WeightingError
        When a class has no respondent, naming the class: merge it with a similar class.
    """
    d = np.asarray(weights, dtype=np.float64)
    resp = np.asarray(responded, dtype=bool)
    codes, levels = encode_labels(classes, field="classes")
    if not (d.shape == resp.shape == codes.shape):
        raise WeightingError(
            f"weights, responded and classes must have the same length (got {d.shape[0]}, "
            f"{resp.shape[0]}, {codes.shape[0]})"
        )
    size = levels.shape[0]
    total = np.bincount(codes, weights=d, minlength=size)
    responding = np.bincount(codes, weights=d * resp, minlength=size)
    empty = responding <= 0
    if empty.any():
        label = str(levels[np.flatnonzero(empty)[0]])
        raise WeightingError(
            f"classes: weighting class {label!r} has no respondents, so its weight cannot be "
            "carried; merge it with a similar class"
        )
    factors = total / responding
    return NonresponseAdjustment(
        weights=np.where(resp, d * factors[codes], 0.0),
        classes=levels,
        factors=factors,
        response_rates=responding / total,
    )


@dataclass(frozen=True)
class TrimmedWeights:
    """Trimmed weights and what trimming did.

    Attributes
    ----------
    weights : ndarray, shape (n,)
    trimmed : ndarray of bool, shape (n,)
        Rows whose weight was capped at a bound.
    iterations : int
    """

    weights: NDArray[np.float64]
    trimmed: NDArray[np.bool_]
    iterations: int


def trim_weights(
    weights: ArrayLike,
    *,
    lower: float | None = None,
    upper: float | None = None,
    max_iter: int = 50,
) -> TrimmedWeights:
    """Cap weights to [lower, upper] and spread the difference over the untrimmed rows.

    The amount cut (or added) is redistributed to the untrimmed rows in proportion to their
    weights, so the weight total is kept; this repeats until no weight is outside the bounds
    (Valliant et al. 2018, sec. 14.4; R ``trimWeights(strict=TRUE)``). Trimming after
    calibration breaks the calibration; the variance then treats the weights as fixed.

    Raises
    ------
    WeightingError
        When the bounds cannot hold the total (e.g. n * upper < sum w) or the iteration does
        not settle.
    """
    w = np.asarray(weights, dtype=np.float64).copy()
    if (w < 0).any() or not np.isfinite(w).all():
        row = int(np.flatnonzero((w < 0) | ~np.isfinite(w))[0])
        raise WeightingError(f"weights: row {row} is {w[row]!r}; weights must be finite, >= 0")
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if lo > hi:
        raise WeightingError(f"lower {lo} is above upper {hi}")
    positive = w > 0
    total = w.sum()
    n_pos = int(positive.sum())
    if n_pos * hi < total or n_pos * max(lo, 0.0) > total:
        raise WeightingError(
            f"bounds [{lo}, {hi}] cannot keep the weight total {total:g} over {n_pos} rows; "
            "widen them"
        )
    trimmed = np.zeros(w.shape, dtype=bool)
    for iteration in range(1, max_iter + 1):
        over = positive & (w > hi * (1 + 1e-12))
        under = positive & (w < lo * (1 - 1e-12))
        if not (over.any() or under.any()):
            return TrimmedWeights(weights=w, trimmed=trimmed, iterations=iteration - 1)
        trimmed |= over | under
        excess = (w[over] - hi).sum() - (lo - w[under]).sum()
        w[over] = hi
        w[under] = lo
        free = positive & ~trimmed
        if not free.any():
            break
        w[free] += excess * w[free] / w[free].sum()
    raise WeightingError(
        f"trim_weights: weights still outside [{lo}, {hi}] after {max_iter} rounds; widen the "
        "bounds"
    )
