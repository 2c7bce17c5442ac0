"""Draws: reproducibility, inclusion probabilities, one invitation per phone, exports."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.designs import AllocationSpec, DesignCreate, create_design
from survey.draws import (
    DUPLICATE_CONTACT,
    INVITE,
    export_sample,
    get_draw,
    list_draws,
    resolve_duplicate_contacts,
    run_draw,
)
from survey.errors import InvalidInput, PermissionDenied
from survey.models import Dossier, Frame, SampleUnit
from survey.users import Scope
from tests.api.fast_users import make_user
from tests.survey.design_frames import frame_rows, import_rows

STRATA = {("A", "01"): 60, ("B", "01"): 30, ("C", "24"): 10}


def make_design(session: Session, frame_id: int, **changes: object) -> int:
    spec = DesignCreate(
        name="d",
        frame_id=frame_id,
        allocation=AllocationSpec(n_total=20),
        reserve_per_stratum=3,
    ).model_copy(update=changes)
    design = create_design(session=session, spec=spec, created_by=None)
    assert design.id is not None
    return design.id


def sampled_codes(session: Session, draw_id: int, reserve: bool = False) -> list[str]:
    rows = session.exec(
        select(Dossier.dossier_code)
        .join(SampleUnit, SampleUnit.dossier_id == Dossier.id)  # type: ignore[arg-type]
        .where(SampleUnit.draw_id == draw_id, SampleUnit.is_reserve == reserve)
    ).all()
    return sorted(rows)


@pytest.fixture
def frame_id(engine: Engine, tmp_path: Path) -> int:
    return import_rows(engine, tmp_path, frame_rows(STRATA))


@pytest.mark.parametrize("selection", ["srswor", "systematic", "pps"])
def test_same_seed_same_sample_and_different_seed_differs(
    session: Session, frame_id: int, selection: str
) -> None:
    extra: dict[str, object] = {"selection": selection}
    if selection == "systematic":
        extra["sort_by"] = ["procedure_field", "completed_date"]
    if selection == "pps":
        extra["psu_column"] = "commune_code"
        extra["allocation"] = AllocationSpec(n_total=20, m_per_psu=2)
    design_id = make_design(session, frame_id, **extra)
    first = run_draw(session=session, design_id=design_id, seed=7, created_by=None)
    again = run_draw(session=session, design_id=design_id, seed=7, created_by=None)
    other = run_draw(session=session, design_id=design_id, seed=8, created_by=None)
    assert first.id and again.id and other.id
    codes = sampled_codes(session, first.id)
    assert codes == sampled_codes(session, again.id)
    assert sampled_codes(session, first.id, True) == sampled_codes(session, again.id, True)
    assert codes != sampled_codes(session, other.id)
    assert len(codes) == first.n_sampled


def test_draw_records_seed_hash_version_and_design(session: Session, frame_id: int) -> None:
    design_id = make_design(session, frame_id)
    draw = run_draw(session=session, design_id=design_id, seed=123, created_by=None)
    frame = session.get(Frame, frame_id)
    assert frame is not None
    assert draw.seed == 123
    assert draw.frame_hash == frame.content_hash and len(draw.frame_hash) == 64
    assert draw.library_version
    snapshot = draw.design_snapshot
    assert snapshot["design"]["allocation"]["n_total"] == 20
    assert snapshot["allocation"]["n"] == [12, 6, 2]
    assert snapshot["sampling_record"]["seed"] == 123
    # The hash computed once at import is the one the library recorded (not recomputed).
    assert snapshot["sampling_record"]["frame_hash"] == frame.content_hash
    assert (draw.n_sampled, draw.n_reserve) == (20, 9)
    unseeded = run_draw(session=session, design_id=design_id, created_by=None)
    assert unseeded.seed >= 0
    assert [d.id for d in list_draws(session=session, design_id=design_id)] == [
        unseeded.id,
        draw.id,
    ]


def test_units_carry_stratum_probabilities(session: Session, frame_id: int) -> None:
    design_id = make_design(session, frame_id)
    draw = run_draw(session=session, design_id=design_id, seed=1, created_by=None)
    units = session.exec(select(SampleUnit).where(SampleUnit.draw_id == draw.id)).all()
    main = [u for u in units if not u.is_reserve]
    assert Counter(u.stratum for u in main) == {"A": 12, "B": 6, "C": 2}
    expected = {"A": 12 / 60, "B": 6 / 30, "C": 2 / 10}
    for unit in units:
        assert unit.inclusion_prob == pytest.approx(expected[unit.stratum])
        assert unit.weight == pytest.approx(1 / expected[unit.stratum])
    reserves = sorted((u.stratum, u.reserve_order) for u in units if u.is_reserve)
    assert reserves == [(s, k) for s in "ABC" for k in (1, 2, 3)]


def test_same_file_imported_twice_gives_the_same_sample(
    engine: Engine, session: Session, tmp_path: Path, frame_id: int
) -> None:
    # Dossier ids differ between the two imports; the sample depends on content only.
    second = import_rows(engine, tmp_path, frame_rows(STRATA), name="again")
    draws = [
        run_draw(session=session, design_id=make_design(session, f), seed=99, created_by=None)
        for f in (frame_id, second)
    ]
    assert draws[0].frame_hash == draws[1].frame_hash
    assert draws[0].id and draws[1].id
    assert sampled_codes(session, draws[0].id) == sampled_codes(session, draws[1].id)


def test_shared_phone_is_invited_once_and_recorded(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    # Stratum P is taken whole, so its three dossiers of one person are all sampled.
    shared = "0912 345 678"
    phones = {"P-0000": shared, "P-0001": "+84912345678", "P-0002": "84912345678"}
    frame = import_rows(
        engine, tmp_path, frame_rows({("P", "01"): 3, ("Q", "01"): 40}, phones=phones)
    )
    design_id = make_design(
        session, frame, allocation=AllocationSpec(n_total=13, min_per_stratum=3)
    )
    draw = run_draw(session=session, design_id=design_id, seed=5, created_by=None)
    units = session.exec(
        select(SampleUnit, Dossier.dossier_code)
        .join(Dossier, SampleUnit.dossier_id == Dossier.id)  # type: ignore[arg-type]
        .where(SampleUnit.draw_id == draw.id, SampleUnit.stratum == "P")
    ).all()
    status = {code: unit.contact_status for unit, code in units}
    assert sorted(status.values()) == [DUPLICATE_CONTACT, DUPLICATE_CONTACT, INVITE]
    kept = next(u for u, _ in units if u.contact_status == INVITE)
    assert all(u.duplicate_of == kept.dossier_id for u, _ in units if u is not kept)
    # The weights stay the design weights: duplicates are non-respondents by design.
    assert all(u.weight == pytest.approx(1.0) for u, _ in units)
    cases = draw.design_snapshot["duplicate_contacts"]["cases"]
    kept_code = next(c for c, s in status.items() if s == INVITE)
    assert cases == [{"kept": kept_code, "duplicates": sorted(c for c in status if c != kept_code)}]
    assert "912345678" not in str(draw.design_snapshot)


def test_the_invited_dossier_of_a_person_is_uniformly_random() -> None:
    # Three main units share a phone; over 600 seeds each should be kept ~200 times.
    phone = np.asarray(["+84912345678"] * 3 + ["", "+84987654321"])
    is_reserve = np.zeros(5, dtype=bool)
    order = np.zeros(5, dtype=np.int64)
    kept: Counter[int] = Counter()
    for seed in range(600):
        rule = resolve_duplicate_contacts(phone, is_reserve, order, seed=seed)
        assert list(rule.status[3:]) == [INVITE, INVITE]
        assert int(np.count_nonzero(rule.status[:3] == INVITE)) == 1
        kept[int(np.flatnonzero(rule.status[:3] == INVITE)[0])] += 1
    result = stats.chisquare([kept[0], kept[1], kept[2]])
    assert result.pvalue > 0.001


def test_a_reserve_sharing_a_main_units_phone_is_a_duplicate() -> None:
    phone = np.asarray(["+84911111111", "+84922222222", "+84911111111", "+84922222222"])
    is_reserve = np.asarray([False, True, True, True])
    order = np.asarray([0, 1, 2, 3])
    rule = resolve_duplicate_contacts(phone, is_reserve, order, seed=3)
    assert list(rule.status) == [INVITE, INVITE, DUPLICATE_CONTACT, DUPLICATE_CONTACT]
    assert list(rule.duplicate_of) == [-1, -1, 0, 1]


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_export_csv_and_xlsx_with_and_without_phones(session: Session, frame_id: int) -> None:
    draw = run_draw(
        session=session, design_id=make_design(session, frame_id), seed=2, created_by=None
    )
    assert draw.id is not None
    export = export_sample(session=session, draw_id=draw.id, fmt="csv")
    rows = _csv_rows(b"".join(export.chunks))
    assert len(rows) == 29 and "phone" not in rows[0]
    assert sum(r["is_reserve"] == "0" for r in rows) == 20
    assert {r["agency_name"] for r in rows} == {"Cơ quan A", "Cơ quan B", "Cơ quan C"}
    with_phones = export_sample(session=session, draw_id=draw.id, include_phones=True)
    rows = _csv_rows(b"".join(with_phones.chunks))
    # E.164 starts with "+": neutralised, so Excel keeps it as text (survey.spreadsheet_cells).
    assert all(r["phone"].startswith("'+849") for r in rows)
    xlsx = export_sample(session=session, draw_id=draw.id, fmt="xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.chunks)), read_only=True).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "dossier_code" and "phone" not in values[0] and len(values) == 30


def test_export_respects_roles_and_scopes(session: Session, frame_id: int) -> None:
    draw = run_draw(
        session=session, design_id=make_design(session, frame_id), seed=2, created_by=None
    )
    assert draw.id is not None
    analyst = make_user(session, "analyst")
    with pytest.raises(PermissionDenied):
        export_sample(session=session, draw_id=draw.id, include_phones=True, viewer=analyst)
    local = make_user(session, "coordinator", "bn", scopes=[("province", "24")])
    export = export_sample(session=session, draw_id=draw.id, include_phones=True, viewer=local)
    rows = _csv_rows(b"".join(export.chunks))
    assert {r["agency_code"] for r in rows} == {"C"} and len(rows) == 2 + 3


def test_bad_seed_is_invalid_input(session: Session, frame_id: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        run_draw(
            session=session, design_id=make_design(session, frame_id), seed=-1, created_by=None
        )
    assert caught.value.problems[0].loc[0] == "seed"


def test_a_two_stage_draw_says_why_it_issues_another_size(session: Session, frame_id: int) -> None:
    # Communes: A has 5 of 12 dossiers, B 5 of 6, C 5 of 2. n_total 20 -> n_h = 12, 6, 2.
    design_id = make_design(
        session,
        frame_id,
        selection="pps",
        psu_column="commune_code",
        allocation=AllocationSpec(n_total=20, m_per_psu=5),
        reserve_per_stratum=0,
    )
    draw = run_draw(session=session, design_id=design_id, seed=3, created_by=None)
    size = draw.design_snapshot["size"]
    # A: ceil(12/5) = 3 communes x 5 = 15; B: 2 x 5 = 10; C: 1 commune of 2 dossiers = 2.
    assert draw.n_sampled == 27
    assert (size["designed"], size["issued"]) == (20, 27)
    by = {r["stratum"]: r for r in size["strata"]}
    assert {s: (r["designed"], r["issued"], r["n_psu"]) for s, r in by.items()} == {
        "A": (12, 15, 3),
        "B": (6, 10, 2),
        "C": (2, 2, 1),
    }
    assert by["A"]["reasons"] == ["rounded_up_to_whole_psus"]
    assert by["B"]["reasons"] == ["rounded_up_to_whole_psus"]
    assert by["C"]["reasons"] == []  # the commune of 2 gives exactly the 2 designed
    assert by["C"]["psus_below_take"] == 1
    assert "ceil(n_h / m)" in size["rule"]
    # The issued numbers are the units stored, stratum by stratum.
    stored = Counter(
        u.stratum
        for u in session.exec(select(SampleUnit).where(SampleUnit.draw_id == draw.id)).all()
    )
    assert stored == {"A": 15, "B": 10, "C": 2}
    # A coordinator of agency B sees B's row and totals only.
    scoped = get_draw(
        session=session,
        draw_id=draw.id or 0,
        scope=Scope(agencies=frozenset({"B"}), provinces=None),
    ).design_snapshot["size"]
    assert [r["stratum"] for r in scoped["strata"]] == ["B"]
    assert (scoped["designed"], scoped["issued"]) == (6, 10)


def test_a_two_stage_draw_names_small_and_missing_psus(session: Session, frame_id: int) -> None:
    # n_total 40 -> n_h = 24, 12, 4 with m = 3: A wants 8 communes but has 5 (15 dossiers);
    # B takes 4 x 3 = 12; C wants 2 communes of 2 dossiers each = 4.
    design_id = make_design(
        session,
        frame_id,
        selection="pps",
        psu_column="commune_code",
        allocation=AllocationSpec(n_total=40, m_per_psu=3),
        reserve_per_stratum=0,
    )
    draw = run_draw(session=session, design_id=design_id, seed=5, created_by=None)
    by = {r["stratum"]: r for r in draw.design_snapshot["size"]["strata"]}
    assert {s: (r["designed"], r["issued"]) for s, r in by.items()} == {
        "A": (24, 15),
        "B": (12, 12),
        "C": (4, 4),
    }
    assert by["A"]["reasons"] == ["too_few_psus"]
    assert (by["A"]["n_psu"], by["A"]["psus_in_stratum"]) == (5, 5)
    assert by["B"]["reasons"] == [] and by["C"]["reasons"] == []
    assert draw.n_sampled == 31


def test_other_selections_issue_the_designed_size(session: Session, frame_id: int) -> None:
    draw = run_draw(
        session=session, design_id=make_design(session, frame_id), seed=1, created_by=None
    )
    size = draw.design_snapshot["size"]
    assert (size["designed"], size["issued"], size["rule"]) == (20, 20, "")
    assert [(r["designed"], r["issued"]) for r in size["strata"]] == [(12, 12), (6, 6), (2, 2)]
