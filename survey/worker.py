"""The outbox worker: sends queued SMS at most once, throttled, outside quiet hours.

One pass (:func:`process_batch`):

1. :func:`recover_stale_messages`: a message ``claimed`` by a worker whose lease expired goes
   back to ``queued`` (it never reached the gateway); a message found in ``sending`` with an
   expired lease becomes ``unknown`` -- the worker died while the gateway had it, so it may or
   may not have been sent -- and is **never resent automatically** (at-most-once: a citizen
   must not get the same invitation twice). The coordinator sees these and may requeue one by
   hand (:func:`requeue_unknown`).
2. :func:`claim_batch`: ``UPDATE ... SET status='claimed', lease_until=... WHERE id IN (SELECT id
   ... WHERE status='queued' AND next_attempt_at <= now ORDER BY ... LIMIT n FOR UPDATE SKIP
   LOCKED) RETURNING id``. PostgreSQL skips rows other workers hold; SQLite has one writer at a
   time so the single UPDATE is atomic there (SQLAlchemy leaves ``FOR UPDATE`` out on SQLite).
3. For each claimed message: mark it ``sending`` (only if it still carries this worker's lease:
   a worker that stalled past its lease finds its messages re-claimed by another and skips
   them) and COMMIT, then call the gateway, then record
   ``sent`` (with the gateway reference), a retry, or ``failed``. Temporary failures are retried
   with exponential backoff and jitter (Brooker, "Exponential Backoff and Jitter", AWS
   Architecture Blog, 2015, "equal jitter") up to ``max_attempts``; permanent failures mark the
   message and the invitation ``failed``.

Sending is throttled to ``settings.sms_rate_per_second`` per worker and never happens in the quiet
hours (default 21:00-07:00 Asia/Ho_Chi_Minh): messages wait until the window opens. Clock and
gateway are injected so tests control time and failures.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as day_time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from survey.campaigns import as_utc
from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.models import Campaign, Invitation, SmsMessage, utcnow
from survey.outbox import delivery_report_url
from survey.reminders import queue_due_reminders
from survey.settings import Settings
from survey.sms.gateway import SendOutcome, SendResult, SmsGateway
from survey.sms.kannel import KannelGateway, KannelSettings
from survey.sms.local_outbox import LocalOutboxGateway

UNKNOWN_NOTE = (
    "the worker stopped while the gateway had this message; it may have been sent. Check the "
    "gateway's log before requeueing it by hand"
)


class Clock(Protocol):
    """Time for the worker: ``now`` (aware UTC) and ``sleep``."""

    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return utcnow()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class WorkerConfig:
    """Tuning of the worker.

    Attributes
    ----------
    batch_size
        Messages claimed per pass.
    lease_seconds
        How long a claim or a send may take before another pass treats the worker as dead;
        longer than the gateway's timeout.
    max_attempts
        Sends tried per message before it is marked ``failed``.
    backoff_base_seconds, backoff_cap_seconds
        Retry ``k`` waits ``d/2 + U(0, d/2)`` with ``d = min(cap, base * 2**(k-1))``.
    """

    batch_size: int = 50
    lease_seconds: float = 120.0
    max_attempts: int = 5
    backoff_base_seconds: float = 60.0
    backoff_cap_seconds: float = 3600.0


@dataclass(frozen=True)
class BatchReport:
    """What one pass did; ``quiet_until`` is when sending may resume if quiet hours stopped it."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    unknown: int = 0
    requeued_claims: int = 0
    released: int = 0
    quiet_until: datetime | None = None


def _parse_hhmm(text: str) -> day_time:
    hours, _, minutes = text.partition(":")
    return day_time(int(hours), int(minutes or 0))


