"""The rankings as practised in the PDF report, the workbook and the JSON document: one section,
one sheet and one key each, with blocks, bands, top and bottom five and not-ranked units."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook
from sqlmodel import Session

from survey.release_documents.league import SHEET, report_leagues
from survey.release_documents.machine import release_json
from survey.release_documents.method import method_facts
from survey.release_documents.report import release_report_html, report_context
from survey.release_documents.source import DocumentSource, load_document_source
from survey.release_documents.workbook import HEADER_ROWS, release_workbook
from survey.release_rows import release_not_ranked, release_ranking
from survey.releases import compute_release
from tests.survey.test_release_blocks import six_agencies


def blocked_source(session: Session) -> DocumentSource:
    rc = six_agencies(session)
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Theo khối",
        ranking_blocks="level",
        min_ranked=35,
    )
    assert release.id is not None
    return load_document_source(session=session, release_id=release.id)


def test_the_report_has_a_section_per_league_with_blocks(session: Session) -> None:
    source = blocked_source(session)
    (league,) = report_leagues(source, "vi", lambda v: f"{v:.2f}")
    assert [b.name for b in league.blocks] == ["Cấp xã", "Cấp tỉnh"]
    commune, province = league.blocks
    assert commune.parts == () and {u.not_ranked for u in commune.not_ranked} == {
        "alone_in_block",
        "too_few_answers",
    }
    assert [key for key, _ in province.parts] == ["all"]
    assert [u.rank for u in province.parts[0][1]] == [1, 2]
    assert "Đơn vị có dưới 35 người trả lời vẫn có điểm nhưng không xếp hạng." in league.notes
    context = report_context(source, "en")
    (en,) = context["leagues"]
    assert en.blocks[1].name == "Provincial level"
    assert "Classified by working bands" in " ".join(en.notes)


def test_the_workbook_has_a_sheet_of_every_scored_unit(session: Session) -> None:
    source = blocked_source(session)
    book = load_workbook(io.BytesIO(release_workbook(source)))
    sheet = book[SHEET]
    rows = list(sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    header = [c.value for c in sheet[2]]
    code, rank = header.index("Code"), header.index("Rank")
    reason = header.index("Not ranked: reason")
    ranked = {r.agency_code: r.rank.rank for r in release_ranking(source.release)}
    assert {row[code] for row in rows} == {f"AG-{x}" for x in "ABCDEF"}
    for row in rows:
        assert row[rank] == ranked.get(str(row[code]))
        assert bool(row[reason]) == (row[code] not in ranked)
    assert {row[code] for row in rows if row[reason]} == {
        r.agency_code for r in release_not_ranked(source.release)
    }


def test_the_json_document_carries_the_leagues_outside_the_hashed_content(
    session: Session,
) -> None:
    source = blocked_source(session)
    document = json.loads(release_json(source))
    (league,) = document["leagues"]
    assert league["blocks_column"] == "level" and league["min_ranked"] == 35
    assert [b["block"] for b in league["blocks"]] == ["commune", "province"]
    assert "leagues" not in document["content"]


def test_the_report_html_prints_the_blocks_and_the_not_ranked(session: Session) -> None:
    source = blocked_source(session)
    html = release_report_html(source, "vi")
    assert "Xếp hạng theo khối: cơ quan" in html
    assert "<h3>Cấp tỉnh</h3>" in html and "<h3>Cấp xã</h3>" in html
    assert "Có điểm, không xếp hạng: quá ít người trả lời" in html
    assert '<table class="league-all">' in html


def test_the_method_note_states_the_ranking_rules(session: Session) -> None:
    source = blocked_source(session)
    fact = next(f for f in method_facts(source) if f.key == "ranking_rules")
    assert "cấp hành chính" in str(fact.value) and "35 người trả lời" in str(fact.value)
    assert "administrative level" in str(fact.value_en) and "fewer than 35" in str(fact.value_en)
