"""Judgement and expectation shares in a release's documents: ``shares.csv``, its dictionary,
and the tables the pages, workbook and report print.

A release of a form with ``publish_as`` items stores ``results["shares"]``
(:mod:`survey.release_pipeline.shares`), read here through :func:`survey.release_rows.
release_shares` and :func:`~survey.release_rows.release_share_items`; a release without them
has no ``shares.csv`` rows and no shares section anywhere.

``shares.csv`` has one row per (domain, item, category): the release's domain columns, the
question and item codes, ``publish_as``, the category (an option code, or the counted codes
joined by "+"), the share with its SE and interval (``share*``, in [0, 1]; blank when
suppressed), the degrees of freedom, the base count ``n_base`` (asked and answered) and the
flag, then the release's id, version, status and SHA-256, as ``release.csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from survey.models import IndexRelease
from survey.release_documents.dictionary import COLUMNS, Column
from survey.release_rows import ShareItem, ShareRow, release_share_items, release_shares
from survey.releases import CSV_DOMAIN_COLUMNS, release_csv_columns
from survey.spreadsheet_cells import safe_cell

_SHARES_ONLY = "shares.csv: "
SHARE_COLUMNS: tuple[Column, ...] = (
    Column("question", "Mã câu hỏi", "Question code", "string", "", _SHARES_ONLY + "the question"),
    Column(
        "item",
        "Mã nội dung hỏi",
        "Item code",
        "string",
        "",
        _SHARES_ONLY + "the question, or the row of a grid (e.g. q10_competence)",
    ),
    Column(
        "publish_as",
        "Cách công bố",
        "Published as",
        "string",
        "",
        _SHARES_ONLY + "shares (each answer's share) | top_two (share choosing the top answers)",
    ),
    Column(
        "category",
        "Phương án trả lời",
        "Answer",
        "string",
        "",
        _SHARES_ONLY + "the answer's code, or the counted codes joined by + (very_much+much)",
    ),
    Column(
        "share",
        "Tỷ lệ",
        "Share",
        "number",
        "share 0-1",
        _SHARES_ONLY + "weighted share among those asked who answered; blank when suppressed",
    ),
    Column("share_se", "Sai số chuẩn của tỷ lệ", "Share: standard error", "number", "share 0-1"),
    Column(
        "share_ci_lower",
        "Cận dưới khoảng tin cậy",
        "Share: interval lower bound",
        "number",
        "share 0-1",
    ),
    Column(
        "share_ci_upper",
        "Cận trên khoảng tin cậy",
        "Share: interval upper bound",
        "number",
        "share 0-1",
    ),
    Column(
        "n_base",
        "Số người trả lời câu hỏi",
        "Respondents asked who answered",
        "integer",
        "persons",
        _SHARES_ONLY + "the base of the share (not asked, or left blank: outside it)",
    ),
)
SHARE_COLUMN_LABELS: Mapping[str, Column] = {c.name: c for c in SHARE_COLUMNS}
_FIGURES = ("share", "share_se", "share_ci_lower", "share_ci_upper", "df", "n_base", "flag")
_RELEASE = ("release_id", "release_version", "release_status", "release_sha256")

WORDS: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "shares": "Đánh giá và mong đợi của người dân",
        "shares_note": (
            "Tỷ lệ trong số người được hỏi và đã trả lời câu hỏi, có trọng số, với khoảng tin "
            "cậy; người không được hỏi hoặc bỏ trống không tính."
        ),
        "shares_answer": "Phương án trả lời",
        "shares_top_two": "Tỷ lệ chọn",
        "share": "Tỷ lệ",
        "n_base": "Số người trả lời",
        "sheet": "Tỷ lệ",
    },
    "en": {
        "shares": "Judgements and expectations",
        "shares_note": (
            "Weighted share among those asked who answered, with its interval; people not "
            "asked or who left it blank do not count."
        ),
        "shares_answer": "Answer",
        "shares_top_two": "Share choosing",
        "share": "Share",
        "n_base": "Respondents",
        "sheet": "Shares",
    },
}


def shares_csv_columns(by: Sequence[str] = ()) -> tuple[str, ...]:
    """The columns of ``shares.csv`` of a release broken down by ``by``."""
    domains = tuple(c for c in release_csv_columns(by) if c in CSV_DOMAIN_COLUMNS or c in by)
    return (*domains, *(c.name for c in SHARE_COLUMNS[:4]), *_FIGURES, *_RELEASE)


def shares_dictionary(by: Sequence[str] = ()) -> list[Column]:
    """Every column of ``shares.csv``, in file order (labels from the release CSV's dictionary
    where the column is the same)."""
    return [SHARE_COLUMN_LABELS.get(name) or COLUMNS[name] for name in shares_csv_columns(by)]


def shares_dictionary_records(by: Sequence[str] = ()) -> list[dict[str, Any]]:
    return [asdict(c) for c in shares_dictionary(by)]


def _value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    return safe_cell(value)


def share_csv_cells(release: IndexRelease, row: ShareRow) -> dict[str, Any]:
    """One row of ``shares.csv``, column -> cell text."""
    cells: dict[str, Any] = {c: safe_cell(row.domain_value(c) or "") for c in CSV_DOMAIN_COLUMNS}
    cells.update({c: safe_cell(v) for c, v in row.domain})
    figures = {
        "question": row.question,
        "item": row.item,
        "publish_as": row.publish_as,
        "category": row.category,
        "share": row.estimate,
        "share_se": row.se,
        "share_ci_lower": row.ci_lower,
        "share_ci_upper": row.ci_upper,
        "df": row.df,
        "n_base": row.n_base,
        "flag": row.flag,
    }
    cells.update({k: _value(v) for k, v in figures.items()})
    cells["release_id"] = release.id
    cells["release_version"] = release.version
    cells["release_status"] = release.status
    cells["release_sha256"] = release.content_sha256 or ""
    return cells


def shares_csv(release: IndexRelease) -> str:
    """``shares.csv`` as text (see the module docstring); the header alone for a release
    without shares."""
    columns = shares_csv_columns(tuple((release.parameters or {}).get("by") or ()))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in release_shares(release):
        cells = share_csv_cells(release, row)
        writer.writerow([cells.get(c, "") for c in columns])
    return buffer.getvalue()


@dataclass(frozen=True)
class ShareLine:
    """One printed line of a shares table: its wording in both languages and its row."""

    label: Mapping[str, str]
    row: ShareRow


@dataclass(frozen=True)
class ShareSection:
    """A question's shares: its wording, what its figures count and its lines."""

    item: ShareItem
    lines: tuple[ShareLine, ...]

    def title(self, lang: str) -> str:
        return self.item.text.get(lang) or self.item.text.get("vi", self.item.question)

    def counted(self, lang: str) -> str:
        """For ``top_two``: the answers counted ("Rất nhiều / Nhiều"); "" for ``shares``."""
        if self.item.publish_as != "top_two" or not self.item.categories:
            return ""
        return self.item.category_text(self.item.categories[0][0], lang)


