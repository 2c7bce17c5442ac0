"""Queueing invitation SMS: idempotent keys, rendered texts with the short link, the cost
preview per kind, the confirmation of multipart batches, answered links in the outbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from survey.errors import Conflict
from survey.invitations import create_invitations, invitation_token, revoke_invitation
from survey.models import Dossier, Invitation, PaperForm, SmsMessage
from survey.outbox import (
    count_messages,
    list_messages,
    outbox_counts,
    preview_invitation_sms,
    queue_invitation_sms,
)
from survey.reminders import queue_due_reminders
from survey.settings import Settings
from survey.short_links import (
    SHORT_CODE_BITS,
    make_short_code,
    sms_short_link,
    token_for_short_code,
)
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


def test_text_carries_agency_short_link_and_local_deadline(
    session: Session, settings: Settings
) -> None:
    fw = build_fieldwork(session, n=1, without_phone=(), sms_template=VI_TEMPLATE)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    message = session.exec(select(SmsMessage)).one()
    invitation = session.exec(select(Invitation)).one()
    link = sms_short_link(settings, make_short_code(settings.secret_key, invitation.token_salt))
    assert link == "http://127.0.0.1:8000/m/" + link[-26:]
    # NOW is 2026-03-02 10:00 in Hanoi; the field period is 14 days.
    assert message.text == f"UBND xã A mời Ông/Bà đánh giá: {link} (hạn 16/03/2026)"
    assert message.encoding == "ucs2"
    # 31 + 50 (link) + 17 = 98 UTF-16 units: more than 70, so two parts of at most 67.
    assert len(message.text) == 98 and message.segments == 2


def test_sms_short_link_opens_the_invitation_until_revoked(
    session: Session, settings: Settings
) -> None:
    fw = build_fieldwork(session, n=2, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    messages = session.exec(select(SmsMessage).order_by(col(SmsMessage.id))).all()
    tokens = []
    for message in messages:
        found = re.search(r"/m/([0-9A-Z]{26})\b", message.text)
        assert found is not None, message.text
        assert "/r/" not in message.text  # the 43-character token never travels by SMS
        tokens.append(token_for_short_code(session=session, settings=settings, code=found[1]))
    invitations = session.exec(select(Invitation).order_by(col(Invitation.id))).all()
    assert tokens == [invitation_token(settings, i) for i in invitations]
    assert SHORT_CODE_BITS >= 128
    code = re.search(r"/m/([0-9A-Z]{26})", messages[0].text)
    assert code is not None
    revoke_invitation(session=session, invitation_id=invitations[0].id or 0, now=NOW)
    assert token_for_short_code(session=session, settings=settings, code=code[1]) is None


def test_reminder_carries_the_same_short_link(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=1, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    session.exec(update(SmsMessage).values(status="sent", sent_at=NOW - timedelta(days=4)))
    session.commit()
    result = queue_due_reminders(
        session=session, settings=settings, now=NOW, campaign_id=fw.campaign.id
    )
    assert result.queued == 1
    invite, reminder = session.exec(select(SmsMessage).order_by(col(SmsMessage.id))).all()
    link = re.search(r"https?://\S+/m/[0-9A-Z]{26}", invite.text)
    assert link is not None and reminder.kind == "reminder" and link[0] in reminder.text
    # One paper_form row holds the invitation's code, whatever the number of messages.
    assert len(session.exec(select(PaperForm)).all()) == 1


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
    assert preview.segments == 6 and preview.invitations.parts == 6
    # The default reminder, unaccented here but with "UBND xã A" keeping its diacritics:
    # UCS-2, 83 units, 2 parts; 3 people x 2 reminder days (3, 7).
    assert (preview.reminders.messages, preview.reminders.parts) == (6, 12)
    assert (preview.total_messages, preview.total_parts) == (9, 18)
    assert preview.cost == 6 * 850 and preview.total_cost == 18 * 850
    assert preview.needs_confirmation and preview.worst_parts == {"invitation": 2, "reminder": 2}
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queued = session.exec(select(SmsMessage)).all()
    assert sum(m.segments for m in queued) == preview.segments
    after = preview_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
    assert after.messages == 0 and after.reminders.messages == 6


def test_preview_names_the_longest_agency_as_the_worst_case(
    session: Session, settings: Settings
) -> None:
    fw = build_fieldwork(session, n=3, without_phone=(), strip_diacritics=True)
    assert fw.campaign.id is not None
    long_name = "Trung tâm Phục vụ hành chính công Phường Hoàn Kiếm thành phố Hà Nội"
    session.exec(
        update(Dossier).where(col(Dossier.id) == fw.dossier_ids[1]).values(agency_name=long_name)
    )
    session.commit()
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    preview = preview_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
    assert preview.worst_agency == long_name
    # 68 characters, more than the 53 the defaults leave with http://127.0.0.1:8000 (21).
    assert preview.agency_budget == 53 and preview.worst_parts == {"invitation": 2, "reminder": 2}
    assert preview.worst_text.startswith("Trung tam Phuc vu hanh chinh cong Phuong Hoan Kiem")
    assert preview.invitations.max_parts == 2 and preview.invitations.parts == 1 + 2 + 1
    assert preview.needs_confirmation


def test_queue_refuses_a_multipart_batch_until_confirmed(
    session: Session, settings: Settings
) -> None:
    fw = build_fieldwork(session, n=3, without_phone=(), sms_template=VI_TEMPLATE)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    with pytest.raises(Conflict) as refused:
        queue_invitation_sms(
            session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW, max_parts=1
        )
    assert refused.value.problems[0].loc == ("confirm",)
    # Nothing of the batch stays: no message, no registered code.
    assert session.exec(select(SmsMessage)).all() == []
    assert session.exec(select(PaperForm)).all() == []
    done = queue_invitation_sms(
        session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW, max_parts=2
    )
    assert done.queued == 3 and done.segments == 6


def test_outbox_says_which_links_were_answered(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=3, without_phone=())
    assert fw.campaign.id is not None
    campaign_id = fw.campaign.id
    create_invitations(session=session, settings=settings, campaign_id=campaign_id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=campaign_id, now=NOW)
    first = session.exec(select(Invitation).order_by(col(Invitation.id))).first()
    assert first is not None
    session.exec(update(Invitation).where(col(Invitation.id) == first.id).values(completed_at=NOW))
    session.commit()
    rows = list_messages(session=session, campaign_id=campaign_id)
    assert {r.message.invitation_id: r.answered for r in rows} == {
        i.id: i.id == first.id for i in session.exec(select(Invitation))
    }
    answered = list_messages(session=session, campaign_id=campaign_id, answered=True)
    unanswered = list_messages(session=session, campaign_id=campaign_id, answered=False)
    assert [r.message.invitation_id for r in answered] == [first.id]
    assert len(unanswered) == 2 and not any(r.answered for r in unanswered)
    assert count_messages(session=session, campaign_id=campaign_id, answered=True) == 1
    assert count_messages(session=session, campaign_id=campaign_id, answered=False) == 2
    assert count_messages(session=session, campaign_id=campaign_id, status="sent") == 0


def test_draft_campaign_cannot_queue(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=1, activate=False)
    assert fw.campaign.id is not None
    with pytest.raises(Conflict, match="activate"):
        queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
