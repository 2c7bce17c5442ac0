"""The frame report page: the period, the count of problems per kind and in all, beyond 500,
the file's own column names, and every problem as CSV/XLSX (page and API)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from survey.frames import import_frame
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.api.test_coordinator_pages import check_accessible, csrf_of, sign_in
from tests.survey.design_frames import frame_rows, write_csv


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_report_counts_all_problems_and_says_how_many_it_lists(
    client: TestClient, session: Session, engine: Engine, tmp_path: Path
) -> None:
    rows = [list(r) for r in frame_rows({("A", "01"): 520})]
    for r in rows[:505]:
        r[5] = "cấp lạ"  # an unknown level: 505 errors
    for r in rows[505:508]:
        r[10] = ""  # no phone: 3 warnings
    report = import_frame(
        engine=engine,
        source=write_csv(tmp_path / "f.csv", rows),
        name="nhiều lỗi",
        accept_valid_rows=True,
    )
    assert (report.errors, report.warnings) == (505, 3)
    sign_in(client, session)
    page = client.get(f"/staff/frames/{report.frame_id}").text
    assert "Tổng số vấn đề: 508, theo loại" in page
    assert '<td><code>level</code></td><td><span class="tag tag-error">lỗi</span></td>' in page
    assert '<td class="num">505</td>' in page and '<td class="num">3</td>' in page
    assert "Dưới đây liệt kê 500 trong tổng số 508 vấn đề." in page
    # The 15 rows kept (i = 505..519) were completed on 10..24 July 2025: the frame's period.
    assert "10/07/2025 – 24/07/2025" in page
    english = client.get(f"/staff/frames/{report.frame_id}?lang=en").text
    assert "Problems in all: 508, by kind" in english
    assert "Listed below: 500 of 508 problems." in english
    assert "Period of the frame" in english


def test_the_upload_form_takes_a_period_and_checks_it(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    sign_in(client, session, "admin")
    form = client.get("/staff/frames/upload")
    assert form.status_code == 200
    check_accessible(form.text)
    assert 'id="f-period_start"' in form.text and "Kỳ của danh sách" in form.text
    csv_bytes = write_csv(tmp_path / "f.csv", frame_rows({("A", "01"): 6})).read_bytes()

    def post(**period: str) -> Response:
        return client.post(
            "/staff/frames/upload",
            data={"csrf": csrf_of(form.text), "name": "Quý III", **period},
            files={"file": ("f.csv", csv_bytes, "text/csv")},
            follow_redirects=False,
        )

    refused = post(period_start="2025-07-01")
    assert refused.status_code == 422
    assert "Nhập cả ngày đầu và ngày cuối kỳ, hoặc để trống cả hai" in refused.text
    assert 'href="#f-period_end"' in refused.text
    assert 'value="2025-07-01"' in refused.text  # the coordinator's input is kept
    reversed_ = post(period_start="31/07/2025", period_end="01/07/2025")
    assert "Ngày cuối kỳ đứng trước ngày đầu kỳ" in reversed_.text
    assert "không phải là ngày" in post(period_start="mai", period_end="2025-07-31").text
    # Day-first typing is read as people write it; the frame keeps the period given.
    done = post(period_start="01/07/2025", period_end="30/09/2025")
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"]).text
    assert "01/07/2025 – 30/09/2025" in page


# The file's headers as an agency's export writes them.
VN_HEADER = (
    "Mã hồ sơ",
    "Mã cơ quan",
    "Tên cơ quan",
    "Mã tỉnh",
    "Mã xã",
    "Cấp",
    "Lĩnh vực",
    "Kênh",
    "Ngày tiếp nhận",
    "Ngày trả kết quả",
    "Số điện thoại",
)


def _frame_with_problems(engine: Engine, tmp_path: Path) -> int:
    rows = [list(r) for r in frame_rows({("A", "01"): 3, ("B", "01"): 3})]
    rows[0][5] = '=HYPERLINK("http://evil.example")'  # A's row 2: a formula-looking level
    rows[1][10] = ""  # A's row 3: no phone (a warning, the row is kept)
    rows[4][10] = ""  # B's row 6: no phone
    report = import_frame(
        engine=engine,
        source=write_csv(tmp_path / "vn.csv", rows, header=VN_HEADER),
        name="tiêu đề tiếng Việt",
        accept_valid_rows=True,
    )
    assert (report.errors, report.warnings) == (1, 2)
    return report.frame_id


def test_the_report_names_the_files_own_columns_and_links_the_downloads(
    client: TestClient, session: Session, engine: Engine, tmp_path: Path
) -> None:
    frame_id = _frame_with_problems(engine, tmp_path)
    sign_in(client, session)
    page = client.get(f"/staff/frames/{frame_id}").text
    assert "<td>“Cấp” (<code>level</code>)</td>" in page
    assert "<td>“Số điện thoại” (<code>phone</code>)</td>" in page
    assert f'href="/staff/frames/{frame_id}/problems.csv?lang=vi"' in page
    assert f'href="/staff/frames/{frame_id}/problems.xlsx?lang=vi"' in page

    csv_file = client.get(f"/staff/frames/{frame_id}/problems.csv")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert f"frame-{frame_id}-problems.csv" in csv_file.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[0] == ["Dòng", "Cột trong tệp", "Trường", "Mức độ", "Nội dung"]
    assert [r[:4] for r in rows[1:]] == [
        ["2", "Cấp", "level", "lỗi"],
        ["3", "Số điện thoại", "phone", "cảnh báo"],
        ["6", "Số điện thoại", "phone", "cảnh báo"],
    ]
    assert "không có trong danh mục" in rows[1][4]  # the message in Vietnamese
    assert "không mời qua SMS được" in rows[2][4]

    english = client.get(f"/staff/frames/{frame_id}/problems.xlsx?lang=en")
    assert english.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(english.content)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Row", "Column in the file", "Field", "Severity", "Message"]
    assert values[1][:4] == [2, "Cấp", "level", "error"]
    assert str(values[1][4]).startswith("level '=HYPERLINK")  # the value quoted, not run
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_problem_downloads_through_the_api_and_who_may_have_them(
    client: TestClient, session: Session, engine: Engine, tmp_path: Path
) -> None:
    frame_id = _frame_with_problems(engine, tmp_path)
    national = bearer(session, "coordinator", "national-dl")
    vi = client.get(
        f"/api/frames/{frame_id}/problems.csv", headers={**national, "Accept-Language": "vi"}
    )
    assert vi.status_code == 200
    rows = list(csv.reader(io.StringIO(vi.content.decode("utf-8-sig"))))
    assert rows[0][1] == "Cột trong tệp" and len(rows) == 4
    en = client.get(f"/api/frames/{frame_id}/problems.csv", headers=national)
    rows_en = list(csv.reader(io.StringIO(en.content.decode("utf-8-sig"))))
    assert rows_en[0] == ["Row", "Column in the file", "Field", "Severity", "Message"]
    assert rows_en[2][4].startswith("no phone")
    # A coordinator scoped to agency B gets the problems of B's rows only.
    scoped = bearer(session, "coordinator", "scoped-dl", scopes=[("agency", "B")])
    mine = client.get(f"/api/frames/{frame_id}/problems.xlsx", headers=scoped)
    assert mine.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(mine.content)).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [6]
    # Problems quote row values: never an analyst's.
    analyst = bearer(session, "analyst", "analyst-dl")
    assert client.get(f"/api/frames/{frame_id}/problems.csv", headers=analyst).status_code == 403
    sign_in(client, session, "analyst")
    assert client.get(f"/staff/frames/{frame_id}/problems.xlsx").status_code == 403
    assert "problems.csv" not in client.get(f"/staff/frames/{frame_id}").text
