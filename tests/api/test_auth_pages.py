"""Sessions in the browser: CSRF on cookie API writes, expiry, sign-out, and 429 pages."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, select

from api.app import create_app
from survey.models import ApiToken
from survey.models.audit import AuditEvent
from survey.settings import Settings
from tests.api.fast_users import PASSWORD, make_user


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings,
        login_limit_per_account="2/15 minutes",
        citizen_limit_per_address="3/minute",
        callback_limit_per_address="2/minute",
    )


@pytest.fixture
def client(app_settings: Settings, session: Session) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as test_client:
        yield test_client


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post(
        "/staff/sign-in",
        data={"username": username, "password": password, "next": "/staff"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    cookie = client.cookies.get("sipas_session")
    assert cookie
    return cookie


def form_token(client: TestClient) -> str:
    page = client.get("/staff")
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def test_cookie_writes_to_the_api_need_the_csrf_header(
    client: TestClient, session: Session
) -> None:
    make_user(session, "coordinator", "co")
    sign_in(client, "co")
    # Reads work with the cookie alone (the pages' download links).
    listed = client.get("/api/auth/tokens")
    assert listed.status_code == 200
    [own_session] = listed.json()
    assert own_session["kind"] == "session"
    url = f"/api/auth/tokens/{own_session['id']}"
    refused = client.delete(url)
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["loc"] == ["header", "X-CSRF-Token"]
    assert client.delete(url, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert client.delete(url, headers={"X-CSRF-Token": form_token(client)}).status_code == 200
    # The session is now revoked on the server: the cookie no longer opens anything.
    assert client.get("/api/auth/me").status_code == 401


def test_a_bearer_token_needs_no_csrf_header_even_with_a_cookie(
    client: TestClient, session: Session
) -> None:
    make_user(session, "analyst", "ana")
    sign_in(client, "ana")
    token = client.post("/api/auth/token", json={"username": "ana", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    response = client.delete(f"/api/auth/tokens/{token['token']['id']}", headers=headers)
    assert response.status_code == 200


def test_sign_out_revokes_the_session_on_the_server(client: TestClient, session: Session) -> None:
    make_user(session, "coordinator", "co")
    cookie = sign_in(client, "co")
    out = client.post("/staff/sign-out", data={"csrf": form_token(client)}, follow_redirects=False)
    assert out.status_code == 303
    # A copy of the old cookie (stolen, or kept by a shared computer) no longer works.
    client.cookies.set("sipas_session", cookie)
    replay = client.get("/api/auth/me")
    assert replay.status_code == 401
    actions = session.exec(select(AuditEvent.action)).all()
    assert actions == ["auth.login", "auth.logout"]


def test_an_idle_session_sends_the_browser_to_sign_in_again(
    client: TestClient, session: Session
) -> None:
    make_user(session, "coordinator", "co")
    sign_in(client, "co")
    assert client.get("/staff", follow_redirects=False).status_code == 200
    session.execute(
        update(ApiToken).values(last_used_at=datetime.now(UTC) - timedelta(hours=8, minutes=1))
    )
    session.commit()
    page = client.get("/staff", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/staff/sign-in")
    api = client.get("/api/auth/me")
    assert api.status_code == 401 and "sign in again" in api.json()["detail"][0]["msg"]


def test_the_session_cookie_lives_as_long_as_the_absolute_limit(
    client: TestClient, session: Session
) -> None:
    make_user(session, "coordinator", "co")
    response = client.post(
        "/staff/sign-in", data={"username": "co", "password": PASSWORD}, follow_redirects=False
    )
    cookie = response.headers["set-cookie"]
    assert "Max-Age=43200" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    row = session.exec(select(ApiToken)).one()
    assert row.kind == "session" and row.expires_at is not None


def test_a_locked_account_gets_a_page_saying_when_to_retry(
    client: TestClient, session: Session
) -> None:
    make_user(session, "coordinator", "co")
    for _ in range(2):
        wrong = client.post("/staff/sign-in", data={"username": "co", "password": "wrong one"})
        assert wrong.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng" in wrong.text
    locked = client.post("/staff/sign-in", data={"username": "co", "password": PASSWORD})
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
    assert "Đăng nhập quá nhiều lần với tài khoản này. Xin thử lại sau 15 phút." in locked.text
    assert client.cookies.get("sipas_session") is None
    english = client.post("/staff/sign-in?lang=en", data={"username": "co", "password": PASSWORD})
    assert english.status_code == 429
    assert "Too many sign-in attempts for this account. Try again in 15 minutes." in english.text


def test_a_disabled_account_is_told_so_only_with_the_right_password(
    client: TestClient, session: Session
) -> None:
    from survey.users import disable_user

    make_user(session, "admin", "root")
    user = make_user(session, "analyst", "ana")
    disable_user(session=session, user_id=user.id)  # type: ignore[arg-type]
    right = client.post("/staff/sign-in", data={"username": "ana", "password": PASSWORD})
    assert right.status_code == 401 and "Tài khoản này đã bị khoá" in right.text
    wrong = client.post("/staff/sign-in", data={"username": "ana", "password": "guess guess"})
    assert "Tài khoản này đã bị khoá" not in wrong.text


def test_citizen_pages_are_limited_per_address_with_a_bilingual_page(client: TestClient) -> None:
    for _ in range(3):
        assert client.get("/r/not-a-real-link").status_code == 404
    refused = client.get("/r/not-a-real-link")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert "Quá nhiều yêu cầu" in refused.text and "Xin chờ" in refused.text
    assert '<html lang="vi">' in refused.text
    english = client.get("/r/not-a-real-link?lang=en")
    assert english.status_code == 429 and "Too many requests" in english.text
    # Staff pages are not counted against the citizen limit.
    assert client.get("/staff/sign-in").status_code == 200


def test_sms_callbacks_are_limited_per_address(client: TestClient) -> None:
    statuses = [client.get("/sms/kannel/dlr").status_code for _ in range(3)]
    assert statuses[:2] != [429, 429] and statuses[2] == 429
    refused = client.get("/sms/kannel/dlr")
    assert refused.status_code == 429 and "retry-after" in refused.headers
    assert refused.json()["detail"][0]["msg"].startswith("too many callbacks from this address")
