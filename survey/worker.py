"""The outbox worker: sends queued SMS at most once, throttled, outside quiet hours.

One pass (:func:`process_batch`):

1. :func:`recover_stale_messages`: a message ``claimed`` by a worker whose lease expired goes
   back to ``queued`` (it never reached the gateway); a message found in ``sending`` with an
   expired lease becomes ``unknown`` -- the worker died while the gateway had it, so it may or
   may not have been sent -- and is **never resent automatically** (at-most-once: a citizen
   must not get the same invitation twice). The coordinator sees these and may requeue one by
   hand, with a reason (:func:`survey.outbox.requeue_message`).
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

Faults (:func:`run_worker`): a database error rolls the session back, waits a bounded, jittered
backoff and the loop goes on; the batch it interrupted waits out its lease like a crash's. When
the gateway itself is unreachable (:attr:`SendOutcome.gateway_down`: refused, no connection, 5xx,
credentials refused) the message goes back to the queue with its attempt given back, the rest of
the batch is released, and the worker stops claiming: it probes the gateway
(:class:`survey.sms.gateway.ProbingGateway`, else a one-message batch) with backoff until it
answers. Only a message-level refusal counts against ``max_attempts``. Status updates name the
statuses they may leave in their ``WHERE`` (:data:`survey.outbox.ADVANCES_FROM`), so a delivery
report that arrived first is never overwritten by "sent".

Sending is throttled to ``settings.sms_rate_per_second`` per worker and never happens in the quiet
hours (default 21:00-07:00 Asia/Ho_Chi_Minh): messages wait until the window opens. Clock and
gateway are injected so tests control time and failures.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as day_time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from survey.campaigns import as_utc
from survey.errors import InvalidInput, Problem
from survey.models import Campaign, Invitation, SmsMessage, utcnow
from survey.monitoring import record_heartbeat
from survey.outbox import ADVANCES_FROM, delivery_report_url
from survey.reminders import queue_due_reminders
from survey.settings import Settings
from survey.sms.gateway import ProbingGateway, SendOutcome, SendResult, SmsGateway
from survey.sms.kannel import KannelGateway, KannelSettings
from survey.sms.local_outbox import LocalOutboxGateway

logger = logging.getLogger("sipas.worker")

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
    error_backoff_base_seconds, error_backoff_cap_seconds
        The same backoff between passes after a database error, by consecutive failures.
    probe_base_seconds, probe_cap_seconds
        The same backoff between probes of a gateway that is down.
    """

    batch_size: int = 50
    lease_seconds: float = 120.0
    max_attempts: int = 5
    backoff_base_seconds: float = 60.0
    backoff_cap_seconds: float = 3600.0
    error_backoff_base_seconds: float = 1.0
    error_backoff_cap_seconds: float = 60.0
    probe_base_seconds: float = 5.0
    probe_cap_seconds: float = 300.0


