"""Issue 14: import problems and refusals in Vietnamese, no command-line hints on web pages,
role names, the OpenAPI security schemes, and the campaign page's totals and explained rates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from api.pages.coordinator import csrf_token
from api.pages.fieldwork import disposition_total
from api.problem_text import accept_language, for_web, known, problem_text
from survey.dispositions import aapor_rates, campaign_dispositions
from survey.frames import import_frame
from survey.settings import Settings
from tests.api.helpers import auth_headers
from tests.api.test_coordinator_pages import csrf_of, sign_in
from tests.survey.campaign_factory import build_fieldwork
from tests.survey.design_frames import frame_rows, write_csv


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _messy_frame(engine: Engine, tmp_path: Path) -> int:
    rows = [list(r) for r in frame_rows({("A", "01"): 12})]
    rows[1][5] = "cấp lạ"  # unknown level
    rows[2][10] = ""  # no phone (warning)
    rows[3][10] = "02437654321"  # landline (warning)
    rows[4][10] = "12345"  # not a mobile (warning)
    rows[5][0] = rows[6][0]  # a repeated dossier code
    report = import_frame(
        engine=engine,
        source=write_csv(tmp_path / "messy.csv", rows),
        name="lộn xộn",
        accept_valid_rows=True,
    )
    assert report.errors >= 2 and report.warnings >= 3
    return report.frame_id


def test_every_problem_of_a_messy_import_reads_in_vietnamese(
    client: TestClient, session: Session, engine: Engine, tmp_path: Path
) -> None:
    frame_id = _messy_frame(engine, tmp_path)
    sign_in(client, session)
    api = client.get(f"/api/frames/{frame_id}/problems")
    assert api.status_code == 200
    english = [p["message"] for p in api.json()]
    assert english and all(known(m) for m in english), [m for m in english if not known(m)]
    vi = client.get(f"/api/frames/{frame_id}/problems", headers={"Accept-Language": "vi-VN"})
    vietnamese = [p["message"] for p in vi.json()]
    assert len(vietnamese) == len(english)
    assert all(v != e for v, e in zip(vietnamese, english, strict=True))
    assert any("không mời qua SMS được" in v for v in vietnamese)
    assert any("đã có ở dòng" in v for v in vietnamese)
    page = client.get(f"/staff/frames/{frame_id}").text
    for message in vietnamese:
        assert message.replace("'", "&#39;") in page
    for word in ("not known", "cannot be invited", "already appears"):
        assert word not in page
    assert '<span class="tag tag-error">lỗi</span>' in page
    assert '<span class="tag tag-warning">cảnh báo</span>' in page
    assert '<span class="tag tag-ready">sẵn sàng</span>' in page
    in_english = client.get(f"/staff/frames/{frame_id}?lang=en").text
    assert "cannot be invited by SMS" in in_english and "không mời qua SMS" not in in_english


def test_the_upload_page_names_the_mapping_box_not_a_command_line_flag(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    sign_in(client, session, "admin")
    csrf = csrf_of(client.get("/staff/frames/upload").text)
    content = "Số hồ sơ;Ngày\nA-1;01/07/2025\n".encode()
    # Missing columns lead to the column-mapping form (tests/api/test_frame_mapping_form.py).
    for lang, wanted in (("vi", "Ghép cột của tệp"), ("en", "Match the file's columns")):
        sent = client.post(
            f"/staff/frames/upload?lang={lang}",
            data={"csrf": csrf, "name": "thiếu cột"},
            files={"file": ("f.csv", content, "text/csv")},
        )
        assert sent.status_code == 200 and "/staff/frames/mapping/" in str(sent.url)
        assert "--map" not in sent.text and "COLUMN=" not in sent.text
        assert wanted.replace("'", "&#39;") in sent.text


def test_role_and_scope_refusals_and_names_in_vietnamese(
    client: TestClient, session: Session
) -> None:
    sign_in(client, session, "analyst")
    home = client.get("/staff").text
    assert "Vai trò: phân tích viên" in home and "(phân tích viên)" in home
    assert "Vai trò: analyst" not in home
    refused = client.get("/staff/frames/upload")
    assert refused.status_code == 403
    assert "vai trò của bạn là phân tích viên" in refused.text
    assert "điều phối viên" in refused.text and "your role" not in refused.text
    english = client.get("/staff/frames/upload?lang=en")
    assert "your role is analyst" in english.text


def test_scoped_coordinator_refusal_is_in_vietnamese(client: TestClient, session: Session) -> None:
    sign_in(client, session, "coordinator", scopes=[("agency", "AGA")])
    refused = client.get("/staff/frames/upload")
    assert refused.status_code == 403
    assert "tài khoản của bạn chỉ được giao một số" in refused.text
    assert "ask a national coordinator" not in refused.text


def test_catalogue_keeps_values_and_unknown_sentences() -> None:
    said = problem_text(
        "dossier_code 'X-1' already appears in row 7: each dossier must appear once; the first "
        "row is kept and this one is rejected",
        "vi",
    )
    assert said.startswith("dossier_code 'X-1' đã có ở dòng 7")
    assert problem_text("this needs the role admin or coordinator; your role is analyst", "vi") == (
        "việc này cần vai trò quản trị viên hoặc điều phối viên; vai trò của bạn là phân tích viên"
    )
    assert problem_text("something new", "vi") == "something new" and not known("something new")
    assert "--accept-valid-rows" not in for_web("(accept the report: --accept-valid-rows).")
    assert accept_language("vi-VN,vi;q=0.9,en;q=0.8") == "vi"
    assert accept_language("en-US,vi;q=0.5") == "en"
    assert accept_language(None) == "en" and accept_language("fr, x;q=abc") == "en"


def test_openapi_declares_bearer_and_cookie_on_staff_operations_only(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schemes["sessionCookie"]["name"] == "sipas_session"
    both = [{"bearerToken": []}, {"sessionCookie": []}]
    assert schema["paths"]["/api/frames"]["get"]["security"] == both
    assert schema["paths"]["/api/frames/{frame_id}/problems"]["get"]["security"] == both
    assert "security" not in schema["paths"]["/api/auth/token"]["post"]
    assert "security" not in schema["paths"]["/healthz"]["get"]
    # What /docs's "Authorize" sends works: the bearer token reaches a staff operation.
    assert client.get("/api/frames").status_code == 401


def test_campaign_page_has_totals_sticky_column_and_rate_definitions(
    settings: Settings, session: Session
) -> None:
    fw = build_fieldwork(session, n=3, without_phone=(2,), activate=True)
    token = auth_headers(session, "coordinator")["Authorization"].removeprefix("Bearer ")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        client.cookies.set("sipas_session", token)
        csrf = csrf_token(settings, token)
        url = f"/staff/campaigns/{fw.campaign.id}"
        assert client.post(f"{url}/invite", data={"csrf": csrf}).status_code == 303
        page = client.get(f"{url}?by=channel").text
        groups = campaign_dispositions(session=session, campaign_id=fw.campaign.id, by="channel")
        assert len(groups) >= 2  # sms and letter: a total is a sum of several rows
        everything = campaign_dispositions(session=session, campaign_id=fw.campaign.id, by="all")
        total = disposition_total(groups)
        assert total.cases == everything[0].cases == sum(g.cases for g in groups)
        assert total.counts == {**dict.fromkeys(total.counts, 0), **everything[0].counts}
        assert total.rates == aapor_rates(everything[0].counts)
        footer = re.search(r"<tfoot>(.*?)</tfoot>", page, re.DOTALL)
        assert footer is not None and "Tổng cộng" in footer.group(1)
        assert f'<td class="num">{total.cases}</td>' in footer.group(1)
        assert 'class="sticky-first"' in page
        assert "<details" in page and "Tỷ lệ hợp tác 1" in page
        assert "I / ((I + P) + R + O)" in page and "AAPOR" in page
        assert '<abbr title="Tỷ lệ trả lời 1: I / ((I + P) + (R + NC + O) + (UH + UO))">' in page
        english = client.get(f"{url}?by=channel&lang=en").text
        assert "Cooperation rate 1" in english and "Total" in english
        # Grouped by "all" there is one row, which is its own total.
        assert "<tfoot>" not in client.get(f"{url}?by=all").text
    css = (Path(__file__).resolve().parents[2] / "api/static/staff.css").read_text()
    assert re.search(r"\.sticky-first th:first-child[^{]*\{[^}]*position: sticky", css)
