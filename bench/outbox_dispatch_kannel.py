"""Outbox dispatch through a real Kannel: messages per second, worker to fake operator.

Queues N invitation SMS on a fresh SQLite database, starts a private Kannel with
``scripts/kannel-start`` (bearerbox + smsbox + fakesmsc on loopback), runs the outbox worker with
the throttle lifted, and prints:

- worker rate: messages handed to Kannel's sendsms and accepted (HTTP 202), per second, which
  includes the claim/sending/sent commits of the at-most-once protocol;
- end-to-end rate: messages that reached the fake operator (fakesmsc) per second.

Delivery reports are not requested (no callback server), so they cost nothing here.

Usage: .venv/bin/python bench/outbox_dispatch_kannel.py [N]   (default 500)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from survey.db import make_engine, upgrade_database  # noqa: E402
from survey.invitations import create_invitations  # noqa: E402
from survey.models import utcnow  # noqa: E402
from survey.outbox import queue_invitation_sms  # noqa: E402
from survey.settings import Settings  # noqa: E402
from survey.sms.kannel import KannelGateway, KannelSettings, read_state_file  # noqa: E402
from survey.worker import WorkerConfig, process_batch  # noqa: E402
from tests.survey.campaign_factory import build_fieldwork  # noqa: E402


def _received(log: Path) -> int:
    # One line per SMS part; count the distinct recipients (each gets one message).
    return len(
        {
            line.split(": <", 1)[1].split(" ")[1]
            for line in log.read_text(encoding="utf-8").splitlines()
            if "Got message" in line and ": <" in line
        }
    )


def main(n: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="sipas-bench-"))
    settings = Settings(
        database_url=f"sqlite:///{work / 'bench.db'}",
        sms_rate_per_second=1e9,
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
    )
    upgrade_database(settings.database_url)
    engine = make_engine(settings)
    state_file = work / "kannel.state"
    subprocess.run(
        [str(REPO / "scripts" / "kannel-start"), str(state_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    try:
        state = read_state_file(state_file)
        log = Path(state["FAKESMSC_LOG"])
        with Session(engine) as session:
            fw = build_fieldwork(
                session, n=n, without_phone=(), strip_diacritics=True, now=utcnow()
            )
            assert fw.campaign.id is not None
            create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id)
            queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id)
            gateway = KannelGateway(KannelSettings.from_state_file(state_file, dlr_url=None))
            before = _received(log)
            config = WorkerConfig(batch_size=100)
            start = time.perf_counter()
            sent = 0
            with gateway:
                while sent < n:
                    report = process_batch(
                        session=session, settings=settings, gateway=gateway, config=config
                    )
                    if report.claimed == 0:
                        break
                    sent += report.sent
            worker_seconds = time.perf_counter() - start
            while _received(log) - before < sent and time.perf_counter() - start < 120:
                time.sleep(0.05)
            total_seconds = time.perf_counter() - start
            arrived = _received(log) - before
    finally:
        subprocess.run(
            [str(REPO / "scripts" / "kannel-stop"), str(state_file)],
            check=False,
            capture_output=True,
        )
        engine.dispose()
    print(f"messages queued        {n}")
    print(
        f"accepted by Kannel     {sent} in {worker_seconds:.2f} s = {sent / worker_seconds:.0f}/s"
    )
    print(
        f"reached fake operator  {arrived} in {total_seconds:.2f} s = "
        f"{arrived / total_seconds:.0f}/s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
