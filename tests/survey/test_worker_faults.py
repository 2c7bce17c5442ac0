"""A worker that stays up (issue 12, item 2): database errors and gateway outages cost no message
its attempts and do not stop the worker; status updates never move a message backwards; only a
coordinator, with a reason, sends a failed or unknown message again. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from survey.errors import Conflict, InvalidInput, NotFound
from survey.invitations import create_invitations
from survey.models import AuditEvent, Invitation, SmsMessage
from survey.outbox import apply_delivery_report, queue_invitation_sms, requeue_message
from survey.settings import Settings
from survey.sms.gateway import DeliveryReport, DeliveryStatus, SendOutcome, SendResult
from survey.sms.kannel import KannelGateway, KannelSettings
from survey.worker import WorkerConfig, process_batch, run_worker
from tests.survey.campaign_factory import NOW, build_fieldwork
from tests.survey.fake_sms import FakeClock, RecordingGateway

N = 5


def _queued(session: Session, settings: Settings, n: int = N) -> int:
    fw = build_fieldwork(session, n=n, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    return fw.campaign.id


def _messages(session: Session) -> list[SmsMessage]:
    session.expire_all()
    return list(session.exec(select(SmsMessage).order_by(col(SmsMessage.id))).all())


def _statuses(session: Session) -> Counter[str]:
    return Counter(m.status for m in _messages(session))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Smsbox(BaseHTTPRequestHandler):
    """Answers as Kannel's sendsms does: 202 with a recipient, 400 without one."""

    calls: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        type(self).calls.append(query)
        status, body = (
            (202, "0: Accepted for delivery") if "to" in query else (400, "Missing receiver number")
        )
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


class CountingKannel(KannelGateway):
    """The real Kannel gateway, counting what it tries."""

    def __init__(self, settings: KannelSettings) -> None:
        super().__init__(settings)
        self.sends: list[SendResult] = []
        self.probes: list[SendResult] = []

    def send(self, message_id: str, to: str, text: str) -> SendResult:
        self.sends.append(super().send(message_id, to, text))
        return self.sends[-1]

    def probe(self) -> SendResult:
        self.probes.append(super().probe())
        return self.probes[-1]


@pytest.fixture
def kannel_port() -> Iterator[int]:
    yield _free_port()


def test_gateway_down_for_many_batches_leaves_every_message_queued_with_attempts_unchanged(
    session: Session, settings: Settings, kannel_port: int
) -> None:
    _queued(session, settings)
    gateway = CountingKannel(
        KannelSettings(
            sendsms_url=f"http://127.0.0.1:{kannel_port}/cgi-bin/sendsms",
            username="u",
            password="p",
            sender="SIPAS",
            timeout=2.0,
        )
    )
    clock = FakeClock(NOW)
    config = WorkerConfig(batch_size=2, probe_base_seconds=5, probe_cap_seconds=300)
    # Nothing listens on the port: connection refused, pass after pass (~2 hours of clock).
    report = run_worker(
        session=session,
        settings=settings,
        gateway=gateway,
        clock=clock,
        config=config,
        max_passes=40,
    )
    assert report.gateway_down and "smsbox running" in report.gateway_down
    messages = _messages(session)
    assert {m.status for m in messages} == {"queued"}
    assert [m.attempts for m in messages] == [0] * N
    assert "cannot reach Kannel" in messages[0].last_error
    assert {i.sms_status for i in session.exec(select(Invitation))} == {"queued"}
    # One message found the gateway down; after that the worker only probed, with a bounded,
    # growing backoff.
    assert len(gateway.sends) == 1 and len(gateway.probes) == 39
    assert max(clock.sleeps) <= 300 and clock.sleeps[0] <= 5 and min(clock.sleeps[-5:]) >= 150

    # The gateway comes back: every message goes out once, on its first attempt.
    _Smsbox.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", kannel_port), _Smsbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        run_worker(
            session=session,
            settings=settings,
            gateway=gateway,
            clock=clock,
            config=config,
            max_passes=6,
        )
    finally:
        server.shutdown()
        server.server_close()
        gateway.close()
    messages = _messages(session)
    assert {m.status for m in messages} == {"sent"}
    assert [m.attempts for m in messages] == [1] * N
    sent_to = [q["to"][0] for q in _Smsbox.calls if "to" in q]
    assert sorted(sent_to) == sorted(str(m.to_e164) for m in messages)