@dataclass(frozen=True)
class BatchReport:
    """What one pass did; ``quiet_until`` is when sending may resume if quiet hours stopped it,
    ``gateway_down`` why the gateway took nothing (the pass stopped there), if it did not."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    unknown: int = 0
    requeued_claims: int = 0
    released: int = 0
    quiet_until: datetime | None = None
    gateway_down: str = ""


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


def jittered_backoff(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """``d/2 + U(0, d/2)`` seconds with ``d = min(cap, base * 2**(attempt-1))`` ("equal
    jitter"): bounded by ``cap``, and workers that failed together do not retry together."""
    ceiling = min(cap, base * 2 ** min(max(attempt - 1, 0), 62))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def backoff_delay(attempt: int, config: WorkerConfig, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based), "equal jitter" backoff."""
    return jittered_backoff(attempt, config.backoff_base_seconds, config.backoff_cap_seconds, rng)


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
    """Record a send's outcome, only on a message still in a status it may leave that way."""
    outcome: str
    if result.outcome is SendOutcome.ACCEPTED:
        outcome, invitation_status = "sent", "sent"
        values: dict[str, object] = {
            "status": "sent",
            "sent_at": now,
            "gateway_ref": (result.gateway_reference or "")[:100],
            "last_error": "",
        }
    elif result.outcome is SendOutcome.GATEWAY_UNAVAILABLE:
        # Nothing reached the gateway: not this message's attempt.
        outcome, invitation_status = "queued", ""
        values = {
            "status": "queued",
            "attempts": SmsMessage.attempts - 1,
            "next_attempt_at": now,
            "last_error": result.detail[:500],
        }
    elif result.outcome is SendOutcome.UNCERTAIN:
        outcome, invitation_status = "unknown", ""
        values = {"status": "unknown", "last_error": f"{result.detail}. {UNKNOWN_NOTE}"[:500]}
    elif result.outcome is SendOutcome.TEMPORARY_FAILURE and message.attempts < config.max_attempts:
        outcome, invitation_status = "retried", ""
        values = {
            "status": "queued",
            "next_attempt_at": now
            + timedelta(seconds=backoff_delay(message.attempts, config, rng)),
            "last_error": result.detail[:500],
        }
    else:
        outcome, invitation_status = "failed", "failed"
        values = {"status": "failed", "last_error": result.detail[:500]}
    target = str(values["status"])
    # "sending" is the only status the worker sends from; "sent" may also settle an "unknown".
    leaving = ("sending", "unknown") if target == "sent" else ("sending",)
    assert set(leaving) <= set(ADVANCES_FROM[target])
    changed = session.execute(
        update(SmsMessage)
        .where(col(SmsMessage.id) == message.id, col(SmsMessage.status).in_(leaving))
        .values(lease_until=None, **values)
    )
    if getattr(changed, "rowcount", 0) and message.invitation_id is not None and invitation_status:
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
    counts = {"sent": 0, "retried": 0, "failed": 0, "cancelled": 0, "queued": 0, "unknown": 0}
    next_slot: datetime | None = None
    released = 0
    down = ""
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
            session.rollback()
            marked = session.execute(
                update(SmsMessage)
                .where(col(SmsMessage.id) == message_id, col(SmsMessage.status) == "sending")
                .values(
                    status="unknown", lease_until=None, last_error=f"gateway raised {error!r}"[:500]
                )
            )
            session.commit()
            unknown += int(getattr(marked, "rowcount", 0))
            continue
        counts[
            _record_result(session, message, result, now=clock.now(), config=config, rng=rng)
        ] += 1
        if result.outcome.gateway_down:
            # Sending the rest now would only burn their turn: hand them back and probe.
            down = result.detail or result.outcome.value
            released = _release(session, ids[position + 1 :], lease, clock.now())
            logger.warning(
                "SMS gateway unavailable, %d messages back in the queue: %s",
                released + counts["queued"],
                down,
            )
            break
    return BatchReport(
        claimed=len(ids),
        sent=counts["sent"],
        retried=counts["retried"],
        failed=counts["failed"],
        cancelled=counts["cancelled"],
        unknown=unknown + counts["unknown"],
        requeued_claims=requeued,
        released=released + counts["queued"],
        quiet_until=opens,
        gateway_down=down,
    )


def probe_gateway(gateway: SmsGateway) -> SendResult:
    """Whether the gateway would take a message now; gateways that cannot tell say yes (the
    next pass then sends one message, which answers the question)."""
    if isinstance(gateway, ProbingGateway):
        return gateway.probe()
    return SendResult(SendOutcome.ACCEPTED, None, "no probe: try one message")


def _probe(gateway: SmsGateway) -> SendResult:
    try:
        return probe_gateway(gateway)
    except Exception as error:  # a probe that raises is one that failed
        return SendResult(SendOutcome.GATEWAY_UNAVAILABLE, None, repr(error))


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except SQLAlchemyError:  # the connection is gone: the pool replaces it on the next use
        session.invalidate()


def _beat(
    session: Session,
    worker_id: str,
    host: str,
    passes: int,
    now: datetime,
    *,
    down: str,
    failures: int,
) -> None:
    state, detail = "ok", ""
    if failures:
        state, detail = "database_error", f"{failures} failed passes in a row"
    elif down:
        state, detail = "gateway_down", down
    try:
        record_heartbeat(
            session=session,
            worker_id=worker_id,
            host=host,
            pid=os.getpid(),
            passes=passes,
            state=state,
            detail=detail,
            now=now,
        )
    except SQLAlchemyError:
        # The database is what failed: the next pass backs off and the beat's age shows it.
        logger.warning("worker heartbeat not written (database error)")
        _rollback(session)


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
    rng: random.Random | None = None,
    worker_id: str = "",
) -> BatchReport:
    """Queue due reminders and process batches until stopped (or once); returns the last report.

    Every pass ends with a heartbeat row under ``worker_id`` (default ``host:pid``), which
    ``/readyz`` and ``/metrics`` read; a heartbeat that cannot be written is only logged.

    When idle the worker sleeps ``idle_seconds``; in quiet hours it sleeps until the window
    opens (at most ``idle_seconds * 60`` at a time, so configuration changes are noticed). A
    pass that fails (database down, a bug) is logged and rolled back, and the next one follows
    a backoff; a gateway that is down is probed before anything else is claimed.
    """
    clock = clock or SystemClock()
    config = config or WorkerConfig()
    rng = rng or random.Random()
    passes = failures = probes = 0
    down = ""  # why the gateway is unavailable, while it is
    report = BatchReport()
    host = socket.gethostname()
    worker_id = worker_id or f"{host}:{os.getpid()}"
    while True:
        if down:
            # Claim nothing while the gateway is down: a probe per pass, with backoff.
            probes += 1
            clock.sleep(
                jittered_backoff(probes, config.probe_base_seconds, config.probe_cap_seconds, rng)
            )
            probed = _probe(gateway)
            if probed.outcome.gateway_down:
                if probed.detail != down:
                    logger.warning("SMS gateway still unavailable: %s", probed.detail)
                down = probed.detail or down
            else:
                logger.info("SMS gateway answers again after %d probes", probes)
                down, probes = "", 0
            report = BatchReport(gateway_down=down)
        else:
            try:
                queue_due_reminders(session=session, settings=settings, now=clock.now())
                report = process_batch(
                    session=session,
                    settings=settings,
                    gateway=gateway,
                    clock=clock,
                    config=config,
                    rng=rng,
                )
                failures = 0
                down = report.gateway_down
            except Exception:
                # Staying up is the point: what was claimed waits out its lease, as after a
                # crash, and is then requeued (claimed) or marked unknown (sending).
                failures += 1
                logger.exception(
                    "worker pass failed (%d in a row); retrying after a backoff", failures
                )
                _rollback(session)
                report = BatchReport()
        passes += 1
        _beat(session, worker_id, host, passes, clock.now(), down=down, failures=failures)
        if once or (max_passes is not None and passes >= max_passes):
            return report
        if down:
            continue
        if failures:
            clock.sleep(
                jittered_backoff(
                    failures,
                    config.error_backoff_base_seconds,
                    config.error_backoff_cap_seconds,
                    rng,
                )
            )
        elif report.quiet_until is not None:
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
