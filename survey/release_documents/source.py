"""What every release document is made from: the stored release, read once, with its names.

A document never recomputes a figure: it reads the release's stored rows through the one typed
definition of them (:mod:`survey.release_rows`), and adds what a reader
needs besides codes: the questionnaire's element and criterion titles (Vietnamese and English),
agency names from the frame, province names (:data:`survey.geography.PROVINCE_MERGER_2025`), the
campaign's period and who computed, submitted and published the release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from survey.disclosure import K as DISCLOSURE_K
from survey.geography import PROVINCE_MERGER_2025
from survey.models import Campaign, IndexRelease, Questionnaire
from survey.public_releases import get_published_release
from survey.release_rows import (
    RankingRow,
    ReleaseRow,
    index_titles,
    release_nodes,
    release_ranking,
    release_root,
    release_rows,
)
from survey.releases import get_release, release_steps
from survey.unit_names import campaign_units
from survey.users import UNLIMITED, Scope

# Old (63) and new (34) province codes -> the name of the province they belong to since 2025.
PROVINCE_NAMES: Mapping[str, str] = {
    **{old: unit.name for unit in PROVINCE_MERGER_2025 for old in unit.formed_from},
    **{unit.code: unit.name for unit in PROVINCE_MERGER_2025},
}

# How an answer was collected (Response.mode), as the documents name a domain of it.
MODE_NAMES: Mapping[str, str] = {
    "web": "Trực tuyến",
    "paper": "Phiếu giấy",
    "phone": "Điện thoại",
    "face_to_face": "Gặp trực tiếp",
}


@dataclass(frozen=True)
class Step:
    step: str
    by: str
    at: datetime


@dataclass(frozen=True)
class DocumentSource:
    """A release and the names its documents print."""

    release: IndexRelease
    rows: tuple[ReleaseRow, ...]
    ranking: tuple[RankingRow, ...]  # the stored ranking of agencies, best first
    node_labels: Mapping[str, Mapping[str, str]]  # lang -> node -> label
    node_order: tuple[str, ...]
    unit_names: Mapping[str, Mapping[str, str]]  # domain column -> code -> name
    campaign_name: str
    period: tuple[datetime, datetime] | None
    steps: tuple[Step, ...]
    k: int = DISCLOSURE_K
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def by(self) -> tuple[str, ...]:
        return tuple(self.release.parameters.get("by") or ())

    @property
    def percent(self) -> bool:
        """Shares in [0, 1], shown as percentages; the mean-score rule gives 1-5 scores."""
        return self.release.parameters.get("rule") != "mean-score"

    @property
    def min_respondents(self) -> int:
        return int((self.release.parameters.get("reliability") or {}).get("min_respondents", 0))

    @property
    def root(self) -> str:
        """The root node of the release's tree (``overall``, or ``sipas``)."""
        return release_root(self.release)

    def label(self, node: str, lang: str) -> str:
        return self.node_labels.get(lang, {}).get(node, node)

    def unit_name(self, column: str, code: str) -> str:
        """A domain value's name ("Hà Nội" for province 01), or the code when none is known."""
        return self.unit_names.get(column, {}).get(code, code)

    def domain_label(self, row: ReleaseRow | RankingRow) -> str:
        """Names of a row's domain values joined with " × " (crossed domains)."""
        if isinstance(row, RankingRow):
            return self.unit_name("agency_code", row.agency_code)
        return " × ".join(self.unit_name(c, v) for c, v in row.domain)

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.step == name), None)


def node_labels(
    definition: Mapping[str, Any] | None, nodes: Sequence[str]
) -> tuple[dict[str, dict[str, str]], tuple[str, ...]]:
    """Element titles and numbered criteria per language, and the nodes in questionnaire order
    (the root, the indices of a form that has them, then each element and its criteria)."""
    labels: dict[str, dict[str, str]] = {
        "vi": {"overall": "Chỉ số hài lòng chung"},
        "en": {"overall": "Overall satisfaction index"},
    }
    order = ["overall"]
    for lang, titles in index_titles(definition).items():
        labels[lang].update(titles)
        if lang == "vi":
            order += list(titles)
    for element in (definition or {}).get("elements", []):
        order.append(str(element["code"]))
        title = element.get("title") or {}
        for lang in labels:
            labels[lang][element["code"]] = str(title.get(lang) or title.get("vi") or "")
        for criterion in element.get("criteria", []):
            order.append(str(criterion["code"]))
            text = criterion.get("text") or {}
            number = criterion.get("number")
            for lang in labels:
                words = str(text.get(lang) or text.get("vi") or "")
                labels[lang][criterion["code"]] = f"{number}. {words}" if number else words
    # Nodes the questionnaire no longer names still print, after the known ones.
    order += [n for n in nodes if n not in order]
    return labels, tuple(n for n in order if n in nodes)


def _source(session: Session, release: IndexRelease) -> DocumentSource:
    questionnaire_id = (release.parameters.get("questionnaire") or {}).get("id")
    questionnaire = (
        session.get(Questionnaire, questionnaire_id) if questionnaire_id is not None else None
    )
    nodes = release_nodes(release)
    labels, order = node_labels(questionnaire.definition if questionnaire else None, nodes)
    _, agencies = campaign_units(session=session, campaign_id=release.campaign_id)
    campaign = session.get(Campaign, release.campaign_id)
    return DocumentSource(
        release=release,
        rows=tuple(release_rows(release)),
        ranking=tuple(sorted(release_ranking(release), key=lambda r: r.rank.rank)),
        node_labels=labels,
        node_order=order,
        unit_names={
            "agency_code": agencies,
            "province_code": PROVINCE_NAMES,
            "mode": MODE_NAMES,
        },
        campaign_name="" if campaign is None else campaign.name,
        period=None if campaign is None else (campaign.field_start, campaign.field_end),
        steps=tuple(
            Step(s.step, s.by, s.at) for s in release_steps(session=session, release=release)
        ),
    )


def load_document_source(
    *, session: Session, release_id: int, scope: Scope = UNLIMITED
) -> DocumentSource:
    """A release as staff read it (a scoped account: published releases, own rows only)."""
    return _source(session, get_release(session=session, release_id=release_id, scope=scope))


def load_published_source(*, session: Session, release_id: int) -> DocumentSource:
    """A published or superseded release for the public site; otherwise :class:`NotFound`."""
    return _source(session, get_published_release(session=session, release_id=release_id))
