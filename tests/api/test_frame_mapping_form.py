"""The web upload offers a column-mapping form for a file whose headers the platform cannot read.

A file with unknown headers ("Số HS", "Đơn vị") is staged, the coordinator chooses a column for
each field from ``<select>`` lists, and the staged file is imported; nobody else can use its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from survey.errors import NotFound
from survey.frame_staging import (
    DEFAULT_STAGING_ROOT,
    get_staged_upload,
    stage_upload,
    sweep_staged_uploads,
)
from survey.models.frames import Dossier, Frame
from survey.settings import Settings
from tests.api.fast_users import PASSWORD, make_user
from tests.api.test_coordinator_pages import check_accessible, csrf_of, sign_in
from tests.survey.design_frames import frame_rows, write_csv

HEADER = (
    "Số HS",  # not a known spelling of dossier_code
    "Đơn vị",  # not a known spelling of agency_code
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


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _upload(client: TestClient, tmp_path: Path, header: tuple[str, ...] = HEADER) -> str:
    """Upload a 6-row file; returns where the page sends the coordinator."""
    path = write_csv(tmp_path / "don_vi.csv", frame_rows({("A", "01"): 6}), header=header)
    form = client.get("/staff/frames/upload")
    assert 'name="column_map"' not in form.text  # no text box of "column=field" lines
    sent = client.post(
        "/staff/frames/upload",
        data={"csrf": csrf_of(form.text), "name": "Quý III – Sở Nội vụ"},
        files={"file": ("don_vi.csv", path.read_bytes(), "text/csv")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    return sent.headers["location"]


def _selected(page: str, field: str) -> str | None:
    """The text of the selected option of the field's select."""
    select = re.search(rf'<select id="f-map_{field}".*?</select>', page, re.DOTALL)
    assert select is not None, field
    chosen = re.search(r'<option value="(\d*)" selected>([^<]*)</option>', select.group(0))
    return chosen.group(2) if chosen and chosen.group(1) else None


def _choices(page: str, field: str) -> dict[str, str]:
    select = re.search(rf'<select id="f-map_{field}".*?</select>', page, re.DOTALL)
    assert select is not None
    return {
        text: value
        for value, text in re.findall(r'<option value="(\d+)"[^>]*>([^<]*)<', select.group(0))
    }


def _staging_id(location: str) -> str:
    found = re.fullmatch(r"/staff/frames/mapping/([A-Za-z0-9_-]{22})", location)
    assert found is not None, location
    return found.group(1)


