"""The coordinator's fieldwork pages: create a campaign, run it, see the outbox and the rates."""

from __future__ import annotations

from datetime import UTC, datetime

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
                "strip_diacritics": "yes",
            },
        )
        assert created.status_code == 303
        url = created.headers["location"]
        for action in ("activate", "invite", "queue"):
            done = client.post(f"{url}/{action}", data={"csrf": csrf})
            assert done.status_code == 303, (action, done.text)
        detail = client.get(url)
        assert detail.status_code == 200
        # Each queued SMS carries the short link, cut before its code.
        assert detail.text.count("/m/…") >= 2 and "/r/" not in detail.text
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
        assert "từ 5 đến 500 ký tự" in silent.text  # the use case's problem, in Vietnamese
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


def test_campaign_form_states_the_one_part_limit_and_strips_by_default(
    settings: Settings, session: Session
) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        _signed_in(client, session, settings, "coordinator")
        page = client.get("/staff/campaigns")
        assert 'name="strip_diacritics" type="checkbox" value="yes" checked' in page.text
        # http://127.0.0.1:8000 is 21 characters: the defaults leave 53 for the agency.
        assert "tên cơ quan tối đa 53 ký tự" in page.text and "http://127.0.0.1:8000" in page.text
        english = client.get("/staff/campaigns?lang=en")
        assert "an agency name of at most 53 characters" in english.text


def test_multipart_batch_is_confirmed_on_the_page(settings: Settings, session: Session) -> None:
    from sqlmodel import select

    from survey.invitations import create_invitations
    from survey.models import SmsMessage

    # Diacritics kept: "UBND xã A" forces UCS-2 and every invitation takes 2 parts.
    fw = build_fieldwork(session, n=3, without_phone=(), strip_diacritics=False)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id)
    url = f"/staff/campaigns/{fw.campaign.id}"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "coordinator")
        before = client.get(f"{url}?lang=en")
        assert "Invitations not yet queued: 3 messages, 6 parts" in before.text
        assert "Reminders (at most, if nobody answers): 6 messages, 12 parts" in before.text
        assert "In total: 9 messages, 18 parts" in before.text
        assert "Longest case – UBND xã A: invitation 2 parts, reminder 2 parts" in before.text
        assert 'id="queue-confirm"' not in before.text
        asked = client.post(f"{url}/queue", data={"csrf": csrf})
        assert asked.status_code == 303
        assert asked.headers["location"] == f"{url}?confirm=queue#queue-confirm"
        session.expire_all()
        assert session.exec(select(SmsMessage)).all() == []  # nothing sent without a yes
        confirm = client.get(f"{url}?confirm=queue&lang=vi")
        assert 'id="queue-confirm"' in confirm.text and 'name="confirm" value="yes"' in confirm.text
        assert "Có tin mời cần tới 2 phần; cả đợt tốn 6 phần cho 3 tin" in confirm.text
        done = client.post(f"{url}/queue", data={"csrf": csrf, "confirm": "yes"})
        assert done.status_code == 303 and done.headers["location"] == url
    session.expire_all()
    messages = session.exec(select(SmsMessage)).all()
    assert len(messages) == 3 and {m.segments for m in messages} == {2}


def test_one_part_batch_is_queued_without_asking(settings: Settings, session: Session) -> None:
    from sqlmodel import select

    from survey.invitations import create_invitations
    from survey.models import SmsMessage

    fw = build_fieldwork(session, n=2, without_phone=(), strip_diacritics=True)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "coordinator")
        done = client.post(f"/staff/campaigns/{fw.campaign.id}/queue", data={"csrf": csrf})
        assert done.headers["location"] == f"/staff/campaigns/{fw.campaign.id}"
    session.expire_all()
    assert [m.segments for m in session.exec(select(SmsMessage))] == [1, 1]


def test_outbox_tags_answered_links_and_filters_them(settings: Settings, session: Session) -> None:
    import re

    from sqlalchemy import update
    from sqlmodel import col, select

    from survey.invitations import create_invitations
    from survey.models import Invitation, SmsMessage
    from survey.outbox import queue_invitation_sms

    fw = build_fieldwork(session, n=3, without_phone=(), strip_diacritics=True)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
    answered_id = session.exec(select(Invitation.id).order_by(col(Invitation.id))).first()
    session.exec(
        update(Invitation).where(col(Invitation.id) == answered_id).values(completed_at=fw_now())
    )
    session.commit()
    answered_message = session.exec(
        select(SmsMessage.id).where(col(SmsMessage.invitation_id) == answered_id)
    ).one()
    url = f"/staff/campaigns/{fw.campaign.id}"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        _signed_in(client, session, settings, "coordinator")
        page = client.get(url)
        assert page.text.count('<span class="tag tag-ready">Đã trả lời</span>') == 1
        assert page.text.count('<span class="tag">Chưa trả lời</span>') == 2
        yes = client.get(f"{url}?answered=yes&lang=en")
        assert re.findall(r"<tr><td>(\d+)</td>", yes.text) == [str(answered_message)]
        assert '<option value="yes" selected>Answered</option>' in yes.text
        assert "Messages 1–1 of 1" in yes.text
        no = client.get(f"{url}?answered=no&lang=en")
        rows = re.findall(r"<tr><td>(\d+)</td>", no.text)
        assert len(rows) == 2 and str(answered_message) not in rows
        assert "Messages 1–2 of 2" in no.text and ">Answered</span>" not in no.text
        ignored = client.get(f"{url}?answered=maybe&lang=en")  # an unknown filter shows all
        assert "Messages 1–3 of 3" in ignored.text


def test_sms_short_link_opens_the_answer_page(settings: Settings, session: Session) -> None:
    import re

    from sqlmodel import select

    from survey.invitations import create_invitations, invitation_token
    from survey.models import Invitation, SmsMessage
    from survey.outbox import queue_invitation_sms

    fw = build_fieldwork(session, n=1, without_phone=(), strip_diacritics=True)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
    text = session.exec(select(SmsMessage.text)).one()
    path = re.search(r"https?://[^/]+(/m/[0-9A-Z]{26})", text)
    assert path is not None
    invitation = session.exec(select(Invitation)).one()
    with TestClient(create_app(settings), follow_redirects=False) as client:  # a citizen
        opened = client.get(path[1])
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/r/{invitation_token(settings, invitation)}"
        typed = client.get(path[1].lower())  # typed from the SMS by hand, in any case
        assert typed.status_code == 303


def fw_now() -> datetime:
    return datetime.now(UTC)
