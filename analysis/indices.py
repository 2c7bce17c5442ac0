"""SIPAS satisfaction indices with design-based standard errors, for every domain at once.

A SIPAS criterion index is the weighted share of valid answers that are 4 ("satisfied") or 5
("very satisfied"); elements and the overall index aggregate criteria along the questionnaire tree
(:mod:`analysis.questionnaire_tree`) by a configurable rule:

``criteria-mean`` (default)
    criterion = ratio R_c = sum w 1[y_c >= 4] / sum w 1[y_c valid]; element = mean of its
    criterion indices; overall = mean of the element indices.
``pooled``
    element = sum w (number of the element's answers >= 4) / sum w (number of valid answers).
``respondent-mean``
    element = weighted mean, over respondents with at least one valid answer in the element, of
    each respondent's own share of satisfied answers in the element.
``mean-score``
    as ``criteria-mean`` on the 1-5 scale: criterion = weighted mean of the valid answers.

Under every rule the criterion level is the criterion share (or mean score) and the overall index
is the mean of the element indices, as the published SIPAS figures describe.

Every estimate is a linear combination of ratio estimators R_j = A_j / B_j with A_j = sum w a_ij,
B_j = sum w b_ij over the domain. Its linearised score (Woodruff 1971; Lumley 2010, sec. 2.2 and
3.4) is ``u_i = sum_j m_j (a_ij - R_j b_ij) / B_j`` for rows in the domain and 0 outside, so item
non-response (b_ij = 0) and the correlation between criteria answered by the same respondent are
carried by the one score. The Taylor variance of a domain total of scores is

    V_d = sum_h c_h [ sum_{k in h} t_dk^2 - (sum_{k in h} t_dk)^2 / n_h ],
    c_h = (1 - f_h) n_h / (n_h - 1),

with t_dk the total of w u over the rows of domain d in PSU k and n_h the number of PSUs the
*whole* sample has in stratum h (PSUs without a member of d have t_dk = 0). This is exactly
:func:`analysis.variance.taylor_covariance` applied to the domain-zeroed score, but it needs only
the totals of the (domain, PSU) pairs that occur, so 2,000 domains x 26 nodes cost a few
``np.bincount`` calls instead of a dense n x 52,000 score matrix. Strata with one PSU follow the
design's lonely-PSU rule exactly as ``taylor_covariance`` does.

With a :class:`analysis.replicates.ReplicateDesign` every cell is instead re-estimated with each
replicate's weights (one sparse domain-indicator product per base ratio) and the variance is
``scale sum_r rscale_r (theta_r - c)^2`` (Wolter 2007, ch. 4).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.special import expit, logit

from analysis.design import DesignError, SurveyDesign, calibration_terms, encode_labels
from analysis.distributions import t_ppf
from analysis.estimators import Domains, make_domains
from analysis.intervals import exact_bounds_for_unanimous, proportion_interval_bounds
from analysis.questionnaire_tree import QuestionnaireTree
from analysis.replicates import ReplicateDesign
from analysis.variance import LonelyPsuError, stratum_factors

__all__ = [
    "CI_METHODS",
    "DEFAULT_CI_METHOD",
    "INDEX_RULES",
    "CiMethod",
    "IndexInputError",
    "IndexRule",
    "IndexTable",
    "estimate_indices",
    "validate_answers",
]

IndexRule = Literal["criteria-mean", "pooled", "respondent-mean", "mean-score"]
INDEX_RULES: tuple[str, ...] = get_args(IndexRule)

CiMethod = Literal["logit", "xlogit", "wald", "mean", "beta", "asin"]
CI_METHODS: tuple[str, ...] = get_args(CiMethod)
# The default interval: R svyciprop's default, with the exact fallback for unanimous cells. Its
# simulated coverage (tests/analysis/test_coverage_simulation.py) stays within [0.93, 0.97] for
# overall and element indices up to 0.97 in domains of 30 respondents or more.
DEFAULT_CI_METHOD: CiMethod = "logit"

# Answers on the SIPAS scale count as satisfied from this value up (4 "Hai long", 5 "Rat hai long").
SATISFIED_FROM = 4
SCALE_MIN, SCALE_MAX = 1, 5
# Rows per block where a pass over (rows x columns) arrays is split to stay in the CPU cache.
_BLOCK = 1 << 15
# OpenBLAS runs a product of more than about 2**20 multiply-adds on every core. On a shared, loaded
# machine waking those threads costs 10-40x the product (8 ms instead of 0.4 ms for a 13,107 x 20
# by 20 x 26 block, measured), so row blocks are multiplied in slices below that size.
_GEMM_SINGLE_THREAD = 1 << 19


class IndexInputError(ValueError):
    """Answers or domains that cannot be used; the message names the row and the criterion."""


@dataclass(frozen=True)
class IndexTable:
    """Indices for every domain (rows) and every node of the tree (columns).

    Attributes
    ----------
    nodes : tuple of str
        ``"overall"`` (or, for a tree with indices, ``"sipas"`` then the index codes), then the
        element codes, then the criterion codes.
    levels : tuple of str
        ``"overall"`` (the root), ``"index"``, ``"element"`` or ``"criterion"`` for each node.
    parents : tuple of str
        The node each node aggregates into (``""`` for overall).
    domains : ndarray of str, shape (G,)
        Domain names: the domain columns' values joined by " / " (``"all"`` without domains).
    domain_labels : tuple of ndarray
        One array (G,) per domain column (empty without domains).
    estimate, se, ci_lower, ci_upper, cv : ndarray, shape (G, N)
        Shares in [0, 1] (mean scores on 1-5 for ``mean-score``); ``cv = se / estimate``. NaN
        where the domain has no valid answer for the node.
    df : ndarray of int, shape (G,)
        Degrees of freedom of the intervals: PSUs minus strata among the domain's rows (as R
        ``svyby(..., svyciprop)``), at least 1.
    n_respondents : ndarray of int, shape (G, N)
        Respondents of the domain with at least one valid answer counted by the node.
    rule, ci_method, level :
        How the table was made.
    variance_method : str
        ``"taylor"`` or ``"replicate"``.
    cells :
        What :meth:`domain_covariance` needs: the totals of the linearised scores per
        (domain, PSU) pair (Taylor), or the replicate estimates of every cell.
    """

    nodes: tuple[str, ...]
    levels: tuple[str, ...]
    parents: tuple[str, ...]
    domains: NDArray[np.str_]
    domain_labels: tuple[NDArray[np.generic], ...]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    ci_lower: NDArray[np.float64]
    ci_upper: NDArray[np.float64]
    cv: NDArray[np.float64]
    df: NDArray[np.int64]
    n_respondents: NDArray[np.int64]
    rule: IndexRule
    ci_method: str
    level: float
    variance_method: str
    cells: _TaylorCells | _ReplicateCells

    def node_index(self, node: str) -> int:
        """Column of ``node`` in the arrays; raises naming the known nodes."""
        try:
            return self.nodes.index(node)
        except ValueError:
            raise IndexInputError(
                f"node {node!r} is not in the table; use one of {', '.join(self.nodes)}"
            ) from None

    def domain_index(self, label: object) -> int:
        """Row of a domain: its name, or a tuple of its values of the domain columns."""
        name = " / ".join(map(str, label)) if isinstance(label, tuple) else str(label)
        hits = np.flatnonzero(self.domains == name)
        if hits.size == 0:
            raise IndexInputError(f"domain {label!r} is not in the table")
        return int(hits[0])

    def domain_covariance(self, node: str, domains: ArrayLike | None = None) -> NDArray[np.float64]:
        """Covariance matrix of the node's estimates across domains.

        Domains of one design are correlated when they share PSUs or strata. Under Taylor
        linearisation this is the matrix :func:`analysis.variance.taylor_covariance` gives for
        the domain-zeroed scores, built from sparse (PSU x domain) totals:
        ``sum_k c_k t_k t_k^T - sum_h c_h/n_h T_h T_h^T`` (+ the lonely-PSU terms); with
        replicate weights it is ``scale sum_r rscale_r (theta_r - c)(theta_r - c)^T``.

        Parameters
        ----------
        node : str
        domains : array_like of int, optional
            Row indices of the domains wanted (all when omitted), in the order wanted.

        Returns
        -------
        ndarray, shape (D, D)
        """
        j = self.node_index(node)
        n_all = self.domains.shape[0]
        wanted = np.arange(n_all) if domains is None else np.asarray(domains, dtype=np.intp).ravel()
        return self.cells.covariance(j, wanted, n_all)

    def pooled_df(self, domains: ArrayLike) -> int:
        """Degrees of freedom of a comparison of the given domains (at least 1).

        Taylor: PSUs minus strata among the rows of the domains together; replicate weights:
        the replicate design's df.
        """
        return self.cells.pooled_df(
            np.asarray(domains, dtype=np.intp).ravel(), n_all=len(self.domains)
        )


@dataclass(frozen=True)
class _CalibrationCorrection:
    """The calibration part of the PSU totals: t_k = (sparse domain total) - omega_k @ gamma.

    ``omega`` (P, C) holds each PSU's total of every calibration term's multiplier per cell,
    ``gamma`` (C, G, N) the terms' coefficients for every (domain, node) cell
    (:func:`analysis.design.calibration_terms`). ``cross`` (C, G, N) and ``quad`` (C, C) are the
    mixed and quadratic parts of the stratified sum of squares (see :func:`_taylor_cells`).
    """

    gamma: NDArray[np.float64]
    cross: NDArray[np.float64]
    quad: NDArray[np.float64]


@dataclass(frozen=True)
class _RowScores:
    """Each row's node scores w u (every row its own PSU), recomputed block by block when
    needed instead of kept as an n x N array (208 MB at 1M rows and 26 nodes, whose first
    touch alone cost more than the rest of the estimation). ``y`` is the validated answer
    matrix the table was estimated from."""

    y: NDArray[np.float64]
    weights: NDArray[np.float64]
    codes: NDArray[np.intp]
    ratio: NDArray[np.float64]  # (G, J)
    inv_b: NDArray[np.float64]  # (G, J)
    mixing_t: NDArray[np.float64]  # (J, N)
    tree: QuestionnaireTree
    rule: IndexRule

    def blocks(self) -> Iterator[tuple[slice, NDArray[np.float64]]]:
        """(rows, scores (rows, N)) in the blocks of :func:`_row_blocks`."""
        n_base, n_nodes = self.mixing_t.shape
        for rows, a, b in _row_blocks(self.y, self.tree, self.rule, n_base):
            d = self.codes[rows]
            # Score of a base ratio: w (a - R b) / B within the domain (Woodruff).
            b *= self.ratio[d]
            a -= b
            a *= self.inv_b[d]
            a *= self.weights[rows, None]
            out = np.empty((a.shape[0], n_nodes))
            _matmul_rows(a, self.mixing_t, out)
            yield rows, out

    def __getitem__(self, key: tuple[NDArray[np.bool_], int]) -> NDArray[np.float64]:
        """``scores[rows_mask, node]``, as on the array it stands for."""
        mask, node = key
        column = np.empty(self.y.shape[0])
        for rows, scores in self.blocks():
            column[rows] = scores[:, node]
        return column[mask]

    def variances(
        self,
        layout: _VarianceLayout,
        n_domains: int,
        dh: tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]],
    ) -> NDArray[np.float64]:
        """:meth:`_VarianceLayout.variances` of these scores in one pass over the blocks."""
        dh_domain, dh_stratum, dh_inverse = dh
        # Nodes with the same mixing (a one-criterion element and its criterion) have the same
        # scores: their variance is computed once.
        _, distinct, copies = np.unique(
            self.mixing_t, axis=1, return_index=True, return_inverse=True
        )
        every = distinct.shape[0] == self.mixing_t.shape[1]
        c = layout.factor_h[layout.psu_stratum[layout.psu_index]]
        var = np.zeros((n_domains, distinct.shape[0]))
        stratum_totals = np.zeros((dh_domain.shape[0], distinct.shape[0]))
        for rows, all_scores in self.blocks():
            scores = all_scores if every else all_scores[:, distinct]
            stratum_totals += _group_sum(dh_inverse[rows], scores, dh_domain.shape[0])
            np.square(scores, out=scores)
            scores *= c[rows, None]
            var += _group_sum(self.codes[rows], scores, n_domains)
        coef = layout.centring_h[dh_stratum]
        var -= _group_sum(dh_domain, coef[:, None] * stratum_totals**2, n_domains)
        return var if every else var[:, copies.reshape(-1)]


@dataclass(frozen=True)
class _TaylorCells:
    # (pairs, N) totals of w u per (domain, PSU) pair; recomputed when every row is its own PSU
    totals: NDArray[np.float64] | _RowScores
    pair_domain: NDArray[np.intp]
    pair_psu: NDArray[np.intp]
    layout: _VarianceLayout
    domain_scale: NDArray[np.float64]  # (G,) lonely_psu="average" factor H_d / (H_d - L_d)
    correction: _CalibrationCorrection | None

    def covariance(self, node: int, wanted: NDArray[np.intp], n_all: int) -> NDArray[np.float64]:
        position = np.full(n_all, -1, dtype=np.intp)
        position[wanted] = np.arange(wanted.shape[0])
        keep = position[self.pair_domain] >= 0
        cov = self.layout.covariance(
            self.totals[keep, node],
            position[self.pair_domain[keep]],
            self.pair_psu[keep],
            wanted.shape[0],
        )
        if self.correction is not None:
            e = self.correction.cross[:, wanted, node]
            g = self.correction.gamma[:, wanted, node]
            cov += -(e.T @ g) - (g.T @ e) + g.T @ self.correction.quad @ g
        root = np.sqrt(self.domain_scale[wanted])
        return np.asarray(cov * root[:, None] * root[None, :])

    def pooled_df(self, wanted: NDArray[np.intp], n_all: int) -> int:
        mask = np.zeros(n_all, dtype=bool)
        mask[wanted] = True
        psus = np.unique(self.pair_psu[mask[self.pair_domain]])
        strata = np.unique(self.layout.psu_stratum[psus])
        return max(int(psus.size - strata.size), 1)


@dataclass(frozen=True)
class _ReplicateCells:
    estimates: NDArray[np.float64]  # (G, R, N) estimate of every cell with each replicate
    centre: NDArray[np.float64]  # (G, N)
    scale: float
    rscales: NDArray[np.float64]  # (R,)
    df: int
    mse: bool

    def covariance(self, node: int, wanted: NDArray[np.intp], n_all: int) -> NDArray[np.float64]:
        dev = self.estimates[wanted, :, node] - self.centre[wanted, node][:, None]
        return np.asarray(self.scale * (dev * self.rscales[None, :]) @ dev.T)

    def pooled_df(self, wanted: NDArray[np.intp], n_all: int) -> int:
        return max(self.df, 1)

    def logit_variance(self, full: NDArray[np.float64]) -> NDArray[np.float64]:
        """Replicate variance of logit(theta_r) per cell (G, N); inf if a replicate is 0 or 1.

        The intercept of a quasi-binomial glm of a share is exactly its logit, so this is the
        variance R ``svyciprop(method="logit")`` gets from refitting per replicate, up to the
        convergence tolerance of R's IRLS (relative 1e-6 or better in the tests).
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            reps = logit(self.estimates)
            centre = logit(full) if self.mse else reps.mean(axis=1)
            dev = reps - centre[:, None, :]
            var = self.scale * np.einsum("r,grn->gn", self.rscales, dev**2)
        return np.where(np.isnan(var), np.inf, var)


