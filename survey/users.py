"""Staff accounts: creation, authentication, API tokens and the agency/province scope of a user."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from survey.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, Problem
from survey.models import ApiToken, Role, StaffUser, UserScope, utcnow
from survey.passwords import hash_password, verify_password

SCOPE_KINDS = ("agency", "province")


@dataclass(frozen=True)
class Scope:
    """What a user may see: ``None`` means everything, otherwise the listed codes."""

    agencies: frozenset[str] | None
    provinces: frozenset[str] | None

    def allows(self, agency_code: str, province_code: str) -> bool:
        if self.agencies is not None and agency_code not in self.agencies:
            return False
        return self.provinces is None or province_code in self.provinces


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    scopes: list[tuple[str, str]] | None = None,
) -> StaffUser:
    """Create a staff account; ``scopes`` are (kind, code) pairs limiting a coordinator."""
    problems: list[Problem] = []
    if role not in {r.value for r in Role}:
        problems.append(
            Problem(("role",), f"unknown role {role!r}: use admin, coordinator or analyst")
        )
    if len(password) < 10:
        problems.append(Problem(("password",), "the password needs at least 10 characters"))
    if not username.strip():
        problems.append(Problem(("username",), "the username is empty"))
    for kind, _code in scopes or []:
        if kind not in SCOPE_KINDS:
            problems.append(Problem(("scopes", kind), "a scope is 'agency' or 'province'"))
    if problems:
        raise InvalidInput("the user cannot be created", problems)
    if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
        raise Conflict(f"a user named {username!r} exists already; choose another username")
    user = StaffUser(
        username=username, full_name=full_name, role=role, password_hash=hash_password(password)
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for kind, code in scopes or []:
        session.add(UserScope(user_id=user.id, kind=kind, code=code))
    session.commit()
    session.refresh(user)
    return user


def authenticate(*, session: Session, username: str, password: str) -> StaffUser:
    """Return the active user with these credentials, or raise NotAuthenticated."""
    user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise NotAuthenticated("wrong username or password")
    return user


def create_api_token(*, session: Session, user_id: int, name: str) -> str:
    """Create a token for scripts; the returned token is shown once, only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user_id, name=name, token_hash=_token_hash(token)))
    session.commit()
    return token


def revoke_api_token(*, session: Session, token: str) -> None:
    """Revoke a token (logging out of the web pages revokes the session's token)."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()


def user_for_token(*, session: Session, token: str) -> StaffUser:
    """The active user owning an unrevoked token, or NotAuthenticated."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("the token is unknown or revoked: sign in again")
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("the account is disabled")
    return user


def user_scope(*, session: Session, user: StaffUser) -> Scope:
    """The agencies/provinces a user may see; admins and analysts see every unit."""
    if user.role != Role.COORDINATOR:
        return Scope(agencies=None, provinces=None)
    rows = session.exec(select(UserScope).where(UserScope.user_id == user.id)).all()
    agencies = frozenset(r.code for r in rows if r.kind == "agency")
    provinces = frozenset(r.code for r in rows if r.kind == "province")
    return Scope(agencies=agencies or None, provinces=provinces or None)


def list_users(*, session: Session) -> list[StaffUser]:
    return list(session.exec(select(StaffUser).order_by(col(StaffUser.id))).all())


def get_user_by_username(*, session: Session, username: str) -> StaffUser:
    user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None:
        raise NotFound(f"no user named {username!r}: create it with 'sipas user create'")
    return user


def get_user(*, session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user
