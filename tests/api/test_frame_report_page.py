"""The frame report page: the period, the count of problems per kind and in all, beyond 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from survey.frames import import_frame
from survey.settings import Settings
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
