"""Designs: allocation tables checked against hand computations with the textbook formulas."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.designs import (
    AllocationSpec,
    DesignCreate,
    create_design,
    get_design,
    list_designs,
    parse_design,
    preview_design,
)
from survey.errors import InvalidInput
from survey.geography import PROVINCES_2025, ensure_builtin_mappings
from survey.users import Scope
from tests.survey.design_frames import frame_rows, import_rows

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)
STRATA = {("A", "01"): 60, ("B", "01"): 30, ("C", "24"): 10}


@pytest.fixture
def frame_id(engine: Engine, tmp_path: Path) -> int:
    return import_rows(engine, tmp_path, frame_rows(STRATA))


def srs_variance(p: float, n: float, population: float) -> float:
    """Cochran (1977) eq. 3.8: V(p_hat) = p q / n * (N - n) / (N - 1)."""
    return p * (1 - p) / n * (population - n) / (population - 1)


def spec(frame_id: int, **allocation: object) -> DesignCreate:
    return DesignCreate(
        name="t", frame_id=frame_id, allocation=AllocationSpec.model_validate(allocation)
    )


def test_proportional_allocation_and_precision_match_hand_computation(
    session: Session, frame_id: int
) -> None:
    preview = preview_design(session=session, spec=spec(frame_id, n_total=20), domains=())
    rows = {r.stratum: r for r in preview.strata}
    # n_h = 20 * N_h / 100 exactly: 12, 6, 2.
    assert [(s, rows[s].population, rows[s].n) for s in "ABC"] == [
        ("A", 60, 12),
        ("B", 30, 6),
        ("C", 10, 2),
    ]
    for s in "ABC":
        expected = math.sqrt(srs_variance(0.5, rows[s].n, rows[s].population))
        assert rows[s].se == pytest.approx(expected, rel=1e-12)
        assert rows[s].margin == pytest.approx(Z95 * expected, rel=1e-9)
    # Stratified SE (Cochran 1977, eq. 5.6): sum of (N_h / N)^2 V_h.
    total_var = sum(
        (rows[s].population / 100) ** 2 * srs_variance(0.5, rows[s].n, rows[s].population)
        for s in "ABC"
    )
    assert preview.total.n == 20
    assert preview.total.se == pytest.approx(math.sqrt(total_var), rel=1e-12)


def test_margin_for_each_stratum_is_cochrans_size_with_fpc(session: Session, frame_id: int) -> None:
    design = spec(frame_id, margin=0.1, margin_applies_to="each_stratum", response_rate=0.8)
    preview = preview_design(session=session, spec=design, domains=())
    for row in preview.strata:
        n0 = Z95**2 * 0.25 / 0.1**2  # 96.04
        n_fpc = n0 / (1 + (n0 - 1) / row.population)
        assert row.n == min(math.ceil(n_fpc / 0.8), row.population)
    assert [r.take_all for r in preview.strata] == [False, False, True]  # 29 < 30; 10 of 10


def test_margin_for_total_sets_the_total(session: Session, frame_id: int) -> None:
    design = spec(frame_id, margin=0.15, deff=1.5)
    preview = preview_design(session=session, spec=design, domains=())
    n0 = Z95**2 * 0.25 / 0.15**2
    assert preview.total.n == math.ceil(n0 / (1 + (n0 - 1) / 100) * 1.5)


def test_domains_across_strata_use_cell_shares(session: Session, frame_id: int) -> None:
    preview = preview_design(
        session=session, spec=spec(frame_id, n_total=20), domains=("province_code",)
    )
    domains = {d.domain: d for d in preview.domains}
    assert {k: (v.population, v.n) for k, v in domains.items()} == {"01": (90, 18), "24": (10, 2)}
    # Province 01 holds strata A and B whole: the stratified variance over them.
    var_01 = (60 / 90) ** 2 * srs_variance(0.5, 12, 60) + (30 / 90) ** 2 * srs_variance(0.5, 6, 30)
    assert domains["01"].se == pytest.approx(math.sqrt(var_01), rel=1e-12)


def test_scope_limits_the_preview_rows(session: Session, frame_id: int) -> None:
    scope = Scope(agencies=None, provinces=frozenset({"24"}))
    preview = preview_design(
        session=session, spec=spec(frame_id, n_total=20), domains=("province_code",), scope=scope
    )
    assert [r.stratum for r in preview.strata] == ["C"]
    assert [d.domain for d in preview.domains] == ["24"]
    # The allocation is that of the whole frame, but a scoped user's total adds up their own
    # strata only: the whole frame's size and sample are not theirs to see (docs/access.md).
    assert preview.total.n == preview.strata[0].n == 2
    assert preview.total.population == 10
    assert preview.total.se is None


def test_geo_mapping_makes_old_and_new_province_codes_one_stratum(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    ensure_builtin_mappings(session)
    # Bắc Giang (24) and Bắc Ninh (27) form the new Bắc Ninh (24) since 1 July 2025.
    frame = import_rows(engine, tmp_path, frame_rows({("A", "24"): 8, ("B", "27"): 12}))
    design = DesignCreate(
        name="geo",
        frame_id=frame,
        stratify_by=["province_code"],
        geo_mapping=PROVINCES_2025,
        allocation=AllocationSpec(n_total=5),
    )
    preview = preview_design(session=session, spec=design, domains=())
    assert [(r.stratum, r.population) for r in preview.strata] == [("24", 20)]
    unmapped = design.model_copy(update={"geo_mapping": None})
    preview = preview_design(session=session, spec=unmapped, domains=())
    assert [(r.stratum, r.population) for r in preview.strata] == [("24", 8), ("27", 12)]


def test_combined_strata_labels(session: Session, frame_id: int) -> None:
    design = spec(frame_id, n_total=10).model_copy(
        update={"stratify_by": ["province_code", "channel"]}
    )
    preview = preview_design(session=session, spec=design, domains=())
    assert [r.stratum for r in preview.strata] == [
        "01 | direct",
        "01 | online",
        "24 | direct",
        "24 | online",
    ]
    assert sum(r.population for r in preview.strata) == 100


def test_unknown_column_and_missing_size_are_named(session: Session, frame_id: int) -> None:
    design = DesignCreate(
        name="bad", frame_id=frame_id, stratify_by=["agency", "channel"], selection="pps"
    )
    with pytest.raises(InvalidInput) as caught:
        preview_design(session=session, spec=design)
    locs = {p.loc for p in caught.value.problems}
    assert ("stratify_by", 0) in locs
    assert ("psu_column",) in locs
    assert ("allocation", "n_total") in locs


def test_impossible_allocation_is_invalid_input(session: Session, frame_id: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        preview_design(session=session, spec=spec(frame_id, n_total=101))
    assert caught.value.problems[0].loc[0] == "allocation"
    assert "larger than the population" in caught.value.problems[0].msg
    with pytest.raises(InvalidInput) as caught:
        preview_design(session=session, spec=spec(frame_id, n_total=10, min_per_stratum=5))
    assert caught.value.problems[0].loc[:2] == ("allocation", "min_size")


def test_parse_design_reports_pydantic_errors_with_loc() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_design({"name": "x", "frame_id": 1, "allocation": {"n_total": -3}})
    assert caught.value.problems[0].loc == ("allocation", "n_total")


def test_create_list_get(session: Session, frame_id: int) -> None:
    design = create_design(session=session, spec=spec(frame_id, n_total=20), created_by=None)
    assert design.id is not None
    assert [row["n"] for row in design.allocation_table] == [12, 6, 2]
    assert get_design(session=session, design_id=design.id).name == "t"
    assert [d.id for d in list_designs(session=session, frame_id=frame_id)] == [design.id]
