"""A controllable clock and gateway for the outbox tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from survey.sms.gateway import SendOutcome, SendResult


class FakeClock:
    """Time that moves only when the code sleeps or the test advances it."""

    def __init__(self, now: datetime) -> None:
        self.current = now
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


class WorkerCrashed(BaseException):
    """Stands for the process dying (not an Exception, so the worker cannot catch it)."""


@dataclass
class RecordingGateway:
    """Records every hand-over; ``outcomes`` scripts the answers per call, ``crash_on`` kills
    the worker after the gateway has taken the message (the worst moment)."""

    clock: FakeClock | None = None
    outcomes: list[SendOutcome] = field(default_factory=list)
    crash_on: int | None = None
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)

    def send(self, message_id: str, to: str, text: str) -> SendResult:
        self.sent.append((message_id, to, text))
        if self.clock is not None:
            self.times.append(self.clock.now())
        if self.crash_on is not None and len(self.sent) == self.crash_on:
            raise WorkerCrashed
        outcome = self.outcomes.pop(0) if self.outcomes else SendOutcome.ACCEPTED
        ref = f"ref-{message_id}" if outcome is SendOutcome.ACCEPTED else None
        return SendResult(outcome, ref, outcome.value)
