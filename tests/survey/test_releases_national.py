"""Releases on the whole national form: its own tree (sipas <- policy, service <- elements), the
service block estimated on the respondents asked it (Q8), and the national figure pooled or as
the mean of the provincial indices.

The reference is written from the textbook formulas, not from :mod:`analysis` (as in
tests/survey/test_releases.py): with equal base weights the non-response adjusted weight is
w_i = N_h / r_h; a criterion share R = sum w 1[y >= 4] / sum w 1[y valid] over the rows that
count; its score z_i = w_i (a_i - R b_i) / B (zero outside); a linear combination of shares
sum_c m_c R_c has the score sum_c m_c z_c, and the mean of P provincial figures the score
(1/P) sum_p z_p (Lumley 2010, sec. 3.4); V = sum_h (1 - r_h / N_h) r_h / (r_h - 1)
sum_{i in h} (z_i - zbar_h)^2 (Särndal, Swensson & Wretman 1992, sec. 5.6).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from survey.errors import InvalidInput
from survey.models import IndexRelease, Response
from survey.public_releases import rank_release_domains
from survey.release_rows import release_root
from survey.releases import compute_release, release_arguments, verify_release
from tests.survey.citizen_fixtures import PROVINCES, Citizens
from tests.survey.release_fixtures import build_release_campaign


def _row(release: IndexRelease, node: str, **domain: str) -> dict[str, Any]:
    hits = [r for r in release.results["rows"] if r["node"] == node and r["domain"] == domain]
    assert len(hits) == 1, (node, domain)
    return hits[0]


def test_release_on_the_citizens_form_has_the_whole_tree(session: Session) -> None:
    c = Citizens(session)
    release = compute_release(
        session=session,
        campaign_id=c.campaign_id,
        name="SIPAS 2026",
        by=["province_code"],
        min_respondents=5,
        max_cv=0.5,
    )
    assert release_root(release) == "sipas" and release.results["root"] == "sipas"
    assert release.results["nodes"][:3] == ["sipas", "policy", "service"]
    everyone = np.ones(c.strata.size, dtype=bool)
    for node in ("sipas", "policy", "service", "access", "accountability", "access_q15"):
        estimate, z = c.node(node, everyone)
        row = _row(release, node)
        assert row["estimate"] == pytest.approx(estimate, rel=1e-12), node
        assert row["se"] == pytest.approx(c.se(z), rel=1e-9), node
        assert row["ci_lower"] < row["estimate"] < row["ci_upper"]
    assert _row(release, "policy")["level"] == "index"
    assert _row(release, "service")["parent"] == "sipas"
    # The service block counts only those asked it (stale 5s of the others are ignored) ...
    n_asked = int(c.asked.sum())
    assert _row(release, "service")["n_respondents"] <= n_asked < c.strata.size
    assert _row(release, "policy")["n_respondents"] == c.strata.size
    national = release.parameters["national"]
    assert national["rule"] == "pooled" and national["root"] == "sipas"
    assert set(national["asked"]) == c.service
    assert all(v == n_asked for v in national["asked"].values())
    assert f"estimated on those asked ({n_asked} respondents)" in national["description"]["en"]
    # ... in provinces too (a domain estimate on the whole design).
    in_48 = c.province == "48"
    estimate, z = c.node("service", in_48)
    row = _row(release, "service", province_code="48")
    assert row["estimate"] == pytest.approx(estimate, rel=1e-12)
    assert row["se"] == pytest.approx(c.se(z), rel=1e-9)


def test_national_figure_as_the_mean_of_provinces(session: Session) -> None:
    c = Citizens(session)
    release = compute_release(
        session=session,
        campaign_id=c.campaign_id,
        name="SIPAS 2026, trung bình tỉnh",
        by=["agency_code"],
        national_rule="mean_of_provinces",
    )
    national = release.parameters["national"]
    assert national["rule"] == "mean_of_provinces" and national["provinces"] == list(PROVINCES)
    assert "trung bình cộng" in national["description"]["vi"]
    assert "unweighted mean of the provincial" in national["description"]["en"]
    for node in ("sipas", "service", "procedures", "policy_quality_q7"):
        parts = [c.node(node, c.province == p) for p in PROVINCES]
        estimate = float(np.mean([p[0] for p in parts]))
        z = np.mean([p[1] for p in parts], axis=0)
        row = _row(release, node)
        assert row["estimate"] == pytest.approx(estimate, rel=1e-12), node
        assert row["se"] == pytest.approx(c.se(z), rel=1e-9), node
        assert row["ci_lower"] < row["estimate"] < row["ci_upper"]
        # The provinces' covariance is in it: not the SE of independent provinces.
        naive = float(np.sqrt(sum(c.se(p[1]) ** 2 for p in parts))) / len(parts)
        assert abs(row["se"] - naive) > 1e-6
    pooled = compute_release(
        session=session, campaign_id=c.campaign_id, name="pooled", by=["agency_code"]
    )
    assert _row(pooled, "sipas")["estimate"] != pytest.approx(
        _row(release, "sipas")["estimate"], rel=1e-6
    )
    # The agencies' rows do not depend on the national rule.
    assert _row(pooled, "sipas", agency_code="AG-B") == _row(release, "sipas", agency_code="AG-B")
    # Recorded: recomputing the release from its parameters gives it back.
    assert release_arguments(release)["national_rule"] == "mean_of_provinces"
    assert release.id is not None
    checks = {c.name: c.ok for c in verify_release(session=session, release_id=release.id).checks}
    assert checks["figures"]


def test_bad_national_rule_names_the_field(session: Session) -> None:
    c = Citizens(session)
    with pytest.raises(InvalidInput) as caught:
        compute_release(
            session=session, campaign_id=c.campaign_id, name="x", national_rule="median"
        )
    assert caught.value.problems[0].loc == ("national_rule",)
    assert "mean_of_provinces" in caught.value.problems[0].msg


def test_service_form_with_mean_of_provinces_keeps_its_tree(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="x",
        by=["province_code"],
        national_rule="mean_of_provinces",
        min_respondents=5,
    )
    assert release_root(release) == "overall" and "root" not in release.results
    provinces = [r for r in release.results["rows"] if r["domain"] and r["node"] == "overall"]
    mean = float(np.mean([r["estimate"] for r in provinces]))
    assert _row(release, "overall")["estimate"] == pytest.approx(mean, rel=1e-12)
    assert release.parameters["national"]["root"] == "overall"
    assert "asked" not in release.parameters["national"]


def test_agencies_are_ranked_on_the_sipas_rows(session: Session) -> None:
    c = Citizens(session)
    release = compute_release(
        session=session, campaign_id=c.campaign_id, name="x", min_respondents=5, max_cv=0.5
    )
    ranked = [r for r in release.results["rows"] if r["domain"] and r.get("rank") is not None]
    assert {r["node"] for r in ranked} == {"sipas"}
    assert sorted(r["rank"] for r in ranked) == list(range(1, len(ranked) + 1))
    assert len(ranked) == len(release.results["ranking"]) == 3
    assert rank_release_domains(release)[0][0].row.node == "sipas"


def test_a_province_under_k_respondents_is_left_out_of_the_mean(session: Session) -> None:
    c = Citizens(session)
    few = c.response_ids[:3]
    session.exec(update(Response).where(col(Response.id).in_(few)).values(province_code="99"))
    session.commit()
    release = compute_release(
        session=session,
        campaign_id=c.campaign_id,
        name="x",
        by=["province_code"],
        national_rule="mean_of_provinces",
        min_respondents=5,
        max_cv=0.5,
    )
    assert release.parameters["national"]["provinces"] == [*PROVINCES, "99"]
    assert _row(release, "sipas", province_code="99")["flag"] == "suppressed"
    shown = [_row(release, "sipas", province_code=p)["estimate"] for p in PROVINCES]
    national = _row(release, "sipas")
    # The small province's figure cannot be read back as 4 x national - the other three.
    assert national["estimate"] == pytest.approx(float(np.mean(shown)), rel=1e-12)
    assert "fewer than 5 respondents" in release.parameters["national"]["description"]["en"]
