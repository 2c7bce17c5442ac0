"""Opt-outs by reply keyword or by the welcome page's button."""

from __future__ import annotations

from sqlmodel import Session, col, select

from survey.invitations import create_invitations
from survey.models import Invitation, SmsMessage, SmsOptOut
from survey.optouts import handle_inbound, is_opted_out, opt_out_invitation, phone_hash
from survey.outbox import queue_invitation_sms
from survey.settings import Settings
from survey.sms.gateway import parse_inbound
from tests.survey.campaign_factory import NOW, build_fieldwork


def _queued(session: Session, settings: Settings, n: int = 3) -> list[str]:
    fw = build_fieldwork(session, n=n, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    return [fw.phones[u] for u in fw.unit_ids]


def test_reply_keyword_opts_out_and_cancels(session: Session, settings: Settings) -> None:
    phones = _queued(session, settings)
    national = "0" + phones[1].removeprefix("+84")
    message = parse_inbound(f"sender={national}&text=T%E1%BB%AA+CH%E1%BB%90I")  # "TỪ CHỐI"
    result = handle_inbound(session=session, settings=settings, message=message, now=NOW)
    assert result is not None
    assert (result.new, result.invitations_marked, result.messages_cancelled) == (True, 1, 1)
    session.expire_all()
    stored = session.exec(select(SmsOptOut)).one()
    # Only a keyed hash is kept: neither the number nor its plain SHA-256.
    assert stored.phone_hash == phone_hash(settings.secret_key, phones[1])
    assert phones[1] not in stored.phone_hash
    assert is_opted_out(session=session, settings=settings, phone_e164=phones[1])
    cancelled = session.exec(select(SmsMessage).where(col(SmsMessage.status) == "cancelled")).one()
    assert cancelled.to_e164 == phones[1]
    # Repeating the reply changes nothing.
    again = handle_inbound(session=session, settings=settings, message=message, now=NOW)
    assert again is not None and (again.new, again.invitations_marked) == (False, 0)


def test_other_replies_are_ignored(session: Session, settings: Settings) -> None:
    phones = _queued(session, settings, n=1)
    message = parse_inbound(f"sender={phones[0]}&text=cam+on")
    assert handle_inbound(session=session, settings=settings, message=message) is None
    assert session.exec(select(SmsOptOut)).all() == []


def test_welcome_page_button(session: Session, settings: Settings) -> None:
    phones = _queued(session, settings, n=2)
    invitation = session.exec(select(Invitation).order_by(col(Invitation.id))).first()
    assert invitation is not None
    result = opt_out_invitation(session=session, settings=settings, invitation=invitation, now=NOW)
    assert (result.invitations_marked, result.messages_cancelled) == (1, 1)
    assert is_opted_out(session=session, settings=settings, phone_e164=phones[0])
    assert not is_opted_out(session=session, settings=settings, phone_e164=phones[1])
