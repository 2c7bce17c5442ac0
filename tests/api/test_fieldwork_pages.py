"""The coordinator's fieldwork pages: create a campaign, run it, see the outbox and the rates."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.pages.coordinator import csrf_token
from survey.settings import Settings
from tests.api.helpers import auth_headers
from tests.survey.campaign_factory import build_fieldwork


def _signed_in(client: TestClient, session: Session, settings: Settings, role: str) -> str:
    token = auth_headers(session, role)["Authorization"].removeprefix("Bearer ")
    client.cookies.set("sipas_session", token)
    return csrf_token(settings, token)


def test_campaign_pages_flow(settings: Settings, session: Session) -> None:
    fw = build_fieldwork(session, n=3, without_phone=(2,), activate=False)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/staff/campaigns").status_code == 303  # sign in first
        csrf = _signed_in(client, session, settings, "coordinator")
        page = client.get("/staff/campaigns")
        assert page.status_code == 200 and "Đợt 2026" in page.text
        form = {
            "csrf": csrf,
            "name": "Đợt thử",
            "draw_id": str(fw.campaign.draw_id),
            "questionnaire_id": str(fw.campaign.questionnaire_id),
            "field_start": "2099-01-01",
            "field_end": "2098-01-01",
            "reminder_days": "3, x",
        }
        bad = client.post("/staff/campaigns", data=form)
        assert bad.status_code == 422
        assert 'href="#f-field_end"' in bad.text and 'href="#f-reminder_days"' in bad.text
        assert client.post("/staff/campaigns", data={**form, "csrf": "no"}).status_code == 403
        created = client.post(
            "/staff/campaigns",
            data={
                **form,
                "field_start": "2026-01-01",
                "field_end": "2099-01-01",
                "reminder_days": "2",
            },
        )
        assert created.status_code == 303
        url = created.headers["location"]
        for action in ("activate", "invite", "queue"):
            done = client.post(f"{url}/{action}", data={"csrf": csrf})
            assert done.status_code == 303, (action, done.text)
        detail = client.get(url)
        assert detail.status_code == 200
        assert detail.text.count("/r/…") >= 2  # each queued SMS, its link cut before the token
        assert "+84912340000" not in detail.text and "•" in detail.text  # phones masked
        assert "RR1" in detail.text and "letter" in detail.text
        by_agency = client.get(f"{url}?by=agency")
        assert "AGA" in by_agency.text


def test_analysts_cannot_open_fieldwork_pages(settings: Settings, session: Session) -> None:
    # They read campaigns and dispositions (docs/access.md); they cannot create or run one.
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "analyst")
        listing = client.get("/staff/campaigns")
        assert listing.status_code == 200 and 'action="/staff/campaigns"' not in listing.text
        assert client.post("/staff/campaigns", data={"csrf": csrf}).status_code == 403


def test_agency_coordinator_cannot_open_fieldwork_pages(
    settings: Settings, session: Session
) -> None:
    token = auth_headers(session, "coordinator", scopes=[("agency", "AGA")])["Authorization"]
    with TestClient(create_app(settings), follow_redirects=False) as client:
        client.cookies.set("sipas_session", token.removeprefix("Bearer "))
        assert 'action="/staff/campaigns"' not in client.get("/staff/campaigns").text
        assert client.post("/staff/campaigns/1/close", data={}).status_code == 403


@pytest.mark.parametrize("stuck", ["unknown", "failed"])
def test_stuck_message_is_requeued_only_by_the_coordinator_with_a_reason(
    settings: Settings, session: Session, stuck: str
) -> None:
    from sqlmodel import select

    from survey.invitations import create_invitations
    from survey.models import AuditEvent, SmsMessage
    from survey.outbox import queue_invitation_sms

    fw = build_fieldwork(session, n=1, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
    message = session.exec(select(SmsMessage)).one()
    message.status = stuck
    session.add(message)
    session.commit()
    url = f"/staff/campaigns/{fw.campaign.id}/messages/{message.id}/requeue"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "coordinator")
        page = client.get(f"/staff/campaigns/{fw.campaign.id}")
        assert f"/messages/{message.id}/requeue" in page.text
        assert f'<label for="reason-{message.id}">Lý do gửi lại' in page.text
        silent = client.post(url, data={"csrf": csrf})
        assert silent.status_code == 422 and "text/html" in silent.headers["content-type"]
        assert "5 to 500 characters" in silent.text
        session.expire_all()
        assert session.exec(select(SmsMessage)).one().status == stuck
        done = client.post(url, data={"csrf": csrf, "reason": "gateway log: never sent"})
        assert done.status_code == 303
        again = client.post(url, data={"csrf": csrf, "reason": "gateway log: never sent"})
        assert again.status_code == 409  # only failed or unknown messages
    session.expire_all()
    requeued = session.exec(select(SmsMessage)).one()
    assert requeued.status == "queued" and "gateway log: never sent" in requeued.last_error
    entry = session.exec(select(AuditEvent).where(AuditEvent.action == "sms.requeue")).one()
    assert entry.details == {
        "campaign_id": fw.campaign.id,
        "was": stuck,
        "reason": "gateway log: never sent",
    }


def test_outbox_pages_reach_every_message_and_link(settings: Settings, session: Session) -> None:
    import html
    import re

    from sqlalchemy import update
    from sqlmodel import col

    from survey.models import SmsMessage
    from survey.outbox import queue_invitation_sms
    from tests.survey.responses_fixtures import build_fieldwork as build_invitations

    fw = build_invitations(session, settings.secret_key, n=230)
    queued = queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign_id)
    assert queued.queued == 230
    # 40 messages were delivered: the status filter shows exactly those.
    session.exec(
        update(SmsMessage)
        .where(col(SmsMessage.invitation_id).in_(fw.invitation_ids[:40]))
        .values(status="delivered")
    )
    session.commit()
    with TestClient(create_app(settings), follow_redirects=False) as client:
        _signed_in(client, session, settings, "coordinator")
        url: str | None = f"/staff/campaigns/{fw.campaign_id}?lang=en"
        seen: list[str] = []
        pages = 0
        while url is not None:
            page = client.get(url)
            assert page.status_code == 200
            pages += 1
            seen += re.findall(r"<tr><td>(\d+)</td>", page.text)
            assert not any(token in page.text for token in fw.tokens)  # links cut
            after = re.search(r'<a href="([^"]+)" rel="next">', page.text)
            url = html.unescape(after.group(1)) if after else None
            assert url is None or "by=stratum" in url
        assert pages == 3
        assert len(set(seen)) == len(seen) == 230  # every message once, on exactly one page
        first = client.get(f"/staff/campaigns/{fw.campaign_id}?lang=en")
        assert "Messages 1–100 of 230" in first.text and 'rel="prev"' not in first.text
        last = client.get(f"/staff/campaigns/{fw.campaign_id}?lang=en&page=9")  # clamped
        assert "Messages 201–230 of 230" in last.text and 'rel="next"' not in last.text
        delivered = client.get(f"/staff/campaigns/{fw.campaign_id}?lang=en&status=delivered")
        assert len(re.findall(r"<tr><td>(\d+)</td>", delivered.text)) == 40
        assert "Messages 1–40 of 40" in delivered.text and 'rel="next"' not in delivered.text
        assert '<option value="delivered" selected>' in delivered.text
        queued_page = client.get(f"/staff/campaigns/{fw.campaign_id}?lang=vi&status=queued&page=2")
        assert "Tin 101–190 trong 190" in queued_page.text
        # Dispositions and message states are named in the page's language, not as codes.
        assert '<option value="queued" selected>Chờ gửi</option>' in queued_page.text
        assert ">Hoàn thành</th>" in queued_page.text and ">Completed</th>" in first.text
        back = re.search(r'<a href="([^"]+)" rel="prev">', queued_page.text)
        assert back is not None and "status=queued" in html.unescape(back.group(1))
        assert "page=1" in html.unescape(back.group(1))
