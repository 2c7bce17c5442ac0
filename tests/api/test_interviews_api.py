"""The interviews JSON API: an interviewer lists their own cases (the phone for a call, the
name and address for a visit, nothing once a case ends), records attempts with AAPOR codes
and callbacks; another interviewer and other roles reach nothing; bad codes and callback
times are refused naming the field."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.interviews import assign_cases
from survey.models import DossierContact, Invitation, SampleUnit, StaffUser, utcnow
from survey.settings import Settings
from survey.users import UNLIMITED, create_api_token
from tests.api.fast_users import bearer, make_user
from tests.survey.responses_fixtures import build_fieldwork


def _headers(session: Session, user: StaffUser) -> dict[str, str]:
    assert user.id is not None
    return {
        "Authorization": f"Bearer {create_api_token(session=session, user_id=user.id, name='t')}"
    }


def test_an_interviewer_lists_own_cases_and_records_attempts(
    settings: Settings, session: Session
) -> None:
    fieldwork = build_fieldwork(session, settings.secret_key, n=3)
    coordinator = make_user(session, "coordinator", "dieu-phoi")
    lan = make_user(session, "interviewer", "dtv-lan")
    minh = make_user(session, "interviewer", "dtv-minh")
    first, second, third = fieldwork.invitation_ids
    # The third case is a visit: its contact has a name and address.
    invitation = session.get(Invitation, third)
    assert invitation is not None
    unit = session.get(SampleUnit, invitation.sample_unit_id)
    assert unit is not None
    session.add(
        DossierContact(
            dossier_id=unit.dossier_id,
            phone_e164="+84901111111",
            full_name="Nguyễn Văn An",
            postal_address="12 Lý Thường Kiệt, phường Bến Nghé",
        )
    )
    session.commit()
    calls = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=[first, second],
        interviewer_id=lan.id or 0,
        mode="phone",
        actor=coordinator,
        scope=UNLIMITED,
        max_attempts=3,
    )
    (visit,) = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=[third],
        interviewer_id=lan.id or 0,
        mode="face_to_face",
        actor=coordinator,
        scope=UNLIMITED,
    )
    call_id, other_id = (a.id or 0 for a in calls)
    client = TestClient(create_app(settings))
    as_lan, as_minh = _headers(session, lan), _headers(session, minh)

    listed = client.get("/api/interviews", headers=as_lan)
    assert listed.status_code == 200, listed.text
    cases = {c["assignment_id"]: c for c in listed.json()}
    assert set(cases) == {call_id, other_id, visit.id}
    call = cases[call_id]
    assert call["mode"] == "phone" and call["status"] == "open"
    assert call["contact"]["phone"] and call["contact"]["full_name"] is None
    assert call["contact"]["address"] is None
    visiting = cases[visit.id]
    assert visiting["contact"] == {
        "phone": None,
        "full_name": "Nguyễn Văn An",
        "address": "12 Lý Thường Kiệt, phường Bến Nghé",
    }
    # Another interviewer has an empty list and cannot open these cases.
    assert client.get("/api/interviews", headers=as_minh).json() == []
    assert client.get(f"/api/interviews/{call_id}", headers=as_minh).status_code == 404
    blocked = client.post(
        f"/api/interviews/{call_id}/attempts", json={"code": "3.13"}, headers=as_minh
    )
    assert blocked.status_code == 404
    # Coordinators and clerks are no interviewers.
    assert client.get("/api/interviews", headers=bearer(session, "coordinator")).status_code == 403
    assert client.get("/api/interviews", headers=bearer(session, "clerk")).status_code == 403
    assert client.get("/api/interviews").status_code == 401

    detail = client.get(f"/api/interviews/{call_id}", headers=as_lan).json()
    codes = {o["code"] for o in detail["outcomes"]}
    assert "3.13" in codes and "3.17" not in codes and "1.1" not in codes
    assert detail["attempts"] == []

    # No answer, call back tomorrow (in the platform's time zone).
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    noted = client.post(
        f"/api/interviews/{call_id}/attempts",
        json={"code": "3.13", "callback_at": tomorrow},
        headers=as_lan,
    )
    assert noted.status_code == 200, noted.text
    case = noted.json()
    assert case["status"] == "open" and case["attempt_count"] == 1
    assert case["callback_at"] is not None and not case["due"]
    assert [(a["number"], a["code"]) for a in case["attempts"]] == [(1, "3.13")]

    # Bad input names the field.
    for body, field in (
        ({"code": "3.17"}, "code"),  # a face-to-face code on a call
        ({"code": "1.1"}, "code"),  # completing is done by submitting the interview
        ({"code": "3.13", "callback_at": "2020-01-01T10:00"}, "callback_at"),
        ({"code": "3.13", "callback_at": "tomorrow"}, "callback_at"),
        ({"code": "2.11", "callback_at": tomorrow}, "callback_at"),  # final: no callback
    ):
        refused = client.post(f"/api/interviews/{call_id}/attempts", json=body, headers=as_lan)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["detail"][0]["loc"][-1] == field, body
    malformed = client.post(
        f"/api/interviews/{call_id}/attempts", json={"code": "abc"}, headers=as_lan
    )
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["body", "code"]
    assert client.get("/api/interviews/0", headers=as_lan).status_code == 422

    # A refusal ends the case: no contact data any more, no further attempt.
    refusal = client.post(
        f"/api/interviews/{call_id}/attempts", json={"code": "2.11"}, headers=as_lan
    )
    assert refusal.status_code == 200
    ended = refusal.json()
    assert ended["status"] == "closed" and ended["final_code"] == "2.11"
    assert ended["contact"] == {"phone": None, "full_name": None, "address": None}
    late = client.post(f"/api/interviews/{call_id}/attempts", json={"code": "3.13"}, headers=as_lan)
    assert late.status_code == 409
    # Finished cases come after the open ones.
    order = [c["assignment_id"] for c in client.get("/api/interviews", headers=as_lan).json()]
    assert order[-1] == call_id

    # The visit takes in-person codes only.
    visited = client.post(
        f"/api/interviews/{visit.id}/attempts", json={"code": "3.17"}, headers=as_lan
    )
    assert visited.status_code == 200 and visited.json()["attempt_count"] == 1
