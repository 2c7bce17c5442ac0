"""Probability sampling designs as arrays: weights, strata, primary sampling units, fpc.

A :class:`SurveyDesign` is the array form of R's ``svydesign(id=~psu, strata=~stratum,
weights=~weight, fpc=~fpc)`` for a (stratified) one-stage or ultimate-cluster design. It holds
integer codes only, so the estimators in :mod:`analysis.estimators` and the variance in
:mod:`analysis.variance` are vectorised with ``np.bincount`` / ``np.add.at``.

Conventions follow Lumley (2010), *Complex Surveys*, ch. 2 and the R ``survey`` package:

* PSUs are nested in strata. Labels that repeat across strata are an error unless ``nest=True``
  (R's ``svydesign(nest=TRUE)``), which makes each (stratum, psu) pair a PSU.
* ``fpc`` given as population counts N_h (of PSUs) becomes the sampling fraction f_h = n_h / N_h;
  values all <= 1 are taken as fractions already (R's auto-detection).
* Domains are never made by dropping rows: an estimator zeroes the score outside the domain and
  keeps the whole design (:meth:`SurveyDesign.subset_rows` exists for genuine sub-populations
  chosen before sampling or for ``svyciprop`` on a subset design).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

LonelyPsuRule = Literal["fail", "certainty", "adjust", "average"]
"""What to do with a stratum holding a single PSU, as R's ``options(survey.lonely.psu=)``.

