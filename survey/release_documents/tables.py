"""The tables a release's documents print, cut from its stored rows.

- ``national``: the whole campaign, every node (overall, elements, criteria) in questionnaire
  order;
- ``domain_ranking``: the overall index per domain (province, agency, ...) from highest to
  lowest, the stored simulated rank and rank interval where the release ranked that domain, and
  the position among the domains with a figure otherwise; suppressed domains come last, unranked;
- ``highest``/``lowest``: the first and last five of that ranking; ``spread``: the range across
  domains;
- ``by_node``: each domain's row for the nodes of one level (elements or criteria).
"""

from __future__ import annotations

from dataclasses import dataclass

from survey.release_documents.source import DocumentSource, ResultRow
from survey.release_documents.words import WORDS

TOP = 5


@dataclass(frozen=True)
class DomainRank:
    """A domain's overall row and its place: ``position`` among the domains with a figure,
    ``rank``/``rank_lower``/``rank_upper`` as the release stored them (agencies only)."""

    row: ResultRow
    position: int | None


@dataclass(frozen=True)
class Spread:
    lowest: ResultRow
    highest: ResultRow
    units: int

    @property
    def width(self) -> float:
        assert self.lowest.estimate is not None and self.highest.estimate is not None
        return self.highest.estimate - self.lowest.estimate


def _order(source: DocumentSource) -> dict[str, int]:
    return {node: i for i, node in enumerate(source.node_order)}


def national(source: DocumentSource) -> list[ResultRow]:
    """The whole campaign's rows in questionnaire order."""
    order = _order(source)
    rows = [r for r in source.rows if not r.domain]
    return sorted(rows, key=lambda r: order.get(r.node, len(order)))


def domain_ranking(source: DocumentSource) -> list[DomainRank]:
    """Domains by their overall index, highest first; ties by name; suppressed last."""
    overall = [r for r in source.rows if r.domain and r.node == "overall"]
    shown = sorted(
        (r for r in overall if not r.suppressed),
        key=lambda r: (-(r.estimate or 0.0), source.domain_label(r)),
    )
    hidden = sorted((r for r in overall if r.suppressed), key=source.domain_label)
    return [DomainRank(r, i + 1) for i, r in enumerate(shown)] + [
        DomainRank(r, None) for r in hidden
    ]


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


def by_node(source: DocumentSource, level: str) -> list[ResultRow]:
    """Every domain's rows of nodes of ``level`` ("overall", "element", "criterion"), domains in
    the order of :func:`domain_ranking`, nodes in questionnaire order."""
    order = _order(source)
    place = {tuple(sorted(d.row.domain.items())): i for i, d in enumerate(domain_ranking(source))}
    rows = [r for r in source.rows if r.domain and r.level == level]
    return sorted(
        rows,
        key=lambda r: (
            place.get(tuple(sorted(r.domain.items())), len(place)),
            source.domain_label(r),
            order.get(r.node, len(order)),
        ),
    )


def suppression_reason(source: DocumentSource, row: ResultRow, lang: str) -> str:
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
