"""/healthz, /readyz and /metrics: status codes, the outbox's ages, route templates not paths."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.models import SmsMessage, utcnow
from survey.settings import Settings


def _message(
    key: str, status: str, *, age: timedelta, due: timedelta, attempts: int = 0
) -> SmsMessage:
    now = utcnow()
    return SmsMessage(
        idempotency_key=key,
        kind="invitation",
        text="hello",
        encoding="gsm7",
        segments=1,
        status=status,
        attempts=attempts,
        created_at=now - age,
        next_attempt_at=now - due,
        sent_at=now - timedelta(minutes=2) if status == "sent" else None,
    )


def _metric(body: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", body, re.MULTILINE)
    assert match, f"{name}{labels} is not in the metrics"
    return float(match.group(1))


def test_ready_with_the_outbox_ages(settings: Settings, session: Session) -> None:
    session.add(_message("a", "queued", age=timedelta(minutes=10), due=timedelta(minutes=5)))
    session.add(
        _message("b", "queued", age=timedelta(minutes=1), due=-timedelta(hours=1), attempts=2)
    )
    session.add(_message("c", "sent", age=timedelta(minutes=3), due=timedelta(minutes=3)))
    session.add(_message("d", "failed", age=timedelta(hours=1), due=timedelta(hours=1)))
    session.commit()
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ok" and body["database"] == "ok"
        worker = body["worker"]
        assert worker["queued"] == 2
        assert 290 <= worker["oldest_due_message_age_seconds"] <= 400
        assert 110 <= worker["last_sent_age_seconds"] <= 200

        # A citizen link: its token must never become a label.
        client.get("/r/SeCrEtToKeN1234567890/p/1")
        client.get("/no/such/page/SeCrEtToKeN1234567890")
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        assert "SeCrEtToKeN" not in text
        assert 'method="GET",route="/r/{token}/p/{number}"' in text
        assert (
            _metric(
                text, "sipas_http_requests_total", '{method="GET",route="/readyz",status="200"}'
            )
            == 1
        )
        assert (
            _metric(
                text, "sipas_http_requests_total", '{method="GET",route="unmatched",status="404"}'
            )
            == 1
        )
        assert (
            _metric(
                text, "sipas_http_request_duration_seconds_count", '{method="GET",route="/healthz"}'
            )
            == 1
        )
        assert _metric(text, "sipas_database_up") == 1
        assert _metric(text, "sipas_outbox_messages", '{status="queued"}') == 2
        assert _metric(text, "sipas_outbox_messages", '{status="delivered"}') == 0
        assert _metric(text, "sipas_outbox_send_failures") == 1
        assert _metric(text, "sipas_outbox_retrying") == 1
        assert 590 <= _metric(text, "sipas_outbox_oldest_queued_age_seconds") <= 700
        assert 290 <= _metric(text, "sipas_outbox_oldest_due_age_seconds") <= 400
        assert _metric(text, "sipas_responses_submitted") == 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("kind", ["postgresql-refused", "sqlite-unopenable"])
def test_not_ready_without_the_database(kind: str, tmp_path: Path) -> None:
    if kind == "postgresql-refused":
        url = f"postgresql://sipas:secretpw@127.0.0.1:{_closed_port()}/sipas"
    else:
        (tmp_path / "db-is-a-folder").mkdir()
        url = f"sqlite:///{tmp_path / 'db-is-a-folder'}"
    with TestClient(create_app(Settings(database_url=url, development=True))) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["database"].startswith("database unreachable")
        assert "secretpw" not in ready.text
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert _metric(metrics.text, "sipas_database_up") == 0
