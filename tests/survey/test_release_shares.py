"""Judgement and expectation shares of a release against R ``survey`` (1e-8), and in a release.

``tests/analysis/reference/shares_reference.json`` was made by
``tests/analysis/reference/r/reference_shares.R`` (each case carries its R call) from
``data/shares_synthetic.csv``; the tests do not run R.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session

from analysis.design import SurveyDesign
from analysis.indices import CiMethod
from analysis.intervals import proportion_ci, proportion_interval_bounds
from analysis.reliability import ReliabilityRule
from analysis.replicates import jkn
from survey.questionnaires import (
    builtin_definition,
    create_draft,
    export_questionnaire,
    import_questionnaire,
    validate_definition,
)
from survey.release_pipeline.shares import estimate_release_shares, published_items
from survey.release_rows import ShareRow, parse_share_row, release_share_items, release_shares
from survey.releases import compute_release, get_release
from survey.users import Scope
from tests.survey.release_fixtures import build_release_campaign
from tests.survey.share_fixtures import (
    build_share_campaign,
    hand_share,
    publish_share_release,
    shares_definition,
)

REFERENCE = Path(__file__).parents[1] / "analysis" / "reference"
CASES: dict[str, Any] = json.loads((REFERENCE / "shares_reference.json").read_text())["cases"]
LOOSE = ReliabilityRule(min_respondents=5, max_cv=100.0)


def reference_data() -> tuple[SurveyDesign, dict[str, np.ndarray], list[dict[str, Any]]]:
    """R's synthetic respondents as the release step sees them. Those not asked q4 (q8 = no)
    are given a stale q4 answer here, which the block's condition must leave out."""
    with (REFERENCE / "data" / "shares_synthetic.csv").open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    design = SurveyDesign.from_columns(
        weights=[float(r["w"]) for r in table],
        strata=[r["agency"] for r in table],
        fpc=[float(r["N"]) for r in table],
        lonely_psu="adjust",
    )
    domains = {
        "agency_code": np.array([r["agency"] for r in table]),
        "province_code": np.array([r["province"] for r in table]),
    }
    answers: list[dict[str, Any]] = []
    for r in table:
        a: dict[str, Any] = {"q8": r["q8"]}
        if r["q4"]:
            a["q4"] = r["q4"]
        elif r["q8"] == "no":
            a["q4"] = "many"  # not asked: must not count
        if r["q10"]:
            a["q10_competence"] = r["q10"]
        answers.append(a)
    return design, domains, answers


def shares(by: tuple[str, ...], ci_method: CiMethod = "logit") -> list[ShareRow]:
    design, domains, answers = reference_data()
    items, _ = published_items(shares_definition())
    return estimate_release_shares(design, domains, answers, items, by, ci_method, 0.95, LOOSE)


def pick(rows: list[ShareRow], item: str, category: str, domain: str = "all") -> ShareRow:
    (row,) = [
        r for r in rows if r.item == item and r.category == category and r.domain_name == domain
    ]
    return row


def test_the_definition_is_valid_and_names_what_is_published() -> None:
    definition = shares_definition()
    assert validate_definition(definition) == []
    items, wording = published_items(definition)
    assert [(i.item, i.publish_as, [c for c, _ in i.cells]) for i in items] == [
        ("q4", "shares", ["none", "some", "many"]),
        ("q10_competence", "top_two", ["very_much+much"]),
    ]
    assert wording[1].category_text("very_much+much") == "Rất nhiều / Nhiều"
    assert wording[1].row_text("q10_competence", "en") == "Competence"


def test_judgement_shares_match_r_svymean_on_the_base() -> None:
    case = CASES["q4.whole"]
    rows = shares(())
    for category, estimate, se in zip(
        case["categories"], case["estimate"], case["se"], strict=True
    ):
        row = pick(rows, "q4", category)
        assert row.estimate == pytest.approx(estimate, abs=1e-8)
        assert row.se == pytest.approx(se, abs=1e-8)
        assert row.n_base == case["n_base"]
    total = sum(pick(rows, "q4", c).estimate or 0.0 for c in ("none", "some", "many"))
    assert total == pytest.approx(1.0, abs=1e-12)


