"""Release rows: the one typed definition of a release's figures.

A release stores its figures as JSON (``IndexRelease.results``): ``rows``, one per (domain, node),
and ``ranking``, one per ranked agency. That JSON is what a release's SHA-256 covers
(:mod:`survey.release_hashing`), so its format never changes: published releases stay
verifiable. Every reader (page, CSV, workbook, PDF, JSON, charts) goes through
:func:`release_rows` and :func:`release_ranking` instead of reading the dicts, and the pipeline
writes them with :meth:`ReleaseRow.to_json` and :meth:`RankingRow.to_json`, which give back the
stored dicts key for key.

Stored row (keys in this order)::

    {"domain": {"agency_code": "AG-A"}, "domain_name": "AG-A", "node": "overall",
     "level": "overall", "parent": "", "estimate": 0.74, "se": 0.012, "ci_lower": 0.71,
     "ci_upper": 0.76, "cv": 0.016, "df": 44, "n_respondents": 45, "flag": "ok",
     "rank": 1, "rank_lower": 1, "rank_upper": 1, "tier": 1, "prob_first": 0.9985}

``domain`` is empty for the whole campaign (``domain_name`` ``"all"``); the rank keys are on the
``overall`` row of each ranked agency of a release by agency only. Suppressed cells (fewer than
k respondents, or the reliability rule's minimum) have no estimate, SE, interval or CV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only for hints: the database models cost `sipas analyze` 0.6 s of imports.
    from survey.models import IndexRelease

WHOLE_CAMPAIGN = "all"
_RANK_KEYS = ("rank", "rank_lower", "rank_upper", "tier", "prob_first")


class ReleaseRowError(ValueError):
    """A stored row lacks a key or holds a value of the wrong type (names both)."""


@dataclass(frozen=True)
class RankInterval:
    """An agency's rank on the overall index, its simulated interval and tier
    (:func:`analysis.comparisons.rank_domains`); ``prob_first`` = P(rank 1)."""

    rank: int
    rank_lower: int
    rank_upper: int
    tier: int
    prob_first: float | None


@dataclass(frozen=True)
class ReleaseRow:
    """One cell of a release: a node of the questionnaire tree in one domain.

    Attributes
    ----------
    domain : tuple of (column, value)
        The domain's values of the release's ``by`` columns, in their order; empty for the
        whole campaign.
    domain_name : str
        The values joined by " / " (``"all"`` for the whole campaign).
    node, node_level, parent :
        ``"overall"``, an element or a criterion code; its level (``"overall"``,
        ``"element"``, ``"criterion"``); the node it aggregates into (``""`` for overall).
    estimate, se, ci_lower, ci_upper, cv :
        Share in [0, 1] (mean score on 1-5 for the mean-score rule), its design-based SE,
        interval and ``cv = se / estimate``; ``None`` when suppressed or not estimable.
    df, n_respondents, flag :
        Degrees of freedom of the interval, respondents with a valid answer, reliability flag.
    rank :
        The agency's rank interval (overall row of a release by agency), else ``None``.
    """

    domain: tuple[tuple[str, str], ...]
    domain_name: str
    node: str
    node_level: str
    parent: str
    estimate: float | None
    se: float | None
    ci_lower: float | None
    ci_upper: float | None
    cv: float | None
    df: int
    n_respondents: int
    flag: str
    rank: RankInterval | None = None

    @property
    def is_whole_campaign(self) -> bool:
        return not self.domain

    @property
    def domain_kind(self) -> str:
        """The domain's columns joined by " x " (``"all"`` for the whole campaign)."""
        return " x ".join(column for column, _ in self.domain) or WHOLE_CAMPAIGN

    @property
    def suppressed(self) -> bool:
        return self.flag == "suppressed"

    def domain_value(self, column: str) -> str | None:
        """The domain's value of ``column``, ``None`` when the row is not broken down by it."""
        return dict(self.domain).get(column)

    def to_json(self) -> dict[str, Any]:
        """The stored dict (the format the release hash covers)."""
        row: dict[str, Any] = {
            "domain": dict(self.domain),
            "domain_name": self.domain_name,
            "node": self.node,
            "level": self.node_level,
            "parent": self.parent,
            "estimate": self.estimate,
            "se": self.se,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            "cv": self.cv,
            "df": self.df,
            "n_respondents": self.n_respondents,
            "flag": self.flag,
        }
        if self.rank is not None:
            row.update(_rank_json(self.rank))
        return row


