"""Kannel's callbacks: signed delivery reports, the inbound key, the address allow-list, forged
callbacks refused with 403 and no change, garbage never a 500."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_network

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from api.cli.main import main
from survey.invitations import create_invitations
from survey.models import Invitation, SmsMessage, SmsOptOut
from survey.outbox import queue_invitation_sms
from survey.settings import Settings, load_settings
from survey.sms.kannel import dlr_signature
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


def _dlr(settings: Settings, message_id: object, status: int, extra: str = "") -> str:
    sig = dlr_signature(settings.keys.sms_delivery_report, str(message_id))
    return f"/sms/kannel/dlr?message_id={message_id}&sig={sig}&status={status}{extra}"


def _statuses(session: Session) -> list[str]:
    session.expire_all()
    return [m.status for m in session.exec(select(SmsMessage).order_by(col(SmsMessage.id)))]


def test_signed_delivery_reports_are_recorded(settings: Settings, session: Session) -> None:
    messages = _sent(session, settings)
    with TestClient(create_app(settings)) as client:
        ok = client.get(_dlr(settings, messages[0].id, 1, "&reply=DELIVRD&gateway_id=7&time=1"))
        assert ok.json() == {"status": "recorded"}
        assert client.get(_dlr(settings, messages[1].id, 16)).status_code == 200
        assert client.get(_dlr(settings, messages[2].id, 4)).status_code == 200
        assert client.get(_dlr(settings, 999999, 1)).json() == {"status": "ignored"}
    assert _statuses(session) == ["delivered", "failed", "sent"]
    invitations = session.exec(select(Invitation).order_by(col(Invitation.id))).all()
    assert [i.sms_status for i in invitations] == ["delivered", "failed", "sent"]


def test_forged_delivery_reports_are_refused_and_change_nothing(
    settings: Settings, session: Session
) -> None:
    messages = _sent(session, settings)
    first, second = messages[0].id, messages[1].id
    other_key = replace(settings, secret_key="another-secret-key-0123456789-abcdefgh")
    # A signature copied from one message's URL (say from Kannel's log) used for another.
    copied = dlr_signature(settings.keys.sms_delivery_report, str(first))
    legacy_key = "0123456789abcdef0123456789abcdef"
    with TestClient(create_app(settings)) as client:
        for url in (
            f"/sms/kannel/dlr?message_id={first}&status=2",
            f"/sms/kannel/dlr?message_id={first}&sig=&status=2",
            f"/sms/kannel/dlr?message_id={first}&sig=wrong&status=2",
            f"/sms/kannel/dlr?message_id={second}&sig={copied}&status=2",
            # Our parser acts on the last message_id: the signature must be for that one.
            f"/sms/kannel/dlr?message_id={first}&sig={copied}&message_id={second}&status=2",
            f"/sms/kannel/dlr?key={legacy_key}&message_id={first}&status=2",
            _dlr(other_key, first, 2),
            f"/sms/kannel/dlr?message_id={first}&sig=wrong&status=banana",
            "/sms/kannel/dlr",
        ):
            response = client.get(url)
            assert response.status_code == 403, url
            assert response.json()["detail"][0]["loc"] == ["query", "sig"], url
    assert _statuses(session) == ["sent", "sent", "sent"]


def test_inbound_opt_out_with_key_in_path_or_query(settings: Settings, session: Session) -> None:
    _sent(session, settings)
    key = settings.keys.sms_inbound_credential
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


def test_forged_opt_outs_are_refused_and_change_nothing(
    settings: Settings, session: Session
) -> None:
    _sent(session, settings)
    # Neither the delivery-report key nor the old shared key opens the inbound endpoint.
    dlr_key = settings.keys.sms_delivery_report.hex()
    other = replace(settings, secret_key="another-secret-key-0123456789-abcdefgh")
    with TestClient(create_app(settings)) as client:
        for url in (
            "/sms/kannel/inbound?sender=0912340000&text=STOP",
            "/sms/kannel/inbound?key=&sender=0912340000&text=STOP",
            "/sms/kannel/inbound/wrong?sender=0912340000&text=STOP",
            f"/sms/kannel/inbound/{dlr_key}?sender=0912340000&text=STOP",
            f"/sms/kannel/inbound/{other.keys.sms_inbound_credential}?sender=0912340000&text=STOP",
        ):
            assert client.get(url).status_code == 403, url
    session.expire_all()
    assert session.exec(select(SmsOptOut)).all() == []
    assert all(i.opted_out_at is None for i in session.exec(select(Invitation)))


def test_allowed_addresses(settings: Settings, session: Session) -> None:
    messages = _sent(session, settings)
    key = settings.keys.sms_inbound_credential
    # TestClient's requests come from the address "testclient": not an address at all.
    elsewhere = replace(settings, kannel_allowed_addresses=(ip_network("10.9.8.7/32"),))
    with TestClient(create_app(elsewhere)) as client:
        denied = client.get(_dlr(elsewhere, messages[0].id, 1))
        assert denied.status_code == 403
        assert denied.json()["detail"][0]["loc"] == ["client"]
        stop = client.get(f"/sms/kannel/inbound/{key}?sender=0912340001&text=Huy")
        assert stop.status_code == 403
    assert _statuses(session) == ["sent", "sent", "sent"]
    gateway = replace(settings, kannel_allowed_addresses=(ip_network("10.9.8.0/24"),))
    with TestClient(create_app(gateway), client=("10.9.8.7", 50000)) as client:
        assert client.get(_dlr(gateway, messages[0].id, 1)).json() == {"status": "recorded"}
    assert _statuses(session) == ["delivered", "sent", "sent"]
    with TestClient(create_app(gateway), client=("10.9.9.1", 50000)) as client:
        assert client.get(_dlr(gateway, messages[1].id, 1)).status_code == 403
    assert _statuses(session) == ["delivered", "sent", "sent"]


def test_garbage_is_a_400_never_a_500(settings: Settings, session: Session) -> None:
    key = settings.keys.sms_inbound_credential

    def signed(message_id: str, rest: str) -> str:
        sig = dlr_signature(settings.keys.sms_delivery_report, message_id)
        return f"message_id={message_id}&sig={sig}{rest}"

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for query in (
            signed("1", ""),
            signed("1", "&status=banana"),
            signed("1", "&status=3"),
            signed("1", "&status=1&time=notatime"),
            signed("-1", "&status=1&time=99999999999999999999"),
            "message_id=%FF%FE&sig=x&status=1",
        ):
            response = client.get(f"/sms/kannel/dlr?{query}")
            assert response.status_code in (200, 400, 403, 422), (query, response.status_code)
        bad_status = client.get(f"/sms/kannel/dlr?{signed('1', '&status=banana')}")
        assert bad_status.status_code in (400, 422)
        assert bad_status.json()["detail"][0]["loc"] == ["query", "status"]
        for query in (
            f"key={key}",
            f"key={key}&sender=&text=STOP",
            f"key={key}&sender=0912&text=%D8&coding=2",
            f"key={key}&sender=0912&text=%FF%FE%FD&charset=UTF-16BE",
        ):
            response = client.get(f"/sms/kannel/inbound?{query}")
            assert response.status_code in (200, 400, 422), (query, response.status_code)


def test_worker_prints_the_inbound_url_only_when_asked(
    settings: Settings,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIPAS_SMS_GATEWAY", "kannel")
    monkeypatch.setenv("SIPAS_KANNEL_SENDSMS_URL", "http://127.0.0.1:9/cgi-bin/sendsms")
    env_settings = load_settings()
    key = env_settings.keys.sms_inbound_credential
    assert main(["worker", "--print-inbound-url"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == f"{env_settings.public_base_url}/sms/kannel/inbound/{key}"
    assert main(["worker", "--once"]) == 0
    captured = capsys.readouterr()
    banner = captured.out + captured.err  # the start-up notices are log lines (stderr)
    assert "/sms/kannel/inbound/[redacted]" in banner and key not in banner
    # The printed URL is the one the endpoint accepts.
    with TestClient(create_app(env_settings)) as client:
        path = printed.removeprefix(env_settings.public_base_url)
        assert client.get(f"{path}?sender=0912340001&text=xin+chao").status_code == 200
