"""Requeueing a failed or unknown SMS by API and by ``sipas sms requeue``: a reason is required,
the decision is audited, and nothing else is ever resent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from api.cli.main import main
from survey.invitations import create_invitations
from survey.models import AuditEvent, SmsMessage
from survey.outbox import queue_invitation_sms
from survey.settings import Settings
from tests.api.helpers import auth_headers
from tests.survey.campaign_factory import build_fieldwork


def _messages(session: Session, settings: Settings, statuses: list[str]) -> tuple[int, list[int]]:
    fw = build_fieldwork(session, n=len(statuses), without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
    messages = session.exec(select(SmsMessage).order_by(col(SmsMessage.id))).all()
    for message, status in zip(messages, statuses, strict=True):
        message.status = status
        message.attempts = 5
        session.add(message)
    session.commit()
    return fw.campaign.id, [int(m.id or 0) for m in messages]


def test_api_requeues_failed_and_unknown_messages_with_a_reason(
    settings: Settings, session: Session
) -> None:
    campaign_id, (failed, unknown, sent) = _messages(
        session, settings, ["failed", "unknown", "sent"]
    )
    coordinator = auth_headers(session, "coordinator")
    analyst = auth_headers(session, "analyst")
    base = f"/api/campaigns/{campaign_id}/sms/messages"
    with TestClient(create_app(settings)) as client:
        refused = client.post(f"{base}/{failed}/requeue", json={"reason": "x" * 9}, headers=analyst)
        assert refused.status_code == 403
        missing = client.post(f"{base}/{failed}/requeue", json={}, headers=coordinator)
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["loc"] == ["reason"]
        assert "5 to 500 characters" in missing.json()["detail"][0]["msg"]
        done = client.post(
            f"{base}/{failed}/requeue",
            json={"reason": "number fixed by the operator"},
            headers=coordinator,
        )
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["attempts"]) == ("queued", 0)
        assert "number fixed by the operator" in done.json()["last_error"]
        ok = client.post(
            f"{base}/{unknown}/requeue", json={"reason": "not in Kannel's log"}, headers=coordinator
        )
        assert ok.status_code == 200
        assert (
            client.post(
                f"{base}/{sent}/requeue", json={"reason": "send it twice"}, headers=coordinator
            ).status_code
            == 409
        )
        other = client.post(
            f"/api/campaigns/{campaign_id + 1}/sms/messages/{failed}/requeue",
            json={"reason": "wrong campaign"},
            headers=coordinator,
        )
        assert other.status_code == 404
    session.expire_all()
    statuses = [m.status for m in session.exec(select(SmsMessage).order_by(col(SmsMessage.id)))]
    assert statuses == ["queued", "queued", "sent"]
    audited = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "sms.requeue")).all()
    assert sorted(e.target for e in audited) == [f"sms_message:{failed}", f"sms_message:{unknown}"]
    assert {e.actor_name for e in audited} == {"coordinator-user"}


def test_cli_requeue_needs_a_reason_and_records_who(
    settings: Settings,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    _campaign, (failed, sent) = _messages(session, settings, ["failed", "sent"])
    with pytest.raises(SystemExit):
        main(["sms", "requeue", str(failed)])  # --reason is required
    assert "--reason" in capsys.readouterr().err
    assert main(["sms", "requeue", str(failed), "--reason", "ok"]) == 2
    assert "reason: write 5 to 500 characters" in capsys.readouterr().err
    assert main(["sms", "requeue", str(sent), "--reason", "resend a sent one"]) == 2
    assert "only failed or unknown" in capsys.readouterr().err
    assert main(["sms", "requeue", str(failed), "--reason", "route fixed", "--by", "ops-an"]) == 0
    assert f"message {failed} queued again" in capsys.readouterr().out
    session.expire_all()
    message = session.get(SmsMessage, failed)
    assert message is not None and message.status == "queued"
    entry = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "sms.requeue")).one()
    assert (entry.actor_name, entry.details["reason"]) == ("ops-an", "route fixed")
