"""The demo builds through the real use cases and reuses what exists when run again."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.demo import DEMO_USERS, build_demo, demo_agencies, write_demo_frame
from survey.models import Design, Draw, Frame, StaffUser
from survey.phones import PhoneKind, normalise_phone
from survey.users import authenticate


def test_demo_frame_looks_like_agency_data(tmp_path: Path) -> None:
    path = write_demo_frame(tmp_path / "demo.csv", n_dossiers=4000, seed=1)
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4000
    assert 35 <= len(demo_agencies()) <= 45
    assert len({r["procedure_field"] for r in rows}) == 16
    assert {r["channel"] for r in rows} == {"Trực tiếp", "Trực tuyến", "Bưu chính"}
    # Pre-merger province codes still appear (Bắc Ninh 27, Hà Nam 35, Nam Định 36).
    assert {"01", "24", "27", "35", "36", "37"} <= {r["province_code"] for r in rows}
    kinds = [normalise_phone(r["phone"]).kind for r in rows]
    assert kinds.count(PhoneKind.MISSING) > 0 and kinds.count(PhoneKind.LANDLINE) > 0
    old = [r["phone"] for r in rows if len(r["phone"]) == 11 and r["phone"].startswith("01")]
    assert old and all(normalise_phone(p).kind is PhoneKind.MOBILE for p in old)
    phones = [r["phone"] for r in rows if r["phone"]]
    assert len(set(phones)) < len(phones)  # some people have several dossiers
    dates = {r["completed_date"][3:] for r in rows}
    assert dates == {"07/2025", "08/2025", "09/2025"}


def test_build_demo_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    summary = build_demo(engine=engine, data_dir=tmp_path, n_dossiers=3000)
    assert summary.n_dossiers == 3000 and summary.n_sampled > 0
    assert len(summary.created) == len(DEMO_USERS) + 3
    again = build_demo(engine=engine, data_dir=tmp_path, n_dossiers=3000)
    assert again.created == ()
    assert (again.frame_id, again.design_id, again.draw_id) == (
        summary.frame_id,
        summary.design_id,
        summary.draw_id,
    )
    with Session(engine) as session:
        assert len(session.exec(select(Frame)).all()) == 1
        assert len(session.exec(select(Design)).all()) == 1
        assert len(session.exec(select(Draw)).all()) == 1
        assert len(session.exec(select(StaffUser)).all()) == len(DEMO_USERS)
        username, role, password, _, _ = DEMO_USERS[1]
        assert authenticate(session=session, username=username, password=password).role == role
        design = session.get(Design, summary.design_id)
        assert design is not None and design.geo_mapping == "provinces-2025"
        assert all(row["n"] >= 10 for row in design.allocation_table)
