"""The audit log over HTTP: GET /api/audit (admin only, bounded filters) and /staff/audit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from survey.audit import record_event
from survey.settings import Settings
from tests.api.fast_users import bearer


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    # Entries 1-9; signing the admin in may add entries of its own (token.created) after them.
    for i in range(7):
        record_event(
            session=session,
            action="export.responses",
            actor_name="lan",
            target=f"campaign:{i}",
            details={"rows": 10 * i},
            address="10.1.2.3",
        )
    record_event(
        session=session,
        action="export.sample",
        actor_name="minh",
        target="draw:2",
        details={"phones_included": False},
    )
    record_event(session=session, action="release.published", actor_name="root", target="release:5")
    session.commit()
    return bearer(session, "admin", "root")


def _total(client: TestClient, headers: dict[str, str]) -> int:
    total: int = client.get("/api/audit", headers=headers).json()["total"]
    return total


def test_admin_lists_newest_first_with_totals(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/api/audit", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] >= 9 and body["limit"] == 100 and body["offset"] == 0
    assert [e["id"] for e in body["items"]] == list(range(body["total"], 0, -1))
    newest = next(e for e in body["items"] if e["id"] == 9)
    assert newest["action"] == "release.published" and newest["target"] == "release:5"
    assert len(newest["entry_hash"]) == 64
    assert datetime.fromisoformat(newest["occurred_at"]).utcoffset() == timedelta(0)


def test_filters_and_pages(client: TestClient, admin: dict[str, str]) -> None:
    def ids(**params: str | int) -> tuple[list[int], int]:
        body = client.get("/api/audit", headers=admin, params=params).json()
        return [e["id"] for e in body["items"]], body["total"]

    assert ids(action="export") == ([8, 7, 6, 5, 4, 3, 2, 1], 8)
    assert ids(action="export.sample") == ([8], 1)
    assert ids(actor="lan", limit=3, offset=3) == ([4, 3, 2], 7)
    assert ids(target="campaign:0") == ([1], 1)
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert ids(action="export", since=hour_ago)[1] == 8
    assert ids(until=hour_ago)[1] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**63}, "offset"),
        ({"since": "yesterday"}, "since"),
        ({"action": "x" * 65}, "action"),
    ],
)
def test_bad_filters_are_422_naming_the_field(
    client: TestClient, admin: dict[str, str], params: dict[str, str | int], field: str
) -> None:
    response = client.get("/api/audit", headers=admin, params=params)
    assert response.status_code == 422
    assert field in [d["loc"][-1] for d in response.json()["detail"]]


def test_until_before_since_is_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(
        "/api/audit",
        headers=admin,
        params={"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "until"]


@pytest.mark.parametrize("role", ["coordinator", "analyst"])
def test_only_admins_read_the_log(client: TestClient, session: Session, role: str) -> None:
    assert client.get("/api/audit").status_code == 401
    headers = bearer(session, role)
    assert client.get("/api/audit", headers=headers).status_code == 403
    assert client.get("/api/audit/verify", headers=headers).status_code == 403


def test_verify_over_the_api(
    client: TestClient, admin: dict[str, str], engine: Engine, backend: str
) -> None:
    assert client.get("/api/audit/verify", headers=admin).json() == {
        "ok": True,
        "entries": _total(client, admin),
        "first_bad_id": None,
        "reason": "",
    }
    with engine.begin() as connection:
        if backend == "postgresql":
            connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
        connection.execute(text("UPDATE audit_event SET actor_name = 'nobody' WHERE id = 8"))
        if backend == "postgresql":
            connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    body = client.get("/api/audit/verify", headers=admin).json()
    assert (body["ok"], body["first_bad_id"]) == (False, 8)


def _use_cookie(client: TestClient, headers: dict[str, str]) -> None:
    client.cookies.set("sipas_session", headers["Authorization"].removeprefix("Bearer "))


def test_page_filters_in_vietnamese_with_local_times(
    client: TestClient, admin: dict[str, str], settings: Settings
) -> None:
    _use_cookie(client, admin)
    home = client.get("/staff")
    assert 'href="/staff/audit"' in home.text
    page = client.get("/staff/audit", params={"action": "export", "actor": "lan"})
    assert page.status_code == 200
    assert "<h1>Nhật ký kiểm toán</h1>" in page.text
    assert "7 mục khớp bộ lọc." in page.text
    assert page.text.count("<code>export.responses</code>") == 7
    assert "release:5" not in page.text
    local_day = datetime.now(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d")
    assert re.search(rf"<time datetime=\"[^\"]+\">{local_day} ", page.text)
    english = client.get("/staff/audit", params={"lang": "en", "verify": "true"})
    assert f"The log is intact: {_total(client, admin)} entries" in english.text


def test_page_pages_by_fifty(client: TestClient, admin: dict[str, str], session: Session) -> None:
    for i in range(50):
        record_event(session=session, action="auth.login", actor_name="lan", details={"i": i})
    session.commit()
    _use_cookie(client, admin)
    first = client.get("/staff/audit", params={"actor": "lan"})
    assert first.text.count('<tr><td class="num">') == 50
    assert 'href="/staff/audit?actor=lan&amp;offset=50"' in first.text
    assert "← Trang trước" not in first.text
    second = client.get("/staff/audit", params={"actor": "lan", "offset": 50})
    assert second.text.count('<tr><td class="num">') == 7
    assert '<a href="/staff/audit?actor=lan">← Trang trước</a>' in second.text
    assert "Trang sau →" not in second.text


def test_page_shows_errors_beside_the_fields(client: TestClient, admin: dict[str, str]) -> None:
    _use_cookie(client, admin)
    page = client.get("/staff/audit", params={"since": "01/12/2026", "action": "drop.table"})
    assert page.status_code == 422
    assert "<title>Lỗi: " in page.text
    assert 'href="#f-since"' in page.text and 'href="#f-action"' in page.text
    assert "Nhập ngày dạng năm-tháng-ngày" in page.text


def test_page_is_for_admins_only(client: TestClient, session: Session) -> None:
    assert client.get("/staff/audit", follow_redirects=False).headers["location"] == (
        "/staff/sign-in?next=/staff/audit"
    )
    _use_cookie(client, bearer(session, "coordinator"))
    assert 'href="/staff/audit"' not in client.get("/staff").text
    assert client.get("/staff/audit").status_code == 403
