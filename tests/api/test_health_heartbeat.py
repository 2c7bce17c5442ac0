"""/readyz and /metrics report the workers' heartbeats."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.models import utcnow
from survey.monitoring import record_heartbeat
from survey.settings import Settings


def test_readyz_and_metrics_report_the_heartbeat_age(settings: Settings, session: Session) -> None:
    with TestClient(create_app(settings)) as client:
        worker = client.get("/readyz").json()["worker"]
        assert worker["heartbeat_age_seconds"] is None and worker["live"] == 0
        assert "sipas_worker_heartbeat_age_seconds" not in client.get("/metrics").text

        now = utcnow()
        record_heartbeat(
            session=session,
            worker_id="w1:10",
            host="w1",
            pid=10,
            passes=4,
            state="ok",
            now=now - timedelta(seconds=90),
        )
        record_heartbeat(
            session=session,
            worker_id="w2:11",
            host="w2",
            pid=11,
            passes=2,
            state="gateway_down",
            detail="connection refused",
            now=now - timedelta(minutes=40),
        )
        ready = client.get("/readyz")
        assert ready.status_code == 200
        worker = ready.json()["worker"]
        assert 90 <= worker["heartbeat_age_seconds"] < 150
        assert worker["live"] == 1 and worker["states"] == {"ok": 1}

        text = client.get("/metrics").text
        age = re.search(r"^sipas_worker_heartbeat_age_seconds (\S+)$", text, re.MULTILINE)
        assert age and 90 <= float(age.group(1)) < 150
        assert re.search(r'^sipas_workers_live\{state="ok"\} 1\.0$', text, re.MULTILINE)
        assert re.search(r'^sipas_workers_live\{state="gateway_down"\} 0\.0$', text, re.MULTILINE)
