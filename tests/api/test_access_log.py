"""Access logs keep no citizen token, callback key or password: on uvicorn's own records, and in
the log of a real ``sipas serve``."""

from __future__ import annotations

import io
import logging
import logging.config
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.access_log import RedactSecrets, install_access_log_redaction, redact_path
from api.access_log import uvicorn_log_config as log_config

TOKEN = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde"  # 43 characters, like a real one
KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/r/{TOKEN}", "/r/AbCd…"),
        (f"/r/{TOKEN}/p/2?lang=en", "/r/AbCd…/p/2?lang=en"),
        (f"/sms/kannel/inbound/{KEY}?sender=0912&text=STOP&coding=0", None),
        (f"/sms/kannel/inbound?key={KEY}&smsc=f", "/sms/kannel/inbound?key=[redacted]&smsc=f"),
        (
            "/sms/kannel/dlr?message_id=7&sig=0123456789abcdef&status=1",
            "/sms/kannel/dlr?message_id=7&sig=[redacted]&status=1",
        ),
        ("/api/x?Token=t1&n=2&PASSWORD=p&api_key=k", None),
        (f"https://sipas.example.vn/r/{TOKEN}", "https://sipas.example.vn/r/AbCd…"),
        ("/staff/campaigns/3?status=sent&offset=200", "/staff/campaigns/3?status=sent&offset=200"),
    ],
)
def test_redact_path(path: str, expected: str | None) -> None:
    redacted = redact_path(path)
    if expected is not None:
        assert redacted == expected
    for secret in (TOKEN, KEY, "t1", "=p&", "=k", "0912", "STOP"):
        assert secret not in redacted


def _uvicorn_access_line(path: str) -> str:
    """Format a record the way uvicorn's protocol does, through ``sipas serve``'s log config."""
    stream = io.StringIO()
    config = log_config()
    config["handlers"]["access"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        # uvicorn.protocols.http.*: access_logger.info('%s - "%s %s HTTP/%s" %d', ...)
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.9:5000", "GET", path, "1.1", 200
        )
    finally:
        logging.getLogger("uvicorn.access").handlers.clear()
    return stream.getvalue()


def test_uvicorn_records_through_the_serve_log_config() -> None:
    line = _uvicorn_access_line(f"/r/{TOKEN}/p/1?csrf=abc")
    assert TOKEN not in line and "abc" not in line
    assert '"GET /r/AbCd…/p/1?csrf=[redacted] HTTP/1.1" 200' in line
    assert "203.0.113.9:5000" in line


def test_filter_on_the_logger_for_uvicorn_started_elsewhere() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:1", "GET", f"/sms/kannel/inbound/{KEY}?text=HUY", "1.1", 200), None,
    )  # fmt: skip
    assert RedactSecrets().filter(record) is True
    assert KEY not in record.getMessage() and "HUY" not in record.getMessage()
    install_access_log_redaction()
    install_access_log_redaction()
    filters = logging.getLogger("uvicorn.access").filters
    assert sum(isinstance(f, RedactSecrets) for f in filters) == 1


def test_a_real_sipas_serve_logs_no_token_or_key(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SIPAS_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/static/staff.css", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "sipas serve did not start"
                time.sleep(0.2)
        for path in (
            f"/r/{TOKEN}",
            f"/sms/kannel/inbound/{KEY}?sender=0912345678&text=TU+CHOI",
            "/api/auth/token?password=hunter2-secret",
        ):
            httpx.get(base + path, timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=20)
    text = log.read_text()
    assert "/r/AbCd…" in text and "/sms/kannel/inbound/[redacted]" in text, text
    for secret in (TOKEN, KEY, "0912345678", "hunter2-secret", "TU+CHOI"):
        assert secret not in text
