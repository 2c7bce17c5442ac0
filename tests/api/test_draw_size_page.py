"""A draw's page and API say how many dossiers the design asked for and why the draw differs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from survey.designs import AllocationSpec, DesignCreate, create_design
from survey.draws import run_draw
from survey.settings import Settings
from tests.api.helpers import auth_headers
from tests.api.test_coordinator_pages import sign_in
from tests.survey.design_frames import frame_rows, import_rows

# Communes: A has 5 of 12 dossiers, B 5 of 6, C 5 of 2 (see design_frames.frame_rows).
STRATA = {("A", "01"): 60, ("B", "01"): 30, ("C", "24"): 10}


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def draw_id(session: Session, engine: Engine, tmp_path: Path) -> int:
    frame_id = import_rows(engine, tmp_path, frame_rows(STRATA))
    design = create_design(
        session=session,
        spec=DesignCreate(
            name="hai giai đoạn",
            frame_id=frame_id,
            selection="pps",
            psu_column="commune_code",
            allocation=AllocationSpec(n_total=20, m_per_psu=5),
            reserve_per_stratum=0,
        ),
        created_by=None,
    )
    assert design.id is not None
    draw = run_draw(session=session, design_id=design.id, seed=3, created_by=None)
    assert draw.id is not None
    return draw.id


def test_the_draw_page_explains_27_dossiers_for_20_designed(
    client: TestClient, session: Session, draw_id: int
) -> None:
    sign_in(client, session)
    page = client.get(f"/staff/draws/{draw_id}").text
    assert "Thiết kế: 20 hồ sơ; được chọn: 27 hồ sơ." in page
    assert "Mẫu hai giai đoạn" in page
    # Stratum A: ceil(12 / 5) = 3 communes of 5 dossiers.
    assert '<td>A</td><td class="num">12</td><td class="num">15</td>' in page
    assert "làm tròn lên thành 3 đơn vị cấp 1 × 5 hồ sơ" in page
    english = client.get(f"/staff/draws/{draw_id}?lang=en").text
    assert "Designed: 20 dossiers; drawn: 27 dossiers." in english
    assert "rounded up to 2 primary units × 5 dossiers" in english  # stratum B: 6 -> 10
    assert "{" not in english.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_draw_api_carries_the_size_explanation(
    client: TestClient, session: Session, draw_id: int
) -> None:
    body = client.get(f"/api/draws/{draw_id}", headers=auth_headers(session, "analyst")).json()
    size = body["design_snapshot"]["size"]
    assert (size["designed"], size["issued"], body["n_sampled"]) == (20, 27, 27)
    assert [(r["stratum"], r["reasons"]) for r in size["strata"]] == [
        ("A", ["rounded_up_to_whole_psus"]),
        ("B", ["rounded_up_to_whole_psus"]),
        ("C", []),
    ]