@dataclass(frozen=True)
class _VarianceLayout:
    """Per-PSU and per-stratum constants of the Taylor variance, lonely-PSU rule applied.

    As R ``survey:::onestrat``: a lonely stratum (one PSU, f_h < 1) is dropped (``certainty``,
    ``average``) or, under ``adjust``, kept uncentred with c_h = 1 - f_h.
    """

    psu_index: NDArray[np.intp]  # row -> PSU 0..P-1
    psu_stratum: NDArray[np.intp]  # PSU -> stratum
    n_h: NDArray[np.float64]  # PSUs per stratum (whole sample)
    factor_h: NDArray[np.float64]  # c_h, 0 for certainty strata and dropped lonely strata
    adjust_h: NDArray[np.bool_]  # lonely strata kept uncentred ("adjust")
    lonely_h: NDArray[np.bool_]  # strata with one PSU and f_h < 1
    rows_are_psus: bool  # psu_index is 0..n-1 in row order: (domain, PSU) pairs are the rows

    @classmethod
    def from_design(cls, design: SurveyDesign) -> _VarianceLayout:
        layout = stratum_factors(design)
        n_h, lonely = layout.n_h, layout.lonely_h
        all_lonely = int((n_h > 0).sum()) == int(lonely.sum())
        if design.lonely_psu == "average" and lonely.any() and all_lonely:
            raise LonelyPsuError(
                "strata: every stratum has a single PSU, so lonely_psu='average' has no "
                "other strata to borrow from; merge strata or use 'certainty'"
            )
        return cls(
            layout.psu_index,
            layout.psu_stratum,
            n_h,
            layout.factor_h,
            layout.adjust_h,
            lonely,
            design.rows_are_psus,
        )

    @property
    def n_psu(self) -> int:
        return int(self.psu_stratum.shape[0])

    @property
    def centring_h(self) -> NDArray[np.float64]:
        """c_h / n_h for strata centred at their mean, 0 for uncentred or empty ones."""
        regular = ~self.adjust_h & (self.n_h > 0)
        return np.where(regular, self.factor_h / np.maximum(self.n_h, 1.0), 0.0)

    def stratum_pairs(
        self, pair_domain: NDArray[np.intp], pair_psu: NDArray[np.intp], n_domains: int
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
        """(domain, stratum) pairs present: their domain, stratum, and each PSU pair's index."""
        return _pairs(pair_domain, self.psu_stratum[pair_psu], n_domains, self.n_h.shape[0])

    def variances(
        self,
        totals: NDArray[np.float64],
        pair_domain: NDArray[np.intp],
        pair_psu: NDArray[np.intp],
        n_domains: int,
        dh: tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]],
    ) -> NDArray[np.float64]:
        """Unscaled V_d for every domain and column of ``totals`` (one row per (domain, PSU)).

        Expanding sum_k c_h (t_dk - mu_dh)^2 over all PSUs of h, including those where t_dk = 0:
        ``sum_k c_h t_dk^2 - c_h T_dh^2 / n_h`` for ordinary strata (mu = T_dh / n_h), and
        ``c_h t_dk^2`` for a lonely stratum under ``adjust`` (not centred, as R).
        """
        c = self.factor_h[self.psu_stratum[pair_psu]]
        var = np.zeros((n_domains, totals.shape[1]))
        # Blocks of pairs: the squares stay in cache instead of a second pairs x nodes array.
        for start in range(0, totals.shape[0], _BLOCK):
            block = slice(start, start + _BLOCK)
            weighted_squares = np.square(totals[block])
            weighted_squares *= c[block, None]
            var += _group_sum(pair_domain[block], weighted_squares, n_domains)
        dh_domain, dh_stratum, dh_inverse = dh
        stratum_totals = _group_sum(dh_inverse, totals, dh_domain.shape[0])
        coef = self.centring_h[dh_stratum]
        var -= _group_sum(dh_domain, coef[:, None] * stratum_totals**2, n_domains)
        return var

    def covariance(
        self,
        totals: NDArray[np.float64],
        pair_domain: NDArray[np.intp],
        pair_psu: NDArray[np.intp],
        n_domains: int,
    ) -> NDArray[np.float64]:
        """Unscaled covariance (G, G) of the domain totals of one score column."""
        n_strata = self.n_h.shape[0]
        pair_stratum = self.psu_stratum[pair_psu]
        s = sparse.csr_matrix((totals, (pair_psu, pair_domain)), shape=(self.n_psu, n_domains))
        c_psu = sparse.diags(self.factor_h[self.psu_stratum])
        cov = np.asarray((s.T @ c_psu @ s).toarray())
        q = sparse.csr_matrix((totals, (pair_stratum, pair_domain)), shape=(n_strata, n_domains))
        cov -= np.asarray((q.T @ sparse.diags(self.centring_h) @ q).toarray())
        return cov


