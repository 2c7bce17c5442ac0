"""Fixtures for the Kannel round trip: a callback server and a private Kannel on loopback.

The callback server stands in for the platform's DLR and inbound endpoints; it records every
request so that a test can wait for the one it expects. Kannel is started by
``scripts/kannel-start`` and stopped by ``scripts/kannel-stop``. Set SIPAS_TEST_SKIP_KANNEL=1 to
skip these tests on a machine without Kannel; otherwise a missing Kannel is an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from survey.sms.kannel import read_state_file

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Callback:
    """One request received by the callback server."""

    path: str
    query: str


@dataclass
class CallbackServer:
    """Records GET requests on 127.0.0.1; :meth:`wait_for` blocks until one matches."""

    base_url: str
    received: list[Callback] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)

    def record(self, callback: Callback) -> None:
        with self.condition:
            self.received.append(callback)
            self.condition.notify_all()

    def wait_for(self, predicate: Callable[[Callback], bool], timeout: float = 20.0) -> Callback:
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for callback in self.received:
                    if predicate(callback):
                        return callback
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = "\n".join(f"{c.path}?{c.query}" for c in self.received) or "nothing"
                    raise AssertionError(f"no matching callback in {timeout} s; received:\n{seen}")
                self.condition.wait(left)


@pytest.fixture(scope="session")
def callback_server() -> Iterator[CallbackServer]:
    server_box: list[CallbackServer] = []

    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as uvicorn does: with HTTP/1.0 smsbox's DLR callbacks slow to ~20/s.
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            server_box[0].record(Callback(parts.path, parts.query))
            # An empty 200 answer: smsbox sends no reply SMS (omit-empty, max-messages = 0).
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server_box.append(CallbackServer(base_url=f"http://127.0.0.1:{httpd.server_address[1]}"))
    thread = threading.Thread(target=httpd.serve_forever, name="sms-callbacks", daemon=True)
    thread.start()
    try:
        yield server_box[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class KannelInstance:
    """A running Kannel started by scripts/kannel-start."""

    state_file: Path
    state: dict[str, str]

    @property
    def fakesmsc_log(self) -> Path:
        return Path(self.state["FAKESMSC_LOG"])

    def inject_mo(self, sender: str, receiver: str, kind: str, payload: str) -> None:
        """Make fakesmsc send a mobile-originated message (one protocol line)."""
        with open(self.state["FAKESMSC_INPUT"], "w", encoding="ascii") as fifo:
            fifo.write(f"{sender} {receiver} {kind} {payload}\n")

    def wait_for_mt(self, receiver: str, count: int = 1, timeout: float = 20.0) -> list[str]:
        """Wait for ``count`` fakesmsc lines "SENDER RECEIVER TYPE DATA" to ``receiver``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = [
                line.split(": <", 1)[1].rstrip(">")
                for line in self.fakesmsc_log.read_text(encoding="utf-8").splitlines()
                if "Got message" in line and ": <" in line
            ]
            mine = [line for line in lines if line.split(" ")[1] == receiver]
            if len(mine) >= count:
                return mine
            time.sleep(0.1)
        raise AssertionError(f"fakesmsc received < {count} messages for {receiver} in {timeout} s")


@pytest.fixture(scope="session")
def kannel(
    callback_server: CallbackServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KannelInstance]:
    if os.environ.get("SIPAS_TEST_SKIP_KANNEL") == "1":
        pytest.skip("SIPAS_TEST_SKIP_KANNEL=1")
    state_file = tmp_path_factory.mktemp("kannel") / "kannel.state"
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "KANNEL_INBOUND_URL": f"{callback_server.base_url}/sms/inbound",
    }
    started = subprocess.run(
        [str(REPO / "scripts" / "kannel-start"), str(state_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    if started.returncode != 0:
        raise RuntimeError(
            "scripts/kannel-start failed (install Kannel with scripts/kannel-install, i.e. "
            "apt-get install -y kannel kannel-extras, or set SIPAS_TEST_SKIP_KANNEL=1):\n"
            + started.stderr
        )
    try:
        yield KannelInstance(state_file, read_state_file(state_file))
    finally:
        subprocess.run(
            [str(REPO / "scripts" / "kannel-stop"), str(state_file)],
            capture_output=True,
            timeout=60,
            check=False,
        )
