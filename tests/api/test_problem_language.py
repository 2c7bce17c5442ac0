"""Issue 14: a use case's problem reaches the reader in their language, on the REST API's JSON
answers (by ``Accept-Language``) and on the staff pages (by the page's language)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from api.problem_text import problem_text
from survey.settings import Settings
from tests.api.helpers import auth_headers
from tests.api.test_coordinator_pages import csrf_of, sign_in
from tests.survey.design_frames import frame_rows, import_rows


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_an_api_error_is_in_vietnamese_when_the_caller_prefers_it(
    client: TestClient, session: Session
) -> None:
    headers = auth_headers(session, "coordinator")
    english = client.get("/api/campaigns/987654", headers=headers)
    vietnamese = client.get(
        "/api/campaigns/987654", headers={**headers, "Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}
    )
    assert english.status_code == vietnamese.status_code == 404
    [en], [vi] = english.json()["detail"], vietnamese.json()["detail"]
    assert en == {"loc": ["campaign_id"], "msg": "no such id", "type": "not_found"}
    # The machine-readable fields stay; the words change, the English original beside them.
    assert vi == {
        "loc": ["campaign_id"],
        "msg": "không có mã số này",
        "type": "not_found",
        "msg_en": "no such id",
    }
    english_first = client.get(
        "/api/campaigns/987654", headers={**headers, "Accept-Language": "en-GB,vi;q=0.8"}
    )
    assert english_first.json() == english.json()


def test_a_role_refusal_on_the_api_names_the_roles_in_vietnamese(
    client: TestClient, session: Session
) -> None:
    headers = {**auth_headers(session, "interviewer"), "Accept-Language": "vi"}
    refused = client.get("/api/frames", headers=headers)
    assert refused.status_code == 403
    [problem] = refused.json()["detail"]
    assert problem["type"] == "permission_denied"
    assert problem["msg"].startswith("việc này cần vai trò ")
    assert problem["msg"].endswith("vai trò của bạn là điều tra viên")
    assert problem["msg_en"].startswith("this needs the role ")


def test_a_message_the_catalogue_does_not_know_stays_english_without_a_twin() -> None:
    from api.errors import problem_body

    body = problem_body([{"loc": ["x"], "msg": "something new", "type": "invalid_input"}], "vi")
    assert body == {"detail": [{"loc": ["x"], "msg": "something new", "type": "invalid_input"}]}


def _design_form(client: TestClient, frame_id: int, lang: str) -> str:
    form = client.get(f"/staff/designs/new?lang={lang}")
    response = client.post(
        f"/staff/designs/new?lang={lang}",
        data={
            "csrf": csrf_of(form.text),
            "name": "x",
            "frame_id": str(frame_id),
            "stratify_by": "agency_code",
            "selection": "srswor",
            "method": "proportional",
            "n_total": "50",
            "margin_applies_to": "total",
            "min_per_stratum": "20",
            "max_per_stratum": "5",
            "action": "preview",
        },
    )
    assert response.status_code == 422
    return html.unescape(response.text)


def test_a_use_case_problem_on_a_staff_page_is_in_the_page_language(
    client: TestClient, session: Session, engine: Engine, tmp_path: Path
) -> None:
    frame_id = import_rows(engine, tmp_path, frame_rows({("A", "01"): 10}))
    sign_in(client, session)
    english = "min_per_stratum 20 exceeds max_per_stratum 5; lower the minimum or raise the maximum"
    vietnamese = problem_text(english, "vi")
    assert vietnamese.startswith("min_per_stratum 20 lớn hơn max_per_stratum 5")
    page_vi = _design_form(client, frame_id, "vi")
    # Beside the field and in the error summary, and the English sentence nowhere.
    assert page_vi.count(vietnamese) == 2 and english not in page_vi
    page_en = _design_form(client, frame_id, "en")
    assert page_en.count(english) == 2 and vietnamese not in page_en


def test_the_staff_error_page_says_a_missing_object_in_vietnamese(
    client: TestClient, session: Session
) -> None:
    sign_in(client, session)
    page = client.get("/staff/releases/987654")
    assert page.status_code == 404
    text = html.unescape(page.text)
    assert "không có kết quả số 987654" in text or "không có mã số này" in text
    assert not re.search(r"\bdoes not exist\b|\bno such id\b", text)


def test_pydantic_field_checks_passed_on_by_a_use_case_read_in_vietnamese() -> None:
    # survey.designs.parse_design passes pydantic's own messages on (the design form shows them).
    from survey.designs import parse_design
    from survey.errors import InvalidInput

    bad = {
        "name": "",
        "frame_id": "a",
        "selection": "zzz",
        "allocation": {"method": "q", "n_total": -1, "p": 2, "deff": 0},
    }
    with pytest.raises(InvalidInput) as raised:
        parse_design(bad)
    messages = [p.msg for p in raised.value.problems]
    assert len(messages) >= 6
    said = [problem_text(m, "vi") for m in messages]
    assert not [m for m, s in zip(messages, said, strict=True) if m == s], messages
    assert "hãy chọn 'srswor', 'systematic' hoặc 'pps'" in said


def test_request_validation_on_the_api_is_in_vietnamese_when_preferred(
    client: TestClient, session: Session
) -> None:
    headers = {**auth_headers(session, "coordinator"), "Accept-Language": "vi"}
    refused = client.get("/api/campaigns/not-a-number", headers=headers)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["type"] == "int_parsing" and problem["loc"] == ["path", "campaign_id"]
    assert problem["msg"] == "hãy ghi một số nguyên"
    assert problem["msg_en"].startswith("Input should be a valid integer")
