"""Gzip where it cannot help BREACH: pages and stylesheets yes, answers to queries and forms no."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from api.compression import may_compress
from survey.settings import Settings
from tests.survey.responses_fixtures import Fieldwork, build_fieldwork

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def fieldwork(engine: Engine, session: Session, settings: Settings) -> Fieldwork:
    return build_fieldwork(session, settings.secret_key, n=2)


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


@dataclass(frozen=True)
class Sent:
    status_code: int
    headers: Mapping[str, str]
    raw_body: bytes  # still compressed: httpx would decode it otherwise


def _raw(client: TestClient, method: str, url: str, **kwargs: Any) -> Sent:
    with client.stream(method, url, headers=GZIP, **kwargs) as response:
        body = b"".join(response.iter_raw())
        return Sent(response.status_code, response.headers, body)


def test_the_citizens_page_and_stylesheet_are_sent_gzipped(
    client: TestClient, fieldwork: Fieldwork
) -> None:
    welcome = _raw(client, "GET", f"/r/{fieldwork.tokens[0]}")
    assert welcome.status_code == 200
    assert welcome.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in welcome.headers["vary"]
    page = gzip.decompress(welcome.raw_body).decode()
    assert "<html" in page and 'name="csrf"' in page
    assert len(welcome.raw_body) < len(page.encode())

    stylesheet = _raw(client, "GET", "/static/answer.css")
    assert stylesheet.headers["content-encoding"] == "gzip"
    css = gzip.decompress(stylesheet.raw_body)
    assert b"{" in css and len(stylesheet.raw_body) < len(css) / 2


def test_a_client_that_does_not_ask_gets_plain_bytes(
    client: TestClient, fieldwork: Fieldwork
) -> None:
    plain = {"Accept-Encoding": "identity"}
    with client.stream("GET", f"/r/{fieldwork.tokens[0]}", headers=plain) as response:
        body = b"".join(response.iter_raw())
    assert "content-encoding" not in response.headers
    assert b"<html" in body


def test_answers_that_reflect_the_request_are_not_compressed(
    client: TestClient, fieldwork: Fieldwork
) -> None:
    token = fieldwork.tokens[0]
    with_query = _raw(client, "GET", f"/r/{token}?lang=en&x=" + "reflected" * 80)
    assert with_query.status_code == 200
    assert "content-encoding" not in with_query.headers
    welcome = client.get(f"/r/{token}").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', welcome)
    assert csrf
    posted = _raw(client, "POST", f"/r/{token}/start", data={"csrf": "0" * 64})
    assert posted.status_code < 500
    assert "content-encoding" not in posted.headers


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("GET", "/staff", b"", True),
        ("HEAD", "/staff", b"", True),
        ("GET", "/staff/audit", b"actor=x", False),
        ("POST", "/staff/sign-in", b"", False),
        ("POST", "/static/staff.css", b"", True),
        ("GET", "/static/staff.css", b"v=2", True),
    ],
)
def test_which_requests_may_be_compressed(
    method: str, path: str, query: bytes, expected: bool
) -> None:
    scope = {"type": "http", "method": method, "path": path, "query_string": query}
    assert may_compress(scope) is expected
