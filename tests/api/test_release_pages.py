"""The analyst's release pages: compute from the form, read the tables, publish."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from api.app import create_app
from api.pages.coordinator import csrf_token
from api.pages.releases import format_cell
from survey.models import Dossier, IndexRelease
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.release_fixtures import build_release_campaign


def _signed_in(
    client: TestClient,
    session: Session,
    settings: Settings,
    role: str,
    scopes: list[tuple[str, str]] | None = None,
) -> str:
    token = bearer(session, role, scopes=scopes)["Authorization"].removeprefix("Bearer ")
    client.cookies.set("sipas_session", token)
    return csrf_token(settings, token)


def test_cell_format() -> None:
    row = {"estimate": 0.8271, "ci_lower": 0.8012, "ci_upper": 0.8504, "flag": "ok"}
    assert format_cell(row, lang="en", percent=True)["text"] == "82.7% (80.1–85.0)"
    assert format_cell(row, lang="vi", percent=True)["text"] == "82,7 % (80,1–85,0)"
    unreliable = format_cell({**row, "flag": "unreliable"}, lang="en", percent=True)
    assert unreliable["flag"] == "unreliable" and unreliable["text"]
    suppressed = format_cell({**row, "flag": "suppressed"}, lang="vi", percent=True)
    assert suppressed["text"] == "" and suppressed["flag"].startswith("ẩn")
    assert (
        format_cell(
            {"estimate": 4.123, "ci_lower": 4.01, "ci_upper": 4.2, "flag": "ok"},
            lang="en",
            percent=False,
        )["text"]
        == "4.12 (4.01–4.20)"
    )


def test_compute_view_and_publish(settings: Settings, session: Session) -> None:
    rc = build_release_campaign(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/staff/releases").status_code == 303  # sign in first
        csrf = _signed_in(client, session, settings, "analyst")
        page = client.get("/staff/releases")
        assert page.status_code == 200 and "Đợt 2026" in page.text
        form = {
            "csrf": csrf,
            "name": "",
            "campaign_id": str(rc.campaign_id),
            "by": ["agency_code"],
            "rule": "criteria-mean",
            "ci_method": "logit",
            "level": "0.95",
            "min_respondents": "31",
            "max_cv": "x",
            "lonely_psu": "adjust",
        }
        bad = client.post("/staff/releases", data=form)
        assert bad.status_code == 422
        assert 'href="#f-name"' in bad.text and 'href="#f-max_cv"' in bad.text
        assert "<title>Lỗi: " in bad.text
        assert client.post("/staff/releases", data={**form, "csrf": "no"}).status_code == 403
        created = client.post("/staff/releases", data={**form, "name": "Chỉ số", "max_cv": "0,2"})
        assert created.status_code == 303, created.text
        url = created.headers["location"]
        shown = client.get(url + "?lang=en")
        assert shown.status_code == 200
        text = shown.text
        release = session.get(IndexRelease, int(url.rsplit("/", 1)[1]))
        assert release is not None
        rows = {
            r["domain"].get("agency_code"): r
            for r in release.results["rows"]
            if r["node"] == "overall"
        }
        a = rows["AG-A"]
        expected = (
            f"{100 * a['estimate']:.1f}% ({100 * a['ci_lower']:.1f}–{100 * a['ci_upper']:.1f})"
        )
        assert expected in text
        # AG-B (30 respondents < 31) is suppressed: its row has blank cells and the word.
        b_row = re.search(r"<th scope=\"row\">AG-B</th>(.*?)</tr>", text, re.S)
        assert b_row is not None and "%" not in b_row.group(1)
        assert "suppressed (too few respondents)" in b_row.group(1)
        assert "Rank interval" in text and "Tier" in text
        assert 'lang="vi"' in text and "Taylor" in text and "non-response" in text
        assert "+84" not in text and "invitation" not in text.lower()
        # Publishing is the publishers' and administrators' (docs/access.md), once submitted.
        assert client.post(url + "/publish", data={"csrf": csrf}).status_code == 403
        assert 'action="' + url + '/submit"' in text
        assert client.post(url + "/submit", data={"csrf": csrf}).status_code == 303
        admin_csrf = _signed_in(client, session, settings, "admin")
        published = client.post(url + "/publish", data={"csrf": admin_csrf})
        assert published.status_code == 303
        assert "đã công bố" in client.get(url + "?lang=vi").text


def test_limited_coordinator_cannot_compute(settings: Settings, session: Session) -> None:
    rc = build_release_campaign(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "coordinator", [("agency", "AG-A")])
        page = client.get("/staff/releases")
        assert page.status_code == 200 and 'action="/staff/releases"' not in page.text
        denied = client.post(
            "/staff/releases",
            data={"csrf": csrf, "name": "x", "campaign_id": str(rc.campaign_id)},
        )
        assert denied.status_code == 403


def test_release_form_maps_provinces_to_2025(settings: Settings, session: Session) -> None:
    spec = {"A": ("AG-A", "24", 400, 60, 45), "B": ("AG-B", "27", 300, 50, 30)}
    rc = build_release_campaign(session, strata_spec=spec)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "analyst")
        page = client.get("/staff/releases?lang=en")
        assert '<select id="f-geo_mapping" name="geo_mapping">' in page.text
        assert '<option value="provinces-2025">' in page.text
        form = {
            "csrf": csrf,
            "name": "Theo tỉnh",
            "campaign_id": str(rc.campaign_id),
            "by": ["province_code"],
            "rule": "criteria-mean",
            "ci_method": "logit",
            "level": "0.95",
            "min_respondents": "10",
            "max_cv": "0.2",
            "lonely_psu": "adjust",
        }
        bad = client.post("/staff/releases", data={**form, "geo_mapping": "made-up"})
        assert bad.status_code == 422 and 'href="#f-geo_mapping"' in bad.text
        created = client.post("/staff/releases", data={**form, "geo_mapping": "provinces-2025"})
        assert created.status_code == 303, created.text
        url = created.headers["location"]
        release = session.get(IndexRelease, int(url.rsplit("/", 1)[1]))
        assert release is not None
        assert {r["domain"]["province_code"] for r in release.results["rows"] if r["domain"]} == {
            "24"
        }
        shown = client.get(url + "?lang=en").text
        assert "Province (since 1 July 2025)" in shown
        assert "mapped through “provinces-2025”" in shown
        # Without the choice (as recorded), both old codes stay apart.
        plain = client.post("/staff/releases", data={**form, "geo_mapping": ""})
        assert plain.status_code == 303
        kept = session.get(IndexRelease, int(plain.headers["location"].rsplit("/", 1)[1]))
        assert kept is not None and kept.parameters["geo_mapping"] is None


def test_release_pages_name_agencies_provinces_and_the_campaign(
    settings: Settings, session: Session
) -> None:
    spec = {"A": ("AG-A", "24", 400, 60, 45), "B": ("AG-B", "27", 300, 50, 40)}
    rc = build_release_campaign(session, strata_spec=spec)
    # The frame names one agency; the other keeps its code alone.
    session.execute(
        update(Dossier).where(col(Dossier.agency_code) == "AG-A").values(agency_name="Sở Tư pháp")
    )
    session.commit()
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = _signed_in(client, session, settings, "analyst")
        form = {
            "csrf": csrf,
            "campaign_id": str(rc.campaign_id),
            "rule": "criteria-mean",
            "ci_method": "logit",
            "level": "0.95",
            "min_respondents": "10",
            "max_cv": "0.2",
            "lonely_psu": "adjust",
            "geo_mapping": "",
        }
        by_agency = client.post(
            "/staff/releases", data={**form, "name": "Theo cơ quan", "by": ["agency_code"]}
        )
        assert by_agency.status_code == 303, by_agency.text
        page = client.get(by_agency.headers["location"] + "?lang=vi").text
        named = '<th scope="row">Sở Tư pháp <small class="muted">AG-A</small></th>'
        # Once in the table by agency, once in the ranking (and by name only in the league).
        assert page.count(named) == 2
        assert page.count('<th scope="row">AG-B</th>') == 3
        assert 'Đợt 2026 <small class="muted">' in page
        rid = by_agency.headers["location"].rsplit("/", 1)[1]
        assert f'href="/api/releases/{rid}/release.csv?lang=vi"' in page

        crossed = client.post(
            "/staff/releases",
            data={**form, "name": "Theo tỉnh", "by": ["province_code", "channel"]},
        )
        assert crossed.status_code == 303, crossed.text
        page = client.get(crossed.headers["location"] + "?lang=en").text
        # Provinces by their 2025 name (24 Bắc Giang and 27 Bắc Ninh merged into Bắc Ninh),
        # channels in words, each code beside its name.
        assert 'Bắc Ninh <small class="muted">24</small> × Online <small class="muted">online' in (
            page
        )
        assert 'Bắc Ninh <small class="muted">27</small> × In person' in page

        listed = client.get("/staff/releases?lang=vi").text
        assert f'Đợt 2026 <small class="muted">{rc.campaign_id}</small>' in listed
        # The dashboard says a release's status in words too.
        board = client.get(
            "/staff/dashboard",
            params={"lang": "vi", "campaign": rc.campaign_id, "release": rid},
        ).text
        assert '<span class="tag tag-draft">bản nháp</span>' in board
        assert "v1, bản nháp)</option>" in board