def test_gateway_that_may_have_taken_a_message_makes_it_unknown_and_stops(
    session: Session, settings: Settings
) -> None:
    _queued(session, settings)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock, outcomes=[SendOutcome.ACCEPTED, SendOutcome.UNCERTAIN])
    report = process_batch(session=session, settings=settings, gateway=gateway, clock=clock)
    assert report.gateway_down and (report.sent, report.unknown, report.released) == (1, 1, 3)
    assert _statuses(session) == Counter({"sent": 1, "unknown": 1, "queued": 3})
    assert len(gateway.sent) == 2
    unknown = [m for m in _messages(session) if m.status == "unknown"]
    assert "may have been sent" in unknown[0].last_error
    assert all(m.attempts == 0 for m in _messages(session) if m.status == "queued")


def test_message_level_refusals_still_count_against_attempts(
    session: Session, settings: Settings
) -> None:
    _queued(session, settings, n=2)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock, outcomes=[SendOutcome.TEMPORARY_FAILURE] * 2)
    report = process_batch(session=session, settings=settings, gateway=gateway, clock=clock)
    assert (report.retried, report.gateway_down) == (2, "")
    assert [m.attempts for m in _messages(session)] == [1, 1]


class _DatabaseOutage:
    """Makes the database fail like a restarting PostgreSQL: from the ``start``-th recording of a
    "sent" result, the next ``length`` statements raise OperationalError."""

    def __init__(self, engine: Engine, *, start: int, length: int) -> None:
        self.engine, self.start, self.length = engine, start, length
        self.recordings = 0
        self.failed = 0

    def __enter__(self) -> _DatabaseOutage:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE sms_message SET") and "sent_at" in statement:
            self.recordings += 1
        if self.recordings >= self.start and self.failed < self.length:
            self.failed += 1
            raise OperationalError(statement, None, ConnectionError("server closed the connection"))


