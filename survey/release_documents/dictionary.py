"""The data dictionary of a release's CSV: every column's name, labels, type and unit.

The CSV (:func:`survey.releases.release_csv`) and the workbook's tables share these labels, and
the JSON document carries the dictionary, so a reader of any of them knows what a column means.
Types are those of the CSV text once parsed: ``string``, ``integer``, ``number``; an empty cell
is a missing value (a suppressed figure, or a rank of a row that is not ranked).

``release.csv`` comes in two forms with the same rows and values. Without ``lang`` its header is
the column names (``name``), stable for scripts, as published releases are cited. With
``?lang=vi`` or ``?lang=en`` the header is each column's ``label_vi`` or ``label_en``, and a name
column follows each code it names (:data:`NAME_COLUMNS`: agency, province by its 2025 name,
channel, item); numbers keep the decimal point in both languages, so a script reads either the
same way. ``dictionary.csv`` lists the columns of the first form, then the name columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from survey.releases import release_csv_columns


@dataclass(frozen=True)
class Column:
    name: str
    label_vi: str
    label_en: str
    type: str  # string | integer | number
    unit: str
    description: str = ""


SHARE = "share 0-1"
SCORE = "score 1-5"

# Columns whose unit is the release's scale (shares, or scores under the mean-score rule).
SCALED: frozenset[str] = frozenset({"estimate", "se", "ci_lower", "ci_upper"})

_COLUMNS: tuple[Column, ...] = (
    Column("agency_code", "Mã cơ quan", "Agency code", "string", "", "domain: agency"),
    Column("province_code", "Mã tỉnh", "Province code", "string", "", "domain: province"),
    Column("level", "Cấp hành chính", "Administrative level", "string", "", "domain: level"),
    Column(
        "procedure_field",
        "Lĩnh vực thủ tục",
        "Field of procedure",
        "string",
        "",
        "domain: field of procedure",
    ),
    Column("channel", "Kênh nộp hồ sơ", "Channel", "string", "", "domain: channel"),
    Column(
        "mode",
        "Hình thức trả lời",
        "Mode of answering",
        "string",
        "",
        "domain: web, paper, phone or face_to_face (only in releases broken down by it)",
    ),
    Column(
        "node",
        "Mã nội dung",
        "Item code",
        "string",
        "",
        "overall (sipas, then policy and service, on the national form), an element code or "
        "a criterion code of the questionnaire",
    ),
    Column(
        "level_of_node",
        "Cấp nội dung",
        "Item level",
        "string",
        "",
        "overall|index|element|criterion (overall: the root, overall or sipas)",
    ),
    Column("estimate", "Chỉ số", "Index", "number", SHARE, "blank when suppressed"),
    Column("se", "Sai số chuẩn", "Standard error", "number", SHARE, "design-based (Taylor)"),
    Column("ci_lower", "Cận dưới khoảng tin cậy", "Interval lower bound", "number", SHARE),
    Column("ci_upper", "Cận trên khoảng tin cậy", "Interval upper bound", "number", SHARE),
    Column("df", "Bậc tự do", "Degrees of freedom", "integer", "", "of the domain's design"),
    Column("n_respondents", "Số người trả lời", "Respondents", "integer", "persons"),
    Column(
        "cv", "Hệ số biến thiên", "Coefficient of variation", "number", "ratio", "se / estimate"
    ),
    Column("flag", "Độ tin cậy", "Reliability flag", "string", "", "ok|unreliable|suppressed"),
    Column(
        "rank",
        "Hạng",
        "Rank",
        "integer",
        "",
        "agencies ranked on the root index (overall or sipas)",
    ),
    Column("rank_lower", "Hạng cao nhất có thể", "Rank interval: best", "integer", ""),
    Column("rank_upper", "Hạng thấp nhất có thể", "Rank interval: worst", "integer", ""),
    Column("tier", "Nhóm", "Tier", "integer", "", "agencies not clearly different share a tier"),
    Column("release_id", "Số bản công bố", "Release id", "integer", ""),
    Column("release_version", "Phiên bản", "Release version", "integer", ""),
    Column(
        "release_status",
        "Trạng thái",
        "Release status",
        "string",
        "",
        "draft|submitted|published|superseded",
    ),
    Column(
        "release_sha256",
        "Mã băm SHA-256",
        "Release SHA-256",
        "string",
        "hex",
        "blank for a draft",
    ),
)
# Only in the CSV written for people (``?lang=vi|en``), each right after the code it names.
_PEOPLE_ONLY = "release.csv?lang=vi|en only, after "
NAME_COLUMNS: tuple[tuple[str, Column], ...] = (
    (
        "agency_code",
        Column(
            "agency_name",
            "Tên cơ quan",
            "Agency",
            "string",
            "",
            _PEOPLE_ONLY + "agency_code: the agency's name as its frame gives it",
        ),
    ),
    (
        "province_code",
        Column(
            "province_name",
            "Tỉnh, thành phố (tên từ 1/7/2025)",
            "Province (name since 1 July 2025)",
            "string",
            "",
            _PEOPLE_ONLY + "province_code: the province the code belongs to since 1 July 2025",
        ),
    ),
    (
        "channel",
        Column(
            "channel_name",
            "Tên kênh nộp hồ sơ",
            "Channel name",
            "string",
            "",
            _PEOPLE_ONLY + "channel: in person, online or by post, in words",
        ),
    ),
    (
        "node",
        Column(
            "node_name",
            "Nội dung",
            "Item",
            "string",
            "",
            _PEOPLE_ONLY + "node: the overall index, an element's title or a numbered criterion",
        ),
    ),
)
COLUMNS: dict[str, Column] = {c.name: c for c in (*_COLUMNS, *(c for _, c in NAME_COLUMNS))}
DICTIONARY_FIELDS: tuple[str, ...] = (
    "name",
    "label_vi",
    "label_en",
    "type",
    "unit",
    "description",
)


def named_csv_columns(by: Sequence[str] = ()) -> tuple[str, ...]:
    """The columns of ``release.csv?lang=vi|en``: the machine columns with each name column
    right after the code it names."""
    names = dict(NAME_COLUMNS)
    columns: list[str] = []
    for name in release_csv_columns(by):
        columns.append(name)
        if name in names:
            columns.append(names[name].name)
    return tuple(columns)


def csv_dictionary(
    *, percent: bool = True, by: Sequence[str] = (), named: bool = False
) -> list[Column]:
    """The columns of the CSV of a release broken down by ``by``, in file order (``named``: of
    the CSV for people, :func:`named_csv_columns`); figures in shares, or scores when not
    ``percent`` (the mean-score rule)."""
    unit = SHARE if percent else SCORE
    names = named_csv_columns(by) if named else release_csv_columns(by)
    return [
        Column(**{**asdict(COLUMNS[name]), "unit": unit}) if name in SCALED else COLUMNS[name]
        for name in names
    ]


def dictionary_records(*, percent: bool = True, by: Sequence[str] = ()) -> list[dict[str, Any]]:
    return [asdict(c) for c in csv_dictionary(percent=percent, by=by)]


def dictionary_csv(*, percent: bool = True, by: Sequence[str] = ()) -> str:
    """The dictionary as CSV text: one row per column of the release CSV, then one per name
    column of the CSV for people (whose headers are the labels)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DICTIONARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(dictionary_records(percent=percent, by=by))
    writer.writerows(asdict(c) for _, c in NAME_COLUMNS)
    return buffer.getvalue()