@dataclass(frozen=True)
class RankingRow:
    """One ranked agency: its overall index, interval, respondents, flag and rank interval.

    ``block`` is the value of the release's ``ranking_blocks`` column the agency is ranked
    within (its rank and interval count only that block's agencies); ``None`` when the release
    ranks all agencies together, and then the stored dict has no ``block`` key (releases
    computed before blocks existed hash as they did)."""

    agency_code: str
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    n_respondents: int
    flag: str
    rank: RankInterval
    block: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored dict of ``results["ranking"]``."""
        row: dict[str, Any] = {
            "agency_code": self.agency_code,
            "estimate": self.estimate,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            "n_respondents": self.n_respondents,
            "flag": self.flag,
            **_rank_json(self.rank),
        }
        if self.block is not None:
            row["block"] = self.block
        return row


# Why a scored agency has no rank (``results["not_ranked"]``).
NOT_RANKED_REASONS: tuple[str, ...] = ("too_few_answers", "alone_in_block")


@dataclass(frozen=True)
class NotRankedRow:
    """An agency scored but not ranked: its figures are published, its rank is not.

    ``reason`` is ``"too_few_answers"`` (fewer respondents than the release's ``min_ranked``)
    or ``"alone_in_block"`` (no other rankable agency in its block). Stored in
    ``results["not_ranked"]`` only by releases computed with ``min_ranked`` or
    ``ranking_blocks``."""

    agency_code: str
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    n_respondents: int
    flag: str
    reason: str
    block: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored dict of ``results["not_ranked"]``."""
        row: dict[str, Any] = {
            "agency_code": self.agency_code,
            "estimate": self.estimate,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            "n_respondents": self.n_respondents,
            "flag": self.flag,
            "reason": self.reason,
        }
        if self.block is not None:
            row["block"] = self.block
        return row


def _rank_json(rank: RankInterval) -> dict[str, Any]:
    return {
        "rank": rank.rank,
        "rank_lower": rank.rank_lower,
        "rank_upper": rank.rank_upper,
        "tier": rank.tier,
        "prob_first": rank.prob_first,
    }


def _get(data: Mapping[str, Any], key: str, where: str) -> Any:
    try:
        return data[key]
    except KeyError:
        raise ReleaseRowError(f"{where}: no {key!r}") from None


def _number(data: Mapping[str, Any], key: str, where: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReleaseRowError(f"{where}: {key!r} is {value!r}, not a number")
    return float(value)


def _whole(data: Mapping[str, Any], key: str, where: str) -> int:
    value = _get(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ReleaseRowError(f"{where}: {key!r} is {value!r}, not a whole number")
    return int(value)


def _rank(data: Mapping[str, Any], where: str) -> RankInterval | None:
    if data.get("rank") is None:
        return None
    return RankInterval(
        rank=_whole(data, "rank", where),
        rank_lower=_whole(data, "rank_lower", where),
        rank_upper=_whole(data, "rank_upper", where),
        tier=_whole(data, "tier", where),
        prob_first=_number(data, "prob_first", where),
    )


def parse_row(data: Mapping[str, Any], where: str = "row") -> ReleaseRow:
    """A stored row as a :class:`ReleaseRow`; ``where`` names it in errors."""
    domain = data.get("domain") or {}
    if not isinstance(domain, Mapping):
        raise ReleaseRowError(f"{where}: 'domain' is {domain!r}, not an object")
    return ReleaseRow(
        domain=tuple((str(k), str(v)) for k, v in domain.items()),
        domain_name=str(data.get("domain_name", WHOLE_CAMPAIGN)),
        node=str(_get(data, "node", where)),
        node_level=str(_get(data, "level", where)),
        parent=str(data.get("parent") or ""),
        estimate=_number(data, "estimate", where),
        se=_number(data, "se", where),
        ci_lower=_number(data, "ci_lower", where),
        ci_upper=_number(data, "ci_upper", where),
        cv=_number(data, "cv", where),
        df=_whole(data, "df", where),
        n_respondents=_whole(data, "n_respondents", where),
        flag=str(data.get("flag", "ok")),
        rank=_rank(data, where),
    )


def parse_ranking_row(data: Mapping[str, Any], where: str = "ranking row") -> RankingRow:
    """A stored ranking entry as a :class:`RankingRow`."""
    rank = _rank(data, where)
    if rank is None:
        raise ReleaseRowError(f"{where}: no 'rank'")
    block = data.get("block")
    return RankingRow(
        agency_code=str(_get(data, "agency_code", where)),
        estimate=_number(data, "estimate", where),
        ci_lower=_number(data, "ci_lower", where),
        ci_upper=_number(data, "ci_upper", where),
        n_respondents=_whole(data, "n_respondents", where),
        flag=str(data.get("flag", "ok")),
        rank=rank,
        block=None if block is None else str(block),
    )


def parse_not_ranked_row(data: Mapping[str, Any], where: str = "not-ranked row") -> NotRankedRow:
    """A stored ``results["not_ranked"]`` entry as a :class:`NotRankedRow`."""
    reason = str(_get(data, "reason", where))
    if reason not in NOT_RANKED_REASONS:
        raise ReleaseRowError(f"{where}: 'reason' is {reason!r}, not one of {NOT_RANKED_REASONS}")
    block = data.get("block")
    return NotRankedRow(
        agency_code=str(_get(data, "agency_code", where)),
        estimate=_number(data, "estimate", where),
        ci_lower=_number(data, "ci_lower", where),
        ci_upper=_number(data, "ci_upper", where),
        n_respondents=_whole(data, "n_respondents", where),
        flag=str(data.get("flag", "ok")),
        reason=reason,
        block=None if block is None else str(block),
    )


def _results(release: IndexRelease | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(release, Mapping):
        return release
    return release.results or {}


def release_rows(release: IndexRelease | Mapping[str, Any]) -> list[ReleaseRow]:
    """The rows of a release (or of its ``results`` dict), in stored order.

    Raises
    ------
    ReleaseRowError
        A stored row is malformed; the message names its index and key.
    """
    stored: Sequence[Mapping[str, Any]] = _results(release).get("rows") or []
    return [parse_row(r, f"results.rows[{i}]") for i, r in enumerate(stored)]


def release_ranking(release: IndexRelease | Mapping[str, Any]) -> list[RankingRow]:
    """The ranked agencies of a release, in stored order."""
    stored: Sequence[Mapping[str, Any]] = _results(release).get("ranking") or []
    return [parse_ranking_row(r, f"results.ranking[{i}]") for i, r in enumerate(stored)]


def release_not_ranked(release: IndexRelease | Mapping[str, Any]) -> list[NotRankedRow]:
    """The agencies a release scored but did not rank, in stored order (empty for releases
    computed without ``min_ranked`` or ``ranking_blocks``)."""
    stored: Sequence[Mapping[str, Any]] = _results(release).get("not_ranked") or []
    return [parse_not_ranked_row(r, f"results.not_ranked[{i}]") for i, r in enumerate(stored)]


def release_root(release: IndexRelease | Mapping[str, Any]) -> str:
    """The root node of a release's tree: ``results["root"]`` (``"sipas"`` for the national
    form), ``"overall"`` for a release without it (every release before the national form)."""
    return str(_results(release).get("root") or "overall")


# The root of the national form's tree (analysis.questionnaire_tree.SIPAS_NODE), as printed.
SIPAS_TITLE: Mapping[str, str] = {"vi": "Chỉ số hài lòng SIPAS", "en": "SIPAS satisfaction index"}


def index_titles(definition: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """Language -> node -> title of the nodes above the elements of a questionnaire with
    ``indices`` (``sipas`` and each index, in form order); empty dicts without indices."""
    titles: dict[str, dict[str, str]] = {"vi": {}, "en": {}}
    indices = (definition or {}).get("indices") or []
    if not indices:
        return titles
    for lang in titles:
        titles[lang]["sipas"] = SIPAS_TITLE[lang]
        for index in indices:
            title = index.get("title") or {}
            titles[lang][str(index["code"])] = str(title.get(lang) or title.get("vi") or "")
    return titles


def release_nodes(release: IndexRelease | Mapping[str, Any]) -> list[str]:
    """The questionnaire nodes of a release: ``overall``, elements, then criteria."""
    return [str(n) for n in _results(release).get("nodes") or []]


@dataclass(frozen=True)
class ShareItem:
    """The wording of a question a release publishes as shares (``results["shares"]["items"]``).

    ``rows`` are a grid's rows (code, {"vi", "en"}), empty for a single question; ``categories``
    the published cells (code, {"vi", "en"}): each option for ``publish_as`` ``"shares"``, or
    one cell such as ``"very_much+much"`` ("Rất nhiều / Nhiều") for ``"top_two"``.
    """

    question: str
    publish_as: str
    text: dict[str, str]
    rows: tuple[tuple[str, dict[str, str]], ...]
    categories: tuple[tuple[str, dict[str, str]], ...]

    def to_json(self) -> dict[str, Any]:
        """The stored dict."""
        return {
            "question": self.question,
            "publish_as": self.publish_as,
            "text": dict(self.text),
            "rows": [{"code": c, "text": dict(t)} for c, t in self.rows],
            "categories": [{"code": c, "text": dict(t)} for c, t in self.categories],
        }

    def row_text(self, item: str, lang: str = "vi") -> str:
        """A grid row's wording (the question's for a single question)."""
        for code, text in self.rows:
            if code == item:
                return text.get(lang) or text.get("vi", item)
        return self.text.get(lang) or self.text.get("vi", item)

    def category_text(self, category: str, lang: str = "vi") -> str:
        """A published cell's wording, e.g. "Rất nhiều / Nhiều"."""
        for code, text in self.categories:
            if code == category:
                return text.get(lang) or text.get("vi", category)
        return category


@dataclass(frozen=True)
class ShareRow:
    """One published share: a category (or the top categories) of an item in one domain.

    Attributes
    ----------
    item, question, publish_as :
        The answer key (a question, or a grid row), its question, ``"shares"`` or ``"top_two"``.
    category : str
        The option code, or the counted codes joined by "+" (``"very_much+much"``).
    domain, domain_name :
        As :class:`ReleaseRow` (empty and ``"all"`` for the whole campaign).
    estimate, se, ci_lower, ci_upper :
        The design-based share in [0, 1] among the item's base, its SE and interval; ``None``
        when suppressed or not estimable.
    df, n_base, flag :
        Degrees of freedom of the interval, respondents in the base (asked and answered), and
        the flag of the index cells' rules (``ok``, ``unreliable``, ``suppressed``).
    """

    item: str
    question: str
    publish_as: str
    category: str
    domain: tuple[tuple[str, str], ...]
    domain_name: str
    estimate: float | None
    se: float | None
    ci_lower: float | None
    ci_upper: float | None
    df: int
    n_base: int
    flag: str

    @property
    def is_whole_campaign(self) -> bool:
        return not self.domain

    @property
    def suppressed(self) -> bool:
        return self.flag == "suppressed"

    def domain_value(self, column: str) -> str | None:
        """The domain's value of ``column``, ``None`` when the row is not broken down by it."""
        return dict(self.domain).get(column)

    def to_json(self) -> dict[str, Any]:
        """The stored dict of ``results["shares"]["rows"]``."""
        return {
            "item": self.item,
            "question": self.question,
            "publish_as": self.publish_as,
            "category": self.category,
            "domain": dict(self.domain),
            "domain_name": self.domain_name,
            "estimate": self.estimate,
            "se": self.se,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            "df": self.df,
            "n_base": self.n_base,
            "flag": self.flag,
        }


def _texts(data: Any, where: str) -> dict[str, str]:
    if not isinstance(data, Mapping):
        raise ReleaseRowError(f"{where}: {data!r} is not a {{'vi', 'en'}} text")
    return {str(k): str(v) for k, v in data.items()}


def parse_share_item(data: Mapping[str, Any], where: str = "share item") -> ShareItem:
    """A stored :class:`ShareItem`."""

    def coded(key: str) -> tuple[tuple[str, dict[str, str]], ...]:
        entries = data.get(key) or []
        return tuple(
            (str(_get(e, "code", f"{where}.{key}[{i}]")), _texts(e.get("text"), where))
            for i, e in enumerate(entries)
        )

    return ShareItem(
        question=str(_get(data, "question", where)),
        publish_as=str(_get(data, "publish_as", where)),
        text=_texts(_get(data, "text", where), where),
        rows=coded("rows"),
        categories=coded("categories"),
    )


def parse_share_row(data: Mapping[str, Any], where: str = "share row") -> ShareRow:
    """A stored :class:`ShareRow`; ``where`` names it in errors."""
    domain = data.get("domain") or {}
    if not isinstance(domain, Mapping):
        raise ReleaseRowError(f"{where}: 'domain' is {domain!r}, not an object")
    return ShareRow(
        item=str(_get(data, "item", where)),
        question=str(_get(data, "question", where)),
        publish_as=str(_get(data, "publish_as", where)),
        category=str(_get(data, "category", where)),
        domain=tuple((str(k), str(v)) for k, v in domain.items()),
        domain_name=str(data.get("domain_name", WHOLE_CAMPAIGN)),
        estimate=_number(data, "estimate", where),
        se=_number(data, "se", where),
        ci_lower=_number(data, "ci_lower", where),
        ci_upper=_number(data, "ci_upper", where),
        df=_whole(data, "df", where),
        n_base=_whole(data, "n_base", where),
        flag=str(data.get("flag", "ok")),
    )


def release_share_items(release: IndexRelease | Mapping[str, Any]) -> list[ShareItem]:
    """The questions a release publishes as shares, in questionnaire order (none for a form
    without ``publish_as``)."""
    stored: Sequence[Mapping[str, Any]] = (_results(release).get("shares") or {}).get("items") or []
    return [parse_share_item(r, f"results.shares.items[{i}]") for i, r in enumerate(stored)]


def release_shares(release: IndexRelease | Mapping[str, Any]) -> list[ShareRow]:
    """The share rows of a release (whole campaign first, then its domains), in stored order.

    Raises
    ------
    ReleaseRowError
        A stored row is malformed; the message names its index and key.
    """
    stored: Sequence[Mapping[str, Any]] = (_results(release).get("shares") or {}).get("rows") or []
    return [parse_share_row(r, f"results.shares.rows[{i}]") for i, r in enumerate(stored)]
