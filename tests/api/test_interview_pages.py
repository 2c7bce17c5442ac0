"""The interview pages end to end, without JavaScript: a coordinator assigns cases, the
interviewer records attempts and a callback, conducts an interview page by page with the words to
read out, and records it; another interviewer reaches nothing; errors are named in Vietnamese."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from api.pages.coordinator import csrf_token
from survey.models import InterviewAssignment, Questionnaire, Response, StaffUser, utcnow
from survey.questionnaires import answer_pages
from survey.settings import Settings
from survey.users import create_api_token
from tests.api.fast_users import PASSWORD, make_user
from tests.survey.responses_fixtures import Fieldwork, build_fieldwork, full_answers, page_form


def _sign_in(client: TestClient, session: Session, settings: Settings, user: StaffUser) -> str:
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="pages")
    client.cookies.clear()
    client.cookies.set("sipas_session", token)
    return csrf_token(settings, token)


def _assignments(session: Session) -> dict[int, int]:
    """Invitation id -> assignment id."""
    session.expire_all()
    rows = session.exec(select(InterviewAssignment)).all()
    return {a.invitation_id: a.id or 0 for a in rows}


def _case_order(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/staff/interviews/(\d+)"', html)]


def _conduct(client: TestClient, csrf: str, fieldwork: Fieldwork, assignment_id: int) -> None:
    answers = full_answers(fieldwork.definition)
    url = f"/staff/interviews/{assignment_id}/p/1"
    for page in answer_pages(fieldwork.definition):
        assert url == f"/staff/interviews/{assignment_id}/p/{page.index + 1}"
        shown = client.get(url)
        assert shown.status_code == 200, shown.text[:300]
        form: dict[str, Any] = {
            "csrf": csrf,
            **page_form(fieldwork.definition, page.index, answers),
        }
        saved = client.post(url, data=form)
        assert saved.status_code == 303, saved.text[:300]
        url = saved.headers["location"]
    assert url == f"/staff/interviews/{assignment_id}/review"


def test_assign_attempts_callback_interview_and_completion(
    settings: Settings, session: Session
) -> None:
    fieldwork = build_fieldwork(session, settings.secret_key, n=4)
    coordinator = make_user(session, "coordinator", "dieu-phoi")
    lan = make_user(session, "interviewer", "dtv-lan")
    minh = make_user(session, "interviewer", "dtv-minh")
    first, second, third, fourth = fieldwork.invitation_ids
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _sign_in(client, session, settings, coordinator)
        url = f"/staff/interview-assignments/{fieldwork.campaign_id}"
        page = client.get(url)
        assert page.status_code == 200 and "Giao phỏng vấn" in page.text
        assert "dtv-lan" in page.text and f'value="{fourth}"' in page.text
        form = {
            "csrf": csrf,
            "interviewer_id": str(lan.id),
            "mode": "phone",
            "max_attempts": "4",
            "cases": [str(first), str(second), str(third)],
        }
        assert client.post(url, data=form).status_code == 303
        # The coordinator's session opens no interviewer page.
        assert client.get("/staff/interviews").status_code == 403
        ids = _assignments(session)
        assert set(ids) == {first, second, third}

        csrf = _sign_in(client, session, settings, lan)
        listing = client.get("/staff/interviews")
        assert listing.status_code == 200
        assert "+84900000000" in listing.text and "+84900000003" not in listing.text
        assert _case_order(listing.text) == [ids[first], ids[second], ids[third]]
        # No answer on the first, a callback tomorrow on the second.
        no_answer = client.post(
            f"/staff/interviews/{ids[first]}/attempts", data={"csrf": csrf, "code": "3.13"}
        )
        assert no_answer.status_code == 303 and no_answer.headers["location"] == "/staff/interviews"
        local = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo(settings.timezone))
        callback = client.post(
            f"/staff/interviews/{ids[second]}/attempts",
            data={"csrf": csrf, "code": "2.21", "callback_at": local.strftime("%Y-%m-%dT%H:%M")},
        )
        assert callback.status_code == 303
        listing = client.get("/staff/interviews")
        # Never tried first, then the retry, then the callback still to come.
        assert _case_order(listing.text) == [ids[third], ids[first], ids[second]]
        assert local.strftime("%d/%m/%Y %H:%M") in listing.text

        # The interview: the words to read out and the unread "don't know".
        case = client.get(f"/staff/interviews/{ids[third]}")
        assert case.status_code == 200 and "Bắt đầu phỏng vấn" in case.text
        first_page = client.get(f"/staff/interviews/{ids[third]}/p/1")
        assert "Đọc:" in first_page.text and "(không đọc)" in first_page.text
        assert (
            client.get(f"/staff/interviews/{ids[third]}/p/3")
            .headers["location"]
            .endswith(f"/staff/interviews/{ids[third]}/p/1")
        )  # pages in order
        _conduct(client, csrf, fieldwork, ids[third])
        review = client.get(f"/staff/interviews/{ids[third]}/review")
        assert review.status_code == 200 and "Kết thúc và ghi nhận phỏng vấn" in review.text
        done = client.post(f"/staff/interviews/{ids[third]}/complete", data={"csrf": csrf})
        assert done.status_code == 303 and done.headers["location"].endswith("notice=done")
        assert "Phỏng vấn đã được ghi nhận" in client.get(done.headers["location"]).text
        # The answers are gone from the interviewer's reach; the response is of mode phone.
        again = client.get(f"/staff/interviews/{ids[third]}/p/1")
        assert again.status_code == 303
        assert again.headers["location"] == f"/staff/interviews/{ids[third]}"
        assert client.get(f"/staff/interviews/{ids[third]}/review").status_code == 303
        summary = client.get(f"/staff/interviews/{ids[third]}")
        assert "Cán bộ nhiệt tình" not in summary.text and "+84900000002" not in summary.text
        assert "Đã hoàn thành" in summary.text
        session.expire_all()
        responses = session.exec(
            select(Response).where(col(Response.campaign_id) == fieldwork.campaign_id)
        ).all()
        assert [(r.mode, r.status, r.invitation_id) for r in responses] == [
            ("phone", "completed", None)
        ]

        # Another interviewer reaches none of it.
        csrf_minh = _sign_in(client, session, settings, minh)
        assert _case_order(client.get("/staff/interviews").text) == []
        for path in ("", "/p/1", "/review"):
            assert client.get(f"/staff/interviews/{ids[first]}{path}").status_code == 404
        refused = client.post(
            f"/staff/interviews/{ids[first]}/attempts", data={"csrf": csrf_minh, "code": "2.11"}
        )
        assert refused.status_code == 404
        assert "+84900000000" not in refused.text


def test_errors_are_named_in_vietnamese(settings: Settings, session: Session) -> None:
    fieldwork = build_fieldwork(session, settings.secret_key, n=2)
    coordinator = make_user(session, "coordinator", "dieu-phoi")
    lan = make_user(session, "interviewer", "dtv-lan")
    first, second = fieldwork.invitation_ids
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _sign_in(client, session, settings, coordinator)
        url = f"/staff/interview-assignments/{fieldwork.campaign_id}"
        base = {"csrf": csrf, "interviewer_id": str(lan.id), "max_attempts": "6"}
        none_ticked = client.post(url, data={**base, "mode": "phone"})
        assert none_ticked.status_code == 422
        assert (
            "Có lỗi" in none_ticked.text and "Hãy chọn ít nhất một trường hợp" in none_ticked.text
        )
        no_address = client.post(url, data={**base, "mode": "face_to_face", "cases": [str(first)]})
        assert no_address.status_code == 422
        assert f"trường hợp {first} không có địa chỉ" in no_address.text
        bad_count = client.post(url, data={**base, "mode": "phone", "max_attempts": "99"})
        assert "Số lần liên hệ tối đa là số nguyên từ 1 đến 20" in bad_count.text
        assert (
            client.post(url, data={**base, "mode": "phone", "cases": [str(first)]}).status_code
            == 303
        )

        csrf = _sign_in(client, session, settings, lan)
        (assignment_id,) = _assignments(session).values()
        attempts = f"/staff/interviews/{assignment_id}/attempts"
        no_code = client.post(attempts, data={"csrf": csrf})
        assert no_code.status_code == 422 and "Hãy chọn kết quả của lần liên hệ" in no_code.text
        garbled = client.post(attempts, data={"csrf": csrf, "code": "2.21", "callback_at": "mai"})
        assert garbled.status_code == 422 and "Hãy ghi ngày giờ hẹn lại" in garbled.text
        final_with_callback = client.post(
            attempts, data={"csrf": csrf, "code": "2.11", "callback_at": "2099-01-01T10:00"}
        )
        assert "hãy để trống giờ hẹn lại" in final_with_callback.text
        assert client.post(attempts, data={"csrf": "forged", "code": "2.11"}).status_code == 403
        empty_page = client.post(f"/staff/interviews/{assignment_id}/p/1", data={"csrf": csrf})
        assert empty_page.status_code == 422 and "Hãy chọn một mức" in empty_page.text
        incomplete = client.post(f"/staff/interviews/{assignment_id}/complete", data={"csrf": csrf})
        assert incomplete.status_code == 422 and "Còn câu chưa trả lời" in incomplete.text
        session.expire_all()
        assert session.exec(select(Response)).all() == []
        assert second not in _assignments(session)


def test_interviewer_wording_replaces_the_question_text(
    settings: Settings, session: Session
) -> None:
    fieldwork = build_fieldwork(session, settings.secret_key, n=1)
    coordinator = make_user(session, "coordinator", "dieu-phoi")
    lan = make_user(session, "interviewer", "dtv-lan")
    questionnaire = session.get(Questionnaire, fieldwork.questionnaire_id)
    assert questionnaire is not None
    definition = dict(questionnaire.definition)
    first = dict(definition["elements"][0]["criteria"][0])
    first["interviewer_text"] = {"vi": "Ông/bà thấy thông tin về thủ tục có dễ hiểu không?"}
    elements = [dict(definition["elements"][0]), *definition["elements"][1:]]
    elements[0]["criteria"] = [first, *definition["elements"][0]["criteria"][1:]]
    questionnaire.definition = {**definition, "elements": elements}
    session.add(questionnaire)
    session.commit()
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _sign_in(client, session, settings, coordinator)
        client.post(
            f"/staff/interview-assignments/{fieldwork.campaign_id}",
            data={
                "csrf": csrf,
                "interviewer_id": str(lan.id),
                "mode": "phone",
                "max_attempts": "6",
                "cases": [str(fieldwork.invitation_ids[0])],
            },
        )
        _sign_in(client, session, settings, lan)
        (assignment_id,) = _assignments(session).values()
        page = client.get(f"/staff/interviews/{assignment_id}/p/1")
        assert page.status_code == 200
        assert "Ông/bà thấy thông tin về thủ tục có dễ hiểu không?" in page.text
        assert page.headers["cache-control"] == "no-store"


def test_interviewers_land_on_their_list_and_coordinators_find_the_assignment_page(
    settings: Settings, session: Session
) -> None:
    fieldwork = build_fieldwork(session, settings.secret_key, n=1)
    make_user(session, "interviewer", "dtv-lan")
    coordinator = make_user(session, "coordinator", "dieu-phoi")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        signed = client.post(
            "/staff/sign-in", data={"username": "dtv-lan", "password": PASSWORD, "next": "/staff"}
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/staff/interviews"
        _sign_in(client, session, settings, coordinator)
        page = client.get(f"/staff/campaigns/{fieldwork.campaign_id}")
        assert page.status_code == 200
        assert f'href="/staff/interview-assignments/{fieldwork.campaign_id}"' in page.text
