"""Kannel's callbacks: the shared key, delivery reports, opt-out replies, garbage never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from survey.invitations import create_invitations
from survey.models import Invitation, SmsMessage, SmsOptOut
from survey.outbox import callback_key, queue_invitation_sms
from survey.settings import Settings
from survey.worker import process_batch
from tests.survey.campaign_factory import NOW, build_fieldwork
from tests.survey.fake_sms import FakeClock, RecordingGateway


def _sent(session: Session, settings: Settings) -> list[SmsMessage]:
    fw = build_fieldwork(session, n=3, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    process_batch(
        session=session, settings=settings, gateway=RecordingGateway(), clock=FakeClock(NOW)
    )
    return list(session.exec(select(SmsMessage).order_by(col(SmsMessage.id))))


def test_delivery_reports(settings: Settings, session: Session) -> None:
    messages = _sent(session, settings)
    key = callback_key(settings)
    with TestClient(create_app(settings)) as client:
        ok = client.get(
            f"/sms/kannel/dlr?key={key}&message_id={messages[0].id}&status=1&reply=DELIVRD"
            "&gateway_id=7&time=1772420400"
        )
        assert ok.json() == {"status": "recorded"}
        failed = client.get(f"/sms/kannel/dlr?key={key}&message_id={messages[1].id}&status=16")
        assert failed.status_code == 200
        buffered = client.get(f"/sms/kannel/dlr?key={key}&message_id={messages[2].id}&status=4")
        assert buffered.status_code == 200
        unknown = client.get(f"/sms/kannel/dlr?key={key}&message_id=999999&status=1")
        assert unknown.json() == {"status": "ignored"}
    session.expire_all()
    statuses = [m.status for m in session.exec(select(SmsMessage).order_by(col(SmsMessage.id)))]
    assert statuses == ["delivered", "failed", "sent"]
    invitations = session.exec(select(Invitation).order_by(col(Invitation.id))).all()
    assert [i.sms_status for i in invitations] == ["delivered", "failed", "sent"]


def test_key_is_required(settings: Settings, session: Session) -> None:
    messages = _sent(session, settings)
    with TestClient(create_app(settings)) as client:
        for url in (
            f"/sms/kannel/dlr?message_id={messages[0].id}&status=1",
            f"/sms/kannel/dlr?key=wrong&message_id={messages[0].id}&status=1",
            "/sms/kannel/inbound?sender=0912340000&text=STOP",
            "/sms/kannel/inbound/wrong?sender=0912340000&text=STOP",
        ):
            assert client.get(url).status_code == 403, url
    session.expire_all()
    assert session.exec(select(SmsOptOut)).all() == []
    assert {m.status for m in session.exec(select(SmsMessage))} == {"sent"}


def test_inbound_opt_out_with_key_in_path_or_query(settings: Settings, session: Session) -> None:
    _sent(session, settings)
    key = callback_key(settings)
    with TestClient(create_app(settings)) as client:
        hello = client.get(f"/sms/kannel/inbound?key={key}&sender=%2B84912340000&text=xin+chao")
        assert hello.json() == {"status": "ignored"}
        stop = client.get(f"/sms/kannel/inbound/{key}?sender=0912340001&text=Huy")
        assert stop.json() == {"status": "opted_out"}
        # UCS-2 reply as Kannel forwards it: UTF-16BE bytes percent-encoded ("TỪ CHỐI").
        ucs2 = "TỪ CHỐI".encode("utf-16-be").hex()
        encoded = "".join(f"%{ucs2[i : i + 2]}" for i in range(0, len(ucs2), 2))
        refused = client.get(
            f"/sms/kannel/inbound?key={key}&sender=84912340002&text={encoded}&coding=2"
        )
        assert refused.json() == {"status": "opted_out"}
    session.expire_all()
    opted = [
        i.opted_out_at is not None
        for i in session.exec(select(Invitation).order_by(col(Invitation.id)))
    ]
    assert opted == [False, True, True]


def test_garbage_is_a_400_never_a_500(settings: Settings, session: Session) -> None:
    key = callback_key(settings)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for query in (
            f"key={key}",
            f"key={key}&message_id=1",
            f"key={key}&message_id=1&status=banana",
            f"key={key}&message_id=1&status=3",
            f"key={key}&message_id=%FF%FE&status=1&time=notatime",
            f"key={key}&message_id=-1&status=1&time=99999999999999999999",
        ):
            response = client.get(f"/sms/kannel/dlr?{query}")
            assert response.status_code in (200, 400, 422), (query, response.status_code)
        for query in (
            f"key={key}",
            f"key={key}&sender=&text=STOP",
            f"key={key}&sender=0912&text=%D8&coding=2",
            f"key={key}&sender=0912&text=%FF%FE%FD&charset=UTF-16BE",
        ):
            response = client.get(f"/sms/kannel/inbound?{query}")
            assert response.status_code in (200, 400, 422), (query, response.status_code)
