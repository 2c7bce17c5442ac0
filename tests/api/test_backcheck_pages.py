"""Back-check pages: a supervisor sees the drawn forms with the contact (never the answers),
records outcomes, excludes a failed form with a reason; errors name the field; scope holds."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from api.pages.coordinator import csrf_token
from survey.backchecks import backcheck_rate, register_collected_form
from survey.invitations import create_invitations
from survey.models import (
    AuditEvent,
    Backcheck,
    Invitation,
    Questionnaire,
    Response,
    ResponseExclusion,
    StaffUser,
    utcnow,
)
from survey.questionnaires import ensure_builtin_questionnaires
from survey.responses import complete_response
from survey.settings import Settings
from survey.users import create_api_token
from tests.api.fast_users import make_user
from tests.survey.campaign_factory import build_fieldwork
from tests.survey.responses_fixtures import full_answers

NOW = utcnow().replace(hour=3, minute=0, second=0, microsecond=0)


def _sign_in(
    client: TestClient,
    session: Session,
    settings: Settings,
    role: str,
    username: str,
    scopes: list[tuple[str, str]] | None = None,
) -> str:
    user = make_user(session, role, username, scopes)
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="test")
    client.cookies.set("sipas_session", token)
    return csrf_token(settings, token)


def _campaign_with_a_paper_form(session: Session, settings: Settings) -> tuple[int, Backcheck]:
    """Four SMS cases; the first (agency AGA) keyed from paper by a clerk, so it is drawn."""
    fw = build_fieldwork(session, n=4, without_phone=(), now=NOW)
    assert fw.campaign.id is not None
    questionnaire = session.get(Questionnaire, fw.campaign.questionnaire_id)
    assert questionnaire is not None
    questionnaire.definition = ensure_builtin_questionnaires(session=session).definition
    session.add(questionnaire)
    session.commit()
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    invitation = session.exec(
        select(Invitation)
        .where(col(Invitation.sample_unit_id) == fw.unit_ids[0])
        .order_by(col(Invitation.id))
    ).one()
    clerk = StaffUser(username="clerk-lan", role="clerk", password_hash="x")
    session.add(clerk)
    session.commit()
    assert clerk.id is not None
    result = complete_response(
        session=session,
        invitation=invitation,
        answers=full_answers(questionnaire.definition),
        mode="paper",
    )
    response = session.get(Response, result.response_id)
    assert response is not None
    register_collected_form(
        session=session,
        invitation=invitation,
        response=response,
        collector_id=clerk.id,
        mode="paper",
    )
    session.commit()
    return fw.campaign.id, session.exec(select(Backcheck)).one()


def test_supervisor_records_a_failed_back_check_and_excludes_the_form(
    settings: Settings, session: Session
) -> None:
    campaign_id, backcheck = _campaign_with_a_paper_form(session, settings)
    url = f"/staff/campaigns/{campaign_id}/backchecks"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get(url).status_code == 303  # sign in first
        csrf = _sign_in(client, session, settings, "coordinator", "giam-sat")
        page = client.get(url)
        assert page.status_code == 200
        assert "Phúc tra phiếu" in page.text and "clerk-lan" in page.text
        assert "+84912340000" in page.text  # the phone to call back
        assert "Cán bộ nhiệt tình." not in page.text  # never the answers
        outcome_url = f"{url}/{backcheck.id}/outcome"
        missing = client.post(outcome_url, data={"csrf": csrf, "note": "gọi lúc 9 giờ"})
        assert missing.status_code == 422
        assert f'href="#f-outcome-{backcheck.id}"' in missing.text
        assert "Chọn một kết quả phúc tra" in missing.text and "gọi lúc 9 giờ" in missing.text
        assert (
            client.post(outcome_url, data={"csrf": "x", "outcome": "not_done"}).status_code == 403
        )
        done = client.post(outcome_url, data={"csrf": csrf, "outcome": "not_done"})
        assert done.status_code == 303
        assert "Không đạt phúc tra" in client.get(url).text
        decision_url = f"{url}/{backcheck.id}/decision"
        no_reason = client.post(decision_url, data={"csrf": csrf, "decision": "exclude"})
        assert no_reason.status_code == 422
        assert f'href="#f-reason-{backcheck.id}"' in no_reason.text
        excluded = client.post(
            decision_url,
            data={"csrf": csrf, "decision": "exclude", "reason": "Người dân chưa nhận phiếu"},
        )
        assert excluded.status_code == 303
        assert "Đã loại khỏi kết quả" in client.get(url).text
    exclusion = session.exec(select(ResponseExclusion)).one()
    assert exclusion.reason == "Người dân chưa nhận phiếu"
    assert session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "backcheck.excluded")
    ).first()


def test_rate_form_checks_the_number(settings: Settings, session: Session) -> None:
    campaign_id, _ = _campaign_with_a_paper_form(session, settings)
    url = f"/staff/campaigns/{campaign_id}/backchecks/rate"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _sign_in(client, session, settings, "coordinator", "quoc-gia")
        bad = client.post(url, data={"csrf": csrf, "rate_percent": "mười"})
        assert bad.status_code == 422 and 'href="#f-rate_percent"' in bad.text
        assert client.post(url, data={"csrf": csrf, "rate_percent": "150"}).status_code == 422
        assert client.post(url, data={"csrf": csrf, "rate_percent": "12,5"}).status_code == 303
    assert backcheck_rate(session=session, campaign_id=campaign_id) == 0.125


def test_scope_and_roles(settings: Settings, session: Session) -> None:
    campaign_id, backcheck = _campaign_with_a_paper_form(session, settings)
    url = f"/staff/campaigns/{campaign_id}/backchecks"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _sign_in(client, session, settings, "coordinator", "xa-b", [("agency", "AGB")])
        page = client.get(url)
        assert page.status_code == 200
        # The drawn form is of agency AGA: not this coordinator's to see or settle.
        assert "+84912340000" not in page.text and "clerk-lan" not in page.text
        other = client.post(
            f"{url}/{backcheck.id}/outcome", data={"csrf": csrf, "outcome": "confirmed"}
        )
        assert other.status_code == 404
        rate = client.post(f"{url}/rate", data={"csrf": csrf, "rate_percent": "20"})
        assert rate.status_code == 403
        _sign_in(client, session, settings, "analyst", "phan-tich")
        assert client.get(url).status_code == 403


def test_campaign_page_has_the_by_mode_table_and_the_link(
    settings: Settings, session: Session
) -> None:
    campaign_id, _ = _campaign_with_a_paper_form(session, settings)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        _sign_in(client, session, settings, "coordinator", "quoc-gia")
        page = client.get(f"/staff/campaigns/{campaign_id}")
        assert page.status_code == 200
        assert f'href="/staff/campaigns/{campaign_id}/backchecks"' in page.text
        table = page.text.split('id="by-mode"', 1)[1].split("</table>", 1)[0]
        # The keyed paper form: one case, completed; the three others are SMS (web) cases.
        assert '<th scope="row">Phiếu giấy</th><td class="num">1</td><td class="num">1</td>' in (
            table
        )
        assert '<th scope="row">Trực tuyến</th><td class="num">3</td><td class="num">0</td>' in (
            table
        )
        by_mode = client.get(f"/staff/campaigns/{campaign_id}?by=mode")
        assert by_mode.status_code == 200 and "Phiếu giấy" in by_mode.text


def test_dispositions_api_by_mode(settings: Settings, session: Session) -> None:
    campaign_id, _ = _campaign_with_a_paper_form(session, settings)
    user = make_user(session, "coordinator", "api-user")
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="test")
    with TestClient(create_app(settings)) as client:
        answer = client.get(
            f"/api/campaigns/{campaign_id}/dispositions",
            params={"by": "mode"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200
    groups = {g["group"]: g for g in answer.json()}
    assert set(groups) == {"paper", "web"}
    assert groups["paper"]["counts"]["completed"] == 1 and groups["paper"]["cases"] == 1
    assert groups["paper"]["rates"]["rr1"] == 1.0
