"""What the health checks and the metrics read from the database: reachability and the outbox.

The worker records no heartbeat of its own, so its health is read from what it leaves behind:
how long the oldest due message has waited and when a message was last handed to the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from survey.campaigns import as_utc
from survey.models import Response, SmsMessage, utcnow


def database_problem(engine: Engine) -> str:
    """``""`` when the database answers a query; otherwise what went wrong (no URL in it)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        # The exception's class names the fault; its text can carry the connection string.
        cause = getattr(error, "orig", None) or error
        return f"database unreachable ({type(cause).__name__})"
    return ""


@dataclass(frozen=True)
class OutboxSnapshot:
    """The outbox at one moment: messages per status and how long the queue has waited."""

    by_status: dict[str, int] = field(default_factory=dict)
    retrying: int = 0
    oldest_queued_age_seconds: float | None = None
    oldest_due_age_seconds: float | None = None
    last_sent_age_seconds: float | None = None


def _age(now: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else max(0.0, (now - as_utc(moment)).total_seconds())


def outbox_snapshot(*, session: Session, now: datetime | None = None) -> OutboxSnapshot:
    """Counts and ages of the whole outbox, in a few aggregate queries."""
    now = now or utcnow()
    rows = session.exec(
        select(SmsMessage.status, func.count()).group_by(col(SmsMessage.status))
    ).all()
    queued = col(SmsMessage.status) == "queued"
    retrying = session.exec(select(func.count()).where(queued, col(SmsMessage.attempts) > 0)).one()
    oldest = session.exec(select(func.min(SmsMessage.created_at)).where(queued)).one()
    # Due: the worker should have taken it (quiet hours and retry backoff push next_attempt_at).
    oldest_due = session.exec(
        select(func.min(SmsMessage.next_attempt_at)).where(
            queued, col(SmsMessage.next_attempt_at) <= now
        )
    ).one()
    last_sent = session.exec(select(func.max(SmsMessage.sent_at))).one()
    return OutboxSnapshot(
        by_status={str(status): int(count) for status, count in rows},
        retrying=int(retrying),
        oldest_queued_age_seconds=_age(now, oldest),
        oldest_due_age_seconds=_age(now, oldest_due),
        last_sent_age_seconds=_age(now, last_sent),
    )


def submitted_responses(*, session: Session) -> int:
    """Responses submitted so far (every campaign)."""
    return int(session.exec(select(func.count()).where(col(Response.status) == "completed")).one())