``fail`` raises; ``certainty`` treats it as sampled with certainty (no variance); ``adjust``
centres its PSU total at the grand mean of all PSU totals; ``average`` replaces its contribution
by the average contribution of the other strata.
"""

_LONELY_RULES: tuple[str, ...] = ("fail", "certainty", "adjust", "average")


class DesignError(ValueError):
    """A design column is missing, inconsistent or out of range; the message names the fix."""


# R's svyrecvar sweeps the raking margins a fixed 10 times when residualising scores.
RAKING_RESIDUAL_SWEEPS = 10


CalibrationFunction = Literal["linear", "raking"]
"""Distance of a regression calibration step, as R ``calibrate(calfun=)``: g = 1 + x'eta
(linear, Deville & Särndal 1992 GREG) or g = exp(x'eta) (raking)."""

_NO_BOUNDS = (-np.inf, np.inf)


@dataclass(frozen=True)
class CalibrationStep:
    """A calibration applied to the weights, remembered so the variance can account for it.

    Attributes
    ----------
    kind : {"poststratify", "rake", "regression"}
        ``regression`` is R's ``calibrate()`` (linear, bounded linear or raking distance).
    groups : tuple of ndarray of intp, each shape (n,)
        Post-stratum codes (one array) or the codes of each raking margin; for ``regression``
        the categorical auxiliaries (each coded as indicators of all its levels).
    weights : ndarray, shape (n,)
        The calibrated weights g_i d_i.
    base_weights : ndarray, shape (n,), optional
        The weights d_i the step started from (needed by ``regression``: its residuals are
        weighted by d_i; kept by the others so replicates can restart from them).
    covariates : ndarray, shape (n, q), optional
        Numeric auxiliaries of a ``regression`` step, after the categorical ones.
    calfun : {"linear", "raking"}
        Distance of a ``regression`` step (replicates are calibrated again with it).
    bounds : (float, float)
        Bounds on g of a ``regression`` step (R ``bounds=c(lo, hi)``).
    population : ndarray, shape (C,), optional
        Population totals of the auxiliaries of a ``regression`` step, in block order (each
        categorical level, then each covariate); replicates are calibrated to them, as R.

    Notes
    -----
    As R ``survey:::svyrecvar`` (survey 4.1), the variance of a calibrated estimator uses the
    residuals of the weighted scores x_i = w_i u_i from the calibration model. Post-
    stratification: the GREG residual x_i - w_i sum_{j in g} x_j / sum_{j in g} w_j (weighted
    least squares on the post-stratum indicators). Raking: R's iterative fit of the scores,
    x_i - w_i * mean_{j in margin cell}(x_j / w_j) (unweighted mean over the cell's sampled rows)
    cycled over the margins 10 times. Regression (R ``calibrate``, any distance): the residual
    of the d-weighted least squares fit of u_i = x_i / w_i on the auxiliaries X, times w_i:
    x_i - w_i X_i (X' D X)^- X' (x / g) (R's ``qr.resid(qr(X sqrt(d)), x / (g sqrt(d)))
    * g sqrt(d)``). All checked against R to 1e-8 (tests/analysis/test_reference_r.py,
    tests/analysis/test_calibration_linear.py). Lumley (2010), sec. 7.2-7.4.
    """

    kind: Literal["poststratify", "rake", "regression"]
    groups: tuple[NDArray[np.intp], ...]
    weights: NDArray[np.float64]
    base_weights: NDArray[np.float64] | None = None
    covariates: NDArray[np.float64] | None = None
    calfun: CalibrationFunction = "linear"
    bounds: tuple[float, float] = _NO_BOUNDS
    population: NDArray[np.float64] | None = None

    def blocks(self) -> list[tuple[NDArray[np.intp], NDArray[np.float64]]]:
        """The auxiliaries as (cell codes, row factor) blocks: X_i = concat_a f_a,i e_{g_a(i)}.

        A categorical auxiliary is one block (factor 1, a column per level); a numeric one a
        block of a single cell whose factor is the covariate.
        """
        n = self.weights.shape[0]
        out = [(g, np.ones(n)) for g in self.groups]
        if self.covariates is not None:
            zero = np.zeros(n, dtype=np.intp)
            out += [(zero, self.covariates[:, j]) for j in range(self.covariates.shape[1])]
        return out

    @cached_property
    def projector(self) -> NDArray[np.float64]:
        """A generalised inverse of X' D X for a regression step.

        The levels of several categorical auxiliaries are collinear (each margin's indicators
        add up to 1), and any generalised inverse gives the same projection X (X'DX)^- X'D.
        The Gram matrix is equilibrated first, S pinv(S G S) S with S = diag(G)^-1/2, so that
        counts and numeric covariates of very different scales keep their rank.
        """
        if self.base_weights is None:
            raise DesignError("base_weights: a regression calibration step needs them")
        gram = regression_gram(self.blocks(), self.base_weights)
        diag = np.diag(gram)
        scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
        inner = np.linalg.pinv(scale[:, None] * gram * scale[None, :], rcond=1e-10, hermitian=True)
        return np.asarray(scale[:, None] * inner * scale[None, :], dtype=np.float64)

    def _inverse_g(self) -> NDArray[np.float64]:
        # 1 / g_i = d_i / w_i; rows of zero calibrated weight carry no score.
        d = self.base_weights if self.base_weights is not None else self.weights
        return np.divide(d, self.weights, out=np.zeros_like(d), where=self.weights > 0)

    def residualise(self, weighted_scores: NDArray[np.float64]) -> NDArray[np.float64]:
        """Residuals of (n, k) weighted scores w_i u_i from the calibration model."""
        psw = self.weights[:, None]
        if self.kind == "regression":
            blocks = self.blocks()
            inv_g = self._inverse_g()
            block_sums = []
            for g, f in blocks:
                s = np.zeros((int(g.max(initial=-1)) + 1, weighted_scores.shape[1]))
                np.add.at(s, g, (f * inv_g)[:, None] * weighted_scores)
                block_sums.append(s)
            gamma = self.projector @ np.concatenate(block_sums, axis=0)
            fitted = np.zeros_like(weighted_scores)
            start = 0
            for (g, f), s in zip(blocks, block_sums, strict=True):
                fitted += f[:, None] * gamma[start : start + s.shape[0]][g]
                start += s.shape[0]
            return weighted_scores - psw * fitted
        if self.kind == "poststratify":
            # Weighted least squares on the post-stratum indicators (R's calibrate() qr).
            g = self.groups[0]
            size = int(g.max(initial=-1)) + 1
            sums = np.zeros((size, weighted_scores.shape[1]))
            np.add.at(sums, g, weighted_scores)
            wsum = np.bincount(g, weights=self.weights, minlength=size)
            return weighted_scores - psw * (sums / np.where(wsum > 0, wsum, 1.0)[:, None])[g]
        safe_psw = np.where(psw > 0, psw, 1.0)
        resid = weighted_scores.copy()
        counts = [np.bincount(g).astype(np.float64) for g in self.groups]
        for _ in range(RAKING_RESIDUAL_SWEEPS):
            for g, cnt in zip(self.groups, counts, strict=True):
                sums = np.zeros((cnt.shape[0], resid.shape[1]))
                np.add.at(sums, g, resid / safe_psw)
                resid = resid - psw * (sums / np.where(cnt > 0, cnt, 1.0)[:, None])[g]
        return resid


def regression_gram(
    blocks: list[tuple[NDArray[np.intp], NDArray[np.float64]]], v: NDArray[np.float64]
) -> NDArray[np.float64]:
    """sum_i v_i X_i X_i' for auxiliaries given as :meth:`CalibrationStep.blocks` (C, C)."""
    sizes = [int(g.max(initial=-1)) + 1 for g, _ in blocks]
    out = np.zeros((sum(sizes), sum(sizes)))
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    for a, (ga, fa) in enumerate(blocks):
        for b, (gb, fb) in enumerate(blocks):
            if b < a:
                continue
            cell = np.bincount(
                ga * sizes[b] + gb, weights=v * fa * fb, minlength=sizes[a] * sizes[b]
            ).reshape(sizes[a], sizes[b])
            out[starts[a] : starts[a + 1], starts[b] : starts[b + 1]] = cell
            out[starts[b] : starts[b + 1], starts[a] : starts[a + 1]] = cell.T
    return out


@dataclass(frozen=True)
class SecondStage:
    """The second stage of a two-stage design (R ``svydesign(id=~psu+ssu, fpc=~N1+N2)``).

    Attributes
    ----------
    ssu : ndarray of intp, shape (n,)
        Secondary sampling unit codes, unique across PSUs.
    fraction : ndarray, shape (n,)
        Second-stage sampling fraction m_i / M_i of the row's PSU.
    n_sampled : ndarray, shape (n,)
        m_i, the SSUs sampled in the row's PSU (kept by :meth:`SurveyDesign.subset_rows`, so a
        subset pads the missing SSUs with zero totals, as R keeps ``fpc$sampsize``).
    """

    ssu: NDArray[np.intp]
    fraction: NDArray[np.float64]
    n_sampled: NDArray[np.float64]

    def take(self, keep: NDArray[np.bool_]) -> SecondStage:
        """The rows in ``keep``."""
        return SecondStage(self.ssu[keep], self.fraction[keep], self.n_sampled[keep])


CellSums = Callable[[NDArray[np.intp], NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class CalibrationTerm:
    """One term of the calibration correction: row i loses ``multiplier[i] * gamma[groups[i]]``.

    Attributes
    ----------
    groups : ndarray of intp, shape (n,)
        Cell (post-stratum or raking-margin category) of each row.
    multiplier : ndarray, shape (n,)
        The calibrated weights of the step the term belongs to.
    gamma : ndarray, shape (cells, k)
        Per-cell coefficients, one column per score column.
    """

    groups: NDArray[np.intp]
    multiplier: NDArray[np.float64]
    gamma: NDArray[np.float64]


def calibration_terms(
    calibration: tuple[CalibrationStep, ...], cell_sums: CellSums, n_columns: int
) -> list[CalibrationTerm]:
    """The calibration residuals of weighted scores x in low-rank form, without x itself.

    Every step of :meth:`CalibrationStep.residualise` subtracts w_s * (per-cell coefficient)
    from each row, so resid(x)_i = x_i - sum_t m_t,i gamma_t[g_t(i)]. The coefficients depend
    on x only through cell sums sum_{i in c} v_i x_i, which ``cell_sums(groups, v)`` returns
    as a (cells, n_columns) array. So scores that are sparse by domain (one non-zero column per
    row) keep their sparsity: the correction of a PSU total is (PSU x cell weights) @ gamma.
    Same arithmetic as ``residualise`` (checked to 1e-12 in tests/analysis/test_design.py).
    """
    terms: list[CalibrationTerm] = []
    raw_cache: dict[tuple[int, int], NDArray[np.float64]] = {}
    cross_cache: dict[tuple[int, int, int], NDArray[np.float64]] = {}

    def current(
        key: tuple[int, int], groups: NDArray[np.intp], v: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        # Cell sums of v * resid(x) given the terms so far.
        if key not in raw_cache:
            raw_cache[key] = np.asarray(cell_sums(groups, v), dtype=np.float64)
        out = raw_cache[key].copy()
        size = int(groups.max(initial=-1)) + 1
        for t, term in enumerate(terms):
            if (*key, t) not in cross_cache:
                t_size = term.gamma.shape[0]
                cross_cache[(*key, t)] = (
                    np.bincount(
                        groups * t_size + term.groups,
                        weights=v * term.multiplier,
                        minlength=size * t_size,
                    )
                    .reshape(size, t_size)
                    .astype(np.float64)
                )
            out -= cross_cache[(*key, t)] @ term.gamma
        return out

    for s, step in enumerate(calibration):
        psw = step.weights
        if step.kind == "regression":
            # gamma = (X'DX)^+ X'(resid(x) / g): one term per block, multiplier w f_a.
            blocks = step.blocks()
            inv_g = step._inverse_g()
            block_sums = [current((s, m), g, f * inv_g) for m, (g, f) in enumerate(blocks)]
            gamma = step.projector @ np.concatenate(block_sums, axis=0)
            start = 0
            for (g, f), cell in zip(blocks, block_sums, strict=True):
                size = cell.shape[0]
                terms.append(CalibrationTerm(g, psw * f, gamma[start : start + size]))
                start += size
            continue
        if step.kind == "poststratify":
            g = step.groups[0]
            size = int(g.max(initial=-1)) + 1
            wsum = np.bincount(g, weights=psw, minlength=size)
            sums = current((s, 0), g, np.ones_like(psw))
            gamma = sums / np.where(wsum > 0, wsum, 1.0)[:, None]
            terms.append(CalibrationTerm(g, psw, gamma))
            continue
        inv_psw = 1.0 / np.where(psw > 0, psw, 1.0)
        first = len(terms)
        counts = []
        for g in step.groups:
            cnt = np.bincount(g).astype(np.float64)
            counts.append(np.where(cnt > 0, cnt, 1.0))
            terms.append(CalibrationTerm(g, psw, np.zeros((cnt.shape[0], n_columns))))
        for _ in range(RAKING_RESIDUAL_SWEEPS):
            for m, g in enumerate(step.groups):
                sums = current((s, m), g, inv_psw)
                old = terms[first + m]
                terms[first + m] = CalibrationTerm(g, psw, old.gamma + sums / counts[m][:, None])
    return terms


def encode_labels(labels: ArrayLike, *, field: str) -> tuple[NDArray[np.intp], NDArray[Any]]:
    """Encode any hashable labels as integer codes ``0..G-1`` in sorted label order.

    Parameters
    ----------
    labels : array_like, shape (n,)
        Labels (strings, integers, ...). Missing values (``None`` or NaN) are rejected.
    field : str
        Name used in error messages.

    Returns
    -------
    codes : ndarray of intp, shape (n,)
    levels : ndarray, shape (G,)
        ``levels[codes]`` reproduces the labels.
    """
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise DesignError(f"{field}: expected a 1-D column, got shape {arr.shape}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        row = int(np.flatnonzero(np.isnan(arr))[0])
        raise DesignError(f"{field}: row {row} is missing; every row needs a {field} label")
    if arr.dtype.kind == "O":
        missing = np.array([v is None or (isinstance(v, float) and v != v) for v in arr])
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise DesignError(f"{field}: row {row} is missing; every row needs a {field} label")
        arr = arr.astype(str)
    if arr.size and arr.dtype.kind in "iu":
        lo, hi = int(arr.min()), int(arr.max())
        span = hi - lo + 1
        # Coded labels (strata, agencies) span little more than their count: a presence table
        # gives np.unique's levels and codes in O(n + span) instead of a sort of n labels.
        if span <= max(2 * arr.size, 1 << 16):
            shifted = (arr - lo).astype(np.intp)
            present = np.bincount(shifted, minlength=span) > 0
            levels = (np.flatnonzero(present) + lo).astype(arr.dtype)
            lookup = np.cumsum(present, dtype=np.intp)
            lookup -= 1
            return lookup[shifted], levels
    levels, codes = np.unique(arr, return_inverse=True)
    return codes.astype(np.intp).reshape(-1), levels


def _as_float_column(values: ArrayLike, *, field: str, n: int | None) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise DesignError(f"{field}: expected a 1-D column, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise DesignError(f"{field}: has {arr.shape[0]} rows but the design has {n}")
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DesignError(f"{field}: row {row} is {arr[row]!r}; give a finite number")
    return arr


@dataclass(frozen=True)
class SurveyDesign:
    """A stratified (cluster) sample design in array form.

    Attributes
    ----------
    weights : ndarray, shape (n,)
        Sampling weights w_i = 1 / pi_i (possibly calibrated).
    strata : ndarray of int, shape (n,)
        Stratum codes ``0..H-1``; all zeros when unstratified.
    psu : ndarray of int, shape (n,)
        PSU codes ``0..P-1``, unique across strata; each row its own PSU without clusters.
    fpc : ndarray, shape (n,)
        Sampling fraction f_h = n_h / N_h of the row's stratum (0 when sampling with
        replacement / no fpc).
    lonely_psu : LonelyPsuRule
        Rule for strata with a single PSU (R's ``survey.lonely.psu``).
    calibration : tuple of CalibrationStep
        Calibrations that produced ``weights``, in order (empty for design weights); the Taylor
        variance replaces scores by their calibration residuals.
    second_stage : SecondStage or None
        Second-stage units and fpc of a two-stage design; None for one stage (or the
        ultimate-cluster approximation of a multistage design).
    """

    weights: NDArray[np.float64]
    strata: NDArray[np.intp]
    psu: NDArray[np.intp]
    fpc: NDArray[np.float64]
    lonely_psu: LonelyPsuRule = "fail"
    calibration: tuple[CalibrationStep, ...] = ()
    second_stage: SecondStage | None = None

    def __post_init__(self) -> None:
        n = self.weights.shape[0]
        for name in ("strata", "psu", "fpc"):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise DesignError(f"{name}: shape {arr.shape} but weights has shape ({n},)")
        if self.lonely_psu not in _LONELY_RULES:
            raise DesignError(
                f"lonely_psu: {self.lonely_psu!r} is not one of {', '.join(_LONELY_RULES)}"
            )
        if n and (self.weights < 0).any():
            row = int(np.flatnonzero(self.weights < 0)[0])
            raise DesignError(f"weights: row {row} is negative; weights must be >= 0")
        if n and ((self.fpc < 0) | (self.fpc > 1)).any():
            row = int(np.flatnonzero((self.fpc < 0) | (self.fpc > 1))[0])
            raise DesignError(
                f"fpc: row {row} has sampling fraction {self.fpc[row]}; it must be in [0, 1]"
            )

    @property
    def n(self) -> int:
        """Number of sampled rows."""
        return int(self.weights.shape[0])

    @property
    def n_strata(self) -> int:
        """Number of strata with at least one row of non-zero weight."""
        return int(np.unique(self.strata[self.weights != 0]).size)

    @property
    def n_psu(self) -> int:
        """Number of PSUs with at least one row of non-zero weight."""
        return int(np.unique(self.psu[self.weights != 0]).size)

    def calibration_residuals(self, weighted_scores: NDArray[np.float64]) -> NDArray[np.float64]:
        """Weighted scores w_i u_i replaced by their calibration residuals (steps in order)."""
        for step in self.calibration:
            weighted_scores = step.residualise(weighted_scores)
        return weighted_scores

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata (R ``degf``)."""
        return self.n_psu - self.n_strata

    def psu_layout(self) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
        """Compact PSU codes and, per PSU, its stratum and sampling fraction.

        Returns
        -------
        psu_index : ndarray of intp, shape (n,)
            Row -> PSU index ``0..P'-1`` over the PSUs present.
        psu_stratum : ndarray of intp, shape (P',)
        psu_fpc : ndarray of float, shape (P',)
        """
        if self.rows_are_psus:
            return np.arange(self.n, dtype=np.intp), self.strata, self.fpc
        uniq, first, psu_index = np.unique(self.psu, return_index=True, return_inverse=True)
        del uniq
        return (
            psu_index.astype(np.intp).reshape(-1),
            self.strata[first],
            self.fpc[first],
        )

    @cached_property
    def rows_are_psus(self) -> bool:
        """Whether every row is its own PSU, coded 0..n-1 in row order (no clusters)."""
        n = self.n
        psu = self.psu
        if n == 0 or psu[0] != 0 or psu[-1] != n - 1:
            return False
        return bool(np.array_equal(psu, np.arange(n, dtype=psu.dtype)))

    def subset_rows(self, mask: ArrayLike) -> SurveyDesign:
        """Keep only the rows in ``mask``, as R's ``subset()`` of an uncalibrated design.

        Not for domain estimation (zero the score instead). The sampling fractions are kept, so
        the variance of the subset uses the stratum sizes of the full design only through f_h;
        ``n_h`` becomes the number of PSUs present, which equals R when the subset is a union of
        strata (R pads missing PSUs of a stratum with zeros). A calibrated design keeps all its
        rows and gets zero weights outside the mask, as R does, so the calibration residuals
        are still taken over the whole sample.
        """
        keep = np.asarray(mask, dtype=bool)
        if keep.shape != (self.n,):
            raise DesignError(f"mask: shape {keep.shape} but the design has {self.n} rows")
        if self.calibration:
            return SurveyDesign(
                weights=np.where(keep, self.weights, 0.0),
                strata=self.strata,
                psu=self.psu,
                fpc=self.fpc,
                lonely_psu=self.lonely_psu,
                calibration=self.calibration,
                second_stage=self.second_stage,
            )
        return SurveyDesign(
            weights=self.weights[keep],
            strata=self.strata[keep],
            psu=self.psu[keep],
            fpc=self.fpc[keep],
            lonely_psu=self.lonely_psu,
            second_stage=None if self.second_stage is None else self.second_stage.take(keep),
        )

    def with_weights(
        self, weights: ArrayLike, *, calibration: tuple[CalibrationStep, ...] = ()
    ) -> SurveyDesign:
        """The same design with other weights (e.g. after non-response adjustment).

        ``calibration`` lists the calibration steps that produced the new weights; weights that
        come from elsewhere drop any earlier calibration record.
        """
        w = _as_float_column(weights, field="weights", n=self.n)
        return SurveyDesign(
            weights=w,
            strata=self.strata,
            psu=self.psu,
            fpc=self.fpc,
            lonely_psu=self.lonely_psu,
            calibration=calibration,
            second_stage=self.second_stage,
        )

    @classmethod
    def from_columns(
        cls,
        *,
        weights: ArrayLike | None = None,
        inclusion_prob: ArrayLike | None = None,
        strata: ArrayLike | None = None,
        psu: ArrayLike | None = None,
        fpc: ArrayLike | None = None,
        lonely_psu: LonelyPsuRule = "fail",
        nest: bool = False,
        ssu: ArrayLike | None = None,
        ssu_fpc: ArrayLike | None = None,
    ) -> SurveyDesign:
        """Build a design from data columns, as R ``svydesign``.

        Parameters
        ----------
        weights, inclusion_prob : array_like, optional
            Sampling weights, or inclusion probabilities pi_i (weights = 1/pi_i). Without
            either, weights are N_h / n_h when ``fpc`` holds population counts, else 1.
        strata, psu : array_like, optional
            Any hashable labels. Without ``psu`` each row is its own PSU.
        fpc : array_like, optional
            Population count of PSUs N_h per row, or the sampling fraction n_h / N_h
            (all values <= 1). Must be constant within a stratum.
        lonely_psu : {"fail", "certainty", "adjust", "average"}
        nest : bool
            PSU labels are only unique within a stratum (R ``nest=TRUE``).
        ssu, ssu_fpc : array_like, optional
            Second stage of a two-stage design (R ``id=~psu+ssu, fpc=~fpc1+fpc2``): the
            secondary unit labels (unique within a PSU) and the population count M_i of SSUs
            in the row's PSU, or the fraction m_i / M_i (all values <= 1). Both or neither;
            they need ``psu`` and the first-stage ``fpc``. Default weights become
            (N_h / n_h)(M_i / m_i).

        Returns
        -------
        SurveyDesign
        """
        n = _infer_n(weights, inclusion_prob, strata, psu, fpc)
        if strata is None:
            strata_codes = np.zeros(n, dtype=np.intp)
        else:
            strata_codes, _ = encode_labels(strata, field="strata")
            if strata_codes.shape[0] != n:
                raise DesignError(f"strata: has {strata_codes.shape[0]} rows, expected {n}")
        if psu is None:
            psu_codes = np.arange(n, dtype=np.intp)
        else:
            raw_psu, _ = encode_labels(psu, field="psu")
            if raw_psu.shape[0] != n:
                raise DesignError(f"psu: has {raw_psu.shape[0]} rows, expected {n}")
            pair = raw_psu.astype(np.int64) * (int(strata_codes.max(initial=0)) + 1)
            pair += strata_codes
            _, psu_codes = np.unique(pair, return_inverse=True)
            psu_codes = psu_codes.astype(np.intp).reshape(-1)
            if not nest:
                _check_psu_nesting(raw_psu, psu_codes)
        # n_h counts PSUs, not rows: one entry per distinct PSU.
        n_strata = int(strata_codes.max(initial=-1)) + 1
        if psu is None:
            n_h = np.bincount(strata_codes, minlength=n_strata).astype(np.float64)
        else:
            _, first = np.unique(psu_codes, return_index=True)
            n_h = np.bincount(strata_codes[first], minlength=n_strata).astype(np.float64)

        fraction = np.zeros(n, dtype=np.float64)
        pop_counts: NDArray[np.float64] | None = None
        if fpc is not None:
            fpc_arr = _as_float_column(fpc, field="fpc", n=n)
            _check_constant_within(fpc_arr, strata_codes, field="fpc")
            if (fpc_arr <= 0).any():
                row = int(np.flatnonzero(fpc_arr <= 0)[0])
                raise DesignError(f"fpc: row {row} is {fpc_arr[row]}; it must be positive")
            if (fpc_arr <= 1).all():
                fraction = fpc_arr
            else:
                pop_counts = fpc_arr
                too_small = fpc_arr < n_h[strata_codes]
                if too_small.any():
                    row = int(np.flatnonzero(too_small)[0])
                    raise DesignError(
                        f"fpc: row {row} says the stratum has {fpc_arr[row]:g} PSUs but "
                        f"{int(n_h[strata_codes[row]])} were sampled; give the population "
                        "count N_h of PSUs (or the sampling fraction)"
                    )
                fraction = n_h[strata_codes] / fpc_arr

        second = None
        stage2_weight = np.ones(n)
        if ssu is not None or ssu_fpc is not None:
            second, stage2_weight = _second_stage(ssu, ssu_fpc, psu, fpc, psu_codes, n)

        if weights is not None:
            w = _as_float_column(weights, field="weights", n=n)
        elif inclusion_prob is not None:
            prob = _as_float_column(inclusion_prob, field="inclusion_prob", n=n)
            bad = (prob <= 0) | (prob > 1)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DesignError(f"inclusion_prob: row {row} is {prob[row]}; it must be in (0, 1]")
            w = 1.0 / prob
        elif pop_counts is not None:
            w = pop_counts / n_h[strata_codes] * stage2_weight
        else:
            w = np.ones(n, dtype=np.float64)
        return cls(
            weights=w,
            strata=strata_codes,
            psu=psu_codes,
            fpc=fraction,
            lonely_psu=lonely_psu,
            second_stage=second,
        )


def _second_stage(
    ssu: ArrayLike | None,
    ssu_fpc: ArrayLike | None,
    psu: ArrayLike | None,
    fpc: ArrayLike | None,
    psu_codes: NDArray[np.intp],
    n: int,
) -> tuple[SecondStage, NDArray[np.float64]]:
    """The second stage and the rows' second-stage weights M_i / m_i (1 given fractions)."""
    if ssu is None or ssu_fpc is None:
        raise DesignError(
            "ssu, ssu_fpc: give both the second-stage unit labels and the second-stage fpc "
            "(population count of SSUs in each PSU), or neither"
        )
    if psu is None or fpc is None:
        raise DesignError(
            "psu, fpc: a second-stage fpc needs the first-stage PSUs and their fpc; without "
            "them R's variance has no second-stage term (drop ssu/ssu_fpc)"
        )
    raw, _ = encode_labels(ssu, field="ssu")
    if raw.shape[0] != n:
        raise DesignError(f"ssu: has {raw.shape[0]} rows, expected {n}")
    # SSU labels need only be unique within their PSU.
    pair = psu_codes.astype(np.int64) * (int(raw.max(initial=0)) + 1) + raw
    _, ssu_codes = np.unique(pair, return_inverse=True)
    ssu_codes = ssu_codes.astype(np.intp).reshape(-1)
    _, first = np.unique(ssu_codes, return_index=True)
    m_i = np.bincount(psu_codes[first], minlength=int(psu_codes.max(initial=-1)) + 1)
    m_rows = m_i[psu_codes].astype(np.float64)
    f2 = _as_float_column(ssu_fpc, field="ssu_fpc", n=n)
    _check_constant_within(f2, psu_codes, field="ssu_fpc", unit="PSU")
    if (f2 <= 0).any():
        row = int(np.flatnonzero(f2 <= 0)[0])
        raise DesignError(f"ssu_fpc: row {row} is {f2[row]}; it must be positive")
    if (f2 <= 1).all():
        return SecondStage(ssu_codes, f2, m_rows), np.ones(n)
    too_small = f2 < m_rows
    if too_small.any():
        row = int(np.flatnonzero(too_small)[0])
        raise DesignError(
            f"ssu_fpc: row {row} says its PSU has {f2[row]:g} SSUs but {int(m_rows[row])} were "
            "sampled; give the population count M_i of SSUs in the PSU (or the fraction)"
        )
    return SecondStage(ssu_codes, m_rows / f2, m_rows), f2 / m_rows


def _infer_n(*columns: ArrayLike | None) -> int:
    for col in columns:
        if col is not None:
            return int(np.asarray(col).shape[0])
    raise DesignError("from_columns: give at least one column (weights, inclusion_prob, ...)")


def _check_psu_nesting(raw_psu: NDArray[np.intp], psu_codes: NDArray[np.intp]) -> None:
    # A raw PSU label mapping to several (stratum, psu) pairs means it spans strata.
    n_pairs = np.unique(psu_codes).size
    n_labels = np.unique(raw_psu).size
    if n_pairs != n_labels:
        counts = np.bincount(raw_psu[np.unique(psu_codes, return_index=True)[1]])
        label = int(np.flatnonzero(counts > 1)[0])
        row = int(np.flatnonzero(raw_psu == label)[0])
        raise DesignError(
            f"psu: the PSU of row {row} appears in more than one stratum; pass nest=True if "
            "PSU labels are only unique within strata"
        )


def _check_constant_within(
    values: NDArray[np.float64],
    groups: NDArray[np.intp],
    *,
    field: str,
    unit: str = "stratum",
) -> None:
    g = int(groups.max(initial=-1)) + 1
    # Any one row's value per group (which one does not matter): a group is constant iff every
    # row equals it. Two gathers instead of sorting or ufunc.at over the rows.
    some = np.zeros(g)
    some[groups] = values
    differs = values != some[groups]
    if differs.any():
        varying_group = np.zeros(g, dtype=bool)
        varying_group[groups[differs]] = True
        row = int(np.flatnonzero(varying_group[groups])[0])
        raise DesignError(
            f"{field}: row {row} differs from other rows of its {unit}; {field} must be "
            f"constant within a {unit}"
        )


def as_score_matrix(scores: ArrayLike, n: int, *, field: str = "scores") -> NDArray[np.float64]:
    """Return scores as a float (n, k) matrix, accepting a (n,) vector."""
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise DesignError(f"{field}: shape {arr.shape} does not match the design's {n} rows")
    return arr
