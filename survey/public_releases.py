"""What the public site shows of a published release, read from its stored results.

Nothing here recomputes an index or changes a stored (hashed) result. From a published or
superseded release it gathers:

- **the ranking of its domains** on the overall index: the stored one for agencies (design
  covariance, :func:`analysis.comparisons.rank_domains`), otherwise (provinces, levels, ...)
  rank intervals simulated from the stored estimates and SEs
  (:func:`survey.release_rankings.rank_estimates`); suppressed domains are not ranked;
- **the previous round**: the published release (else the newest superseded one) of the latest
  campaign whose fieldwork started before this one's, with the same questionnaire code,
  breakdown and index rule, so the figures are comparable; picked by field dates, no link is
  stored;
- **the change since that round** for each figure both rounds publish: later - earlier with the
  SE of two independent samples, sqrt(se_1^2 + se_2^2), and Welch-Satterthwaite df
  (:func:`analysis.comparisons.compare_independent`);
- **interval warnings**: a zero-width interval (every respondent gave the same judgement, so the
  design SE is 0 and says nothing about the uncertainty) and an unstable one (flagged
  "unreliable" by the release's CV rule).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sqlmodel import Session, col, func, select

from analysis.comparisons import compare_independent
from survey.errors import InvalidInput, NotFound, Problem
from survey.models import Campaign, IndexRelease, Questionnaire, Response
from survey.models.releases import FROZEN_STATUSES, ReleaseStatus
from survey.questionnaires import compare_versions
from survey.release_pipeline.rankings import RANKING_BLOCK_COLUMNS
from survey.release_rankings import (
    RANK_DRAWS,
    RANK_SEED,
    League,
    LeagueEntry,
    build_league,
    rank_estimates,
    ranking_bands,
)
from survey.release_rows import (
    ReleaseRow,
    release_nodes,
    release_not_ranked,
    release_ranking,
    release_rows,
)
from survey.unit_names import campaign_units

RankSource = Literal["stored", "simulated"]
# Below this width (on the 0-1 or score scale) an interval is shown as zero-width.
ZERO_WIDTH = 1e-9


@dataclass(frozen=True)
class RankedDomain:
    """A ranked domain, best first, with its stored overall row."""

    domain_name: str
    row: ReleaseRow
    rank: int
    rank_lower: int
    rank_upper: int
    tier: int


@dataclass(frozen=True)
class Change:
    """Later round minus the previous one, with its interval and the two-sided p-value of
    the t test of no change (NaN when both SEs are 0); ``previous_node`` is the node's code in
    the previous round's questionnaire version (its ``maps_from`` when it was renamed)."""

    estimate: float
    ci_lower: float
    ci_upper: float
    se: float = math.nan
    p_value: float = math.nan
    previous_node: str = ""

    @property
    def significant(self) -> bool:
        """The interval excludes no change."""
        return self.ci_lower > 0 or self.ci_upper < 0


@dataclass(frozen=True)
class PublicRelease:
    """A published release with its ranking, previous round and changes."""

    release: IndexRelease
    rows: Sequence[ReleaseRow]
    by: tuple[str, ...]
    agency_names: Mapping[str, str]
    ranking: list[RankedDomain]
    rank_source: RankSource | None
    previous: IndexRelease | None
    previous_rows: Mapping[tuple[str, str], ReleaseRow]
    changes: Mapping[tuple[str, str], Change]

    @property
    def percent(self) -> bool:
        return self.release.parameters.get("rule") != "mean-score"

    @property
    def level(self) -> float:
        return float(self.release.parameters.get("level", 0.95))


def get_published_release(*, session: Session, release_id: int) -> IndexRelease:
    """A published or superseded release, or :class:`NotFound` (drafts and releases under
    review do not exist for the public)."""
    release = session.get(IndexRelease, release_id)
    if release is None or release.status not in FROZEN_STATUSES:
        raise NotFound(
            f"no published release {release_id}",
            [Problem(("release_id",), "choose a release from the list of published releases")],
        )
    return release


def row_key(row: ReleaseRow) -> tuple[str, str]:
    """(domain name, node); the whole campaign's rows have domain name ``""``."""
    return ("" if row.is_whole_campaign else row.domain_name, row.node)