def test_judgement_shares_by_domain_match_r_svyby() -> None:
    case = CASES["q4.by_province"]
    rows = shares(("province_code",))
    for k, category in enumerate(case["categories"]):
        for g, domain in enumerate(case["domains"]):
            row = pick(rows, "q4", category, domain)
            assert row.domain == (("province_code", domain),)
            assert row.estimate == pytest.approx(case["estimate"][k][g], abs=1e-8)
            assert row.se == pytest.approx(case["se"][k][g], abs=1e-8)
            assert row.n_base == case["n_base"][g]


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_intervals_match_r_svyciprop(method: CiMethod) -> None:
    case = CASES[f"q4.none.ci.{method}"]
    row = pick(shares((), method), "q4", "none")
    assert row.estimate == pytest.approx(case["estimate"], abs=1e-8)
    assert [row.ci_lower, row.ci_upper] == pytest.approx(case["ci"], abs=1e-8)


def test_domain_intervals_match_r_svyby_svyciprop() -> None:
    case = CASES["q4.many.ci.by_province"]
    rows = shares(("province_code",))
    for g, domain in enumerate(case["domains"]):
        row = pick(rows, "q4", "many", domain)
        assert row.estimate == pytest.approx(case["estimate"][g], abs=1e-8)
        assert row.ci_lower == pytest.approx(case["ci_lower"][g], abs=1e-8)
        assert row.ci_upper == pytest.approx(case["ci_upper"][g], abs=1e-8)


def test_expectations_are_the_share_choosing_the_top_two() -> None:
    whole = CASES["q10.top_two.whole"]
    row = pick(shares(()), "q10_competence", "very_much+much")
    assert row.estimate == pytest.approx(whole["estimate"], abs=1e-8)
    assert row.se == pytest.approx(whole["se"], abs=1e-8)
    assert [row.ci_lower, row.ci_upper] == pytest.approx(whole["ci"], abs=1e-8)
    assert row.n_base == whole["n_base"]
    by = CASES["q10.top_two.by_agency"]
    rows = shares(("agency_code",))
    for g, agency in enumerate(by["domains"]):
        row = pick(rows, "q10_competence", "very_much+much", agency)
        assert row.estimate == pytest.approx(by["estimate"][g], abs=1e-8)
        assert row.se == pytest.approx(by["se"][g], abs=1e-8)
        assert row.ci_lower == pytest.approx(by["ci_lower"][g], abs=1e-8)
        assert row.ci_upper == pytest.approx(by["ci_upper"][g], abs=1e-8)


def test_small_bases_are_suppressed_and_rows_read_back() -> None:
    design, domains, answers = reference_data()
    items, _ = published_items(shares_definition())
    strict = ReliabilityRule(min_respondents=60, max_cv=0.2)
    rows = estimate_release_shares(
        design, domains, answers, items, ("agency_code",), "logit", 0.95, strict
    )
    small = pick(rows, "q4", "none", "D")
    assert small.n_base < 60 and small.flag == "suppressed"
    assert small.estimate is None and small.se is None and small.ci_lower is None
    rare = pick(rows, "q4", "many")
    assert rare.flag == "unreliable" and rare.estimate is not None  # CV far above 0.2
    for row in rows:
        assert parse_share_row(row.to_json()) == row


def test_a_release_stores_the_shares_of_its_form(session: Session) -> None:
    campaign = build_share_campaign(session)
    release = compute_release(session=session, campaign_id=campaign.campaign_id, name="Q4 Q10")
    stored = release_shares(release)
    items = release_share_items(release)
    assert [i.question for i in items] == ["q4", "q10"]
    whole = {(r.item, r.category): r for r in stored if r.is_whole_campaign}
    assert set(whole) == {
        ("q4", "none"),
        ("q4", "some"),
        ("q4", "many"),
        ("q10_competence", "very_much+much"),
    }
    for category in ("none", "some", "many"):
        assert whole[("q4", category)].estimate == pytest.approx(
            hand_share(campaign, "q4", {category}), abs=1e-12
        )
    asked = sum(1 for a in campaign.answers if a.get("q8") == "yes" and "q4" in a)
    assert whole[("q4", "none")].n_base == asked
    assert whole[("q10_competence", "very_much+much")].estimate == pytest.approx(
        hand_share(campaign, "q10_competence", {"very_much", "much"}), abs=1e-12
    )
    by_agency = [r for r in stored if r.domain_value("agency_code") == "AG-A" and r.item == "q4"]
    assert len(by_agency) == 3
    assert by_agency[0].estimate == pytest.approx(
        hand_share(campaign, "q4", {by_agency[0].category}, stratum="A"), abs=1e-12
    )
    assert all(r.ci_lower is not None and r.ci_lower <= (r.estimate or 0) for r in by_agency)


