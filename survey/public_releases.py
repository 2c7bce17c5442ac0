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
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session, col, select

from analysis.comparisons import compare_independent
from survey.errors import NotFound, Problem
from survey.models import Campaign, IndexRelease
from survey.models.releases import FROZEN_STATUSES, ReleaseStatus
from survey.release_rankings import RANK_DRAWS, RANK_SEED, rank_estimates
from survey.unit_names import campaign_units

RankSource = Literal["stored", "simulated"]
# Below this width (on the 0-1 or score scale) an interval is shown as zero-width.
ZERO_WIDTH = 1e-9


@dataclass(frozen=True)
class RankedDomain:
    """A ranked domain, best first, with its stored overall row."""

    domain_name: str
    row: Mapping[str, Any]
    rank: int
    rank_lower: int
    rank_upper: int
    tier: int


@dataclass(frozen=True)
class Change:
    """Later round minus the previous one, with its interval."""

    estimate: float
    ci_lower: float
    ci_upper: float

    @property
    def significant(self) -> bool:
        """The interval excludes no change."""
        return self.ci_lower > 0 or self.ci_upper < 0


@dataclass(frozen=True)
class PublicRelease:
    """A published release with its ranking, previous round and changes."""

    release: IndexRelease
    rows: Sequence[Mapping[str, Any]]
    by: tuple[str, ...]
    agency_names: Mapping[str, str]
    ranking: list[RankedDomain]
    rank_source: RankSource | None
    previous: IndexRelease | None
    previous_rows: Mapping[tuple[str, str], Mapping[str, Any]]
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


def row_key(row: Mapping[str, Any]) -> tuple[str, str]:
    """(domain name, node); the whole campaign's rows have domain name ``""``."""
    return (str(row.get("domain_name") or "") if row.get("domain") else "", str(row["node"]))


def interval_warning(row: Mapping[str, Any]) -> str | None:
    """``"zero_width"``, ``"unstable"`` or None for a stored row."""
    if row.get("flag") == "suppressed" or row.get("estimate") is None:
        return None
    lower, upper = row.get("ci_lower"), row.get("ci_upper")
    if lower is not None and upper is not None and float(upper) - float(lower) < ZERO_WIDTH:
        return "zero_width"
    if row.get("flag") == "unreliable":
        return "unstable"
    return None


def _shown(row: Mapping[str, Any]) -> bool:
    return (
        row.get("flag") != "suppressed"
        and row.get("estimate") is not None
        and row.get("se") is not None
        and math.isfinite(float(row["estimate"]))
        and math.isfinite(float(row["se"]))
    )


def rank_release_domains(release: IndexRelease) -> tuple[list[RankedDomain], RankSource | None]:
    """The release's domains ranked on the overall index (see the module docstring)."""
    rows: Sequence[Mapping[str, Any]] = release.results.get("rows", [])
    by = list(release.parameters.get("by") or [])
    overall = {
        str(r["domain_name"]): r for r in rows if r.get("domain") and r.get("node") == "overall"
    }
    if by == ["agency_code"]:
        stored = release.results.get("ranking") or []
        ranked = [
            RankedDomain(
                domain_name=str(r["agency_code"]),
                row=overall.get(str(r["agency_code"]), r),
                rank=int(r["rank"]),
                rank_lower=int(r["rank_lower"]),
                rank_upper=int(r["rank_upper"]),
                tier=int(r["tier"]),
            )
            for r in stored
        ]
        return sorted(ranked, key=lambda d: d.rank), "stored" if ranked else None
    if len(by) != 1:
        return [], None  # crossed domains (agency x channel) are not a league table
    candidates = [r for r in overall.values() if _shown(r)]
    if len(candidates) < 2:
        return [], None
    ranks = rank_estimates(
        [str(r["domain_name"]) for r in candidates],
        [float(r["estimate"]) for r in candidates],
        [float(r["se"]) for r in candidates],
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


def _comparable(a: IndexRelease, b: IndexRelease) -> bool:
    pa, pb = a.parameters, b.parameters
    return (
        list(pa.get("by") or []) == list(pb.get("by") or [])
        and pa.get("rule") == pb.get("rule")
        and (pa.get("questionnaire") or {}).get("code")
        == (pb.get("questionnaire") or {}).get("code")
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


def _changes(
    rows: Sequence[Mapping[str, Any]],
    previous: Mapping[tuple[str, str], Mapping[str, Any]],
    level: float,
) -> dict[tuple[str, str], Change]:
    changes: dict[tuple[str, str], Change] = {}
    for row in rows:
        before = previous.get(row_key(row))
        if before is None or not (_shown(row) and _shown(before)):
            continue
        df_now, df_before = float(row.get("df") or 0), float(before.get("df") or 0)
        if df_now <= 0 or df_before <= 0:
            continue
        diff = compare_independent(
            float(row["estimate"]),
            float(row["se"]),
            df_now,
            float(before["estimate"]),
            float(before["se"]),
            df_before,
            level=level,
        )
        changes[row_key(row)] = Change(diff.estimate, diff.ci_lower, diff.ci_upper)
    return changes


def release_view(
    *, session: Session, release: IndexRelease, compare_with: IndexRelease | None = None
) -> PublicRelease:
    """The figures of any release (staff pages pass drafts too) beside ``compare_with``.

    Without ``compare_with`` the previous round is looked up (:func:`find_previous_release`);
    pass a release to compare two chosen ones (the analyst dashboard).
    """
    rows: Sequence[Mapping[str, Any]] = release.results.get("rows", [])
    _, agencies = campaign_units(session=session, campaign_id=release.campaign_id)
    ranking, source = rank_release_domains(release)
    previous = (
        compare_with
        if compare_with is not None
        else find_previous_release(session=session, release=release)
    )
    previous_rows = (
        {row_key(r): r for r in previous.results.get("rows", [])} if previous is not None else {}
    )
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
        changes=_changes(rows, previous_rows, level),
    )


def get_public_release(*, session: Session, release_id: int) -> PublicRelease:
    """A published release as the public site shows it; drafts raise NotFound."""
    release = get_published_release(session=session, release_id=release_id)
    return release_view(session=session, release=release)
