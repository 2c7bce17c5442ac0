"""Staff accounts: creation, sign-in, sessions and API tokens, and the agency/province scope.

Sign-in does the same work whether or not the username exists (an unknown name is verified
against a dummy Argon2 hash, a disabled account's password is still checked) and records every
attempt in the audit log; a failed attempt's entry is committed before the error is raised.
Tokens are stored as SHA-256 only and expire on the server: a web session after
``session_idle_minutes`` without use or ``session_max_hours`` after sign-in, a script's token after
``api_token_days`` or an earlier date chosen at creation. Disabling a user revokes all its tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, delete, select

from survey.audit import record_event
from survey.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Problem,
)
from survey.models import ApiToken, Role, StaffUser, UserScope, utcnow
from survey.models.users import ApiTokenPublic, StaffUserPublic, TokenKind
from survey.passwords import (
    MAX_LENGTH,
    PasswordChecker,
    dummy_hash,
    hash_password,
    password_checker,
    password_problems,
)
from survey.rate_limits import RateLimits
from survey.settings import Settings

SCOPE_KINDS = ("agency", "province")


@dataclass(frozen=True)
class Scope:
    """What a user may see: ``None`` means everything, otherwise the listed codes."""

    agencies: frozenset[str] | None
    provinces: frozenset[str] | None

    @classmethod
    def everything(cls) -> Scope:
        """The scope of admins, analysts, national coordinators and the command line."""
        return cls(agencies=None, provinces=None)

    @property
    def limited(self) -> bool:
        """True for a coordinator limited to some agencies or provinces."""
        return self.agencies is not None or self.provinces is not None

    def allows(self, agency_code: str, province_code: str) -> bool:
        if self.agencies is not None and agency_code not in self.agencies:
            return False
        return self.provinces is None or province_code in self.provinces

    def where(self, agency_column: Any, province_column: Any) -> list[ColumnElement[bool]]:
        """SQL conditions keeping the rows this scope may see (none for an unlimited scope)."""
        conditions: list[ColumnElement[bool]] = []
        if self.agencies is not None:
            conditions.append(col(agency_column).in_(sorted(self.agencies)))
        if self.provinces is not None:
            conditions.append(col(province_column).in_(sorted(self.provinces)))
        return conditions


# The default of the query use cases: the command line and the tests see everything; the web
# routes always pass the caller's scope (tests/api/test_scopes.py checks what leaks).
UNLIMITED = Scope(agencies=None, provinces=None)


class AccountDisabled(NotAuthenticated):
    """The password is right but the account is disabled."""


SESSION_TOKEN_NAME = "web sign-in"
# last_used_at is written at most this often per token, not on every request.
LAST_USE_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenLifetimes:
    """How long tokens live: a session's idle and absolute limits, a script token's lifetime."""

    session_idle: timedelta = timedelta(hours=8)
    session_max: timedelta = timedelta(hours=12)
    api: timedelta = timedelta(days=90)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenLifetimes:
        return cls(
            session_idle=timedelta(minutes=settings.session_idle_minutes),
            session_max=timedelta(hours=settings.session_max_hours),
            api=timedelta(days=settings.api_token_days),
        )


DEFAULT_LIFETIMES = TokenLifetimes()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _as_utc(value: datetime) -> datetime:
    # SQLite gives back the stored UTC time without its offset.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _check_scopes(scopes: Sequence[tuple[str, str]]) -> list[Problem]:
    problems = []
    for kind, code in scopes:
        if kind not in SCOPE_KINDS:
            problems.append(Problem(("scopes", kind), "a scope is 'agency' or 'province'"))
        elif not code.strip() or len(code) > 32:
            problems.append(Problem(("scopes", kind), "a scope code has 1 to 32 characters"))
    return problems


# Every role, for the refusal of an unknown one.
_ROLE_LIST = ", ".join(r.value for r in Role)


def _scope_names(scopes: Sequence[tuple[str, str]]) -> list[str]:
    return sorted(f"{kind}:{code}" for kind, code in scopes)


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    scopes: list[tuple[str, str]] | None = None,
    actor: StaffUser | None = None,
    address: str | None = None,
) -> StaffUser:
    """Create a staff account; ``scopes`` are (kind, code) pairs limiting a coordinator.

    The password must pass :func:`survey.passwords.password_problems` (12 characters, zxcvbn
    score 3); the problems name the field and say why in plain words.
    """
    problems: list[Problem] = []
    if role not in {r.value for r in Role}:
        problems.append(Problem(("role",), f"unknown role {role!r}: use one of {_ROLE_LIST}"))
    if not username.strip():
        problems.append(Problem(("username",), "the username is empty"))
    elif len(username) > 64:
        problems.append(Problem(("username",), "the username may have at most 64 characters"))
    if len(full_name) > 200:
        problems.append(Problem(("full_name",), "the full name may have at most 200 characters"))
    for reason in password_problems(password, user_inputs=[username, full_name]):
        problems.append(Problem(("password",), reason))
    problems += _check_scopes(scopes or [])
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
    record_event(
        session=session,
        action="user.created",
        actor=actor,
        actor_name="" if actor else "command line",
        target=f"user:{username}",
        details={"role": role, "scopes": _scope_names(scopes or [])},
        address=address,
    )
    session.commit()
    session.refresh(user)
    return user


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    address: str | None = None,
    limits: RateLimits | None = None,
    checker: PasswordChecker | None = None,
) -> StaffUser:
    """Return the active user with these credentials, or raise.

    Raises TooManyRequests at once when the password checker is full or a sign-in limit is
    reached (``limits``; the command line passes none), and NotAuthenticated for a wrong name or
    password or a disabled account, after committing an ``auth.login_failed`` audit entry. Known
    and unknown names both cost one Argon2 verification.
    """
    checker = checker or password_checker()
    checker.admit()
    try:
        if limits is not None:
            limits.hit_login(username=username, address=address)
        user = None
        if len(username) <= 64:
            user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
        stored = user.password_hash if user is not None else dummy_hash()
        matches = checker.verify(stored, password[: 4 * MAX_LENGTH])
    finally:
        checker.leave()
    if user is not None and matches and user.is_active:
        return user
    reason = "unknown_user" if user is None else "wrong_password" if not matches else "disabled"
    record_event(
        session=session,
        action="auth.login_failed",
        actor_name=username,
        target=f"user:{username}",
        details={"reason": reason},
        address=address,
    )
    session.commit()
    if reason == "disabled":
        raise AccountDisabled("this account is disabled: ask an administrator to enable it")
    raise NotAuthenticated("wrong username or password")


def _add_token(
    session: Session, *, user_id: int, name: str, kind: TokenKind, expires_at: datetime
) -> tuple[ApiToken, str]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user_id, name=name, kind=kind, token_hash=_token_hash(token), expires_at=expires_at
    )
    session.add(row)
    session.flush()
    return row, token


def sign_in(
    *,
    session: Session,
    username: str,
    password: str,
    address: str | None,
    limits: RateLimits | None,
    checker: PasswordChecker | None = None,
    lifetimes: TokenLifetimes = DEFAULT_LIFETIMES,
) -> tuple[StaffUser, str]:
    """Authenticate and open a web session; returns the user and the session token (cookie)."""
    user = authenticate(
        session=session,
        username=username,
        password=password,
        address=address,
        limits=limits,
        checker=checker,
    )
    assert user.id is not None
    _row, token = _add_token(
        session,
        user_id=user.id,
        name=SESSION_TOKEN_NAME,
        kind=TokenKind.SESSION,
        expires_at=utcnow() + lifetimes.session_max,
    )
    record_event(
        session=session,
        action="auth.login",
        actor=user,
        target=f"user:{user.username}",
        details={"kind": TokenKind.SESSION.value},
        address=address,
    )
    session.commit()
    return user, token


def _token_expiry(
    name: str, expires_at: datetime | None, lifetimes: TokenLifetimes
) -> tuple[list[Problem], datetime]:
    now = utcnow()
    problems = []
    if not name.strip() or len(name) > 100:
        problems.append(Problem(("name",), "a token name has 1 to 100 characters"))
    latest = now + lifetimes.api
    if expires_at is None:
        return problems, latest
    if expires_at.tzinfo is None:
        problems.append(
            Problem(("expires_at",), "give the expiry with its time zone, e.g. 2027-01-31T00:00Z")
        )
        return problems, latest
    if expires_at <= now:
        problems.append(Problem(("expires_at",), "the expiry must be in the future"))
    elif expires_at > latest + timedelta(minutes=1):
        problems.append(
            Problem(
                ("expires_at",),
                f"a token lives at most {lifetimes.api.days} days: choose a date before "
                f"{latest:%Y-%m-%d}",
            )
        )
    return problems, min(expires_at, latest)


def create_api_token(
    *,
    session: Session,
    user_id: int,
    name: str,
    expires_at: datetime | None = None,
    actor: StaffUser | None = None,
    address: str | None = None,
    lifetimes: TokenLifetimes = DEFAULT_LIFETIMES,
) -> str:
    """Create a token for scripts; the returned token is shown once, only its hash is stored.

    It expires after ``lifetimes.api`` (90 days by default) or at ``expires_at`` if earlier.
    """
    problems, expiry = _token_expiry(name, expires_at, lifetimes)
    if problems:
        raise InvalidInput("the token cannot be created", problems)
    owner = get_user(session=session, user_id=user_id)
    row, token = _add_token(
        session, user_id=user_id, name=name.strip(), kind=TokenKind.API, expires_at=expiry
    )
    record_event(
        session=session,
        action="token.created",
        actor=actor,
        actor_name="" if actor else "command line",
        target=f"user:{owner.username}",
        details={"token_id": row.id, "name": row.name, "expires_at": expiry.isoformat()},
        address=address,
    )
    session.commit()
    return token


def issue_api_token(
    *,
    session: Session,
    username: str,
    password: str,
    name: str,
    expires_at: datetime | None,
    address: str | None,
    limits: RateLimits | None,
    checker: PasswordChecker | None = None,
    lifetimes: TokenLifetimes = DEFAULT_LIFETIMES,
) -> tuple[str, ApiTokenPublic]:
    """Exchange a username and password for a script's token (shown once) and its listing."""
    problems, expiry = _token_expiry(name, expires_at, lifetimes)
    if problems:
        raise InvalidInput("the token cannot be created", problems)
    user = authenticate(
        session=session,
        username=username,
        password=password,
        address=address,
        limits=limits,
        checker=checker,
    )
    assert user.id is not None
    row, token = _add_token(
        session, user_id=user.id, name=name.strip(), kind=TokenKind.API, expires_at=expiry
    )
    record_event(
        session=session,
        action="auth.login",
        actor=user,
        target=f"user:{user.username}",
        details={"kind": TokenKind.API.value},
        address=address,
    )
    record_event(
        session=session,
        action="token.created",
        actor=user,
        target=f"user:{user.username}",
        details={"token_id": row.id, "name": row.name, "expires_at": expiry.isoformat()},
        address=address,
    )
    session.commit()
    session.refresh(row)
    return token, _token_public(row, user.username, utcnow(), lifetimes)


