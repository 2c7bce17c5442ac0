"""Importing frames, whole or not at all, on SQLite and PostgreSQL.

Expected values are written out by hand from the rows each test builds (dates, E.164 numbers, the
canonical content hash computed here with hashlib), never read back from the importer.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import survey.frames as frames_module
from survey.errors import InvalidInput, NotFound
from survey.frames import (
    ImportProgress,
    frame_problems,
    get_frame,
    import_frame,
    list_frames,
    phone_duplicate_groups,
)
from survey.models.frames import Dossier, DossierContact, Frame, FrameImportProblem

TODAY = date(2026, 11, 23)

# A coordinator's export with Vietnamese headers; "Phương thức nộp" is not a known alias.
VN_HEADER = [
    "Mã hồ sơ",
    "Mã cơ quan",
    "Tên cơ quan",
    "Mã tỉnh",
    "Mã xã",
    "Cấp",
    "Mã thủ tục",
    "Lĩnh vực",
    "Phương thức nộp",
    "Ngày tiếp nhận",
    "Ngày hẹn trả",
    "Ngày trả kết quả",
    "Số điện thoại",
]
VN_MAP = {"Phương thức nộp": "channel"}


def good_rows() -> list[list[str]]:
    return [
        [
            "HS-003",
            "CQ-TP",
            "Sở Tư pháp",
            "1",
            "",
            "tỉnh",
            "1.001",
            "Hộ tịch",
            "trực tiếp",
            "2025-03-01",
            "2025-03-10",
            "05/03/2025",
            "0912 345 678",
        ],
        [
            "HS-001",
            "UBND-X1",
            "UBND xã Tân Phú",
            "79",
            "26734",
            "Xã",
            "2.002",
            "Đất đai",
            "Trực tuyến",
            "02/01/2025",
            "",
            "2025-01-20",
            "01623456789",
        ],
        [
            "HS-002",
            "UBND-X1",
            "UBND xã Tân Phú, TP HCM",
            "79",
            "26734",
            "xa",
            "2.002",
            "Đất đai",
            "bưu chính",
            "2025-02-01",
            "2025-01-15",
            "2025-02-03",
            "024 3823 4567",
        ],
        [
            "HS-010",
            "BO-CA",
            "Bộ Công an",
            "01",
            "",
            "Trung ương",
            "3.1",
            "Xuất nhập cảnh",
            "online",
            "2025-04-01",
            "",
            "2025-04-01",
            "+84 912 345 678",
        ],
        [
            "HS-004",
            "CQ-TP",
            "Sở Tư pháp",
            "01",
            "",
            "huyện",
            "1.001",
            "Hộ tịch",
            "truc tiep",
            "2025-03-02",
            "",
            "2025-03-03",
            "",
        ],
    ]


# The canonical lines of good_rows() as the frame hash defines them (by dossier_code, bytes).
EXPECTED_LINES = [
    [
        "HS-001",
        "UBND-X1",
        "UBND xã Tân Phú",
        "79",
        "26734",
        "commune",
        "2.002",
        "Đất đai",
        "online",
        "2025-01-02",
        "",
        "2025-01-20",
        "1",
    ],
    [
        "HS-002",
        "UBND-X1",
        "UBND xã Tân Phú, TP HCM",
        "79",
        "26734",
        "commune",
        "2.002",
        "Đất đai",
        "postal",
        "2025-02-01",
        "2025-01-15",
        "2025-02-03",
        "0",
    ],
    [
        "HS-003",
        "CQ-TP",
        "Sở Tư pháp",
        "1",
        "",
        "province",
        "1.001",
        "Hộ tịch",
        "direct",
        "2025-03-01",
        "2025-03-10",
        "2025-03-05",
        "1",
    ],
    [
        "HS-004",
        "CQ-TP",
        "Sở Tư pháp",
        "01",
        "",
        "district",
        "1.001",
        "Hộ tịch",
        "direct",
        "2025-03-02",
        "",
        "2025-03-03",
        "0",
    ],
    [
        "HS-010",
        "BO-CA",
        "Bộ Công an",
        "01",
        "",
        "central",
        "3.1",
        "Xuất nhập cảnh",
        "online",
        "2025-04-01",
        "",
        "2025-04-01",
        "1",
    ],
]


def expected_hash(lines: Sequence[Sequence[str]]) -> str:
    content = "".join("\x1f".join(line) + "\x1e" for line in lines)
    return hashlib.sha256(content.encode()).hexdigest()


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = VN_HEADER, sep: str = ","
) -> Path:
    def cell(value: str) -> str:
        return f'"{value}"' if sep in value or '"' in value else value

    lines = [sep.join(cell(v) for v in row) for row in [header, *rows]]
    # Excel's "CSV UTF-8": a byte-order mark and CRLF line ends.
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


def run_import(engine: Engine, path: Path, **kwargs: object) -> frames_module.ImportReport:
    kwargs.setdefault("column_map", VN_MAP)
    return import_frame(engine=engine, source=path, name="Khung mẫu 2025", today=TODAY, **kwargs)  # type: ignore[arg-type]


def counts(session: Session, frame_id: int) -> tuple[int, int]:
    dossiers = session.exec(
        select(func.count()).select_from(Dossier).where(Dossier.frame_id == frame_id)
    ).one()
    contacts = session.exec(
        select(func.count())
        .select_from(DossierContact)
        .join(Dossier, col(Dossier.id) == col(DossierContact.dossier_id))
        .where(Dossier.frame_id == frame_id)
    ).one()
    return dossiers, contacts


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2025-03-05", date(2025, 3, 5)),
        ("05/03/2025", date(2025, 3, 5)),  # day first, the Vietnamese habit
        ("5/3/2025", date(2025, 3, 5)),
        ("05-03-2025", date(2025, 3, 5)),
        ("05.03.2025", date(2025, 3, 5)),
        ("2025/03/05", date(2025, 3, 5)),
        ("05/03/2025 14:30:00", date(2025, 3, 5)),
        ("2025-03-05T14:30", date(2025, 3, 5)),
        (datetime(2025, 3, 5, 14, 30), date(2025, 3, 5)),
        (45721, date(2025, 3, 5)),  # Excel serial: =DATE(2025,3,5) shows 45721
        (45721.6, date(2025, 3, 5)),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(cell: object, expected: date | None) -> None:
    assert frames_module.parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["31/02/2025", "2025-13-01", "03/15/2025", "hôm qua", "45721", 0])
def test_parse_date_refuses(cell: object) -> None:
    with pytest.raises(ValueError):
        frames_module.parse_date(cell)


def test_clean_file_imports_with_phones_apart(engine: Engine, tmp_path: Path) -> None:
    seen: list[ImportProgress] = []
    report = run_import(engine, write_csv(tmp_path / "f.csv", good_rows()), progress=seen.append)
    assert report.status == "ready"
    assert (report.rows_read, report.imported, report.rejected) == (5, 5, 0)
    assert report.not_contactable == 2  # a landline and an empty cell
    assert report.errors == 0
    assert report.warnings == 3  # two phones and a due date before the receipt date
    assert report.duplicate_phone_dossiers == 2  # HS-003 and HS-010 share +84912345678
    assert report.duplicate_phone_groups == 1
    assert report.content_hash == expected_hash(EXPECTED_LINES)
    assert [p.phase for p in seen][-2:] == ["hashing", "done"]

    with Session(engine) as session:
        frame = get_frame(session, report.frame_id)
        assert (frame.status, frame.row_count, frame.content_hash) == (
            "ready",
            5,
            expected_hash(EXPECTED_LINES),
        )
        dossiers = {
            d.dossier_code: d
            for d in session.exec(select(Dossier).where(Dossier.frame_id == frame.id)).all()
        }
        assert dossiers["HS-003"].row_number == 2
        assert dossiers["HS-003"].completed_date == date(2025, 3, 5)
        assert dossiers["HS-001"].received_date == date(2025, 1, 2)
        assert dossiers["HS-002"].due_date == date(2025, 1, 15)
        assert dossiers["HS-004"].due_date is None
        assert dossiers["HS-002"].agency_name == "UBND xã Tân Phú, TP HCM"
        assert {c: d.contactable for c, d in dossiers.items()} == {
            "HS-001": True,
            "HS-002": False,
            "HS-003": True,
            "HS-004": False,
            "HS-010": True,
        }
        contacts = {
            c.dossier_id: (c.phone_e164, c.phone_as_given)
            for c in session.exec(select(DossierContact)).all()
        }
        assert contacts == {
            dossiers["HS-001"].id: ("+84323456789", "01623456789"),
            dossiers["HS-003"].id: ("+84912345678", "0912 345 678"),
            dossiers["HS-010"].id: ("+84912345678", "+84 912 345 678"),
        }
        groups = phone_duplicate_groups(session, report.frame_id)
        hs3, hs10 = dossiers["HS-003"].id, dossiers["HS-010"].id
        assert hs3 is not None and hs10 is not None
        assert groups == [(min(hs3, hs10), max(hs3, hs10))]
        warnings = frame_problems(session, report.frame_id, severity="warning")
        assert [(p.row_number, p.field) for p in warnings] == [
            (4, "due_date"),
            (4, "phone"),
            (6, "phone"),
        ]
        assert "landline" in warnings[1].message
        assert "+84" not in warnings[1].message and "3823" not in warnings[1].message


def test_one_bad_row_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    rows = good_rows()
    rows[3][11] = "2025-03-31"  # completed before received (2025-04-01)
    report = run_import(engine, write_csv(tmp_path / "f.csv", rows))
    assert report.status == "rejected"
    assert (report.rows_read, report.imported, report.rejected) == (5, 0, 1)
    (error,) = [p for p in report.problems if p.severity == "error"]
    assert (error.row_number, error.field) == (5, "completed_date")
    assert error.message == (
        "completed_date 2025-03-31 is before received_date 2025-04-01: check the two dates"
    )
    assert "--accept-valid-rows" in "\n".join(report.summary_lines())
    with Session(engine) as session:
        assert counts(session, report.frame_id) == (0, 0)
        assert session.exec(select(func.count()).select_from(DossierContact)).one() == 0
        frame = get_frame(session, report.frame_id)
        assert (frame.status, frame.row_count, frame.rejected_count) == ("rejected", 0, 1)
        stored = frame_problems(session, report.frame_id, severity="error")
        assert [(p.row_number, p.field, p.message) for p in stored] == [
            (5, "completed_date", error.message)
        ]


def test_accepting_the_report_imports_the_valid_rows(engine: Engine, tmp_path: Path) -> None:
    rows = good_rows()
    rows[3][11] = "2025-03-31"
    report = run_import(engine, write_csv(tmp_path / "f.csv", rows), accept_valid_rows=True)
    assert report.status == "ready"
    assert (report.imported, report.rejected, report.errors) == (4, 1, 1)
    assert report.content_hash == expected_hash(EXPECTED_LINES[:4])
    with Session(engine) as session:
        assert counts(session, report.frame_id) == (4, 2)
        codes = session.exec(
            select(Dossier.dossier_code).where(Dossier.frame_id == report.frame_id)
        ).all()
        assert sorted(codes) == ["HS-001", "HS-002", "HS-003", "HS-004"]
        (error,) = frame_problems(session, report.frame_id, severity="error")
        assert (error.row_number, error.field) == (5, "completed_date")


def test_every_kind_of_bad_row_is_named(engine: Engine, tmp_path: Path) -> None:
    base = good_rows()[0]

    def row(code: str, **changes: str) -> list[str]:
        values = dict(zip(VN_HEADER, [code, *base[1:]], strict=True))
        values.update({VN_HEADER[int(k[1:])]: v for k, v in changes.items()})
        return list(values.values())

    rows = [
        row("A1"),  # row 2, valid
        row("A1"),  # row 3, duplicate of row 2
        row("A2", c5="phường huyện"),  # row 4, unknown level
        row("A3", c8="email"),  # row 5, unknown channel
        row("A4", c9="31/02/2025"),  # row 6, not a real date
        row("A5", c11="2025-13-01"),  # row 7, malformed date
        row("A6", c3=""),  # row 8, missing province code
        row("", c1=""),  # row 9, missing dossier and agency codes
        row("A7", c11="2027-01-01"),  # row 10, completed in the future
        row("A8", c10="soon"),  # row 11, malformed optional due date
        row("A9", c9="03/15/2025"),  # row 12, month first: not the Vietnamese order
        row("A10", c9=""),  # row 13, missing received date
    ]
    report = run_import(engine, write_csv(tmp_path / "f.csv", rows), accept_valid_rows=True)
    errors = [(p.row_number, p.field) for p in report.problems if p.severity == "error"]
    assert errors == [
        (3, "dossier_code"),
        (4, "level"),
        (5, "channel"),
        (6, "received_date"),
        (7, "completed_date"),
        (8, "province_code"),
        (9, "agency_code"),
        (9, "dossier_code"),
        (10, "completed_date"),
        (11, "due_date"),
        (12, "received_date"),
        (13, "received_date"),
    ]
    messages = {(p.row_number, p.field): p.message for p in report.problems}
    assert "already appears in row 2" in messages[(3, "dossier_code")]
    assert "use one of province, district, commune, central" in messages[(4, "level")]
    assert "use one of direct, online, postal" in messages[(5, "channel")]
    assert (
        "'31/02/2025' is not a date: write YYYY-MM-DD or DD/MM/YYYY"
        in messages[(6, "received_date")]
    )
    assert messages[(8, "province_code")] == "province_code is empty: every dossier needs one"
    assert "in the future" in messages[(10, "completed_date")]
    assert (report.imported, report.rejected) == (1, 11)
    assert report.status == "ready"


def test_duplicates_across_batches_keep_the_first_valid_row(engine: Engine, tmp_path: Path) -> None:
    base = good_rows()[0]
    rows = [[f"D{i}", *base[1:]] for i in range(7)]
    rows.append(["D5", *base[1:]])  # row 10 repeats row 8, in another batch
    rows.insert(0, ["D6", *base[1:5], "cấp lạ", *base[6:]])  # row 2: invalid, so D6 is free
    report = run_import(
        engine, write_csv(tmp_path / "f.csv", rows), accept_valid_rows=True, batch_size=3
    )
    errors = [(p.row_number, p.field, p.message) for p in report.problems if p.severity == "error"]
    assert [(r, f) for r, f, _ in errors] == [(2, "level"), (10, "dossier_code")]
    assert "already appears in row 8" in errors[1][2]
    with Session(engine) as session:
        kept = session.exec(
            select(Dossier.dossier_code, Dossier.row_number).where(
                Dossier.frame_id == report.frame_id
            )
        ).all()
    assert sorted(kept) == [(f"D{i}", i + 3) for i in range(7)]


def test_xlsx_with_date_cells(engine: Engine, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(VN_HEADER)
    for r in good_rows():
        cells: list[object] = list(r)
        cells[9] = datetime.strptime(r[9], "%Y-%m-%d") if "-" in r[9] else r[9]
        sheet.append(cells)
    # A province code typed as a number, dates as date cells and as an Excel serial number,
    # and a phone stored as a number (Excel drops its leading zero).
    sheet["D2"] = 1
    sheet["L3"] = datetime(2025, 1, 20)
    sheet["L4"] = 45691  # 2025-02-03 in Excel's 1900 date system
    sheet["M2"] = 912345678
    path = tmp_path / "khung.xlsx"
    workbook.save(path)
    report = run_import(engine, path)
    assert report.status == "ready", report.problems
    assert report.content_hash == expected_hash(EXPECTED_LINES)
    with Session(engine) as session:
        dossier = session.exec(select(Dossier).where(Dossier.dossier_code == "HS-002")).one()
        assert dossier.completed_date == date(2025, 2, 3)
        contact = session.exec(
            select(DossierContact)
            .join(Dossier, col(Dossier.id) == col(DossierContact.dossier_id))
            .where(Dossier.dossier_code == "HS-003")
        ).one()
        assert contact.phone_e164 == "+84912345678"


def test_hash_ignores_row_order_and_agrees_across_files(engine: Engine, tmp_path: Path) -> None:
    rows = good_rows()
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    first = run_import(engine, write_csv(tmp_path / "a.csv", rows))
    second = run_import(engine, write_csv(tmp_path / "b.csv", shuffled, sep=";"))
    assert first.content_hash == second.content_hash == expected_hash(EXPECTED_LINES)
    with Session(engine) as session:
        # Two frames hold the same codes; the ids reserved for each never collide.
        ids = session.exec(select(Dossier.id)).all()
        assert len(ids) == len(set(ids)) == 10
        assert [f.id for f in list_frames(session)] == [second.frame_id, first.frame_id]


def test_concurrent_imports_never_share_dossier_ids(engine: Engine, tmp_path: Path) -> None:
    base = good_rows()[0]
    paths = [
        write_csv(tmp_path / f"{k}.csv", [[f"C{k}-{i}", *base[1:]] for i in range(300)])
        for k in range(3)
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        reports = list(pool.map(lambda p: run_import(engine, p, batch_size=50), paths))
    assert [r.status for r in reports] == ["ready"] * 3
    with Session(engine) as session:
        rows = session.exec(select(Dossier.id, Dossier.frame_id, Dossier.dossier_code)).all()
        contacts = session.exec(select(DossierContact.dossier_id)).all()
    ids = [dossier_id for dossier_id, _, _ in rows if dossier_id is not None]
    assert len(ids) == len(set(ids)) == 900
    # Each frame holds its own file's codes, and every contact points at one of its dossiers.
    frame_of_file = {r.frame_id: k for k, r in enumerate(reports)}
    assert all(code.startswith(f"C{frame_of_file[frame]}-") for _, frame, code in rows)
    assert sorted(contacts) == sorted(ids)


def test_unusable_header_creates_nothing(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        run_import(engine, write_csv(tmp_path / "f.csv", good_rows()), column_map={})
    assert caught.value.problems[0].loc == ("header", "channel")
    with Session(engine) as session:
        assert list_frames(session) == []


def test_header_without_rows_is_rejected_with_a_reason(engine: Engine, tmp_path: Path) -> None:
    report = run_import(engine, write_csv(tmp_path / "f.csv", []), accept_valid_rows=True)
    assert report.status == "rejected"
    (problem,) = report.problems
    assert (problem.row_number, problem.field) == (2, "file")
    assert "no data rows" in problem.message


def test_unreadable_file_midway_keeps_a_rejected_frame(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", good_rows())
    path.write_bytes(path.read_bytes() + b"HS-9,\xff\xfe broken\r\n")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        run_import(engine, path, batch_size=2)
    with Session(engine) as session:
        (frame,) = list_frames(session)
        assert frame.status == "rejected"
        assert counts(session, frame.id) == (0, 0)
        (problem,) = frame_problems(session, frame.id, severity="error")
        assert (problem.row_number, problem.field) == (7, "file")
        assert "CSV UTF-8" in problem.message


def test_problem_storage_is_capped_but_counted(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frames_module, "MAX_STORED_PROBLEMS", 2)
    base = good_rows()[0]
    rows = [[f"B{i}", *base[1:5], "?", *base[6:]] for i in range(5)]
    report = run_import(engine, write_csv(tmp_path / "f.csv", rows))
    assert report.errors == 5
    assert len(report.problems) == 2
    assert report.problems_not_stored == 3
    with Session(engine) as session:
        stored = session.exec(
            select(func.count())
            .select_from(FrameImportProblem)
            .where(FrameImportProblem.frame_id == report.frame_id)
        ).one()
        assert stored == 2


def test_text_over_the_column_limit_is_a_row_error(engine: Engine, tmp_path: Path) -> None:
    rows = good_rows()
    rows[0][2] = "Sở " + "x" * 300
    rows[1][7] = "tab\tand back\\slash"  # special characters survive PostgreSQL's COPY
    report = run_import(engine, write_csv(tmp_path / "f.csv", rows), accept_valid_rows=True)
    (error,) = [p for p in report.problems if p.severity == "error"]
    assert (error.row_number, error.field) == (2, "agency_name")
    assert "over the limit of 255" in error.message
    with Session(engine) as session:
        stored = session.exec(
            select(Dossier.procedure_field).where(Dossier.dossier_code == "HS-001")
        ).one()
    assert stored == "tab\tand back\\slash"


def test_frame_queries(engine: Engine, session: Session) -> None:
    with pytest.raises(NotFound) as caught:
        get_frame(session, 404)
    assert "there is no frame 404" in caught.value.problems[0].msg
    with pytest.raises(NotFound):
        frame_problems(session, 404)
    frame = Frame(name="empty")
    session.add(frame)
    session.commit()
    assert frame.id is not None
    assert phone_duplicate_groups(session, frame.id) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM dossier")).scalar_one() == 0


def nfd(text_value: str) -> str:
    return unicodedata.normalize("NFD", text_value)


def test_decomposed_text_is_the_same_field_and_stratum(engine: Engine, tmp_path: Path) -> None:
    rows = good_rows()
    # HS-001 and HS-002 typed on a Mac (NFD): same agency name, field and province as composed.
    rows[1][2], rows[1][7] = nfd("UBND xã Tân Phú"), nfd("Đất đai")
    rows[0][7] = nfd("Hộ tịch")
    assert rows[0][7] != "Hộ tịch"  # the test really feeds decomposed text
    report = run_import(engine, write_csv(tmp_path / "f.csv", rows))
    assert report.status == "ready"
    # The hash is that of the composed content, as if the file had been typed in NFC.
    assert report.content_hash == expected_hash(EXPECTED_LINES)
    with Session(engine) as session:
        fields = session.exec(
            select(Dossier.procedure_field).where(Dossier.frame_id == report.frame_id)
        ).all()
        names = session.exec(
            select(Dossier.agency_name).where(Dossier.agency_code == "UBND-X1")
        ).all()
    assert sorted(set(fields)) == ["Hộ tịch", "Xuất nhập cảnh", "Đất đai"]
    assert all(unicodedata.is_normalized("NFC", f) for f in fields)
    assert sorted(names) == ["UBND xã Tân Phú", "UBND xã Tân Phú, TP HCM"]


def test_xlsx_text_is_normalised_too(engine: Engine, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(VN_HEADER)
    rows = good_rows()
    rows[0][7] = nfd("Hộ tịch")
    for r in rows:
        sheet.append(r)
    path = tmp_path / "f.xlsx"
    workbook.save(path)
    report = run_import(engine, path)
    assert report.content_hash == expected_hash(EXPECTED_LINES)


def test_district_level_is_refused_after_the_2025_reform(engine: Engine, tmp_path: Path) -> None:
    base = good_rows()[4]  # HS-004: level "huyện", completed 2025-03-03 (accepted: before)
    before = [*base[:11], "30/06/2025", ""]
    on_day = ["HS-005", *base[1:9], "2025-06-20", "", "01/07/2025", ""]
    later = ["HS-006", *base[1:5], "Cấp huyện", *base[6:9], "2025-08-01", "", "2025-08-02", ""]
    commune = ["HS-007", *base[1:5], "xã", *base[6:9], "2025-08-01", "", "2025-08-02", ""]
    report = run_import(
        engine,
        write_csv(tmp_path / "f.csv", [before, on_day, later, commune]),
        accept_valid_rows=True,
    )
    errors = [(p.row_number, p.field) for p in report.problems if p.severity == "error"]
    assert errors == [(3, "level"), (4, "level")]
    messages = {p.row_number: p.message for p in report.problems if p.severity == "error"}
    assert "'huyện' (district) does not exist for a dossier completed on 2025-07-01" in messages[3]
    assert "abolished on 1 July 2025" in messages[3]
    assert "province (tỉnh) or commune (xã)" in messages[3]
    assert "'Cấp huyện'" in messages[4]
    assert (report.imported, report.rejected) == (2, 2)
    with Session(engine) as session:
        kept = session.exec(
            select(Dossier.dossier_code, Dossier.level).where(Dossier.frame_id == report.frame_id)
        ).all()
    assert sorted(kept) == [("HS-004", "district"), ("HS-007", "commune")]


def test_a_frame_gets_the_period_of_its_dossiers(engine: Engine, tmp_path: Path) -> None:
    report = run_import(engine, write_csv(tmp_path / "f.csv", good_rows()))
    # Completion dates of good_rows(): 2025-03-05, 01-20, 02-03, 04-01, 03-03.
    assert (report.period_start, report.period_end) == (date(2025, 1, 20), date(2025, 4, 1))
    assert "period 2025-01-20 to 2025-04-01" in report.summary_lines()
    with Session(engine) as session:
        frame = get_frame(session, report.frame_id)
    assert (frame.period_start, frame.period_end) == (date(2025, 1, 20), date(2025, 4, 1))


def test_a_given_period_is_checked_against_the_dossiers(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", good_rows())
    report = run_import(
        engine,
        path,
        period_start=date(2025, 2, 1),
        period_end=date(2025, 3, 31),
        accept_valid_rows=True,
    )
    errors = [(p.row_number, p.field) for p in report.problems if p.severity == "error"]
    assert errors == [(3, "completed_date"), (5, "completed_date")]  # 01-20 and 04-01
    messages = {p.row_number: p.message for p in report.problems if p.severity == "error"}
    assert "2025-01-20 is outside the frame's period 2025-02-01 to 2025-03-31" in messages[3]
    assert (report.period_start, report.period_end) == (date(2025, 2, 1), date(2025, 3, 31))
    with Session(engine) as session:
        frame = get_frame(session, report.frame_id)
    assert (frame.period_start, frame.period_end) == (date(2025, 2, 1), date(2025, 3, 31))
    for kwargs, loc in (
        ({"period_start": date(2025, 1, 1)}, "period_end"),
        ({"period_end": date(2025, 1, 1)}, "period_start"),
        ({"period_start": date(2025, 2, 1), "period_end": date(2025, 1, 1)}, "period_end"),
    ):
        with pytest.raises(InvalidInput) as caught:
            run_import(engine, path, **kwargs)
        assert caught.value.problems[0].loc == (loc,)


def test_the_same_content_for_the_same_period_is_flagged(engine: Engine, tmp_path: Path) -> None:
    rows = good_rows()
    first = run_import(engine, write_csv(tmp_path / "quy1.csv", rows))
    assert first.same_content_as == ()
    assert [p for p in first.problems if p.field == "file"] == []
    # The same dossiers in another order and another file name: still the same frame content.
    second = run_import(engine, write_csv(tmp_path / "quy1-lan2.csv", rows[::-1]))
    assert second.status == "ready"
    assert second.same_content_as == (first.frame_id,)
    (warning,) = [p for p in second.problems if p.field == "file"]
    assert warning.severity == "warning" and warning.row_number == 0
    assert f"same content as frame {first.frame_id} 'Khung mẫu 2025'" in warning.message
    assert "'quy1.csv'" in warning.message and "period 2025-01-20 to 2025-04-01" in warning.message
    assert any(line.startswith("WARNING: the same content") for line in second.summary_lines())
    with Session(engine) as session:
        stored = frame_problems(session, second.frame_id, severity="warning")
        assert [p.message for p in stored if p.field == "file"] == [warning.message]
    # Another period (given by the coordinator) is another frame, however similar.
    third = run_import(
        engine,
        write_csv(tmp_path / "nam.csv", rows),
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
    )
    assert third.same_content_as == ()
    # One changed dossier is other content.
    rows[0][7] = "Chứng thực"
    fourth = run_import(engine, write_csv(tmp_path / "sua.csv", rows))
    assert fourth.same_content_as == ()


def test_a_truncated_workbook_is_a_clear_error_and_no_frame(engine: Engine, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(VN_HEADER)
    for r in good_rows():
        sheet.append(r)
    whole = tmp_path / "whole.xlsx"
    workbook.save(whole)
    cut = tmp_path / "khung-bi-cat.xlsx"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    with pytest.raises(InvalidInput) as caught:
        run_import(engine, cut)
    (problem,) = caught.value.problems
    assert problem.loc == ("file",)
    assert problem.msg.startswith("khung-bi-cat.xlsx is damaged, truncated or not a workbook")
    with Session(engine) as session:
        assert list_frames(session) == []


def test_the_report_counts_every_kind_in_the_files_own_columns(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frames_module, "MAX_STORED_PROBLEMS", 3)
    base = good_rows()[0]
    rows = [[f"K{i}", *base[1:5], "cấp lạ", *base[6:]] for i in range(6)]  # 6 unknown levels
    rows += [[f"F{i}", *base[1:11], "2027-01-01", ""] for i in range(2)]  # 2 in the future
    rows.append(["OK", *base[1:12], ""])  # valid, no phone: a warning
    rows.append(["OK", *base[1:]])  # a repeated code
    report = run_import(engine, write_csv(tmp_path / "f.csv", rows), accept_valid_rows=True)
    assert (report.errors, report.warnings) == (9, 1)
    assert [(k.severity, k.field, k.count) for k in report.counts_by_kind] == [
        ("error", "level", 6),
        ("error", "completed_date", 2),
        ("error", "dossier_code", 1),
        ("warning", "phone", 1),
    ]
    lines = report.summary_lines()
    assert "problems 10: errors 9; warnings 1" in lines
    assert "  error 'Cấp' (level): 6" in lines
    assert "  error 'Ngày trả kết quả' (completed_date): 2" in lines
    assert "  warning 'Số điện thoại' (phone): 1" in lines
    # Only 3 errors are kept: the report says how many more it counted.
    assert report.problems_not_stored == 6
    assert any(line.startswith("6 problems are counted above but not listed") for line in lines)
    assert frames_module.DUPLICATE_RULE in lines  # a code was repeated
    with Session(engine) as session:
        stored = frames_module.frame_problem_kinds(session, report.frame_id)
    assert [(k.severity, k.field, k.count) for k in stored] == [
        ("error", "level", 3),
        ("warning", "phone", 1),
    ]


def test_a_clean_or_rejected_summary_says_only_what_is_true(engine: Engine, tmp_path: Path) -> None:
    clean = [[f"C{i}", *good_rows()[0][1:]] for i in range(3)]
    lines = run_import(engine, write_csv(tmp_path / "ok.csv", clean)).summary_lines()
    assert frames_module.DUPLICATE_RULE not in lines  # no code was repeated
    assert lines[1].startswith("rows read 3; imported 3; rejected 0; not contactable 0")
    bad = [*clean, [*clean[0][:5], "?", *clean[0][6:]]]
    bad[-1][0] = "C9"
    report = run_import(engine, write_csv(tmp_path / "bad.csv", bad))
    assert report.status == "rejected"
    lines = report.summary_lines()
    assert lines[1] == "rows read 4; rejected 1; nothing imported"
    assert not any("not contactable" in line for line in lines)
