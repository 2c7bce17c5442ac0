"""Accounts: password policy, equal work for unknown names, expiry, revocation, disabling, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from survey.models import ApiToken, StaffUser
from survey.models.audit import AuditEvent
from survey.models.users import TokenKind
from survey.passwords import PasswordChecker, hash_password
from survey.users import (
    AccountDisabled,
    TokenLifetimes,
    authenticate,
    change_user,
    create_api_token,
    create_user,
    disable_user,
    enable_user,
    list_tokens,
    revoke_token,
    sign_in,
    sign_out,
    user_for_token,
    user_scope,
)
from tests.api.fast_users import PASSWORD, make_user

GOOD_PASSWORD = "violet tractor humming quietly"


class CountingChecker(PasswordChecker):
    """The real checker, counting verifications and the hashes they were given."""

    def __init__(self) -> None:
        super().__init__(concurrency=1, queue=4)
        self.hashes: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.hashes.append(password_hash)
        return super().verify(password_hash, password)


def actions(engine: Engine) -> list[tuple[str, str, dict[str, object]]]:
    """The audit log as a fresh connection sees it (so only committed entries)."""
    with Session(engine) as fresh:
        rows = fresh.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        return [(r.action, r.actor_name, dict(r.details)) for r in rows]


def test_weak_and_short_passwords_are_refused_with_the_field(session: Session) -> None:
    with pytest.raises(InvalidInput) as short:
        create_user(session=session, username="an", password="short pw", role="analyst")
    assert [(p.loc, p.msg) for p in short.value.problems] == [
        (("password",), "the password needs at least 12 characters")
    ]
    with pytest.raises(InvalidInput) as common:
        create_user(session=session, username="an", password="Password123456", role="analyst")
    [problem] = common.value.problems
    assert problem.loc == ("password",)
    assert problem.msg.startswith("the password is too easy to guess: ")
    assert "commonly used password" in problem.msg
    with pytest.raises(InvalidInput) as own_name:
        create_user(
            session=session, username="nguyenvanbinh", password="nguyenvanbinh1", role="analyst"
        )
    assert own_name.value.problems[0].loc == ("password",)
    assert session.exec(select(StaffUser)).first() is None


def test_the_test_helpers_password_passes_the_policy(session: Session, engine: Engine) -> None:
    user = create_user(session=session, username="helper", password=PASSWORD, role="coordinator")
    assert user.id is not None
    assert actions(engine) == [
        ("user.created", "command line", {"role": "coordinator", "scopes": []})
    ]


def test_known_unknown_and_disabled_names_each_cost_one_verification(
    session: Session, engine: Engine
) -> None:
    known = make_user(session, "analyst", "known")
    checker = CountingChecker()
    assert (
        authenticate(session=session, username="known", password=PASSWORD, checker=checker).id
        == known.id
    )
    with pytest.raises(NotAuthenticated, match="wrong username or password"):
        authenticate(session=session, username="known", password="not it at all", checker=checker)
    with pytest.raises(NotAuthenticated, match="wrong username or password"):
        authenticate(session=session, username="nobody", password=PASSWORD, checker=checker)
    disable_user(session=session, user_id=known.id)  # type: ignore[arg-type]
    with pytest.raises(AccountDisabled, match="disabled"):
        authenticate(session=session, username="known", password=PASSWORD, checker=checker)
    # One Argon2 verification per attempt, and the unknown name's is against a real Argon2 hash.
    assert len(checker.hashes) == 4
    assert checker.hashes[2] != known.password_hash
    assert checker.hashes[2].startswith("$argon2id$")
    assert checker.admitted == 0
    failed = [a for a in actions(engine) if a[0] == "auth.login_failed"]
    assert failed == [
        ("auth.login_failed", "known", {"reason": "wrong_password"}),
        ("auth.login_failed", "nobody", {"reason": "unknown_user"}),
        ("auth.login_failed", "known", {"reason": "disabled"}),
    ]


def test_a_wrong_password_with_a_disabled_account_does_not_say_it_is_disabled(
    session: Session,
) -> None:
    user = make_user(session, "analyst", "gone")
    make_user(session, "admin", "boss")
    disable_user(session=session, user_id=user.id)  # type: ignore[arg-type]
    with pytest.raises(NotAuthenticated) as error:
        authenticate(session=session, username="gone", password="wrong password here")
    assert not isinstance(error.value, AccountDisabled)


def test_sign_in_opens_a_session_and_sign_out_revokes_it(session: Session, engine: Engine) -> None:
    make_user(session, "coordinator", "co")
    user, token = sign_in(
        session=session, username="co", password=PASSWORD, address="10.0.0.7", limits=None
    )
    row = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.kind == TokenKind.SESSION and row.name == "web sign-in"
    assert user_for_token(session=session, token=token).id == user.id
    sign_out(session=session, token=token, address="10.0.0.7")
    with pytest.raises(NotAuthenticated, match="revoked"):
        user_for_token(session=session, token=token)
    logged = [(a, n) for a, n, _d in actions(engine)]
    assert logged == [("auth.login", "co"), ("auth.logout", "co")]


def _age(session: Session, token_id: int, **columns: datetime) -> None:
    session.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(**columns))
    session.commit()


def test_sessions_end_after_idle_time_and_after_the_absolute_limit(session: Session) -> None:
    make_user(session, "coordinator", "co")
    lifetimes = TokenLifetimes(
        session_idle=timedelta(hours=8), session_max=timedelta(hours=12), api=timedelta(days=90)
    )
    _user, token = sign_in(
        session=session, username="co", password=PASSWORD, address=None, limits=None
    )
    row = session.exec(select(ApiToken)).one()
    assert row.id is not None
    now = datetime.now(UTC)
    # Used 7 hours ago: still alive, and this use moves last_used_at to now.
    _age(session, row.id, last_used_at=now - timedelta(hours=7))
    user_for_token(session=session, token=token, lifetimes=lifetimes)
    session.refresh(row)
    assert row.last_used_at is not None
    assert now - row.last_used_at.replace(tzinfo=UTC) < timedelta(minutes=1)
    # 8 hours without use: refused.
    _age(session, row.id, last_used_at=now - timedelta(hours=8, minutes=1))
    with pytest.raises(NotAuthenticated, match="without use: sign in again"):
        user_for_token(session=session, token=token, lifetimes=lifetimes)
    # In use all along, but signed in more than 12 hours ago: refused too.
    _age(session, row.id, last_used_at=now, expires_at=now - timedelta(seconds=1))
    with pytest.raises(NotAuthenticated, match="sign in again"):
        user_for_token(session=session, token=token, lifetimes=lifetimes)


def test_api_tokens_expire_after_their_lifetime_or_their_own_date(session: Session) -> None:
    user = make_user(session, "analyst", "script")
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="nightly")
    row = session.exec(select(ApiToken)).one()
    assert row.kind == TokenKind.API and row.expires_at is not None
    lifetime = row.expires_at.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(days=89, hours=23) < lifetime <= timedelta(days=90)
    # Idle time does not end a script's token.
    _age(session, row.id, last_used_at=datetime.now(UTC) - timedelta(days=30))  # type: ignore[arg-type]
    assert user_for_token(session=session, token=token).id == user.id
    _age(session, row.id, expires_at=datetime.now(UTC) - timedelta(seconds=1))  # type: ignore[arg-type]
    with pytest.raises(NotAuthenticated, match="expired"):
        user_for_token(session=session, token=token)

    soon = datetime.now(UTC) + timedelta(days=7)
    create_api_token(session=session, user_id=user.id, name="week", expires_at=soon)
    week = session.exec(select(ApiToken).where(ApiToken.name == "week")).one()
    assert week.expires_at is not None
    assert abs(week.expires_at.replace(tzinfo=UTC) - soon) < timedelta(seconds=1)
    for bad, message in [
        (datetime.now(UTC) - timedelta(days=1), "in the future"),
        (datetime.now(UTC) + timedelta(days=91), "at most 90 days"),
        (datetime(2030, 1, 1), "time zone"),
    ]:
        with pytest.raises(InvalidInput) as error:
            create_api_token(session=session, user_id=user.id, name="x", expires_at=bad)
        assert error.value.problems[0].loc == ("expires_at",)
        assert message in error.value.problems[0].msg


def test_tokens_from_before_expiry_existed_live_their_kinds_lifetime(session: Session) -> None:
    user = make_user(session, "analyst", "old")
    assert user.id is not None
    token = create_api_token(session=session, user_id=user.id, name="legacy")
    row = session.exec(select(ApiToken)).one()
    assert row.id is not None
    _age(session, row.id, expires_at=None, created_at=datetime.now(UTC) - timedelta(days=89))  # type: ignore[arg-type]
    assert user_for_token(session=session, token=token).id == user.id
    _age(session, row.id, created_at=datetime.now(UTC) - timedelta(days=91))
    with pytest.raises(NotAuthenticated, match="expired"):
        user_for_token(session=session, token=token)


def test_listing_and_revoking_tokens_by_id(session: Session, engine: Engine) -> None:
    alice = make_user(session, "analyst", "alice")
    bob = make_user(session, "coordinator", "bob")
    admin = make_user(session, "admin", "root")
    assert alice.id and bob.id
    alice_token = create_api_token(session=session, user_id=alice.id, name="alice's")
    create_api_token(session=session, user_id=bob.id, name="bob's")
    [mine] = list_tokens(session=session, actor=alice)
    assert (mine.name, mine.username, mine.state, mine.kind) == (
        "alice's",
        "alice",
        "active",
        "api",
    )
    assert "token_hash" not in mine.model_dump()
    with pytest.raises(PermissionDenied):
        list_tokens(session=session, actor=alice, user_id=bob.id)
    [bobs] = list_tokens(session=session, actor=admin, user_id=bob.id)
    with pytest.raises(NotFound):
        revoke_token(session=session, token_id=bobs.id, actor=alice)
    assert revoke_token(session=session, token_id=bobs.id, actor=admin).state == "revoked"
    assert revoke_token(session=session, token_id=mine.id, actor=alice).state == "revoked"
    with pytest.raises(NotAuthenticated, match="revoked"):
        user_for_token(session=session, token=alice_token)
    assert list_tokens(session=session, actor=alice) == []
    assert [t.state for t in list_tokens(session=session, actor=alice, include_inactive=True)] == [
        "revoked"
    ]
    with pytest.raises(NotFound):
        revoke_token(session=session, token_id=2**63, actor=admin)
    revoked = [(n, d["token_id"]) for a, n, d in actions(engine) if a == "token.revoked"]
    assert revoked == [("root", bobs.id), ("alice", mine.id)]


def test_disabling_revokes_every_session_and_token_at_once(
    session: Session, engine: Engine
) -> None:
    admin = make_user(session, "admin", "root")
    user = make_user(session, "coordinator", "co")
    assert user.id is not None
    api_token = create_api_token(session=session, user_id=user.id, name="script")
    _user, session_token = sign_in(
        session=session, username="co", password=PASSWORD, address=None, limits=None
    )
    disable_user(session=session, user_id=user.id, actor=admin, address="10.1.1.1")
    for token in (api_token, session_token):
        with pytest.raises(NotAuthenticated, match="revoked"):
            user_for_token(session=session, token=token)
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert len(rows) == 2 and all(r.revoked_at is not None for r in rows)
    enable_user(session=session, user_id=user.id, actor=admin)
    # Enabled again, the old tokens stay revoked: the user signs in afresh.
    with pytest.raises(NotAuthenticated):
        user_for_token(session=session, token=api_token)
    log = [(a, n, d) for a, n, d in actions(engine) if a.startswith("user.")]
    assert log == [
        ("user.disabled", "root", {"tokens_revoked": 2}),
        ("user.enabled", "root", {}),
    ]


def test_the_last_active_administrator_cannot_be_disabled_or_demoted(session: Session) -> None:
    root = make_user(session, "admin", "root")
    assert root.id is not None
    with pytest.raises(Conflict, match="last active administrator"):
        disable_user(session=session, user_id=root.id)
    with pytest.raises(Conflict, match="last active administrator"):
        change_user(session=session, user_id=root.id, actor=root, role="analyst")
    second = make_user(session, "admin", "second")
    assert disable_user(session=session, user_id=root.id, actor=second).is_active is False


def test_role_and_scope_changes_are_audited(session: Session, engine: Engine) -> None:
    admin = make_user(session, "admin", "root")
    user = make_user(session, "coordinator", "co", scopes=[("agency", "A1")])
    assert user.id is not None
    change_user(
        session=session,
        user_id=user.id,
        actor=admin,
        role="coordinator",
        scopes=[("province", "01"), ("agency", "A2")],
    )
    scope = user_scope(session=session, user=session.get(StaffUser, user.id))  # type: ignore[arg-type]
    assert (scope.agencies, scope.provinces) == (frozenset({"A2"}), frozenset({"01"}))
    change_user(session=session, user_id=user.id, actor=admin, role="analyst", scopes=[])
    log = [(a, d) for a, _n, d in actions(engine) if a.startswith("user.")]
    assert log == [
        ("user.scopes_changed", {"from": ["agency:A1"], "to": ["agency:A2", "province:01"]}),
        ("user.role_changed", {"from": "coordinator", "to": "analyst"}),
        ("user.scopes_changed", {"from": ["agency:A2", "province:01"], "to": []}),
    ]
    with pytest.raises(InvalidInput) as error:
        change_user(session=session, user_id=user.id, actor=admin, role="boss")
    assert error.value.problems[0].loc == ("role",)


def test_a_real_hash_round_trip(session: Session) -> None:
    # One user through the real create_user path (a real Argon2 hash), signing in with it.
    create_user(session=session, username="real", password=GOOD_PASSWORD, role="analyst")
    assert authenticate(session=session, username="real", password=GOOD_PASSWORD).username == "real"
    assert hash_password(GOOD_PASSWORD) != hash_password(GOOD_PASSWORD)
