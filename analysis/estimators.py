"""Design-based estimators of totals, means, proportions and ratios, overall and by domain.

Every estimator here is a ratio of weighted totals, theta = T_y / T_x (a total has no
denominator), so one routine serves them all:

* Taylor linearisation: theta_hat - theta ~= sum_i w_i u_i with u_i = (y_i - theta_hat x_i) / T_x
  (Woodruff 1971; Särndal, Swensson & Wretman 1992, sec. 5.6; Lumley 2010, sec. 2.2), the
  variance from :func:`analysis.variance.taylor_covariance`;
* replicate weights: theta_r = (Y^T W_r) / (X^T W_r) for all replicates at once, the variance
  from :func:`analysis.variance.replicate_covariance`.

Domains use the whole design: the score is zero outside the domain and n_h stays the stratum's
whole sample (R ``svyby``; Lumley 2010, sec. 2.4). All domains are estimated together from one
(n, G) score matrix, so the covariance between domains is available for comparisons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.design import DesignError, SurveyDesign, encode_labels
from analysis.distributions import norm_ppf, t_ppf
from analysis.replicates import ReplicateDesign
from analysis.variance import (
    domain_strata,
    domain_taylor_covariance,
    domain_taylor_variance,
    replicate_covariance,
    taylor_covariance_with_strata,
)

Design = SurveyDesign | ReplicateDesign
DeffMethod = Literal["without_replacement", "with_replacement"]
EstimateKind = Literal["total", "mean", "ratio"]


@dataclass(frozen=True)
class Domains:
    """Row -> domain codes and the label(s) of each domain.

    Attributes
    ----------
    codes : ndarray of intp, shape (n,)
        Domain of each row, ``0..G-1``.
    labels : tuple of ndarray, each shape (G,)
        One array per domain column; ``labels[j][g]`` is domain g's value of column j. Empty
        tuple for the whole population (G = 1).
    """

    codes: NDArray[np.intp]
    labels: tuple[NDArray[np.generic], ...]

    @property
    def size(self) -> int:
        """Number of domains G."""
        return int(self.codes.max(initial=-1)) + 1 if self.labels else 1


def make_domains(n: int, by: ArrayLike | Sequence[ArrayLike] | None) -> Domains:
    """Domains from one column, several columns (their combinations) or none (whole sample).

    Parameters
    ----------
    n : int
        Number of rows.
    by : array_like or sequence of array_like or None
        Domain column(s). Only combinations present in the sample become domains, in sorted
        order of the labels.
    """
    if by is None:
        return Domains(codes=np.zeros(n, dtype=np.intp), labels=())
    columns: list[ArrayLike]
    if isinstance(by, list | tuple) and len(by) > 0 and np.ndim(by[0]) == 1:
        columns = list(by)
    else:
        columns = [by]  # type: ignore[list-item]
    encoded = [encode_labels(c, field=f"by[{j}]") for j, c in enumerate(columns)]
    for j, (codes, _) in enumerate(encoded):
        if codes.shape[0] != n:
            raise DesignError(f"by[{j}]: has {codes.shape[0]} rows but the design has {n}")
    combo = np.column_stack([codes for codes, _ in encoded])
    uniq, inverse = np.unique(combo, axis=0, return_inverse=True)
    labels = tuple(levels[uniq[:, j]] for j, (_, levels) in enumerate(encoded))
    return Domains(codes=inverse.astype(np.intp).reshape(-1), labels=labels)


@dataclass(frozen=True)
class Estimate:
    """Estimates of one kind, one row per domain.

    Attributes
    ----------
    kind : {"total", "mean", "ratio"}
    labels : tuple of ndarray
        Domain labels (see :class:`Domains`); empty for the whole population.
    estimate, se, variance : ndarray, shape (G,)
    covariance : ndarray, shape (G, G)
        Design covariance between the domain estimates.
    df : int
        Design degrees of freedom (PSUs - strata of the whole design, R ``degf``).
    domain_df : ndarray of int, shape (G,)
        PSUs - strata among the rows of each domain (R ``degf`` of the domain's subset design,
        used by ``svyby(..., svyciprop)``).
    n : ndarray of int, shape (G,)
        Sampled rows in the domain (with non-zero weight and a non-missing value).
    population : ndarray, shape (G,)
        Estimated domain size sum_{i in d} w_i.
    deff : ndarray, shape (G,) or None
        Design effect (R ``deff=TRUE``); None for ratios.
    """

    kind: EstimateKind
    labels: tuple[NDArray[np.generic], ...]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    variance: NDArray[np.float64]
    covariance: NDArray[np.float64]
    df: int
    domain_df: NDArray[np.int64]
    n: NDArray[np.int64]
    population: NDArray[np.float64]
    deff: NDArray[np.float64] | None

    @property
    def cv(self) -> NDArray[np.float64]:
        """Coefficient of variation se / |estimate| (NaN for a zero estimate)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.estimate != 0, self.se / np.abs(self.estimate), np.nan)

    @property
    def effective_n(self) -> NDArray[np.float64]:
        """Kish effective sample size n / deff (NaN without a deff)."""
        if self.deff is None:
            return np.full(self.estimate.shape, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.deff > 0, self.n / self.deff, np.nan)

    def ci(
        self, level: float = 0.95, df: float | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Symmetric interval estimate +/- q se.

        Parameters
        ----------
        level : float
            Confidence level in (0, 1).
        df : float, optional
            Degrees of freedom of the Student t quantile; default the design df. Pass
            ``math.inf`` for the normal quantile (R ``confint`` default).
        """
        q = critical_value(level, self.df if df is None else df)
        return self.estimate - q * self.se, self.estimate + q * self.se


def critical_value(level: float, df: float) -> float:
    """Two-sided quantile: t_{df, (1+level)/2}, or the normal one when df is infinite."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: {level} must be between 0 and 1 (e.g. 0.95)")
    if np.isinf(df):
        return float(norm_ppf(0.5 + level / 2.0))
    if df <= 0:
        raise ValueError(f"df: {df} must be positive; the design has too few PSUs")
    return float(t_ppf(0.5 + level / 2.0, df))


