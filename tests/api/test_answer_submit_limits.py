"""The citizen's submission counts its per-address hit in its own route (one pool checkout for
the counter and the submission): the same limit as every other citizen page."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from api.rate_limits import counted_in_route
from survey.models.rate_limits import RateLimitCounter
from survey.settings import Settings
from tests.survey.responses_fixtures import build_fieldwork


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    limited = dataclasses.replace(settings, citizen_limit_per_address="3/minute")
    with TestClient(create_app(limited), follow_redirects=False) as test_client:
        yield test_client


def test_only_the_submission_counts_in_its_route() -> None:
    assert counted_in_route({"method": "POST", "path": "/r/abc/submit"})
    assert not counted_in_route({"method": "GET", "path": "/r/abc/submit"})
    assert not counted_in_route({"method": "POST", "path": "/r/abc/p/1"})
    assert not counted_in_route({"method": "POST", "path": "/r/abc/submit/x"})


def test_submissions_share_the_citizen_limit_and_their_count_outlives_a_rollback(
    client: TestClient, session: Session, settings: Settings
) -> None:
    fieldwork = build_fieldwork(session, settings.secret_key, n=1)
    token = fieldwork.tokens[0]
    # A wrong form token: the submission rolls back, the hit stays counted.
    assert client.post(f"/r/{token}/submit", data={"csrf": "x"}).status_code == 400
    assert client.get(f"/r/{token}").status_code == 200
    assert client.post("/r/not-a-real-link/submit", data={"csrf": "x"}).status_code == 404
    refused = client.post(f"/r/{token}/submit", data={"csrf": "x"})
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 60
    assert "Quá nhiều yêu cầu" in refused.text
    session.expire_all()
    (counter,) = session.exec(select(RateLimitCounter)).all()
    assert counter.count == 4