def test_unknown_headers_lead_to_the_mapping_form_and_the_mapped_import_succeeds(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    sign_in(client, session, "coordinator")
    location = _upload(client, tmp_path)
    staging_id = _staging_id(location)
    page = client.get(location)
    assert page.status_code == 200
    check_accessible(page.text)
    html = page.text
    assert "Ghép cột của tệp với các trường" in html
    assert "Cột chưa nhận ra: Số HS, Đơn vị" in html
    assert '<label for="f-map_dossier_code">Mã hồ sơ</label>' in html
    assert "--map" not in html and "COLUMN=" not in html and "<script" not in html
    # Recognised headers are pre-selected; the unknown ones are offered but not chosen.
    assert _selected(html, "province_code") == "Mã tỉnh"
    assert _selected(html, "completed_date") == "Ngày trả kết quả"
    assert _selected(html, "dossier_code") is None and _selected(html, "agency_code") is None
    choices = _choices(html, "dossier_code")
    assert list(choices) == list(HEADER)
    english = client.get(location + "?lang=en").text
    assert "Match the file&#39;s columns to the fields" in english
    assert '<label for="f-map_dossier_code">Dossier code</label>' in english
    assert "Ghép cột" not in english and "bắt buộc" not in english
    client.get(location + "?lang=vi")  # the language is remembered: back to Vietnamese

    form = {f"map_{field}": "" for field in ("dossier_code", "agency_code")}
    # Only the missing ones sent: the required fields without a column are named.
    refused = client.post(location, data={"csrf": csrf_of(html), **form})
    assert refused.status_code == 422
    assert "Chọn cột của tệp cho trường bắt buộc “Mã hồ sơ”" in refused.text
    assert 'href="#f-map_dossier_code"' in refused.text
    assert 'href="#f-map_level"' in refused.text  # nothing chosen for level in this post

    chosen = {
        "map_dossier_code": choices["Số HS"],
        "map_agency_code": choices["Đơn vị"],
        **{
            f"map_{field}": choices[header]
            for field, header in (
                ("agency_name", "Tên cơ quan"),
                ("province_code", "Mã tỉnh"),
                ("commune_code", "Mã xã"),
                ("level", "Cấp"),
                ("procedure_field", "Lĩnh vực"),
                ("channel", "Kênh"),
                ("received_date", "Ngày tiếp nhận"),
                ("completed_date", "Ngày trả kết quả"),
                ("phone", "Số điện thoại"),
            )
        },
    }
    twice = client.post(
        location, data={"csrf": csrf_of(html), **chosen, "map_agency_name": choices["Số HS"]}
    )
    assert twice.status_code == 422
    assert "Cột “Số HS” đã được chọn cho trường “Mã hồ sơ”" in twice.text
    assert _selected(twice.text, "agency_name") == "Số HS"  # the choice is shown again

    done = client.post(location, data={"csrf": csrf_of(html), **chosen}, follow_redirects=False)
    assert done.status_code == 303, done.text
    frame_id = int(done.headers["location"].rsplit("/", 1)[1])
    frame = session.get(Frame, frame_id)
    assert frame is not None
    session.refresh(frame)
    assert frame.status == "ready" and frame.row_count == 6
    assert frame.name == "Quý III – Sở Nội vụ" and frame.source_filename == "don_vi.csv"
    assert frame.column_headers["dossier_code"] == "Số HS"
    assert frame.column_headers["agency_code"] == "Đơn vị"
    codes = sorted(session.exec(select(Dossier.dossier_code).where(Dossier.frame_id == frame_id)))
    assert codes == [f"A-{i:04d}" for i in range(6)]
    # The staged file is gone once imported: the form cannot import it twice.
    assert not (DEFAULT_STAGING_ROOT / staging_id).exists()
    again = client.post(location, data={"csrf": csrf_of(html), **chosen})
    assert again.status_code == 404
    assert "không còn được giữ cho tài khoản của bạn" in again.text


def test_a_recognised_file_is_imported_at_once(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    sign_in(client, session, "admin")
    location = _upload(
        client,
        tmp_path,
        header=("Mã hồ sơ", "Mã cơ quan", *HEADER[2:]),
    )
    assert re.fullmatch(r"/staff/frames/\d+", location)
    page = client.get(location).text
    assert "sẵn sàng" in page


def test_another_user_cannot_use_the_staged_id_and_an_analyst_is_refused(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    sign_in(client, session, "coordinator")
    location = _upload(client, tmp_path)
    staging_id = _staging_id(location)
    client.cookies.clear()
    make_user(session, "coordinator", "other-coordinator")
    signed = client.post(
        "/staff/sign-in",
        data={"username": "other-coordinator", "password": PASSWORD, "next": "/staff"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    other_page = client.get(location)
    assert other_page.status_code == 404
    assert "Số HS" not in other_page.text  # nothing of the file is shown
    csrf = csrf_of(client.get("/staff/frames/upload").text)
    other_post = client.post(location, data={"csrf": csrf, "map_dossier_code": "0"})
    assert other_post.status_code == 404
    # The owner's file is untouched.
    assert (DEFAULT_STAGING_ROOT / staging_id).is_dir()

    client.cookies.clear()
    sign_in(client, session, "analyst")
    assert client.get(location).status_code == 403
    assert client.post(location, data={"csrf": "x"}).status_code == 403


def test_staged_files_are_their_owners_and_swept_after_an_hour(tmp_path: Path) -> None:
    root = tmp_path / "staging"
    source = write_csv(tmp_path / "f.csv", frame_rows({("A", "01"): 2}), header=HEADER)
    then = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    with source.open("rb") as handle:
        staged = stage_upload(
            root=root, source=handle, filename="f.csv", owner_id=7, name="n", now=then
        )
    assert staged.headers == HEADER and staged.needs_mapping
    assert oct(staged.path.parent.stat().st_mode & 0o777) == "0o700"
    assert (
        get_staged_upload(root=root, staging_id=staged.staging_id, owner_id=7, now=then).name == "n"
    )
    with pytest.raises(NotFound):
        get_staged_upload(root=root, staging_id=staged.staging_id, owner_id=8, now=then)
    with pytest.raises(NotFound):
        get_staged_upload(root=root, staging_id="../../etc", owner_id=7, now=then)
    later = then + timedelta(minutes=61)
    with pytest.raises(NotFound):
        get_staged_upload(root=root, staging_id=staged.staging_id, owner_id=7, now=later)
    assert sweep_staged_uploads(root=root, now=then + timedelta(minutes=59)) == 0
    assert staged.path.exists()
    assert sweep_staged_uploads(root=root, now=later) == 1
    assert not staged.path.parent.exists()


def test_a_column_left_out_of_the_form_is_not_read_even_when_recognised(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    sign_in(client, session, "coordinator")
    location = _upload(client, tmp_path)
    html = client.get(location).text
    choices = _choices(html, "dossier_code")
    assert _selected(html, "phone") == "Số điện thoại"  # recognised, pre-selected
    chosen = {
        f"map_{field}": choices[header]
        for field, header in (
            ("dossier_code", "Số HS"),
            ("agency_code", "Đơn vị"),
            ("province_code", "Mã tỉnh"),
            ("level", "Cấp"),
            ("channel", "Kênh"),
            ("received_date", "Ngày tiếp nhận"),
            ("completed_date", "Ngày trả kết quả"),
        )
    }
    # The coordinator chose "(not in the file)" for the phone and every other optional field.
    done = client.post(
        location, data={"csrf": csrf_of(html), **chosen, "map_phone": ""}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    frame_id = int(done.headers["location"].rsplit("/", 1)[1])
    frame = session.get(Frame, frame_id)
    assert frame is not None
    session.refresh(frame)
    assert frame.status == "ready" and "phone" not in frame.column_headers
    assert "agency_name" not in frame.column_headers
    contactable = session.exec(select(Dossier.contactable).where(Dossier.frame_id == frame_id))
    assert list(contactable) == [False] * 6
