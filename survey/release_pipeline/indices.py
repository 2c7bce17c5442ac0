"""Release step 4, indices: the index tables of the whole campaign, of the requested domains and
of the agencies (which are ranked), by :func:`analysis.indices.estimate_indices` (Taylor
linearisation of ratio estimators; Woodruff 1971, Lumley 2010), intervals on each domain's
degrees of freedom (R ``svyciprop``).

The tree is the questionnaire's own (:func:`release_tree`): overall <- elements <- criteria, or
for the national form sipas <- policy, service <- elements <- criteria. The national figure
follows the release's ``national_rule`` (:data:`NATIONAL_RULES`): ``pooled``, one estimate over
all respondents with their design weights, or ``mean_of_provinces`` (the Ministry of Home
Affairs' practice), the unweighted mean of the provincial indices of every node with the
variance of that contrast from the provinces' full covariance
(:func:`analysis.domain_contrasts.mean_of_domains`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from analysis.design import DesignError, SurveyDesign
from analysis.domain_contrasts import DomainMean, mean_of_domains
from analysis.indices import CiMethod, IndexInputError, IndexRule, IndexTable, estimate_indices
from analysis.questionnaire_tree import (
    QuestionnaireTree,
    QuestionnaireTreeError,
    parse_questionnaire_tree,
)
from analysis.replicates import ReplicateDesign
from survey.disclosure import K as DISCLOSURE_K
from survey.errors import InvalidInput, Problem
from survey.questionnaires import element_tree
from survey.release_pipeline.design import estimation_error
from survey.release_pipeline.rows import ResponseRows

# How the national (whole-campaign) figure is formed; "pooled" is what releases always did.
NATIONAL_RULES: tuple[str, ...] = ("pooled", "mean_of_provinces")


def release_tree(definition: Mapping[str, Any]) -> QuestionnaireTree:
    """The questionnaire's aggregation tree: with its ``indices`` and ``sipas_rule`` when it
    has them (the national form), else exactly overall <- elements <- criteria.

    Raises
    ------
    InvalidInput
        The definition has no usable elements or indices (``loc`` ``questionnaire_id``).
    """
    try:
        data: dict[str, Any] = {"elements": element_tree(dict(definition))}
        if definition.get("indices") is not None:
            data = {
                "elements": list(definition["elements"]),
                "indices": definition["indices"],
                "sipas_rule": definition.get("sipas_rule", "mean_of_indices"),
            }
        return parse_questionnaire_tree(data)
    except (KeyError, TypeError, QuestionnaireTreeError) as error:
        raise InvalidInput(
            "the campaign's questionnaire has no usable elements",
            [Problem(("questionnaire_id",), str(error))],
        ) from None


def check_national_rule(national_rule: str) -> None:
    """Raises InvalidInput naming ``national_rule`` unless it is one of :data:`NATIONAL_RULES`."""
    if national_rule not in NATIONAL_RULES:
        raise InvalidInput(
            "the release cannot be computed with these parameters",
            [Problem(("national_rule",), f"use one of {', '.join(NATIONAL_RULES)}")],
        )


@dataclass(frozen=True)
class IndexTables:
    """``overall`` (one domain, the campaign), ``by`` (the domains of the release's ``by``
    columns, crossed; None without), ``agencies`` (``by`` itself for a release by agency) and
    ``provinces`` (the ``province_code`` domains the national figure averages under
    ``mean_of_provinces``; ``by`` itself for a release by province; None under ``pooled``)."""

    overall: IndexTable
    by: IndexTable | None
    agencies: IndexTable
    provinces: IndexTable | None = None


def national_table(tables: IndexTables, national_rule: str) -> tuple[IndexTable, DomainMean | None]:
    """The table of the release's national rows: ``tables.overall`` (``pooled``), or one row of
    the mean of the provincial indices (``mean_of_provinces``) with that mean's figures.

    Under ``mean_of_provinces`` the provinces are the ``province_code`` domains of the release
    (after its geo mapping), respondents without a province code left out of the mean; each
    node averages the provinces that estimate it from at least k = 5 respondents (the
    disclosure rule)
    (:func:`analysis.domain_contrasts.mean_of_domains`: theta = (1/P) sum_p theta_p,
    V = (1/P^2) 1' Sigma 1 with Sigma the provinces' design covariance). The returned table
    only carries figures to rows: its covariance methods are the pooled table's, so use the
    :class:`~analysis.domain_contrasts.DomainMean` for anything else.

    Raises
    ------
    InvalidInput
        No respondent has a province code (``loc`` ``national_rule``).
    """
    if national_rule == "pooled" or tables.provinces is None:
        return tables.overall, None
    provinces = tables.provinces
    wanted = np.flatnonzero(provinces.domains != "")
    if wanted.size == 0:
        raise InvalidInput(
            "the release cannot be computed with these parameters",
            [Problem(("national_rule",), "no respondent has a province code: use pooled")],
        )
    # A province under the disclosure threshold on a node is left out of that node's mean, so
    # its figure cannot be read back as P x mean minus the published provinces.
    mean = mean_of_domains(provinces, wanted, min_respondents=DISCLOSURE_K)
    table = replace(
        tables.overall,
        estimate=mean.estimate[None, :],
        se=mean.se[None, :],
        ci_lower=mean.ci_lower[None, :],
        ci_upper=mean.ci_upper[None, :],
        cv=mean.cv[None, :],
        df=np.array([mean.df], dtype=np.int64),
        n_respondents=mean.n_respondents[None, :],
    )
    return table, mean


def estimate_release_indices(
    design: SurveyDesign | ReplicateDesign,
    rows: ResponseRows,
    tree: QuestionnaireTree,
    by: Sequence[str],
    rule: IndexRule,
    ci_method: CiMethod,
    level: float,
    national_rule: str = "pooled",
) -> IndexTables:
    """The tables (see :class:`IndexTables`).

    Raises
    ------
    InvalidInput
        The indices cannot be estimated (a lonely PSU under ``lonely_psu="fail"`` names
        ``lonely_psu``).
    """
    y = rows.answers
    try:
        overall = estimate_indices(design, y, tree, rule=rule, ci_method=ci_method, level=level)
        by_table: IndexTable | None = None
        if by:
            domain = [rows.domains[c] for c in by]
            by_table = estimate_indices(
                design,
                y,
                tree,
                domain=domain[0] if len(domain) == 1 else domain,
                rule=rule,
                ci_method=ci_method,
                level=level,
            )
        agencies = (
            by_table
            if by_table is not None and list(by) == ["agency_code"]
            else estimate_indices(
                design,
                y,
                tree,
                domain=rows.domains["agency_code"],
                rule=rule,
                ci_method=ci_method,
                level=level,
            )
        )
        provinces: IndexTable | None = None
        if national_rule == "mean_of_provinces":
            provinces = (
                by_table
                if by_table is not None and list(by) == ["province_code"]
                else estimate_indices(
                    design,
                    y,
                    tree,
                    domain=rows.domains["province_code"],
                    rule=rule,
                    ci_method=ci_method,
                    level=level,
                )
            )
    except (DesignError, IndexInputError) as error:
        raise estimation_error(error) from None
    return IndexTables(overall=overall, by=by_table, agencies=agencies, provinces=provinces)