def _line_label(item: ShareItem, row: ShareRow) -> dict[str, str]:
    labels = {}
    for lang in ("vi", "en"):
        parts = []
        if item.rows:
            parts.append(item.row_text(row.item, lang))
        if item.publish_as == "shares":
            parts.append(item.category_text(row.category, lang))
        labels[lang] = " — ".join(parts)
    return labels


def share_sections(
    release: IndexRelease | Mapping[str, Any], domain_name: str | None = None
) -> list[ShareSection]:
    """A section per published question (questionnaire order) with the lines of the whole
    campaign, or of the domain named ``domain_name``; no section for a release without shares."""
    items = release_share_items(release)
    rows = [
        r
        for r in release_shares(release)
        if (r.is_whole_campaign if domain_name is None else r.domain_name == domain_name)
    ]
    sections = []
    for item in items:
        lines = tuple(
            ShareLine(_line_label(item, r), r) for r in rows if r.question == item.question
        )
        if lines:
            sections.append(ShareSection(item, lines))
    return sections


def domain_share_lines(release: IndexRelease | Mapping[str, Any]) -> list[ShareLine]:
    """Every domain's lines (stored order: domains within items), for the workbook."""
    items = {i.question: i for i in release_share_items(release)}
    return [
        ShareLine(_line_label(items[r.question], r), r)
        for r in release_shares(release)
        if not r.is_whole_campaign and r.question in items
    ]


def has_shares(release: IndexRelease | Mapping[str, Any]) -> bool:
    """Whether the release publishes judgement or expectation shares."""
    results = release.results if isinstance(release, IndexRelease) else release
    return bool((results or {}).get("shares"))


def shares_dictionary_rows(release: IndexRelease) -> str:
    """The lines ``dictionary.csv`` adds for ``shares.csv``'s own columns (its other columns
    are those of ``release.csv``); "" for a release without shares."""
    if not has_shares(release):
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(asdict(SHARE_COLUMNS[0])), lineterminator="\n")
    writer.writerows(asdict(c) for c in SHARE_COLUMNS)
    return buffer.getvalue()