def interval_warning(row: ReleaseRow) -> str | None:
    """``"zero_width"``, ``"unstable"`` or None for a stored row."""
    if row.suppressed or row.estimate is None:
        return None
    lower, upper = row.ci_lower, row.ci_upper
    if lower is not None and upper is not None and upper - lower < ZERO_WIDTH:
        return "zero_width"
    if row.flag == "unreliable":
        return "unstable"
    return None


def _shown(row: ReleaseRow) -> bool:
    return (
        not row.suppressed
        and row.estimate is not None
        and row.se is not None
        and math.isfinite(row.estimate)
        and math.isfinite(row.se)
    )


def ranking_node(release: IndexRelease) -> str:
    """The node a release ranks on: its tree's root, as recorded (``overall`` before the
    national form's tree)."""
    return str((release.parameters.get("ranking") or {}).get("node") or "overall")


def min_ranked(release: IndexRelease) -> int | None:
    """The respondents a unit needs to be ranked, as recorded (None: every scored unit)."""
    value = (release.parameters.get("ranking") or {}).get("min_ranked")
    return None if value is None else int(value)


def rank_release_domains(release: IndexRelease) -> tuple[list[RankedDomain], RankSource | None]:
    """The release's domains ranked on its root node (see the module docstring); with a
    recorded ``min_ranked``, domains with fewer respondents are left out of the ranking."""
    by = list(release.parameters.get("by") or [])
    node = ranking_node(release)
    overall = {
        r.domain_name: r
        for r in release_rows(release)
        if not r.is_whole_campaign and r.node == node
    }
    if by == ["agency_code"]:
        ranked = [
            RankedDomain(
                domain_name=r.agency_code,
                row=overall[r.agency_code],
                rank=r.rank.rank,
                rank_lower=r.rank.rank_lower,
                rank_upper=r.rank.rank_upper,
                tier=r.rank.tier,
            )
            for r in release_ranking(release)
            if r.agency_code in overall
        ]
        return sorted(ranked, key=lambda d: d.rank), "stored" if ranked else None
    if len(by) != 1:
        return [], None  # crossed domains (agency x channel) are not a league table
    fewest = min_ranked(release)
    candidates = [
        r for r in overall.values() if _shown(r) and (fewest is None or r.n_respondents >= fewest)
    ]
    if len(candidates) < 2:
        return [], None
    ranks = rank_estimates(
        [r.domain_name for r in candidates],
        [float(r.estimate or 0.0) for r in candidates],
        [float(r.se or 0.0) for r in candidates],
        level=float(release.parameters.get("level", 0.95)),
        n_draws=RANK_DRAWS,
        seed=RANK_SEED,
    )
    return [
        RankedDomain(
            domain_name=r.domain,
            row=overall[r.domain],
            rank=r.rank,
            rank_lower=r.rank_lower,
            rank_upper=r.rank_upper,
            tier=r.tier,
        )
        for r in ranks
    ], "simulated"


def agency_league(release: IndexRelease) -> League | None:
    """The release's stored ranking of agencies as a league: blocks, bands, not-ranked ones
    (None when the release ranked no agency and scored none unranked)."""
    ranked = release_ranking(release)
    unranked = release_not_ranked(release)
    if not ranked and not unranked:
        return None
    parameters = release.parameters.get("ranking") or {}
    bands, default = ranking_bands(release.parameters)
    entries = [
        LeagueEntry(
            code=r.agency_code,
            estimate=float(r.estimate),
            ci_lower=r.ci_lower,
            ci_upper=r.ci_upper,
            n_respondents=r.n_respondents,
            flag=r.flag,
            block=r.block,
            rank=r.rank.rank,
            rank_lower=r.rank.rank_lower,
            rank_upper=r.rank.rank_upper,
            tier=r.rank.tier,
        )
        for r in ranked
        if r.estimate is not None
    ] + [
        LeagueEntry(
            code=r.agency_code,
            estimate=float(r.estimate),
            ci_lower=r.ci_lower,
            ci_upper=r.ci_upper,
            n_respondents=r.n_respondents,
            flag=r.flag,
            block=r.block,
            not_ranked=r.reason,
        )
        for r in unranked
        if r.estimate is not None
    ]
    return build_league(
        unit="agency_code",
        node=ranking_node(release),
        source="stored",
        blocks_column=parameters.get("blocks"),
        min_ranked=min_ranked(release),
        bands=bands,
        bands_default=default,
        entries=entries,
    )


