"""Streaming readers of frame files: CSV as Excel writes it (BOM, ';', UTF-16) and XLSX."""

from __future__ import annotations

import base64
import codecs
import random
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from survey.errors import InvalidInput
from survey.frame_files import (
    RowBatch,
    XlsxLimits,
    normalise_header,
    open_frame_file,
    resolve_columns,
)

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


# ----------------------------------------------------------------------------- hostile workbooks
# Every hostile file is built here, in the test: no binary fixture is committed.

FRAME_HEADER = ["dossier_code", "agency_code", "province_code", "level", "channel"]
FRAME_HEADER += ["received_date", "completed_date"]
FRAME_ROW = ["HS-1", "CQ1", "01", "xã", "online", "2025-03-01", "2025-03-05"]
SHEET = "xl/worksheets/sheet1.xml"


def good_workbook(path: Path, rows: int = 3) -> Path:
    """A small real workbook (with shared strings, as Excel writes them)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(FRAME_HEADER)
    for i in range(rows):
        sheet.append([f"HS-{i}", *FRAME_ROW[1:]])
    workbook.save(path)
    return path


def replace_member(source: Path, target: Path, name: str, chunks: Iterator[bytes]) -> Path:
    """Copy the workbook ``source`` to ``target`` with member ``name`` streamed from ``chunks``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != name:
                new.writestr(info, old.read(info.filename))
        with new.open(name, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk)
    return target


def sheet_xml(rows_xml: Iterator[bytes]) -> Iterator[bytes]:
    yield (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>"
    )
    yield from rows_xml
    yield b"</sheetData></worksheet>"


def inline_row(number: int, values: list[str]) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f'<row r="{number}">{cells}</row>'.encode()


def open_error(path: Path, **kwargs: object) -> InvalidInput:
    with (
        pytest.raises(InvalidInput) as caught,
        open_frame_file(path, **kwargs) as reader,  # type: ignore[arg-type]
    ):
        for _ in reader.batches():
            pass
    return caught.value


