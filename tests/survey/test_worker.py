"""The outbox worker: at-most-once after crashes, throttle, quiet hours, retry with backoff."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.invitations import create_invitations
from survey.models import Invitation, SmsMessage
from survey.outbox import queue_invitation_sms, requeue_message
from survey.settings import Settings
from survey.sms.gateway import SendOutcome, SendResult
from survey.worker import (
    WorkerConfig,
    backoff_delay,
    claim_batch,
    process_batch,
    quiet_until,
    recover_stale_messages,
)
from tests.survey.campaign_factory import NOW, build_fieldwork
from tests.survey.fake_sms import FakeClock, RecordingGateway, WorkerCrashed


def _queued(session: Session, settings: Settings, n: int = 6) -> int:
    fw = build_fieldwork(session, n=n, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    return fw.campaign.id


def _statuses(session: Session) -> Counter[str]:
    session.expire_all()
    return Counter(m.status for m in session.exec(select(SmsMessage)))


def test_sends_all_and_records_gateway_ref(session: Session, settings: Settings) -> None:
    _queued(session, settings, n=4)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock)
    report = process_batch(session=session, settings=settings, gateway=gateway, clock=clock)
    assert (report.claimed, report.sent) == (4, 4)
    session.expire_all()
    messages = session.exec(select(SmsMessage)).all()
    assert {m.status for m in messages} == {"sent"}
    assert all(m.gateway_ref == f"ref-{m.id}" and m.attempts == 1 for m in messages)
    assert {i.sms_status for i in session.exec(select(Invitation))} == {"sent"}
    assert sorted(to for _, to, _ in gateway.sent) == sorted(str(m.to_e164) for m in messages)


def test_crash_mid_batch_never_sends_twice(session: Session, settings: Settings) -> None:
    _queued(session, settings, n=6)
    clock = FakeClock(NOW)
    crashing = RecordingGateway(clock, crash_on=3)
    with pytest.raises(WorkerCrashed):
        process_batch(session=session, settings=settings, gateway=crashing, clock=clock)
    # The third message reached the gateway; the worker died before recording the outcome.
    session.rollback()
    assert _statuses(session) == Counter({"sent": 2, "sending": 1, "claimed": 3})
    # Before the leases expire, a second worker takes nothing.
    second = RecordingGateway(clock)
    assert process_batch(session=session, settings=settings, gateway=second, clock=clock).sent == 0
    clock.advance(seconds=WorkerConfig().lease_seconds + 1)
    report = process_batch(session=session, settings=settings, gateway=second, clock=clock)
    assert (report.unknown, report.requeued_claims, report.sent) == (1, 3, 3)
    # Each message went to the gateway exactly once over both workers.
    handed = [mid for mid, _, _ in crashing.sent + second.sent]
    assert len(handed) == len(set(handed)) == 6
    clock.advance(days=1)
    later = RecordingGateway(clock)
    process_batch(session=session, settings=settings, gateway=later, clock=clock)
    assert later.sent == []
    assert _statuses(session) == Counter({"sent": 5, "unknown": 1})


def test_unknown_is_resent_only_by_hand(session: Session, settings: Settings) -> None:
    _queued(session, settings, n=1)
    clock = FakeClock(NOW)
    with pytest.raises(WorkerCrashed):
        process_batch(
            session=session, settings=settings, gateway=RecordingGateway(crash_on=1), clock=clock
        )
    session.rollback()
    clock.advance(hours=1)
    recover_stale_messages(session=session, now=clock.now())
    message = session.exec(select(SmsMessage)).one()
    assert message.status == "unknown" and "may have been sent" in message.last_error
    assert message.id is not None
    requeue_message(
        session=session,
        message_id=message.id,
        reason="the gateway's log has no trace of it",
        now=clock.now(),
    )
    gateway = RecordingGateway(clock)
    assert process_batch(session=session, settings=settings, gateway=gateway, clock=clock).sent == 1


def test_throttle_spaces_sends(session: Session, settings: Settings) -> None:
    _queued(session, settings, n=6)
    slow = Settings(database_url=settings.database_url, sms_rate_per_second=4.0)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock)
    process_batch(session=session, settings=slow, gateway=gateway, clock=clock)
    gaps = [(b - a).total_seconds() for a, b in zip(gateway.times, gateway.times[1:], strict=False)]
    assert len(gaps) == 5
    assert min(gaps) == pytest.approx(0.25)
    assert clock.current - NOW == timedelta(seconds=1.25)


@pytest.mark.parametrize(
    ("local", "opens"),
    [
        ("2026-03-02T21:00", "2026-03-03T07:00"),
        ("2026-03-02T23:59", "2026-03-03T07:00"),
        ("2026-03-03T06:59", "2026-03-03T07:00"),
        ("2026-03-03T07:00", None),
        ("2026-03-02T20:59", None),
        ("2026-03-02T12:00", None),
    ],
)
def test_quiet_hours_in_hanoi_time(local: str, opens: str | None) -> None:
    # Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving).
    now = datetime.fromisoformat(local).replace(tzinfo=UTC) - timedelta(hours=7)
    expected = (
        None
        if opens is None
        else datetime.fromisoformat(opens).replace(tzinfo=UTC) - timedelta(hours=7)
    )
    assert quiet_until(now, Settings()) == expected


def test_nothing_sent_in_quiet_hours_then_sent_when_window_opens(
    session: Session, settings: Settings
) -> None:
    _queued(session, settings, n=3)
    night = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 22:30 in Hanoi
    clock = FakeClock(night)
    gateway = RecordingGateway(clock)
    report = process_batch(session=session, settings=settings, gateway=gateway, clock=clock)
    assert gateway.sent == [] and report.claimed == 0
    assert report.quiet_until == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 07:00 Hanoi
    clock.current = report.quiet_until
    assert process_batch(session=session, settings=settings, gateway=gateway, clock=clock).sent == 3


def test_batch_stops_when_quiet_hours_begin(session: Session, settings: Settings) -> None:
    _queued(session, settings, n=4)
    slow = Settings(database_url=settings.database_url, sms_rate_per_second=0.01)  # 100 s apart
    clock = FakeClock(datetime(2026, 3, 2, 13, 57, tzinfo=UTC))  # 20:57 Hanoi
    gateway = RecordingGateway(clock)
    report = process_batch(session=session, settings=slow, gateway=gateway, clock=clock)
    # Sends at 20:57:00 and 20:58:40; the third would be at 21:00:20.
    assert (report.sent, report.released) == (2, 2)
    assert _statuses(session) == Counter({"sent": 2, "queued": 2})


def test_retry_with_backoff_then_failure(session: Session, settings: Settings) -> None:
    _queued(session, settings, n=1)
    config = WorkerConfig(max_attempts=3, backoff_base_seconds=60, backoff_cap_seconds=600)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock, outcomes=[SendOutcome.TEMPORARY_FAILURE] * 3)
    rng = random.Random(7)
    report = process_batch(
        session=session, settings=settings, gateway=gateway, clock=clock, config=config, rng=rng
    )
    assert report.retried == 1
    message = session.exec(select(SmsMessage)).one()
    session.refresh(message)
    assert message.next_attempt_at is not None
    wait = (message.next_attempt_at.replace(tzinfo=UTC) - NOW).total_seconds()
    assert 30 <= wait <= 60
    # Not due yet: nothing is sent.
    process_batch(session=session, settings=settings, gateway=gateway, clock=clock, config=config)
    assert len(gateway.sent) == 1
    clock.advance(seconds=61)
    process_batch(session=session, settings=settings, gateway=gateway, clock=clock, config=config)
    clock.advance(seconds=121)
    report = process_batch(
        session=session, settings=settings, gateway=gateway, clock=clock, config=config
    )
    assert report.failed == 1 and len(gateway.sent) == 3
    session.expire_all()
    assert session.exec(select(SmsMessage)).one().status == "failed"
    assert session.exec(select(Invitation)).one().sms_status == "failed"


def test_permanent_failure_marks_invitation(session: Session, settings: Settings) -> None:
    _queued(session, settings, n=2)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock, outcomes=[SendOutcome.PERMANENT_FAILURE])
    report = process_batch(session=session, settings=settings, gateway=gateway, clock=clock)
    assert (report.failed, report.sent) == (1, 1)
    session.expire_all()
    failed = session.exec(select(Invitation).where(col(Invitation.sms_status) == "failed")).all()
    assert len(failed) == 1


def test_backoff_bounds_and_growth() -> None:
    config = WorkerConfig(backoff_base_seconds=10, backoff_cap_seconds=100)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = [backoff_delay(attempt, config, rng) for _ in range(500)]
        assert ceiling / 2 <= min(delays) and max(delays) <= ceiling
        # Uniform on [c/2, c]: mean 3c/4 (jitter spreads retries of a failed batch).
        assert sum(delays) / len(delays) == pytest.approx(0.75 * ceiling, rel=0.05)


def test_messages_to_completed_or_opted_out_invitations_are_cancelled(
    session: Session, settings: Settings
) -> None:
    _queued(session, settings, n=3)
    invitations = session.exec(select(Invitation).order_by(col(Invitation.id))).all()
    invitations[0].completed_at = NOW
    session.add(invitations[0])
    session.commit()
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock)
    report = process_batch(session=session, settings=settings, gateway=gateway, clock=clock)
    assert (report.sent, report.cancelled) == (2, 1)


def test_make_gateway_from_settings() -> None:
    from survey.errors import InvalidInput
    from survey.sms.kannel import KannelGateway
    from survey.sms.local_outbox import LocalOutboxGateway
    from survey.worker import make_gateway

    assert isinstance(make_gateway(Settings()), LocalOutboxGateway)
    kannel_settings = Settings(sms_gateway="kannel", public_base_url="https://x.vn")
    kannel = make_gateway(kannel_settings)
    assert isinstance(kannel, KannelGateway)
    # No key in the URL Kannel stores and logs; each message's URL is signed instead.
    assert kannel.settings.dlr_url == "https://x.vn/sms/kannel/dlr"
    assert kannel.settings.dlr_signing_key == kannel_settings.keys.sms_delivery_report
    kannel.close()
    with pytest.raises(InvalidInput):
        make_gateway(Settings(sms_gateway="carrier-pigeon"))


def test_run_worker_sends_and_queues_due_reminders(session: Session, settings: Settings) -> None:
    from survey.worker import run_worker

    _queued(session, settings, n=2)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock)
    run_worker(session=session, settings=settings, gateway=gateway, clock=clock, once=True)
    assert len(gateway.sent) == 2
    clock.advance(days=3, hours=1)
    run_worker(session=session, settings=settings, gateway=gateway, clock=clock, max_passes=2)
    kinds = Counter(m.kind for m in session.exec(select(SmsMessage)))
    assert kinds == Counter({"invitation": 2, "reminder": 2}) and len(gateway.sent) == 4


def test_concurrent_workers_never_send_the_same_message(
    session: Session, settings: Settings, engine: Engine
) -> None:
    _queued(session, settings, n=24)
    fast = Settings(database_url=settings.database_url, sms_rate_per_second=0)
    gateway = RecordingGateway()
    lock = threading.Lock()

    class Shared:
        def send(self, message_id: str, to: str, text: str) -> SendResult:
            with lock:
                return gateway.send(message_id, to, text)

    def work() -> None:
        with Session(engine) as own:
            for _ in range(6):
                process_batch(
                    session=own,
                    settings=fast,
                    gateway=Shared(),
                    clock=FakeClock(NOW),
                    config=WorkerConfig(batch_size=3),
                )

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    handed = [mid for mid, _, _ in gateway.sent]
    assert len(handed) == len(set(handed)) == 24
    assert _statuses(session) == Counter({"sent": 24})


def test_a_stalled_worker_does_not_send_what_another_reclaimed(
    session: Session, settings: Settings, engine: Engine
) -> None:
    _queued(session, settings, n=4)
    config = WorkerConfig(lease_seconds=60)
    clock = FakeClock(NOW)
    reclaimed: list[int] = []

    class Stalling:
        """The first send outlasts the lease; meanwhile another worker re-claims the rest."""

        def __init__(self) -> None:
            self.sent: list[str] = []

        def send(self, message_id: str, to: str, text: str) -> SendResult:
            self.sent.append(message_id)
            if len(self.sent) == 1:
                clock.advance(seconds=120)
                with Session(engine) as other:
                    recover_stale_messages(session=other, now=clock.now())
                    ids, _lease = claim_batch(
                        session=other, now=clock.now(), limit=10, lease_seconds=60
                    )
                    reclaimed.extend(ids)
            return SendResult(SendOutcome.ACCEPTED, f"ref-{message_id}")

    stalling = Stalling()
    process_batch(session=session, settings=settings, gateway=stalling, clock=clock, config=config)
    # The stalled worker must not touch the three messages the other worker now holds.
    assert len(stalling.sent) == 1 and len(reclaimed) == 3
    clock.advance(seconds=61)  # the other worker died too: its claims go back to the queue
    later = RecordingGateway(clock)
    process_batch(session=session, settings=settings, gateway=later, clock=clock, config=config)
    handed = stalling.sent + [mid for mid, _, _ in later.sent]
    assert len(handed) == len(set(handed)) == 4