def _pairs(
    outer: NDArray[np.intp], inner: NDArray[np.intp], n_outer: int, n_inner: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """The distinct (outer, inner) code pairs of the rows: their outer, inner, each row's pair.

    When one code is nested in the other (strata within agencies, agencies within a stratum,
    the common SIPAS layouts) the pairs are the present codes of the finer one, found in O(n)
    with a lookup table; crossed codes with a small product use a presence table; otherwise
    one sort. Pairs come in no particular order.
    """
    owner = np.full(n_inner, -1, dtype=np.intp)
    owner[inner] = outer  # any row's outer code per inner code; nested iff all rows agree
    if np.array_equal(owner[inner], outer):
        present = owner >= 0
        index = np.cumsum(present, dtype=np.intp) - 1
        pair_inner = np.flatnonzero(present)
        return owner[pair_inner], pair_inner, index[inner]
    owner = np.full(n_outer, -1, dtype=np.intp)
    owner[outer] = inner
    if np.array_equal(owner[outer], inner):
        present = owner >= 0
        index = np.cumsum(present, dtype=np.intp) - 1
        pair_outer = np.flatnonzero(present)
        return pair_outer, owner[pair_outer], index[outer]
    key = outer.astype(np.int64) * n_inner + inner
    span = n_outer * n_inner
    if span <= max(2 * key.shape[0], 1 << 16):
        present = np.bincount(key, minlength=span) > 0
        index = np.cumsum(present, dtype=np.intp) - 1
        found = np.flatnonzero(present)
        inverse = index[key]
    else:
        found, inverse = np.unique(key, return_inverse=True)
    return (
        (found // n_inner).astype(np.intp),
        (found % n_inner).astype(np.intp),
        inverse.reshape(-1).astype(np.intp, copy=False),
    )


def _matmul_rows(
    left: NDArray[np.float64], right: NDArray[np.float64], out: NDArray[np.float64]
) -> None:
    """``out[:] = left @ right`` in slices of rows small enough for one BLAS thread."""
    step = max(1, _GEMM_SINGLE_THREAD // max(left.shape[1] * right.shape[1], 1))
    for start in range(0, left.shape[0], step):
        np.matmul(left[start : start + step], right, out=out[start : start + step])


def _group_sum(
    codes: NDArray[np.intp], values: NDArray[np.float64], size: int
) -> NDArray[np.float64]:
    """Sum the rows of ``values`` (m, k) by ``codes`` (m,) into a (size, k) array.

    A sparse (size x m) indicator product: one pass over ``values`` for all k columns, several
    times faster than k ``np.bincount`` calls or ``np.add.reduceat`` on a C-ordered matrix.
    """
    m = codes.shape[0]
    if values.ndim == 2 and values.shape[1] <= 4:
        # A few columns: bincount is one cheap pass each, with no indicator to build.
        out = np.empty((size, values.shape[1]))
        for j in range(values.shape[1]):
            out[:, j] = np.bincount(codes, weights=values[:, j], minlength=size)
        return out
    indicator = sparse.csr_matrix((np.ones(m), codes, np.arange(m + 1)), shape=(m, size))
    return np.asarray(indicator.T @ values, dtype=np.float64)


def validate_answers(answers: ArrayLike, criteria: tuple[str, ...]) -> NDArray[np.float64]:
    """Check an (n, K) answer matrix: 1-5 or NaN (not answered / not applicable).

    Raises
    ------
    IndexInputError
        Naming the first bad row (0-based) and criterion.
    """
    y = np.asarray(answers, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != len(criteria):
        raise IndexInputError(
            f"answers: expected an (n, {len(criteria)}) matrix, one column per criterion "
            f"({', '.join(criteria)}), got shape {y.shape}"
        )
    if _answers_on_scale(y):
        return y
    valid = ~np.isnan(y)
    bad = valid & ((y < SCALE_MIN) | (y > SCALE_MAX) | (y != np.round(y)))
    if bad.any():
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise IndexInputError(
            f"answers: row {row}, criterion {criteria[col]!r} is {y[row, col]:g}; answers must "
            f"be whole numbers {SCALE_MIN}-{SCALE_MAX}, or missing for not answered/not applicable"
        )
    return y


def _answers_on_scale(y: NDArray[np.float64]) -> bool:
    """Whether every non-NaN answer is a whole number on the scale (blockwise, NaN-ignoring)."""
    for start in range(0, y.shape[0], _BLOCK):
        block = y[start : start + _BLOCK]
        if block.size == 0:
            continue
        # fmin/fmax skip NaN; all-NaN blocks give NaN, which compares False.
        if (
            np.fmin.reduce(block, axis=None) < SCALE_MIN
            or np.fmax.reduce(block, axis=None) > SCALE_MAX
        ):
            return False
        if np.fmax.reduce(np.abs(block - np.rint(block)), axis=None) > 0:
            return False
    return True


@dataclass(frozen=True)
class _Structure:
    nodes: tuple[str, ...]
    levels: tuple[str, ...]
    parents: tuple[str, ...]
    mixing: NDArray[np.float64]  # (N, J): node estimate = mixing @ base ratios


def _structure(tree: QuestionnaireTree, rule: IndexRule) -> _Structure:
    """Nodes root first (``overall``, or ``sipas`` and the indices), elements, criteria.

    A node above the elements mixes the element rows with the tree's weights
    (:meth:`analysis.questionnaire_tree.QuestionnaireTree.composites`), so it is one more linear
    combination of the base ratios and its score, variance and covariances follow.
    """
    n_el = len(tree.elements)
    n_cr = len(tree.criteria)
    element_of = np.asarray(tree.element_of_criterion(), dtype=np.intp)
    upper = tree.composites()
    n_up = len(upper)
    nodes = (*(c.code for c in upper), *tree.element_codes, *tree.criteria)
    levels = (*(c.level for c in upper), *("element",) * n_el, *("criterion",) * n_cr)
    parents = (
        *(c.parent for c in upper),
        *tree.parent_of_element(),
        *(tree.element_codes[e] for e in element_of),
    )
    pooled_elements = rule in ("pooled", "respondent-mean")
    n_base = n_cr + (n_el if pooled_elements else 0)
    mixing = np.zeros((n_up + n_el + n_cr, n_base))
    mixing[n_up + n_el :, :n_cr] = np.eye(n_cr)
    if pooled_elements:
        mixing[n_up : n_up + n_el, n_cr:] = np.eye(n_el)
    else:
        sizes = np.bincount(element_of, minlength=n_el)
        mixing[n_up + element_of, np.arange(n_cr)] = 1.0 / sizes[element_of]
    if tree.indices:
        weights = np.asarray([c.weights for c in upper])
        mixing[:n_up] = weights @ mixing[n_up : n_up + n_el]
    else:
        # Kept as the plain mean so a tree without indices gives bit-identical figures.
        mixing[0] = mixing[1 : 1 + n_el].mean(axis=0)
    return _Structure(nodes, levels, parents, mixing)


def _base_matrices(
    y: NDArray[np.float64], tree: QuestionnaireTree, rule: IndexRule
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Numerators a_ij and denominators b_ij of the base ratios for rows y, each (n, J).

    Built whole-matrix rather than column by column (strided writes into an n x J array);
    the Taylor path calls it on blocks of rows (:func:`_row_blocks`).
    """
    valid = ~np.isnan(y)
    n, n_cr = y.shape
    n_base = n_cr + (len(tree.elements) if rule in ("pooled", "respondent-mean") else 0)
    a = np.empty((n, n_base))
    b = np.empty((n, n_base))
    if rule == "mean-score":
        np.copyto(a[:, :n_cr], np.where(valid, y, 0.0))
    else:
        np.greater_equal(y, SATISFIED_FROM, out=a[:, :n_cr])
    b[:, :n_cr] = valid
    if n_base == n_cr:
        return a, b
    starts = _element_starts(tree)
    n_valid = np.add.reduceat(b[:, :n_cr], starts, axis=1)
    n_sat = np.add.reduceat(a[:, :n_cr], starts, axis=1)
    if rule == "pooled":
        a[:, n_cr:] = n_sat
        b[:, n_cr:] = n_valid
    else:
        answered = n_valid > 0
        a[:, n_cr:] = np.divide(n_sat, n_valid, out=np.zeros_like(n_sat), where=answered)
        b[:, n_cr:] = answered
    return a, b


def _element_starts(tree: QuestionnaireTree) -> NDArray[np.intp]:
    sizes = [len(element.criteria) for element in tree.elements]
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)


def _row_blocks(
    y: NDArray[np.float64], tree: QuestionnaireTree, rule: IndexRule, n_base: int
) -> Iterator[tuple[slice, NDArray[np.float64], NDArray[np.float64]]]:
    """(rows, a, b) for blocks of rows small enough for the CPU cache (about 2 MB per matrix)."""
    step = max(1 << 12, (1 << 18) // max(n_base, 1))
    for start in range(0, y.shape[0], step):
        rows = slice(start, start + step)
        a, b = _base_matrices(y[rows], tree, rule)
        yield rows, a, b


def _node_counts(
    valid_float: NDArray[np.float64], tree: QuestionnaireTree, codes: NDArray[np.intp], size: int
) -> NDArray[np.float64]:
    """Respondents per domain with a valid answer each node counts (the root, the indices if
    any, elements, criteria).

    ``valid_float`` is the (n, K) 0/1 matrix of valid answers.
    """
    per_criterion = _group_sum(codes, valid_float, size)
    any_in_element = np.add.reduceat(valid_float, _element_starts(tree), axis=1) > 0
    per_element = _group_sum(codes, any_in_element.astype(np.float64), size)
    overall = np.bincount(codes, weights=any_in_element.any(axis=1), minlength=size)
    if not tree.indices:
        return np.column_stack([overall, per_element, per_criterion])
    members = np.asarray([c.weights for c in tree.composites()[1:]]).T > 0  # (elements, indices)
    any_in_index = (any_in_element.astype(np.float64) @ members) > 0
    per_index = _group_sum(codes, any_in_index.astype(np.float64), size)
    return np.column_stack([overall, per_index, per_element, per_criterion])


def estimate_indices(
    design: SurveyDesign | ReplicateDesign,
    answers: ArrayLike,
    tree: QuestionnaireTree,
    *,
    domain: ArrayLike | Sequence[ArrayLike] | None = None,
    rule: IndexRule = "criteria-mean",
    ci_method: CiMethod = DEFAULT_CI_METHOD,
    level: float = 0.95,
) -> IndexTable:
    """Estimate the SIPAS indices of every node in every domain, with SEs and intervals.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
        The whole sample's design (domains are never cut out of it). With replicate weights
        every cell is re-estimated with each replicate instead of linearised.
    answers : array_like, shape (n, K)
        Answers 1-5 aligned with ``tree.criteria``; NaN for not answered or not applicable.
    tree : QuestionnaireTree
    domain : array_like, or sequence of array_like, shape (n,), optional
        Domain column(s) of each row (e.g. agency, or agency and channel crossed); one
        ``"all"`` domain when omitted.
    rule : {"criteria-mean", "pooled", "respondent-mean", "mean-score"}
    ci_method : {"logit", "xlogit", "wald", "mean", "beta", "asin"}
        Interval for shares, as R ``svyciprop`` with the domain df
        (:func:`analysis.intervals.proportion_interval_bounds`; ``beta`` takes the cell's
        respondents as n). With replicate weights ``logit`` uses the replicate variance of
        logit(share), as R's per-replicate glm refit (not the delta method, ``xlogit``).
        Unanimous cells get the exact Clopper-Pearson interval whatever the method. R's
        ``likelihood`` needs a 0/1 outcome, which element and overall indices are not, so it
        is not offered. Ignored for ``mean-score``, whose intervals are
        Student t.
    level : float
        Confidence level.

    Returns
    -------
    IndexTable

    Notes
    -----
    Ratio estimators and their linearisation: Särndal, Swensson & Wretman (1992), sec. 5.6;
    domain estimation with the whole design: Lumley (2010), sec. 2.3.1. The SE of an element or
    of the overall index is that of the mean of its ratios, whose score is the mean of their
    scores, so respondents answering several criteria are accounted for.

    A tree with indices (the national form) adds the index nodes and ``sipas`` above the
    elements. Each is a fixed linear combination ``theta = sum_j m_j R_j`` of the same base
    ratios (policy = mean of its parts, SIPAS = mean of the two indices, i.e.
    ``m_j = 1 / (2 |index| |element|)`` for a criterion share under ``criteria-mean``), so its
    respondent-level score is ``u_i = sum_j m_j (a_ij - R_j b_ij) / B_j`` and its variance is
    the stratified Taylor variance of those scores, as for every other node. A respondent not
    asked the service block (b_ij = 0 there) contributes to the policy terms only, and the
    covariance between the two indices, carried by the respondents who answer both, is in the
    one score (Lumley 2010, sec. 3.4; R ``svycontrast`` on the criterion ratios gives the same).
    """
    if rule not in INDEX_RULES:
        raise IndexInputError(f"rule: {rule!r} is not one of {', '.join(INDEX_RULES)}")
    if ci_method not in CI_METHODS:
        raise IndexInputError(f"ci_method: {ci_method!r} is not one of {', '.join(CI_METHODS)}")
    if not 0.0 < level < 1.0:
        raise IndexInputError(f"level: {level} must be between 0 and 1 (e.g. 0.95)")
    y = validate_answers(answers, tree.criteria)
    n = design.n
    if y.shape[0] != n:
        raise IndexInputError(f"answers: {y.shape[0]} rows but the design has {n}")
    if isinstance(domain, np.ndarray) and domain.ndim == 1:
        # One domain column: encode it directly (make_domains' 2-D unique is slower).
        one_codes, one_levels = encode_labels(domain, field="domain")
        domains = Domains(codes=one_codes, labels=(one_levels,))
    else:
        domains = make_domains(n, domain)
    codes = domains.codes
    n_domains = domains.size
    if domains.labels:
        labels = np.asarray(
            [" / ".join(str(col[g]) for col in domains.labels) for g in range(n_domains)]
        )
    else:
        labels = np.asarray(["all"])
    structure = _structure(tree, rule)
    if isinstance(design, ReplicateDesign):
        a, b = _base_matrices(y, tree, rule)
        # b's criterion columns are the 0/1 valid answers.
        counted = _node_counts(b[:, : y.shape[1]], tree, codes, n_domains)
        ratio, has_base, variance, df, cells = _replicate_cells(
            design, codes, n_domains, a, b, structure
        )
        del a, b
        variance_method = "replicate"
    else:
        if design.second_stage is not None:
            # The blockwise cells below have first-stage terms only; refuse rather than
            # understate a two-stage variance.
            raise DesignError(
                "design: estimate_indices has no second-stage variance term; build the design "
                "without ssu/ssu_fpc (R's ultimate-cluster variance) or use replicate weights"
            )
        (ratio, has_base, variance, df, cells), counted = _taylor_cells(
            design, codes, n_domains, y, tree, rule, structure
        )
        variance_method = "taylor"
    n_respondents = np.rint(counted).astype(np.int64)
    # A node is undefined when any base ratio it mixes has no valid answer in the domain.
    undefined = (~has_base).astype(np.float64) @ (structure.mixing.T != 0) > 0
    estimate = np.where(undefined, np.nan, ratio @ structure.mixing.T)
    se = np.where(undefined, np.nan, np.sqrt(variance))

    df_cells = np.broadcast_to(df[:, None], estimate.shape)
    method = "mean" if rule == "mean-score" else ci_method
    logit_variance = None
    if method == "logit" and isinstance(cells, _ReplicateCells):
        logit_variance = cells.logit_variance(estimate)
    lower, upper = _interval(
        method,
        estimate,
        se,
        df_cells,
        n_respondents,
        level,
        bounded=rule != "mean-score",
        logit_variance=logit_variance,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(estimate != 0, se / np.abs(estimate), np.nan)
    return IndexTable(
        nodes=structure.nodes,
        levels=structure.levels,
        parents=structure.parents,
        domains=labels,
        domain_labels=domains.labels,
        estimate=estimate,
        se=se,
        ci_lower=lower,
        ci_upper=upper,
        cv=cv,
        df=df,
        n_respondents=n_respondents,
        rule=rule,
        ci_method=method,
        level=level,
        variance_method=variance_method,
        cells=cells,
    )


_Parts = tuple[
    NDArray[np.float64],
    NDArray[np.bool_],
    NDArray[np.float64],
    NDArray[np.int64],
    "_TaylorCells | _ReplicateCells",
]


def _taylor_cells(
    design: SurveyDesign,
    codes: NDArray[np.intp],
    n_domains: int,
    y: NDArray[np.float64],
    tree: QuestionnaireTree,
    rule: IndexRule,
    structure: _Structure,
) -> tuple[_Parts, NDArray[np.float64]]:
    """Base ratios (G, J), which exist, node variances (G, N), df (G,) and covariance cells;
    and the respondents each node counts per domain (G, N).

    Two passes over blocks of the answers: the domain (or (domain, PSU)) sums of w a and w b,
    then, when every row is its own PSU, each row's node scores. Nothing n x J is built except
    the (n, N) score totals the covariance cells keep; no sort of the n rows.

    A calibrated design replaces each row's w u by its calibration residual, which is not zero
    outside the domain. Its PSU totals are t_k = ts_k - omega_k gamma (ts the sparse domain
    totals, :func:`analysis.design.calibration_terms`), so with c_k the PSU's stratum factor and
    e_h = c_h / n_h the stratified sum of squares becomes
    ``V = V(ts) - 2 E . gamma + gamma^T Q gamma`` with
    ``E = sum_k c_k omega_k ts_k - sum_h e_h omega_h Ts_h`` and
    ``Q = sum_k c_k omega_k omega_k^T - sum_h e_h omega_h omega_h^T`` (omega_h, Ts_h summed over
    the stratum's PSUs): a few (cells x cells) products instead of dense n x G*N residuals.
    """
    layout = _VarianceLayout.from_design(design)
    w = design.weights
    n_cr = y.shape[1]
    mixing_t = np.ascontiguousarray(structure.mixing.T)
    n_base, n_nodes = mixing_t.shape
    rows_are_pairs = layout.rows_are_psus
    if rows_are_pairs:
        # Every row its own PSU: the (domain, PSU) pairs are the rows themselves.
        pair_domain, pair_psu = codes, layout.psu_index
        pair_of_row = codes  # the first pass sums straight into domains
        n_sums = n_domains
    else:
        # Pairs (domain, PSU) that occur: every score total the variance needs lives on them.
        pair_domain, pair_psu, pair_of_row = _pairs(
            codes, layout.psu_index, n_domains, layout.n_psu
        )
        n_sums = pair_domain.shape[0]
    sum_a = np.zeros((n_sums, n_base))
    sum_b = np.zeros((n_sums, n_base))
    counted = np.zeros((n_domains, n_nodes))
    for rows, a, b in _row_blocks(y, tree, rule, n_base):
        counted += _node_counts(b[:, :n_cr], tree, codes[rows], n_domains)
        wr = w[rows, None]
        sum_a += _group_sum(pair_of_row[rows], np.multiply(a, wr, out=a), n_sums)
        sum_b += _group_sum(pair_of_row[rows], np.multiply(b, wr, out=b), n_sums)
    if rows_are_pairs:
        dom_a, dom_b = sum_a, sum_b
    else:
        dom_a = _group_sum(pair_domain, sum_a, n_domains)
        dom_b = _group_sum(pair_domain, sum_b, n_domains)
    has_base = dom_b > 0
    ratio = np.divide(dom_a, dom_b, out=np.zeros_like(dom_a), where=has_base)
    inv_b = np.divide(1.0, dom_b, out=np.zeros_like(dom_b), where=has_base)
    # Score of a base ratio: w (a - R b) / B within the domain (Woodruff).
    dh_domain, dh_stratum, dh_inverse = layout.stratum_pairs(pair_domain, pair_psu, n_domains)
    dh = (dh_domain, dh_stratum, dh_inverse)
    stored: NDArray[np.float64] | _RowScores
    if rows_are_pairs:
        del sum_a, sum_b
        scores = _RowScores(y, w, codes, ratio, inv_b, mixing_t, tree, rule)
        if design.calibration:
            totals = np.empty((y.shape[0], n_nodes))
            for rows, block in scores.blocks():
                totals[rows] = block
            variance = layout.variances(totals, pair_domain, pair_psu, n_domains, dh)
            stored = totals
        else:
            # Only the calibration terms below would need the n x N array.
            totals = np.empty((0, n_nodes))
            stored = scores
            variance = scores.variances(layout, n_domains, dh)
    else:
        # Scores are linear within a (domain, PSU) pair, so their totals come from the pair sums.
        sum_b *= ratio[pair_domain]
        sum_a -= sum_b
        sum_a *= inv_b[pair_domain]
        totals = sum_a @ mixing_t
        del sum_a, sum_b
        variance = layout.variances(totals, pair_domain, pair_psu, n_domains, dh)
        stored = totals

    correction = None
    if design.calibration:
        a, b = _base_matrices(y, tree, rule)
        correction = _calibration_correction(
            design,
            layout,
            codes,
            n_domains,
            a,
            b,
            ratio,
            inv_b,
            structure,
            totals,
            pair_domain,
            pair_psu,
        )
        variance += -2.0 * np.einsum("cgn,cgn->gn", correction.cross, correction.gamma)
        variance += np.einsum("cgn,ce,egn->gn", correction.gamma, correction.quad, correction.gamma)

    psus_per_domain = np.bincount(pair_domain, minlength=n_domains)
    strata_per_domain = np.bincount(dh_domain, minlength=n_domains)
    df = np.maximum(psus_per_domain - strata_per_domain, 1).astype(np.int64)

    domain_scale = np.ones(n_domains)
    if design.lonely_psu == "average" and layout.lonely_h.any():
        # R counts the strata of the domain's subset design (every stratum when calibrated).
        if design.calibration:
            h_d = np.full(n_domains, float((layout.n_h > 0).sum()))
            l_d = np.full(n_domains, float(layout.lonely_h.sum()))
        else:
            h_d = strata_per_domain.astype(np.float64)
            lonely_pairs = layout.lonely_h[dh_stratum]
            l_d = np.bincount(dh_domain, weights=lonely_pairs, minlength=n_domains)
        domain_scale = np.where(h_d > l_d, h_d / np.maximum(h_d - l_d, 1.0), np.nan)
    variance = np.maximum(variance, 0.0) * domain_scale[:, None]
    cells = _TaylorCells(stored, pair_domain, pair_psu, layout, domain_scale, correction)
    return (ratio, has_base, variance, df, cells), counted


def _calibration_correction(
    design: SurveyDesign,
    layout: _VarianceLayout,
    codes: NDArray[np.intp],
    n_domains: int,
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    ratio: NDArray[np.float64],
    inv_b: NDArray[np.float64],
    structure: _Structure,
    totals: NDArray[np.float64],
    pair_domain: NDArray[np.intp],
    pair_psu: NDArray[np.intp],
) -> _CalibrationCorrection:
    """gamma, E and Q of :func:`_taylor_cells` for a calibrated design."""
    w = design.weights
    n_nodes = structure.mixing.shape[0]

    def cell_sums(groups: NDArray[np.intp], v: NDArray[np.float64]) -> NDArray[np.float64]:
        # sum over the rows of cell c and domain d of v w u, for every node: (C, G * N).
        size = int(groups.max(initial=-1)) + 1
        key = groups.astype(np.int64) * n_domains + codes
        base = np.empty((size, n_domains, a.shape[1]))
        for j in range(a.shape[1]):
            sa = np.bincount(key, weights=v * w * a[:, j], minlength=size * n_domains)
            sb = np.bincount(key, weights=v * w * b[:, j], minlength=size * n_domains)
            base[:, :, j] = (
                sa.reshape(size, n_domains) - ratio[None, :, j] * sb.reshape(size, n_domains)
            ) * inv_b[None, :, j]
        return (base @ structure.mixing.T).reshape(size, n_domains * n_nodes)

    terms = calibration_terms(design.calibration, cell_sums, n_domains * n_nodes)
    n_psu = layout.n_psu
    omegas = []
    for term in terms:
        size = term.gamma.shape[0]
        omegas.append(
            np.bincount(
                layout.psu_index * size + term.groups,
                weights=term.multiplier,
                minlength=n_psu * size,
            ).reshape(n_psu, size)
        )
    omega = np.concatenate(omegas, axis=1).astype(np.float64)  # (P, C)
    gamma = np.concatenate([t.gamma for t in terms], axis=0).reshape(-1, n_domains, n_nodes)
    n_strata = layout.n_h.shape[0]
    c_psu = layout.factor_h[layout.psu_stratum]
    omega_h = _group_sum(layout.psu_stratum, omega, n_strata)  # (H, C)
    e_h = layout.centring_h
    quad = omega.T @ (c_psu[:, None] * omega) - omega_h.T @ (e_h[:, None] * omega_h)
    dh_domain, dh_stratum, dh_inverse = layout.stratum_pairs(pair_domain, pair_psu, n_domains)
    stratum_totals = _group_sum(dh_inverse, totals, dh_domain.shape[0])
    weighted_pairs = c_psu[pair_psu][:, None] * omega[pair_psu]  # (pairs, C)
    weighted_dh = e_h[dh_stratum][:, None] * omega_h[dh_stratum]  # (dh pairs, C)
    cross = np.empty_like(gamma)
    for c in range(omega.shape[1]):
        cross[c] = _group_sum(pair_domain, weighted_pairs[:, c : c + 1] * totals, n_domains)
        cross[c] -= _group_sum(dh_domain, weighted_dh[:, c : c + 1] * stratum_totals, n_domains)
    return _CalibrationCorrection(gamma=gamma, cross=cross, quad=quad)


def _replicate_cells(
    design: ReplicateDesign,
    codes: NDArray[np.intp],
    n_domains: int,
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    structure: _Structure,
) -> _Parts:
    """As :func:`_taylor_cells` with replicate weights: every cell re-estimated per replicate.

    Variance = scale sum_r rscale_r (theta_r - c)^2, c the mean of the replicate estimates or
    the full-sample estimate when ``design.mse`` (Wolter 2007, ch. 4; R ``svrVar``); the df of
    a domain is R ``degf`` of its subset design (:meth:`ReplicateDesign.domain_df`).
    """
    n = design.n
    indicator = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_domains, n))
    all_weights = np.column_stack([design.weights, design.replicate_weights])  # (n, 1 + R)
    n_base = structure.mixing.shape[1]
    dom_a = np.empty((n_domains, all_weights.shape[1], n_base))
    dom_b = np.empty_like(dom_a)
    for j in range(n_base):
        dom_a[:, :, j] = indicator @ (all_weights * a[:, j : j + 1])
        dom_b[:, :, j] = indicator @ (all_weights * b[:, j : j + 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(dom_b > 0, dom_a / dom_b, np.nan)
    has_base = dom_b[:, 0, :] > 0
    ratio = np.where(has_base, ratios[:, 0, :], 0.0)
    replicate_estimates = ratios[:, 1:, :] @ structure.mixing.T  # (G, R, N)
    full = ratio @ structure.mixing.T
    centre = full if design.mse else replicate_estimates.mean(axis=1)
    dev = replicate_estimates - centre[:, None, :]
    variance = design.scale * np.einsum("r,grn->gn", design.rscales, dev**2)
    if n_domains == 1:
        df = np.full(1, max(int(design.df), 1), dtype=np.int64)
    else:
        # R degf of each domain's subset: rank of its rows' replicate weights minus 1.
        df = np.maximum(design.domain_df(codes, np.ones(n, dtype=bool), n_domains), 1)
    cells = _ReplicateCells(
        replicate_estimates,
        centre,
        float(design.scale),
        design.rscales,
        int(design.df),
        bool(design.mse),
    )
    return ratio, has_base, variance, df, cells


def _interval(
    method: str,
    estimate: NDArray[np.float64],
    se: NDArray[np.float64],
    df: NDArray[np.int64],
    n: NDArray[np.int64],
    level: float,
    *,
    bounded: bool,
    logit_variance: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Intervals cell by cell; a cell without an estimate gets NaN bounds.

    A share of exactly 0 or 1 has a zero linearised variance, so every design-based interval
    collapses onto the point (as R ``svyciprop`` does) and would claim certainty from a handful
    of answers. Such cells get the exact Clopper-Pearson interval for 0 or n successes out of
    the cell's n respondents instead (Clopper and Pearson 1934), i.e. the design effect is taken
    as 1 where the sample gives no way to estimate it
    (:func:`analysis.intervals.exact_bounds_for_unanimous`).
    """
    lower = np.full(estimate.shape, np.nan)
    upper = np.full(estimate.shape, np.nan)
    ok = np.isfinite(estimate) & np.isfinite(se)
    if not bounded:
        half = t_ppf(0.5 + level / 2.0, df[ok]) * se[ok]
        lower[ok] = estimate[ok] - half
        upper[ok] = estimate[ok] + half
        return lower, upper
    lo, hi = proportion_interval_bounds(
        estimate[ok],
        se[ok] ** 2,
        method=method,  # type: ignore[arg-type]
        df=df[ok],
        n=n[ok],
        level=level,
    )
    lower[ok] = lo
    upper[ok] = hi
    if logit_variance is not None:
        # Replicate designs: the Wald interval on the logit scale with the replicates' own
        # logit SE, as R svyciprop(method="logit") on a svrepdesign (not the delta method).
        inner = ok & (estimate > 0.0) & (estimate < 1.0)
        q = t_ppf(0.5 + level / 2.0, df[inner])
        half = q * np.sqrt(logit_variance[inner])
        centre = logit(estimate[inner])
        lower[inner] = expit(centre - half)
        upper[inner] = expit(centre + half)
    return exact_bounds_for_unanimous(estimate, se**2, n, level, lower, upper)
