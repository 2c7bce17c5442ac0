"""Design-based variance: Taylor linearisation and replicate weights.

Taylor (linearisation) variance of an estimator theta_hat with theta_hat - theta ~= sum_i w_i u_i
(Wolter 2007, ch. 6; Lumley 2010, sec. 2.2; R ``survey:::svyrecvar``)::

    V = sum_h (1 - f_h) n_h / (n_h - 1) sum_{j in h} (z_hj - zbar_h)(z_hj - zbar_h)^T

with z_hj the total of w_i u_i over PSU j of stratum h and n_h the number of PSUs sampled in h.
A two-stage design with fpc at both stages adds the second-stage term of R's ``multistage``::

    + sum_h f_h sum_{j in h} (1 - f_hj) m_hj / (m_hj - 1) sum_k (z_hjk - zbar_hj)(...)^T

with z_hjk the SSU totals of w_i u_i, m_hj the SSUs sampled in PSU j, f_h = n_h / N_h and
f_hj = m_hj / M_hj (Lumley 2010, sec. 3.2; Saerndal et al. 1992, result 4.3.1).

Replicate variance (Wolter 2007, ch. 3-5; R ``survey::svrVar``)::

    V = scale * sum_r rscale_r (theta_r - c)(theta_r - c)^T

with c the mean of the replicate estimates, or the full-sample estimate when ``mse`` is true.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.design import DesignError, SurveyDesign, as_score_matrix
from analysis.replicates import ReplicateDesign

# R treats a stratum whose 1 - f_h is below this as sampled with certainty (zero variance).
_CERTAINTY_TOL = 1e-7


class LonelyPsuError(DesignError):
    """A stratum has a single PSU and the design's lonely-PSU rule is ``fail``."""


@dataclass(frozen=True)
class StratumFactors:
    """The first-stage layout of a design and each stratum's variance factor c_h.

    c_h = (1 - f_h) n_h / (n_h - 1) (Lumley 2010, eq. 2.2); 0 for a certainty stratum
    (f_h = 1) and, as R ``survey:::onestrat``, for a lonely stratum (one PSU, f_h < 1) unless
    ``lonely_psu="adjust"`` keeps it (uncentred, c_h = 1 - f_h).
    """

    psu_index: NDArray[np.intp]  # row -> PSU 0..P-1
    psu_stratum: NDArray[np.intp]  # PSU -> stratum
    n_h: NDArray[np.float64]  # PSUs per stratum
    factor_h: NDArray[np.float64]  # c_h
    adjust_h: NDArray[np.bool_]  # lonely strata kept uncentred ("adjust")
    lonely_h: NDArray[np.bool_]  # strata with one PSU and f_h < 1


def stratum_factors(design: SurveyDesign) -> StratumFactors:
    """:class:`StratumFactors` of ``design``; :class:`LonelyPsuError` for a lonely stratum
    under ``lonely_psu="fail"``."""
    psu_index, psu_stratum, psu_fpc = design.psu_layout()
    n_strata = int(design.strata.max(initial=-1)) + 1
    n_h = np.bincount(psu_stratum, minlength=n_strata).astype(np.float64)
    one_minus_f = np.ones(n_strata)
    one_minus_f[psu_stratum] = 1.0 - psu_fpc
    certain = one_minus_f < _CERTAINTY_TOL
    lonely = (n_h == 1) & ~certain
    if lonely.any() and design.lonely_psu == "fail":
        stratum = int(np.flatnonzero(lonely)[0])
        raise LonelyPsuError(
            f"strata: stratum {stratum} has only one PSU, so its variance cannot be estimated; "
            "merge it with a similar stratum or choose lonely_psu='certainty', 'adjust' or "
            "'average'"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_h > 1, one_minus_f * n_h / (n_h - 1.0), one_minus_f)
    factor[certain] = 0.0
    adjust = lonely & (design.lonely_psu == "adjust")
    factor[lonely & ~adjust] = 0.0
    return StratumFactors(psu_index, psu_stratum, n_h, factor, adjust, lonely)


