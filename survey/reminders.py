"""Reminders: computed when due, never pre-queued.

A campaign's ``reminder_days`` (e.g. ``[3, 7]``) count days from the moment the invitation SMS was
*sent* (not queued). Each time the worker runs, :func:`queue_due_reminders` finds, per day ``d``,
the invitations whose largest due reminder day is ``d`` and that have no ``reminder:d`` message,
and queues one with key ``inv:{id}:reminder:{d}``. Because nothing is queued ahead of time, a
change to ``reminder_days`` applies to every reminder not yet sent; and because only the largest
due day is queued, a worker that was stopped for a week sends one reminder, not a burst.

Never reminded: completed, opted out, revoked or expired invitations, failed numbers, and
campaigns that are not active. Whatever the mode: an answer keyed from paper or given in an
interview completes the invitation through the one completion guard, so it is "completed" like a
web answer; and two states before that count as answered too: a paper form that came back and
waits in data entry (a ``paper_entry`` row), and an interview the interviewer closed with a
final code other than a non-contact (a refusal, not eligible, deceased ...: no SMS should ask
again), or closed because the person answered elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlmodel import Session, col, select

from survey.campaigns import get_campaign
from survey.interviews import OUTCOMES
from survey.models import Campaign, Invitation, SmsMessage, utcnow
from survey.models.data_entry import PaperEntry
from survey.models.interviews import AssignmentStatus, InterviewAssignment
from survey.outbox import QueueResult, insert_messages, messageable_invitations
from survey.settings import Settings

# Final interview codes after which the person is not reminded: everything but non-contacts.
_SETTLED_INTERVIEW_CODES = sorted(
    code for code, outcome in OUTCOMES.items() if outcome.group not in ("NC", "UH", "UO")
)


def _answered_in_another_mode() -> list[ColumnElement[bool]]:
    """Conditions: no returned paper form, no interview that settled the case."""
    return [
        ~exists().where(col(PaperEntry.invitation_id) == col(Invitation.id)),
        ~exists().where(
            col(InterviewAssignment.invitation_id) == col(Invitation.id),
            or_(
                col(InterviewAssignment.status).in_(
                    [AssignmentStatus.COMPLETED.value, AssignmentStatus.ANSWERED_ELSEWHERE.value]
                ),
                and_(
                    col(InterviewAssignment.status) == AssignmentStatus.CLOSED.value,
                    col(InterviewAssignment.final_code).in_(_SETTLED_INTERVIEW_CODES),
                ),
            ),
        ),
    ]


def _due_targets(
    session: Session, campaign: Campaign, day: int, later_day: int | None, now: datetime
) -> list[tuple[int, str, str, str]]:
    assert campaign.id is not None
    invite = SmsMessage.__table__.alias("invite")  # type: ignore[attr-defined]
    reminder = SmsMessage.__table__.alias("reminder")  # type: ignore[attr-defined]
    sent_window = [invite.c.sent_at <= now - timedelta(days=day)]
    if later_day is not None:
        # d is the largest due day only while the next one is not yet due.
        sent_window.append(invite.c.sent_at > now - timedelta(days=later_day))
    query = (
        messageable_invitations(campaign.id)
        .join(
            invite,
            and_(
                invite.c.invitation_id == col(Invitation.id),
                invite.c.kind == "invitation",
                invite.c.sent_at.is_not(None),
            ),
        )
        .where(
            col(Invitation.expires_at) > now,
            *sent_window,
            *_answered_in_another_mode(),
            ~exists().where(
                reminder.c.invitation_id == col(Invitation.id),
                reminder.c.idempotency_key.endswith(f":reminder:{day}"),
            ),
        )
    )
    return [(int(i or 0), str(p), str(s), str(a)) for i, p, s, a in session.exec(query).all()]


def queue_due_reminders(
    *,
    session: Session,
    settings: Settings,
    now: datetime | None = None,
    campaign_id: int | None = None,
) -> QueueResult:
    """Queue every reminder due at ``now`` (all active campaigns, or one), and commit.

    Returns
    -------
    QueueResult
        Reminders queued and their SMS segments; ``already_queued`` is always 0 because
        candidates with an existing reminder are excluded in SQL.
    """
    now = now or utcnow()
    if campaign_id is not None:
        campaigns = [get_campaign(session=session, campaign_id=campaign_id)]
    else:
        campaigns = list(session.exec(select(Campaign).where(col(Campaign.status) == "active")))
    queued = segments = 0
    for campaign in campaigns:
        if campaign.status != "active":
            continue
        days = sorted(set(campaign.reminder_days or []))
        for index, day in enumerate(days):
            later = days[index + 1] if index + 1 < len(days) else None
            targets = _due_targets(session, campaign, day, later, now)
            result = insert_messages(
                session,
                campaign,
                settings,
                kind="reminder",
                targets=targets,
                key=f"reminder:{day}",
                now=now,
            )
            queued += result.queued
            segments += result.segments
    session.commit()
    return QueueResult(queued=queued, already_queued=0, segments=segments)
