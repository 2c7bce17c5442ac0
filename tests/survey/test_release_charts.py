"""SVG charts of published releases: parse as XML, one marker per domain, sorted, reproducible."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from sqlmodel import Session

from survey.errors import NotFound
from survey.public_releases import get_public_release
from survey.release_charts import (
    ESTIMATES_GID,
    INTERVALS_GID,
    ChartWords,
    change_points,
    describe_points,
    domain_points,
    dot_whisker_svg,
    element_points,
    get_published_release,
    rank_points,
    render_release_chart,
)
from survey.releases import compute_release, publish_release, submit_release
from tests.api.fast_users import make_user
from tests.survey.release_fixtures import build_release_campaign
from tests.survey.test_public_releases import two_rounds

SVG = "{http://www.w3.org/2000/svg}"
WORDS = ChartWords(title="Chỉ số theo cơ quan", axis="Tỷ lệ (%)", suppressed="Ẩn:", lang="vi")


def _row(name: str, estimate: float | None, node: str = "overall") -> dict[str, Any]:
    return {
        "domain": {"agency_code": name} if name else {},
        "domain_name": name,
        "node": node,
        "level": "overall" if node == "overall" else "element",
        "estimate": estimate,
        "ci_lower": None if estimate is None else estimate - 0.05,
        "ci_upper": None if estimate is None else estimate + 0.03,
        "flag": "ok" if estimate is not None else "suppressed",
    }


def _markers(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg.encode("utf-8"))
    group = root.find(f".//{SVG}g[@id='{ESTIMATES_GID}']")
    assert group is not None
    return group.findall(f".//{SVG}use")


def test_domains_sorted_and_suppressed_left_out() -> None:
    rows = [_row("AG-B", 0.6), _row("AG-A", 0.8), _row("AG-C", 0.7), _row("AG-D", None)]
    rows.append(_row("", 0.72))  # the whole campaign is no domain
    points, suppressed = domain_points(rows)
    assert [p.label for p in points] == ["AG-A", "AG-C", "AG-B"]
    assert suppressed == ["AG-D"]
    assert points[0].ci_lower == pytest.approx(0.75) and points[0].ci_upper == pytest.approx(0.83)


def test_svg_parses_with_title_desc_and_one_marker_per_domain() -> None:
    points, suppressed = domain_points([_row("AG-A", 0.8), _row("AG-B", 0.6), _row("X", None)])
    desc = describe_points(points, suppressed, WORDS, percent=True)
    assert desc == "AG-A: 80,0 % (75,0–83,0); AG-B: 60,0 % (55,0–63,0). Ẩn: X."
    svg = dot_whisker_svg(points, WORDS, description=desc, percent=True)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.attrib["role"] == "img"
    assert root.find(f"{SVG}title") is not None
    assert root.findtext(f"{SVG}title") == "Chỉ số theo cơ quan"
    assert root.findtext(f"{SVG}desc") == desc
    assert len(_markers(svg)) == 2
    assert len(root.findall(f".//{SVG}g[@id='{INTERVALS_GID}']")) == 1
    # Vertical order: the highest estimate on top (smaller y in SVG).
    ys = [float(m.attrib["y"]) for m in _markers(svg)]
    assert ys[0] < ys[1]


def test_svg_is_deterministic() -> None:
    points, _ = domain_points([_row("AG-A", 0.8), _row("AG-B", 0.6)])
    first = dot_whisker_svg(points, WORDS, description="d", percent=True)
    second = dot_whisker_svg(points, WORDS, description="d", percent=True)
    assert first == second
    assert "<dc:date>" not in first


def test_element_points_whole_campaign_only_in_order() -> None:
    rows = [_row("", 0.7), _row("", 0.9, "E1"), _row("", None, "E2"), _row("AG-A", 0.5, "E1")]
    points, suppressed = element_points(rows, {"overall": "Chung", "E1": "Tiếp cận"})
    assert [p.label for p in points] == ["Chung", "Tiếp cận"]
    assert suppressed == ["E2"]


def test_render_from_a_published_release(session: Session) -> None:
    rc = build_release_campaign(session)
    maker = make_user(session, "analyst", "chart-analyst")
    reviewer = make_user(session, "publisher", "chart-publisher")
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="Công bố", created_by=maker.id
    )
    assert release.id is not None
    with pytest.raises(NotFound):
        get_published_release(session=session, release_id=release.id)
    with pytest.raises(NotFound):
        render_release_chart(
            session=session, release_id=release.id, name="domains", words=WORDS, overall_label="C"
        )
    submit_release(session=session, release_id=release.id, actor=maker)
    publish_release(session=session, release_id=release.id, actor=reviewer)
    svg = render_release_chart(
        session=session, release_id=release.id, name="domains", words=WORDS, overall_label="C"
    )
    assert len(_markers(svg)) == len(set(rc.agencies)) == 3
    elements = render_release_chart(
        session=session, release_id=release.id, name="elements", words=WORDS, overall_label="C"
    )
    n_elements = sum(
        1 for r in release.results["rows"] if not r["domain"] and r["level"] == "element"
    )
    assert n_elements > 0 and len(_markers(elements)) == n_elements + 1
    with pytest.raises(NotFound):
        render_release_chart(
            session=session, release_id=release.id, name="pie", words=WORDS, overall_label="C"
        )


def test_rank_and_change_charts_from_a_public_view(session: Session) -> None:
    old_id, new_id = two_rounds(session)
    view = get_public_release(session=session, release_id=new_id)
    names = {"AG-A": "Sở Tư pháp"}
    ranks = rank_points(view, names)
    assert [p.estimate for p in ranks] == [1.0, 2.0, 3.0]
    assert "Sở Tư pháp" in [p.label for p in ranks]
    assert all(p.ci_lower <= p.estimate <= p.ci_upper for p in ranks)
    svg = render_release_chart(
        session=session,
        release_id=new_id,
        name="ranks",
        words=WORDS,
        overall_label="C",
        names=names,
    )
    desc = ET.fromstring(svg.encode("utf-8")).findtext(f"{SVG}desc") or ""
    # Ranks are whole numbers in words too: "Sở Tư pháp: 1 (1–2)".
    assert any(part.startswith("Sở Tư pháp: ") for part in desc.split("; "))
    assert ",00" not in desc and len(_markers(svg)) == 3
    assert ">1.5<" not in svg and ">2.5<" not in svg  # rank ticks are whole numbers
    changes = change_points(view)
    assert len(changes) == 3
    assert [p.estimate for p in changes] == sorted((p.estimate for p in changes), reverse=True)
    change_svg = render_release_chart(
        session=session, release_id=new_id, name="change", words=WORDS, overall_label="C"
    )
    assert len(_markers(change_svg)) == 3
    assert "điểm %" in (ET.fromstring(change_svg.encode("utf-8")).findtext(f"{SVG}desc") or "")
    with pytest.raises(NotFound):
        render_release_chart(
            session=session, release_id=old_id, name="change", words=WORDS, overall_label="C"
        )