def domain_league(release: IndexRelease) -> League | None:
    """The ranking of a release by one column other than the agency (provinces among
    provinces, :func:`rank_release_domains`) as a league of one block; domains below
    ``min_ranked`` are scored but not ranked."""
    by = list(release.parameters.get("by") or [])
    if len(by) != 1 or by == ["agency_code"]:
        return None
    node = ranking_node(release)
    ranked, _ = rank_release_domains(release)
    placed = {d.domain_name for d in ranked}
    fewest = min_ranked(release)
    scored = [
        r for r in release_rows(release) if not r.is_whole_campaign and r.node == node and _shown(r)
    ]
    if not scored:
        return None
    bands, default = ranking_bands(release.parameters)
    entries = [
        LeagueEntry(
            code=d.domain_name,
            estimate=float(d.row.estimate or 0.0),
            ci_lower=d.row.ci_lower,
            ci_upper=d.row.ci_upper,
            n_respondents=d.row.n_respondents,
            flag=d.row.flag,
            block=None,
            rank=d.rank,
            rank_lower=d.rank_lower,
            rank_upper=d.rank_upper,
            tier=d.tier,
        )
        for d in ranked
    ] + [
        LeagueEntry(
            code=r.domain_name,
            estimate=float(r.estimate or 0.0),
            ci_lower=r.ci_lower,
            ci_upper=r.ci_upper,
            n_respondents=r.n_respondents,
            flag=r.flag,
            block=None,
            not_ranked="too_few_answers"
            if fewest is not None and r.n_respondents < fewest
            else "alone_in_block",
        )
        for r in scored
        if r.domain_name not in placed
    ]
    return build_league(
        unit=by[0],
        node=node,
        source="simulated",
        blocks_column=None,
        min_ranked=fewest,
        bands=bands,
        bands_default=default,
        entries=entries,
    )


def release_leagues(release: IndexRelease) -> list[League]:
    """The leagues a release publishes: its domains' (a release by one column other than the
    agency), then its agencies' (stored ranking)."""
    return [
        league for league in (domain_league(release), agency_league(release)) if league is not None
    ]


def _response_blocks(session: Session, campaign_id: int, column: str) -> dict[str, str]:
    """Each agency's block from the campaign's completed responses: the value of ``column``
    most of them have (ties to the smallest), as the pipeline's ``agency_blocks``."""
    value = getattr(Response, column)
    counts = session.exec(
        select(Response.agency_code, value, func.count())
        .where(Response.campaign_id == campaign_id, Response.status == "completed")
        .group_by(Response.agency_code, value)
    ).all()
    best: dict[str, tuple[int, str]] = {}
    for agency, block, n in counts:
        key = (-int(n), str(block))
        if agency not in best or key < best[agency]:
            best[str(agency)] = key
    return {agency: block for agency, (_, block) in best.items()}


def rerank_within_blocks(*, session: Session, release: IndexRelease, column: str) -> League:
    """The agencies of a release by agency ranked within blocks of ``column`` at read time: rank
    intervals simulated from the stored estimates and SEs (:func:`rank_estimates`, independent
    draws, so intervals are a little wider than the stored ranking's with the design
    covariance), the recorded ``min_ranked`` applied. The stored release is not changed.

    Raises
    ------
    InvalidInput
        ``block`` names a column agencies are not ranked by, or the release is not by agency
        (its rows carry no agency SEs).
    """
    if column not in RANKING_BLOCK_COLUMNS:
        raise InvalidInput(
            "agencies cannot be ranked within these blocks",
            [Problem(("block",), f"use one of {', '.join(RANKING_BLOCK_COLUMNS)} or none")],
        )
    if list(release.parameters.get("by") or []) != ["agency_code"]:
        raise InvalidInput(
            "only a release by agency can be re-ranked within blocks",
            [
                Problem(
                    ("block",),
                    f"compute a release by agency_code with ranking_blocks={column}",
                )
            ],
        )
    node = ranking_node(release)
    fewest = min_ranked(release)
    blocks = _response_blocks(session, release.campaign_id, column)
    scored = [
        r for r in release_rows(release) if not r.is_whole_campaign and r.node == node and _shown(r)
    ]
    entries: list[LeagueEntry] = []
    grouped: dict[str, list[ReleaseRow]] = {}
    for r in scored:
        block = blocks.get(r.domain_name, "")
        if fewest is not None and r.n_respondents < fewest:
            entries.append(_entry(r, block, "too_few_answers"))
        else:
            grouped.setdefault(block, []).append(r)
    level = float(release.parameters.get("level", 0.95))
    for block, members in grouped.items():
        if len(members) < 2:
            entries.extend(_entry(r, block, "alone_in_block") for r in members)
            continue
        by_name = {r.domain_name: r for r in members}
        for rank in rank_estimates(
            list(by_name),
            [float(r.estimate or 0.0) for r in members],
            [float(r.se or 0.0) for r in members],
            level=level,
        ):
            entries.append(
                replace(
                    _entry(by_name[rank.domain], block, None),
                    rank=rank.rank,
                    rank_lower=rank.rank_lower,
                    rank_upper=rank.rank_upper,
                    tier=rank.tier,
                )
            )
    bands, default = ranking_bands(release.parameters)
    return build_league(
        unit="agency_code",
        node=node,
        source="simulated",
        blocks_column=column,
        min_ranked=fewest,
        bands=bands,
        bands_default=default,
        entries=entries,
    )


