"""Answer pages for every question type and display conditions, walked without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.app import create_app
from survey.models import Campaign, Response
from survey.questionnaires import create_draft, publish_questionnaire
from survey.settings import Settings
from tests.survey.national_form_fixture import typed_definition
from tests.survey.responses_fixtures import build_fieldwork


@pytest.fixture
def token(engine: Engine, session: Session, settings: Settings) -> str:
    """An invitation to the typed questionnaire (blocks, grids, bands, a Q8 condition)."""
    fieldwork = build_fieldwork(session, settings.secret_key, n=2)
    row = create_draft(session=session, definition=typed_definition())
    assert row.id is not None
    publish_questionnaire(session=session, questionnaire_id=row.id)
    campaign = session.get(Campaign, fieldwork.campaign_id)
    assert campaign is not None
    campaign.questionnaire_id = row.id
    session.add(campaign)
    session.commit()
    return fieldwork.tokens[0]


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found
    return found.group(1)


def _post(client: TestClient, token: str, number: int, csrf: str, **form: Any) -> Any:
    return client.post(f"/r/{token}/p/{number}", data={"csrf": csrf, **form})


def _answers(session: Session) -> dict[str, Any]:
    session.expire_all()
    rows = list(session.exec(select(Response)).all())
    assert len(rows) == 1
    return dict(rows[0].answers)


def test_every_type_renders_and_q8_skips_the_blocks_it_gates(
    client: TestClient, session: Session, token: str
) -> None:
    csrf = _csrf(client.get(f"/r/{token}").text)
    assert (
        client.post(f"/r/{token}/start", data={"csrf": csrf}).headers["location"].endswith("/p/1")
    )

    profile = client.get(f"/r/{token}/p/1").text
    assert "<h1>Thông tin người trả lời</h1>" in profile
    # Bands and single choices are radios with real labels, inside a fieldset with a legend.
    assert '<label class="opt" for="age_band-a35_plus">' in profile
    assert 'type="radio" id="age_band-a35_plus" name="age_band" value="a35_plus"' in profile
    assert "<script" not in profile
    missing = _post(client, token, 1, csrf, sex="female")
    assert missing.status_code == 422 and 'href="#age_band"' in missing.text
    saved = _post(client, token, 1, csrf, sex="female", age_band="a25_34")
    assert saved.headers["location"] == f"/r/{token}/p/2"

    grid = client.get(f"/r/{token}/p/2").text
    css = (Path(__file__).resolve().parents[2] / "api" / "static" / "answer.css").read_bytes()
    assert len(grid.encode()) + len(css) <= 30 * 1024  # the phone-first page budget
    assert "<legend>Giải quyết thủ tục hành chính</legend>" in grid
    assert 'type="radio" id="q8_procedure-no" name="q8_procedure" value="no"' in grid
    # One row left out: the error names that row, in Vietnamese.
    bad = _post(client, token, 2, csrf, q8_school="no")
    assert bad.status_code == 422
    assert 'id="q8_procedure-error"' in bad.text and 'href="#q8_procedure"' in bad.text
    # No child at school and no procedure: the school block and the 5 service pages are skipped.
    skipped = _post(client, token, 2, csrf, q8_school="no", q8_procedure="no")
    assert skipped.headers["location"] == f"/r/{token}/p/9"
    assert client.get(f"/r/{token}/p/4").headers["location"] == f"/r/{token}/p/9"

    priority = client.get(f"/r/{token}/p/9").text
    assert 'name="q10_competence" value="very_much"' in priority
    assert "<span>Rất nhiều</span>" in priority and "<span>Ít</span>" in priority
    assert f'href="/r/{token}/p/2"' in priority  # Back skips the pages not asked
    done = _post(client, token, 9, csrf, q10_information="much", q10_competence="very_much")
    assert done.headers["location"] == f"/r/{token}/p/10"

    last = client.get(f"/r/{token}/p/10?lang=en").text
    assert 'type="checkbox" id="channels-internet" name="channels" value="internet"' in last
    assert 'maxlength="200"' in last and "At most 200 characters" in last
    too_long = _post(client, token, 10, csrf, comments="x" * 201)
    assert too_long.status_code == 422 and "Keep it under 200 characters" in too_long.text
    end = _post(client, token, 10, csrf, channels=["loudspeaker", "internet"], comments="Tốt")
    assert end.headers["location"] == f"/r/{token}/review"

    review = client.get(f"/r/{token}/review?lang=vi").text
    assert "Tiếp cận dịch vụ" not in review  # the service block was not asked
    assert "Giáo dục" not in review
    assert "Giải quyết thủ tục hành chính" in review and "<dd>Không</dd>" in review
    assert "<dd>Nhiều</dd>" in review
    thanks = client.post(f"/r/{token}/submit", data={"csrf": csrf})
    assert thanks.headers["location"] == f"/r/{token}/thanks"
    answers = _answers(session)
    assert answers["q8_procedure"] == "no" and "access_q15" not in answers
    assert answers["channels"] == ["loudspeaker", "internet"]


def test_changing_q8_to_no_drops_the_service_answers(
    client: TestClient, session: Session, token: str
) -> None:
    csrf = _csrf(client.get(f"/r/{token}").text)
    client.post(f"/r/{token}/start", data={"csrf": csrf})
    _post(client, token, 1, csrf, sex="male", age_band="a18_24")
    went = _post(client, token, 2, csrf, q8_school="yes", q8_procedure="yes")
    assert went.headers["location"] == f"/r/{token}/p/3"
    # The school question is required only now that a child attends school.
    assert _post(client, token, 3, csrf).status_code == 422
    assert (
        _post(client, token, 3, csrf, school_level="primary").headers["location"].endswith("/p/4")
    )
    first = client.get(f"/r/{token}/p/4").text
    assert 'name="access_q15"' in first
    codes = re.findall(r'name="(access_q\d+)" value="4"', first)
    assert _post(client, token, 4, csrf, **dict.fromkeys(codes, "4")).status_code == 303
    assert "access_q15" in _answers(session)
    # Back on Q8: no procedure, no child at school. What those blocks held is not kept.
    _post(client, token, 2, csrf, q8_school="no", q8_procedure="no", **{"from": "review"})
    answers = _answers(session)
    assert "access_q15" not in answers and "school_level" not in answers
    assert answers["sex"] == "male"
    review = client.get(f"/r/{token}/review").text
    assert "Tiếp cận dịch vụ" not in review
