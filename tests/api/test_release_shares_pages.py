"""Judgement and expectation shares where a release is read over HTTP: the staff release page,
the public page (Vietnamese first, English on request), the analyst dashboard, and shares.csv on
the staff API and the public site. Each page is parsed for the stored figures."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.pages.release_shares import share_cell
from survey.release_rows import ShareRow, release_shares
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.share_fixtures import publish_share_release


def _client(settings: Settings, session: Session, role: str) -> TestClient:
    client = TestClient(create_app(settings), follow_redirects=False)
    token = bearer(session, role, f"shares-{role}")["Authorization"].removeprefix("Bearer ")
    client.cookies.set("sipas_session", token)
    return client


def _section(html: str, question: str) -> str:
    """The part of a page from a question's heading to the end of its table."""
    start = html.index(f'id="share-{question}"')
    return html[start : html.index("</table>", start)]


def _whole(rows: list[ShareRow], item: str, category: str) -> ShareRow:
    (row,) = [r for r in rows if r.is_whole_campaign and r.item == item and r.category == category]
    return row


def _figure(row: ShareRow, lang: str) -> str:
    """The page's text for a share, "85,3 % (80,1–89,4)", as HTML escapes nothing in it."""
    text = share_cell(row, lang)["text"]
    assert text and "(" in text and "–" in text
    return text


def test_pages_show_each_question_with_its_shares(settings: Settings, session: Session) -> None:
    _, release = publish_share_release(session)
    rows = release_shares(release)
    none, many = _whole(rows, "q4", "none"), _whole(rows, "q4", "many")
    top = _whole(rows, "q10_competence", "very_much+much")
    with _client(settings, session, "analyst") as client:
        staff = client.get(f"/staff/releases/{release.id}")
        dashboard = client.get(f"/staff/dashboard?release={release.id}")
    with TestClient(create_app(settings)) as client:
        public_vi = client.get(f"/public/releases/{release.id}")
        public_en = client.get(f"/public/releases/{release.id}?lang=en")
    for page in (staff, dashboard, public_vi):
        assert page.status_code == 200, page.text[:300]
        q4 = _section(page.text, "q4")
        assert "Có công chức gây phiền hà, sách nhiễu không?" in q4
        assert 'lang="en">Did any cause trouble?' in q4
        assert _figure(none, "vi") in q4 and "Không có" in q4
        assert many.n_base == none.n_base and f">{none.n_base}<" in q4
        q10 = _section(page.text, "q10")
        assert "Tỷ lệ chọn: Rất nhiều / Nhiều" in q10
        assert "Năng lực công chức" in q10 and _figure(top, "vi") in q10
    # Vietnamese first: the shares come before the method note, in the page's language.
    assert public_vi.text.index('id="shares"') < public_vi.text.index('id="method-heading"')
    q4_en = _section(public_en.text, "q4")
    assert "Did any cause trouble?" in q4_en and _figure(none, "en") in q4_en
    assert "Share choosing: Very much / Much" in _section(public_en.text, "q10")
    assert f'href="/public/releases/{release.id}/shares.csv"' in public_vi.text
    assert f'href="/api/releases/{release.id}/shares.csv"' in staff.text
    assert f'href="/api/releases/{release.id}/shares.csv"' in dashboard.text


def test_shares_csv_on_the_staff_api_and_the_public_site(
    settings: Settings, session: Session
) -> None:
    _, release = publish_share_release(session)
    rows = release_shares(release)
    analyst = bearer(session, "analyst", "shares-csv-analyst")
    scoped = bearer(session, "coordinator", "shares-scoped", scopes=[("agency", "AG-A")])
    with TestClient(create_app(settings)) as client:
        url = f"/api/releases/{release.id}/shares.csv"
        assert client.get(url).status_code == 401
        staff = client.get(url, headers=analyst)
        own = client.get(url, headers=scoped)
        public = client.get(f"/public/releases/{release.id}/shares.csv")
        assert client.get("/public/releases/999999/shares.csv").status_code == 404
    for answer in (staff, public):
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.headers["x-release-sha256"] == release.content_sha256
        table = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert len(table) == len(rows)
        line = next(
            t
            for t in table
            if t["item"] == "q4" and t["category"] == "none" and not t["agency_code"]
        )
        assert abs(float(line["share"]) - (_whole(rows, "q4", "none").estimate or 0)) < 5e-7
    mine = list(csv.DictReader(io.StringIO(own.content.decode("utf-8-sig"))))
    assert mine and {t["agency_code"] for t in mine} == {"AG-A"}
