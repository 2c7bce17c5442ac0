"""The staff menu shows each role the pages it may open, and nothing it would be refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from survey.settings import Settings
from tests.api.fast_users import bearer


def _client(settings: Settings, token: str) -> TestClient:
    client = TestClient(create_app(settings), follow_redirects=False)
    client.cookies.set("sipas_session", token)
    return client


def _menu(settings: Settings, token: str, page: str) -> list[str]:
    client = _client(settings, token)
    with client:
        response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    nav = re.search(r"<nav aria-label=[^>]*>(.*?)</nav>", response.text, re.S)
    assert nav, "the page has no staff menu"
    return re.findall(r'<a href="([^"]+)"', nav.group(1))


@pytest.mark.parametrize(
    ("role", "page", "expected"),
    [
        ("clerk", "/staff/entry", ["/staff/entry"]),
        (
            "analyst",
            "/staff/releases",
            [
                "/staff",
                "/staff/frames",
                "/staff/designs",
                "/staff/draws",
                "/staff/campaigns",
                "/staff/releases",
                "/staff/dashboard",
            ],
        ),
        (
            "coordinator",
            "/staff",
            [
                "/staff",
                "/staff/frames",
                "/staff/designs",
                "/staff/draws",
                "/staff/campaigns",
                "/staff/releases",
            ],
        ),
    ],
)
def test_each_role_sees_its_pages(
    settings: Settings, session: Session, role: str, page: str, expected: list[str]
) -> None:
    token = bearer(session, role, f"nav-{role}")["Authorization"].removeprefix("Bearer ")
    links = _menu(settings, token, page)
    assert links == expected
    with _client(settings, token) as client:
        for link in links:
            assert client.get(link).status_code == 200, (role, link)
