"""The analyst dashboard: choose campaign, release, comparison and unit; charts, tables, flags."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.models import IndexRelease
from survey.releases import compute_release
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.test_public_releases import build_census_stratum_campaign, two_rounds

SVG = "{http://www.w3.org/2000/svg}"


def _client(settings: Settings, session: Session, role: str) -> TestClient:
    client = TestClient(create_app(settings), follow_redirects=False)
    token = bearer(session, role, f"dash-{role}")["Authorization"].removeprefix("Bearer ")
    client.cookies.set("sipas_session", token)
    return client


def test_dashboard_compares_a_draft_with_the_previous_round(
    settings: Settings, session: Session
) -> None:
    old_id, new_id = two_rounds(session)
    new = session.get(IndexRelease, new_id)
    assert new is not None
    draft = compute_release(session=session, campaign_id=new.campaign_id, name="Bản nháp")
    assert draft.id is not None
    with _client(settings, session, "analyst") as client:
        empty = client.get("/staff/dashboard")
        page = client.get(f"/staff/dashboard?release={draft.id}&domain=AG-B")
        chosen = client.get(f"/staff/dashboard?release={draft.id}&compare={new_id}")
        chart = client.get(f"/staff/dashboard/releases/{draft.id}/charts/change.svg?lang=en")
        ranks = client.get(f"/staff/dashboard/releases/{draft.id}/charts/ranks.svg")
    assert empty.status_code == 200 and "Chọn một đợt khảo sát" in empty.text
    assert page.status_code == 200, page.text[:300]
    # A draft is shown against the previous round's published release, picked automatically.
    assert f'<a id="compared" href="/staff/releases/{old_id}">Năm trước (v1)</a>' in page.text
    assert 'id="national"' in page.text and 'id="ranking"' in page.text
    # A signed change with its interval and p-value, e.g. "+3,1 (−4,2 – +10,4), p = 0,412".
    change_cell = r"<td>[+−]?\d+,\d \([+−]?\d+,\d – [+−]?\d+,\d\)( \*)?, p (=|&lt;) 0,\d{3}</td>"
    assert re.search(change_cell, page.text)
    # The unit's profile: overall, elements and criteria.
    profile = page.text[page.text.index('id="profile"') :]
    profile = profile[: profile.index("</table>")]
    assert profile.count("<tr>") > 6
    for name in ("domains", "elements", "ranks", "change"):
        assert f"/staff/dashboard/releases/{draft.id}/charts/{name}.svg?lang=vi" in page.text
    for file in ("release.pdf", "release.xlsx", "release.csv", "dictionary.csv", "release.json"):
        assert f'href="/api/releases/{draft.id}/{file}"' in page.text
    assert f'id="compared" href="/staff/releases/{new_id}"' in chosen.text
    assert f"charts/change.svg?lang=vi&amp;compare={new_id}" in chosen.text
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg")
    assert "since the previous round" in (
        ET.fromstring(chart.content).findtext(f"{SVG}title") or ""
    )
    assert ranks.status_code == 200


def test_zero_width_and_unstable_intervals_are_listed(settings: Settings, session: Session) -> None:
    rc = build_census_stratum_campaign(session)
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="Cờ", min_respondents=5, max_cv=0.03
    )
    assert release.id is not None
    rows = release.results["rows"]
    zero = [
        r for r in rows if r.get("estimate") is not None and r["ci_upper"] - r["ci_lower"] < 1e-9
    ]
    unstable = [r for r in rows if r.get("flag") == "unreliable" and r not in zero]
    assert any(r["domain"] == {"agency_code": "AG-D"} and r["node"] == "overall" for r in zero)
    assert unstable  # a 3 % CV limit flags the small agencies' criteria
    with _client(settings, session, "analyst") as client:
        page = client.get(f"/staff/dashboard?release={release.id}")
    table = page.text[page.text.index('id="interval-warnings"') :]
    table = table[: table.index("</table>")]
    assert table.count('class="warn-zero_width"') == len(zero)
    assert table.count('class="warn-unstable"') == len(unstable)
    assert "khoảng tin cậy bằng 0" in table and "kém ổn định" in table


def test_only_analysts_and_admins(settings: Settings, session: Session) -> None:
    for role, allowed in (("analyst", True), ("admin", True), ("publisher", False)):
        with _client(settings, session, role) as client:
            answer = client.get("/staff/dashboard")
        assert (answer.status_code == 200) is allowed, (role, answer.status_code)
    with TestClient(create_app(settings), follow_redirects=False) as anonymous:
        assert anonymous.get("/staff/dashboard").status_code in (303, 401)
