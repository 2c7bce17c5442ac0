"""Judgement and expectation shares in every document of a release, read back: shares.csv and
its dictionary, the workbook's sheet, the PDF's section (text extracted, diacritics intact) and
the JSON. A release without shares has none of them."""

from __future__ import annotations

import csv
import io
import json
import re

from openpyxl import load_workbook
from sqlmodel import Session

from survey.release_documents.files import release_file
from survey.release_documents.shares import SHARE_COLUMNS, WORDS, shares_csv_columns
from survey.release_rows import ShareRow, release_shares
from survey.releases import compute_release
from tests.survey.release_fixtures import build_release_campaign
from tests.survey.share_fixtures import publish_share_release
from tests.survey.test_release_documents import _pdf_text


def _whole(rows: list[ShareRow], item: str, category: str) -> ShareRow:
    (row,) = [r for r in rows if r.is_whole_campaign and r.item == item and r.category == category]
    return row


def _percent(value: float) -> str:
    """As the report prints a share in Vietnamese: 85,3 %."""
    return f"{value * 100:.1f}".replace(".", ",") + " %"


def test_shares_csv_has_every_stored_row_with_its_dictionary(session: Session) -> None:
    _, release = publish_share_release(session)
    assert release.id is not None
    stored = release_shares(release)
    document = release_file(session=session, release_id=release.id, kind="shares")
    assert document.filename == f"release-{release.id}-shares.csv"
    text = document.content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == list(shares_csv_columns(("agency_code",)))
    assert len(table) == len(stored)
    for line, row in zip(table, stored, strict=True):
        assert (line["item"], line["category"], line["agency_code"]) == (
            row.item,
            row.category,
            row.domain_value("agency_code") or "",
        )
        assert int(line["n_base"]) == row.n_base
        if row.estimate is None:
            assert line["share"] == ""
        else:
            assert abs(float(line["share"]) - row.estimate) < 5e-7
        assert line["release_sha256"] == release.content_sha256
    dictionary = release_file(session=session, release_id=release.id, kind="dictionary")
    names = [r["name"] for r in csv.DictReader(io.StringIO(dictionary.content.decode("utf-8-sig")))]
    assert [c.name for c in SHARE_COLUMNS] == names[-len(SHARE_COLUMNS) :]
    assert set(shares_csv_columns(("agency_code",))) <= set(names)


def test_workbook_pdf_and_json_carry_the_shares(session: Session) -> None:
    _, release = publish_share_release(session)
    assert release.id is not None
    stored = release_shares(release)
    none = _whole(stored, "q4", "none")
    top = _whole(stored, "q10_competence", "very_much+much")
    assert none.estimate is not None and top.estimate is not None

    xlsx = release_file(session=session, release_id=release.id, kind="xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx))[WORDS["vi"]["sheet"]]
    values = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(values) == len(stored)
    first = values[0]
    assert first[1:4] == ("q4", "q4", "none")
    assert first[6] == none.estimate and first[11] == none.n_base
    assert sheet.cell(row=3, column=7).number_format == "0.0%"

    text = re.sub(
        r"[ \t]+",
        " ",
        _pdf_text(release_file(session=session, release_id=release.id, kind="pdf").content),
    )
    assert WORDS["vi"]["shares"] in text
    assert "Có công chức gây phiền hà, sách nhiễu không?" in text
    assert "Tỷ lệ chọn: Rất nhiều / Nhiều" in text
    assert _percent(none.estimate) in text and _percent(top.estimate) in text

    document = json.loads(release_file(session=session, release_id=release.id, kind="json").content)
    assert document["content"]["results"]["shares"] == release.results["shares"]
    assert [c["name"] for c in document["shares_csv_dictionary"]] == list(
        shares_csv_columns(("agency_code",))
    )


def test_a_release_without_shares_has_no_shares_anywhere(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute_release(session=session, campaign_id=rc.campaign_id, name="dịch vụ")
    assert release.id is not None
    shares = release_file(session=session, release_id=release.id, kind="shares")
    assert shares.content.decode("utf-8-sig").strip() == ",".join(
        shares_csv_columns(("agency_code",))
    )
    xlsx = release_file(session=session, release_id=release.id, kind="xlsx").content
    assert WORDS["vi"]["sheet"] not in load_workbook(io.BytesIO(xlsx)).sheetnames
    document = json.loads(release_file(session=session, release_id=release.id, kind="json").content)
    assert "shares_csv_dictionary" not in document
    dictionary = release_file(session=session, release_id=release.id, kind="dictionary")
    assert b"share_se" not in dictionary.content