def _column(values: ArrayLike, n: int, field: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise DesignError(f"{field}: shape {arr.shape} does not match the design's {n} rows")
    return arr


def _sum_by(codes: NDArray[np.intp], values: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Per-domain sums of ``values``."""
    return np.bincount(codes, weights=values, minlength=size).astype(np.float64)


def _present(
    values: Sequence[NDArray[np.float64]], na_rm: bool, fields: Sequence[str]
) -> NDArray[np.bool_]:
    ok = np.ones(values[0].shape[0], dtype=bool)
    for v, field in zip(values, fields, strict=True):
        missing = np.isnan(v)
        if missing.any() and not na_rm:
            row = int(np.flatnonzero(missing)[0])
            raise DesignError(
                f"{field}: row {row} is missing; pass na_rm=True to leave missing rows out "
                "(they are then treated as outside every domain)"
            )
        ok &= ~missing
    return ok


def _design_df(design: Design) -> int:
    return design.df


def _strata_psu(design: Design) -> tuple[NDArray[np.intp], NDArray[np.intp]] | None:
    if isinstance(design, SurveyDesign):
        return design.strata, design.psu
    return None


def _domain_df(
    design: Design, codes: NDArray[np.intp], inside: NDArray[np.bool_], size: int
) -> NDArray[np.int64]:
    layout = _strata_psu(design)
    if layout is None:
        if size == 1 and inside.all():
            return np.full(size, design.df, dtype=np.int64)
        assert isinstance(design, ReplicateDesign)
        return design.domain_df(codes, inside, size)
    strata, psu = layout
    rows = inside & (design.weights != 0)
    g = codes[rows]
    n_psu = _count_distinct(g, psu[rows], size)
    n_strata = _count_distinct(g, strata[rows], size)
    return (n_psu - n_strata).astype(np.int64)


def _count_distinct(
    groups: NDArray[np.intp], values: NDArray[np.intp], size: int
) -> NDArray[np.int64]:
    if groups.size == 0:
        return np.zeros(size, dtype=np.int64)
    key = groups.astype(np.int64) * (int(values.max()) + 1) + values
    first_of_pair = np.unique(key, return_index=True)[1]
    return np.bincount(groups[first_of_pair], minlength=size).astype(np.int64)


def _weighted_variance_srs(
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    codes: NDArray[np.intp],
    inside: NDArray[np.bool_],
    size: int,
    n_obs: NDArray[np.float64],
    domain_mean: NDArray[np.float64],
) -> NDArray[np.float64]:
    """R ``svyvar``: n/(n-1) * sum w (y - ybar)^2 / sum w within each domain."""
    w_in = np.where(inside, w, 0.0)
    ss = _sum_by(codes, w_in * (y - domain_mean[codes]) ** 2, size)
    wsum = _sum_by(codes, w_in, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(ss / wsum * n_obs / (n_obs - 1.0))


def _ratio_estimate(
    design: Design,
    numerator: NDArray[np.float64],
    denominator: NDArray[np.float64] | None,
    codes: NDArray[np.intp],
    inside: NDArray[np.bool_],
    size: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Estimates and covariance of G domain ratios; every row belongs to at most one domain."""
    w = design.weights
    y_in = np.where(inside, numerator, 0.0)
    t_y = _sum_by(codes, w * y_in, size)
    if denominator is None:
        est = t_y
        row_score = y_in
    else:
        x_in = np.where(inside, denominator, 0.0)
        t_x = _sum_by(codes, w * x_in, size)
        if (t_x == 0).any():
            g = int(np.flatnonzero(t_x == 0)[0])
            raise DesignError(
                f"domain {g}: the weighted denominator total is zero (no rows with weight in "
                "the domain); drop that domain or check the data"
            )
        est = t_y / t_x
        row_score = np.where(inside, (y_in - est[codes] * x_in) / t_x[codes], 0.0)
    if isinstance(design, SurveyDesign):
        cov = domain_taylor_covariance(design, row_score, codes, size, rows=inside)
    else:
        w_rep = design.replicate_weights
        rows = np.flatnonzero(inside)
        t_y_rep = np.zeros((size, w_rep.shape[1]))
        np.add.at(t_y_rep, codes[rows], y_in[rows, None] * w_rep[rows])
        if denominator is None:
            est_rep = t_y_rep
        else:
            t_x_rep = np.zeros_like(t_y_rep)
            np.add.at(t_x_rep, codes[rows], x_in[rows, None] * w_rep[rows])
            est_rep = t_y_rep / t_x_rep
        cov = replicate_covariance(design, est, est_rep.T)
    return est, cov


def _estimate(
    design: Design,
    kind: EstimateKind,
    y: ArrayLike,
    x: ArrayLike | None,
    by: ArrayLike | Sequence[ArrayLike] | None,
    na_rm: bool,
    deff: DeffMethod | None,
    field: str,
) -> Estimate:
    n = design.n
    yv = _column(y, n, field)
    xv = None if x is None else _column(x, n, "denominator")
    present = _present(
        [yv] if xv is None else [yv, xv], na_rm, [field] if xv is None else [field, "denominator"]
    )
    domains = make_domains(n, by)
    size = domains.size
    codes = domains.codes
    y_clean = np.where(present, yv, 0.0)
    x_clean = None if xv is None else np.where(present, xv, 0.0)
    if kind == "mean":
        x_clean = np.ones(n)
    est, cov = _ratio_estimate(design, y_clean, x_clean, codes, present, size)
    variance = np.diag(cov).copy()
    w = design.weights
    n_obs = _sum_by(codes, (present & (w != 0)).astype(np.float64), size)
    population = _sum_by(codes, np.where(present, w, 0.0), size)
    deff_values = None
    if deff is not None and kind != "ratio":
        safe_pop = np.where(population > 0, population, 1.0)
        means = est if kind == "mean" else est / safe_pop
        s2 = _weighted_variance_srs(y_clean, w, codes, present, size, n_obs, means)
        if deff == "with_replacement":
            v_srs = s2 / n_obs
        else:
            v_srs = s2 * (population - n_obs) / (population * n_obs)
        if kind == "total":
            v_srs = v_srs * population**2
        with np.errstate(divide="ignore", invalid="ignore"):
            deff_values = np.where(v_srs > 0, variance / v_srs, np.nan)
    return Estimate(
        kind=kind,
        labels=domains.labels,
        estimate=est,
        se=np.sqrt(variance),
        variance=variance,
        covariance=cov,
        df=_design_df(design),
        domain_df=_domain_df(design, domains.codes, present, size),
        n=n_obs.astype(np.int64),
        population=population,
        deff=deff_values,
    )


def estimate_total(
    design: Design,
    y: ArrayLike,
    *,
    by: ArrayLike | Sequence[ArrayLike] | None = None,
    na_rm: bool = False,
    deff: DeffMethod | None = "without_replacement",
) -> Estimate:
    """Horvitz-Thompson total T_hat = sum_i w_i y_i, overall or by domain (R ``svytotal``).

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    y : array_like, shape (n,)
    by : array_like or sequence of array_like, optional
        Domain column(s); the whole design is kept and y is zero outside the domain.
    na_rm : bool
        Treat rows with a missing y as outside every domain instead of raising.
    deff : {"without_replacement", "with_replacement"} or None
        Design effect against simple random sampling without replacement (R ``deff=TRUE``:
        v_srs = s_w^2 N^2 (N - n)/(N n)) or with replacement (R ``deff="replace"``).

    Returns
    -------
    Estimate
        Variance as in Lumley (2010) eq. 2.2 (Taylor) or from the replicates.
    """
    return _estimate(design, "total", y, None, by, na_rm, deff, "y")


def estimate_mean(
    design: Design,
    y: ArrayLike,
    *,
    by: ArrayLike | Sequence[ArrayLike] | None = None,
    na_rm: bool = False,
    deff: DeffMethod | None = "without_replacement",
) -> Estimate:
    """Weighted (Hájek) mean ybar = sum w y / sum w, overall or by domain (R ``svymean``).

    The linearised score is u_i = (y_i - ybar_d) / N_hat_d inside domain d, 0 outside
    (Särndal et al. 1992, eq. 5.6.6). A proportion is the mean of a 0/1 indicator.
    The design effect divides the variance by s_w^2 (N - n)/(N n), s_w^2 the weighted
    variance with divisor n - 1 (R ``svymean(deff=TRUE)``); ``"with_replacement"`` uses s_w^2 / n.
    See :func:`estimate_total` for the other parameters.
    """
    return _estimate(design, "mean", y, None, by, na_rm, deff, "y")


def estimate_ratio(
    design: Design,
    numerator: ArrayLike,
    denominator: ArrayLike,
    *,
    by: ArrayLike | Sequence[ArrayLike] | None = None,
    na_rm: bool = False,
) -> Estimate:
    """Ratio of totals R_hat = sum w y / sum w x, overall or by domain (R ``svyratio``).

    Score u_i = (y_i - R_hat x_i) / X_hat (Särndal et al. 1992, eq. 5.6.4). No design effect.
    """
    return _estimate(design, "ratio", numerator, denominator, by, na_rm, None, "numerator")


@dataclass(frozen=True)
class CategoryEstimates:
    """Proportions (or totals) of each category of a factor, one row per (domain, category).

    ``categories[j]`` is the category of row j of ``estimates`` (an :class:`Estimate` whose
    labels are the domain labels, repeated for each category).
    """

    categories: NDArray[np.generic]
    estimates: Estimate


def estimate_proportions(
    design: Design,
    factor: ArrayLike,
    *,
    by: ArrayLike | Sequence[ArrayLike] | None = None,
    deff: DeffMethod | None = "without_replacement",
) -> CategoryEstimates:
    """Proportion of each category of a factor (R ``svymean(~factor)``), by domain if asked.

    Rows are ordered domain-major, category-minor. Each proportion is the domain mean of the
    category's indicator; the covariance spans all (domain, category) pairs.
    """
    codes, levels = encode_labels(factor, field="factor")
    n = design.n
    domains = make_domains(n, by)
    n_cat = levels.shape[0]
    indicators = (codes[:, None] == np.arange(n_cat)[None, :]).astype(np.float64)
    size = domains.size
    member = np.zeros((n, size * n_cat))
    # Column d * n_cat + c holds domain d; the numerator picks category c in that column.
    cols = domains.codes[:, None] * n_cat + np.arange(n_cat)[None, :]
    member[np.arange(n)[:, None], cols] = 1.0
    y_mat_indicator = indicators[:, np.tile(np.arange(n_cat), size)]
    w = design.weights
    num = y_mat_indicator * member
    t_x = w @ member
    est = (w @ num) / t_x
    scores = (num - member * est[None, :]) / t_x[None, :]
    if isinstance(design, SurveyDesign):
        strata_in = np.repeat(domain_strata(design, domains.codes, size), n_cat, axis=1)
        cov = taylor_covariance_with_strata(design, scores, strata_in)
    else:
        w_rep = design.replicate_weights
        est_rep = (num.T @ w_rep) / (member.T @ w_rep)
        cov = replicate_covariance(design, est, est_rep.T)
    variance = np.diag(cov).copy()
    n_obs = (w != 0).astype(np.float64) @ member
    population = t_x
    deff_values = None
    if deff is not None:
        dev = (y_mat_indicator - est[None, :]) ** 2 * member
        s2 = (w @ dev) / population * n_obs / (n_obs - 1.0)
        if deff == "with_replacement":
            v_srs = s2 / n_obs
        else:
            v_srs = s2 * (population - n_obs) / (population * n_obs)
        with np.errstate(divide="ignore", invalid="ignore"):
            deff_values = np.where(v_srs > 0, variance / v_srs, np.nan)
    labels = tuple(np.repeat(lab, n_cat) for lab in domains.labels)
    dom_df = _domain_df(design, domains.codes, np.ones(n, dtype=bool), size)
    return CategoryEstimates(
        categories=np.tile(levels, size),
        estimates=Estimate(
            kind="mean",
            labels=labels,
            estimate=est,
            se=np.sqrt(variance),
            variance=variance,
            covariance=cov,
            df=_design_df(design),
            domain_df=np.repeat(dom_df, n_cat),
            n=n_obs.astype(np.int64),
            population=population,
            deff=deff_values,
        ),
    )


@dataclass(frozen=True)
class DomainMeans:
    """Weighted means by domain with their variances, without the covariance between domains.

    Attributes are those of :class:`Estimate` of the same name (shape (G,)).
    """

    labels: tuple[NDArray[np.generic], ...]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    variance: NDArray[np.float64]
    domain_df: NDArray[np.int64]
    n: NDArray[np.int64]


def estimate_domain_means(
    design: Design,
    y: ArrayLike,
    *,
    by: ArrayLike | Sequence[ArrayLike] | None = None,
    na_rm: bool = False,
) -> DomainMeans:
    """:func:`estimate_mean` by domain, variances only: the cost stays O(n) for any G.

    The estimate and score are those of :func:`estimate_mean` (R ``svyby(~y, ~d, svymean)``);
    the Taylor variance comes from :func:`analysis.variance.domain_taylor_variance` (the
    diagonal of the domain covariance from the (PSU, domain) pairs present), the replicate one
    is scale * sum_r rscale_r (theta_rg - c_g)^2 (R ``svrVar``). Use it when thousands of
    domains make the (G, G) covariance and the (P, G) totals of :func:`estimate_mean` too big.
    """
    n = design.n
    yv = _column(y, n, "y")
    present = _present([yv], na_rm, ["y"])
    domains = make_domains(n, by)
    size = domains.size
    codes = domains.codes
    w = design.weights
    y_in = np.where(present, yv, 0.0)
    t_y = _sum_by(codes, w * y_in, size)
    t_x = _sum_by(codes, np.where(present, w, 0.0), size)
    if (t_x == 0).any():
        g = int(np.flatnonzero(t_x == 0)[0])
        raise DesignError(
            f"domain {g}: the weighted denominator total is zero (no rows with weight in "
            "the domain); drop that domain or check the data"
        )
    est = t_y / t_x
    if isinstance(design, SurveyDesign):
        score = np.where(present, (y_in - est[codes]) / t_x[codes], 0.0)
        variance = domain_taylor_variance(design, score, codes, size, rows=present)
    else:
        w_rep = design.replicate_weights
        rows = np.flatnonzero(present)
        t_y_rep = np.zeros((size, w_rep.shape[1]))
        t_x_rep = np.zeros_like(t_y_rep)
        np.add.at(t_y_rep, codes[rows], y_in[rows, None] * w_rep[rows])
        np.add.at(t_x_rep, codes[rows], w_rep[rows])
        est_rep = t_y_rep / t_x_rep
        centre = est if design.mse else est_rep.mean(axis=1)
        dev = est_rep - centre[:, None]
        variance = design.scale * (dev**2 @ design.rscales)
    n_obs = _sum_by(codes, (present & (w != 0)).astype(np.float64), size)
    return DomainMeans(
        labels=domains.labels,
        estimate=est,
        se=np.sqrt(variance),
        variance=np.asarray(variance, dtype=np.float64),
        domain_df=_domain_df(design, codes, present, size),
        n=n_obs.astype(np.int64),
    )
