"""Design precision told honestly: Yamane's rule beside Cochran's, and domains against a target.

Every expected number is computed by hand here from the textbook formulas, written out again
(Cochran 1977, eqs. 3.8 and 4.2-4.3; Yamane 1967, p. 886; Lohr 2019, §4.3), not by calling the
library that the preview uses.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.designs import AllocationSpec, DesignCreate, preview_design
from survey.errors import InvalidInput
from survey.users import Scope
from tests.survey.design_frames import frame_rows, import_rows

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)
# Three agencies in two provinces; N = 1000.
AGENCIES = {("A", "01"): 300, ("B", "01"): 100, ("C", "24"): 600}
# Agency A spans two provinces, so provinces cut across the agency strata.
CROSSING = {("A", "01"): 200, ("A", "24"): 100, ("B", "24"): 100}


def srs_margin(respondents: float, population: float) -> float:
    """z sqrt(p q / n (N - n) / (N - 1)) at p = 0.5 (Cochran 1977, eq. 3.8)."""
    return Z95 * math.sqrt(0.25 / respondents * (population - respondents) / (population - 1))


def spec(frame_id: int, stratify_by: list[str] | None = None, **allocation: object) -> DesignCreate:
    return DesignCreate(
        name="±5%",
        frame_id=frame_id,
        stratify_by=stratify_by or ["agency_code"],
        allocation=AllocationSpec.model_validate(allocation),
    )


@pytest.fixture
def agencies(engine: Engine, tmp_path: Path) -> int:
    return import_rows(engine, tmp_path, frame_rows(AGENCIES))


@pytest.fixture
def crossing(engine: Engine, tmp_path: Path) -> int:
    # frame_rows numbers dossiers per agency: give agency A's second province its own codes.
    rows = [(f"{row[0]}-{row[3]}", *row[1:]) for row in frame_rows(CROSSING)]
    return import_rows(engine, tmp_path, rows, name="crossing")


def test_cochran_total_and_the_agencies_that_miss_it(session: Session, agencies: int) -> None:
    preview = preview_design(
        session=session, spec=spec(agencies, margin=0.05), domains=("agency_code",)
    )
    # n0 = 1.96^2 / 4 / 0.05^2 = 384.146; n = n0 / (1 + (n0 - 1) / 1000) = 277.73 -> 278.
    assert preview.size_rule == "cochran"
    assert preview.total.n == 278
    # The whole frame is at ±5% (up to the rounding of n_h and the strata's own fpc) ...
    assert preview.total.margin == pytest.approx(0.05, abs=1e-4)
    # ... while each agency, a stratum of its own, is far from it.
    rows = {r.domain: r for r in preview.domains}
    n = {r.stratum: r.n for r in preview.strata}
    assert sum(n.values()) == 278
    for agency, population in (("A", 300), ("B", 100), ("C", 600)):
        row = rows[agency]
        assert row.margin == pytest.approx(srs_margin(n[agency], population), rel=1e-9)
        assert row.meets_target is False
    # Each agency alone at ±5%: n0 / (1 + (n0 - 1) / N_d) = 168.70, 79.51, 234.44, rounded up.
    assert [rows[a].respondents_needed for a in "ABC"] == [169, 80, 235]
    assert preview.misses_target is True
    (summary,) = preview.domain_summary
    assert summary.n_missing == 3 and summary.n_domains == 3 and summary.target == 0.05
    low = min(srs_margin(n[a], p) for a, p in (("A", 300), ("B", 100), ("C", 600)))
    high = max(srs_margin(n[a], p) for a, p in (("A", 300), ("B", 100), ("C", 600)))
    assert summary.missing_margin_min == pytest.approx(low, rel=1e-9)
    assert summary.missing_margin_max == pytest.approx(high, rel=1e-9)
    assert summary.text == (
        f"3 of 3 agencies miss ±5%: expected ±{100 * low:.0f}-{100 * high:.0f}%"
    )


def test_yamane_total_is_n_over_one_plus_n_e_squared(session: Session, agencies: int) -> None:
    preview = preview_design(
        session=session,
        spec=spec(agencies, margin=0.05, size_rule="yamane"),
        domains=("agency_code",),
    )
    # 1000 / (1 + 1000 * 0.05^2) = 285.71 -> 286.
    assert preview.size_rule == "yamane"
    assert preview.total.n == 286
    # The margins told are the honest ones of the sample drawn, not Yamane's assumption.
    n = {r.stratum: r.n for r in preview.strata}
    for row in preview.domains:
        population = AGENCIES[(row.domain, "01" if row.domain != "C" else "24")]
        assert row.margin == pytest.approx(srs_margin(n[row.domain], population), rel=1e-9)


def test_yamane_for_each_stratum_with_response_rate(session: Session, agencies: int) -> None:
    design = spec(
        agencies,
        margin=0.05,
        margin_applies_to="each_stratum",
        size_rule="yamane",
        response_rate=0.8,
    )
    preview = preview_design(session=session, spec=design, domains=("agency_code",))
    # N / (1 + N e^2) = 171.43, 80, 240; issued = ceil(that / 0.8) = 215, 100, 300.
    assert [(r.stratum, r.n) for r in preview.strata] == [("A", 215), ("B", 100), ("C", 300)]
    assert preview.strata[1].take_all
    rows = {r.domain: r for r in preview.domains}
    assert rows["A"].expected_respondents == 172.0  # 215 * 0.8
    assert rows["A"].margin == pytest.approx(srs_margin(172, 300), rel=1e-9)
    # At 95% (z = 1.96 < Yamane's 2) each agency then reaches ±5%, B being taken whole.
    assert all(r.meets_target for r in preview.domains)
    assert preview.misses_target is False
    assert preview.domain_summary[0].text.startswith("all 3 agencies reach ±5% (expected ±")


def test_cochran_for_each_stratum_is_not_yamane(session: Session, agencies: int) -> None:
    design = spec(agencies, margin=0.05, margin_applies_to="each_stratum")
    preview = preview_design(session=session, spec=design, domains=())
    # Cochran with fpc: 168.70, 79.51, 234.44 -> 169, 80, 235.
    assert [r.n for r in preview.strata] == [169, 80, 235]


def test_crossing_domains_against_a_domain_target(session: Session, crossing: int) -> None:
    design = spec(crossing, n_total=40, response_rate=0.5, domain_target=0.2)
    preview = preview_design(session=session, spec=design, domains=("province_code",))
    assert preview.size_rule == "n_total" and preview.domain_target == 0.2
    rows = {r.domain: r for r in preview.domains}
    # A (N 300) gets 30, B (N 100) 10. Province 01 = 2/3 of A: 20 units, 10 respondents of 200.
    assert (rows["01"].n, rows["01"].expected_respondents) == (20, 10.0)
    assert rows["01"].margin == pytest.approx(srs_margin(10, 200), rel=1e-9)  # 0.3028
    # Province 24: cells (A, 24) and (B, 24), each 5 respondents of 100, weights 1/2:
    # V = (1/2)^2 V(5, 100) + (1/2)^2 V(5, 100).
    v_cell = 0.25 / 5 * 95 / 99
    assert rows["24"].margin == pytest.approx(Z95 * math.sqrt(0.5 * v_cell), rel=1e-9)
    assert rows["24"].margin == pytest.approx(0.30357, abs=1e-5)
    # At ±20% for N_d = 200: n0 = 24.009, n = n0 / (1 + (n0 - 1) / 200) = 21.53 -> 22
    # respondents, 21.53 / 0.5 = 43.06 -> 44 to issue.
    assert (rows["01"].respondents_needed, rows["01"].n_needed) == (22, 44)
    assert preview.domain_summary[0].text == "2 of 2 provinces miss ±20%: expected ±30%"


def test_a_size_without_target_still_tells_domain_margins(session: Session, crossing: int) -> None:
    preview = preview_design(
        session=session, spec=spec(crossing, n_total=40), domains=("province_code",)
    )
    assert preview.domain_target is None and preview.misses_target is False
    assert all(r.meets_target is None and r.respondents_needed is None for r in preview.domains)
    margins = {r.domain: r.margin for r in preview.domains}
    assert margins["01"] == pytest.approx(srs_margin(20, 200), rel=1e-9)  # 0.2067
    assert margins["24"] == pytest.approx(Z95 * math.sqrt(0.5 * 0.25 / 10 * 90 / 99), rel=1e-9)
    # Both round to 21%, so the line gives one figure, not a range.
    assert preview.domain_summary[0].text == "2 provinces: expected ±21%"


def test_scoped_coordinator_sees_only_domains_in_scope(session: Session, crossing: int) -> None:
    scope = Scope(agencies=None, provinces=frozenset({"01"}))
    preview = preview_design(
        session=session,
        spec=spec(crossing, n_total=40, response_rate=0.5, domain_target=0.2),
        scope=scope,
    )
    # Agency A has units in province 24 and agency B is all in 24: neither is theirs to see.
    assert [(r.column, r.domain) for r in preview.domains] == [("province_code", "01")]
    assert [(s.column, s.n_domains, s.n_missing) for s in preview.domain_summary] == [
        ("province_code", 1, 1)
    ]


def test_yamane_needs_a_margin(session: Session, agencies: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        preview_design(session=session, spec=spec(agencies, n_total=50, size_rule="yamane"))
    assert raised.value.problems[0].loc == ("allocation", "size_rule")


def test_old_designs_without_a_rule_stay_cochran() -> None:
    alloc = AllocationSpec.model_validate({"method": "proportional", "margin": 0.05})
    assert alloc.size_rule == "cochran" and alloc.domain_target is None
