"""Release step 4, indices: the index tables of the whole campaign, of the requested domains and
of the agencies (which are ranked), by :func:`analysis.indices.estimate_indices` (Taylor
linearisation of ratio estimators; Woodruff 1971, Lumley 2010), intervals on each domain's
degrees of freedom (R ``svyciprop``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analysis.design import DesignError, SurveyDesign
from analysis.indices import CiMethod, IndexInputError, IndexRule, IndexTable, estimate_indices
from analysis.questionnaire_tree import QuestionnaireTree
from survey.release_pipeline.design import estimation_error
from survey.release_pipeline.rows import ResponseRows


@dataclass(frozen=True)
class IndexTables:
    """``overall`` (one domain, the campaign), ``by`` (the domains of the release's ``by``
    columns, crossed; None without) and ``agencies`` (``by`` itself for a release by agency)."""

    overall: IndexTable
    by: IndexTable | None
    agencies: IndexTable


def estimate_release_indices(
    design: SurveyDesign,
    rows: ResponseRows,
    tree: QuestionnaireTree,
    by: Sequence[str],
    rule: IndexRule,
    ci_method: CiMethod,
    level: float,
) -> IndexTables:
    """The three tables (see :class:`IndexTables`).

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
    except (DesignError, IndexInputError) as error:
        raise estimation_error(error) from None
    return IndexTables(overall=overall, by=by_table, agencies=agencies)
