"""Over HTTP the audit entries name the signed-in user and the caller's address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.api.test_draws_api import design_id  # noqa: F401 - a fixture

# The address Starlette's test client connects from.
TEST_ADDRESS = "testclient"


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _audit(client: TestClient, session: Session, **params: str) -> list[dict[str, object]]:
    admin = bearer(session, "admin", "auditor")
    body = client.get("/api/audit", headers=admin, params=params).json()
    items: list[dict[str, object]] = body["items"]
    return items


def test_sample_download_names_the_coordinator_and_address(
    client: TestClient,
    session: Session,
    design_id: int,  # noqa: F811
) -> None:
    coordinator = bearer(session, "coordinator", "dieu-phoi")
    draw = client.post(f"/api/designs/{design_id}/draws", headers=coordinator, json={"seed": 1})
    draw_id = draw.json()["id"]
    assert client.get(f"/api/draws/{draw_id}/sample.csv", headers=coordinator).status_code == 200
    (event,) = _audit(client, session, action="export.sample")
    assert event["actor_name"] == "dieu-phoi" and event["address"] == TEST_ADDRESS
    assert event["target"] == f"draw:{draw_id}"
    assert event["details"] == {"phones_included": True, "format": "csv", "scoped": False}


def test_questionnaire_publication_names_the_publisher(
    client: TestClient, session: Session
) -> None:
    coordinator = bearer(session, "coordinator", "dieu-phoi")
    listed = client.get("/api/questionnaires", headers=coordinator).json()
    definition = client.get(
        f"/api/questionnaires/{listed[0]['id']}/export", headers=coordinator
    ).json()
    definition["version"] = 2
    draft_id = client.post("/api/questionnaires", json=definition, headers=coordinator).json()["id"]
    assert client.post(f"/api/questionnaires/{draft_id}/publish", headers=coordinator).is_success
    published = _audit(client, session, action="questionnaire.published")
    mine = [e for e in published if e["target"] == f"questionnaire:{draft_id}"]
    assert [(e["actor_name"], e["address"]) for e in mine] == [("dieu-phoi", TEST_ADDRESS)]