def _entry(row: ReleaseRow, block: str | None, reason: str | None) -> LeagueEntry:
    return LeagueEntry(
        code=row.domain_name,
        estimate=float(row.estimate or 0.0),
        ci_lower=row.ci_lower,
        ci_upper=row.ci_upper,
        n_respondents=row.n_respondents,
        flag=row.flag,
        block=block,
        not_ranked=reason,
    )


def ranking_leagues(
    *, session: Session, release: IndexRelease, block: str | None = None
) -> list[League]:
    """The leagues of a release (:func:`release_leagues`); with ``block`` (a column, or
    ``"none"``) the agencies' league within those blocks: the stored one when the release was
    ranked so, else re-ranked at read time (:func:`rerank_within_blocks`)."""
    leagues = release_leagues(release)
    if block is None:
        return leagues
    recorded = (release.parameters.get("ranking") or {}).get("blocks") or "none"
    if block == recorded:
        return leagues
    if block == "none":
        raise InvalidInput(
            "the release ranked agencies within blocks",
            [
                Problem(
                    ("block",),
                    f"its ranking is within blocks of {recorded}: use --block {recorded}",
                )
            ],
        )
    return [
        *(league for league in leagues if league.unit != "agency_code"),
        rerank_within_blocks(session=session, release=release, column=block),
    ]


def _comparable(a: IndexRelease, b: IndexRelease) -> bool:
    pa, pb = a.parameters, b.parameters
    return (
        list(pa.get("by") or []) == list(pb.get("by") or [])
        and pa.get("rule") == pb.get("rule")
        and (pa.get("questionnaire") or {}).get("code")
        == (pb.get("questionnaire") or {}).get("code")
        # A pooled national figure and a mean of provinces are different quantities.
        and (pa.get("national") or {}).get("rule", "pooled")
        == (pb.get("national") or {}).get("rule", "pooled")
    )


def find_previous_release(*, session: Session, release: IndexRelease) -> IndexRelease | None:
    """The comparable published release of the previous round (see the module docstring)."""
    campaign = session.get(Campaign, release.campaign_id)
    if campaign is None:
        return None
    candidates = session.exec(
        select(IndexRelease, Campaign)
        .join(Campaign, col(Campaign.id) == col(IndexRelease.campaign_id))
        .where(
            col(IndexRelease.status).in_(sorted(FROZEN_STATUSES)),
            col(Campaign.field_start) < campaign.field_start,
            col(Campaign.id) != campaign.id,
        )
        .order_by(col(Campaign.field_start).desc(), col(IndexRelease.version).desc())
    ).all()
    comparable = [(r, c) for r, c in candidates if _comparable(r, release)]
    if not comparable:
        return None
    latest = comparable[0][1].id
    same_round = [r for r, c in comparable if c.id == latest]
    in_force = [r for r in same_round if r.status == ReleaseStatus.PUBLISHED.value]
    return (in_force or same_round)[0]