def psu_totals(design: SurveyDesign, scores: ArrayLike) -> NDArray[np.float64]:
    """Totals of ``w_i * u_i`` over each PSU present, shape (P, k).

    For a calibrated design ``w_i u_i`` is first replaced by its calibration residual
    (:class:`analysis.design.CalibrationStep`).

    Parameters
    ----------
    design : SurveyDesign
    scores : array_like, shape (n,) or (n, k)

    Returns
    -------
    ndarray, shape (P, k)
        Rows ordered as in :meth:`SurveyDesign.psu_layout`.
    """
    u = as_score_matrix(scores, design.n)
    psu_index, psu_stratum, _ = design.psu_layout()
    x = design.calibration_residuals(design.weights[:, None] * u)
    z = np.zeros((psu_stratum.shape[0], u.shape[1]))
    np.add.at(z, psu_index, x)
    return z


def taylor_covariance(design: SurveyDesign, scores: ArrayLike) -> NDArray[np.float64]:
    """Taylor-linearised covariance of estimators with influence scores ``u``.

    Parameters
    ----------
    design : SurveyDesign
    scores : array_like, shape (n,) or (n, k)
        Linearised values u_i such that estimate - theta ~= sum_i w_i u_i. Zero the score outside
        a domain (do not drop rows) to estimate for the domain.

    Returns
    -------
    ndarray, shape (k, k)
        sum_h (1 - f_h) n_h/(n_h - 1) sum_j (z_hj - zbar_h)(z_hj - zbar_h)^T, with z_hj the PSU
        totals of w u (Lumley 2010, eq. 2.2; R ``svyrecvar``, one stage).

    Notes
    -----
    Strata with a single PSU follow ``design.lonely_psu`` as R's ``survey:::onestrat``
    (survey 4.1, ``survey.adjust.domain.lonely = FALSE``): ``fail`` raises
    :class:`LonelyPsuError`; ``certainty`` gives them no variance; ``adjust`` does not centre
    the lonely PSU's total at all, so it adds (1 - f_h) z_h z_h^T (for a mean, whose scores sum
    to zero over the sample, that is centring at the grand mean; for a total it is not);
    ``average`` drops them and multiplies the sum over the other strata by H / (H - L), H the
    strata the estimate has rows in and L the lonely ones among them (``strata_present``; all
    strata of the design by default). Strata with f_h = 1 contribute nothing, as in R.
    """
    cov = covariance_from_psu_totals(design, psu_totals(design, scores))
    if design.second_stage is not None:
        u = as_score_matrix(scores, design.n)
        x = design.calibration_residuals(design.weights[:, None] * u)
        cov = cov + second_stage_covariance(design, ssu_totals(design, x))
    return cov