def test_a_form_without_publish_as_has_no_shares(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute_release(session=session, campaign_id=rc.campaign_id, name="service")
    assert "shares" not in (release.results or {})
    assert release_shares(release) == [] and release_share_items(release) == []


def test_a_scoped_reader_sees_only_its_agencies_shares(session: Session) -> None:
    _, release = publish_share_release(session)
    assert release.id is not None
    scoped = get_release(
        session=session,
        release_id=release.id,
        scope=Scope(agencies=frozenset({"AG-A"}), provinces=None),
    )
    rows = release_shares(scoped)
    assert rows and {r.domain_value("agency_code") for r in rows} == {"AG-A"}
    assert release_share_items(scoped) == release_share_items(release)


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        ({"publish_as": "mean"}, "publish_as", "'shares' or 'top_two'"),
        ({"publish_as": ["shares"]}, "publish_as", "'shares' or 'top_two'"),
        ({"type": "multiple", "publish_as": "shares"}, "publish_as", "not 'multiple'"),
        ({"publish_as": "shares", "publish_categories": ["none"]}, "publish_categories", "top_two"),
        ({"publish_as": "top_two", "publish_categories": ["never"]}, "publish_categories", "none"),
        (
            {"publish_as": "top_two", "publish_categories": ["none", "some", "many"]},
            "publish_categories",
            "leaving at least one out",
        ),
    ],
)
def test_bad_publish_as_names_the_field_and_the_fix(
    change: dict[str, Any], loc: str, words: str
) -> None:
    definition = shares_definition()
    definition["questions"][1].update(change)
    problems = validate_definition(definition)
    assert [p.loc for p in problems] == [("questions", 1, loc)]
    assert words in problems[0].msg


def test_the_built_in_citizens_form_publishes_q4_q5_and_q10() -> None:
    items, wording = published_items(builtin_definition("sipas-citizen-v1.json"))
    assert [w.question for w in wording] == ["q4_harassment", "q5_extra_payment", "q10"]
    assert len([i for i in items if i.question == "q10"]) == 10
    assert wording[2].category_text("very_much+much") == "Rất nhiều / Nhiều"
    assert published_items(builtin_definition()) == ([], [])


def test_a_replicate_design_gives_rs_refitted_logit_intervals() -> None:
    """On jackknife weights the logit interval is R svyciprop's (refitted per replicate, as
    proportion_ci does, tested against R there), not the Taylor delta method."""
    design, domains, answers = reference_data()
    rep = jkn(design)
    items, _ = published_items(shares_definition())
    rows = estimate_release_shares(
        rep, domains, answers, items, ("province_code",), "logit", 0.95, LOOSE
    )
    q4 = np.array([a.get("q4") if a.get("q8") == "yes" else None for a in answers], dtype=object)
    y = np.where(q4 == None, np.nan, (q4 == "none").astype(float))  # noqa: E711
    expected = proportion_ci(
        rep, y, method="logit", by=domains["province_code"], na_rm=True, level=0.95
    )
    for g, province in enumerate(expected.labels[0]):
        row = pick(rows, "q4", "none", str(province))
        assert row.estimate == pytest.approx(expected.estimate[g], abs=1e-12)
        assert row.se == pytest.approx(expected.se[g], abs=1e-12)
        assert [row.ci_lower, row.ci_upper] == pytest.approx(
            [expected.lower[g], expected.upper[g]], abs=1e-12
        )
    delta_lower, _ = proportion_interval_bounds(
        expected.estimate, expected.se**2, method="logit", df=expected.df, level=0.95
    )
    assert np.abs(delta_lower - expected.lower).max() > 1e-6  # the two methods do differ here


def test_a_new_version_of_the_citizens_form_keeps_what_it_publishes(session: Session) -> None:
    definition = builtin_definition("sipas-citizen-v1.json")
    definition["version"] = 2
    row = create_draft(session=session, definition=definition)
    exported = json.loads(export_questionnaire(row))
    exported["version"] = 3
    again = import_questionnaire(session=session, text=json.dumps(exported, ensure_ascii=False))
    for stored in (row, again):
        assert published_items(stored.definition) == published_items(definition)
