"""Linear contrasts of domain estimates: the national figure as the mean of provincial indices.

The Ministry of Home Affairs publishes the national SIPAS figure as the unweighted mean of the
provincial indices, not as one estimate pooled over every respondent with design weights. For a
node (criterion, element, index or SIPAS) with domain estimates theta_1 ... theta_G that is

    theta = sum_g c_g theta_g,        c_g = 1 / G,

a linear contrast of the domain estimates. Its variance needs their *full* covariance matrix
Sigma (Lumley 2010, sec. 3.4; R ``svyby(..., covmat = TRUE)`` then ``svycontrast``):

    V(theta) = c^T Sigma c = (1 / G^2) sum_g sum_h Sigma_gh.

Under Taylor linearisation the domain estimate theta_g has the influence function u_gi (zero
outside domain g), so theta has u_i = sum_g c_g u_gi and Sigma_gh is the design covariance of the
totals of u_g and u_h (:meth:`analysis.indices.IndexTable.domain_covariance`; with replicate
weights the replicate covariance). Domains that are strata have Sigma_gh = 0 for g != h, but
domains that cut across strata (channels, or provinces under a design stratified by agency)
do not, and the covariance is never assumed away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from analysis.indices import IndexInputError, IndexTable
from analysis.intervals import exact_bounds_for_unanimous, proportion_interval_bounds

__all__ = ["DomainMean", "mean_of_domains"]


@dataclass(frozen=True)
class DomainMean:
    """The unweighted mean of domain estimates for every node of an index table.

    Attributes
    ----------
    nodes, levels, parents : tuple of str
        As in the :class:`~analysis.indices.IndexTable` it was computed from.
    domains : tuple of str
        The domains averaged over (those with a finite estimate of the root node first
        considered; see ``n_domains`` per node).
    estimate, se, ci_lower, ci_upper, cv : ndarray, shape (N,)
        theta = (1/G_j) sum_g theta_gj over the G_j domains with a finite estimate of node j,
        its SE sqrt(c^T Sigma_j c), interval and ``cv = se / estimate``; NaN when no domain
        estimates the node.
    n_domains : ndarray of int, shape (N,)
        G_j, the domains averaged for each node.
    n_respondents : ndarray of int, shape (N,)
        The respondents counted by the node in those domains, summed.
    df : int
        Degrees of freedom of the intervals: the pooled df of the domains
        (:meth:`~analysis.indices.IndexTable.pooled_df`).
    ci_method, level :
        How the intervals were made.
    """

    nodes: tuple[str, ...]
    levels: tuple[str, ...]
    parents: tuple[str, ...]
    domains: tuple[str, ...]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    ci_lower: NDArray[np.float64]
    ci_upper: NDArray[np.float64]
    cv: NDArray[np.float64]
    n_domains: NDArray[np.int64]
    n_respondents: NDArray[np.int64]
    df: int
    ci_method: str
    level: float


def mean_of_domains(
    table: IndexTable, domains: ArrayLike | None = None, *, min_respondents: int = 1
) -> DomainMean:
    """The mean of the domains' estimates of every node, with its design-based variance.

    Parameters
    ----------
    table : IndexTable
        Indices by domain (e.g. by province) from :func:`analysis.indices.estimate_indices`.
    domains : array_like of int, optional
        Rows of ``table`` to average over (all rows when omitted).
    min_respondents : int
        A domain counts in a node's mean only with at least this many respondents on the
        node (e.g. the disclosure threshold k: a left-out domain's figure cannot then be
        recovered as G theta minus the published others).

    Returns
    -------
    DomainMean

    Notes
    -----
    For node j, with D_j the domains (among those given) whose estimate is finite and that
    have at least ``min_respondents`` respondents on the node, and
    c = (1/|D_j|, ...), theta_j = c^T theta_{D_j} and V_j = c^T Sigma_{D_j} c with Sigma the
    covariance matrix of the domain estimates (Taylor: of the domain-zeroed influence
    functions' totals, calibration residuals included; or by replicates). A domain without a
    valid answer for a node (e.g. no respondent asked the service block) is left out of that
    node's mean and ``n_domains`` says so. Intervals: Student t on ``df`` for the mean-score
    rule; otherwise :func:`analysis.intervals.proportion_interval_bounds` with the table's
    method applied to theta and V_j (for ``logit`` the delta method on the logit scale; R has
    no ``svyciprop`` for a contrast), Clopper-Pearson when theta is 0 or 1 with V_j = 0.
    References: Lumley (2010), sec. 3.4 (``svycontrast``); Wolter (2007), ch. 1 and 6.

    Raises
    ------
    IndexInputError
        ``domains`` names a row outside the table or is empty.
    """
    n_all = table.domains.shape[0]
    rows = np.arange(n_all) if domains is None else np.asarray(domains, dtype=np.intp).ravel()
    if rows.size == 0 or rows.min() < 0 or rows.max() >= n_all:
        raise IndexInputError(f"domains: give row indices of the table's {n_all} domains")
    n_nodes = len(table.nodes)
    estimate = np.full(n_nodes, np.nan)
    variance = np.full(n_nodes, np.nan)
    n_domains = np.zeros(n_nodes, dtype=np.int64)
    n_respondents = np.zeros(n_nodes, dtype=np.int64)
    for j, node in enumerate(table.nodes):
        values = table.estimate[rows, j]
        counted = table.n_respondents[rows, j] >= min_respondents
        kept = rows[np.isfinite(values) & counted]
        n_domains[j] = kept.size
        n_respondents[j] = int(table.n_respondents[kept, j].sum())
        if kept.size == 0:
            continue
        c = np.full(kept.size, 1.0 / kept.size)
        estimate[j] = float(c @ table.estimate[kept, j])
        sigma = table.domain_covariance(node, kept)
        variance[j] = max(float(c @ sigma @ c), 0.0)
    se = np.sqrt(variance)
    df = table.pooled_df(rows)
    lower, upper = _bounds(table, estimate, variance, df, n_respondents)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(estimate != 0, se / np.abs(estimate), np.nan)
    return DomainMean(
        nodes=table.nodes,
        levels=table.levels,
        parents=table.parents,
        domains=tuple(str(d) for d in table.domains[rows].tolist()),
        estimate=estimate,
        se=se,
        ci_lower=lower,
        ci_upper=upper,
        cv=cv,
        n_domains=n_domains,
        n_respondents=n_respondents,
        df=df,
        ci_method=table.ci_method,
        level=table.level,
    )


def _bounds(
    table: IndexTable,
    estimate: NDArray[np.float64],
    variance: NDArray[np.float64],
    df: int,
    n: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lower = np.full(estimate.shape, np.nan)
    upper = np.full(estimate.shape, np.nan)
    ok = np.isfinite(estimate) & np.isfinite(variance)
    if table.rule == "mean-score":
        half = stats.t.ppf(0.5 + table.level / 2.0, df) * np.sqrt(variance[ok])
        lower[ok] = estimate[ok] - half
        upper[ok] = estimate[ok] + half
        return lower, upper
    lo, hi = proportion_interval_bounds(
        estimate[ok],
        variance[ok],
        method=table.ci_method,  # type: ignore[arg-type]
        df=np.full(int(ok.sum()), df),
        n=n[ok],
        level=table.level,
    )
    lower[ok] = lo
    upper[ok] = hi
    return exact_bounds_for_unanimous(estimate, variance, n, table.level, lower, upper)