def quiet_until(now: datetime, settings: Settings) -> datetime | None:
    """When sending may resume, or ``None`` if ``now`` is outside the quiet hours.

    The quiet hours ``[quiet_hours_start, quiet_hours_end)`` are local times in
    ``settings.timezone`` (IANA zone through :mod:`zoneinfo`) and may span midnight.
    """
    zone = ZoneInfo(settings.timezone)
    start, end = _parse_hhmm(settings.quiet_hours_start), _parse_hhmm(settings.quiet_hours_end)
    if start == end:
        return None
    local = as_utc(now).astimezone(zone)
    clock = local.time()
    quiet = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not quiet:
        return None
    opens = datetime.combine(local.date(), end, tzinfo=zone)
    if opens <= local:
        opens = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return as_utc(opens)


def backoff_delay(attempt: int, config: WorkerConfig, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based), "equal jitter" backoff."""
    ceiling = min(config.backoff_cap_seconds, config.backoff_base_seconds * 2 ** (attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def recover_stale_messages(*, session: Session, now: datetime) -> tuple[int, int]:
    """Release expired claims and mark sends interrupted by a crash ``unknown``.

    Returns
    -------
    (requeued, unknown)
        Claims put back in the queue, and messages now ``unknown`` (never resent automatically).
    """
    requeued = session.execute(
        update(SmsMessage)
        .where(col(SmsMessage.status) == "claimed", col(SmsMessage.lease_until) < now)
        .values(status="queued", lease_until=None)
    )
    unknown = session.execute(
        update(SmsMessage)
        .where(col(SmsMessage.status) == "sending", col(SmsMessage.lease_until) < now)
        .values(status="unknown", lease_until=None, last_error=UNKNOWN_NOTE)
    )
    session.commit()
    return int(getattr(requeued, "rowcount", 0)), int(getattr(unknown, "rowcount", 0))


def claim_batch(
    *,
    session: Session,
    now: datetime,
    limit: int,
    lease_seconds: float,
    rng: random.Random | None = None,
) -> tuple[list[int], datetime]:
    """Claim up to ``limit`` due messages of active campaigns with a lease, and commit.

    Returns
    -------
    (ids, lease)
        The claimed ids and the lease's end. The lease carries random microseconds so that it
        also identifies this claim: if this worker stalls past it, another worker may requeue
        and re-claim the messages, and this worker's later ``claimed -> sending`` step (which
        requires ``lease_until == lease``) then finds nothing to send.
    """
    jitter = (rng or random.Random()).randrange(1, 1_000_000)
    lease = now + timedelta(seconds=lease_seconds, microseconds=jitter)
    due = (
        select(SmsMessage.id)
        .where(
            col(SmsMessage.status) == "queued",
            or_(col(SmsMessage.next_attempt_at).is_(None), col(SmsMessage.next_attempt_at) <= now),
            col(SmsMessage.campaign_id).in_(
                select(Campaign.id).where(col(Campaign.status) == "active")
            ),
        )
        .order_by(col(SmsMessage.next_attempt_at), col(SmsMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        update(SmsMessage)
        .where(col(SmsMessage.id).in_(due.scalar_subquery()), col(SmsMessage.status) == "queued")
        .values(status="claimed", lease_until=lease)
        .returning(col(SmsMessage.id))
    )
    ids = sorted(int(row[0]) for row in result.all())
    session.commit()
    return ids, lease


def _release(session: Session, ids: list[int], lease: datetime, when: datetime) -> int:
    if not ids:
        return 0
    result = session.execute(
        update(SmsMessage)
        .where(
            col(SmsMessage.id).in_(ids),
            col(SmsMessage.status) == "claimed",
            col(SmsMessage.lease_until) == lease,
        )
        .values(status="queued", lease_until=None, next_attempt_at=when)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0))


def _still_wanted(session: Session, invitation_id: int | None, now: datetime) -> bool:
    if invitation_id is None:
        return True
    invitation = session.get(Invitation, invitation_id, populate_existing=True)
    return not (
        invitation is None
        or invitation.completed_at is not None
        or invitation.opted_out_at is not None
        or invitation.revoked_at is not None
        or as_utc(invitation.expires_at) <= now
        or invitation.sms_status == "failed"
    )


def _record_result(
    session: Session,
    message: SmsMessage,
    result: SendResult,
    *,
    now: datetime,
    config: WorkerConfig,
    rng: random.Random,
) -> str:
    if result.outcome is SendOutcome.ACCEPTED:
        message.status = "sent"
        message.sent_at = now
        message.gateway_ref = (result.gateway_reference or "")[:100]
        message.last_error = ""
        outcome = "sent"
        invitation_status = "sent"
    elif result.outcome is SendOutcome.TEMPORARY_FAILURE and message.attempts < config.max_attempts:
        message.status = "queued"
        message.next_attempt_at = now + timedelta(
            seconds=backoff_delay(message.attempts, config, rng)
        )
        message.last_error = result.detail[:500]
        outcome = "retried"
        invitation_status = ""
    else:
        message.status = "failed"
        message.last_error = result.detail[:500]
        outcome = "failed"
        invitation_status = "failed"
    message.lease_until = None
    session.add(message)
    if message.invitation_id is not None and invitation_status:
        from_states = (
            ("none", "queued") if invitation_status == "sent" else ("none", "queued", "sent")
        )
        session.execute(
            update(Invitation)
            .where(
                col(Invitation.id) == message.invitation_id,
                col(Invitation.sms_status).in_(from_states),
            )
            .values(sms_status=invitation_status)
        )
    session.commit()
    return outcome


def process_batch(
    *,
    session: Session,
    settings: Settings,
    gateway: SmsGateway,
    clock: Clock | None = None,
    config: WorkerConfig | None = None,
    rng: random.Random | None = None,
) -> BatchReport:
    """Recover stale messages, claim a batch and send it (see the module docstring)."""
    clock = clock or SystemClock()
    config = config or WorkerConfig()
    rng = rng or random.Random()
    now = clock.now()
    requeued, unknown = recover_stale_messages(session=session, now=now)
    opens = quiet_until(now, settings)
    if opens is not None:
        return BatchReport(requeued_claims=requeued, unknown=unknown, quiet_until=opens)
    ids, lease = claim_batch(
        session=session,
        now=now,
        limit=config.batch_size,
        lease_seconds=config.lease_seconds,
        rng=rng,
    )
    interval = 1.0 / settings.sms_rate_per_second if settings.sms_rate_per_second > 0 else 0.0
    counts = {"sent": 0, "retried": 0, "failed": 0, "cancelled": 0}
    next_slot: datetime | None = None
    released = 0
    for position, message_id in enumerate(ids):
        now = clock.now()
        if next_slot is not None and now < next_slot:
            clock.sleep((next_slot - now).total_seconds())
            now = clock.now()
        opens = quiet_until(now, settings)
        if opens is not None:
            released = _release(session, ids[position:], lease, opens)
            break
        message = session.get(SmsMessage, message_id, populate_existing=True)
        if message is None or message.status != "claimed":
            continue
        if not _still_wanted(session, message.invitation_id, now) or not message.to_e164:
            cancelled = session.execute(
                update(SmsMessage)
                .where(
                    col(SmsMessage.id) == message_id,
                    col(SmsMessage.status) == "claimed",
                    col(SmsMessage.lease_until) == lease,
                )
                .values(status="cancelled", lease_until=None, last_error="no longer wanted")
            )
            session.commit()
            counts["cancelled"] += int(getattr(cancelled, "rowcount", 0))
            continue
        started = session.execute(
            update(SmsMessage)
            .where(
                col(SmsMessage.id) == message_id,
                col(SmsMessage.status) == "claimed",
                col(SmsMessage.lease_until) == lease,
            )
            .values(
                status="sending",
                attempts=SmsMessage.attempts + 1,
                lease_until=now + timedelta(seconds=config.lease_seconds),
            )
        )
        # The commit must precede the gateway call: after a crash the row says "sending".
        session.commit()
        if not getattr(started, "rowcount", 0):
            continue
        message = session.get(SmsMessage, message_id, populate_existing=True)
        assert message is not None and message.to_e164 is not None
        next_slot = now + timedelta(seconds=interval)
        try:
            result = gateway.send(str(message_id), message.to_e164, message.text)
        except Exception as error:
            # We cannot know whether the gateway took it: at-most-once says "unknown".
            message.status = "unknown"
            message.lease_until = None
            message.last_error = f"gateway raised {error!r}"[:500]
            session.add(message)
            session.commit()
            unknown += 1
            continue
        counts[
            _record_result(session, message, result, now=clock.now(), config=config, rng=rng)
        ] += 1
    return BatchReport(
        claimed=len(ids),
        sent=counts["sent"],
        retried=counts["retried"],
        failed=counts["failed"],
        cancelled=counts["cancelled"],
        unknown=unknown,
        requeued_claims=requeued,
        released=released,
        quiet_until=opens,
    )


def requeue_unknown(*, session: Session, message_id: int, now: datetime | None = None) -> None:
    """A coordinator's decision to send an ``unknown`` message again (after checking the
    gateway's log): the only way such a message is ever resent.

    Raises
    ------
    NotFound, Conflict
        When the message does not exist or is not ``unknown``.
    """
    message = session.get(SmsMessage, message_id)
    if message is None:
        raise NotFound(f"message {message_id} does not exist", [Problem(("message_id",), "")])
    if message.status != "unknown":
        raise Conflict(
            f"message {message_id} is {message.status}; only unknown messages can be requeued",
            [Problem(("status",), message.status)],
        )
    message.status = "queued"
    message.next_attempt_at = now or utcnow()
    message.last_error = "requeued by a coordinator"
    session.add(message)
    session.commit()


def run_worker(
    *,
    session: Session,
    settings: Settings,
    gateway: SmsGateway,
    clock: Clock | None = None,
    config: WorkerConfig | None = None,
    once: bool = False,
    idle_seconds: float = 5.0,
    max_passes: int | None = None,
) -> BatchReport:
    """Queue due reminders and process batches until stopped (or once); returns the last report.

    When idle the worker sleeps ``idle_seconds``; in quiet hours it sleeps until the window
    opens (at most ``idle_seconds * 60`` at a time, so configuration changes are noticed).
    """
    clock = clock or SystemClock()
    rng = random.Random()
    passes = 0
    while True:
        queue_due_reminders(session=session, settings=settings, now=clock.now())
        report = process_batch(
            session=session, settings=settings, gateway=gateway, clock=clock, config=config, rng=rng
        )
        passes += 1
        if once or (max_passes is not None and passes >= max_passes):
            return report
        if report.quiet_until is not None:
            wait = (report.quiet_until - clock.now()).total_seconds()
            clock.sleep(max(1.0, min(wait, idle_seconds * 60)))
        elif report.claimed == 0:
            clock.sleep(idle_seconds)


def make_gateway(settings: Settings) -> SmsGateway:
    """The gateway named by ``settings.sms_gateway``: ``"outbox"`` (local, nothing leaves the
    machine) or ``"kannel"`` (Kannel's sendsms, delivery reports to our callback).

    Raises
    ------
    InvalidInput
        For any other name.
    """
    if settings.sms_gateway == "outbox":
        return LocalOutboxGateway()
    if settings.sms_gateway == "kannel":
        return KannelGateway(
            KannelSettings(
                sendsms_url=settings.kannel_sendsms_url,
                username=settings.kannel_username,
                password=settings.kannel_password,
                sender=settings.sms_sender,
                dlr_url=delivery_report_url(settings),
                dlr_signing_key=settings.keys.sms_delivery_report,
            )
        )
    raise InvalidInput(
        f"unknown SMS gateway {settings.sms_gateway!r}",
        [Problem(("SIPAS_SMS_GATEWAY",), "set it to 'outbox' or 'kannel'")],
    )
