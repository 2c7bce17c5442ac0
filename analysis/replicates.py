"""Replicate-weight designs: jackknife (JK1, JKn), rescaled bootstrap, BRR and Fay's BRR.

A :class:`ReplicateDesign` holds the full-sample weights and an (n, R) matrix of replicate
weights; any estimator that is a smooth function of weighted totals is computed for every
replicate at once as ``Y.T @ replicate_weights`` and its variance is
``scale * sum_r rscales_r (theta_r - c)^2`` (:func:`analysis.variance.replicate_covariance`).

References: Wolter (2007), *Introduction to Variance Estimation*, 2nd ed., ch. 3 (BRR, Fay),
ch. 4 (jackknife), ch. 5 (bootstrap); Rao, Wu & Yue (1992), *Survey Methodology* 18, 209-217
(rescaled bootstrap); Lumley (2010), sec. 2.3 and R ``survey::as.svrepdesign``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import hadamard as sylvester_hadamard

from analysis.calibration import CalibrationError, calibration_factors
from analysis.design import CalibrationStep, DesignError, SurveyDesign

RAKE_MAX_CYCLES = 200
RAKE_TOLERANCE = 1e-10

ReplicateType = Literal["JK1", "JKn", "bootstrap", "BRR", "Fay", "other"]


@dataclass(frozen=True)
class ReplicateDesign:
    """Full-sample weights plus replicate weights and the variance constants.

    Attributes
    ----------
    weights : ndarray, shape (n,)
    replicate_weights : ndarray, shape (n, R)
    scale : float
        Overall multiplier of the variance.
    rscales : ndarray, shape (R,)
        Per-replicate multipliers (JKn: (1 - f_h)(n_h - 1)/n_h).
    mse : bool
        Centre the replicates at the full-sample estimate (True) or at their mean (False, the R
        default ``survey.replicates.mse = FALSE``).
    type : ReplicateType
    df : int
        Degrees of freedom for t intervals (R ``degf``: rank of the replicate weights, or PSUs
        minus strata when built from a design).
    """

    weights: NDArray[np.float64]
    replicate_weights: NDArray[np.float64]
    scale: float
    rscales: NDArray[np.float64]
    mse: bool = False
    type: ReplicateType = "other"
    df: int = 0

    def __post_init__(self) -> None:
        n = self.weights.shape[0]
        if self.replicate_weights.ndim != 2 or self.replicate_weights.shape[0] != n:
            raise DesignError(
                f"replicate_weights: shape {self.replicate_weights.shape}, expected ({n}, R)"
            )
        n_rep = self.replicate_weights.shape[1]
        if self.rscales.shape != (n_rep,):
            raise DesignError(f"rscales: shape {self.rscales.shape}, expected ({n_rep},)")

    @property
    def n(self) -> int:
        """Number of sampled rows."""
        return int(self.weights.shape[0])

    @property
    def n_replicates(self) -> int:
        """Number of replicates R."""
        return int(self.replicate_weights.shape[1])

    def domain_df(
        self, codes: NDArray[np.intp], rows: NDArray[np.bool_], size: int
    ) -> NDArray[np.int64]:
        """Degrees of freedom of each domain's subset design, as R ``degf`` after ``[``.

        R's ``[.svyrep.design`` forgets the stored df, so ``degf`` of a domain is the rank of the
        replicate weights of its rows minus 1 (``qr(weights(design, "analysis"), tol = 1e-5)``;
        here the rank from the singular values, relative tolerance 1e-5).
        """
        out = np.full(size, -1, dtype=np.int64)
        for k in range(size):
            block = self.replicate_weights[rows & (codes == k)]
            if block.size == 0:
                continue
            sv = np.linalg.svd(block, compute_uv=False)
            out[k] = int((sv > 1e-5 * sv[0]).sum()) - 1 if sv[0] > 0 else -1
        return out

    def with_mse(self, mse: bool) -> ReplicateDesign:
        """The same replicates centred at the full-sample estimate (``mse=True``) or not."""
        return ReplicateDesign(
            weights=self.weights,
            replicate_weights=self.replicate_weights,
            scale=self.scale,
            rscales=self.rscales,
            mse=mse,
            type=self.type,
            df=self.df,
        )


def from_multipliers(
    weights: ArrayLike,
    multipliers: ArrayLike,
    *,
    scale: float,
    rscales: ArrayLike | None = None,
    mse: bool = False,
    type: ReplicateType = "other",
    df: int | None = None,
) -> ReplicateDesign:
    """Build a replicate design from exported multipliers: replicate weight = multiplier * weight.

    Parameters
    ----------
    weights : array_like, shape (n,)
    multipliers : array_like, shape (n, R)
        e.g. R's ``weights(rep_design, "replication") / weights(rep_design, "sampling")``.
    scale : float
    rscales : array_like, shape (R,), optional
        Defaults to ones.
    mse : bool
    type : ReplicateType
    df : int, optional
        Defaults to the numerical rank of the multiplier matrix minus one, as R ``degf`` for
        replicate designs.
    """
    w = np.asarray(weights, dtype=np.float64)
    mult = np.asarray(multipliers, dtype=np.float64)
    if mult.ndim != 2 or mult.shape[0] != w.shape[0]:
        raise DesignError(f"multipliers: shape {mult.shape}, expected ({w.shape[0]}, R)")
    if not np.isfinite(mult).all():
        row = int(np.flatnonzero(~np.isfinite(mult).all(axis=1))[0])
        raise DesignError(f"multipliers: row {row} has a missing or infinite value")
    rs = np.ones(mult.shape[1]) if rscales is None else np.asarray(rscales, dtype=np.float64)
    if df is None:
        df = int(np.linalg.matrix_rank(mult)) - 1
    return ReplicateDesign(
        weights=w,
        replicate_weights=mult * w[:, None],
        scale=float(scale),
        rscales=rs,
        mse=mse,
        type=type,
        df=df,
    )


def recalibrate(
    design: SurveyDesign, replicate_weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Calibrate every replicate again, to the totals the full-sample calibration reached.

    A calibrated design's replicates must be calibrated themselves, or the variance treats the
    calibration as fixed (R's ``postStratify``/``rake``/``calibrate`` on a replicate design do
    the same; Lumley 2010, sec. 7.5). Post-stratification scales each replicate's post-strata
    to N_g; raking cycles over the margins (iterative proportional fitting) until every
    replicate's margins match within 1e-10; a regression step (:func:`analysis.calibration.
    calibrate`) solves R's ``grake`` for each replicate, to the step's population totals with
    its distance and bounds. The replicates restart from the weights the first step started
    from (the replicate multipliers times them), as R calibrates each replicate of the
    uncalibrated design; for post-stratification and raking, whose adjustments are
    multiplicative by cell, that gives the same replicate weights as starting from the
    calibrated weights.
    """
    w = replicate_weights
    if design.calibration and design.calibration[0].base_weights is not None:
        first = design.calibration[0].base_weights
        ratio = np.divide(first, design.weights, out=np.zeros_like(first), where=design.weights > 0)
        w = w * ratio[:, None]
    for step in design.calibration:
        if step.kind == "regression":
            w = _recalibrate_regression(step, w)
            continue
        targets = [np.bincount(codes, weights=step.weights) for codes in step.groups]
        cycles = 1 if step.kind == "poststratify" else RAKE_MAX_CYCLES
        for _ in range(cycles):
            change = 0.0
            for codes, target in zip(step.groups, targets, strict=True):
                sums = np.zeros((target.shape[0], w.shape[1]))
                np.add.at(sums, codes, w)
                # A cell that a replicate empties has nothing to scale: its factor stays 1.
                factor = np.divide(target[:, None], sums, out=np.ones_like(sums), where=sums > 0)
                w = w * factor[codes]
                change = max(change, float(np.abs(factor - 1.0).max()))
            if change < RAKE_TOLERANCE:
                break
    return w


