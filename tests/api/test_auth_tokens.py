"""API tokens: issued with an expiry, listed without secrets, revoked by id; sign-in rate limits."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from api.app import create_app
from survey.models import ApiToken
from survey.models.audit import AuditEvent
from survey.settings import Settings
from tests.api.fast_users import PASSWORD, bearer, make_user


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    limited = dataclasses.replace(
        settings, login_limit_per_account="3/15 minutes", login_limit_per_address="6/15 minutes"
    )
    with TestClient(create_app(limited)) as test_client:
        yield test_client


def issue(client: TestClient, username: str, password: str = PASSWORD, **extra: object) -> dict:
    response = client.post(
        "/api/auth/token", json={"username": username, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def test_a_token_is_issued_with_its_expiry_and_works(client: TestClient, session: Session) -> None:
    make_user(session, "analyst", "ana")
    body = issue(client, "ana", token_name="nightly export")
    token = body["token"]
    assert (token["name"], token["kind"], token["state"], token["username"]) == (
        "nightly export",
        "api",
        "active",
        "ana",
    )
    expires = datetime.fromisoformat(token["expires_at"])
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "ana"


def test_an_explicit_expiry_must_be_soon_enough_and_in_the_future(
    client: TestClient, session: Session
) -> None:
    make_user(session, "analyst", "ana")
    week = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    assert issue(client, "ana", expires_at=week)["token"]["expires_at"][:10] == week[:10]
    for value, words in [
        ((datetime.now(UTC) + timedelta(days=400)).isoformat(), "at most 90 days"),
        ((datetime.now(UTC) - timedelta(days=1)).isoformat(), "in the future"),
    ]:
        response = client.post(
            "/api/auth/token", json={"username": "ana", "password": PASSWORD, "expires_at": value}
        )
        assert response.status_code == 422
        [problem] = response.json()["detail"]
        assert problem["loc"] == ["expires_at"] and words in problem["msg"]
    naive = client.post(
        "/api/auth/token",
        json={"username": "ana", "password": PASSWORD, "expires_at": "2027-01-01T00:00:00"},
    )
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"][-1] == "expires_at"


def test_an_expired_token_is_refused_with_sign_in_again(
    client: TestClient, session: Session
) -> None:
    headers = bearer(session, "analyst", "ana")
    session.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    session.commit()
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert "expired: sign in again" in response.json()["detail"][0]["msg"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_tokens_are_listed_without_secrets_and_revoked_by_id(
    client: TestClient, session: Session
) -> None:
    ana = bearer(session, "analyst", "ana")
    coord = bearer(session, "coordinator", "co")
    admin = bearer(session, "admin", "root")
    mine = client.get("/api/auth/tokens", headers=ana)
    assert mine.status_code == 200
    [listed] = mine.json()
    assert set(listed) == {
        "id",
        "user_id",
        "username",
        "name",
        "kind",
        "state",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    }
    assert listed["username"] == "ana" and listed["last_used_at"] is not None
    co_user_id = session.exec(select(ApiToken.user_id).where(ApiToken.id != listed["id"])).first()
    # Someone else's: 403 to list, 404 to revoke; an administrator may do both.
    assert (
        client.get("/api/auth/tokens", params={"user_id": co_user_id}, headers=ana).status_code
        == 403
    )
    [co_token] = client.get(
        "/api/auth/tokens", params={"user_id": co_user_id}, headers=admin
    ).json()
    assert co_token["username"] == "co"
    assert client.delete(f"/api/auth/tokens/{co_token['id']}", headers=ana).status_code == 404
    revoked = client.delete(f"/api/auth/tokens/{co_token['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert client.get("/api/auth/me", headers=coord).status_code == 401
    # Revoking one's own token ends it at once.
    assert client.delete(f"/api/auth/tokens/{listed['id']}", headers=ana).status_code == 200
    gone = client.get("/api/auth/me", headers=ana)
    assert gone.status_code == 401 and "revoked" in gone.json()["detail"][0]["msg"]
    assert client.delete("/api/auth/tokens/99999999999", headers=admin).status_code == 422
    events = session.exec(select(AuditEvent.action, AuditEvent.actor_name)).all()
    assert ("token.revoked", "root") in events and ("token.revoked", "ana") in events


def test_a_locked_account_refuses_the_right_password_with_retry_after(
    client: TestClient, session: Session
) -> None:
    make_user(session, "coordinator", "co")
    for _ in range(3):
        wrong = client.post("/api/auth/token", json={"username": "co", "password": "not the one"})
        assert wrong.status_code == 401
    locked = client.post("/api/auth/token", json={"username": "co", "password": PASSWORD})
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
    [problem] = locked.json()["detail"]
    assert problem["loc"] == ["username"] and "locked for 15 minutes" in problem["msg"]
    # Three more bad names from the same address reach the address limit (6): any account is
    # refused from there, before its password is checked.
    make_user(session, "analyst", "ana")
    for name in ("x1", "x2"):
        assert (
            client.post("/api/auth/token", json={"username": name, "password": "p"}).status_code
            == 401
        )
    from_here = client.post("/api/auth/token", json={"username": "ana", "password": PASSWORD})
    assert (
        from_here.status_code == 429 and "from this address" in from_here.json()["detail"][0]["msg"]
    )
    failed = session.exec(
        select(AuditEvent.actor_name).where(AuditEvent.action == "auth.login_failed")
    ).all()
    assert failed == ["co", "co", "co", "x1", "x2"]


def test_good_and_bad_api_sign_ins_are_audited(client: TestClient, session: Session) -> None:
    make_user(session, "analyst", "ana")
    issue(client, "ana")
    assert (
        client.post("/api/auth/token", json={"username": "ana", "password": "nope"}).status_code
        == 401
    )
    rows = session.exec(
        select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.address).order_by(
            col(AuditEvent.id)
        )
    ).all()
    assert [r[:2] for r in rows] == [
        ("auth.login", "ana"),
        ("token.created", "ana"),
        ("auth.login_failed", "ana"),
    ]
    assert {r[2] for r in rows} == {"testclient"}
