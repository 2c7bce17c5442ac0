"""The built-in national forms (Decision 1001/QĐ-BNV layout): citizens' and organisations'.

The service block's wording is checked against ../shared/DOMAIN.md (an independent source, beside
the clone in CI), item by item; the rest is working wording and is marked so.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from analysis.design import SurveyDesign
from analysis.indices import estimate_indices
from analysis.questionnaire_tree import parse_questionnaire_tree
from api.app import create_app
from survey.analyze_file import AnalyzeOptions, analyze_file
from survey.models import Campaign, Response
from survey.paper_questionnaire import paper_form
from survey.questionnaires import (
    BUILTIN_FILES,
    answer_pages,
    builtin_definition,
    criterion_codes,
    display_numbers,
    drop_hidden,
    ensure_builtin_questionnaires,
    grid_options,
    item_kinds,
    shown_codes,
    validate_answers,
    validate_definition,
)
from survey.settings import Settings
from tests.survey.responses_fixtures import build_fieldwork

DOMAIN_MD = Path(__file__).resolve().parents[3] / "shared" / "DOMAIN.md"
CITIZEN, ORGANISATION = "sipas-citizen-v1.json", "sipas-organisation-v1.json"
SERVICE_ELEMENTS = ["access", "procedures", "civil_servants", "results", "feedback"]
POLICY_ELEMENTS = ["accountability", "participation", "policy_quality", "policy_impact"]
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _domain_service_block() -> tuple[dict[int, tuple[str, str]], list[tuple[str, str]]]:
    """Items 15-33 ({number: (vi, en)}) and the five element titles [(vi, en)] of DOMAIN.md."""
    text = DOMAIN_MD.read_text(encoding="utf-8")
    section = text.split("## The questionnaire (service block", 1)[1].split("\n## ", 1)[0]
    items = {
        int(number): (vi, en)
        for number, vi, en in re.findall(r"^- (\d+)\. (.+?) — (.+)$", section, flags=re.MULTILINE)
    }
    titles = re.findall(r"^\*\*[IV]+\. (.+?) — (.+?)\*\*$", section, flags=re.MULTILINE)
    return items, titles


def test_both_forms_are_built_in_and_valid(session: Session) -> None:
    assert BUILTIN_FILES[:2] == ("sipas-service-v1.json", "sipas-service-profile-v1.json")
    for filename, code in ((CITIZEN, "sipas-citizen"), (ORGANISATION, "sipas-organisation")):
        assert filename in BUILTIN_FILES
        definition = builtin_definition(filename)
        assert validate_definition(definition) == []
        row = ensure_builtin_questionnaires(session=session, filename=filename)
        assert (row.code, row.version, row.status) == (code, 1, "published")
        assert row.title_vi == definition["title"]["vi"] and row.title_en
    # The service-only form is still the default and unchanged in shape.
    assert ensure_builtin_questionnaires(session=session).code == "sipas-service"


@pytest.mark.parametrize("filename", [CITIZEN, ORGANISATION])
def test_the_service_block_is_domain_md_item_by_item(filename: str) -> None:
    items, titles = _domain_service_block()
    assert sorted(items) == list(range(15, 34)) and len(titles) == 5
    definition = builtin_definition(filename)
    service = [e for e in definition["elements"] if e["code"] in SERVICE_ELEMENTS]
    assert [e["code"] for e in service] == SERVICE_ELEMENTS
    for element, (title_vi, title_en) in zip(service, titles, strict=True):
        assert (element["title"]["vi"], element["title"]["en"]) == (title_vi, title_en)
    criteria = [c for e in service for c in e["criteria"]]
    assert [c["number"] for c in criteria] == list(range(15, 34))
    for criterion in criteria:
        assert (criterion["text"]["vi"], criterion["text"]["en"]) == items[criterion["number"]]
    # Identical codes and wording to the service-only form, so results compare.
    reference = builtin_definition()
    assert [c for e in service for c in e["criteria"]] == [
        c for e in reference["elements"] for c in e["criteria"]
    ]
    assert [e["title"] for e in service] == [e["title"] for e in reference["elements"]]


def _all_codes(definition: dict[str, Any]) -> list[str]:
    codes = [i["code"] for i in definition.get("indices") or []]
    codes += [b["code"] for b in definition.get("blocks") or []]
    for element in definition["elements"]:
        codes += [element["code"], *(c["code"] for c in element["criteria"])]
    for question in definition.get("questions") or []:
        codes += [question["code"], *(r["code"] for r in question.get("rows") or [])]
    return codes


@pytest.mark.parametrize("filename", [CITIZEN, ORGANISATION])
def test_every_item_row_and_option_has_a_stable_code(filename: str) -> None:
    definition = builtin_definition(filename)
    codes = _all_codes(definition)
    assert len(codes) == len(set(codes)) and all(_CODE.match(c) for c in codes)
    marked = {b["code"] for b in definition["blocks"] if b.get("working_wording")}
    for question in definition.get("questions") or []:
        options = [o["code"] for o in question.get("options") or []]
        assert len(options) == len(set(options)) and all(_CODE.match(o) for o in options)
        # Everything outside the service block and the free comment is working wording.
        working = question.get("working_wording") or question.get("block") in marked
        assert working or question["type"] == "text", question["code"]


def test_citizens_form_has_the_national_structure() -> None:
    definition = builtin_definition(CITIZEN)
    questions = {q["code"]: q for q in definition["questions"]}
    # Part A: the same profile items (and codes) as the profile variant of the service form.
    variant = builtin_definition("sipas-service-profile-v1.json")
    profile = [q for q in definition["questions"] if q.get("block") == "profile"]
    assert profile == [q for q in variant["questions"] if q.get("block") == "profile"]
    # Q1: the 9 policy groups of SIPAS 2023, on DOMAIN.md's three levels of interest.
    q1 = questions["q1"]
    assert (q1["type"], len(q1["rows"])) == ("priority", 9)
    assert [o["text"]["vi"] for o in q1["options"]] == [
        "Không quan tâm",
        "Quan tâm một chút",
        "Rất quan tâm",
    ]
    assert questions["q2_channels"]["type"] == "multiple"
    assert len(questions["q3_willing_to_comment"]["options"]) == 5
    for code in ("q4_harassment", "q5_extra_payment"):
        assert [o["code"] for o in questions[code]["options"]] == ["none", "some", "many"]
    assert [o["code"] for o in questions["q6_filing_channel"]["options"]] == [
        "in_person",
        "online",
        "both",
    ]
    assert questions["q7_information_channel"]["type"] == "single"
    q8 = questions["q8"]
    assert q8["type"] == "yesno_grid" and len(q8["rows"]) == 7
    # Q9 part I: A 1-2, B 3-4, C 5-12, D 13-14, all in the policy index.
    policy = [e for e in definition["elements"] if e.get("index") == "policy"]
    assert [e["code"] for e in policy] == POLICY_ELEMENTS
    assert [e["part"] for e in policy] == ["A", "B", "C", "D"]
    assert [[c["number"] for c in e["criteria"]] for e in policy] == [
        [1, 2],
        [3, 4],
        list(range(5, 13)),
        [13, 14],
    ]
    assert all(e["working_wording"] for e in policy)
    # Q10: about 10 expectations on Rất nhiều / Nhiều / Ít; then free comments.
    q10 = questions["q10"]
    assert len(q10["rows"]) == 10
    assert [o["text"]["vi"] for o in grid_options(q10)] == ["Rất nhiều", "Nhiều", "Ít"]
    assert questions["comments"]["type"] == "text"
    pages = [p.code for p in answer_pages(definition)]
    assert pages[0] == "profile" and pages[5] == "experience"
    assert pages[6:15] == POLICY_ELEMENTS + SERVICE_ELEMENTS
    assert pages[15:] == ["expectations", "other_comments"]
    assert definition["sipas_rule"] == "mean_of_indices"


def test_part_ii_is_asked_only_after_completing_a_procedure() -> None:
    definition = builtin_definition(CITIZEN)
    q8_rows = [r["code"] for q in definition["questions"] if q["code"] == "q8" for r in q["rows"]]
    assert "q8_procedure" in q8_rows
    for element in definition["elements"]:
        if element["index"] == "service":
            assert element["show_if"] == {"item": "q8_procedure", "in": ["yes"]}
        else:
            assert "show_if" not in element
    service = {c["code"] for e in definition["elements"][4:] for c in e["criteria"]}
    policy = {c["code"] for e in definition["elements"][:4] for c in e["criteria"]}
    assert len(service) == 19 and len(policy) == 14
    no = shown_codes(definition, {"q8_procedure": "no"})
    assert not service & no and policy <= no
    assert service <= shown_codes(definition, {"q8_procedure": "yes"})
    # Not asked, not required; answers given before Q8 changed are dropped.
    answers = {**dict.fromkeys(policy, 4), "q8_procedure": "no"}
    assert validate_answers(definition, {**answers, **dict.fromkeys(q8_rows, "no")}) == []
    kept = drop_hidden(definition, {**answers, "access_q15": 5})
    assert "access_q15" not in kept and "policy_impact_q14" in kept


def test_the_citizens_tree_has_sipas_policy_and_service_nodes() -> None:
    definition = builtin_definition(CITIZEN)
    tree = parse_questionnaire_tree(definition)
    assert tree.root == "sipas"
    assert [(i.code, i.elements) for i in tree.indices] == [
        ("policy", tuple(POLICY_ELEMENTS)),
        ("service", tuple(SERVICE_ELEMENTS)),
    ]
    assert list(tree.criteria) == criterion_codes(definition)
    rng = np.random.default_rng(3)
    n = 300
    y = rng.integers(1, 6, size=(n, len(tree.criteria))).astype(float)
    y[rng.random(n) < 0.5, 14:] = np.nan  # half did not complete a procedure: no part II
    strata = np.arange(n) % 3
    table = estimate_indices(
        SurveyDesign.from_columns(weights=1.0 + strata, strata=strata), y, tree
    )
    assert table.nodes[:3] == ("sipas", "policy", "service")
    sipas, policy, service = table.estimate[0, :3]
    assert sipas == pytest.approx((policy + service) / 2, rel=1e-12)
    assert np.all(np.isfinite(table.se[0])) and np.all(table.se[0] > 0)
    # The organisations' form keeps the service form's tree: overall <- the five elements.
    organisation = parse_questionnaire_tree(builtin_definition(ORGANISATION))
    assert organisation.root == "overall" and not organisation.indices
    assert organisation.element_codes == tuple(SERVICE_ELEMENTS)


def test_organisations_form_has_an_organisation_profile_and_no_household_items() -> None:
    definition = builtin_definition(ORGANISATION)
    codes = [q["code"] for q in definition["questions"]]
    assert codes == ["org_type", "org_size", "org_sector", "comments"]
    assert definition["elements"] == builtin_definition()["elements"]
    household = {"sex", "age_band", "ethnicity", "q1", "q8", "q10"}
    assert not household & set(item_kinds(definition))
    assert "tạm thời" in definition["notes"]["vi"]


# ----------------------------------------------------------------- answer pages, no JavaScript


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _invite(session: Session, settings: Settings, filename: str) -> str:
    fieldwork = build_fieldwork(session, settings.secret_key, n=2)
    row = ensure_builtin_questionnaires(session=session, filename=filename)
    campaign = session.get(Campaign, fieldwork.campaign_id)
    assert campaign is not None and row.id is not None
    campaign.questionnaire_id = row.id
    session.add(campaign)
    session.commit()
    return fieldwork.tokens[0]


def _page_answers(definition: dict[str, Any], codes: tuple[str, ...]) -> dict[str, Any]:
    """A valid answer to every item of a page: 4 for criteria, the first option elsewhere, and
    yes to Q8 so that part II is asked."""
    questions = {q["code"]: q for q in definition.get("questions") or []}
    rows = {r["code"]: q for q in questions.values() for r in q.get("rows") or []}
    form: dict[str, Any] = {}
    for code in codes:
        if code in rows:
            form[code] = "yes" if code.startswith("q8_") else grid_options(rows[code])[0]["code"]
        elif code in questions:
            question = questions[code]
            if question["type"] == "text":
                form[code] = "Phục vụ tốt"
            elif question["type"] == "multiple":
                form[code] = [o["code"] for o in question["options"][:2]]
            else:
                form[code] = question["options"][0]["code"]
        else:
            form[code] = "4"
    return form


@pytest.mark.parametrize("filename", [CITIZEN, ORGANISATION])
def test_every_page_of_the_form_renders_and_saves(
    client: TestClient, session: Session, settings: Settings, filename: str
) -> None:
    token = _invite(session, settings, filename)
    definition = builtin_definition(filename)
    start = client.get(f"/r/{token}").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', start)
    assert csrf
    assert client.post(f"/r/{token}/start", data={"csrf": csrf.group(1)}).status_code == 303
    css = (Path(__file__).resolve().parents[2] / "api" / "static" / "answer.css").read_bytes()
    pages = answer_pages(definition)
    for page in pages:
        number = page.index + 1
        for lang, title in (("en", page.title["en"]), ("vi", page.title["vi"])):
            shown = client.get(f"/r/{token}/p/{number}?lang={lang}")
            assert shown.status_code == 200, (page.code, lang)
            assert f"<h1>{title}</h1>" in shown.text.replace("&#39;", "'")
            assert "<script" not in shown.text
        # Phone-first: every page and its stylesheet within the 30 KB budget.
        assert len(shown.text.encode()) + len(css) <= 30 * 1024, page.code
        for code in page.item_codes:
            assert f'name="{code}"' in shown.text
        # An empty post is refused with the fields named (never a 500) where answers are required.
        empty = client.post(f"/r/{token}/p/{number}", data={"csrf": csrf.group(1)})
        assert empty.status_code in (303, 422), page.code
        saved = client.post(
            f"/r/{token}/p/{number}",
            data={"csrf": csrf.group(1), **_page_answers(definition, page.item_codes)},
        )
        assert saved.status_code == 303, (page.code, saved.text[:500])
        after = f"/r/{token}/p/{number + 1}" if number < len(pages) else f"/r/{token}/review"
        assert saved.headers["location"] == after
    review = client.get(f"/r/{token}/review")
    assert review.status_code == 200
    done = client.post(f"/r/{token}/submit", data={"csrf": csrf.group(1)})
    assert done.headers["location"] == f"/r/{token}/thanks"
    session.expire_all()
    (response,) = session.exec(select(Response)).all()
    assert set(criterion_codes(definition)) <= set(response.answers)
    assert response.answers["comments"] == "Phục vụ tốt"


def test_index_problems_name_the_field_and_the_fix() -> None:
    definition = builtin_definition(CITIZEN)
    definition["elements"][0]["index"] = "politics"
    definition["sipas_rule"] = "median"
    definition["indices"].append({"code": "sipas", "title": {"vi": "Gốc", "en": "Root"}})
    problems = {p.loc: p.msg for p in validate_definition(definition)}
    assert "one of policy, service" in problems[("elements", 0, "index")]
    assert "mean_of_indices" in problems[("sipas_rule",)]
    assert "names the root" in problems[("indices", 2, "code")]
    # An index no element counts in, and an index named on a form without indices.
    lonely = builtin_definition(CITIZEN)
    lonely["indices"].append({"code": "trust", "title": {"vi": "Niềm tin", "en": "Trust"}})
    assert {p.loc for p in validate_definition(lonely)} == {("indices", 2)}
    plain = builtin_definition()
    plain["elements"][0]["index"] = "service"
    plain["sipas_rule"] = "mean_of_indices"
    assert {p.loc for p in validate_definition(plain)} == {
        ("elements", 0, "index"),
        ("sipas_rule",),
    }


def test_the_paper_form_tells_who_skips_part_ii() -> None:
    definition = builtin_definition(CITIZEN)
    numbers = display_numbers(definition)
    form = paper_form(definition)
    conditions = {s.code: s.condition for s in form.sections}
    q8, q10 = numbers["q8"], numbers["q10"]
    for code in SERVICE_ELEMENTS:
        assert f"câu {q8}," in conditions[code] and f"câu {q10}." in conditions[code]
        assert "Giải quyết xong một thủ tục hành chính" in conditions[code]
    assert not any(conditions[code] for code in POLICY_ELEMENTS)
    assert form.last_number == max(numbers.values())


def test_sipas_analyze_knows_the_citizens_form_by_its_code(tmp_path: Path) -> None:
    """``sipas analyze -q sipas-citizen``: the rows hold sipas, policy and service."""
    definition = builtin_definition(CITIZEN)
    codes = criterion_codes(definition)
    rng = np.random.default_rng(11)
    path = tmp_path / "responses.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agency", "N", *codes])
        for i in range(240):
            answers = [str(v) for v in rng.integers(1, 6, len(codes))]
            if i % 3 == 0:  # no procedure: part II not asked
                answers[14:] = [""] * (len(codes) - 14)
            writer.writerow(["AB"[i % 2], "5000", *answers])
    summary = analyze_file(
        AnalyzeOptions(
            responses=path,
            questionnaire="sipas-citizen",
            out=tmp_path / "out",
            strata="agency",
            fpc="N",
        )
    )
    assert "240 respondents" in summary
    with (tmp_path / "out" / "indices.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    levels = {r["node"]: r["node_level"] for r in rows}
    assert (levels["sipas"], levels["policy"], levels["service"]) == ("overall", "index", "index")
    assert "overall" not in levels
    report = (tmp_path / "out" / "report.txt").read_text(encoding="utf-8")
    assert "  index: " in report
