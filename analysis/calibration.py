"""Calibration of weights to known population counts: post-stratification and raking.

Both return a new :class:`~analysis.design.SurveyDesign` whose ``calibration`` records the step,
so :func:`analysis.variance.taylor_covariance` uses the residuals of the calibration model, as
R's ``postStratify`` and ``rake`` do (Lumley 2010, ch. 7; Deville & Särndal 1992).

* Post-stratification (Holt & Smith 1979): w_i* = w_i N_g / N_hat_g for i in post-stratum g.
* Raking (Deming & Stephan 1940; iterative proportional fitting): post-stratify on each margin
  in turn until the largest weight change is below ``epsilon``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.design import CalibrationStep, DesignError, SurveyDesign, encode_labels


class CalibrationError(DesignError):
    """Calibration cannot be done with these margins; the message names the cell and the fix."""


@dataclass(frozen=True)
class _Margin:
    codes: NDArray[np.intp]
    levels: NDArray[np.generic]
    totals: NDArray[np.float64]


def _margin(groups: ArrayLike, population: Mapping[Any, float], n: int, field: str) -> _Margin:
    codes, levels = encode_labels(groups, field=field)
    if codes.shape[0] != n:
        raise CalibrationError(f"{field}: has {codes.shape[0]} rows but the design has {n}")
    lookup = {str(k): float(v) for k, v in population.items()}
    missing = [str(level) for level in levels if str(level) not in lookup]
    if missing:
        raise CalibrationError(
            f"{field}: the sample has category {missing[0]!r} but the population totals do not; "
            "add its population count or merge it with another category"
        )
    totals = np.array([lookup[str(level)] for level in levels])
    if (totals <= 0).any() or not np.isfinite(totals).all():
        bad = str(levels[np.flatnonzero((totals <= 0) | ~np.isfinite(totals))[0]])
        raise CalibrationError(f"{field}: population count of {bad!r} must be positive")
    return _Margin(codes=codes, levels=levels, totals=totals)


def _poststratify_weights(weights: NDArray[np.float64], margin: _Margin) -> NDArray[np.float64]:
    estimated = np.bincount(margin.codes, weights=weights, minlength=margin.levels.shape[0])
    if (estimated <= 0).any():
        bad = str(margin.levels[np.flatnonzero(estimated <= 0)[0]])
        raise CalibrationError(
            f"post-stratum {bad!r} has no sampled weight to scale up; merge it with a "
            "neighbouring category"
        )
    return weights * (margin.totals / estimated)[margin.codes]


def poststratify(
    design: SurveyDesign, groups: ArrayLike, population: Mapping[Any, float]
) -> SurveyDesign:
    """Post-stratify the weights to known population counts (R ``postStratify``).

    Parameters
    ----------
    design : SurveyDesign
    groups : array_like, shape (n,)
        Post-stratum label of each row (combine several columns into one label beforehand).
    population : mapping
        Population count N_g per post-stratum label (keys compared as strings). Labels that are
        in the population but not in the sample are ignored; the reverse is an error.

    Returns
    -------
    SurveyDesign
        Weights w_i N_g / N_hat_g; the variance uses residuals from the post-stratum means of
        the weighted scores (Lumley 2010, sec. 7.2).
    """
    margin = _margin(groups, population, design.n, "groups")
    new_w = _poststratify_weights(design.weights, margin)
    step = CalibrationStep(kind="poststratify", groups=(margin.codes,), weights=new_w)
    return design.with_weights(new_w, calibration=(*design.calibration, step))


@dataclass(frozen=True)
class RakingResult:
    """Raked design and how the iteration ended."""

    design: SurveyDesign
    iterations: int
    max_change: float


def rake(
    design: SurveyDesign,
    margins: Sequence[ArrayLike],
    populations: Sequence[Mapping[Any, float]],
    *,
    max_iter: int = 100,
    epsilon: float = 1e-10,
) -> RakingResult:
    """Rake the weights to several marginal population counts (R ``rake``).

    Parameters
    ----------
    design : SurveyDesign
    margins : sequence of array_like, each shape (n,)
        Label of each row for each margin.
    populations : sequence of mappings
        Population counts per label, one mapping per margin; all margins must add up to the
        same population total (checked). Labels absent from the sample are ignored, so the
        check uses the labels present.
    max_iter : int
        Maximum number of full cycles over the margins.
    epsilon : float
        Stop when no weight changes by more than this in a cycle (absolute, as R).

    Returns
    -------
    RakingResult

    Raises
    ------
    CalibrationError
        When a category lacks a population count or the cycles do not converge.
    """
    if len(margins) != len(populations) or not margins:
        raise CalibrationError(
            "margins: give one population mapping per margin (got "
            f"{len(margins)} margins and {len(populations)} mappings)"
        )
    parsed = [
        _margin(g, pop, design.n, f"margins[{j}]")
        for j, (g, pop) in enumerate(zip(margins, populations, strict=True))
    ]
    totals = np.array([m.totals.sum() for m in parsed])
    if np.ptp(totals) > 1e-9 * totals.max():
        raise CalibrationError(
            f"populations: the margins add up to different population totals "
            f"({', '.join(f'{t:g}' for t in totals)}); raking needs the same population total "
            "for every margin"
        )
    weights = design.weights
    change = np.inf
    for iteration in range(1, max_iter + 1):
        new_w = weights
        for margin in parsed:
            new_w = _poststratify_weights(new_w, margin)
        change = float(np.max(np.abs(new_w - weights)))
        weights = new_w
        if change < epsilon:
            step = CalibrationStep(
                kind="rake", groups=tuple(m.codes for m in parsed), weights=weights
            )
            return RakingResult(
                design=design.with_weights(weights, calibration=(*design.calibration, step)),
                iterations=iteration,
                max_change=change,
            )
    raise CalibrationError(
        f"rake: weights still changed by {change:.3g} after {max_iter} cycles; check that the "
        "margins have the same population total and no empty cells, or raise max_iter"
    )
