"""Streaming readers of frame files: CSV as Excel writes it (BOM, ';', UTF-16) and XLSX."""

from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from survey.errors import InvalidInput
from survey.frame_files import RowBatch, normalise_header, open_frame_file, resolve_columns

HEADER = [
    "dossier_code",
    "agency_code",
    "province_code",
    "level",
    "channel",
    "received_date",
    "completed_date",
    "phone",
]
ROW = ["HS-1", "CQ1", "01", "tỉnh", "trực tiếp", "2025-03-01", "05/03/2025", "0912345678"]


def write_text(path: Path, lines: list[str], encoding: str = "utf-8-sig") -> Path:
    path.write_text("\r\n".join(lines) + "\r\n", encoding=encoding)
    return path


def read_all(path: Path, batch_size: int = 1000) -> list[RowBatch]:
    with open_frame_file(path) as reader:
        return list(reader.batches(batch_size))


def test_header_normalisation() -> None:
    assert normalise_header("Mã hồ sơ") == "ma_ho_so"
    assert normalise_header(" Ngày trả kết quả ") == "ngay_tra_ket_qua"
    assert normalise_header("ĐIỆN THOẠI") == "dien_thoai"
    assert normalise_header("Received date") == "received_date"


def test_csv_with_bom_and_crlf(tmp_path: Path) -> None:
    path = write_text(tmp_path / "f.csv", [",".join(HEADER), ",".join(ROW), ",".join(ROW)])
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    with open_frame_file(path) as reader:
        assert reader.kind == "csv"
        assert reader.delimiter == ","
        assert reader.headers[0] == "dossier_code"  # the BOM is not part of the first name
        batches = list(reader.batches())
    assert len(batches) == 1
    assert batches[0].row_numbers == [2, 3]
    assert batches[0].columns["level"] == ["tỉnh", "tỉnh"]
    assert batches[0].text_only


def test_semicolon_delimiter_with_commas_inside_values(tmp_path: Path) -> None:
    header = [*HEADER, "agency_name"]
    row = [*ROW, '"UBND phường Bến Nghé, Quận 1"']
    path = write_text(tmp_path / "f.csv", [";".join(header), ";".join(row)], encoding="utf-8")
    with open_frame_file(path) as reader:
        assert reader.delimiter == ";"
        (batch,) = reader.batches()
    assert batch.columns["agency_name"] == ["UBND phường Bến Nghé, Quận 1"]


def test_utf16_tab_separated_as_excel_unicode_text(tmp_path: Path) -> None:
    path = write_text(tmp_path / "f.txt", ["\t".join(HEADER), "\t".join(ROW)], encoding="utf-16")
    with open_frame_file(path) as reader:
        assert reader.delimiter == "\t"
        (batch,) = reader.batches()
    assert batch.columns["channel"] == ["trực tiếp"]


def test_batches_are_bounded_and_blank_rows_keep_their_numbers(tmp_path: Path) -> None:
    lines = [",".join(HEADER)]
    for i in range(10):
        lines.append(",".join([f"HS-{i}", *ROW[1:]]))
        if i == 4:
            lines.append(",,,,,,,")
            lines.append("")
    path = write_text(tmp_path / "f.csv", lines)
    batches = read_all(path, batch_size=4)
    assert [len(b) for b in batches] == [4, 4, 2]
    numbers = [n for b in batches for n in b.row_numbers]
    # Rows 7 and 8 are blank in Excel and are skipped; the numbering follows Excel's.
    assert numbers == [2, 3, 4, 5, 6, 9, 10, 11, 12, 13]
    assert batches[1].columns["dossier_code"][1] == "HS-5"


def test_short_rows_are_padded_and_long_rows_reported(tmp_path: Path) -> None:
    lines = [
        ",".join(HEADER),
        ",".join(ROW[:-1]),  # no phone cell at all
        ",".join([*ROW, ""]),  # a trailing comma is harmless
        ",".join([*ROW, "extra"]),  # a value with an unquoted comma shifted the cells
    ]
    (batch,) = read_all(write_text(tmp_path / "f.csv", lines))
    assert batch.columns["phone"] == ["", "0912345678", "0912345678"]
    (problem,) = batch.problems
    assert problem.loc == ("row", 4, "row")
    assert "quotes" in problem.msg


def test_vietnamese_headers_are_recognised_and_mapping_wins(tmp_path: Path) -> None:
    header = [
        "Mã hồ sơ",
        "Mã cơ quan",
        "Mã tỉnh",
        "Cấp",
        "Hình thức",
        "Ngày tiếp nhận",
        "Ngày trả kết quả",
        "Số điện thoại",
    ]
    with pytest.raises(InvalidInput) as caught:
        resolve_columns(header, None)
    (problem,) = caught.value.problems
    assert problem.loc == ("header", "channel")
    assert "--map 'COLUMN=channel'" in problem.msg
    columns = resolve_columns(header, {"Hình thức": "channel"})
    assert columns == {
        "dossier_code": 0,
        "agency_code": 1,
        "province_code": 2,
        "level": 3,
        "channel": 4,
        "received_date": 5,
        "completed_date": 6,
        "phone": 7,
    }


def test_mapping_problems_name_the_fix() -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_columns(HEADER, {"Số HS": "dossier_code", "phone": "mobile"})
    messages = {p.loc: p.msg for p in caught.value.problems}
    assert "is not in the file" in messages[("column_map", "Số HS")]
    assert "'mobile' is not a frame field" in messages[("column_map", "phone")]


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(InvalidInput, match="usable frame") as caught:
        resolve_columns([*HEADER, "Mã hồ sơ"], None)
    assert "both read as 'dossier_code'" in caught.value.problems[0].msg


def test_not_utf8_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    good = (",".join(HEADER) + "\n" + ",".join(ROW) + "\n").encode()
    path.write_bytes(
        good
        + ",".join(ROW).replace("tỉnh", "t\u1ec9nh").encode("cp1258", "replace")
        + b"\xff\xfe\n"
    )
    with pytest.raises(InvalidInput) as caught:
        read_all(path)
    (problem,) = caught.value.problems
    assert problem.loc == ("row", 3)
    assert "CSV UTF-8" in problem.msg


def test_empty_file_and_legacy_xls(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(codecs.BOM_UTF8)
    with pytest.raises(InvalidInput, match="empty"):
        open_frame_file(empty)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(InvalidInput) as caught:
        open_frame_file(xls)
    assert "save it as .xlsx" in caught.value.problems[0].msg
    with pytest.raises(InvalidInput, match="cannot read"):
        open_frame_file(tmp_path / "missing.csv")


def test_xlsx_cells_keep_their_types(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(
        ["HS-1", "CQ1", 1, "xã", "online", datetime(2025, 3, 1), datetime(2025, 3, 5), 912345678]
    )
    sheet.append([None] * len(HEADER))
    sheet.append(["HS-2", "CQ1", "01", "xã", "online", "2025-03-01", 45721, "0912345678"])
    path = tmp_path / "f.xlsx"
    workbook.save(path)
    with open_frame_file(path) as reader:
        assert reader.kind == "xlsx"
        (batch,) = reader.batches()
    assert batch.row_numbers == [2, 4]
    assert batch.columns["received_date"] == [datetime(2025, 3, 1), "2025-03-01"]
    assert batch.columns["completed_date"] == [datetime(2025, 3, 5), 45721]
    assert batch.columns["province_code"] == [1, "01"]
    assert not batch.text_only
