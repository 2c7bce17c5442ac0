"""Every output of a release on the national form shows its whole tree: the SIPAS root, the
policy and service indices and the elements, the root where an old release had "overall"
(documents, charts, CSV); an old release without ``results["root"]`` still reads as overall."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook
from sqlmodel import Session

from survey.models import IndexRelease
from survey.release_charts import ChartWords, domain_points, element_points, release_chart
from survey.release_documents.machine import release_json
from survey.release_documents.report import release_report_html, report_context
from survey.release_documents.source import load_document_source
from survey.release_documents.tables import domain_ranking, national
from survey.release_documents.workbook import release_workbook
from survey.release_rows import release_root
from survey.releases import compute_release, release_csv
from tests.survey.citizen_fixtures import PROVINCES, Citizens

WORDS = ChartWords(title="Chỉ số", axis="Tỷ lệ (%)", suppressed="Ẩn:", lang="vi")
TOP = ["sipas", "policy", "service"]


def _release(session: Session, national_rule: str = "pooled") -> IndexRelease:
    c = Citizens(session)
    return compute_release(
        session=session,
        campaign_id=c.campaign_id,
        name="SIPAS 2026",
        by=["province_code"],
        min_respondents=5,
        max_cv=0.5,
        national_rule=national_rule,
    )


def test_documents_show_sipas_indices_and_elements(session: Session) -> None:
    release = _release(session, "mean_of_provinces")
    assert release.id is not None
    source = load_document_source(session=session, release_id=release.id)
    assert source.root == "sipas"
    assert source.node_order[:4] == ("sipas", "policy", "service", "accountability")
    assert source.label("sipas", "vi") == "Chỉ số hài lòng SIPAS"
    assert source.label("policy", "en") == "Satisfaction with issuing and implementing policies"
    assert [r.node for r in national(source)][:3] == TOP
    # Provinces are ranked on their SIPAS index.
    ranking = domain_ranking(source)
    assert {d.row.node for d in ranking} == {"sipas"}
    assert len(ranking) == len(PROVINCES)

    context = report_context(source, "vi")
    assert context["summary_nodes"][:3] == TOP
    assert all(set(TOP) <= set(u["cells"]) for u in context["per_unit"])
    html = release_report_html(source, "en")
    assert "SIPAS satisfaction index" in html and "Satisfaction with the delivery" in html
    assert "unweighted mean of the provincial" in html  # the national rule, in the method

    book = load_workbook(io.BytesIO(release_workbook(source)), read_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}
    # Two header rows (Vietnamese, English), then the whole campaign's nodes in form order.
    national_sheet = next(iter(sheets.values()))
    assert [r[0] for r in national_sheet[2:5]] == TOP
    cells = [v for rows in sheets.values() for r in rows for v in r]
    assert "policy" in cells and "index" in cells

    document = json.loads(release_json(source))
    text = json.dumps(document, ensure_ascii=False)
    assert '"sipas"' in text and '"service"' in text

    rows = list(csv.DictReader(io.StringIO(release_csv(release))))
    top = {r["node"]: r for r in rows if not r["province_code"] and not r["agency_code"]}
    assert set(TOP) <= set(top) and top["policy"]["level_of_node"] == "index"
    assert all(top[n]["se"] and top[n]["ci_lower"] for n in TOP)


def test_charts_use_the_root_and_show_the_indices(session: Session) -> None:
    release = _release(session)
    rows = release.results["rows"]
    points, hidden = domain_points(rows, root=release_root(release))
    assert len(points) + len(hidden) == len(PROVINCES)
    # The default root reads old releases: on this one there is no "overall" node.
    assert domain_points(rows) == ([], [])
    labels = {"sipas": "SIPAS", "policy": "P", "service": "S"}
    element, _ = element_points(rows, labels)
    assert [p.label for p in element[:3]] == ["SIPAS", "P", "S"]
    svg = release_chart(
        session=session,
        release=release,
        view=None,
        name="elements",
        words=WORDS,
        overall_label="Chung",
    )
    assert "Chỉ số hài lòng SIPAS" in svg and "cung ứng dịch vụ hành chính công" in svg


def test_an_old_release_without_root_reads_as_overall() -> None:
    assert release_root({"rows": [], "nodes": ["overall", "access"]}) == "overall"
    assert release_root({"rows": [], "root": "sipas"}) == "sipas"
