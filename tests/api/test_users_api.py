"""Administrators manage accounts through the API: weak passwords refused, disabling is at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from survey.models.audit import AuditEvent
from survey.settings import Settings
from tests.api.fast_users import bearer, make_user


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_only_administrators_manage_users(client: TestClient, session: Session) -> None:
    for role in ("coordinator", "analyst"):
        headers = bearer(session, role)
        assert client.get("/api/users", headers=headers).status_code == 403
        assert client.post("/api/users/1/disable", headers=headers).status_code == 403
    assert client.get("/api/users").status_code == 401


def test_create_refuses_a_weak_password_with_the_reason(
    client: TestClient, session: Session
) -> None:
    admin = bearer(session, "admin", "root")
    weak = client.post(
        "/api/users",
        headers=admin,
        json={"username": "an", "password": "Password123456", "role": "analyst"},
    )
    assert weak.status_code == 422
    [problem] = weak.json()["detail"]
    assert problem["loc"] == ["password"]
    assert "too easy to guess" in problem["msg"] and "commonly used password" in problem["msg"]
    made = client.post(
        "/api/users",
        headers=admin,
        json={
            "username": "co",
            "password": "violet tractor humming quietly",
            "role": "coordinator",
            "scopes": [{"kind": "agency", "code": "A1"}],
        },
    )
    assert made.status_code == 201
    assert made.json()["scopes"] == ["agency:A1"] and "password_hash" not in made.json()


def test_disabling_ends_the_users_tokens_at_once_and_enabling_does_not_revive_them(
    client: TestClient, session: Session
) -> None:
    admin = bearer(session, "admin", "root")
    user_headers = bearer(session, "coordinator", "co")
    [co] = [u for u in client.get("/api/users", headers=admin).json() if u["username"] == "co"]
    assert client.get("/api/auth/me", headers=user_headers).status_code == 200
    disabled = client.post(f"/api/users/{co['id']}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    assert client.get("/api/auth/me", headers=user_headers).status_code == 401
    assert client.post(f"/api/users/{co['id']}/enable", headers=admin).json()["is_active"] is True
    assert client.get("/api/auth/me", headers=user_headers).status_code == 401
    [root] = [u for u in client.get("/api/users", headers=admin).json() if u["username"] == "root"]
    last = client.post(f"/api/users/{root['id']}/disable", headers=admin)
    assert (
        last.status_code == 409 and "last active administrator" in last.json()["detail"][0]["msg"]
    )
    assert client.post("/api/users/2147483648/disable", headers=admin).status_code == 422
    assert client.post("/api/users/999/disable", headers=admin).status_code == 404


def test_role_and_scope_changes_are_applied_and_audited(
    client: TestClient, session: Session
) -> None:
    admin = bearer(session, "admin", "root")
    user = make_user(session, "coordinator", "co", scopes=[("agency", "A1")])
    changed = client.patch(
        f"/api/users/{user.id}",
        headers=admin,
        json={"role": "analyst", "scopes": []},
    )
    assert changed.status_code == 200
    assert (changed.json()["role"], changed.json()["scopes"]) == ("analyst", [])
    bad = client.patch(f"/api/users/{user.id}", headers=admin, json={"role": "boss"})
    assert bad.status_code == 422
    log = session.exec(
        select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.target)
        .where(col(AuditEvent.action).startswith("user."))
        .order_by(col(AuditEvent.id))
    ).all()
    assert log == [
        ("user.role_changed", "root", "user:co"),
        ("user.scopes_changed", "root", "user:co"),
    ]
