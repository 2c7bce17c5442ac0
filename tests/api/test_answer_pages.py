"""The citizen's answer pages, walked with plain HTML forms (no JavaScript), on both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.app import create_app
from survey.models import Campaign, Invitation, Response, SmsOptOut, utcnow
from survey.responses import submit_response
from survey.settings import Settings
from tests.survey.responses_fixtures import (
    AGENCY_NAME,
    Fieldwork,
    build_fieldwork,
    full_answers,
    page_form,
)

CSS = Path(__file__).resolve().parents[2] / "api" / "static" / "answer.css"
PAGE_BUDGET = 30 * 1024  # bytes of HTML + CSS, uncompressed, per page
N_PAGES = 6  # five elements and the extra questions


@pytest.fixture
def fieldwork(engine: Engine, session: Session, settings: Settings) -> Fieldwork:
    return build_fieldwork(session, settings.secret_key, n=4)


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found, "the form has no CSRF field"
    return found.group(1)


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _within_budget(html: str) -> None:
    size = len(html.encode()) + len(CSS.read_bytes())
    assert size <= PAGE_BUDGET, f"page is {size} bytes with its stylesheet"


def _post_page(
    client: TestClient, token: str, number: int, form: dict[str, Any], csrf: str, **extra: str
) -> Any:
    return client.post(f"/r/{token}/p/{number}", data={"csrf": csrf, **extra, **form})


def _responses(session: Session) -> list[Response]:
    session.expire_all()
    return list(session.exec(select(Response)).all())


def test_the_whole_flow_without_javascript(
    client: TestClient, session: Session, fieldwork: Fieldwork
) -> None:
    token = fieldwork.tokens[0]
    definition = fieldwork.definition
    answers = full_answers(definition, 4)

    welcome = client.get(f"/r/{token}")
    assert welcome.status_code == 200
    _within_budget(welcome.text)
    text = _text(welcome.text)
    assert '<html lang="vi">' in welcome.text
    assert AGENCY_NAME in text and "Hộ tịch" in text and "10/09/2026" in text
    assert "không biết ai trả lời" in text  # the anonymity promise
    assert f'href="/r/{token}/opt-out"' in welcome.text
    assert welcome.headers["cache-control"] == "no-store"
    assert welcome.headers["referrer-policy"] == "no-referrer"
    # Opening the link records the first open and nothing else; it never uses the link up.
    invitation = session.get(Invitation, fieldwork.invitation_ids[0])
    assert invitation is not None and invitation.first_opened_at is not None
    assert invitation.started_at is None and not _responses(session)
    assert client.get(f"/r/{token}").status_code == 200
    csrf = _csrf(welcome.text)

    started = client.post(f"/r/{token}/start", data={"csrf": csrf})
    assert (started.status_code, started.headers["location"]) == (303, f"/r/{token}/p/1")

    first = client.get(f"/r/{token}/p/1")
    assert first.status_code == 200
    _within_budget(first.text)
    assert "Phần 1/6" in first.text
    assert re.search(r"<legend>.*?<h1>Tiếp cận dịch vụ hành chính công</h1></legend>", first.text)
    assert '<label class="opt" for="access_q16-5">' in first.text
    assert 'id="access_q16-5" name="access_q16" value="5"' in first.text

    # A page with two items missing: error summary linking to the fields, title prefixed.
    partial = {k: v for k, v in page_form(definition, 0, answers).items() if k == "access_q15"}
    invalid = _post_page(client, token, 1, partial, csrf)
    assert invalid.status_code == 422
    _within_budget(invalid.text)
    assert re.search(r"<title>Lỗi: ", invalid.text)
    assert "Có lỗi" in invalid.text
    for code in ("access_q16", "access_q17", "access_q18"):
        assert f'href="#{code}"' in invalid.text
        assert f'id="{code}-error"' in invalid.text
    assert 'href="#access_q15"' not in invalid.text
    assert re.search(r'name="access_q15" value="0" checked', invalid.text)  # kept
    assert _responses(session)[0].answers == {}

    saved = _post_page(client, token, 1, page_form(definition, 0, answers), csrf)
    assert (saved.status_code, saved.headers["location"]) == (303, f"/r/{token}/p/2")

    # The browser is closed; the citizen opens the link again later, without cookies.
    with TestClient(client.app, follow_redirects=False) as later:
        again = later.get(f"/r/{token}")
        assert "Tiếp tục từ chỗ đã dừng" in again.text
        resumed = later.post(f"/r/{token}/start", data={"csrf": _csrf(again.text)})
        assert resumed.headers["location"] == f"/r/{token}/p/2"
        # Pages are answered in order: a later page sends back to where the citizen is.
        assert later.get(f"/r/{token}/p/5").headers["location"] == f"/r/{token}/p/2"
        page2 = later.get(f"/r/{token}/p/2")
        assert "Phần 2/6" in page2.text
        assert f'href="/r/{token}/p/1"' in page2.text  # the Back link

    for number in range(2, N_PAGES + 1):
        page = client.get(f"/r/{token}/p/{number}")
        assert page.status_code == 200
        _within_budget(page.text)
        assert f"Phần {number}/{N_PAGES}" in page.text
        posted = _post_page(client, token, number, page_form(definition, number - 1, answers), csrf)
        expected = f"/r/{token}/p/{number + 1}" if number < N_PAGES else f"/r/{token}/review"
        assert (posted.status_code, posted.headers["location"]) == (303, expected)
    extra = client.get(f"/r/{token}/p/{N_PAGES}")
    assert 'type="checkbox" id="preferred_channel-online"' in extra.text
    assert "Cán bộ nhiệt tình." in extra.text

    review = client.get(f"/r/{token}/review")
    assert review.status_code == 200
    _within_budget(review.text)
    review_text = _text(review.text)
    assert "Kiểm tra câu trả lời" in review_text
    assert "Không áp dụng / Không biết" in review_text  # criterion 15 answered N/A
    assert "Trực tiếp tại Bộ phận Một cửa" in review_text
    assert f'href="/r/{token}/p/2?from=review#procedures_q20"' in review.text

    # "Change" goes to the page and back to the review.
    change = client.get(f"/r/{token}/p/2?from=review")
    assert 'name="from" value="review"' in change.text
    assert f'href="/r/{token}/review"' in change.text
    changed = page_form(definition, 1, full_answers(definition, 2))
    back = _post_page(client, token, 2, changed, csrf, **{"from": "review"})
    assert back.headers["location"] == f"/r/{token}/review"

    submitted = client.post(f"/r/{token}/submit", data={"csrf": csrf})
    assert (submitted.status_code, submitted.headers["location"]) == (303, f"/r/{token}/thanks")
    retried = client.post(f"/r/{token}/submit", data={"csrf": csrf})
    assert (retried.status_code, retried.headers["location"]) == (303, f"/r/{token}/thanks")
    thanks = client.get(f"/r/{token}/thanks")
    assert thanks.status_code == 200 and "Cảm ơn ông/bà" in thanks.text
    _within_budget(thanks.text)

    rows = _responses(session)
    assert len(rows) == 1 and rows[0].status == "completed"
    assert rows[0].answers["procedures_q20"] == 2 and rows[0].answers["results_q28"] == 4
    assert rows[0].answers["preferred_channel"] == ["direct", "online"]

    done = client.get(f"/r/{token}")
    assert done.status_code == 200 and "Ông/bà đã trả lời khảo sát này" in done.text
    late = _post_page(client, token, 1, page_form(definition, 0, answers), csrf)
    assert "Ông/bà đã trả lời khảo sát này" in late.text
    assert client.get(f"/r/{token}/p/1").status_code == 200  # the completed page, not a form
    assert 'name="csrf"' not in client.get(f"/r/{token}/p/1").text


def test_submitting_with_unanswered_pages_lists_them(
    client: TestClient, session: Session, fieldwork: Fieldwork
) -> None:
    token = fieldwork.tokens[1]
    csrf = _csrf(client.get(f"/r/{token}").text)
    client.post(f"/r/{token}/start", data={"csrf": csrf})
    answers = full_answers(fieldwork.definition)
    _post_page(client, token, 1, page_form(fieldwork.definition, 0, answers), csrf)
    refused = client.post(f"/r/{token}/submit", data={"csrf": csrf})
    assert refused.status_code == 422
    assert "<title>Lỗi: " in refused.text and "Có lỗi" in refused.text
    assert f'href="/r/{token}/p/2?from=review#procedures_q19"' in refused.text
    assert _responses(session)[0].status == "in_progress"


def test_a_later_page_cannot_be_posted_before_the_earlier_ones(
    client: TestClient, session: Session, fieldwork: Fieldwork
) -> None:
    token = fieldwork.tokens[2]
    csrf = _csrf(client.get(f"/r/{token}").text)
    answers = full_answers(fieldwork.definition)
    early = _post_page(client, token, 3, page_form(fieldwork.definition, 2, answers), csrf)
    assert early.headers["location"] == f"/r/{token}"  # not started yet: back to the welcome
    client.post(f"/r/{token}/start", data={"csrf": csrf})
    ahead = _post_page(client, token, 3, page_form(fieldwork.definition, 2, answers), csrf)
    assert ahead.status_code == 303 and ahead.headers["location"] == f"/r/{token}/p/1"
    (response,) = _responses(session)
    assert response.answers == {} and response.current_page == 0
    saved = _post_page(client, token, 1, page_form(fieldwork.definition, 0, answers), csrf)
    assert saved.headers["location"] == f"/r/{token}/p/2"


def test_forms_without_the_csrf_token_are_refused(
    client: TestClient, session: Session, fieldwork: Fieldwork
) -> None:
    token = fieldwork.tokens[0]
    refused = client.post(f"/r/{token}/start", data={"csrf": "0" * 64})
    assert refused.status_code == 400
    assert not _responses(session)
    # Another invitation's token does not work either.
    other = _csrf(client.get(f"/r/{fieldwork.tokens[1]}").text)
    assert client.post(f"/r/{token}/start", data={"csrf": other}).status_code == 400


def test_language_switch_is_remembered(client: TestClient, fieldwork: Fieldwork) -> None:
    token = fieldwork.tokens[0]
    english = client.get(f"/r/{token}?lang=en")
    assert '<html lang="en">' in english.text and "I do not want to take part" in english.text
    assert "sipas_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in client.get(f"/r/{token}").text
    assert '<html lang="vi">' in client.get(f"/r/{token}?lang=vi").text
    csrf = _csrf(english.text)
    client.post(f"/r/{token}/start", data={"csrf": csrf})
    client.get(f"/r/{token}?lang=en")
    invalid = _post_page(client, token, 1, {}, csrf)
    assert "<title>Error: " in invalid.text and "There is a problem" in invalid.text


def _set(session: Session, invitation_id: int, **values: Any) -> None:
    invitation = session.get(Invitation, invitation_id)
    assert invitation is not None
    for name, value in values.items():
        setattr(invitation, name, value)
    session.add(invitation)
    session.commit()


def test_special_link_pages(client: TestClient, session: Session, fieldwork: Fieldwork) -> None:
    ids, tokens = fieldwork.invitation_ids, fieldwork.tokens
    unknown = client.get("/r/" + "A" * 43)
    assert unknown.status_code == 404 and "Không tìm thấy đường dẫn" in unknown.text
    _set(session, ids[0], expires_at=utcnow() - timedelta(minutes=1))
    _set(session, ids[1], revoked_at=utcnow())
    _set(session, ids[2], opted_out_at=utcnow())
    expected = [
        (410, "Khảo sát đã kết thúc"),
        (410, "Đường dẫn không còn dùng được"),
        (410, "Ông/bà đã từ chối tham gia"),
    ]
    for token, (status, title) in zip(tokens[:3], expected, strict=True):
        for path in ("", "/p/1", "/review", "/opt-out"):
            page = client.get(f"/r/{token}{path}")
            assert (page.status_code, title in page.text) == (status, True), path
            assert 'name="csrf"' not in page.text
            _within_budget(page.text)
        assert client.post(f"/r/{token}/start", data={"csrf": "x"}).status_code == status
    campaign = session.get(Campaign, fieldwork.campaign_id)
    assert campaign is not None
    campaign.status = "draft"
    session.add(campaign)
    session.commit()
    not_open = client.get(f"/r/{tokens[3]}")
    assert not_open.status_code == 403 and "Khảo sát chưa bắt đầu" in not_open.text
    assert not _responses(session)


def test_opting_out_from_the_welcome_page(
    client: TestClient, session: Session, settings: Settings, fieldwork: Fieldwork
) -> None:
    token = fieldwork.tokens[0]
    confirm = client.get(f"/r/{token}/opt-out")
    assert confirm.status_code == 200 and "Xác nhận không tham gia" in confirm.text
    _within_budget(confirm.text)
    session.expire_all()
    invitation = session.get(Invitation, fieldwork.invitation_ids[0])
    assert invitation is not None and invitation.opted_out_at is None  # a GET changes nothing
    done = client.post(f"/r/{token}/opt-out", data={"csrf": _csrf(confirm.text)})
    assert (done.status_code, done.headers["location"]) == (303, f"/r/{token}")
    after = client.get(f"/r/{token}")
    assert after.status_code == 410 and "Ông/bà đã từ chối tham gia" in after.text
    session.expire_all()
    assert session.exec(select(func.count()).select_from(SmsOptOut)).one() == 1
    opted = session.exec(
        select(Invitation).where(col(Invitation.id) == fieldwork.invitation_ids[0])
    ).one()
    assert opted.opted_out_at is not None


def test_unknown_and_used_links_run_the_same_queries(
    client: TestClient, session: Session, settings: Settings, fieldwork: Fieldwork
) -> None:
    """Not a timing test: the two pages must cost the same SQL, so times cannot tell them apart."""
    invitation = session.get(Invitation, fieldwork.invitation_ids[0])
    assert invitation is not None
    submit_response(
        session=session, invitation=invitation, answers=full_answers(fieldwork.definition)
    )
    app_engine = client.app.state.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(re.sub(r"\s+", " ", statement))

    runs = []
    for token in (fieldwork.tokens[0], "A" * 43):
        seen.clear()
        event.listen(app_engine, "before_cursor_execute", record)
        page = client.get(f"/r/{token}")
        event.remove(app_engine, "before_cursor_execute", record)
        runs.append((page.status_code, list(seen)))
    (used_status, used_sql), (unknown_status, unknown_sql) = runs
    assert (used_status, unknown_status) == (200, 404)
    # The per-address rate-limit counter (api.rate_limits) first, then one query for the link.
    assert used_sql == unknown_sql and len(used_sql) == 2
    assert used_sql[0].startswith("INSERT INTO rate_limit_counter")
