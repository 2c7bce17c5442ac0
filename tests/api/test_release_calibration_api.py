"""POST /api/campaigns/{id}/releases with margins and a variance method (issue 9, item 4)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.release_fixtures import build_release_campaign

MARGINS = (
    "variable,category,population\nchannel,direct,520\nchannel,online,380\n"
    "agency_code,AG-A,400\nagency_code,AG-B,300\nagency_code,AG-C,200\n"
)


def test_calibrated_release_over_the_api(settings: Settings, session: Session) -> None:
    rc = build_release_campaign(session)
    analyst = bearer(session, "analyst")
    url = f"/api/campaigns/{rc.campaign_id}/releases"
    with TestClient(create_app(settings)) as client:
        body = {"name": "Hiệu chỉnh", "min_respondents": 5, "calibration": "rake"}
        created = client.post(
            url, json={**body, "margins": MARGINS, "variance": "jkn"}, headers=analyst
        )
        assert created.status_code == 201, created.text
        parameters = created.json()["parameters"]
        assert parameters["calibration"]["method"] == "rake"
        assert parameters["variance"]["method"] == "jkn"
        listed = [
            {"variable": "channel", "category": "direct", "population": 520},
            {"variable": "channel", "category": "online", "population": 380},
        ]
        inline = client.post(url, json={**body, "margins": listed}, headers=analyst)
        assert inline.status_code == 201, inline.text

        bad = client.post(
            url, json={**body, "margins": MARGINS.replace("380", "ba trăm")}, headers=analyst
        )
        assert bad.status_code == 422
        problem = bad.json()["detail"][0]
        assert problem["loc"] == ["margins", 2, "population"]
        assert "'ba trăm' is not a number" in problem["msg"]
        vi = client.post(
            url,
            json={**body, "margins": MARGINS.replace("380", "ba trăm")},
            headers={**analyst, "Accept-Language": "vi"},
        )
        assert vi.status_code == 422
        assert vi.json()["detail"][0]["msg"] == (
            "số lượng tổng thể 'ba trăm' không phải là số; chỉ ghi chữ số"
        )
        missing = client.post(url, json={**body, "margins": None}, headers=analyst)
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["margins"]
        replicates = client.post(
            url, json={"name": "x", "variance": "bootstrap", "replicates": 1}, headers=analyst
        )
        assert replicates.status_code == 422
        jk1 = client.post(url, json={"name": "x", "variance": "jk1"}, headers=analyst)
        assert jk1.status_code == 422 and jk1.json()["detail"][0]["loc"] == ["variance"]
