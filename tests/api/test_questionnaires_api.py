"""The questionnaire API: roles, the built-in form, drafts, publishing, one error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.settings import Settings
from tests.api.helpers import auth_headers


def test_questionnaire_lifecycle_over_http(settings: Settings, session: Session) -> None:
    coordinator = auth_headers(session, "coordinator")
    analyst = auth_headers(session, "analyst")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/questionnaires").status_code == 401
        listed = client.get("/api/questionnaires", headers=analyst).json()
        assert [(q["code"], q["status"]) for q in listed] == [("sipas-service", "published")]
        builtin_id = listed[0]["id"]
        exported = client.get(f"/api/questionnaires/{builtin_id}/export", headers=analyst)
        definition = exported.json()
        assert definition["elements"][0]["criteria"][0]["number"] == 15

        definition["version"] = 2
        assert (
            client.post("/api/questionnaires", json=definition, headers=analyst).status_code == 403
        )
        created = client.post("/api/questionnaires", json=definition, headers=coordinator)
        assert created.status_code == 201 and created.json()["status"] == "draft"
        draft_id = created.json()["id"]

        definition["elements"][0]["criteria"][1]["code"] = "access_q15"
        bad = client.put(f"/api/questionnaires/{draft_id}", json=definition, headers=coordinator)
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["elements", 0, "criteria", 1, "code"]

        published = client.post(f"/api/questionnaires/{draft_id}/publish", headers=coordinator)
        assert published.json()["status"] == "published"
        frozen = client.put(f"/api/questionnaires/{draft_id}", json=definition, headers=coordinator)
        assert frozen.status_code == 409
        assert "new version" in frozen.json()["detail"][0]["msg"]
