"""The public site: published releases without sign-in, drafts 404, SVG charts embedded."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from survey.models import Dossier
from survey.release_charts import ESTIMATES_GID
from survey.releases import compute_release, correct_release, publish_release, submit_release
from survey.settings import Settings
from tests.api.fast_users import make_user
from tests.survey.release_fixtures import build_release_campaign
from tests.survey.test_public_releases import (
    PROVINCE_STRATA,
    build_census_stratum_campaign,
    publish,
    two_rounds,
)

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Releases:
    published: int
    draft: int
    sha256: str


@pytest.fixture
def releases(session: Session) -> Releases:
    rc = build_release_campaign(session)
    maker = make_user(session, "analyst", "public-analyst")
    reviewer = make_user(session, "publisher", "public-publisher")
    published = compute_release(
        session=session, campaign_id=rc.campaign_id, name="Chỉ số 2026", created_by=maker.id
    )
    draft = compute_release(
        session=session, campaign_id=rc.campaign_id, name="Bản nháp bí mật", created_by=maker.id
    )
    assert published.id is not None and draft.id is not None
    submit_release(session=session, release_id=published.id, actor=maker)
    publish_release(session=session, release_id=published.id, actor=reviewer)
    session.refresh(published)
    assert published.content_sha256
    return Releases(published=published.id, draft=draft.id, sha256=published.content_sha256)


def test_list_shows_published_only_without_sign_in(settings: Settings, releases: Releases) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get("/public")
    assert page.status_code == 200
    assert f'href="/public/releases/{releases.published}"' in page.text
    assert "Chỉ số 2026" in page.text and "Bản nháp bí mật" not in page.text
    assert "<script" not in page.text


def test_release_page_in_vietnamese_then_english(settings: Settings, releases: Releases) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        vi = client.get(f"/public/releases/{releases.published}")
        en = client.get(f"/public/releases/{releases.published}?lang=en")
    assert vi.status_code == 200 and en.status_code == 200
    assert '<html lang="vi">' in vi.text and "Số liệu chung" in vi.text
    assert '<html lang="en">' in en.text and "Overall figures" in en.text
    assert releases.sha256 in vi.text
    # Vietnamese decimals with intervals, e.g. "72,3 % (65,1–78,4)".
    assert re.search(r"\d+,\d % \(\d+,\d–\d+,\d\)", vi.text)
    assert re.search(r"\d+\.\d% \(\d+\.\d–\d+\.\d\)", en.text)
    assert 'id="ranking"' in vi.text and "Khoảng hạng" in vi.text
    assert "k=5" not in vi.text and "ít hơn 5 người trả lời luôn bị ẩn" in vi.text
    for name in ("domains", "elements"):
        assert f'src="/public/releases/{releases.published}/charts/{name}.svg?lang=vi"' in vi.text
    assert "<script" not in vi.text and "style=" not in vi.text


def test_drafts_and_unknown_ids_are_404(settings: Settings, releases: Releases) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for path in (
            f"/public/releases/{releases.draft}",
            f"/public/releases/{releases.draft}/charts/domains.svg",
            "/public/releases/999999",
            f"/public/releases/{releases.published}/charts/pie.svg",
        ):
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "Bản nháp bí mật" not in answer.text


def test_chart_is_svg_with_its_own_policy(settings: Settings, releases: Releases) -> None:
    path = f"/public/releases/{releases.published}/charts/domains.svg"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        first = client.get(path)
        again = client.get(path)
        english = client.get(path + "?lang=en")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("image/svg+xml")
    assert "script-src" not in first.headers["content-security-policy"]
    assert first.headers["content-security-policy"].startswith("default-src 'none'")
    assert first.content == again.content  # deterministic
    root = ET.fromstring(first.content)
    assert "theo đơn vị" in (root.findtext(f"{SVG}title") or "")
    assert "Overall index by unit" in (ET.fromstring(english.content).findtext(f"{SVG}title") or "")
    group = root.find(f".//{SVG}g[@id='{ESTIMATES_GID}']")
    assert group is not None and len(group.findall(f".//{SVG}use")) == 3  # AG-A, AG-B, AG-C


def test_superseded_release_stays_readable_and_marked(
    settings: Settings, session: Session, releases: Releases
) -> None:
    maker = make_user(session, "analyst", "public-analyst-2")
    reviewer = make_user(session, "publisher", "public-publisher-2")
    correction = correct_release(
        session=session, release_id=releases.published, reason="120 phiếu nhập muộn", actor=maker
    )
    assert correction.id is not None
    submit_release(session=session, release_id=correction.id, actor=maker)
    publish_release(session=session, release_id=correction.id, actor=reviewer)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        listing = client.get("/public")
        old = client.get(f"/public/releases/{releases.published}")
    assert f'href="/public/releases/{correction.id}"' in listing.text
    assert "đã được thay thế" in listing.text
    assert old.status_code == 200 and "đã được thay thế" in old.text


def test_suppressed_cells_shown_as_suppressed(settings: Settings, session: Session) -> None:
    rc = build_release_campaign(session)
    maker = make_user(session, "analyst", "public-analyst-3")
    reviewer = make_user(session, "publisher", "public-publisher-3")
    # AG-B (30) and AG-C (32 respondents) fall under a 40-respondent rule; AG-A (45) does not.
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Ẩn ô nhỏ",
        min_respondents=40,
        created_by=maker.id,
    )
    assert release.id is not None
    submit_release(session=session, release_id=release.id, actor=maker)
    publish_release(session=session, release_id=release.id, actor=reviewer)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get(f"/public/releases/{release.id}")
        chart = client.get(f"/public/releases/{release.id}/charts/domains.svg")
    table = page.text[page.text.index('id="domains"') :]
    row_b = table[table.index("AG-B") : table.index("</tr>", table.index("AG-B"))]
    assert "ẩn (quá ít người trả lời)" in row_b and "%" not in row_b
    root = ET.fromstring(chart.content)
    group = root.find(f".//{SVG}g[@id='{ESTIMATES_GID}']")
    assert group is not None and len(group.findall(f".//{SVG}use")) == 1
    desc = root.findtext(f"{SVG}desc") or ""
    assert desc.startswith("AG-A: ") and "AG-B, AG-C" in desc


def _name_agencies(session: Session, names: dict[str, str]) -> None:
    # The frame's own agency names, as an agency's file would give them.
    for dossier in session.exec(select(Dossier)).all():
        if dossier.agency_code in names:
            dossier.agency_name = names[dossier.agency_code]
            session.add(dossier)
    session.commit()


def test_names_not_codes_and_province_ranking_with_rank_intervals(
    settings: Settings, session: Session
) -> None:
    rc = build_release_campaign(session, strata_spec=PROVINCE_STRATA)
    _name_agencies(session, {"AG-A": "Sở Tư pháp", "AG-B": "Sở Xây dựng", "AG-C": "Sở Y tế"})
    by_agency = publish(session, rc.campaign_id, "Theo cơ quan")
    by_province = publish(session, rc.campaign_id, "Theo tỉnh", by=("province_code",))
    with TestClient(create_app(settings), follow_redirects=False) as client:
        agencies = client.get(f"/public/releases/{by_agency.id}")
        provinces = client.get(f"/public/releases/{by_province.id}")
        provinces_en = client.get(f"/public/releases/{by_province.id}?lang=en")
        chart = client.get(f"/public/releases/{by_agency.id}/charts/domains.svg")
        ranks = client.get(f"/public/releases/{by_province.id}/charts/ranks.svg?lang=vi")
    for name in ("Sở Tư pháp", "Sở Xây dựng", "Sở Y tế"):
        assert f'<th scope="row">{name}</th>' in agencies.text
    assert '<th scope="row">AG-A</th>' not in agencies.text
    assert "Sở Tư pháp" in (ET.fromstring(chart.content).findtext(f"{SVG}desc") or "")
    ranking = provinces.text[provinces.text.index('id="ranking"') :]
    ranking = ranking[: ranking.index("</table>")]
    # "02" (Hà Giang before 1 July 2025) carries its 2025 name.
    for name in ("Hà Nội", "Hồ Chí Minh", "Tuyên Quang"):
        assert f'<th scope="row">{name}</th>' in ranking
    assert "AG-A" not in ranking and "Sở Tư pháp" not in ranking
    intervals = re.findall(r"<td>(\d)–(\d)</td>", ranking)
    assert len(intervals) == 3 and all(1 <= int(a) <= int(b) <= 3 for a, b in intervals)
    assert "coi các đơn vị là độc lập" in provinces.text  # simulated from the stored figures
    assert "units taken as independent" in provinces_en.text
    assert "có tính hiệp phương sai theo thiết kế" in agencies.text  # the stored ranking
    assert ranks.status_code == 200
    root = ET.fromstring(ranks.content)
    assert "khoảng hạng" in (root.findtext(f"{SVG}title") or "")
    group = root.find(f".//{SVG}g[@id='{ESTIMATES_GID}']")
    assert group is not None and len(group.findall(f".//{SVG}use")) == 3
    assert f'src="/public/releases/{by_province.id}/charts/ranks.svg?lang=vi"' in provinces.text


def test_previous_round_beside_the_figures_with_the_change(
    settings: Settings, session: Session
) -> None:
    old_id, new_id = two_rounds(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        new = client.get(f"/public/releases/{new_id}")
        old = client.get(f"/public/releases/{old_id}")
        change = client.get(f"/public/releases/{new_id}/charts/change.svg?lang=en")
        no_change = client.get(f"/public/releases/{old_id}/charts/change.svg")
    assert f'<a id="previous-release" href="/public/releases/{old_id}">Năm trước</a>' in new.text
    national = new.text[new.text.index('id="national"') : new.text.index("</table>")]
    assert (
        '<th scope="col">Kỳ trước</th>' in national and '<th scope="col">Thay đổi</th>' in national
    )
    # A signed change with its interval and p-value, e.g. "+3,1 (−4,2 – +10,4), p = 0,412".
    change_cell = r"<td>[+−]?\d+,\d \([+−]?\d+,\d – [+−]?\d+,\d\)( \*)?, p (=|&lt;) 0,\d{3}</td>"
    assert re.search(change_cell, national)
    assert 'charts/change.svg?lang=vi"' in new.text
    assert "Chưa có bản công bố kỳ trước" in old.text and "charts/change.svg" not in old.text
    assert change.status_code == 200
    root = ET.fromstring(change.content)
    assert "since the previous round" in (root.findtext(f"{SVG}title") or "")
    assert "pts" in (root.findtext(f"{SVG}desc") or "")
    assert no_change.status_code == 404


def test_zero_width_interval_is_flagged_on_the_public_page(
    settings: Settings, session: Session
) -> None:
    rc = build_census_stratum_campaign(session)
    release = publish(session, rc.campaign_id, "Cả tầng trả lời", min_respondents=5)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        vi = client.get(f"/public/releases/{release.id}")
        en = client.get(f"/public/releases/{release.id}?lang=en")
    ranking = vi.text[vi.text.index('id="ranking"') :]
    row_d = ranking[ranking.index("AG-D") : ranking.index("</tr>", ranking.index("AG-D"))]
    assert re.search(r"(\d+,\d) % \(\1–\1\)", row_d)  # e.g. "85,7 % (85,7–85,7)"
    assert "khoảng tin cậy bằng 0" in row_d
    row_a = ranking[ranking.index("AG-A") : ranking.index("</tr>", ranking.index("AG-A"))]
    assert "khoảng tin cậy bằng 0" not in row_a
    assert "zero-width interval" in en.text
