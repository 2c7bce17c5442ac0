"""The release endpoints: compute, list, read, publish, CSV; errors as {loc, msg}; no phones."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from api.app import create_app
from survey.models import Response
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.release_fixtures import build_release_campaign


def test_release_lifecycle(settings: Settings, session: Session) -> None:
    rc = build_release_campaign(session)
    analyst = bearer(session, "analyst")
    with TestClient(create_app(settings)) as client:
        url = f"/api/campaigns/{rc.campaign_id}/releases"
        assert client.post(url, json={"name": "x"}).status_code == 401
        created = client.post(
            url,
            json={"name": "Chỉ số 2026", "by": ["agency_code"], "min_respondents": 10},
            headers=analyst,
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["status"] == "draft" and body["summary"]["respondents"] == len(rc.strata)
        assert body["results"]["ranking"][0]["agency_code"] == "AG-A"
        text = created.text.lower()
        assert "phone" not in text and "invitation" not in text and "+84" not in text
        release_id = body["id"]

        listed = client.get("/api/releases", headers=analyst).json()
        assert [r["id"] for r in listed] == [release_id] and "results" not in listed[0]
        one = client.get(f"/api/releases/{release_id}", headers=analyst)
        assert one.status_code == 200 and one.json()["results"] == body["results"]

        download = client.get(f"/api/releases/{release_id}/release.csv", headers=analyst)
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert {r["agency_code"] for r in rows} == {"", "AG-A", "AG-B", "AG-C"}
        assert "phone" not in rows[0]

        # Publishing is the publishers' and administrators' (docs/access.md), once submitted.
        denied = client.post(f"/api/releases/{release_id}/publish", headers=analyst)
        assert denied.status_code == 403
        admin = bearer(session, "admin")
        early = client.post(f"/api/releases/{release_id}/publish", headers=admin)
        assert early.status_code == 409 and "submits it" in early.json()["detail"][0]["msg"]
        submitted = client.post(f"/api/releases/{release_id}/submit", headers=analyst)
        assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
        published = client.post(f"/api/releases/{release_id}/publish", headers=admin)
        assert published.status_code == 200 and published.json()["status"] == "published"
        again = client.post(f"/api/releases/{release_id}/publish", headers=admin)
        assert again.status_code == 409 and again.json()["detail"][0]["loc"] == ["release_id"]
        assert client.get("/api/releases/999999", headers=analyst).status_code == 404


def test_errors_are_loc_and_msg(settings: Settings, session: Session) -> None:
    rc = build_release_campaign(session)
    empty = build_release_campaign(session, seed=3)
    analyst = bearer(session, "analyst")
    with TestClient(create_app(settings)) as client:
        unknown = client.post(
            f"/api/campaigns/{rc.campaign_id}/releases",
            json={"name": "x", "by": ["agency_code", "phone_e164"]},
            headers=analyst,
        )
        assert unknown.status_code == 422
        detail = unknown.json()["detail"]
        assert detail[0]["loc"] == ["by", 1] and "agency_code" in detail[0]["msg"]
        missing = client.post("/api/campaigns/999999/releases", json={"name": "x"}, headers=analyst)
        assert missing.status_code == 404
        # A campaign whose responses are all still in progress has nothing to estimate.
        session.execute(
            update(Response)
            .where(col(Response.campaign_id) == empty.campaign_id)
            .values(status="in_progress")
        )
        session.commit()
        none = client.post(
            f"/api/campaigns/{empty.campaign_id}/releases", json={"name": "x"}, headers=analyst
        )
        assert none.status_code == 422
        assert none.json()["detail"][0]["loc"] == ["campaign_id"]


def test_limited_coordinators_see_published_releases_only(
    settings: Settings, session: Session
) -> None:
    rc = build_release_campaign(session)
    analyst = bearer(session, "analyst")
    limited = bearer(session, "coordinator", "limited", scopes=[("agency", "AG-A")])
    with TestClient(create_app(settings)) as client:
        denied = client.post(
            f"/api/campaigns/{rc.campaign_id}/releases", json={"name": "x"}, headers=limited
        )
        assert denied.status_code == 403
        release_id = client.post(
            f"/api/campaigns/{rc.campaign_id}/releases", json={"name": "x"}, headers=analyst
        ).json()["id"]
        assert client.get("/api/releases", headers=limited).json() == []
        assert client.get(f"/api/releases/{release_id}", headers=limited).status_code == 404
        assert (
            client.post(f"/api/releases/{release_id}/publish", headers=limited).status_code == 403
        )
        admin = bearer(session, "admin")
        client.post(f"/api/releases/{release_id}/submit", headers=analyst)
        client.post(f"/api/releases/{release_id}/publish", headers=admin)
        own = client.get(f"/api/releases/{release_id}", headers=limited)
        assert own.status_code == 200
        # Their agency's rows only (docs/access.md).
        assert {r["domain"].get("agency_code") for r in own.json()["results"]["rows"]} == {"AG-A"}


def test_release_by_2025_provinces(settings: Settings, session: Session) -> None:
    # Strata A and B sit in Bắc Giang (24) and Bắc Ninh (27), one province since July 2025.
    spec = {"A": ("AG-A", "24", 400, 60, 45), "B": ("AG-B", "27", 300, 50, 30)}
    rc = build_release_campaign(session, strata_spec=spec)
    analyst = bearer(session, "analyst")
    with TestClient(create_app(settings)) as client:
        url = f"/api/campaigns/{rc.campaign_id}/releases"
        body = {"name": "Theo tỉnh", "by": ["province_code"], "min_respondents": 10}
        recorded = client.post(url, json=body, headers=analyst)
        mapped = client.post(url, json={**body, "geo_mapping": "provinces-2025"}, headers=analyst)
        unknown = client.post(url, json={**body, "geo_mapping": "nope"}, headers=analyst)
    assert recorded.status_code == mapped.status_code == 201, mapped.text

    def provinces(response_body: dict[str, Any]) -> set[str]:
        rows = response_body["results"]["rows"]
        return {r["domain"]["province_code"] for r in rows if r["domain"]}

    assert provinces(recorded.json()) == {"24", "27"}
    assert provinces(mapped.json()) == {"24"}
    assert mapped.json()["parameters"]["geo_mapping"]["province_code"] == "provinces-2025"
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["geo_mapping"]
