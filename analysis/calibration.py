"""Calibration of weights to known population totals: post-stratification, raking, GREG.

Each returns a new :class:`~analysis.design.SurveyDesign` whose ``calibration`` records the
step, so :func:`analysis.variance.taylor_covariance` uses the residuals of the calibration
model, as R's ``postStratify``, ``rake`` and ``calibrate`` do (Lumley 2010, ch. 7; Deville &
Särndal 1992).

* Post-stratification (Holt & Smith 1979): w_i* = w_i N_g / N_hat_g for i in post-stratum g.
* Raking (Deming & Stephan 1940; iterative proportional fitting): post-stratify on each margin
  in turn until the largest weight change is below ``epsilon``.
* :func:`calibrate` (R ``calibrate``): w_i* = d_i g_i with g_i = F(x_i' eta) solving
  sum_i d_i g_i x_i = t_x, by R's Newton iteration (``survey:::grake``); F(u) = 1 + u for
  linear calibration (the GREG weights, Deville & Särndal 1992 sec. 2), clipped to bounds for
  bounded linear calibration, exp(u) for raking. Its variance uses the residuals of the
  d-weighted regression of each score on the auxiliaries, for every distance (so calibrate's
  raking SEs differ slightly from :func:`rake`'s, as in R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.design import (
    CalibrationFunction,
    CalibrationStep,
    DesignError,
    SurveyDesign,
    encode_labels,
    regression_gram,
)


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
    step = CalibrationStep(
        kind="poststratify", groups=(margin.codes,), weights=new_w, base_weights=design.weights
    )
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
                kind="rake",
                groups=tuple(m.codes for m in parsed),
                weights=weights,
                base_weights=design.weights,
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


CalibrationMethod = Literal["linear", "raking", "poststratify"]
Blocks = list[tuple[NDArray[np.intp], NDArray[np.float64]]]

# R grake's constants: rescale the weights first when every total is this many times its
# estimate; MASS::ginv's tolerance.
_RESCALE_THRESHOLD = 20.0
_GINV_TOL = 256 * np.finfo(np.float64).eps


def _distance(
    calfun: CalibrationFunction, u: NDArray[np.float64], bounds: tuple[float, float]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """F(u) - 1 and its derivative, as R's ``cal.linear`` / ``cal.raking`` (bounds on g)."""
    lo, hi = bounds
    inside = (u < hi - 1.0) & (u > lo - 1.0)
    if calfun == "linear":
        return np.clip(u + 1.0, lo, hi) - 1.0, inside.astype(np.float64)
    with np.errstate(over="ignore"):
        e = np.exp(u)
    return np.clip(e, lo, hi) - 1.0, np.where(inside, e, 0.0)