def node_mapping(
    *, session: Session, release: IndexRelease, previous: IndexRelease
) -> dict[str, str]:
    """Each node of ``release``'s questionnaire version -> its code in ``previous``'s version.

    Criteria are matched by :func:`survey.questionnaires.compare_versions` (same code, or the
    new criterion's ``maps_from``); elements and indices by code or ``maps_from`` the same way;
    the roots to each other. A node without a counterpart is left out (not comparable).
    Without both stored versions, nodes are matched by code.
    """
    ids = [(r.parameters.get("questionnaire") or {}).get("id") for r in (previous, release)]
    forms = [session.get(Questionnaire, i) if isinstance(i, int) else None for i in ids]
    new_nodes = release_nodes(release)
    old_nodes = set(release_nodes(previous))
    earlier, later = forms
    if earlier is None or later is None or earlier.id == later.id:
        return {n: n for n in new_nodes if n in old_nodes}
    mapping = {n: n for n in new_nodes if n in old_nodes}
    versions = compare_versions(earlier.definition, later.definition)
    mapping.update({k: v for k, v in versions.keys.items() if v in old_nodes})
    for entry in [*later.definition.get("elements", []), *later.definition.get("indices", [])]:
        source = entry.get("maps_from") or entry.get("code")
        if entry.get("code") in new_nodes and source in old_nodes:
            mapping[str(entry["code"])] = str(source)
    mapping[ranking_node(release)] = ranking_node(previous)
    return mapping


def _changes(
    rows: Sequence[ReleaseRow],
    previous: Mapping[tuple[str, str], ReleaseRow],
    level: float,
    nodes: Mapping[str, str] | None = None,
) -> dict[tuple[str, str], Change]:
    """Later - earlier per (domain, node), the previous row found through ``nodes`` (this
    round's node -> the previous round's; by code when None)."""
    changes: dict[tuple[str, str], Change] = {}
    for row in rows:
        domain, node = row_key(row)
        old_node = node if nodes is None else nodes.get(node)
        if old_node is None:
            continue
        before = previous.get((domain, old_node))
        if before is None or not (_shown(row) and _shown(before)):
            continue
        if row.df <= 0 or before.df <= 0:
            continue
        diff = compare_independent(
            float(row.estimate or 0.0),
            float(row.se or 0.0),
            float(row.df),
            float(before.estimate or 0.0),
            float(before.se or 0.0),
            float(before.df),
            level=level,
        )
        changes[row_key(row)] = Change(
            diff.estimate, diff.ci_lower, diff.ci_upper, diff.se, diff.p_value, old_node
        )
    return changes


def release_view(
    *, session: Session, release: IndexRelease, compare_with: IndexRelease | None = None
) -> PublicRelease:
    """The figures of any release (staff pages pass drafts too) beside ``compare_with``.

    Without ``compare_with`` the previous round is looked up (:func:`find_previous_release`);
    pass a release to compare two chosen ones (the analyst dashboard).
    """
    rows = release_rows(release)
    _, agencies = campaign_units(session=session, campaign_id=release.campaign_id)
    ranking, source = rank_release_domains(release)
    previous = (
        compare_with
        if compare_with is not None
        else find_previous_release(session=session, release=release)
    )
    stored_previous = (
        {row_key(r): r for r in release_rows(previous)} if previous is not None else {}
    )
    nodes = (
        node_mapping(session=session, release=release, previous=previous)
        if previous is not None
        else {}
    )
    # Keyed by this round's node codes, so a renamed criterion finds its previous figure.
    new_codes: dict[str, list[str]] = {}
    for new, old in nodes.items():
        new_codes.setdefault(old, []).append(new)
    previous_rows = {
        (domain, new): row
        for (domain, old), row in stored_previous.items()
        for new in new_codes.get(old, ())
    }
    level = float(release.parameters.get("level", 0.95))
    return PublicRelease(
        release=release,
        rows=rows,
        by=tuple(release.parameters.get("by") or ()),
        agency_names=agencies,
        ranking=ranking,
        rank_source=source,
        previous=previous,
        previous_rows=previous_rows,
        changes=_changes(rows, stored_previous, level, nodes),
    )


def get_public_release(*, session: Session, release_id: int) -> PublicRelease:
    """A published release as the public site shows it; drafts raise NotFound."""
    release = get_published_release(session=session, release_id=release_id)
    return release_view(session=session, release=release)