def _recalibrate_regression(step: CalibrationStep, w: NDArray[np.float64]) -> NDArray[np.float64]:
    blocks = step.blocks()
    population = step.population
    if population is None:
        population = np.concatenate([np.bincount(g, weights=step.weights * f) for g, f in blocks])
    out = np.empty_like(w)
    for r in range(w.shape[1]):
        g = calibration_factors(blocks, w[:, r], population, calfun=step.calfun, bounds=step.bounds)
        if g is None:
            raise CalibrationError(
                f"replicates: replicate {r + 1} cannot be calibrated to the totals; merge "
                "small categories or widen the bounds"
            )
        out[:, r] = w[:, r] * g
    return out


def _psu_structure(
    design: SurveyDesign,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """Row->PSU index, PSU->stratum, PSU->sampling fraction, PSU->n_h."""
    psu_index, psu_stratum, psu_fpc = design.psu_layout()
    n_h = np.bincount(psu_stratum).astype(np.float64)
    return psu_index, psu_stratum, psu_fpc, n_h[psu_stratum]


def jk1(design: SurveyDesign, *, mse: bool = False) -> ReplicateDesign:
    """Delete-one-PSU jackknife for an unstratified design (R ``type="JK1"``).

    Replicate r drops PSU r and multiplies the others by n/(n-1); scale = (1 - f)(n - 1)/n
    (Wolter 2007, sec. 4.2).
    """
    if design.n_strata > 1:
        raise DesignError(
            "strata: JK1 is for unstratified designs; use jkn() for a stratified design"
        )
    psu_index, _, psu_fpc, _ = _psu_structure(design)
    n_psu = psu_fpc.shape[0]
    if n_psu < 2:
        raise DesignError("psu: JK1 needs at least 2 PSUs")
    mult = np.full((n_psu, n_psu), n_psu / (n_psu - 1.0))
    np.fill_diagonal(mult, 0.0)
    f = float(psu_fpc[0])
    return ReplicateDesign(
        weights=design.weights,
        replicate_weights=recalibrate(design, mult[psu_index] * design.weights[:, None]),
        scale=(1.0 - f) * (n_psu - 1.0) / n_psu,
        rscales=np.ones(n_psu),
        mse=mse,
        type="JK1",
        df=n_psu - 1,
    )


def jkn(design: SurveyDesign, *, mse: bool = False) -> ReplicateDesign:
    """Stratified delete-one-PSU jackknife (R ``type="JKn"``).

    Replicate (h, j) drops PSU j of stratum h and multiplies the other PSUs of h by
    n_h/(n_h - 1); rscale = (1 - f_h)(n_h - 1)/n_h, scale = 1 (Wolter 2007, sec. 4.5).
    """
    psu_index, psu_stratum, psu_fpc, n_h = _psu_structure(design)
    if (n_h < 2).any():
        stratum = int(psu_stratum[np.flatnonzero(n_h < 2)[0]])
        raise DesignError(
            f"strata: stratum {stratum} has a single PSU, so the jackknife cannot drop it; "
            "merge it with another stratum"
        )
    n_psu = psu_stratum.shape[0]
    same = psu_stratum[:, None] == psu_stratum[None, :]
    # mult[p, r]: PSU p in replicate r (which drops PSU r).
    mult = np.where(same, (n_h / (n_h - 1.0))[None, :], 1.0)
    np.fill_diagonal(mult, 0.0)
    return ReplicateDesign(
        weights=design.weights,
        replicate_weights=recalibrate(design, mult[psu_index] * design.weights[:, None]),
        scale=1.0,
        rscales=(1.0 - psu_fpc) * (n_h - 1.0) / n_h,
        mse=mse,
        type="JKn",
        df=n_psu - design.n_strata,
    )


def bootstrap(
    design: SurveyDesign,
    *,
    replicates: int,
    rng: np.random.Generator,
    mse: bool = False,
) -> ReplicateDesign:
    """Rao-Wu-Yue rescaled bootstrap with m_h = n_h - 1 PSUs drawn per stratum.

    Each replicate draws n_h - 1 PSUs with replacement in every stratum; a PSU drawn c times
    gets multiplier 1 - a_h + a_h c n_h/(n_h - 1) with a_h = sqrt(1 - f_h), which reduces to
    c n_h/(n_h - 1) without fpc (Rao, Wu & Yue 1992, eq. 2.3). scale = 1/(R - 1).

    Parameters
    ----------
    design : SurveyDesign
    replicates : int
        Number of bootstrap replicates R (>= 2).
    rng : numpy.random.Generator
        Source of randomness; pass a seeded generator for reproducible replicates.
    mse : bool
    """
    if replicates < 2:
        raise DesignError("replicates: need at least 2 bootstrap replicates")
    psu_index, psu_stratum, psu_fpc, n_h = _psu_structure(design)
    if (n_h < 2).any():
        stratum = int(psu_stratum[np.flatnonzero(n_h < 2)[0]])
        raise DesignError(
            f"strata: stratum {stratum} has a single PSU; the bootstrap needs 2 or more per "
            "stratum, merge it with another stratum"
        )
    n_psu = psu_stratum.shape[0]
    order = np.argsort(psu_stratum, kind="stable")
    n_by_stratum = np.bincount(psu_stratum)
    starts = np.concatenate([[0], np.cumsum(n_by_stratum)[:-1]])
    # Draw n_h - 1 PSU positions per stratum for all replicates at once: uniform position
    # within the stratum's block of the sorted PSU list.
    draws_stratum = np.repeat(np.arange(n_by_stratum.size), np.maximum(n_by_stratum - 1, 0))
    u = rng.random((replicates, draws_stratum.size))
    pos = starts[draws_stratum] + np.floor(u * n_by_stratum[draws_stratum]).astype(np.intp)
    chosen = order[pos]  # (R, draws)
    counts = np.zeros((replicates, n_psu))
    rep_idx = np.broadcast_to(np.arange(replicates)[:, None], chosen.shape)
    np.add.at(counts, (rep_idx, chosen), 1.0)
    a = np.sqrt(1.0 - psu_fpc)
    mult = (1.0 - a) + a * counts * (n_h / (n_h - 1.0))  # (R, P)
    return ReplicateDesign(
        weights=design.weights,
        replicate_weights=recalibrate(design, mult.T[psu_index] * design.weights[:, None]),
        scale=1.0 / (replicates - 1.0),
        rscales=np.ones(replicates),
        mse=mse,
        type="bootstrap",
        df=n_psu - design.n_strata,
    )


def _is_prime(q: int) -> bool:
    if q < 2:
        return False
    return all(q % d for d in range(2, int(q**0.5) + 1))


def _paley_hadamard(q: int) -> NDArray[np.float64]:
    """Paley construction I: a Hadamard matrix of order q + 1 for a prime q = 3 (mod 4)."""
    residues = np.zeros(q, dtype=bool)
    residues[(np.arange(1, q) ** 2) % q] = True
    diff = (np.arange(q)[None, :] - np.arange(q)[:, None]) % q
    jacobsthal = np.where(diff == 0, 0.0, np.where(residues[diff], 1.0, -1.0))
    s = np.zeros((q + 1, q + 1))
    s[0, 1:] = 1.0
    s[1:, 0] = -1.0
    s[1:, 1:] = jacobsthal
    h = np.eye(q + 1) + s
    return h * h[:, [0]]  # normalise so the first column is all ones


def hadamard_matrix(min_order: int) -> NDArray[np.float64]:
    """Smallest Hadamard matrix we can build of order >= ``min_order``, first column all ones.

    Uses Sylvester's construction (powers of 2) and Paley's construction I (q + 1 for primes
    q = 3 mod 4), Wolter (2007) sec. 3.3 and Appendix A.
    """
    order = 1
    while order < min_order:
        order *= 2
    best = sylvester_hadamard(order).astype(np.float64)
    q = 3
    while q + 1 < order:
        if q + 1 >= min_order and _is_prime(q):
            best = _paley_hadamard(q)
            break
        q += 4
    return best


def _half_sample_signs(design: SurveyDesign) -> tuple[NDArray[np.float64], int]:
    """(n, R) +1/-1: is the row's PSU in the replicate's half-sample; and the number R."""
    psu_index, psu_stratum, _, n_h = _psu_structure(design)
    if (n_h != 2).any():
        stratum = int(psu_stratum[np.flatnonzero(n_h != 2)[0]])
        raise DesignError(
            f"strata: stratum {stratum} has {int(n_h[np.flatnonzero(n_h != 2)[0]])} PSUs; BRR "
            "and Fay need exactly 2 PSUs per stratum (pair PSUs into pseudo-strata first)"
        )
    n_strata = int(np.bincount(psu_stratum).size)
    had = hadamard_matrix(n_strata + 1)
    pattern = had[:, 1 : n_strata + 1]  # (R, H), columns orthogonal to the mean
    # First PSU of each stratum follows the pattern, the second its opposite.
    order = np.argsort(psu_stratum, kind="stable")
    is_first = np.zeros(psu_stratum.shape[0], dtype=bool)
    is_first[order[0::2]] = True
    sign_psu = np.where(is_first[None, :], 1.0, -1.0) * pattern[:, psu_stratum]  # (R, P)
    return sign_psu.T[psu_index], int(had.shape[0])


def brr(design: SurveyDesign, *, mse: bool = False) -> ReplicateDesign:
    """Balanced repeated replication for a design with 2 PSUs per stratum.

    Half-sample PSUs get multiplier 2, the others 0; scale = 1/R; the pattern is a Hadamard
    matrix of order R >= H + 1 without its constant column (Wolter 2007, sec. 3.3).
    """
    return fay(design, rho=0.0, mse=mse)


def fay(design: SurveyDesign, *, rho: float = 0.5, mse: bool = False) -> ReplicateDesign:
    """Fay's modified BRR: multipliers 2 - rho and rho; scale = 1/(R (1 - rho)^2).

    Judkins (1990), *J. Official Statistics* 6, 223-234; Wolter (2007) sec. 3.5.
    """
    if not 0.0 <= rho < 1.0:
        raise DesignError(f"rho: {rho} must be in [0, 1)")
    signs, n_rep = _half_sample_signs(design)
    mult = 1.0 + (1.0 - rho) * signs
    return ReplicateDesign(
        weights=design.weights,
        replicate_weights=recalibrate(design, mult * design.weights[:, None]),
        scale=1.0 / (n_rep * (1.0 - rho) ** 2),
        rscales=np.ones(n_rep),
        mse=mse,
        type="BRR" if rho == 0.0 else "Fay",
        df=design.n_psu - design.n_strata,
    )
