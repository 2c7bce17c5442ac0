"""Internal consistency of the elements (Cronbach's alpha) and a key-driver regression.

Cronbach's alpha (Cronbach 1951) of an element with k criteria answered on the 1-5 scale::

    alpha = k / (k - 1) * (1 - sum_j s_j^2 / s_T^2)

with s_j^2 the variance of criterion j and s_T^2 that of the respondent's sum over the k criteria.
**Rule:** only respondents with a valid 1-5 answer to *every* criterion of the element enter
(listwise deletion; "not applicable" and "not answered" both exclude the respondent for that
element). Variances are survey-weighted when weights are given (the divisor cancels in the ratio).

Key drivers: a survey-weighted least-squares regression (statsmodels ``WLS``) of the respondent's
overall satisfaction on the respondent's element scores, with design-based standard errors by
linearisation, as R ``svyglm`` (Binder 1983; Lumley 2010, sec. 5.2): the influence of
respondent i is ``u_i = (X' W X)^{-1} x_i e_i`` and Var(beta) = ``taylor_covariance(design, u)``
with rows left out of the fit scored 0. Tests use Student t on ``design df + 1 - p`` degrees of
freedom, as ``svyglm``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.design import SurveyDesign
from analysis.distributions import t_sf
from analysis.indices import SATISFIED_FROM, IndexRule, validate_answers
from analysis.questionnaire_tree import QuestionnaireTree
from analysis.variance import taylor_covariance

__all__ = [
    "ElementAlpha",
    "KeyDrivers",
    "RegressionFit",
    "cronbach_alpha",
    "element_alphas",
    "fit_design_wls",
    "key_drivers",
    "respondent_element_scores",
]


def cronbach_alpha(items: ArrayLike, weights: ArrayLike | None = None) -> tuple[float, int]:
    """Cronbach's alpha of the columns of ``items`` over the complete rows.

    Parameters
    ----------
    items : array_like, shape (n, k)
        Item scores; NaN marks a missing answer (the row is left out).
    weights : array_like, shape (n,), optional
        Survey weights; unweighted when omitted.

    Returns
    -------
    alpha : float
        NaN when k < 2, fewer than 2 complete rows, or the total has no variance.
    n_complete : int
        Rows used.
    """
    x = np.asarray(items, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"items: expected an (n, k) matrix, got shape {x.shape}")
    w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    complete = ~np.isnan(x).any(axis=1) & (w > 0)
    x, w = x[complete], w[complete]
    n_complete, k = x.shape
    if k < 2 or n_complete < 2:
        return float("nan"), int(n_complete)
    share = w / w.sum()
    item_var = share @ (x - share @ x) ** 2
    total = x.sum(axis=1)
    total_var = share @ (total - share @ total) ** 2
    if total_var <= 0:
        return float("nan"), int(n_complete)
    return float(k / (k - 1) * (1.0 - item_var.sum() / total_var)), int(n_complete)


@dataclass(frozen=True)
class ElementAlpha:
    """Cronbach's alpha of one element, over respondents complete on all its criteria."""

    element: str
    alpha: float
    n_criteria: int
    n_complete: int


def element_alphas(
    answers: ArrayLike, tree: QuestionnaireTree, weights: ArrayLike | None = None
) -> tuple[ElementAlpha, ...]:
    """Cronbach's alpha of every element of ``tree`` (see the module docstring for the rule)."""
    y = validate_answers(answers, tree.criteria)
    out = []
    start = 0
    for element in tree.elements:
        stop = start + len(element.criteria)
        alpha, n_complete = cronbach_alpha(y[:, start:stop], weights)
        out.append(ElementAlpha(element.code, alpha, stop - start, n_complete))
        start = stop
    return tuple(out)


@dataclass(frozen=True)
class RegressionFit:
    """A survey-weighted linear regression with design-based (linearised) covariance."""

    terms: tuple[str, ...]
    coef: NDArray[np.float64]
    se: NDArray[np.float64]
    vcov: NDArray[np.float64]
    statistic: NDArray[np.float64]
    p_value: NDArray[np.float64]
    df_residual: int
    n_used: int
    se_kind: str


