"""The worker's heartbeat: one row per process, written at the end of every pass."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.invitations import create_invitations
from survey.models import WorkerHeartbeat
from survey.monitoring import heartbeat_snapshot, record_heartbeat
from survey.outbox import queue_invitation_sms
from survey.settings import Settings
from survey.sms.gateway import SendOutcome
from survey.worker import WorkerConfig, run_worker
from tests.survey.campaign_factory import NOW, build_fieldwork
from tests.survey.fake_sms import FakeClock, RecordingGateway


def _queued(session: Session, settings: Settings) -> None:
    fieldwork = build_fieldwork(session, without_phone=())
    assert fieldwork.campaign.id is not None
    create_invitations(
        session=session, settings=settings, campaign_id=fieldwork.campaign.id, now=NOW
    )
    queue_invitation_sms(
        session=session, settings=settings, campaign_id=fieldwork.campaign.id, now=NOW
    )


def _beat(session: Session, worker_id: str) -> WorkerHeartbeat:
    row = session.exec(
        select(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id),
        execution_options={"populate_existing": True},
    ).one()
    return row


def test_every_pass_writes_the_heartbeat(
    session: Session, settings: Settings, engine: Engine
) -> None:
    _queued(session, settings)
    clock = FakeClock(NOW)
    writes: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith(("UPDATE worker_heartbeat", "INSERT INTO worker_heartbeat")):
            writes.append(statement.split()[0])

    gateway = RecordingGateway(clock)
    event.listen(engine, "before_cursor_execute", count)
    try:
        run_worker(
            session=session,
            settings=settings,
            gateway=gateway,
            clock=clock,
            config=WorkerConfig(batch_size=2),
            max_passes=5,
            worker_id="host-a:41",
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(gateway.sent) == 6  # three passes of two sent; two found nothing to send
    # Five passes: five UPDATEs, the first of which found no row and was followed by the INSERT.
    assert writes.count("UPDATE") == 5 and writes.count("INSERT") == 1
    beat = _beat(session, "host-a:41")
    assert beat.passes == 5 and beat.state == "ok" and beat.detail == ""
    assert beat.started_at < beat.beat_at == clock.now()
    snapshot = heartbeat_snapshot(session=session, now=clock.now() + timedelta(seconds=30))
    assert snapshot.live == 1 and snapshot.by_state == {"ok": 1}
    assert snapshot.newest_age_seconds == 30


def test_a_gateway_that_is_down_shows_in_the_heartbeat(
    session: Session, settings: Settings
) -> None:
    _queued(session, settings)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock, outcomes=[SendOutcome.GATEWAY_UNAVAILABLE] * 50)
    run_worker(
        session=session,
        settings=settings,
        gateway=gateway,
        clock=clock,
        max_passes=1,
        worker_id="host-b:7",
    )
    beat = _beat(session, "host-b:7")
    assert beat.state == "gateway_down" and beat.detail == SendOutcome.GATEWAY_UNAVAILABLE.value
    assert beat.passes == 1 and beat.beat_at == clock.now()


def test_workers_silent_for_a_day_are_pruned_and_not_live(session: Session) -> None:
    for worker_id, age in (("dead:1", timedelta(days=2)), ("gone:2", timedelta(minutes=30))):
        record_heartbeat(
            session=session,
            worker_id=worker_id,
            host=worker_id.split(":")[0],
            pid=1,
            passes=9,
            state="ok",
            now=NOW - age,
        )
    record_heartbeat(
        session=session, worker_id="up:3", host="up", pid=3, passes=1, state="ok", now=NOW
    )
    ids = set(session.exec(select(WorkerHeartbeat.worker_id)).all())
    assert ids == {"gone:2", "up:3"}
    snapshot = heartbeat_snapshot(session=session, now=NOW + timedelta(seconds=5))
    # The worker silent for 30 minutes is kept (an alert names it) but is not live.
    assert snapshot.live == 1 and snapshot.newest_age_seconds == 5