def sign_out(*, session: Session, token: str, address: str | None = None) -> None:
    """End a web session (revokes its token); an unknown or revoked token changes nothing."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    session.add(row)
    user = session.get(StaffUser, row.user_id)
    record_event(
        session=session,
        action="auth.logout",
        actor=user,
        target=f"user:{user.username}" if user else "",
        details={"token_id": row.id, "kind": row.kind},
        address=address,
    )
    session.commit()


def revoke_api_token(*, session: Session, token: str) -> None:
    """Revoke a token by its value (kept for callers of the first version: see :func:`sign_out`)."""
    sign_out(session=session, token=token)


def _expires(row: ApiToken, lifetimes: TokenLifetimes) -> datetime:
    if row.expires_at is not None:
        return _as_utc(row.expires_at)
    # Rows from before expiry existed: creation + the lifetime of their kind.
    lifetime = lifetimes.session_max if row.kind == TokenKind.SESSION else lifetimes.api
    return _as_utc(row.created_at) + lifetime


def _expired_because(row: ApiToken, now: datetime, lifetimes: TokenLifetimes) -> str | None:
    if now >= _expires(row, lifetimes):
        if row.kind == TokenKind.SESSION:
            return "the session has ended (signed in too long ago): sign in again"
        return "the token has expired: sign in again or create a new token"
    if row.kind == TokenKind.SESSION:
        last = _as_utc(row.last_used_at or row.created_at)
        if now - last >= lifetimes.session_idle:
            return "the session has expired after a long time without use: sign in again"
    return None


def user_for_token(
    *, session: Session, token: str, lifetimes: TokenLifetimes = DEFAULT_LIFETIMES
) -> StaffUser:
    """The active user owning an unrevoked, unexpired token, or NotAuthenticated.

    Records the token's last use (at most once a minute, committed), which keeps a session alive.
    """
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("the token is unknown or revoked: sign in again")
    now = utcnow()
    expired = _expired_because(row, now, lifetimes)
    if expired:
        raise NotAuthenticated(expired)
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("the account is disabled: ask an administrator to enable it")
    if row.last_used_at is None or now - _as_utc(row.last_used_at) >= LAST_USE_PRECISION:
        session.execute(update(ApiToken).where(col(ApiToken.id) == row.id).values(last_used_at=now))
        session.commit()
    return user


def _token_public(
    row: ApiToken, username: str, now: datetime, lifetimes: TokenLifetimes
) -> ApiTokenPublic:
    assert row.id is not None
    if row.revoked_at is not None:
        state = "revoked"
    elif _expired_because(row, now, lifetimes):
        state = "expired"
    else:
        state = "active"
    return ApiTokenPublic(
        id=row.id,
        user_id=row.user_id,
        username=username,
        name=row.name,
        kind=row.kind,
        state=state,
        created_at=_as_utc(row.created_at),
        expires_at=_expires(row, lifetimes),
        last_used_at=_as_utc(row.last_used_at) if row.last_used_at else None,
        revoked_at=_as_utc(row.revoked_at) if row.revoked_at else None,
    )


def list_tokens(
    *,
    session: Session,
    actor: StaffUser,
    user_id: int | None = None,
    include_inactive: bool = False,
    lifetimes: TokenLifetimes = DEFAULT_LIFETIMES,
) -> list[ApiTokenPublic]:
    """A user's sessions and tokens, newest first; only active ones unless ``include_inactive``.

    ``user_id`` defaults to the actor; only an administrator may list another user's.
    """
    if user_id is not None and user_id != actor.id and actor.role != Role.ADMIN:
        raise PermissionDenied("only an administrator may list another user's tokens")
    owner = actor if user_id is None else get_user(session=session, user_id=user_id)
    return _tokens_of(session, owner, include_inactive, lifetimes)


def list_tokens_from_cli(
    *, session: Session, username: str, include_inactive: bool = False
) -> list[ApiTokenPublic]:
    """``sipas token list USER``: whoever runs the command line administers the database."""
    owner = get_user_by_username(session=session, username=username)
    return _tokens_of(session, owner, include_inactive, DEFAULT_LIFETIMES)


def _tokens_of(
    session: Session, owner: StaffUser, include_inactive: bool, lifetimes: TokenLifetimes
) -> list[ApiTokenPublic]:
    rows = session.exec(
        select(ApiToken).where(ApiToken.user_id == owner.id).order_by(col(ApiToken.id).desc())
    ).all()
    now = utcnow()
    listed = [_token_public(row, owner.username, now, lifetimes) for row in rows]
    return [t for t in listed if include_inactive or t.state == "active"]


def revoke_token(
    *,
    session: Session,
    token_id: int,
    actor: StaffUser,
    address: str | None = None,
    lifetimes: TokenLifetimes = DEFAULT_LIFETIMES,
) -> ApiTokenPublic:
    """Revoke a token by id: one's own, or anyone's for an administrator (others: not found)."""
    row = session.get(ApiToken, token_id) if 0 < token_id < 2**63 else None
    if row is None or (row.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound(
            f"no token with id {token_id} among yours: list them with GET /api/auth/tokens"
        )
    owner = get_user(session=session, user_id=row.user_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        record_event(
            session=session,
            action="token.revoked",
            actor=actor,
            target=f"user:{owner.username}",
            details={"token_id": token_id, "name": row.name, "kind": row.kind},
            address=address,
        )
        session.commit()
        session.refresh(row)
    return _token_public(row, owner.username, utcnow(), lifetimes)


def revoke_token_from_cli(*, session: Session, token_id: int) -> ApiTokenPublic:
    """``sipas token revoke ID``: whoever runs the command line administers the database."""
    row = session.get(ApiToken, token_id) if 0 < token_id < 2**63 else None
    if row is None:
        raise NotFound(f"no token with id {token_id}: list them with 'sipas token list USER'")
    owner = get_user(session=session, user_id=row.user_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        record_event(
            session=session,
            action="token.revoked",
            actor_name="command line",
            target=f"user:{owner.username}",
            details={"token_id": token_id, "name": row.name, "kind": row.kind},
        )
        session.commit()
        session.refresh(row)
    return _token_public(row, owner.username, utcnow(), DEFAULT_LIFETIMES)


def _active_admins(session: Session) -> int:
    rows = session.exec(
        select(StaffUser.id).where(StaffUser.role == Role.ADMIN, col(StaffUser.is_active))
    ).all()
    return len(rows)


def disable_user(
    *,
    session: Session,
    user_id: int,
    actor: StaffUser | None = None,
    address: str | None = None,
) -> StaffUser:
    """Disable an account and revoke all its sessions and tokens in the same transaction."""
    user = get_user(session=session, user_id=user_id)
    if not user.is_active:
        return user
    if user.role == Role.ADMIN and _active_admins(session) <= 1:
        raise Conflict(
            f"{user.username} is the last active administrator: create or enable another first"
        )
    user.is_active = False
    session.add(user)
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    record_event(
        session=session,
        action="user.disabled",
        actor=actor,
        actor_name="" if actor else "command line",
        target=f"user:{user.username}",
        details={"tokens_revoked": int(result.rowcount)},  # type: ignore[attr-defined]
        address=address,
    )
    session.commit()
    session.refresh(user)
    return user


def enable_user(
    *,
    session: Session,
    user_id: int,
    actor: StaffUser | None = None,
    address: str | None = None,
) -> StaffUser:
    """Enable a disabled account (its old tokens stay revoked: the user signs in again)."""
    user = get_user(session=session, user_id=user_id)
    if user.is_active:
        return user
    user.is_active = True
    session.add(user)
    record_event(
        session=session,
        action="user.enabled",
        actor=actor,
        actor_name="" if actor else "command line",
        target=f"user:{user.username}",
        address=address,
    )
    session.commit()
    session.refresh(user)
    return user


def change_user(
    *,
    session: Session,
    user_id: int,
    actor: StaffUser,
    role: str | None = None,
    scopes: list[tuple[str, str]] | None = None,
    full_name: str | None = None,
    address: str | None = None,
) -> StaffUser:
    """Change a user's role, scopes (replaced as a whole) or full name; each change is audited."""
    user = get_user(session=session, user_id=user_id)
    problems: list[Problem] = []
    if role is not None and role not in {r.value for r in Role}:
        problems.append(Problem(("role",), f"unknown role {role!r}: use one of {_ROLE_LIST}"))
    if full_name is not None and len(full_name) > 200:
        problems.append(Problem(("full_name",), "the full name may have at most 200 characters"))
    problems += _check_scopes(scopes or [])
    if problems:
        raise InvalidInput("the user cannot be changed", problems)
    if role is not None and role != user.role:
        if user.role == Role.ADMIN and user.is_active and _active_admins(session) <= 1:
            raise Conflict(
                f"{user.username} is the last active administrator: make another admin first"
            )
        record_event(
            session=session,
            action="user.role_changed",
            actor=actor,
            target=f"user:{user.username}",
            details={"from": user.role, "to": role},
            address=address,
        )
        user.role = role
    if scopes is not None:
        old = session.exec(select(UserScope).where(UserScope.user_id == user_id)).all()
        before = _scope_names([(s.kind, s.code) for s in old])
        after = _scope_names(list(dict.fromkeys(scopes)))
        if before != after:
            session.execute(delete(UserScope).where(col(UserScope.user_id) == user_id))
            for kind, code in dict.fromkeys(scopes):
                session.add(UserScope(user_id=user_id, kind=kind, code=code))
            record_event(
                session=session,
                action="user.scopes_changed",
                actor=actor,
                target=f"user:{user.username}",
                details={"from": before, "to": after},
                address=address,
            )
    if full_name is not None:
        user.full_name = full_name
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def user_public(*, session: Session, user: StaffUser) -> StaffUserPublic:
    """The user as the API shows it, with its scopes as ``kind:code``."""
    scope = user_scope(session=session, user=user)
    scopes = [f"agency:{c}" for c in sorted(scope.agencies or ())] + [
        f"province:{c}" for c in sorted(scope.provinces or ())
    ]
    assert user.id is not None
    return StaffUserPublic(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        is_active=user.is_active,
        scopes=scopes,
    )


def user_scope(*, session: Session, user: StaffUser) -> Scope:
    """The agencies/provinces a user may see; admins and analysts see every unit.

    Coordinators and data-entry clerks may be limited by scope rows."""
    if user.role not in (Role.COORDINATOR, Role.CLERK):
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
