"""Staff users for API tests without paying for an Argon2 hash per user.

Password hashing is deliberately slow (about a second here); tests that only need a signed-in
user of some role reuse one hash computed once per session.
"""

from __future__ import annotations

from functools import cache

from sqlmodel import Session

from survey.models import StaffUser, UserScope
from survey.passwords import hash_password
from survey.users import create_api_token

PASSWORD = "correct horse battery"


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def make_user(
    session: Session,
    role: str,
    username: str | None = None,
    scopes: list[tuple[str, str]] | None = None,
) -> StaffUser:
    """A user with ``role`` (password :data:`PASSWORD`) and optional (kind, code) scopes."""
    user = StaffUser(username=username or f"{role}-user", role=role, password_hash=_password_hash())
    session.add(user)
    session.flush()
    assert user.id is not None
    for kind, code in scopes or []:
        session.add(UserScope(user_id=user.id, kind=kind, code=code))
    session.commit()
    session.refresh(user)
    return user


def bearer(
    session: Session,
    role: str,
    username: str | None = None,
    scopes: list[tuple[str, str]] | None = None,
) -> dict[str, str]:
    """An Authorization header for a new user with ``role``."""
    user = make_user(session, role, username, scopes)
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="test")
    return {"Authorization": f"Bearer {token}"}
