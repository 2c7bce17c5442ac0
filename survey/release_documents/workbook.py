"""The release as an XLSX workbook (openpyxl): one sheet per table, typed numbers, a method sheet.

Sheets: the whole campaign (every node), the domains ranked on the overall index, each domain's
elements, each domain's criteria, the stored ranking of agencies (when there is one), the method
and provenance (:mod:`survey.release_documents.method`), and the data dictionary of the CSV.
Every table has two header rows, Vietnamese then English, frozen above the data. Figures are
numbers with number formats (``0.0%`` for shares, so 0.727 reads 72.7 % and still sums), never
text; a suppressed cell is empty and its row says why in the note column. Text cells go through
:func:`survey.spreadsheet_cells.safe_cell` (domain values come from imported files).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from survey.release_documents.dictionary import COLUMNS, DICTIONARY_FIELDS, dictionary_records
from survey.release_documents.league import SHEET as LEAGUE_SHEET
from survey.release_documents.league import sheet_columns, sheet_records
from survey.release_documents.method import method_facts
from survey.release_documents.shares import (
    SHARE_COLUMN_LABELS,
    ShareLine,
    domain_share_lines,
    has_shares,
    share_sections,
)
from survey.release_documents.shares import WORDS as SHARE_WORDS
from survey.release_documents.source import DocumentSource
from survey.release_documents.tables import (
    DomainRank,
    by_node,
    domain_ranking,
    national,
    suppression_reason,
)
from survey.release_documents.words import WORDS
from survey.release_rows import RankingRow, ReleaseRow
from survey.spreadsheet_cells import safe_cell

HEADER_ROWS = 2
PERCENT = "0.0%"
PERCENT_SE = "0.00%"
SCORE = "0.00"
RATIO = "0.000"
INTEGER = "0"
SHEETS = {
    "national": "Toàn quốc",
    "ranking": "Xếp hạng",
    "elements": "Yếu tố",
    "criteria": "Tiêu chí",
    "agencies": "Xếp hạng cơ quan",
    "method": "Phương pháp",
    "dictionary": "Từ điển dữ liệu",
}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")


@dataclass(frozen=True)
class Col:
    """A column: its two header labels, how to read a value from a record, its number format."""

    vi: str
    en: str
    value: Callable[[Any], Any]
    number_format: str | None = None
    width: float = 12.0


def _figure_formats(source: DocumentSource) -> tuple[str, str]:
    return (PERCENT, PERCENT_SE) if source.percent else (SCORE, SCORE)


def _label(name: str) -> tuple[str, str]:
    column = COLUMNS[name]
    return column.label_vi, column.label_en


def _figure_columns(source: DocumentSource) -> list[Col]:
    share, share_se = _figure_formats(source)
    return [
        Col(*_label("estimate"), lambda r: r.estimate, share),
        Col(*_label("se"), lambda r: r.se, share_se),
        Col(*_label("ci_lower"), lambda r: r.ci_lower, share),
        Col(*_label("ci_upper"), lambda r: r.ci_upper, share),
        Col(*_label("cv"), lambda r: r.cv, RATIO),
        Col(*_label("df"), lambda r: r.df, INTEGER),
        Col(*_label("n_respondents"), lambda r: r.n_respondents, INTEGER),
        Col(*_label("flag"), lambda r: r.flag),
        Col(
            "Ghi chú",
            "Note (Vietnamese)",
            lambda r: suppression_reason(source, r, "vi"),
            width=40.0,
        ),
        Col(
            "Ghi chú (tiếng Anh)", "Note", lambda r: suppression_reason(source, r, "en"), width=40.0
        ),
    ]


def _node_columns(source: DocumentSource) -> list[Col]:
    return [
        Col(*_label("node"), lambda r: r.node),
        Col(*_label("level_of_node"), lambda r: r.node_level),
        Col("Nội dung", "Item (Vietnamese)", lambda r: source.label(r.node, "vi"), width=48.0),
        Col("Nội dung (tiếng Anh)", "Item", lambda r: source.label(r.node, "en"), width=48.0),
    ]


def _domain_value(column: str) -> Callable[[ReleaseRow], str]:
    return lambda row: row.domain_value(column) or ""


def _of_row(value: Callable[[Any], Any]) -> Callable[[DomainRank], Any]:
    return lambda ranked: value(ranked.row)


def _domain_columns(source: DocumentSource) -> list[Col]:
    columns = [Col(*_label(c), _domain_value(c)) for c in source.by if c in COLUMNS]
    columns.append(Col("Đơn vị", "Unit", source.domain_label, width=32.0))
    return columns


def _write(sheet: Worksheet, columns: Sequence[Col], records: Sequence[Any]) -> None:
    """Two header rows, then one row per record; frozen headers, typed cells, widths."""
    for j, column in enumerate(columns, start=1):
        for i, text in enumerate((column.vi, column.en), start=1):
            cell = sheet.cell(row=i, column=j, value=safe_cell(text))
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(j)].width = column.width
    for i, record in enumerate(records, start=HEADER_ROWS + 1):
        for j, column in enumerate(columns, start=1):
            value = column.value(record)
            if value is None or value == "":
                continue  # an empty cell, not "" text: a suppressed figure is missing
            cell = sheet.cell(row=i, column=j, value=safe_cell(value))
            if column.number_format is not None and isinstance(value, int | float):
                cell.number_format = column.number_format
    sheet.freeze_panes = f"A{HEADER_ROWS + 1}"
    if records:
        sheet.auto_filter.ref = (
            f"A{HEADER_ROWS}:{get_column_letter(len(columns))}{HEADER_ROWS + len(records)}"
        )


def _ranking_columns(source: DocumentSource) -> list[Col]:
    return [
        Col("Thứ tự", "Position", lambda d: d.position, INTEGER),
        *[
            Col(c.vi, c.en, _of_row(c.value), c.number_format, c.width)
            for c in _domain_columns(source)
        ],
        *[
            Col(c.vi, c.en, _of_row(c.value), c.number_format, c.width)
            for c in _figure_columns(source)
        ],
        Col(*_label("rank_lower"), lambda d: d.rank_lower, INTEGER),
        Col(*_label("rank_upper"), lambda d: d.rank_upper, INTEGER),
        Col(*_label("tier"), lambda d: d.tier, INTEGER),
    ]


def _agency_columns(source: DocumentSource) -> list[Col]:
    share, _ = _figure_formats(source)
    return [
        Col(*_label("rank"), lambda r: r.rank.rank, INTEGER),
        Col(*_label("agency_code"), lambda r: r.agency_code),
        Col("Cơ quan", "Agency", source.domain_label, width=32.0),
        Col(*_label("estimate"), lambda r: r.estimate, share),
        Col(*_label("ci_lower"), lambda r: r.ci_lower, share),
        Col(*_label("ci_upper"), lambda r: r.ci_upper, share),
        Col(*_label("n_respondents"), lambda r: r.n_respondents, INTEGER),
        Col(*_label("flag"), lambda r: r.flag),
        Col(*_label("rank_lower"), lambda r: r.rank.rank_lower, INTEGER),
        Col(*_label("rank_upper"), lambda r: r.rank.rank_upper, INTEGER),
        Col(*_label("tier"), lambda r: r.rank.tier, INTEGER),
    ]


def _method_sheet(sheet: Worksheet, source: DocumentSource) -> None:
    facts = method_facts(source)
    columns = [
        Col("Mục", "Key", lambda f: f.key, width=22.0),
        Col("Nội dung", "Item (Vietnamese)", lambda f: f.label_vi, width=34.0),
        Col("Nội dung (tiếng Anh)", "Item", lambda f: f.label_en, width=34.0),
        Col("Giá trị", "Value", lambda f: f.value, width=70.0),
        Col("Giá trị (tiếng Anh)", "Value (English)", lambda f: f.value_in("en"), width=70.0),
    ]
    _write(sheet, columns, facts)


def _dictionary_sheet(sheet: Worksheet, source: DocumentSource) -> None:
    labels = {
        "name": ("Tên cột", "Column"),
        "label_vi": ("Nhãn tiếng Việt", "Vietnamese label"),
        "label_en": ("Nhãn tiếng Anh", "English label"),
        "type": ("Kiểu", "Type"),
        "unit": ("Đơn vị", "Unit"),
        "description": ("Mô tả", "Description"),
    }
    columns = [Col(*labels[f], itemgetter(f), width=26.0) for f in DICTIONARY_FIELDS]
    _write(sheet, columns, dictionary_records(percent=source.percent, by=source.by))


def _shares_sheet(sheet: Worksheet, source: DocumentSource) -> None:
    """Judgement and expectation shares: the whole campaign's lines, then every domain's."""
    lines = [line for section in share_sections(source.release) for line in section.lines]
    lines += domain_share_lines(source.release)

    def unit(line: ShareLine) -> str:
        row = line.row
        if row.is_whole_campaign:
            return WORDS["vi"]["national"]
        return " × ".join(source.unit_name(c, v) for c, v in row.domain)

    def share_column(name: str, value: Callable[[ShareLine], Any], fmt: str | None) -> Col:
        column = SHARE_COLUMN_LABELS[name]
        return Col(column.label_vi, column.label_en, value, fmt)

    columns = [
        Col("Đơn vị", "Unit", unit, width=32.0),
        share_column("question", lambda x: x.row.question, None),
        share_column("item", lambda x: x.row.item, None),
        share_column("category", lambda x: x.row.category, None),
        Col("Nội dung", "Item (Vietnamese)", lambda x: x.label["vi"], width=48.0),
        Col("Nội dung (tiếng Anh)", "Item", lambda x: x.label["en"], width=48.0),
        share_column("share", lambda x: x.row.estimate, PERCENT),
        share_column("share_se", lambda x: x.row.se, PERCENT_SE),
        share_column("share_ci_lower", lambda x: x.row.ci_lower, PERCENT),
        share_column("share_ci_upper", lambda x: x.row.ci_upper, PERCENT),
        Col(*_label("df"), lambda x: x.row.df, INTEGER),
        share_column("n_base", lambda x: x.row.n_base, INTEGER),
        Col(*_label("flag"), lambda x: x.row.flag),
    ]
    _write(sheet, columns, lines)


def release_workbook(source: DocumentSource) -> bytes:
    """The workbook as XLSX bytes (see the module docstring for its sheets)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    national_rows: list[ReleaseRow] = national(source)
    _write(
        book.create_sheet(SHEETS["national"]),
        [*_node_columns(source), *_figure_columns(source)],
        national_rows,
    )
    if source.by:
        ranking: list[DomainRank] = domain_ranking(source)
        _write(book.create_sheet(SHEETS["ranking"]), _ranking_columns(source), ranking)
        # The elements' sheet holds the national form's indices too (before its elements).
        levels: tuple[tuple[str, tuple[str, ...]], ...] = (
            ("elements", ("index", "element")),
            ("criteria", ("criterion",)),
        )
        for key, level in levels:
            _write(
                book.create_sheet(SHEETS[key]),
                [*_domain_columns(source), *_node_columns(source), *_figure_columns(source)],
                by_node(source, level),
            )
    agencies: Sequence[RankingRow] = source.ranking
    if agencies:
        _write(book.create_sheet(SHEETS["agencies"]), _agency_columns(source), agencies)
    league_records = sheet_records(source)
    if league_records:
        share = _figure_formats(source)[0]
        league_columns = [Col(*column) for column in sheet_columns(source, share)]
        _write(book.create_sheet(LEAGUE_SHEET), league_columns, league_records)
    if has_shares(source.release):
        _shares_sheet(book.create_sheet(SHARE_WORDS["vi"]["sheet"]), source)
    _method_sheet(book.create_sheet(SHEETS["method"]), source)
    _dictionary_sheet(book.create_sheet(SHEETS["dictionary"]), source)
    book.properties.title = source.release.name
    book.properties.subject = WORDS["vi"]["report_kind"]
    book.properties.identifier = source.release.content_sha256 or ""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
