"""Frames API: upload CSV/XLSX, the import report, the one error model, scopes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import Session

from api.app import create_app
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.design_frames import HEADER, frame_rows, write_csv


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def csv_bytes(tmp_path: Path, rows: list[tuple[str, ...]]) -> bytes:
    return write_csv(tmp_path / "upload.csv", rows).read_bytes()


def test_upload_csv_and_read_the_report(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    headers = bearer(session, "coordinator")
    rows = frame_rows({("A", "01"): 4, ("B", "24"): 3})
    response = client.post(
        "/api/frames",
        headers=headers,
        files={"file": ("list.csv", csv_bytes(tmp_path, rows), "text/csv")},
        data={"name": "Quý III"},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["status"], report["imported"], report["rejected"]) == ("ready", 7, 0)
    frame_id = report["frame_id"]
    listed = client.get("/api/frames", headers=headers).json()
    assert [f["id"] for f in listed] == [frame_id]
    one = client.get(f"/api/frames/{frame_id}", headers=headers).json()
    assert one["frame"]["row_count"] == 7 and len(one["frame"]["content_hash"]) == 64


def test_malformed_upload_is_422_naming_row_and_field(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    headers = bearer(session, "coordinator")
    rows = frame_rows({("A", "01"): 3})
    bad = list(rows[1])
    bad[HEADER.index("completed_date")] = "31/02/2025"  # no such day
    rows[1] = tuple(bad)
    response = client.post(
        "/api/frames",
        headers=headers,
        files={"file": ("list.csv", csv_bytes(tmp_path, rows), "text/csv")},
        data={"name": "bad"},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert ["row", 3, "completed_date"] in [p["loc"] for p in detail]  # header is row 1
    frame_id = int(detail[0]["msg"].split()[1])
    problems = client.get(f"/api/frames/{frame_id}/problems", headers=headers).json()
    assert [(p["row_number"], p["field"]) for p in problems if p["severity"] == "error"] == [
        (3, "completed_date")
    ]
    # Accepting the report imports the valid rows.
    response = client.post(
        "/api/frames",
        headers=headers,
        files={"file": ("list.csv", csv_bytes(tmp_path, rows), "text/csv")},
        data={"name": "bad, accepted", "accept_valid_rows": "true"},
    )
    assert response.status_code == 201
    assert (response.json()["imported"], response.json()["rejected"]) == (2, 1)


def test_xlsx_upload_with_mapped_vietnamese_headers(client: TestClient, session: Session) -> None:
    headers = bearer(session, "admin")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    names = ["Số hồ sơ", *HEADER[1:]]
    sheet.append(names)
    for row in frame_rows({("A", "01"): 2}):
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(
        "/api/frames",
        headers=headers,
        files={"file": ("list.xlsx", buffer.getvalue(), "application/octet-stream")},
        data={"name": "xlsx", "column_map": "Số hồ sơ=dossier_code"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 2
    assert response.json()["column_headers"]["dossier_code"] == "Số hồ sơ"
    frame = client.get(f"/api/frames/{response.json()['frame_id']}", headers=headers).json()
    assert frame["frame"]["column_headers"]["dossier_code"] == "Số hồ sơ"


def test_bad_file_type_and_bad_column_map(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    headers = bearer(session, "coordinator")
    response = client.post(
        "/api/frames",
        headers=headers,
        files={"file": ("list.pdf", b"%PDF", "application/pdf")},
        data={"name": "x"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["file"]
    response = client.post(
        "/api/frames",
        headers=headers,
        files={"file": ("list.csv", b"a,b\n", "text/csv")},
        data={"name": "x", "column_map": "{not json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["column_map"]


def test_roles_and_scopes(client: TestClient, session: Session, tmp_path: Path) -> None:
    coordinator = bearer(session, "coordinator")
    analyst = bearer(session, "analyst")
    local = bearer(session, "coordinator", "bn", scopes=[("province", "24")])
    rows = frame_rows({("A", "01"): 4, ("B", "24"): 3})
    upload = {"file": ("list.csv", csv_bytes(tmp_path, rows), "text/csv")}
    assert client.post("/api/frames", files=upload, data={"name": "x"}).status_code == 401
    denied = client.post("/api/frames", headers=analyst, files=upload, data={"name": "x"})
    assert denied.status_code == 403
    frame_id = client.post(
        "/api/frames", headers=coordinator, files=upload, data={"name": "x"}
    ).json()["frame_id"]
    # Analysts never see dossiers (docs/access.md); a national coordinator sees them all.
    assert client.get(f"/api/frames/{frame_id}/dossiers", headers=analyst).status_code == 403
    everything = client.get(f"/api/frames/{frame_id}/dossiers", headers=coordinator).json()
    assert len(everything) == 7 and "phone" not in everything[0]
    mine = client.get(f"/api/frames/{frame_id}/dossiers", headers=local).json()
    assert {d["agency_code"] for d in mine} == {"B"}


def test_upload_with_a_period_and_a_second_copy(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    headers = bearer(session, "coordinator")
    rows = frame_rows({("A", "01"): 4})  # completed 5 to 8 July 2025
    upload = {"file": ("quy3.csv", csv_bytes(tmp_path, rows), "text/csv")}
    first = client.post("/api/frames", headers=headers, files=upload, data={"name": "Q3"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["period_start"], body["period_end"]) == ("2025-07-05", "2025-07-08")
    assert body["same_content_as"] == []
    second = client.post("/api/frames", headers=headers, files=upload, data={"name": "Q3 lại"})
    body = second.json()
    assert body["same_content_as"] == [first.json()["frame_id"]]
    assert {"severity": "warning", "field": "file", "column": "", "count": 1} in body[
        "problem_kinds"
    ]
    narrow = client.post(
        "/api/frames",
        headers=headers,
        files=upload,
        data={"name": "Q3 hẹp", "period_start": "2025-07-01", "period_end": "2025-07-06"},
    )
    assert narrow.status_code == 422
    locs = [p["loc"] for p in narrow.json()["detail"]]
    assert ["row", 4, "completed_date"] in locs and ["row", 5, "completed_date"] in locs
    bad = client.post(
        "/api/frames",
        headers=headers,
        files=upload,
        data={"name": "x", "period_start": "2025-07-09", "period_end": "2025-07-01"},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["period_end"]
