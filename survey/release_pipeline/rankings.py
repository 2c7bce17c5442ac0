"""Release step 6, rankings: the agencies ranked on the tree's root node, with simulated rank
intervals and tiers (:func:`analysis.comparisons.rank_domains`, Goldstein & Spiegelhalter 1996)
from the design covariance of their estimates. Fixed draws and seed, so a release recomputes
identically.

As practised by the Steering Committee (DOMAIN.md, "What is published"):

- **blocks**: with ``blocks`` (agency -> the value of the release's ``ranking_blocks`` column,
  e.g. its administrative ``level`` or its ``province_code``) each block is ranked on its own,
  and ranks, rank intervals and tiers count only that block's agencies;
- **scored but not ranked**: an agency with fewer than ``min_ranked`` respondents on the node
  keeps its figures but gets no rank (``"too_few_answers"``), and so does the only rankable
  agency of a block (``"alone_in_block"``). This threshold is distinct from the k = 5 disclosure
  rule and from the reliability rule, which decide whether a figure is published at all.

Suppressed agencies are left out. Without blocks and ``min_ranked`` the step is what it always
was: fewer than two rankable agencies give no ranking, and nothing is stored as not ranked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.comparisons import rank_domains
from analysis.indices import IndexTable
from survey.errors import Problem
from survey.release_pipeline.disclosure import finite
from survey.release_rankings import Band, bands_json, parse_bands
from survey.release_rows import NotRankedRow, RankingRow, RankInterval

RANKING_NODE = "overall"
RANKING_DRAWS = 4000
RANKING_SEED = 20240601
# Frame columns an agency ranking may be split into blocks by.
RANKING_BLOCK_COLUMNS: tuple[str, ...] = ("level", "province_code")


@dataclass(frozen=True)
class RankingChoice:
    """The ranking parameters a release chose; ``None`` is the behaviour before they existed
    (one block, every scored agency ranked, the working default bands)."""

    blocks: str | None = None
    min_ranked: int | None = None
    bands: tuple[Band, ...] | None = None

    def recorded(self) -> dict[str, Any]:
        """The keys the release's ``parameters["ranking"]`` adds: only those set."""
        out: dict[str, Any] = {}
        if self.blocks is not None:
            out["blocks"] = self.blocks
        if self.min_ranked is not None:
            out["min_ranked"] = self.min_ranked
            out["min_ranked_description"] = (
                f"units with fewer than {self.min_ranked} respondents are scored but not "
                "ranked (distinct from the k = 5 disclosure rule and the reliability rule)"
            )
        if self.bands is not None:
            out["bands"] = bands_json(self.bands)
        return out


def check_ranking_choice(
    blocks: str | None, min_ranked: int | None, bands: Sequence[Any] | None
) -> tuple[RankingChoice | None, list[Problem]]:
    """The ranking parameters checked; problems name ``ranking_blocks``, ``min_ranked`` or
    ``bands`` and say what to give instead."""
    problems: list[Problem] = []
    if blocks is not None and blocks not in RANKING_BLOCK_COLUMNS:
        problems.append(
            Problem(
                ("ranking_blocks",),
                f"rank within blocks of one of {', '.join(RANKING_BLOCK_COLUMNS)}, or leave it "
                "empty to rank all agencies together",
            )
        )
    if min_ranked is not None and (
        isinstance(min_ranked, bool) or not isinstance(min_ranked, int) or min_ranked < 1
    ):
        problems.append(
            Problem(("min_ranked",), "give a whole number of respondents of at least 1, e.g. 50")
        )
    parsed: tuple[Band, ...] | None = None
    if bands is not None:
        try:
            parsed = parse_bands(list(bands))
        except ValueError as error:
            problems.append(Problem(("bands",), str(error)))
    if problems:
        return None, problems
    return RankingChoice(blocks=blocks, min_ranked=min_ranked, bands=parsed), []


@dataclass(frozen=True)
class AgencyRanking:
    """The ranked agencies (stored order), each one's rank interval by agency code, and the
    agencies scored but not ranked."""

    rows: tuple[RankingRow, ...]
    by_agency: dict[str, RankInterval]
    not_ranked: tuple[NotRankedRow, ...] = ()


