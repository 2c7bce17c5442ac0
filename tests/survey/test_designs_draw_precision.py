"""A draw's expected margin per domain, from the units it actually took (hand computation)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.designs import AllocationSpec, DesignCreate, create_design
from survey.draw_precision import draw_precision
from survey.draws import run_draw
from survey.errors import NotFound
from survey.models import Dossier, SampleUnit
from survey.users import Scope
from tests.survey.design_frames import frame_rows, import_rows

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)
CROSSING = {("A", "01"): 200, ("A", "24"): 100, ("B", "24"): 100}


def cell_variance(respondents: float, population: float) -> float:
    """p q / n (N - n) / (N - 1) at p = 0.5 (Cochran 1977, eq. 3.8)."""
    return 0.25 / respondents * (population - respondents) / (population - 1)


@pytest.fixture
def frame_id(engine: Engine, tmp_path: Path) -> int:
    rows = [(f"{row[0]}-{row[3]}", *row[1:]) for row in frame_rows(CROSSING)]
    return import_rows(engine, tmp_path, rows, name="crossing")


def drawn_cells(session: Session, draw_id: int) -> Counter[tuple[str, str]]:
    """(agency, province) of every main unit, counted here without the code under test."""
    rows = session.exec(
        select(Dossier.agency_code, Dossier.province_code)
        .join(SampleUnit, SampleUnit.dossier_id == Dossier.id)  # type: ignore[arg-type]
        .where(SampleUnit.draw_id == draw_id, SampleUnit.is_reserve == False)  # noqa: E712
    ).all()
    return Counter((str(a), str(p)) for a, p in rows)


def test_draw_margins_come_from_the_units_drawn(session: Session, frame_id: int) -> None:
    spec = DesignCreate(
        name="±20% per province",
        frame_id=frame_id,
        allocation=AllocationSpec(n_total=40, response_rate=0.5, domain_target=0.2),
        reserve_per_stratum=2,
    )
    design = create_design(session=session, spec=spec, created_by=None)
    assert design.id is not None
    draw = run_draw(session=session, design_id=design.id, seed=20251001, created_by=None)
    assert draw.id is not None
    cells = drawn_cells(session, draw.id)
    assert cells[("A", "01")] + cells[("A", "24")] == 30 and cells[("B", "24")] == 10
    precision = draw_precision(session=session, draw_id=draw.id)
    rows = {(r.column, r.domain): r for r in precision.domains}
    # Province 01 is one cell (A, 01): n_A01 * 0.5 respondents out of 200.
    r01 = 0.5 * cells[("A", "01")]
    assert rows[("province_code", "01")].expected_respondents == pytest.approx(r01)
    assert rows[("province_code", "01")].margin == pytest.approx(
        Z95 * math.sqrt(cell_variance(r01, 200)), rel=1e-9
    )
    # Province 24: cells (A, 24) and (B, 24), 100 units each out of 200.
    v24 = 0.25 * cell_variance(0.5 * cells[("A", "24")], 100) + 0.25 * cell_variance(5, 100)
    assert rows[("province_code", "24")].margin == pytest.approx(Z95 * math.sqrt(v24), rel=1e-9)
    # Agency A is a stratum: one SRS of 30 units (15 respondents) of 300, whatever the provinces.
    assert rows[("agency_code", "A")].margin == pytest.approx(
        Z95 * math.sqrt(cell_variance(15, 300)), rel=1e-9
    )
    # At most ±20% is asked: every domain here misses it, with what it would need.
    assert precision.domain_target == 0.2 and precision.misses_target
    assert rows[("province_code", "01")].respondents_needed == 22  # 21.53 rounded up
    assert [s.column for s in precision.domain_summary] == ["agency_code", "province_code"]
    assert precision.domain_summary[1].text.startswith("2 of 2 provinces miss ±20%: expected ±")


def test_duplicate_contacts_are_not_counted_as_respondents(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    # Every dossier of agency B shares one phone: the draw invites only one of them.
    rows = frame_rows({("A", "01"): 50, ("B", "01"): 50})
    rows = [(*r[:-1], "0912345678") if r[1] == "B" else r for r in rows]
    frame = import_rows(engine, tmp_path, rows, name="shared phones")
    spec = DesignCreate(name="d", frame_id=frame, allocation=AllocationSpec(n_total=20))
    design = create_design(session=session, spec=spec, created_by=None)
    assert design.id is not None
    draw = run_draw(session=session, design_id=design.id, seed=7, created_by=None)
    assert draw.id is not None
    by_agency = {
        r.domain: r
        for r in draw_precision(session=session, draw_id=draw.id, domains=("agency_code",)).domains
    }
    assert (by_agency["A"].n, by_agency["B"].n) == (10, 1)
    assert by_agency["B"].margin == pytest.approx(Z95 * math.sqrt(cell_variance(1, 50)))


def test_scoped_draw_precision_keeps_their_domains(session: Session, frame_id: int) -> None:
    spec = DesignCreate(name="d", frame_id=frame_id, allocation=AllocationSpec(n_total=40))
    design = create_design(session=session, spec=spec, created_by=None)
    assert design.id is not None
    draw = run_draw(session=session, design_id=design.id, seed=3, created_by=None)
    assert draw.id is not None
    scope = Scope(agencies=None, provinces=frozenset({"01"}))
    precision = draw_precision(session=session, draw_id=draw.id, scope=scope)
    assert [(r.column, r.domain) for r in precision.domains] == [("province_code", "01")]
    assert precision.domain_target is None
    assert precision.domain_summary[0].text.startswith("1 provinces: expected ±")


def test_unknown_draw(session: Session) -> None:
    with pytest.raises(NotFound):
        draw_precision(session=session, draw_id=999)
