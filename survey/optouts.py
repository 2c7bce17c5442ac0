"""Opt-outs: a person who replies STOP / HUY / TU CHOI, or presses "do not contact me" on the
welcome page, receives no further message from any campaign.

The number is kept only as a keyed hash, ``HMAC-SHA256(secret_key, "opt-out:" + E.164)``
(RFC 2104), so the opt-out survives the contact purge without keeping the number, and a copy of
the database alone cannot be matched against a phone list.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from survey.models import Invitation, SmsMessage, SmsOptOut, utcnow
from survey.settings import Settings
from survey.sms.gateway import InboundMessage


@dataclass(frozen=True)
class OptOutResult:
    """What an opt-out changed."""

    new: bool
    invitations_marked: int
    messages_cancelled: int


def phone_hash(secret_key: str, phone_e164: str) -> str:
    """The keyed hash under which an opted-out number is stored (hex HMAC-SHA256)."""
    return hmac.new(
        secret_key.encode(), f"opt-out:{phone_e164}".encode(), hashlib.sha256
    ).hexdigest()


def is_opted_out(*, session: Session, settings: Settings, phone_e164: str) -> bool:
    """Whether the number asked not to be contacted."""
    digest = phone_hash(settings.secret_key, phone_e164)
    return (
        session.exec(select(SmsOptOut.id).where(col(SmsOptOut.phone_hash) == digest)).first()
        is not None
    )


def _apply(
    session: Session, *, phone_e164: str | None, invitation_id: int | None, now: datetime
) -> tuple[int, int]:
    # Every invitation to the number (any campaign) and every message still waiting for it.
    if phone_e164 is not None:
        invitation_filter = col(Invitation.phone_e164) == phone_e164
        message_filter = col(SmsMessage.to_e164) == phone_e164
    else:
        invitation_filter = col(Invitation.id) == invitation_id
        message_filter = col(SmsMessage.invitation_id) == invitation_id
    marked = session.execute(
        update(Invitation)
        .where(invitation_filter, col(Invitation.opted_out_at).is_(None))
        .values(opted_out_at=now)
    )
    cancelled = session.execute(
        update(SmsMessage)
        .where(message_filter, col(SmsMessage.status).in_(("queued", "claimed")))
        .values(status="cancelled", last_error="recipient opted out")
    )
    return int(getattr(marked, "rowcount", 0)), int(getattr(cancelled, "rowcount", 0))


def _store_hash(session: Session, digest: str, keyword: str, now: datetime) -> bool:
    if session.exec(select(SmsOptOut.id).where(col(SmsOptOut.phone_hash) == digest)).first():
        return False
    session.add(SmsOptOut(phone_hash=digest, keyword=keyword[:32], received_at=now))
    return True


def record_opt_out(
    *,
    session: Session,
    settings: Settings,
    phone_e164: str,
    keyword: str,
    now: datetime | None = None,
) -> OptOutResult:
    """Record that ``phone_e164`` asked not to be contacted.

    Stores the keyed hash once, marks every invitation to the number ``opted_out_at`` and
    cancels its queued messages. Repeating it is harmless.
    """
    now = now or utcnow()
    new = _store_hash(session, phone_hash(settings.secret_key, phone_e164), keyword, now)
    marked, cancelled = _apply(session, phone_e164=phone_e164, invitation_id=None, now=now)
    session.commit()
    return OptOutResult(new, marked, cancelled)


def handle_inbound(
    *, session: Session, settings: Settings, message: InboundMessage, now: datetime | None = None
) -> OptOutResult | None:
    """Act on a citizen's reply: an opt-out keyword is recorded, anything else is ignored.

    Replies are not stored: they may carry personal data and nobody is promised an answer.
    """
    if message.opt_out_keyword is None:
        return None
    return record_opt_out(
        session=session,
        settings=settings,
        phone_e164=message.sender,
        keyword=message.opt_out_keyword,
        now=now,
    )


def opt_out_invitation(
    *, session: Session, settings: Settings, invitation: Invitation, now: datetime | None = None
) -> OptOutResult:
    """The "do not contact me again" button of the welcome page.

    When the invitation still has its phone, the number itself is opted out (all campaigns);
    after the purge only this invitation is marked.
    """
    now = now or utcnow()
    new = False
    if invitation.phone_e164:
        new = _store_hash(
            session, phone_hash(settings.secret_key, invitation.phone_e164), "web", now
        )
        marked, cancelled = _apply(
            session, phone_e164=invitation.phone_e164, invitation_id=None, now=now
        )
    else:
        marked, cancelled = _apply(session, phone_e164=None, invitation_id=invitation.id, now=now)
    session.commit()
    return OptOutResult(new, marked, cancelled)
