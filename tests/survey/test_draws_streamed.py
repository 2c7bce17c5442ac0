"""The streamed SRSWOR draw (run_draw's path for any frame size) equals the in-memory draw."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from survey.designs import AllocationSpec, DesignCreate, create_design, preview_design
from survey.draws import DUPLICATE_CONTACT, _draw_in_memory, _draw_streamed, run_draw
from survey.geography import PROVINCES_2025, ensure_builtin_mappings
from survey.models import Dossier, SampleUnit
from tests.survey.design_frames import frame_rows, import_rows

STRATA = {("A", "24"): 60, ("B", "27"): 30, ("C", "24"): 10, ("D", "01"): 4}
# Two people with several dossiers each, across strata.
PHONES = {"A-0001": "0912345678", "B-0002": "0912345678", "C-0003": "0912345678"}
PHONES |= {"A-0010": "0987654321", "A-0011": "0987654321"}

DESIGNS = [
    {"allocation": AllocationSpec(n_total=20), "reserve_per_stratum": 3},
    {"allocation": AllocationSpec(n_total=60, min_per_stratum=4), "reserve_per_stratum": 50},
    {
        "stratify_by": ["province_code", "agency_code"],
        "geo_mapping": PROVINCES_2025,
        "allocation": AllocationSpec(n_total=15, method="equal"),
        "reserve_per_stratum": 2,
    },
    {"stratify_by": ["province_code"], "geo_mapping": PROVINCES_2025},
]


@pytest.fixture
def frame_id(engine: Engine, session: Session, tmp_path: Path) -> int:
    ensure_builtin_mappings(session)
    return import_rows(engine, tmp_path, frame_rows(STRATA, phones=PHONES))


def _spec(frame_id: int, changes: dict[str, object]) -> DesignCreate:
    base = DesignCreate(name="s", frame_id=frame_id, allocation=AllocationSpec(n_total=20))
    return base.model_copy(update=changes)


@pytest.mark.parametrize("changes", DESIGNS)
@pytest.mark.parametrize("seed", [1, 20261202])
def test_streamed_draw_equals_the_in_memory_draw(
    session: Session, frame_id: int, changes: dict[str, object], seed: int
) -> None:
    spec = _spec(frame_id, changes)
    labels, population, allocation, sample = _draw_streamed(session, frame_id, spec, seed, "h" * 64)
    m_labels, m_population, m_allocation, m_sample, codes, ids, _ = _draw_in_memory(
        session, frame_id, spec, seed, "h" * 64
    )
    assert labels.tolist() == m_labels.tolist()
    assert population.tolist() == m_population.tolist()
    assert allocation.n.tolist() == m_allocation.n.tolist()
    assert sample.unit_id.tolist() == codes.tolist()
    assert sample.index.tolist() == ids.tolist()
    assert sample.stratum.tolist() == m_sample.stratum.tolist()
    assert sample.reserve_order.tolist() == m_sample.reserve_order.tolist()
    assert np.array_equal(sample.weight, m_sample.weight)
    assert sample.record.as_dict() == m_sample.record.as_dict()
    # The preview (GROUP BY) gives the draw's strata and sizes.
    preview = preview_design(session=session, spec=spec, domains=())
    assert [r.stratum for r in preview.strata] == labels.tolist()
    assert [r.population for r in preview.strata] == population.tolist()


def _units(session: Session, draw_id: int) -> list[tuple[object, ...]]:
    rows = session.execute(
        sa_select(
            col(Dossier.dossier_code),
            col(SampleUnit.stratum),
            col(SampleUnit.weight),
            col(SampleUnit.is_reserve),
            col(SampleUnit.reserve_order),
            col(SampleUnit.contact_status),
        )
        .join(Dossier, col(SampleUnit.dossier_id) == col(Dossier.id))
        .where(col(SampleUnit.draw_id) == draw_id)
    ).all()
    return sorted(tuple(r) for r in rows)


def test_row_order_does_not_change_the_draw_and_duplicates_are_resolved(
    engine: Engine, session: Session, tmp_path: Path, frame_id: int
) -> None:
    rows = frame_rows(STRATA, phones=PHONES)
    random.Random(3).shuffle(rows)
    shuffled = import_rows(engine, tmp_path, rows, name="shuffled")
    drawn = []
    for frame in (frame_id, shuffled):
        spec = _spec(frame, {"allocation": AllocationSpec(n_total=104), "reserve_per_stratum": 0})
        design = create_design(session=session, spec=spec, created_by=None)
        assert design.id is not None
        draw = run_draw(session=session, design_id=design.id, seed=7, created_by=None)
        assert draw.id is not None
        drawn.append(_units(session, draw.id))
    assert drawn[0] == drawn[1]
    # Every dossier is taken: the two people's extra dossiers are duplicates.
    assert sum(1 for u in drawn[0] if u[5] == DUPLICATE_CONTACT) == 3
