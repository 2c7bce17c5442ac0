"""End to end through a real Kannel: the worker sends, Kannel's fake SMSC delivers, the delivery
report reaches our FastAPI callback under uvicorn, and a "TU CHOI" reply opts the person out.

Kannel is started by ``scripts/kannel-start`` (as in ``tests/survey/sms``) with its inbound URL
pointing at our ``/sms/kannel/inbound/{key}`` endpoint. SIPAS_TEST_SKIP_KANNEL=1 skips it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import Session, col, select

from api.app import create_app
from survey.invitations import create_invitations
from survey.models import Invitation, SmsMessage, utcnow
from survey.outbox import delivery_report_url, inbound_url, queue_invitation_sms
from survey.settings import Settings
from survey.sms.kannel import KannelGateway, KannelSettings, read_state_file
from survey.worker import process_batch
from tests.survey.campaign_factory import build_fieldwork

pytestmark = pytest.mark.kannel

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_port() -> int:
    return _free_port()


@pytest.fixture(scope="module")
def kannel_state(app_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.environ.get("SIPAS_TEST_SKIP_KANNEL") == "1":
        pytest.skip("SIPAS_TEST_SKIP_KANNEL=1")
    state_file = tmp_path_factory.mktemp("kannel-e2e") / "kannel.state"
    live = Settings(public_base_url=f"http://127.0.0.1:{app_port}", development=True)
    env = {**os.environ, "PYTHON": sys.executable, "KANNEL_INBOUND_URL": inbound_url(live)}
    started = subprocess.run(
        [str(REPO / "scripts" / "kannel-start"), str(state_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    if started.returncode != 0:
        raise RuntimeError("scripts/kannel-start failed:\n" + started.stderr)
    try:
        yield state_file
    finally:
        subprocess.run(
            [str(REPO / "scripts" / "kannel-stop"), str(state_file)],
            capture_output=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def served(settings: Settings, app_port: int) -> Iterator[Settings]:
    """Our app under uvicorn on ``app_port``; quiet hours off so the test runs at any hour."""
    live = replace(
        settings,
        public_base_url=f"http://127.0.0.1:{app_port}",
        sms_gateway="kannel",
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(live), host="127.0.0.1", port=app_port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _mt_lines(state: dict[str, str]) -> list[str]:
    log = Path(state["FAKESMSC_LOG"]).read_text(encoding="utf-8")
    return [line for line in log.splitlines() if "Got message" in line]


def test_worker_kannel_dlr_and_opt_out(
    kannel_state: Path, served: Settings, session: Session
) -> None:
    state = read_state_file(kannel_state)
    fw = build_fieldwork(session, n=3, without_phone=(), strip_diacritics=True, now=utcnow())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=served, campaign_id=fw.campaign.id)
    queue_invitation_sms(session=session, settings=served, campaign_id=fw.campaign.id)
    gateway = KannelGateway(
        KannelSettings.from_state_file(
            kannel_state,
            dlr_url=delivery_report_url(served),
            dlr_signing_key=served.keys.sms_delivery_report,
        )
    )
    before = len(_mt_lines(state))
    with gateway:
        report = process_batch(session=session, settings=served, gateway=gateway)
    assert report.sent == 3, report

    phones = list(fw.phones.values())
    _wait(lambda: len(_mt_lines(state)) - before >= 3, "the fake SMSC to receive 3 messages")
    received = "\n".join(_mt_lines(state)[before:])
    assert all(phone in received for phone in phones)

    def statuses() -> list[str]:
        session.expire_all()
        return [m.status for m in session.exec(select(SmsMessage))]

    _wait(lambda: statuses() == ["delivered"] * 3, "delivery reports through our endpoint")
    session.expire_all()
    assert {i.sms_status for i in session.exec(select(Invitation))} == {"delivered"}

    # The first person replies "TU CHOI" from the national form of their number.
    national = "0" + phones[0].removeprefix("+84")
    with open(state["FAKESMSC_INPUT"], "w", encoding="ascii") as fifo:
        fifo.write(f"{national} 8099 text TU CHOI\n")

    def opted() -> list[bool]:
        session.expire_all()
        rows = session.exec(select(Invitation).order_by(col(Invitation.id))).all()
        return [i.opted_out_at is not None for i in rows]

    _wait(lambda: opted() == [True, False, False], "the opt-out reply through our endpoint")
