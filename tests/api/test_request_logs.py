"""Structured logs: one JSON object per line, a request id on every line of a request, and no
citizen token, callback key, phone, SMS text or password in any field, on a real ``sipas serve``
answering real requests, and on the application's own records inside a request."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.request_context import HEADER, incoming_request_id
from survey.db import make_engine, upgrade_database
from survey.errors import InvalidInput
from survey.logging_setup import JsonFormatter, TextFormatter, log_format_from_environment
from survey.outbox import queue_invitation_sms
from survey.redaction import redact_text
from survey.settings import Settings
from tests.api.fast_users import PASSWORD, make_user
from tests.conftest import TEST_SECRET_KEY
from tests.survey.responses_fixtures import build_fieldwork

ROOT = Path(__file__).resolve().parents[2]
PHONE = "0912345678"
SMS_TEXT = "TU CHOI KHAO SAT"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _json_lines(text: str) -> list[dict[str, Any]]:
    """Every non-empty line parsed as JSON (a line that is not JSON fails the test)."""
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    return parsed


def test_a_real_sipas_serve_writes_json_lines_with_request_ids_and_no_secret(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'logs.db'}"
    upgrade_database(url)
    settings = Settings(database_url=url, secret_key=TEST_SECRET_KEY)
    engine = make_engine(settings)
    with Session(engine) as session:
        fieldwork = build_fieldwork(session, TEST_SECRET_KEY, n=2)
        make_user(session, "coordinator", "dieu-phoi")
    engine.dispose()
    token = fieldwork.tokens[0]
    key = settings.keys.sms_inbound_credential

    port = _free_port()
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": url,
        "SIPAS_SECRET_KEY": TEST_SECRET_KEY,
        "SIPAS_LOG_FORMAT": "json",
    }
    out_path, err_path = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out_path.open("w") as out, err_path.open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    answered: dict[str, httpx.Response] = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, err_path.read_text()
                assert time.monotonic() < deadline, "sipas serve did not start"
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=20) as client:
            answered["answer"] = client.get(f"/r/{token}", headers={HEADER: "proxy-id-0001"})
            answered["sign_in"] = client.post(
                "/staff/sign-in",
                data={"username": "dieu-phoi", "password": PASSWORD, "next": "/staff"},
            )
            answered["wrong_password"] = client.post(
                "/staff/sign-in",
                data={"username": "dieu-phoi", "password": PASSWORD + "-sai"},
            )
            answered["reply"] = client.get(
                f"/sms/kannel/inbound/{key}",
                params={"sender": PHONE, "receiver": "8085", "text": SMS_TEXT, "coding": "0"},
                headers={HEADER: "bad id\twith spaces"},
            )
            answered["reply_query_key"] = client.get(
                "/sms/kannel/inbound",
                params={"key": key, "sender": "+84" + PHONE[1:], "text": SMS_TEXT},
            )
    finally:
        server.terminate()
        server.wait(timeout=30)

    # The requests did what they do (else the test would check the logs of refusals only).
    assert answered["answer"].status_code == 200
    assert answered["sign_in"].status_code == 303
    assert answered["wrong_password"].status_code in {401, 422}
    assert answered["reply"].status_code == 200
    assert answered["reply_query_key"].status_code == 200
    assert answered["answer"].headers[HEADER] == "proxy-id-0001"
    replaced = answered["reply"].headers[HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)
    ids = {reply.headers[HEADER] for reply in answered.values()}
    assert len(ids) == len(answered)  # one id per request

    stdout, stderr = out_path.read_text(), err_path.read_text()
    records = _json_lines(stdout) + _json_lines(stderr)
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert {r["request_id"] for r in access} >= ids
    by_id = {r["request_id"]: r for r in access}
    assert by_id["proxy-id-0001"]["path"] == f"/r/{token[:4]}…"
    assert by_id["proxy-id-0001"]["status"] == 200 and by_id["proxy-id-0001"]["method"] == "GET"
    assert by_id[replaced]["path"].startswith("/sms/kannel/inbound/[redacted]?")
    assert {"time", "level", "message", "pid"} <= set(by_id[replaced])
    # uvicorn's start-up lines are JSON too, outside any request.
    assert any(r["logger"].startswith("uvicorn") and "request_id" not in r for r in records)

    everything = stdout + stderr
    for secret in (
        token,
        key,
        PHONE,
        PHONE[1:],  # 912345678, as in +84912345678
        "TU+CHOI",
        "TU%20CHOI",
        SMS_TEXT,
        PASSWORD,
        PASSWORD.replace(" ", "+"),
        "bad id",
    ):
        assert secret not in everything, secret


def _capture(logger_name: str, formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, stream


def test_application_records_inside_a_request_carry_its_id_and_a_500_names_it(
    settings: Settings,
) -> None:
    app: FastAPI = create_app(settings)
    log = logging.getLogger("sipas.test_request_logs")

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        log.warning("sending to %s failed: password=%s", PHONE, "hunter2-secret")
        raise RuntimeError(f"bug while texting {PHONE} at /r/AbCdEfGhIjKlMnOpQrSt")

    logger, stream = _capture("sipas.test_request_logs", JsonFormatter())
    uvicorn_error, error_stream = _capture("uvicorn.error", JsonFormatter())
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            reply = client.get("/boom", headers={HEADER: "support-ticket-42"})
            try:
                raise RuntimeError("after the request")
            except RuntimeError:
                # What uvicorn does with an unhandled error: logged in the request's context.
                uvicorn_error.exception("Exception in ASGI application")
    finally:
        logger.handlers.clear()
        uvicorn_error.handlers.clear()
    assert reply.status_code == 500
    assert reply.headers[HEADER] == "support-ticket-42"
    body = reply.json()
    assert body["request_id"] == "support-ticket-42"
    assert body["detail"][0]["type"] == "internal_error"
    assert "support-ticket-42" in body["detail"][0]["msg"]
    (record,) = _json_lines(stream.getvalue())
    assert record["request_id"] == "support-ticket-42"
    assert record["level"] == "WARNING" and record["logger"] == "sipas.test_request_logs"
    assert record["message"] == "sending to [phone] failed: password=[redacted]"
    assert PHONE not in stream.getvalue() and "hunter2-secret" not in stream.getvalue()
    assert "error" in _json_lines(error_stream.getvalue())[0]


def test_every_field_is_redacted_extras_and_tracebacks_included() -> None:
    record = logging.LogRecord(
        "sipas.worker", logging.ERROR, __file__, 1, "send to %s: %s", (PHONE, SMS_TEXT), None
    )
    record.recipient = "+84 912 345 678"
    record.links = [f"https://khaosat.example.gov.vn/r/{'x' * 43}", {"sig": "0123abcd"}]
    try:
        raise ValueError(
            "(psycopg.errors.UniqueViolation) duplicate\n[SQL: INSERT INTO sms_message (phone) "
            f"VALUES (%(phone)s)]\n[parameters: {{'phone': '{PHONE}', 'body': 'Xin chao'}}]\n"
            "(Background on this error at: https://sqlalche.me/e/20/gkpj)"
        )
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    parsed = json.loads(line)
    assert parsed["recipient"] == "[phone]"
    assert parsed["links"][0] == "https://khaosat.example.gov.vn/r/xxxx…"
    assert "[parameters: [redacted]]" in parsed["error"] and "Background" in parsed["error"]
    assert PHONE not in line and "Xin chao" not in line and "x" * 43 not in line
    # SMS text is not recognisable by itself: it is redacted where it travels (text=, sender=).
    assert redact_text(f"/sms/kannel/inbound?sender={PHONE}&text=TU+CHOI") == (
        "/sms/kannel/inbound?sender=[redacted]&text=[redacted]"
    )
    text_line = TextFormatter().format(record)
    assert PHONE not in text_line and "[phone]" in text_line


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("0f8c2e1a-7d7e-4b7a-9a42-3f1f5c1d2e3a", True),
        ("nginx.req:12345678", True),
        ("short", False),
        ("x" * 129, False),
        ("has space inside it", False),
        ("line\nbreak-injected", False),
        ('quote"injected-here', False),
        ("/r/AbCdEfGhIjKlMnOp", False),
        ("", False),
        (None, False),
    ],
)
def test_incoming_request_ids_are_kept_only_when_sane(given: str | None, kept: bool) -> None:
    result = incoming_request_id(given)
    if kept:
        assert result == given
    else:
        assert result != given and re.fullmatch(r"[0-9a-f]{32}", result)


def test_log_format_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIPAS_LOG_FORMAT", raising=False)
    assert log_format_from_environment() == "text"
    monkeypatch.setenv("SIPAS_LOG_FORMAT", " JSON ")
    assert log_format_from_environment() == "json"
    monkeypatch.setenv("SIPAS_LOG_FORMAT", "xml")
    with pytest.raises(InvalidInput) as refused:
        log_format_from_environment()
    assert refused.value.problems[0].loc == ("SIPAS_LOG_FORMAT",)
    assert "json or text" in refused.value.problems[0].msg


def test_sipas_worker_writes_json_lines_without_key_phone_or_gateway_password(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade_database(url)
    settings = Settings(database_url=url, secret_key=TEST_SECRET_KEY)
    engine = make_engine(settings)
    with Session(engine) as session:
        fieldwork = build_fieldwork(session, TEST_SECRET_KEY, n=2)
        queued = queue_invitation_sms(
            session=session, settings=settings, campaign_id=fieldwork.campaign_id
        )
    engine.dispose()
    assert queued.queued == 2
    # Nothing listens on this port: the gateway is down, which the worker logs.
    gateway = f"http://127.0.0.1:{_free_port()}/cgi-bin/sendsms"
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": url,
        "SIPAS_SECRET_KEY": TEST_SECRET_KEY,
        "SIPAS_LOG_FORMAT": "json",
        "SIPAS_SMS_GATEWAY": "kannel",
        "SIPAS_KANNEL_SENDSMS_URL": gateway,
        "SIPAS_KANNEL_PASSWORD": "kannel-pass-secret",
        "SIPAS_QUIET_HOURS_START": "00:00",
        "SIPAS_QUIET_HOURS_END": "00:00",
    }
    done = subprocess.run(
        [sys.executable, "-m", "api.cli.main", "worker", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    records = _json_lines(done.stderr)
    messages = [r["message"] for r in records if r["logger"] == "sipas.worker"]
    assert any("/sms/kannel/inbound/[redacted]" in m for m in messages), messages
    assert any("SMS gateway unavailable" in m for m in messages), messages
    assert all("request_id" not in r for r in records)
    everything = done.stdout + done.stderr
    for secret in (settings.keys.sms_inbound_credential, "kannel-pass-secret", "+8490", "8490000"):
        assert secret not in everything, secret
