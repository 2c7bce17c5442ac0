"""Friendly failure (issue 12, item 3): with the database out of reach every page and API call
answers 503 with Retry-After (the vi/en "try again" page for citizens and staff, the one JSON
error shape on the API), and a client that goes away is not an error."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from survey.settings import Settings

TOKEN = "A" * 43


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["postgresql-refused", "sqlite-unopenable"])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A database that refuses connections: PostgreSQL on a port where nothing listens, or a
    SQLite file that cannot be opened (its path is a directory)."""
    if request.param == "postgresql-refused":
        url = f"postgresql://sipas:sipas@127.0.0.1:{_closed_port()}/sipas"
    else:
        (tmp_path / "db-is-a-folder").mkdir()
        url = f"sqlite:///{tmp_path / 'db-is-a-folder'}"
    return Settings(database_url=url, development=True)


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def test_citizen_pages_say_try_again_in_vietnamese_then_english(
    unreachable: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO), TestClient(create_app(unreachable)) as client:
        page = client.get(f"/r/{TOKEN}")
        english = client.get(f"/r/{TOKEN}?lang=en")
        posted = client.post(f"/r/{TOKEN}/page/1", data={"csrf": "x", "access_q1": "4"})
    assert page.status_code == 503 and page.headers["retry-after"] == "30"
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in page.text and "Hệ thống tạm thời gián đoạn" in page.text
    assert "30 giây" in page.text and f'href="/r/{TOKEN}"' in page.text
    assert "content-security-policy" in page.headers  # still through the security headers
    assert english.status_code == 503 and "briefly unavailable" in english.text
    assert "30 seconds" in english.text
    assert posted.status_code == 503 and "gián đoạn" in posted.text
    _no_errors_logged(caplog)
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    # The log names the failure, never the citizen's token.
    assert not [r for r in caplog.records if r.name.startswith("sipas") and TOKEN in r.getMessage()]


def test_staff_pages_and_api_answer_503(
    unreachable: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO), TestClient(create_app(unreachable)) as client:
        client.cookies.set("sipas_session", "some-session-token")
        staff = client.get("/staff/campaigns", follow_redirects=False)
        client.cookies.clear()
        api = client.get("/api/campaigns", headers={"Authorization": "Bearer some-api-token"})
        sign_in = client.post(
            "/api/auth/token", json={"username": "coord", "password": "correct horse battery"}
        )
    assert staff.status_code == 503 and staff.headers["retry-after"] == "30"
    assert "Hệ thống tạm thời gián đoạn" in staff.text
    for answer in (api, sign_in):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "30"
        (problem,) = answer.json()["detail"]
        assert problem["type"] == "service_unavailable" and "retry in 30 seconds" in problem["msg"]
    _no_errors_logged(caplog)


def test_openapi_publishes_the_503(unreachable: Settings) -> None:
    with TestClient(create_app(unreachable)) as client:
        document = client.get("/openapi.json").json()
    responses = document["paths"]["/api/campaigns"]["get"]["responses"]
    assert "503" in responses


def _disconnecting_post(app: Any, path: str) -> list[dict[str, Any]]:
    """POST ``path`` as a client that hangs up before sending its body; returns what was sent."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"200"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_client_disconnects_are_not_logged_as_errors(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)
    with caplog.at_level(logging.DEBUG):
        # The sign-in page reads its form body: Starlette raises ClientDisconnect there.
        _disconnecting_post(app, "/staff/sign-in")
    _no_errors_logged(caplog)
    assert not [r for r in caplog.records if r.exc_info]
    app.state.engine.dispose()
