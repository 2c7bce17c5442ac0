"""The staff release form with margins and a variance method; the release page and the public
site state the margins used and the variance method (issue 9, item 4)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.models import IndexRelease
from survey.settings import Settings
from tests.api.test_release_pages import _signed_in
from tests.survey.release_fixtures import build_release_campaign

MARGINS = (
    "variable,category,population\nchannel,direct,520\nchannel,online,380\n"
    "agency_code,AG-A,400\nagency_code,AG-B,300\nagency_code,AG-C,200\n"
)


def test_release_form_calibrates_and_names_a_bad_row(settings: Settings, session: Session) -> None:
    rc = build_release_campaign(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "analyst")
        page = client.get("/staff/releases?lang=en")
        assert '<textarea id="f-margins" name="margins"' in page.text
        assert '<option value="jkn">Stratified jackknife replicates (JKn)</option>' in page.text
        form = {
            "csrf": csrf,
            "name": "Hiệu chỉnh",
            "campaign_id": str(rc.campaign_id),
            "by": ["agency_code"],
            "rule": "criteria-mean",
            "ci_method": "logit",
            "level": "0.95",
            "min_respondents": "10",
            "max_cv": "0.2",
            "lonely_psu": "adjust",
            "geo_mapping": "",
            "national_rule": "pooled",
            "calibration": "linear",
            "bounds": "0,5;2",
            "variance": "jkn",
        }
        bad = client.post(
            "/staff/releases?lang=en", data={**form, "margins": MARGINS.replace("380", "-2")}
        )
        assert bad.status_code == 422
        assert 'href="#f-margins"' in bad.text
        assert "the population count must be a positive number" in bad.text
        # The analyst's table is shown again to be fixed.
        assert "channel,online,-2" in bad.text
        vi = client.post(
            "/staff/releases?lang=vi", data={**form, "margins": MARGINS.replace("380", "-2")}
        )
        assert "số lượng tổng thể phải là số dương" in vi.text
        created = client.post("/staff/releases", data={**form, "margins": MARGINS})
        assert created.status_code == 303, created.text
        url = created.headers["location"]
        release = session.get(IndexRelease, int(url.rsplit("/", 1)[1]))
        assert release is not None
        assert release.parameters["calibration"]["bounds"] == [0.5, 2.0]
        assert release.parameters["variance"]["method"] == "jkn"
        shown = client.get(url + "?lang=en").text
        assert "linear calibration (GREG)" in shown
        assert "channel (direct 520, online 380)" in shown
        assert "the stratified jackknife (JKn)" in shown
        plain = client.post(
            "/staff/releases", data={**form, "calibration": "", "bounds": "", "margins": MARGINS}
        )
        assert plain.status_code == 422 and 'href="#f-calibration"' in plain.text
