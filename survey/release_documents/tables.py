"""The tables a release's documents print, cut from its stored rows.

- ``national``: the whole campaign, every node (overall, elements, criteria) in questionnaire
  order;
- ``domain_ranking``: the overall index per domain (province, agency, ...) from highest to
  lowest with its rank interval and tier as the public site shows them
  (:func:`survey.public_releases.rank_release_domains`: stored for agencies, simulated from the
  stored estimates and SEs for a single other breakdown); suppressed domains come last, unranked;
- ``highest``/``lowest``: the first and last five of that ranking; ``spread``: the range across
  domains;
- ``by_node``: each domain's row for the nodes of one level (elements or criteria).
"""

from __future__ import annotations

from dataclasses import dataclass

from survey.public_releases import rank_release_domains
from survey.release_documents.source import DocumentSource
from survey.release_documents.words import WORDS
from survey.release_rows import ReleaseRow

TOP = 5


@dataclass(frozen=True)
class DomainRank:
    """A domain's overall row, its ``position`` among the domains with a figure (None when
    suppressed) and its rank interval and tier (None when the release's domains are not
    ranked, e.g. crossed domains)."""

    row: ReleaseRow
    position: int | None
    rank_lower: int | None = None
    rank_upper: int | None = None
    tier: int | None = None


@dataclass(frozen=True)
class Spread:
    lowest: ReleaseRow
    highest: ReleaseRow
    units: int

    @property
    def width(self) -> float:
        assert self.lowest.estimate is not None and self.highest.estimate is not None
        return self.highest.estimate - self.lowest.estimate


def _order(source: DocumentSource) -> dict[str, int]:
    return {node: i for i, node in enumerate(source.node_order)}


def national(source: DocumentSource) -> list[ReleaseRow]:
    """The whole campaign's rows in questionnaire order."""
    order = _order(source)
    rows = [r for r in source.rows if not r.domain]
    return sorted(rows, key=lambda r: order.get(r.node, len(order)))


def domain_ranking(source: DocumentSource) -> list[DomainRank]:
    """Domains by their root index (overall, or SIPAS), highest first; ties by name;
    suppressed last."""
    overall = [r for r in source.rows if r.domain and r.node == source.root]
    shown = sorted(
        (r for r in overall if not r.suppressed),
        key=lambda r: (-(r.estimate or 0.0), source.domain_label(r)),
    )
    hidden = sorted((r for r in overall if r.suppressed), key=source.domain_label)
    ranked, _ = rank_release_domains(source.release)
    intervals = {d.domain_name: d for d in ranked}
    placed = []
    for i, r in enumerate(shown):
        d = intervals.get(r.domain_name)
        placed.append(
            DomainRank(r, i + 1)
            if d is None
            else DomainRank(r, i + 1, d.rank_lower, d.rank_upper, d.tier)
        )
    return placed + [DomainRank(r, None) for r in hidden]


def highest(ranking: list[DomainRank], n: int = TOP) -> list[DomainRank]:
    return [d for d in ranking if d.position is not None][:n]


def lowest(ranking: list[DomainRank], n: int = TOP) -> list[DomainRank]:
    """The last ``n`` domains with a figure, lowest first."""
    return [d for d in ranking if d.position is not None][-n:][::-1]


def spread(ranking: list[DomainRank]) -> Spread | None:
    shown = [d.row for d in ranking if d.position is not None]
    if not shown:
        return None
    return Spread(lowest=shown[-1], highest=shown[0], units=len(shown))


def by_node(source: DocumentSource, level: str | tuple[str, ...]) -> list[ReleaseRow]:
    """Every domain's rows of nodes of ``level`` ("overall", "index", "element", "criterion",
    or several), domains in the order of :func:`domain_ranking`, nodes in questionnaire
    order."""
    order = _order(source)
    place = {d.row.domain: i for i, d in enumerate(domain_ranking(source))}
    levels = (level,) if isinstance(level, str) else level
    rows = [r for r in source.rows if r.domain and r.node_level in levels]
    return sorted(
        rows,
        key=lambda r: (
            place.get(r.domain, len(place)),
            source.domain_label(r),
            order.get(r.node, len(order)),
        ),
    )


def suppression_reason(source: DocumentSource, row: ReleaseRow, lang: str) -> str:
    """Why a cell is empty, or why it is flagged, in words; "" for a reliable cell."""
    w = WORDS[lang]
    if row.suppressed:
        if row.n_respondents < source.k:
            return w["suppressed_reason_k"].format(n=row.n_respondents, k=source.k)
        if row.n_respondents < source.min_respondents:
            return w["suppressed_reason_rule"].format(
                n=row.n_respondents, min=source.min_respondents
            )
        return w["suppressed_reason"]
    if row.flag == "unreliable":
        return w["unreliable_reason"]
    return ""
