"""The rankings as practised on the staff release page and the public site: blocks, bands,
the top of each block with rank intervals, the range and the units scored but not ranked."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.releases import compute_release, publish_release, submit_release
from survey.settings import Settings
from tests.api.fast_users import make_user
from tests.api.test_release_pages import _signed_in
from tests.survey.test_public_releases import two_rounds
from tests.survey.test_release_blocks import six_agencies


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_staff_and_public_pages_show_blocks_and_not_ranked_units(
    settings: Settings, session: Session
) -> None:
    rc = six_agencies(session)
    maker = make_user(session, "analyst", "league-analyst")
    publisher = make_user(session, "publisher", "league-publisher")
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Theo khối",
        ranking_blocks="level",
        min_ranked=35,
        created_by=maker.id,
    )
    assert release.id is not None
    with TestClient(create_app(settings), follow_redirects=False) as client:
        _signed_in(client, session, settings, "analyst")
        vi = _text(client.get(f"/staff/releases/{release.id}?lang=vi").text)
        en = _text(client.get(f"/staff/releases/{release.id}?lang=en").text)
    assert "Xếp hạng cơ quan theo khối" in vi and "Cấp xã" in vi and "Cấp tỉnh" in vi
    assert "Mỗi khối (cấp hành chính) được xếp hạng riêng" in vi
    assert "Đơn vị có dưới 35 người trả lời vẫn có điểm nhưng không xếp hạng." in vi
    assert "Có điểm, không xếp hạng: quá ít người trả lời" in vi
    assert "Có điểm, không xếp hạng: không có đơn vị nào khác để so sánh trong khối" in vi
    assert "tạm dùng (chưa có mức chính thức)" in vi
    assert "Khoảng điểm của 2 đơn vị được xếp hạng: thấp nhất" in vi
    assert "Agencies ranked within blocks" in en and "Commune level" in en
    assert "Scored, not ranked: too few respondents" in en
    assert "Range of the 2 ranked units: lowest" in en

    submit_release(session=session, release_id=release.id, actor=maker)
    publish_release(session=session, release_id=release.id, actor=publisher)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get(f"/public/releases/{release.id}?lang=vi").text
    public = _text(page)
    assert "Xếp hạng cơ quan theo khối" in public
    assert "Có điểm, không xếp hạng: quá ít người trả lời" in public
    assert 'class="table-scroll" tabindex="0" role="region"' in page
    # Each ranked unit of the provincial block shows its rank interval and band.
    table = page.split('class="league-all"')[-1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(\d)</td><th scope=\"row\">([^<]+)</th>", table)
    assert [rank for rank, _ in rows] == ["1", "2"]
    assert re.search(r"<td>1–[12]</td><td>(Rất tốt|Tốt|Khá|Trung bình|Thấp)\??", table)


def test_the_public_change_carries_its_p_value(settings: Settings, session: Session) -> None:
    _, new_id = two_rounds(session)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        vi = client.get(f"/public/releases/{new_id}?lang=vi").text
        en = client.get(f"/public/releases/{new_id}?lang=en").text
    assert re.search(r"\), p (=|&lt;) 0,\d{3}", vi)
    assert re.search(r"\)( \*)?, p (=|&lt;) 0\.\d{3}", en)
    assert "p is the p-value of the test of no change" in en