def _x_eta(blocks: Blocks, eta: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.zeros(blocks[0][0].shape[0])
    start = 0
    for g, f in blocks:
        size = int(g.max(initial=-1)) + 1
        out += f * eta[start : start + size][g]
        start += size
    return out


def _x_total(blocks: Blocks, v: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.concatenate(
        [np.bincount(g, weights=v * f, minlength=int(g.max(initial=-1)) + 1) for g, f in blocks]
    )


def calibration_factors(
    blocks: Blocks,
    weights: NDArray[np.float64],
    population: NDArray[np.float64],
    *,
    calfun: CalibrationFunction = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    max_iter: int = 50,
    epsilon: float = 1e-7,
) -> NDArray[np.float64] | None:
    """The g-weights of R's ``survey:::grake``: g = F(X eta) with sum_i w_i g_i X_i = t_x.

    Newton's method from eta = 0: eta += (X' diag(w F'(X eta)) X)^+ (t_x - X'(w F(X eta))),
    halving a step that overflows, until every |misfit| / (1 + |t_x|) < ``epsilon``
    (Deville & Särndal 1992, sec. 3; Deville, Särndal & Sautory 1993). Linear calibration
    without bounds ends after one step (the closed-form GREG g = 1 + X T^-1 (t_x - t_hat_x)).
    Returns None when it does not converge in ``max_iter`` iterations.
    """
    w = weights
    n_cols = population.shape[0]
    sample_total = _x_total(blocks, w)
    scale = None
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = population / sample_total
    if np.nanmin(scales) > _RESCALE_THRESHOLD:
        scale = float(np.mean(scales))
        w = w * scale
        sample_total = sample_total * scale
    eta = np.zeros(n_cols)
    fm1, deriv = _distance(calfun, np.zeros_like(w), bounds)
    iteration = 1
    while True:
        gram = regression_gram(blocks, w * deriv)
        misfit = population - sample_total - _x_total(blocks, w * fm1)
        step = np.linalg.pinv(gram, rcond=_GINV_TOL, hermitian=True) @ misfit
        eta = eta + step
        fm1, deriv = _distance(calfun, _x_eta(blocks, eta), bounds)
        while iteration < max_iter and not (np.isfinite(fm1).all() and np.isfinite(deriv).all()):
            iteration += 1
            step = step / 2.0
            eta = eta - step
            fm1, deriv = _distance(calfun, _x_eta(blocks, eta), bounds)
        misfit = population - sample_total - _x_total(blocks, w * fm1)
        if (np.abs(misfit) / (1.0 + np.abs(population)) < epsilon).all():
            break
        iteration += 1
        if iteration > max_iter:
            return None
    g = 1.0 + fm1
    return g * scale if scale is not None else g


def calibrate(
    design: SurveyDesign,
    margins: Sequence[ArrayLike] = (),
    populations: Sequence[Mapping[Any, float]] = (),
    *,
    method: CalibrationMethod = "linear",
    covariates: Sequence[ArrayLike] = (),
    covariate_totals: Sequence[float] = (),
    bounds: tuple[float, float] | None = None,
    max_iter: int = 50,
    epsilon: float = 1e-7,
) -> SurveyDesign:
    """Calibrate the weights to population totals of auxiliaries (R ``calibrate``).

    Parameters
    ----------
    design : SurveyDesign
    margins : sequence of array_like, each shape (n,)
        Categorical auxiliaries: each row's category (R ``calibrate(design, list(~sex, ~age),
        list(sex_pop, age_pop))``). Cross two variables into one label for their joint cells.
    populations : sequence of mappings
        Population count per category, one mapping per margin (keys compared as strings);
        categories missing from the sample are ignored, a sampled category without a count
        is an error, and every margin must add up to the same population total.
    method : {"linear", "raking", "poststratify"}
        ``linear``: GREG (R ``calfun="linear"``), optionally bounded; ``raking``: R
        ``calfun="raking"`` (the raking weights, with calibrate's regression variance);
        ``poststratify``: one margin, the same as :func:`poststratify`.
    covariates, covariate_totals : sequences, optional
        Numeric auxiliaries (each shape (n,)) and their population totals (R ``~ ... + x``).
    bounds : (float, float), optional
        Bounds lo <= g_i <= hi on the ratio of the calibrated to the input weights (R
        ``bounds=c(lo, hi)``, solved by R's iterative Newton method).
    max_iter, epsilon : int, float
        R's ``maxit`` and ``epsilon`` (defaults as R: 50 and 1e-7 relative misfit).

    Returns
    -------
    SurveyDesign
        Weights d_i g_i; the variance uses the residuals of the d-weighted regression of each
        score on the auxiliaries (Deville & Särndal 1992; Lumley 2010, sec. 7.4).

    Raises
    ------
    CalibrationError
        Bad margins, no convergence, or a negative weight (linear calibration without a lower
        bound can make one; pass ``bounds=(0, ...)`` or use raking).
    """
    if method == "poststratify":
        if len(margins) != 1 or len(populations) != 1 or covariates or bounds is not None:
            raise CalibrationError(
                "method: poststratify takes exactly one margin (cross variables into one label "
                "for joint cells) and no covariates or bounds; use linear or raking otherwise"
            )
        return poststratify(design, margins[0], populations[0])
    if method not in ("linear", "raking"):
        raise CalibrationError(f"method: {method!r} is not one of linear, raking, poststratify")
    if len(margins) != len(populations):
        raise CalibrationError(
            "margins: give one population mapping per margin (got "
            f"{len(margins)} margins and {len(populations)} mappings)"
        )
    if len(covariates) != len(covariate_totals):
        raise CalibrationError(
            f"covariates: give one population total per covariate (got {len(covariates)} "
            f"covariates and {len(covariate_totals)} totals)"
        )
    if not margins and not covariates:
        raise CalibrationError("margins: give at least one margin or covariate to calibrate to")
    parsed = [
        _margin(g, pop, design.n, f"margins[{j}]")
        for j, (g, pop) in enumerate(zip(margins, populations, strict=True))
    ]
    if len(parsed) > 1:
        sums = np.array([m.totals.sum() for m in parsed])
        if np.ptp(sums) > 1e-9 * sums.max():
            raise CalibrationError(
                f"populations: the margins add up to different population totals "
                f"({', '.join(f'{t:g}' for t in sums)}); calibration needs the same population "
                "total for every margin"
            )
    cov = None
    if covariates:
        cov = np.column_stack([np.asarray(c, dtype=np.float64).reshape(-1) for c in covariates])
        if cov.shape[0] != design.n or not np.isfinite(cov).all():
            raise CalibrationError(
                f"covariates: need {design.n} finite values each (one per row of the design)"
            )
    lo, hi = bounds if bounds is not None else (-np.inf, np.inf)
    if not lo < 1.0 < hi:
        raise CalibrationError(f"bounds: ({lo:g}, {hi:g}) must hold 1 (lower < 1 < upper)")
    population = np.concatenate(
        [m.totals for m in parsed] + [np.asarray(covariate_totals, dtype=np.float64)]
    )
    step = CalibrationStep(
        kind="regression",
        groups=tuple(m.codes for m in parsed),
        weights=design.weights,
        base_weights=design.weights,
        covariates=cov,
        calfun=method,
        bounds=(float(lo), float(hi)),
        population=population,
    )
    g = calibration_factors(
        step.blocks(),
        design.weights,
        population,
        calfun=method,
        bounds=(float(lo), float(hi)),
        max_iter=max_iter,
        epsilon=epsilon,
    )
    if g is None:
        raise CalibrationError(
            f"calibrate: {method} calibration did not reach the totals in {max_iter} "
            "iterations; widen the bounds, merge small categories or raise max_iter"
        )
    new_w = design.weights * g
    if (new_w < 0).any():
        row = int(np.flatnonzero(new_w < 0)[0])
        raise CalibrationError(
            f"calibrate: linear calibration gives row {row} a negative weight (g = "
            f"{g[row]:.3g}); pass bounds=(0, ...) or use raking"
        )
    step = CalibrationStep(
        kind="regression",
        groups=step.groups,
        weights=new_w,
        base_weights=design.weights,
        covariates=cov,
        calfun=method,
        bounds=step.bounds,
        population=population,
    )
    return design.with_weights(new_w, calibration=(*design.calibration, step))