def agency_blocks(agency: NDArray[np.str_], column: NDArray[np.str_]) -> dict[str, str]:
    """Each agency's block: the value of ``column`` most of its respondents have (ties go to the
    smallest value). A dossier's level or province is the agency's own in the frames the
    platform draws from, so the mode is the agency's value; the mode only guards against a
    mistyped dossier moving a whole agency to another block."""
    pairs, counts = np.unique(np.stack([agency, column]), axis=1, return_counts=True)
    # Sort by agency, then by count descending, then by value: the first of each agency wins.
    order = np.lexsort((pairs[1], -counts, pairs[0]))
    pairs = pairs[:, order]
    first = np.ones(pairs.shape[1], dtype=bool)
    first[1:] = pairs[0, 1:] != pairs[0, :-1]
    return dict(zip(pairs[0, first].tolist(), pairs[1, first].tolist(), strict=True))


def _rank_block(
    agencies: IndexTable,
    node: str,
    include: NDArray[np.bool_],
    level: float,
) -> dict[str, RankInterval]:
    ranking = rank_domains(
        agencies,
        node,
        level=level,
        n_draws=RANKING_DRAWS,
        seed=RANKING_SEED,
        include=include,
    )
    return {
        str(d): RankInterval(
            rank=int(ranking.rank[i]),
            rank_lower=int(ranking.rank_lower[i]),
            rank_upper=int(ranking.rank_upper[i]),
            tier=int(ranking.tier[i]),
            prob_first=finite(ranking.prob_first[i]),
        )
        for i, d in enumerate(ranking.domains.tolist())
    }


def rank_agencies(
    agencies: IndexTable,
    flags: NDArray[np.str_],
    level: float,
    *,
    node: str = RANKING_NODE,
    blocks: Mapping[str, str] | None = None,
    min_ranked: int | None = None,
) -> AgencyRanking:
    """Rank the agencies of ``agencies`` whose ``node`` cell is not suppressed (``flags``).

    Parameters
    ----------
    agencies : IndexTable
        One domain per agency.
    flags : ndarray of str, shape (G, N)
        The cells' flags; suppressed agencies are neither ranked nor listed as not ranked.
    level : float
        Coverage of the rank intervals.
    node : str
        The node ranked on: the questionnaire tree's root.
    blocks : mapping of agency -> block, optional
        Rank each block separately (see the module docstring).
    min_ranked : int, optional
        Respondents an agency needs on ``node`` to be ranked.
    """
    j = agencies.node_index(node)
    names = agencies.domains.astype(str)
    scored = (flags[:, j] != "suppressed") & np.isfinite(agencies.estimate[:, j])
    enough = scored.copy()
    if min_ranked is not None:
        enough &= agencies.n_respondents[:, j] >= min_ranked
    block_of = np.array(
        [None if blocks is None else blocks.get(str(n)) for n in names.tolist()], dtype=object
    )
    reason: dict[int, str] = {int(g): "too_few_answers" for g in np.flatnonzero(scored & ~enough)}
    by_agency: dict[str, RankInterval] = {}
    # Without blocks every agency is in the one block None.
    for value in sorted({str(b) for b in block_of[enough].tolist()}):
        members = enough & (block_of.astype(str) == value)
        if int(members.sum()) < 2:
            reason.update({int(g): "alone_in_block" for g in np.flatnonzero(members)})
            continue
        by_agency.update(_rank_block(agencies, node, members, level))

    def figures(g: int) -> tuple[str, float | None, float | None, float | None, int, str]:
        return (
            str(names[g]),
            finite(agencies.estimate[g, j]),
            finite(agencies.ci_lower[g, j]),
            finite(agencies.ci_upper[g, j]),
            int(agencies.n_respondents[g, j]),
            str(flags[g, j]),
        )

    def block(g: int) -> str | None:
        return None if blocks is None else str(block_of[g])

    rows = []
    for agency, rank in by_agency.items():
        g = agencies.domain_index(agency)
        rows.append(RankingRow(*figures(g), rank=rank, block=block(g)))
    if blocks is not None:
        # Block by block, best first within each (the order the stored ranking is read in).
        rows.sort(key=lambda r: (str(r.block), r.rank.rank))
    not_ranked = tuple(
        NotRankedRow(*figures(g), reason=why, block=block(g))
        for g, why in sorted(reason.items(), key=lambda item: str(names[item[0]]))
    )
    return AgencyRanking(rows=tuple(rows), by_agency=by_agency, not_ranked=not_ranked)
