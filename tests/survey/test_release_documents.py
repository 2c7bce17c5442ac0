"""Release documents read back: the PDF's text, the workbook's cells, the JSON and the dictionary.

A published release by province (eleven provinces with figures, one suppressed by the k = 5 rule)
is made through the real pipeline; each document is then parsed with an independent reader
(pdftotext and pypdf, openpyxl, json, csv) and compared with the release's stored results.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session

from survey.errors import NotFound
from survey.geography import PROVINCE_MERGER_2025
from survey.models import IndexRelease
from survey.public_releases import rank_release_domains
from survey.release_documents.dictionary import csv_dictionary, dictionary_csv
from survey.release_documents.machine import release_document, release_json
from survey.release_documents.report import (
    AGENCY_ENDS,
    AGENCY_TABLE_MAX,
    release_report_html,
    release_report_pdf,
)
from survey.release_documents.source import (
    DocumentSource,
    load_document_source,
    load_published_source,
)
from survey.release_documents.workbook import HEADER_ROWS, SHEETS, release_workbook
from survey.release_hashing import canonical_json
from survey.release_rows import release_ranking
from survey.releases import (
    CSV_COLUMNS,
    compute_release,
    publish_release,
    release_csv,
    submit_release,
)
from tests.api.fast_users import make_user
from tests.survey.release_fixtures import build_release_campaign

NAMES = {unit.code: unit.name for unit in PROVINCE_MERGER_2025}
# stratum -> (agency, province, N_h, S_h, r_h): one agency per province; "L" has 3 respondents,
# fewer than k = 5, so its province is suppressed whatever the reliability rule. One agency code
# looks like a spreadsheet formula (an imported value): the workbook must keep it as text.
PROVINCES = ["01", "79", "31", "48", "92", "46", "38", "40", "22", "04", "11", "12"]
SPEC: dict[str, tuple[str, str, int, int, int]] = {
    chr(ord("A") + i): (
        "=HYPERLINK(1)" if i == 3 else f"AG-{i:02d}",
        code,
        300 + 10 * i,
        40,
        3 if i == 11 else 18 + i,
    )
    for i, code in enumerate(PROVINCES)
}


@dataclass(frozen=True)
class Published:
    release_id: int
    sha256: str
    source: DocumentSource


@pytest.fixture
def published(session: Session) -> Published:
    rc = build_release_campaign(session, seed=11, strata_spec=SPEC)
    maker = make_user(session, "analyst", "doc-analyst")
    reviewer = make_user(session, "publisher", "doc-publisher")
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Chỉ số hài lòng năm 2026 theo tỉnh",
        by=("province_code",),
        min_respondents=5,
        created_by=maker.id,
    )
    assert release.id is not None
    submit_release(session=session, release_id=release.id, actor=maker)
    publish_release(session=session, release_id=release.id, actor=reviewer)
    source = load_published_source(session=session, release_id=release.id)
    assert source.release.content_sha256
    return Published(release.id, source.release.content_sha256, source)


def _province_overall(source: DocumentSource) -> list[dict[str, Any]]:
    """Stored overall rows per province, highest first (read straight from the results JSON)."""
    rows = [
        r
        for r in source.release.results["rows"]
        if r["domain"] and r["node"] == "overall" and r["estimate"] is not None
    ]
    return sorted(rows, key=lambda r: (-r["estimate"], NAMES[r["domain"]["province_code"]]))


def _pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext"):
        done = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        )
        return done.stdout.decode("utf-8")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_reads_back_in_vietnamese_with_hash_and_top_five(published: Published) -> None:
    pdf = release_report_pdf(published.source)
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf)
    for words in ("Chỉ số hài lòng", "Số liệu chung", "Năm đơn vị cao nhất", "Xếp hạng", "Hà Nội"):
        assert words in text, words
    assert "Hồ Chí Minh" in text or "TP. Hồ Chí Minh" in text
    assert "doc-publisher" in text  # published by
    compact = re.sub(r"\s+", "", text)
    assert published.sha256 in compact
    reader = PdfReader(io.BytesIO(pdf))
    # The hash is in every page's footer.
    for page in reader.pages:
        assert published.sha256[:16] in re.sub(r"\s+", "", page.extract_text() or "")
    # Top five, in order, between the "highest" and "lowest" headings.
    top = text.split("Năm đơn vị cao nhất")[-1].split("Năm đơn vị thấp nhất")[0]
    expected = [NAMES[r["domain"]["province_code"]] for r in _province_overall(published.source)]
    positions = [top.find(name) for name in expected[:5]]
    assert all(p >= 0 for p in positions), (expected[:5], top)
    assert positions == sorted(positions)
    # Vietnamese decimals: the national index as "72,7 %".
    national = next(r for r in published.source.release.results["rows"] if not r["domain"])
    shown = f"{national['estimate'] * 100:.1f}".replace(".", ",") + " %"
    assert shown in text
    # Fonts are embedded (a reader without DejaVu still sees the diacritics).
    fonts = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources.get("/Font", {}).values():
            font: Any = ref.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (
                descendant[0].get_object()["/FontDescriptor"]
                if descendant
                else font.get("/FontDescriptor")
            )
            if descriptor is not None:
                descriptor = descriptor.get_object()
                if "/FontFile2" in descriptor or "/FontFile3" in descriptor:
                    fonts.add(str(font["/BaseFont"]))
    assert any("DejaVu" in name for name in fonts), fonts


def test_pdf_html_embeds_the_charts_and_names_the_suppressed_province(published: Published) -> None:
    html = release_report_html(published.source)
    assert html.count('src="data:image/svg+xml;base64,') == 2  # units, elements
    suppressed = NAMES[PROVINCES[11]]
    assert f"Bị ẩn vì quá ít người trả lời: {suppressed}" in html


def test_workbook_cells_are_typed_and_equal_the_release(published: Published) -> None:
    book = load_workbook(io.BytesIO(release_workbook(published.source)))
    assert SHEETS["national"] in book.sheetnames and SHEETS["method"] in book.sheetnames
    national = book[SHEETS["national"]]
    assert national.freeze_panes == f"A{HEADER_ROWS + 1}"
    header_vi = [c.value for c in national[1]]
    header_en = [c.value for c in national[2]]
    assert "Chỉ số" in header_vi and "Sai số chuẩn" in header_vi
    assert "Index" in header_en and "Standard error" in header_en
    est, se, lo, hi, n = (
        header_en.index(h)
        for h in (
            "Index",
            "Standard error",
            "Interval lower bound",
            "Interval upper bound",
            "Respondents",
        )
    )
    stored = {r["node"]: r for r in published.source.release.results["rows"] if not r["domain"]}
    seen = 0
    for row in national.iter_rows(min_row=HEADER_ROWS + 1):
        node = row[0].value
        r = stored[node]
        assert row[est].data_type == "n" and row[est].value == pytest.approx(r["estimate"])
        assert row[est].number_format == "0.0%"
        assert row[se].value == pytest.approx(r["se"])
        assert row[lo].value == pytest.approx(r["ci_lower"])
        assert row[hi].value == pytest.approx(r["ci_upper"])
        assert row[n].value == r["n_respondents"] and isinstance(row[n].value, int)
        seen += 1
    assert seen == len(stored)

    ranking = book[SHEETS["ranking"]]
    header = [c.value for c in ranking[2]]
    unit, estimate, note = header.index("Unit"), header.index("Index"), header.index("Note")
    lines = list(ranking.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    expected = _province_overall(published.source)
    assert [line[unit] for line in lines[: len(expected)]] == [
        NAMES[r["domain"]["province_code"]] for r in expected
    ]
    assert [line[estimate] for line in lines[: len(expected)]] == pytest.approx(
        [r["estimate"] for r in expected]
    )
    # Rank intervals as the public site computes them from the stored estimates and SEs.
    best, worst = header.index("Rank interval: best"), header.index("Rank interval: worst")
    ranked, _ = rank_release_domains(published.source.release)
    by_name = {NAMES[str(d.row.domain_value("province_code"))]: d for d in ranked}
    for line in lines[: len(expected)]:
        d = by_name[str(line[unit])]
        assert (line[best], line[worst]) == (d.rank_lower, d.rank_upper)
    last = lines[-1]  # the suppressed province: no figure, and the reason
    assert last[unit] == NAMES[PROVINCES[11]] and last[estimate] is None
    assert "fewer than 5" in str(last[note])

    agencies = book[SHEETS["agencies"]]
    codes = [c.value for c in agencies["B"][HEADER_ROWS:]]
    assert "'=HYPERLINK(1)" in codes  # neutralised, kept as text
    assert all(c.data_type != "f" for row in agencies.iter_rows() for c in row)

    method = {row[0]: row[3] for row in book[SHEETS["method"]].iter_rows(values_only=True)}
    assert method["release_sha256"] == published.sha256
    assert method["published_by"] == "doc-publisher"
    assert method["draw_seed"] == 11
    assert method["status"] == "published"
    assert method["frame_sha256"] == published.source.release.fingerprint["frame"]["sha256"]


def test_json_holds_the_hashed_content_and_describes_every_csv_column(
    published: Published,
) -> None:
    document = json.loads(release_json(published.source))
    assert document["content_sha256"] == published.sha256
    digest = hashlib.sha256(canonical_json(document["content"]).encode("ascii")).hexdigest()
    assert digest == published.sha256
    assert document["content"]["results"] == published.source.release.results
    header = next(csv.reader(io.StringIO(release_csv(published.source.release))))
    assert [c["name"] for c in document["csv_dictionary"]] == header
    assert {m["key"]: m["value"] for m in document["method"]}["release_sha256"] == published.sha256
    assert "Chỉ số hài lòng" in release_json(published.source)  # not \u-escaped
    assert release_document(published.source)["steps"][-1]["by"] == "doc-publisher"


def test_dictionary_csv_covers_every_column_with_labels_type_and_unit() -> None:
    rows = list(csv.DictReader(io.StringIO(dictionary_csv())))
    # The machine CSV's columns, then the name columns of release.csv?lang=vi|en.
    assert [r["name"] for r in rows][: len(CSV_COLUMNS)] == list(CSV_COLUMNS)
    for r in rows:
        assert r["label_vi"] and r["label_en"] and r["type"] in ("string", "integer", "number")
    assert {r["name"]: r["unit"] for r in rows}["estimate"] == "share 0-1"
    assert {c.name: c.unit for c in csv_dictionary(percent=False)}["ci_upper"] == "score 1-5"


def test_draft_documents_say_not_published_and_public_source_refuses_drafts(
    session: Session,
) -> None:
    rc = build_release_campaign(session)
    draft = compute_release(session=session, campaign_id=rc.campaign_id, name="Bản nháp")
    assert draft.id is not None
    with pytest.raises(NotFound):
        load_published_source(session=session, release_id=draft.id)
    source = load_document_source(session=session, release_id=draft.id)
    html = release_report_html(source)
    assert "bản nháp (chưa công bố)" in html and "chưa có (có khi gửi duyệt)" in html
    book = load_workbook(io.BytesIO(release_workbook(source)))
    method = {row[0]: row[3] for row in book[SHEETS["method"]].iter_rows(values_only=True)}
    assert method["status"] == "draft" and method["release_sha256"] is None


def test_report_prints_the_ends_of_a_long_agency_ranking() -> None:
    ranking = [
        {
            "agency_code": f"AG-{i:03d}",
            "estimate": 0.9 - i / 1000,
            "ci_lower": 0.85 - i / 1000,
            "ci_upper": 0.95 - i / 1000,
            "n_respondents": 40,
            "flag": "ok",
            "rank": i + 1,
            "rank_lower": max(1, i - 3),
            "rank_upper": i + 5,
            "tier": 1 + i // 10,
            "prob_first": None,
        }
        for i in range(AGENCY_TABLE_MAX + 5)
    ]
    release = IndexRelease(
        id=1,
        name="Toàn quốc",
        campaign_id=1,
        status="published",
        parameters={"by": ["province_code"], "rule": "criteria-mean"},
        results={"nodes": ["overall"], "rows": [], "ranking": ranking},
    )
    source = DocumentSource(
        release=release,
        rows=(),
        ranking=tuple(release_ranking(release)),
        node_labels={"vi": {}, "en": {}},
        node_order=("overall",),
        unit_names={},
        campaign_name="Đợt 2026",
        period=None,
        steps=(),
    )
    html = release_report_html(source)
    shown = re.findall(r"<th>(AG-\d{3})</th>", html)
    n = len(ranking)
    assert shown == [f"AG-{i:03d}" for i in (*range(AGENCY_ENDS), *range(n - AGENCY_ENDS, n))]
    assert f"trong số {n} cơ quan" in html
