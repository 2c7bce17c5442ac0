"""Coordinator pages: sign-in cookie, language switch, forms without JavaScript, error summary."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from survey.settings import Settings
from tests.api.fast_users import PASSWORD, make_user
from tests.survey.design_frames import frame_rows, import_rows, write_csv


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def sign_in(client: TestClient, session: Session, role: str = "coordinator", **kw: object) -> None:
    make_user(session, role, f"{role}-page", **kw)  # type: ignore[arg-type]
    response = client.post(
        "/staff/sign-in",
        data={"username": f"{role}-page", "password": PASSWORD, "next": "/staff"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def check_accessible(html: str) -> None:
    """Every visible input has a label, and nothing is fetched from another site."""
    inputs = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", html)
    for attributes in inputs:
        if 'type="hidden"' in attributes:
            continue
        field_id = re.search(r'id="([^"]+)"', attributes)
        assert field_id is not None, attributes
        assert f'for="{field_id.group(1)}"' in html, field_id.group(1)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)


def test_sign_in_sets_an_httponly_cookie_and_guards_pages(
    client: TestClient, session: Session
) -> None:
    response = client.get("/staff/frames", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/sign-in?next=/staff/frames"
    make_user(session, "coordinator", "coord")
    response = client.post(
        "/staff/sign-in",
        data={"username": "coord", "password": PASSWORD, "next": "/staff/frames"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff/frames"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sipas_session=") and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    page = client.get("/staff")
    assert page.status_code == 200 and "coord" in page.text
    check_accessible(page.text)
    # The cookie also authorises the JSON API (the download links are API links).
    assert client.get("/api/frames").status_code == 200


def test_wrong_password_shows_the_error_summary(client: TestClient, session: Session) -> None:
    make_user(session, "coordinator", "coord")
    response = client.post(
        "/staff/sign-in", data={"username": "coord", "password": "nope", "next": "/staff"}
    )
    assert response.status_code == 401
    assert "<title>Lỗi: " in response.text and "Có lỗi" in response.text
    assert 'href="#f-username"' in response.text
    check_accessible(response.text)
    english = client.post(
        "/staff/sign-in?lang=en", data={"username": "", "password": "", "next": "/staff"}
    )
    assert "There is a problem" in english.text and "<title>Error: " in english.text
    assert 'href="#f-password"' in english.text


def test_language_switch_is_remembered(client: TestClient, session: Session) -> None:
    sign_in(client, session)
    assert "Danh sách hồ sơ" in client.get("/staff").text
    assert "Frames" in client.get("/staff?lang=en").text
    assert "Frames" in client.get("/staff/frames").text  # the cookie remembers
    assert "Danh sách hồ sơ" in client.get("/staff/frames?lang=vi").text


def test_upload_design_draw_and_download_through_the_pages(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    sign_in(client, session, "admin")
    form = client.get("/staff/frames/upload")
    check_accessible(form.text)
    csv_path = write_csv(tmp_path / "f.csv", frame_rows({("A", "01"): 40, ("B", "24"): 20}))
    response = client.post(
        "/staff/frames/upload",
        data={"csrf": csrf_of(form.text), "name": "Quý III"},
        files={"file": ("f.csv", csv_path.read_bytes(), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    report = client.get(response.headers["location"])
    assert "Quý III" in report.text and "ready" in report.text
    frame_id = response.headers["location"].rsplit("/", 1)[1]

    form = client.get(f"/staff/designs/new?frame_id={frame_id}")
    check_accessible(form.text)
    fields = {
        "csrf": csrf_of(form.text),
        "name": "Thiết kế",
        "frame_id": frame_id,
        "stratify_by": "agency_code",
        "selection": "srswor",
        "method": "proportional",
        "n_total": "12",
        "margin": "",
        "margin_applies_to": "total",
        "p": "0.5",
        "confidence": "0.95",
        "deff": "1",
        "response_rate": "1",
        "min_per_stratum": "0",
        "max_per_stratum": "",
        "power_q": "0.5",
        "m_per_psu": "10",
        "reserve_per_stratum": "1",
    }
    preview = client.post("/staff/designs/new", data={**fields, "action": "preview"})
    assert preview.status_code == 200
    assert re.search(
        r"<th scope=\"row\">Cơ quan A <small class=\"muted\">A</small></th>"
        r"<td class=\"num\">40</td><td class=\"num\">8</td>",
        preview.text,
    )
    saved = client.post(
        "/staff/designs/new", data={**fields, "action": "save"}, follow_redirects=False
    )
    assert saved.status_code == 303
    design_page = client.get(saved.headers["location"])
    check_accessible(design_page.text)
    drawn = client.post(
        f"{saved.headers['location']}/draws",
        data={"csrf": csrf_of(design_page.text), "seed": "2025"},
        follow_redirects=False,
    )
    assert drawn.status_code == 303
    draw_page = client.get(drawn.headers["location"])
    assert "2025" in draw_page.text and "sample.csv?phones=true" in draw_page.text
    link = re.search(r'href="(/api/draws/\d+/sample\.csv\?phones=true)"', draw_page.text)
    assert link is not None
    download = client.get(link.group(1))
    assert download.status_code == 200 and "phone" in download.text.splitlines()[0]


def test_design_form_errors_link_to_their_fields(
    client: TestClient, session: Session, engine: Engine, tmp_path: Path
) -> None:
    frame_id = import_rows(engine, tmp_path, frame_rows({("A", "01"): 10}))
    sign_in(client, session)
    form = client.get("/staff/designs/new")
    response = client.post(
        "/staff/designs/new",
        data={
            "csrf": csrf_of(form.text),
            "name": "x",
            "frame_id": str(frame_id),
            "stratify_by": "agency_code",
            "selection": "srswor",
            "method": "proportional",
            "n_total": "50",
            "margin_applies_to": "total",
            "p": "2",
            "action": "preview",
        },
    )
    assert response.status_code == 422
    assert response.text.count("<title>Lỗi: ") == 1
    assert 'href="#f-p"' in response.text  # p must be below 1
    assert 'aria-invalid="true"' in response.text
    response = client.post(
        "/staff/designs/new",
        data={
            "csrf": csrf_of(form.text),
            "name": "x",
            "frame_id": str(frame_id),
            "stratify_by": "agency_code",
            "n_total": "50",
            "action": "preview",
        },
    )
    # The use case's problem in the page's language (issue 14).
    assert response.status_code == 422 and "lớn hơn tổng thể" in response.text


def test_forms_need_the_session_token_and_the_role(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    sign_in(client, session, "analyst")
    assert client.get("/staff/frames").status_code == 200
    denied = client.get("/staff/frames/upload")
    assert denied.status_code == 403 and "<title>Lỗi: " in denied.text
    forged = client.post("/staff/designs/new", data={"csrf": "0" * 64, "name": "x"})
    assert forged.status_code == 403


def test_upload_page_errors_and_a_rejected_file(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    sign_in(client, session)
    form = client.get("/staff/frames/upload")
    empty = client.post("/staff/frames/upload", data={"csrf": csrf_of(form.text), "name": ""})
    assert empty.status_code == 422
    assert 'href="#f-name"' in empty.text and 'href="#f-file"' in empty.text
    rows = frame_rows({("A", "01"): 3})
    rows[2] = (*rows[2][:9], "not a date", rows[2][10])
    csv_path = write_csv(tmp_path / "bad.csv", rows)
    response = client.post(
        "/staff/frames/upload",
        data={"csrf": csrf_of(form.text), "name": "bad"},
        files={"file": ("bad.csv", csv_path.read_bytes(), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    report = client.get(response.headers["location"])
    assert "rejected" in report.text and "completed_date" in report.text
    assert re.search(r'<td class="num">4</td><td><code>completed_date</code>', report.text)