def test_database_error_mid_batch_does_not_kill_run_worker(
    session: Session, settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _queued(session, settings)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(clock)
    config = WorkerConfig(
        lease_seconds=30, error_backoff_base_seconds=1, error_backoff_cap_seconds=8
    )
    with (
        caplog.at_level(logging.ERROR, logger="sipas.worker"),
        _DatabaseOutage(engine, start=3, length=6) as outage,
    ):
        run_worker(
            session=session,
            settings=settings,
            gateway=gateway,
            clock=clock,
            config=config,
            max_passes=30,
        )
    assert outage.failed == 6
    assert any("worker pass failed" in r.getMessage() for r in caplog.records)
    # The third message reached the gateway and its "sent" was lost with the connection: it is
    # unknown (never resent); the rest of the batch was requeued after its lease and sent.
    assert _statuses(session) == Counter({"sent": N - 1, "unknown": 1})
    handed = [mid for mid, _, _ in gateway.sent]
    assert len(handed) == len(set(handed)) == N
    # Consecutive failures back off, up to the cap, then the worker carries on.
    error_waits = [s for s in clock.sleeps if s not in (5.0,)]
    assert error_waits and max(error_waits) <= 8


class _ReportFirst:
    """A gateway whose delivery report reaches the platform before ``send`` returns."""

    def __init__(self, engine: Engine, status: DeliveryStatus) -> None:
        self.engine, self.status = engine, status

    def send(self, message_id: str, to: str, text: str) -> SendResult:
        with Session(self.engine) as callback:
            assert apply_delivery_report(
                session=callback,
                report=DeliveryReport(message_id=message_id, status=self.status),
                now=NOW,
            )
        return SendResult(SendOutcome.ACCEPTED, message_id, "0: Accepted for delivery")


@pytest.mark.parametrize(
    ("status", "final"),
    [(DeliveryStatus.DELIVERED, "delivered"), (DeliveryStatus.UNDELIVERED, "failed")],
)
def test_delivery_report_before_sent_is_never_overwritten(
    session: Session, settings: Settings, engine: Engine, status: DeliveryStatus, final: str
) -> None:
    _queued(session, settings, n=3)
    clock = FakeClock(NOW)
    process_batch(
        session=session, settings=settings, gateway=_ReportFirst(engine, status), clock=clock
    )
    messages = _messages(session)
    assert {m.status for m in messages} == {final}
    assert all(m.sent_at is not None for m in messages)
    assert {i.sms_status for i in session.exec(select(Invitation))} == {final}


def test_delivery_reports_never_move_a_message_backwards(
    session: Session, settings: Settings
) -> None:
    _queued(session, settings, n=2)
    clock = FakeClock(NOW)
    process_batch(session=session, settings=settings, gateway=RecordingGateway(clock), clock=clock)
    first, second = _messages(session)
    delivered = DeliveryReport(message_id=str(first.id), status=DeliveryStatus.DELIVERED)
    assert apply_delivery_report(session=session, report=delivered, now=NOW)
    late_failure = DeliveryReport(message_id=str(first.id), status=DeliveryStatus.UNDELIVERED)
    assert apply_delivery_report(session=session, report=late_failure, now=NOW)
    # A cancelled message stays cancelled whatever a report says.
    session.exec(select(SmsMessage).where(col(SmsMessage.id) == second.id)).one()
    second.status = "cancelled"
    session.add(second)
    session.commit()
    report = DeliveryReport(message_id=str(second.id), status=DeliveryStatus.DELIVERED)
    assert apply_delivery_report(session=session, report=report, now=NOW)
    assert [m.status for m in _messages(session)] == ["delivered", "cancelled"]


def test_failed_and_unknown_messages_are_requeued_only_with_a_reason(
    session: Session, settings: Settings
) -> None:
    campaign_id = _queued(session, settings, n=3)
    clock = FakeClock(NOW)
    gateway = RecordingGateway(
        clock, outcomes=[SendOutcome.PERMANENT_FAILURE, SendOutcome.ACCEPTED, SendOutcome.ACCEPTED]
    )
    process_batch(session=session, settings=settings, gateway=gateway, clock=clock)
    failed, sent, _ = _messages(session)
    assert failed.status == "failed" and failed.id is not None and sent.id is not None
    invitation = session.get(Invitation, failed.invitation_id)
    assert invitation is not None and invitation.sms_status == "failed"
    # Nothing resends it on its own.
    clock.advance(days=1)
    process_batch(session=session, settings=settings, gateway=gateway, clock=clock)
    assert len(gateway.sent) == 3

    with pytest.raises(InvalidInput) as short:
        requeue_message(session=session, message_id=failed.id, reason="  ok ")
    assert short.value.problems[0].loc == ("reason",)
    with pytest.raises(Conflict):
        requeue_message(session=session, message_id=sent.id, reason="sent twice on purpose")
    with pytest.raises(NotFound):
        requeue_message(
            session=session,
            message_id=failed.id,
            reason="wrong campaign",
            campaign_id=campaign_id + 1,
        )
    requeued = requeue_message(
        session=session,
        message_id=failed.id,
        reason="the operator fixed the number's route",
        campaign_id=campaign_id,
        actor_name="coord1",
        now=clock.now(),
    )
    assert (requeued.status, requeued.attempts) == ("queued", 0)
    assert "coord1" in requeued.last_error and "fixed the number's route" in requeued.last_error
    session.refresh(invitation)
    assert invitation.sms_status == "queued"
    (entry,) = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "sms.requeue")).all()
    assert entry.target == f"sms_message:{failed.id}" and entry.actor_name == "coord1"
    assert entry.details["reason"] == "the operator fixed the number's route"
    assert entry.details["was"] == "failed"
    report = process_batch(session=session, settings=settings, gateway=gateway, clock=clock)
    assert report.sent == 1 and len(gateway.sent) == 4
    assert _statuses(session) == Counter({"sent": 3})
