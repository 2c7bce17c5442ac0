"""Queueing invitation SMS: idempotent keys, rendered texts, the cost preview."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from survey.errors import Conflict
from survey.invitations import create_invitations, invitation_link, invitation_token
from survey.models import Invitation, SmsMessage
from survey.outbox import outbox_counts, preview_invitation_sms, queue_invitation_sms
from survey.settings import Settings
from tests.survey.campaign_factory import NOW, build_fieldwork

VI_TEMPLATE = "{agency} mời Ông/Bà đánh giá: {link} (hạn {deadline})"


def test_queue_twice_is_a_no_op(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=5, without_phone=(4,))
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    first = queue_invitation_sms(
        session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW
    )
    second = queue_invitation_sms(
        session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW
    )
    assert (first.queued, second.queued, second.already_queued) == (4, 0, 4)
    messages = session.exec(select(SmsMessage).order_by(col(SmsMessage.id))).all()
    assert [m.idempotency_key for m in messages] == [
        f"inv:{m.invitation_id}:invite" for m in messages
    ]
    assert outbox_counts(session=session, campaign_id=fw.campaign.id) == {"queued": 4}
    session.expire_all()
    statuses = {i.channel: i.sms_status for i in session.exec(select(Invitation))}
    assert statuses == {"sms": "queued", "letter": "none"}


def test_text_carries_agency_link_and_local_deadline(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=1, without_phone=(), sms_template=VI_TEMPLATE)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    message = session.exec(select(SmsMessage)).one()
    invitation = session.exec(select(Invitation)).one()
    link = invitation_link(settings, invitation_token(settings, invitation))
    # NOW is 2026-03-02 10:00 in Hanoi; the field period is 14 days.
    assert message.text == f"UBND xã A mời Ông/Bà đánh giá: {link} (hạn 16/03/2026)"
    assert message.encoding == "ucs2"
    # 31 + 67 (link) + 17 = 115 UTF-16 units: more than 70, so two parts of at most 67.
    assert len(message.text) == 115 and message.segments == 2


def test_stripping_diacritics_gives_gsm7(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(
        session, n=1, without_phone=(), sms_template=VI_TEMPLATE, strip_diacritics=True
    )
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    message = session.exec(select(SmsMessage)).one()
    assert message.text.startswith("UBND xa A moi Ong/Ba danh gia: http")
    assert (message.encoding, message.segments) == ("gsm7", 1)


def test_preview_counts_segments_and_cost(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=4, without_phone=(3,), sms_template=VI_TEMPLATE)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    preview = preview_invitation_sms(
        session=session, settings=settings, campaign_id=fw.campaign.id, price_per_segment=850
    )
    assert (preview.messages, preview.ucs2, preview.gsm7) == (3, 3, 0)
    assert preview.segments == 6 and preview.cost == 6 * 850
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queued = session.exec(select(SmsMessage)).all()
    assert sum(m.segments for m in queued) == preview.segments
    after = preview_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
    assert after.messages == 0


def test_draft_campaign_cannot_queue(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=1, activate=False)
    assert fw.campaign.id is not None
    with pytest.raises(Conflict, match="activate"):
        queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