def ssu_totals(design: SurveyDesign, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Totals of (n, k) weighted scores over each second-stage unit, shape (S, k)."""
    if design.second_stage is None:
        raise DesignError("second_stage: the design has one stage")
    _, ssu_index = np.unique(design.second_stage.ssu, return_inverse=True)
    z = np.zeros((int(ssu_index.max(initial=-1)) + 1, x.shape[1]))
    np.add.at(z, ssu_index.reshape(-1), x)
    return z


def second_stage_covariance(design: SurveyDesign, z: NDArray[np.float64]) -> NDArray[np.float64]:
    """The second-stage term of a two-stage design from SSU totals z (S, k), as R.

    R ``survey:::multistage`` (survey 4.1): within each PSU the SSU totals get the one-stage
    variance ``onestrat`` with the PSU's m and fpc, padded with zero totals up to m (a subset
    or domain), times the PSU's first-stage fraction n_h / N_h; a PSU sampled with certainty
    (f_h = 1) keeps its whole second-stage term and a PSU whose SSUs were all taken
    (f_hj = 1) adds nothing. A PSU with a single sampled SSU follows ``lonely_psu`` as at the
    first stage (``average`` raises: R's answer is NaN).
    """
    st = design.second_stage
    if st is None:
        return np.zeros((z.shape[1], z.shape[1]))
    _, first_row = np.unique(st.ssu, return_index=True)
    _, ssu_psu = np.unique(design.psu[first_row], return_inverse=True)
    ssu_psu = ssu_psu.reshape(-1)
    n_psu = int(ssu_psu.max(initial=-1)) + 1
    _, psu_first = np.unique(ssu_psu, return_index=True)
    rows = first_row[psu_first]
    m = st.n_sampled[rows]
    f1 = design.fpc[rows]
    one_minus_f2 = 1.0 - st.fraction[rows]
    certain = one_minus_f2 < _CERTAINTY_TOL
    lonely = (m == 1) & ~certain
    if lonely.any() and design.lonely_psu in ("fail", "average"):
        psu_row = int(rows[np.flatnonzero(lonely)[0]])
        raise LonelyPsuError(
            f"ssu: the PSU of row {psu_row} has a single sampled SSU but not all its SSUs, so "
            "its second-stage variance cannot be estimated; choose lonely_psu='certainty' or "
            "'adjust' (or give its ssu_fpc as 1 if every SSU was taken)"
        )
    sums = np.zeros((n_psu, z.shape[1]))
    np.add.at(sums, ssu_psu, z)
    means = sums / m[:, None]
    centred = z - means[ssu_psu]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = f1 * one_minus_f2 * np.where(m > 1, m / (m - 1.0), 1.0)
    factor[certain] = 0.0
    if lonely.any():
        if design.lonely_psu == "adjust":
            # onestrat leaves a lonely unit uncentred under "adjust".
            centred[lonely[ssu_psu]] = z[lonely[ssu_psu]]
        else:
            factor[lonely] = 0.0
    cov = (centred * factor[ssu_psu][:, None]).T @ centred
    # SSUs of the PSU absent from the rows (a subset) have zero totals, so centred at -mean.
    present = np.bincount(ssu_psu, minlength=n_psu).astype(np.float64)
    missing = np.maximum(m - present, 0.0) * factor
    cov += (means * missing[:, None]).T @ means
    return np.asarray(cov)


def domain_strata(
    design: SurveyDesign,
    domains: ArrayLike,
    n_domains: int,
    rows: ArrayLike | None = None,
) -> NDArray[np.bool_]:
    """Which strata each domain has rows in, shape (H, G): R's strata of a domain's subset.

    R's ``svyby`` estimates a domain on ``design[domain, ]``, which drops the other rows of an
    uncalibrated design, so ``onestage`` counts only the strata the domain has rows in (this
    matters for ``lonely_psu="average"``). A calibrated design keeps every row (zero weight), so
    every stratum counts. ``rows`` marks the rows that belong to their domain (e.g. not missing).
    """
    codes = np.asarray(domains, dtype=np.intp)
    n_strata = int(design.strata.max(initial=-1)) + 1
    present = np.zeros((n_strata, n_domains), dtype=bool)
    if design.calibration:
        present[np.unique(design.strata), :] = True
        return present
    keep = np.ones(design.n, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    present[design.strata[keep], codes[keep]] = True
    return present


def domain_taylor_covariance(
    design: SurveyDesign,
    scores: ArrayLike,
    domains: ArrayLike,
    n_domains: int,
    rows: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Taylor covariance of G domain estimators whose scores are zero outside their domain.

    Equivalent to :func:`taylor_covariance` on the (n, G) matrix with ``scores[i]`` in column
    ``domains[i]`` and zeros elsewhere, without building that matrix: PSU-by-domain totals are
    accumulated directly (a calibrated design, whose residuals are dense, takes the dense path).

    Parameters
    ----------
    design : SurveyDesign
    scores : array_like, shape (n,)
        Each row's score for its own domain (0 for rows outside every domain).
    domains : array_like of int, shape (n,)
        Domain code ``0..G-1`` of each row.
    n_domains : int
    rows : array_like of bool, shape (n,), optional
        Rows that belong to their domain (default all); only the strata these rows are in
        count for ``lonely_psu="average"`` (:func:`domain_strata`).

    Returns
    -------
    ndarray, shape (G, G)
    """
    u = np.asarray(scores, dtype=np.float64)
    codes = np.asarray(domains, dtype=np.intp)
    if u.shape != (design.n,) or codes.shape != (design.n,):
        raise DesignError(f"scores, domains: need one value per row ({design.n})")
    present = domain_strata(design, codes, n_domains, rows)
    if design.calibration:
        dense = np.zeros((design.n, n_domains))
        dense[np.arange(design.n), codes] = u
        return taylor_covariance_with_strata(design, dense, present)
    psu_index, psu_stratum, _ = design.psu_layout()
    z = np.zeros((psu_stratum.shape[0], n_domains))
    np.add.at(z, (psu_index, codes), design.weights * u)
    cov = covariance_from_psu_totals(design, z, present)
    if design.second_stage is not None:
        _, ssu_index = np.unique(design.second_stage.ssu, return_inverse=True)
        z2 = np.zeros((int(ssu_index.max(initial=-1)) + 1, n_domains))
        np.add.at(z2, (ssu_index.reshape(-1), codes), design.weights * u)
        cov = cov + second_stage_covariance(design, z2)
    return cov


def taylor_covariance_with_strata(
    design: SurveyDesign, scores: ArrayLike, strata_present: NDArray[np.bool_] | None
) -> NDArray[np.float64]:
    """:func:`taylor_covariance` with each column's strata for ``lonely_psu="average"``."""
    cov = covariance_from_psu_totals(design, psu_totals(design, scores), strata_present)
    if design.second_stage is not None:
        u = as_score_matrix(scores, design.n)
        x = design.calibration_residuals(design.weights[:, None] * u)
        cov = cov + second_stage_covariance(design, ssu_totals(design, x))
    return cov


def covariance_from_psu_totals(
    design: SurveyDesign,
    z: NDArray[np.float64],
    strata_present: NDArray[np.bool_] | None = None,
) -> NDArray[np.float64]:
    """The stratified between-PSU covariance of PSU totals z (P, k) laid out as psu_layout.

    ``strata_present`` (H, k) says which strata each column's estimate has rows in (R's
    ``nstrat`` in ``onestage``, used by ``lonely_psu="average"``); default every stratum with a
    PSU. With it, a column whose strata are all lonely gets a NaN variance, as in R; without it
    that raises :class:`LonelyPsuError`. Under ``average`` column j is scaled by
    s_j = H_j / (H_j - L_j) and a covariance by sqrt(s_j s_k), which keeps the matrix
    positive semi-definite (R's ``svyby`` gives no covariance between Taylor domains).
    """
    layout = stratum_factors(design)
    psu_stratum, n_h, factor, lonely = (
        layout.psu_stratum,
        layout.n_h,
        layout.factor_h,
        layout.lonely_h,
    )
    present = n_h > 0
    sums = np.zeros((n_h.shape[0], z.shape[1]))
    np.add.at(sums, psu_stratum, z)
    means = sums / np.where(present, n_h, 1.0)[:, None]
    centred = z - means[psu_stratum]
    if layout.adjust_h.any():
        # R's onestrat skips the centring of a stratum with nPSU = 1 under "adjust".
        kept = layout.adjust_h[psu_stratum]
        centred[kept] = z[kept]

    cov = (centred * factor[psu_stratum][:, None]).T @ centred
    if design.lonely_psu == "average" and lonely.any():
        if strata_present is None:
            n_present = int(present.sum())
            n_lonely = int(lonely.sum())
            if n_present == n_lonely:
                raise LonelyPsuError(
                    "strata: every stratum has a single PSU, so lonely_psu='average' has no "
                    "other strata to borrow from; merge strata or use 'certainty'"
                )
            cov *= n_present / (n_present - n_lonely)
        else:
            h_j = strata_present.sum(axis=0).astype(np.float64)
            l_j = (strata_present & lonely[:, None]).sum(axis=0).astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                root = np.where(h_j > l_j, np.sqrt(h_j / np.maximum(h_j - l_j, 1.0)), np.nan)
            cov = cov * root[:, None] * root[None, :]
    return np.asarray(cov)


def replicate_covariance(
    rep_design: ReplicateDesign, estimates_full: ArrayLike, estimates_rep: ArrayLike
) -> NDArray[np.float64]:
    """Replicate-weight covariance of k estimates.

    Parameters
    ----------
    rep_design : ReplicateDesign
    estimates_full : array_like, shape (k,)
        Full-sample estimates theta_hat.
    estimates_rep : array_like, shape (R, k)
        Estimates theta_r with each replicate's weights.

    Returns
    -------
    ndarray, shape (k, k)
        scale * sum_r rscale_r (theta_r - c)(theta_r - c)^T, c = mean of theta_r, or theta_hat
        when ``rep_design.mse`` (Wolter 2007, eq. 4.5.3; R ``svrVar``).
    """
    full = np.atleast_1d(np.asarray(estimates_full, dtype=np.float64))
    reps = np.asarray(estimates_rep, dtype=np.float64)
    if reps.ndim == 1:
        reps = reps[:, None]
    n_rep = rep_design.replicate_weights.shape[1]
    if reps.shape != (n_rep, full.shape[0]):
        raise DesignError(
            f"estimates_rep: shape {reps.shape}, expected ({n_rep}, {full.shape[0]}) "
            "(one row per replicate, one column per estimate)"
        )
    centre = full if rep_design.mse else reps.mean(axis=0)
    dev = reps - centre
    return np.asarray(rep_design.scale * (dev * rep_design.rscales[:, None]).T @ dev)


def domain_taylor_variance(
    design: SurveyDesign,
    scores: ArrayLike,
    domains: ArrayLike,
    n_domains: int,
    rows: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """The diagonal of :func:`domain_taylor_covariance`, from the (PSU, domain) pairs present.

    For domain g, V_g = sum_h c_h [sum_{k in h} t_gk^2 - (sum_{k in h} t_gk)^2 / n_h] with
    c_h = (1 - f_h) n_h / (n_h - 1) and t_gk the total of w u over the rows of g in PSU k
    (Lumley 2010, eq. 2.2, with the domain-zeroed score); PSUs of h without a row of g have
    t_gk = 0 and are not stored, so the cost is O(n) whatever the number of domains. Lonely
    strata follow the design's rule as :func:`covariance_from_psu_totals` (``average`` scales
    by H_g / (H_g - L_g), the strata of domain g's ``rows``). A calibrated or two-stage design
    takes the dense path of :func:`domain_taylor_covariance`.

    Returns
    -------
    ndarray, shape (G,)
    """
    u = np.asarray(scores, dtype=np.float64)
    codes = np.asarray(domains, dtype=np.intp)
    if u.shape != (design.n,) or codes.shape != (design.n,):
        raise DesignError(f"scores, domains: need one value per row ({design.n})")
    if design.calibration or design.second_stage is not None:
        return _dense_domain_variance(design, u, codes, n_domains, rows)
    layout = stratum_factors(design)
    psu_index, psu_stratum, n_h = layout.psu_index, layout.psu_stratum, layout.n_h
    factor, adjust, lonely = layout.factor_h, layout.adjust_h, layout.lonely_h
    # Strata centred at their mean: c_h / n_h; a lonely PSU under "adjust" is not centred (R).
    centring = np.where(~adjust & (n_h > 0), factor / np.maximum(n_h, 1.0), 0.0)
    x = design.weights * u
    pair_key, pair_of_row = np.unique(
        psu_index.astype(np.int64) * n_domains + codes, return_inverse=True
    )
    t = np.bincount(pair_of_row.reshape(-1), weights=x, minlength=pair_key.shape[0])
    pair_domain = (pair_key % n_domains).astype(np.intp)
    pair_stratum = psu_stratum[(pair_key // n_domains).astype(np.intp)]
    var = np.bincount(pair_domain, weights=factor[pair_stratum] * t**2, minlength=n_domains)
    dh_key, dh_of_pair = np.unique(
        pair_stratum.astype(np.int64) * n_domains + pair_domain, return_inverse=True
    )
    t_dh = np.bincount(dh_of_pair.reshape(-1), weights=t, minlength=dh_key.shape[0])
    dh_stratum = (dh_key // n_domains).astype(np.intp)
    dh_domain = (dh_key % n_domains).astype(np.intp)
    var -= np.bincount(dh_domain, weights=centring[dh_stratum] * t_dh**2, minlength=n_domains)
    if design.lonely_psu == "average" and lonely.any():
        present = domain_strata(design, codes, n_domains, rows)
        h_g = present.sum(axis=0).astype(np.float64)
        l_g = (present & lonely[:, None]).sum(axis=0).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            var = np.where(h_g > l_g, var * h_g / np.maximum(h_g - l_g, 1.0), np.nan)
    return np.asarray(var, dtype=np.float64)


# Domains per pass of the dense path (calibrated or two-stage designs): (n, block) scores at a
# time, so thousands of agencies need no n x G matrix.
DENSE_BLOCK = 256


def _dense_domain_variance(
    design: SurveyDesign,
    u: NDArray[np.float64],
    codes: NDArray[np.intp],
    n_domains: int,
    rows: ArrayLike | None,
) -> NDArray[np.float64]:
    """The diagonal of :func:`domain_taylor_covariance`, DENSE_BLOCK domains at a time (a
    domain's variance depends on its own scores only, so the blocks give it exactly)."""
    keep = np.ones(design.n, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    var = np.empty(n_domains)
    for start in range(0, n_domains, DENSE_BLOCK):
        stop = min(start + DENSE_BLOCK, n_domains)
        inside = (codes >= start) & (codes < stop)
        cov = domain_taylor_covariance(
            design,
            np.where(inside, u, 0.0),
            np.where(inside, codes - start, 0),
            stop - start,
            keep & inside,
        )
        var[start:stop] = np.diag(cov)
    return var
