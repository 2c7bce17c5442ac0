"""Release steps 5 and 7, disclosure: every cell's flag, and the rows a release stores.

A cell is flagged by the reliability rule (:func:`analysis.reliability.flag_cells`), and
whatever the rule a cell of fewer than k = 5 respondents is suppressed
(:func:`survey.disclosure.suppress_small_cells`, docs/privacy.md). Suppressed cells keep their
counts and flag but no estimate, SE, interval or CV, so a small agency's answers cannot be read
back from a release.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from analysis.indices import IndexTable
from analysis.reliability import ReliabilityRule, flag_cells
from survey.disclosure import suppress_small_cells
from survey.release_rows import RankInterval, ReleaseRow


def finite(value: float) -> float | None:
    """``value`` as stored: JSON (and PostgreSQL's json type) has no NaN or infinity."""
    return float(value) if math.isfinite(value) else None


def cell_flags(table: IndexTable, rule: ReliabilityRule) -> NDArray[np.str_]:
    """(G, N) flags ``ok``, ``unreliable`` or ``suppressed`` of the table's cells."""
    flags = flag_cells(
        table.n_respondents, table.estimate, table.se, table.ci_lower, table.ci_upper, rule
    )
    return suppress_small_cells(table.n_respondents, flags)


def table_rows(
    table: IndexTable,
    by: Sequence[str],
    flags: NDArray[np.str_],
    ranks: Mapping[str, RankInterval] | None = None,
) -> list[ReleaseRow]:
    """One row per (domain, node); ``ranks`` (by domain name) go on the root rows."""
    ranks = ranks or {}
    rows: list[ReleaseRow] = []
    for g, name in enumerate(table.domains.tolist()):
        domain = tuple((column, str(table.domain_labels[k][g])) for k, column in enumerate(by))
        for j, node in enumerate(table.nodes):
            flag = str(flags[g, j])
            shown = flag != "suppressed"
            rows.append(
                ReleaseRow(
                    domain=domain,
                    domain_name=str(name),
                    node=node,
                    node_level=table.levels[j],
                    parent=table.parents[j],
                    estimate=finite(table.estimate[g, j]) if shown else None,
                    se=finite(table.se[g, j]) if shown else None,
                    ci_lower=finite(table.ci_lower[g, j]) if shown else None,
                    ci_upper=finite(table.ci_upper[g, j]) if shown else None,
                    cv=finite(table.cv[g, j]) if shown else None,
                    df=int(table.df[g]),
                    n_respondents=int(table.n_respondents[g, j]),
                    flag=flag,
                    # On the root row: overall, or sipas (level "overall" too).
                    rank=ranks.get(str(name)) if table.levels[j] == "overall" else None,
                )
            )
    return rows
