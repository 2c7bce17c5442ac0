"""The national rule on the release form, the API and ``sipas release compute``, and a release on
the citizens' form on the staff and public pages: SIPAS, its policy and service indices, the
elements, and the national rule in the method note."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from api.cli.main import main
from api.pages.coordinator import csrf_token
from survey.models import IndexRelease, StaffUser
from survey.releases import publish_release, submit_release
from survey.settings import Settings
from tests.api.fast_users import bearer, make_user
from tests.survey.citizen_fixtures import Citizens

FORM = {
    "name": "SIPAS 2026",
    "by": ["province_code"],
    "rule": "criteria-mean",
    "ci_method": "logit",
    "level": "0.95",
    "min_respondents": "5",
    "max_cv": "0.5",
    "lonely_psu": "adjust",
    "geo_mapping": "",
}


def _signed_in(client: TestClient, session: Session, settings: Settings, role: str) -> str:
    token = bearer(session, role)["Authorization"].removeprefix("Bearer ")
    client.cookies.set("sipas_session", token)
    return csrf_token(settings, token)


def test_form_computes_mean_of_provinces_and_pages_show_the_tree(
    settings: Settings, session: Session
) -> None:
    c = Citizens(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "analyst")
        page = client.get("/staff/releases")
        assert (
            'name="national_rule"' in page.text and "Trung bình cộng chỉ số các tỉnh" in page.text
        )
        form = {**FORM, "csrf": csrf, "campaign_id": str(c.campaign_id)}
        bad = client.post("/staff/releases", data={**form, "national_rule": "median"})
        assert bad.status_code == 422 and 'href="#f-national_rule"' in bad.text
        created = client.post(
            "/staff/releases", data={**form, "national_rule": "mean_of_provinces"}
        )
        assert created.status_code == 303, created.text
        url = created.headers["location"]
        release = session.get(IndexRelease, int(url.rsplit("/", 1)[1]))
        assert release is not None and release.parameters["national"]["rule"] == "mean_of_provinces"
        en = client.get(url + "?lang=en").text
        for words in (
            "SIPAS satisfaction index",
            "Satisfaction with issuing and implementing policies",
            "Satisfaction with the delivery of public administrative services",
            "unweighted mean of the provincial indices",
        ):
            assert words in en, words
        vi = client.get(url + "?lang=vi").text
        assert "Chỉ số hài lòng SIPAS" in vi and "trung bình cộng (không trọng số)" in vi

        assert release.id is not None
        maker = session.get(StaffUser, release.created_by)
        publisher = make_user(session, "publisher")
        assert maker is not None
        submit_release(session=session, release_id=release.id, actor=maker)
        publish_release(session=session, release_id=release.id, actor=publisher)
        client.cookies.clear()
        public = client.get(f"/public/releases/{release.id}?lang=en")
        assert public.status_code == 200
        assert "SIPAS satisfaction index" in public.text
        assert "Satisfaction with the delivery of public administrative services" in public.text


def test_api_takes_the_national_rule(settings: Settings, session: Session) -> None:
    c = Citizens(session)
    headers = bearer(session, "analyst")
    body = {"name": "SIPAS", "by": ["agency_code"], "min_respondents": 5, "max_cv": 0.5}
    with TestClient(create_app(settings)) as client:
        url = f"/api/campaigns/{c.campaign_id}/releases"
        bad = client.post(url, json={**body, "national_rule": "median"}, headers=headers)
        assert bad.status_code == 422 and "national_rule" in bad.text
        made = client.post(
            url, json={**body, "national_rule": "mean_of_provinces"}, headers=headers
        )
        assert made.status_code == 201, made.text
        parameters = made.json()["parameters"]
        assert parameters["national"]["rule"] == "mean_of_provinces"
        assert parameters["national"]["root"] == "sipas"
        assert made.json()["results"]["root"] == "sipas"


def test_cli_release_compute(
    settings: Settings,
    engine: Engine,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    c = Citizens(session)
    code = main(
        [
            "release",
            "compute",
            str(c.campaign_id),
            "--name",
            "SIPAS",
            "--by",
            "province_code",
            "--national-rule",
            "mean_of_provinces",
            "--min-respondents",
            "5",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].endswith("national figure mean_of_provinces, root sipas")
    assert [line.split("\t")[0] for line in out[2:5]] == ["sipas", "policy", "service"]
    assert main(["release", "compute", str(c.campaign_id), "--name", ""]) != 0
