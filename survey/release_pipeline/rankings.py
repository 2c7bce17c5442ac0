"""Release step 6, rankings: the agencies ranked on the overall index, with simulated rank
intervals and tiers (:func:`analysis.comparisons.rank_domains`, Goldstein & Spiegelhalter 1996)
from the design covariance of their estimates. Suppressed agencies are left out; fewer than two
rankable agencies give no ranking. Fixed draws and seed, so a release recomputes identically."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analysis.comparisons import rank_domains
from analysis.indices import IndexTable
from survey.release_pipeline.disclosure import finite
from survey.release_rows import RankingRow, RankInterval

RANKING_NODE = "overall"
RANKING_DRAWS = 4000
RANKING_SEED = 20240601


@dataclass(frozen=True)
class AgencyRanking:
    """The ranked agencies (stored order) and each one's rank interval by agency code."""

    rows: tuple[RankingRow, ...]
    by_agency: dict[str, RankInterval]


def rank_agencies(agencies: IndexTable, flags: NDArray[np.str_], level: float) -> AgencyRanking:
    """Rank the agencies of ``agencies`` whose overall cell is not suppressed (``flags``)."""
    j = agencies.node_index(RANKING_NODE)
    rankable = flags[:, j] != "suppressed"
    if int(rankable.sum()) < 2:
        return AgencyRanking(rows=(), by_agency={})
    ranking = rank_domains(
        agencies,
        RANKING_NODE,
        level=level,
        n_draws=RANKING_DRAWS,
        seed=RANKING_SEED,
        include=rankable,
    )
    by_agency = {
        str(d): RankInterval(
            rank=int(ranking.rank[i]),
            rank_lower=int(ranking.rank_lower[i]),
            rank_upper=int(ranking.rank_upper[i]),
            tier=int(ranking.tier[i]),
            prob_first=finite(ranking.prob_first[i]),
        )
        for i, d in enumerate(ranking.domains.tolist())
    }
    rows = []
    for agency, rank in by_agency.items():
        g = agencies.domain_index(agency)
        rows.append(
            RankingRow(
                agency_code=agency,
                estimate=finite(agencies.estimate[g, j]),
                ci_lower=finite(agencies.ci_lower[g, j]),
                ci_upper=finite(agencies.ci_upper[g, j]),
                n_respondents=int(agencies.n_respondents[g, j]),
                flag=str(flags[g, j]),
                rank=rank,
            )
        )
    return AgencyRanking(rows=tuple(rows), by_agency=by_agency)
