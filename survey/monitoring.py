"""What the health checks and the metrics read from the database: reachability, the outbox and
the workers' heartbeats (each ``sipas worker`` writes one row per pass, :func:`record_heartbeat`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from survey.campaigns import as_utc
from survey.models import Response, SmsMessage, WorkerHeartbeat, utcnow

# A worker silent this long is gone (killed, host down): its row is deleted by the others.
HEARTBEAT_KEPT = timedelta(days=1)
# Beats younger than this count as a live worker. The longest sleep between passes is the
# quiet-hours nap (5 minutes at the default --idle), so a live worker always beats within it.
HEARTBEAT_LIVE_SECONDS = 600.0


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


def record_heartbeat(
    *,
    session: Session,
    worker_id: str,
    host: str,
    pid: int,
    passes: int,
    state: str,
    detail: str = "",
    now: datetime | None = None,
) -> None:
    """Upsert this worker's row (one UPDATE, an INSERT the first time), prune dead ones, commit.

    Only this process writes its ``worker_id``, so the UPDATE-then-INSERT cannot race itself.
    """
    now = now or utcnow()
    values = {"beat_at": now, "passes": passes, "state": state, "detail": detail[:300]}
    changed = session.execute(
        update(WorkerHeartbeat).where(col(WorkerHeartbeat.worker_id) == worker_id).values(**values)
    )
    if not getattr(changed, "rowcount", 0):
        session.add(
            WorkerHeartbeat(
                worker_id=worker_id,
                host=host,
                pid=pid,
                started_at=now,
                beat_at=now,
                passes=passes,
                state=state,
                detail=detail[:300],
            )
        )
    session.execute(
        delete(WorkerHeartbeat).where(col(WorkerHeartbeat.beat_at) < now - HEARTBEAT_KEPT)
    )
    session.commit()


@dataclass(frozen=True)
class HeartbeatSnapshot:
    """The workers as their heartbeats show them."""

    live: int = 0
    newest_age_seconds: float | None = None
    by_state: dict[str, int] = field(default_factory=dict)


def heartbeat_snapshot(*, session: Session, now: datetime | None = None) -> HeartbeatSnapshot:
    """Live workers (a beat within :data:`HEARTBEAT_LIVE_SECONDS`), by their last pass's state,
    and the newest beat's age (``None``: no worker has ever run against this database)."""
    now = now or utcnow()
    newest = session.exec(select(func.max(WorkerHeartbeat.beat_at))).one()
    since = now - timedelta(seconds=HEARTBEAT_LIVE_SECONDS)
    rows = session.exec(
        select(WorkerHeartbeat.state, func.count())
        .where(col(WorkerHeartbeat.beat_at) >= since)
        .group_by(col(WorkerHeartbeat.state))
    ).all()
    by_state = {str(state): int(count) for state, count in rows}
    return HeartbeatSnapshot(
        live=sum(by_state.values()), newest_age_seconds=_age(now, newest), by_state=by_state
    )
