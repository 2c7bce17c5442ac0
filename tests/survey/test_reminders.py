"""Reminders computed when due, never to those who answered, refused or cannot be reached."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from survey.invitations import create_invitations
from survey.models import Campaign, Invitation, SmsMessage
from survey.outbox import queue_invitation_sms
from survey.reminders import queue_due_reminders
from survey.settings import Settings
from survey.worker import process_batch
from tests.survey.campaign_factory import NOW, build_fieldwork
from tests.survey.fake_sms import FakeClock, RecordingGateway


def _sent_campaign(session: Session, settings: Settings, n: int = 4) -> int:
    fw = build_fieldwork(session, n=n, without_phone=(), field_days=20)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    clock = FakeClock(NOW)
    process_batch(session=session, settings=settings, gateway=RecordingGateway(), clock=clock)
    return fw.campaign.id


def _reminder_keys(session: Session) -> list[str]:
    return sorted(
        m.idempotency_key.split(":", 2)[2]
        for m in session.exec(select(SmsMessage).where(col(SmsMessage.kind) == "reminder"))
    )


def test_reminders_on_days_three_and_seven(session: Session, settings: Settings) -> None:
    _sent_campaign(session, settings, n=2)
    day = timedelta(days=1)
    # The worker sends 20 SMS per second, so the second person's clock starts 50 ms later.
    later = NOW + timedelta(minutes=1)
    assert queue_due_reminders(session=session, settings=settings, now=later + 2 * day).queued == 0
    assert queue_due_reminders(session=session, settings=settings, now=later + 3 * day).queued == 2
    # Calling again is a no-op, then day 7 brings the second reminder.
    assert queue_due_reminders(session=session, settings=settings, now=later + 4 * day).queued == 0
    assert queue_due_reminders(session=session, settings=settings, now=later + 7 * day).queued == 2
    assert _reminder_keys(session) == ["reminder:3"] * 2 + ["reminder:7"] * 2


def test_catching_up_sends_one_reminder_not_a_burst(session: Session, settings: Settings) -> None:
    _sent_campaign(session, settings, n=1)
    assert (
        queue_due_reminders(session=session, settings=settings, now=NOW + timedelta(days=8)).queued
        == 1
    )
    assert _reminder_keys(session) == ["reminder:7"]


def test_never_reminded(session: Session, settings: Settings) -> None:
    _sent_campaign(session, settings, n=5)
    invitations = session.exec(select(Invitation).order_by(col(Invitation.id))).all()
    invitations[0].completed_at = NOW
    invitations[1].opted_out_at = NOW
    invitations[2].revoked_at = NOW
    invitations[3].sms_status = "failed"
    session.add_all(invitations)
    session.commit()
    queue_due_reminders(session=session, settings=settings, now=NOW + timedelta(days=3, minutes=1))
    reminded = session.exec(select(SmsMessage).where(col(SmsMessage.kind) == "reminder")).all()
    assert [m.invitation_id for m in reminded] == [invitations[4].id]


def test_schedule_change_applies_to_reminders_not_yet_sent(
    session: Session, settings: Settings
) -> None:
    campaign_id = _sent_campaign(session, settings, n=1)
    queue_due_reminders(session=session, settings=settings, now=NOW + timedelta(days=3, minutes=1))
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    campaign.reminder_days = [3, 5]
    session.add(campaign)
    session.commit()
    queue_due_reminders(session=session, settings=settings, now=NOW + timedelta(days=5))
    assert _reminder_keys(session) == ["reminder:3", "reminder:5"]


def test_no_reminder_after_expiry_or_before_the_invitation_was_sent(
    session: Session, settings: Settings
) -> None:
    fw = build_fieldwork(session, n=1, without_phone=(), field_days=5)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    # Queued but not sent: the clock starts at sending.
    assert (
        queue_due_reminders(session=session, settings=settings, now=NOW + timedelta(days=4)).queued
        == 0
    )
    process_batch(
        session=session, settings=settings, gateway=RecordingGateway(), clock=FakeClock(NOW)
    )
    assert (
        queue_due_reminders(session=session, settings=settings, now=NOW + timedelta(days=6)).queued
        == 0
    )
