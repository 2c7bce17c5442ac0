"""Designs API: preview with expected precision, create, errors as {loc, msg}, scopes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
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
def frame_id(engine: Engine, tmp_path: Path) -> int:
    return import_rows(engine, tmp_path, frame_rows({("A", "01"): 60, ("B", "24"): 40}))


def body(frame_id: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "API design",
        "frame_id": frame_id,
        "stratify_by": ["agency_code"],
        "allocation": {"method": "proportional", "n_total": 10},
    }
    data.update(changes)
    return data


def test_preview_gives_strata_domains_and_total(
    client: TestClient, session: Session, frame_id: int
) -> None:
    headers = bearer(session, "coordinator")
    response = client.post("/api/designs/preview", headers=headers, json=body(frame_id))
    assert response.status_code == 200, response.text
    preview = response.json()
    assert [(s["stratum"], s["population"], s["n"]) for s in preview["strata"]] == [
        ("A", 60, 6),
        ("B", 40, 4),
    ]
    assert preview["total"]["n"] == 10 and preview["total"]["margin"] > 0
    assert {(d["column"], d["domain"]) for d in preview["domains"]} == {
        ("agency_code", "A"),
        ("agency_code", "B"),
        ("province_code", "01"),
        ("province_code", "24"),
    }


def test_unknown_column_is_422_with_loc(
    client: TestClient, session: Session, frame_id: int
) -> None:
    headers = bearer(session, "coordinator")
    response = client.post(
        "/api/designs/preview",
        headers=headers,
        json=body(frame_id, stratify_by=["agency", "level"]),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["stratify_by", 0]
    response = client.post(
        "/api/designs/preview",
        headers=headers,
        json=body(frame_id),
        params={"domains": ["district"]},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["domains", 0]


def test_impossible_allocation_is_422(client: TestClient, session: Session, frame_id: int) -> None:
    headers = bearer(session, "coordinator")
    response = client.post(
        "/api/designs",
        headers=headers,
        json=body(frame_id, allocation={"n_total": 500}),
    )
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["loc"][0] == "allocation" and "larger than the population" in problem["msg"]
    response = client.post(
        "/api/designs",
        headers=headers,
        json=body(frame_id, allocation={"n_total": 10, "min_per_stratum": 9, "max_per_stratum": 3}),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["allocation", "min_per_stratum"]
    response = client.post("/api/designs", headers=headers, json={"name": "x"})
    assert response.status_code == 422
    assert ["body", "frame_id"] in [p["loc"] for p in response.json()["detail"]]


def test_create_list_read_and_scoped_access(
    client: TestClient, session: Session, frame_id: int
) -> None:
    headers = bearer(session, "coordinator")
    created = client.post("/api/designs", headers=headers, json=body(frame_id))
    assert created.status_code == 201, created.text
    design = created.json()
    assert [row["n"] for row in design["allocation_table"]] == [6, 4]
    assert [d["id"] for d in client.get("/api/designs", headers=headers).json()] == [design["id"]]
    analyst = bearer(session, "analyst")
    assert client.get(f"/api/designs/{design['id']}", headers=analyst).status_code == 200
    assert client.post("/api/designs", headers=analyst, json=body(frame_id)).status_code == 403
    local = bearer(session, "coordinator", "bn", scopes=[("province", "24")])
    assert client.post("/api/designs", headers=local, json=body(frame_id)).status_code == 403
    preview = client.get(f"/api/designs/{design['id']}/preview", headers=local).json()
    assert [s["stratum"] for s in preview["strata"]] == ["B"]
    assert {d["domain"] for d in preview["domains"]} == {"B", "24"}
    assert client.get("/api/designs/999", headers=headers).status_code == 404
