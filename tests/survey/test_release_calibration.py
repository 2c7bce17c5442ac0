"""Releases calibrated to the analyst's margins and with replicate variance (issue 9, item 4).

The expected figures come from the library on a design built here by hand from the fixture's
known strata (w_i = N_h / r_h, f_h = r_h / N_h), calibrated with :mod:`analysis.calibration`
and given replicates by :mod:`analysis.replicates` (both checked against R in tests/analysis);
the release must reproduce the margins in its weights and those SEs to 1e-12.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlmodel import Session, col, select

from analysis.calibration import calibrate, poststratify, rake
from analysis.design import SurveyDesign
from analysis.indices import IndexTable, estimate_indices
from analysis.replicates import ReplicateDesign, bootstrap, jkn
from survey.calibration_margins import calibration_request
from survey.errors import InvalidInput
from survey.models import Campaign, IndexRelease, Questionnaire, Response
from survey.release_documents.method import method_facts
from survey.release_documents.source import load_document_source
from survey.release_pipeline.indices import release_tree
from survey.releases import compute_release, release_arguments, verify_release
from tests.survey.release_fixtures import STRATA, ReleaseCampaign, build_release_campaign

MARGINS = """variable,category,population
channel,direct,520
channel,online,380
agency_code,AG-A,400
agency_code,AG-B,300
agency_code,AG-C,200
"""


def matrix(rc: ReleaseCampaign) -> NDArray[np.float64]:
    y = np.full((len(rc.answers), len(rc.criteria)), np.nan)
    for i, answers in enumerate(rc.answers):
        for k, code in enumerate(rc.criteria):
            value = answers.get(code)
            if value is not None and value != 0:
                y[i, k] = value
    return y


def hand_design(rc: ReleaseCampaign) -> SurveyDesign:
    strata = np.asarray(rc.strata)
    r_h = {s: int((strata == s).sum()) for s in STRATA}
    return SurveyDesign.from_columns(
        weights=np.array([STRATA[s][2] / r_h[s] for s in rc.strata]),
        strata=strata,
        fpc=np.array([r_h[s] / STRATA[s][2] for s in rc.strata]),
        lonely_psu="adjust",
    )


def hand_calibrated(rc: ReleaseCampaign, method: str) -> SurveyDesign:
    margins = [np.asarray(rc.channels), np.asarray(rc.agencies)]
    pops = [{"direct": 520.0, "online": 380.0}, {"AG-A": 400.0, "AG-B": 300.0, "AG-C": 200.0}]
    if method == "rake":
        return rake(hand_design(rc), margins, pops, max_iter=200, epsilon=1e-10).design
    return calibrate(hand_design(rc), margins, pops, epsilon=1e-10, max_iter=100)


def hand_table(
    session: Session, rc: ReleaseCampaign, design: SurveyDesign | ReplicateDesign
) -> IndexTable:
    campaign = session.get(Campaign, rc.campaign_id)
    assert campaign is not None
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    assert questionnaire is not None
    tree = release_tree(questionnaire.definition)
    return estimate_indices(design, matrix(rc), tree, domain=np.asarray(rc.channels))


def compute(session: Session, rc: ReleaseCampaign, **kwargs: Any) -> IndexRelease:
    return compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Chỉ số hiệu chỉnh",
        by=["channel"],
        min_respondents=5,
        max_cv=0.9,
        **kwargs,
    )


def rows_by_channel(release: IndexRelease, node: str) -> dict[str, dict[str, Any]]:
    return {
        r["domain"]["channel"]: r
        for r in release.results["rows"]
        if r["node"] == node and r["domain"].get("channel") is not None
    }


@pytest.mark.parametrize("method", ["rake", "linear"])
def test_calibrated_release_reproduces_margins_and_library_ses(
    session: Session, method: str
) -> None:
    rc = build_release_campaign(session)
    spec = calibration_request(method, MARGINS)
    release = compute(session, rc, calibration=spec)
    recorded = release.parameters["calibration"]
    assert recorded["method"] == method and len(recorded["margins"]) == 5
    design = hand_calibrated(rc, method)
    # The weights the release used reproduce every margin.
    for column, values in (("channel", rc.channels), ("agency_code", rc.agencies)):
        for category, count in {
            m["category"]: m["population"] for m in recorded["margins"] if m["variable"] == column
        }.items():
            total = design.weights[np.asarray(values) == category].sum()
            assert total == pytest.approx(count, rel=1e-10)
    g = design.weights / hand_design(rc).weights
    assert recorded["g_range"] == pytest.approx([g.min(), g.max()], rel=1e-12)
    assert g.max() - g.min() > 0.01  # the calibration did change the weights
    table = hand_table(session, rc, design)
    for node in ("overall", rc.criteria[0]):
        col = table.node_index(node)
        for g_idx, channel in enumerate(table.domains.tolist()):
            row = rows_by_channel(release, node)[channel]
            assert row["estimate"] == pytest.approx(table.estimate[g_idx, col], rel=1e-12)
            assert row["se"] == pytest.approx(table.se[g_idx, col], rel=1e-12)
            assert row["ci_lower"] == pytest.approx(table.ci_lower[g_idx, col], rel=1e-12)
    uncalibrated = compute(session, rc)
    assert rows_by_channel(uncalibrated, "overall")["online"]["se"] != pytest.approx(
        rows_by_channel(release, "overall")["online"]["se"], rel=1e-6
    )
    note = release.parameters["weighting"]["description"]
    assert "channel (direct 520, online 380)" in note["en"]
    assert "channel (direct 520, online 380)" in note["vi"]
    assert ("raking" if method == "rake" else "GREG") in note["en"]


def test_replicate_variance_equals_library(session: Session) -> None:
    rc = build_release_campaign(session)
    spec = calibration_request("rake", MARGINS)
    release = compute(session, rc, calibration=spec, variance="jkn")
    table = hand_table(session, rc, jkn(hand_calibrated(rc, "rake")))
    col = table.node_index("overall")
    for g_idx, channel in enumerate(table.domains.tolist()):
        row = rows_by_channel(release, "overall")[channel]
        assert row["se"] == pytest.approx(table.se[g_idx, col], rel=1e-9)
    assert release.parameters["variance"]["method"] == "jkn"
    assert "JKn" in release.parameters["weighting"]["description"]["en"]
    assert "each replicate calibrated again" in release.parameters["weighting"]["description"]["en"]

    boot = compute(session, rc, variance="bootstrap", replicates=60, seed=5)
    expected = hand_table(
        session, rc, bootstrap(hand_design(rc), replicates=60, rng=np.random.default_rng(5))
    )
    for g_idx, channel in enumerate(expected.domains.tolist()):
        row = rows_by_channel(boot, "overall")[channel]
        assert row["se"] == pytest.approx(expected.se[g_idx, col], rel=1e-9)
    assert (
        boot.parameters["variance"] | {"replicates": 60, "seed": 5} == boot.parameters["variance"]
    )
    arguments = release_arguments(boot)
    assert (arguments["variance"], arguments["replicates"], arguments["seed"]) == (
        "bootstrap",
        60,
        5,
    )


def test_calibrated_release_verifies(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute(
        session, rc, calibration=calibration_request("linear", MARGINS, [0.5, 2.0]), variance="jkn"
    )
    assert release.id is not None
    assert release_arguments(release)["calibration"] == calibration_request(
        "linear", MARGINS, [0.5, 2.0]
    )
    result = verify_release(session=session, release_id=release.id)
    figures = next(c for c in result.checks if c.name == "figures")
    assert figures.ok, figures.detail
    # The documents (report PDF, workbook, machine JSON; the public site links them) print the
    # method note, margins and variance method included.
    facts = method_facts(load_document_source(session=session, release_id=release.id))
    weighting = next(f for f in facts if f.key == "weighting")
    assert "agency_code (AG-A 400, AG-B 300, AG-C 200)" in str(weighting.value_in("en"))
    assert "g in [0.5, 2]" in str(weighting.value_in("en"))
    assert "dao cắt phân tầng (JKn)" in str(weighting.value_in("vi"))


def test_defaults_record_nothing_new(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute(session, rc)
    assert "calibration" not in release.parameters
    assert release.parameters["variance"]["method"] == "taylor"
    assert "replicates" not in release.parameters["variance"]
    assert "calibration" not in release.parameters["weighting"]


def test_bad_margins_and_variance_name_the_field(session: Session) -> None:
    rc = build_release_campaign(session)
    with pytest.raises(InvalidInput) as error:
        compute(session, rc, calibration=calibration_request("rake", MARGINS.replace("380", "x")))
    assert error.value.problems[0].loc == ("margins", 2, "population")
    with pytest.raises(InvalidInput) as error:
        compute(
            session,
            rc,
            calibration=calibration_request(
                "rake", MARGINS.replace("channel,online", "channel,post")
            ),
        )
    assert "'online', which the margins do not count" in error.value.problems[0].msg
    with pytest.raises(InvalidInput) as error:
        compute(session, rc, variance="jk1")
    assert error.value.problems[0].loc == ("variance",)
    assert "use jkn" in error.value.problems[0].msg
    with pytest.raises(InvalidInput) as error:
        compute(session, rc, variance="jkn", seed=3)
    assert error.value.problems[0].loc == ("seed",)
    with pytest.raises(InvalidInput) as error:
        calibration_request(None, MARGINS)
    assert error.value.problems[0].loc == ("calibration", "method")
    with pytest.raises(InvalidInput) as error:
        calibration_request("rake", "")
    assert error.value.problems[0].loc == ("margins",)


def test_margins_on_a_profile_answer(session: Session) -> None:
    # A variable that is not a frame column is read from each response's answers by its code.
    rc = build_release_campaign(session)
    responses = session.exec(
        select(Response).where(col(Response.status) == "completed").order_by(col(Response.id))
    ).all()
    sexes = ["nam" if k % 3 else "nu" for k in range(len(responses))]
    for response, sex in zip(responses, sexes, strict=True):
        response.answers = {**response.answers, "sex": sex}
        session.add(response)
    session.commit()
    margins = "variable,category,population\nsex,nam,450\nsex,nu,450\n"
    release = compute(session, rc, calibration=calibration_request("poststratify", margins))
    design = hand_design(rc)
    expected = poststratify(design, np.asarray(sexes), {"nam": 450.0, "nu": 450.0})
    table = hand_table(session, rc, expected)
    col_ = table.node_index("overall")
    for g_idx, channel in enumerate(table.domains.tolist()):
        row = rows_by_channel(release, "overall")[channel]
        assert row["se"] == pytest.approx(table.se[g_idx, col_], rel=1e-12)
    assert release.parameters["calibration"]["sample_totals"]["sex"]["nu"] == pytest.approx(
        float(design.weights[np.asarray(sexes) == "nu"].sum())
    )
    # A response without the answer cannot be placed in a margin: the analyst is told.
    responses[0].answers = {k: v for k, v in responses[0].answers.items() if k != "sex"}
    session.add(responses[0])
    session.commit()
    with pytest.raises(InvalidInput) as error:
        compute(session, rc, calibration=calibration_request("poststratify", margins))
    assert "1 responses have no 'sex'" in error.value.problems[0].msg