def fit_design_wls(
    design: SurveyDesign,
    outcome: ArrayLike,
    predictors: ArrayLike,
    terms: tuple[str, ...],
    *,
    rows: ArrayLike | None = None,
) -> RegressionFit:
    """Survey-weighted least squares with design-based SEs, as R ``svyglm`` (gaussian).

    Parameters
    ----------
    design : SurveyDesign
    outcome : array_like, shape (n,)
    predictors : array_like, shape (n, p)
        Include the intercept column yourself.
    terms : tuple of str
        Names of the p columns.
    rows : array_like of bool, shape (n,), optional
        Rows in the fit (a domain); the others keep their place in the design with score 0.

    Returns
    -------
    RegressionFit
        Coefficients from ``statsmodels.WLS`` with the design weights; vcov =
        ``taylor_covariance(design, (X'WX)^{-1} x_i e_i)``; df = design df + 1 - p.
    """
    y = np.asarray(outcome, dtype=np.float64)
    x = np.asarray(predictors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != design.n or y.shape != (design.n,):
        raise ValueError(
            f"outcome/predictors: need ({design.n},) and ({design.n}, p), got {y.shape} and "
            f"{x.shape}"
        )
    if len(terms) != x.shape[1]:
        raise ValueError(f"terms: {len(terms)} names for {x.shape[1]} predictor columns")
    used = np.ones(design.n, dtype=bool) if rows is None else np.asarray(rows, dtype=bool).copy()
    used &= np.isfinite(y) & np.isfinite(x).all(axis=1) & (design.weights > 0)
    if used.sum() <= x.shape[1]:
        raise ValueError(
            f"regression: {int(used.sum())} usable rows for {x.shape[1]} coefficients; "
            "too few complete respondents"
        )
    # statsmodels takes seconds to import; only key drivers need it, not sipas analyze's alphas.
    import statsmodels.api as sm

    w = design.weights[used]
    fit = sm.WLS(y[used], x[used], weights=w).fit()
    coef = np.asarray(fit.params, dtype=np.float64)
    bread = np.linalg.inv((x[used] * w[:, None]).T @ x[used])
    scores = np.zeros((design.n, x.shape[1]))
    scores[used] = (x[used] * (y[used] - x[used] @ coef)[:, None]) @ bread
    vcov = taylor_covariance(design, scores)
    se = np.sqrt(np.diag(vcov))
    df_residual = max(design.df + 1 - x.shape[1], 1)
    statistic = coef / se
    return RegressionFit(
        terms=terms,
        coef=coef,
        se=se,
        vcov=vcov,
        statistic=statistic,
        p_value=2.0 * t_sf(np.abs(statistic), df_residual),
        df_residual=df_residual,
        n_used=int(used.sum()),
        se_kind="design-based (Taylor linearisation, as R svyglm)",
    )


def respondent_element_scores(
    answers: ArrayLike, tree: QuestionnaireTree, rule: IndexRule = "criteria-mean"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each respondent's own score per element and overall.

    The element score is the respondent's share of satisfied (4-5) answers among the element's
    valid answers (mean answer on 1-5 under ``mean-score``); the overall score is the same over
    all of the respondent's valid answers. NaN where the respondent has no valid answer.

    Returns
    -------
    element_scores : ndarray, shape (n, E)
    overall : ndarray, shape (n,)
    """
    y = validate_answers(answers, tree.criteria)
    valid = ~np.isnan(y)
    value = np.where(valid, y, 0.0) if rule == "mean-score" else (y >= SATISFIED_FROM) * 1.0
    element_of = np.asarray(tree.element_of_criterion(), dtype=np.intp)
    membership = np.zeros((y.shape[1], len(tree.elements)))
    membership[np.arange(y.shape[1]), element_of] = 1.0
    n_valid = valid @ membership
    with np.errstate(divide="ignore", invalid="ignore"):
        element_scores = np.where(n_valid > 0, (value @ membership) / n_valid, np.nan)
        total_valid = valid.sum(axis=1)
        overall = np.where(total_valid > 0, value.sum(axis=1) / total_valid, np.nan)
    return element_scores, overall


@dataclass(frozen=True)
class KeyDrivers:
    """Key-driver regression of overall satisfaction on element scores."""

    outcome: str
    fit: RegressionFit


def key_drivers(
    design: SurveyDesign,
    answers: ArrayLike,
    tree: QuestionnaireTree,
    *,
    outcome: ArrayLike | None = None,
    outcome_name: str = "overall satisfaction",
    rule: IndexRule = "criteria-mean",
) -> KeyDrivers:
    """Regress overall satisfaction on the element scores (see the module docstring).

    Parameters
    ----------
    design : SurveyDesign
    answers : array_like, shape (n, K)
    tree : QuestionnaireTree
    outcome : array_like, shape (n,), optional
        A separate overall-satisfaction answer (recommended). Without it the outcome is the
        respondent's share of satisfied answers over all criteria, which is nearly a weighted
        sum of the element scores, so the coefficients then mostly say how many criteria each
        element contributes; give a separate question to learn what drives satisfaction.
    outcome_name : str
    rule : {"criteria-mean", "pooled", "respondent-mean", "mean-score"}
        ``mean-score`` uses mean answers instead of shares.

    Returns
    -------
    KeyDrivers
        Fit on respondents with a score in every element and an outcome.
    """
    element_scores, overall = respondent_element_scores(answers, tree, rule)
    if outcome is None:
        y = overall
        outcome_name = "respondent's share of satisfied answers (all criteria)"
    else:
        y = np.asarray(outcome, dtype=np.float64)
    x = np.column_stack([np.ones(design.n), element_scores])
    terms = ("(Intercept)", *tree.element_codes)
    return KeyDrivers(outcome_name, fit_design_wls(design, y, x, terms))