def test_a_zip_bomb_is_refused_from_the_zip_directory_in_bounded_memory(tmp_path: Path) -> None:
    # 200 MB of spaces inside one row compress to about 200 KB: a ratio near 1,000.
    def padding() -> Iterator[bytes]:
        yield inline_row(1, FRAME_HEADER)
        block = b" " * (1 << 20)
        for _ in range(200):
            yield block

    bomb = replace_member(
        good_workbook(tmp_path / "good.xlsx"), tmp_path / "bomb.xlsx", SHEET, sheet_xml(padding())
    )
    assert bomb.stat().st_size < 1_000_000
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo(SHEET).file_size > 200_000_000
    tracemalloc.start()
    try:
        error = open_error(bomb, display_name="Danh sách quý 3.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"reading the bomb's directory took {peak:,} bytes"
    [problem] = error.problems
    assert problem.loc == ("file",)
    assert problem.msg.startswith("Danh sách quý 3.xlsx ")
    assert SHEET in problem.msg and "zip bomb" in problem.msg


def test_the_sum_of_member_sizes_is_bounded(tmp_path: Path) -> None:
    path = good_workbook(tmp_path / "f.xlsx")
    with zipfile.ZipFile(path) as archive:
        total = sum(info.file_size for info in archive.infolist())
    error = open_error(path, xlsx_limits=XlsxLimits(max_total_bytes=total - 1))
    assert f"more than {total - 1:,} bytes" in error.problems[0].msg
    with open_frame_file(path, xlsx_limits=XlsxLimits(max_total_bytes=total)) as reader:
        assert sum(len(b) for b in reader.batches()) == 3


def test_shared_strings_are_bounded(tmp_path: Path) -> None:
    # openpyxl keeps a workbook's shared strings in memory, so their part has its own bound.
    strings = b"".join(f"<si><t>HS-{i:06d}</t></si>".encode() for i in range(1000))
    part = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    path = replace_member(
        good_workbook(tmp_path / "good.xlsx"),
        tmp_path / "f.xlsx",
        "xl/sharedStrings.xml",
        iter([part, strings, b"</sst>"]),
    )
    size = len(part) + len(strings) + len(b"</sst>")
    error = open_error(path, xlsx_limits=XlsxLimits(max_shared_strings_bytes=size - 1))
    assert f"more shared text than {size - 1:,} bytes" in error.problems[0].msg
    with open_frame_file(path, xlsx_limits=XlsxLimits(max_shared_strings_bytes=size)) as reader:
        assert sum(len(b) for b in reader.batches()) == 3


def test_a_giant_row_of_incompressible_text_is_refused_before_openpyxl_parses_it(
    tmp_path: Path,
) -> None:
    # Random text compresses poorly, so the ratio check passes; the row bound does not.
    noise = base64.b64encode(random.Random(8).randbytes(1_600_000)).decode()

    def rows() -> Iterator[bytes]:
        yield inline_row(1, FRAME_HEADER)
        yield inline_row(2, [noise, *FRAME_ROW[1:]])

    path = replace_member(
        good_workbook(tmp_path / "good.xlsx"), tmp_path / "wide.xlsx", SHEET, sheet_xml(rows())
    )
    error = open_error(path)
    assert "row longer than 1,048,576 bytes" in error.problems[0].msg
    # The same file with a looser bound is read (so it is the bound that refused it).
    with open_frame_file(path, xlsx_limits=XlsxLimits(max_row_bytes=4 << 20)) as reader:
        [batch] = list(reader.batches())
    assert batch.columns["dossier_code"] == [noise]


def test_a_gap_in_row_numbers_cannot_make_openpyxl_pad_forever(tmp_path: Path) -> None:
    def rows() -> Iterator[bytes]:
        yield inline_row(1, FRAME_HEADER)
        yield inline_row(10**12, FRAME_ROW)

    path = replace_member(
        good_workbook(tmp_path / "good.xlsx"), tmp_path / "gap.xlsx", SHEET, sheet_xml(rows())
    )
    error = open_error(path)
    assert "more than 1,048,576 rows" in error.problems[0].msg


@pytest.mark.parametrize(
    "entities",
    [
        # "Billion laughs": each entity expands to ten of the previous one.
        '<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY x "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">',
        # An external entity that would read a file of the server into a cell.
        '<!ENTITY x SYSTEM "file:///etc/hostname">',
    ],
    ids=["billion-laughs", "external-entity"],
)
def test_entity_declarations_are_refused(tmp_path: Path, entities: str) -> None:
    def document() -> Iterator[bytes]:
        yield f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'.encode()
        yield b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        yield b"<sheetData>" + inline_row(1, FRAME_HEADER)
        yield inline_row(2, ["&x;", *FRAME_ROW[1:]]) + b"</sheetData></worksheet>"

    path = replace_member(
        good_workbook(tmp_path / "good.xlsx"), tmp_path / "entities.xlsx", SHEET, document()
    )
    error = open_error(path, display_name="khung.xlsx")
    [problem] = error.problems
    assert problem.loc == ("file",)
    assert problem.msg.startswith("khung.xlsx is damaged, truncated or not a workbook")
    assert "declares XML entities" in problem.msg  # defusedxml refused them


def test_xlsx_is_not_read_without_defusedxml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    error = open_error(good_workbook(tmp_path / "f.xlsx"))
    assert "defusedxml" in error.problems[0].msg


def test_truncated_and_garbage_workbooks_name_the_file(tmp_path: Path) -> None:
    data = good_workbook(tmp_path / "good.xlsx").read_bytes()
    cases = {
        "half.xlsx": data[: len(data) // 2],
        "head.xlsx": data[:100],
        "magic-only.xlsx": b"PK\x03\x04",
        "garbage.xlsx": b"PK\x03\x04" + bytes(range(256)) * 8,
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        error = open_error(path)
        [problem] = error.problems
        assert problem.loc == ("file",)
        assert problem.msg.startswith(f"{name} is damaged, truncated or not a workbook"), name


def test_a_damaged_sheet_stream_is_invalid_input(tmp_path: Path) -> None:
    path = good_workbook(tmp_path / "good.xlsx", rows=200)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    data = bytearray(path.read_bytes())
    # Overwrite the middle of the sheet's compressed data: a CRC or deflate error on reading.
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 16] = b"\xff" * 16
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(bytes(data))
    error = open_error(broken)
    assert error.problems[0].msg.startswith("broken.xlsx is damaged")


def test_any_corrupted_byte_gives_invalid_input_or_a_reading(tmp_path: Path) -> None:
    """Flip bytes all over a workbook: each reading ends in rows or in InvalidInput, never in
    another exception (which the web layer would turn into a 500)."""
    data = good_workbook(tmp_path / "good.xlsx", rows=20).read_bytes()
    rng = random.Random(2026)
    outcomes = {"read": 0, "refused": 0}
    for trial in range(60):
        corrupted = bytearray(data)
        for position in rng.sample(range(4, len(data)), 3):
            corrupted[position] ^= 0xFF
        path = tmp_path / f"c{trial}.xlsx"
        path.write_bytes(bytes(corrupted))
        try:
            with open_frame_file(path) as reader:
                for _ in reader.batches():
                    pass
            outcomes["read"] += 1
        except InvalidInput:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0
