"""Shared helpers for API tests: staff users and their bearer headers."""

from __future__ import annotations

from sqlmodel import Session

from survey.users import create_api_token, create_user


def auth_headers(
    session: Session,
    role: str,
    username: str | None = None,
    scopes: list[tuple[str, str]] | None = None,
) -> dict[str, str]:
    """Create a user with ``role`` and return an Authorization header carrying a fresh token."""
    user = create_user(
        session=session,
        username=username or f"{role}-user",
        password="correct horse battery",
        role=role,
        scopes=scopes,
    )
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="test")
    return {"Authorization": f"Bearer {token}"}
