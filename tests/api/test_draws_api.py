"""Draws API: run, list, download; phone columns only for roles allowed to see them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.design_frames import frame_rows, import_rows


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def design_id(client: TestClient, session: Session, engine: Engine, tmp_path: Path) -> int:
    frame = import_rows(engine, tmp_path, frame_rows({("A", "01"): 50, ("B", "24"): 30}))
    headers = bearer(session, "admin", "designer")
    response = client.post(
        "/api/designs",
        headers=headers,
        json={
            "name": "d",
            "frame_id": frame,
            "selection": "systematic",
            "sort_by": ["procedure_field", "completed_date"],
            "allocation": {"n_total": 16},
            "reserve_per_stratum": 2,
        },
    )
    assert response.status_code == 201, response.text
    design: int = response.json()["id"]
    return design


def rows_of(response_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response_text.lstrip("\ufeff"))))


def test_run_twice_with_a_seed_gives_the_same_sample(
    client: TestClient, session: Session, design_id: int
) -> None:
    headers = bearer(session, "coordinator")
    url = f"/api/designs/{design_id}/draws"
    first = client.post(url, headers=headers, json={"seed": 42})
    again = client.post(url, headers=headers, json={"seed": 42})
    other = client.post(url, headers=headers, json={"seed": 43})
    assert first.status_code == 201, first.text
    assert first.json()["seed"] == 42 and first.json()["n_sampled"] == 16
    assert first.json()["contact_status"] == {"invite": 20}

    def codes(draw: int) -> list[str]:
        text = client.get(f"/api/draws/{draw}/sample.csv", headers=headers).text
        return sorted(r["dossier_code"] for r in rows_of(text) if r["is_reserve"] == "0")

    assert codes(first.json()["id"]) == codes(again.json()["id"])
    assert codes(first.json()["id"]) != codes(other.json()["id"])
    listed = client.get("/api/draws", params={"design_id": design_id}, headers=headers).json()
    assert [d["id"] for d in listed] == [other.json()["id"], again.json()["id"], first.json()["id"]]
    fresh = client.post(url, headers=headers)
    assert fresh.status_code == 201 and fresh.json()["seed"] >= 0
    assert client.post(url, headers=headers, json={"seed": -1}).status_code == 422


def test_analyst_download_has_no_phone_column(
    client: TestClient, session: Session, design_id: int
) -> None:
    coordinator = bearer(session, "coordinator")
    draw = client.post(f"/api/designs/{design_id}/draws", headers=coordinator, json={"seed": 1})
    draw_id = draw.json()["id"]
    analyst = bearer(session, "analyst")
    # Analysts never get samples (dossier codes), with or without phones (docs/access.md).
    response = client.get(f"/api/draws/{draw_id}/sample.csv?phones=false", headers=analyst)
    assert response.status_code == 403
    assert "+84" not in response.text
    without = client.get(f"/api/draws/{draw_id}/sample.csv?phones=false", headers=coordinator)
    assert without.headers["content-type"].startswith("text/csv")
    rows = rows_of(without.text)
    assert len(rows) == 20 and "phone" not in rows[0]
    assert client.get(f"/api/draws/{draw_id}/sample.xlsx", headers=analyst).status_code == 403
    xlsx = client.get(f"/api/draws/{draw_id}/sample.xlsx?phones=false", headers=coordinator)
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert sheet is not None
    header = next(sheet.iter_rows(values_only=True))
    assert "phone" not in header and "+84" not in str(list(sheet.iter_rows(values_only=True)))
    refused = client.get(f"/api/draws/{draw_id}/sample.csv?phones=true", headers=analyst)
    assert refused.status_code == 403
    # Coordinators get the phones by default (they send the invitations).
    with_phones = rows_of(client.get(f"/api/draws/{draw_id}/sample.csv", headers=coordinator).text)
    assert all(r["phone"].startswith("'+84") for r in with_phones)  # text, not a formula
    without = client.get(f"/api/draws/{draw_id}/sample.csv?phones=false", headers=coordinator)
    assert "phone" not in rows_of(without.text)[0]


def test_roles_scopes_and_errors(client: TestClient, session: Session, design_id: int) -> None:
    analyst = bearer(session, "analyst")
    assert client.post(f"/api/designs/{design_id}/draws", headers=analyst).status_code == 403
    local = bearer(session, "coordinator", "bn", scopes=[("province", "24")])
    assert client.post(f"/api/designs/{design_id}/draws", headers=local).status_code == 403
    admin = bearer(session, "admin")
    draw_id = client.post(
        f"/api/designs/{design_id}/draws", headers=admin, json={"seed": 3}
    ).json()["id"]
    mine = rows_of(client.get(f"/api/draws/{draw_id}/sample.csv", headers=local).text)
    assert {r["agency_code"] for r in mine} == {"B"} and len(mine) == 6 + 2
    detail = client.get(f"/api/draws/{draw_id}", headers=analyst).json()
    assert detail["design_snapshot"]["sampling_record"]["seed"] == 3
    assert client.get("/api/draws/999/sample.csv", headers=admin).status_code == 404
    assert client.get(f"/api/draws/{draw_id}/sample.pdf", headers=admin).status_code == 422
    assert client.post("/api/designs/999/draws", headers=admin).status_code == 404
