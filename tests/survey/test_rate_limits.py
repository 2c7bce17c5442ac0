"""Rate limits over the database: shared by processes, atomic, and a locked account refuses all."""

from __future__ import annotations

import dataclasses
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.db import make_engine
from survey.errors import NotAuthenticated, TooManyRequests
from survey.models import RateLimitCounter
from survey.rate_limits import RateLimits, SignInLocked, SqlStorage
from survey.settings import Settings
from survey.users import authenticate
from tests.api.fast_users import PASSWORD, make_user


def test_the_storage_counts_expires_and_clears(engine: Engine) -> None:
    storage = SqlStorage(engine)
    assert storage.check()
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("k", 60, amount=5) == 8
    assert storage.get("k") == 8
    assert time.time() < storage.get_expiry("k") <= time.time() + 60
    # A window that has ended starts again from the new hit, with a new end.
    with engine.begin() as connection:
        connection.execute(
            update(RateLimitCounter).values(expires_at=time.time() - 1)  # type: ignore[arg-type]
        )
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    storage.clear("k")
    assert storage.get("k") == 0
    storage.incr("a", 60)
    storage.incr("b", 60)
    assert storage.reset() == 2


def test_two_processes_share_one_counter(settings: Settings, engine: Engine) -> None:
    other = make_engine(settings)  # another process's engine: its own connections and pool
    try:
        mine, theirs = SqlStorage(engine), SqlStorage(other)
        assert mine.incr("shared", 60) == 1
        assert theirs.incr("shared", 60) == 2
        assert mine.get("shared") == theirs.get("shared") == 2
    finally:
        other.dispose()


def test_concurrent_hits_are_never_lost(settings: Settings, engine: Engine) -> None:
    engines = [make_engine(settings) for _ in range(4)]
    storages = [SqlStorage(e) for e in engines]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            counts = list(pool.map(lambda i: storages[i % 4].incr("race", 60), range(200)))
    finally:
        for e in engines:
            e.dispose()
    # Every hit saw a distinct count: the upsert is atomic on this database.
    assert sorted(counts) == list(range(1, 201))
    assert SqlStorage(engine).get("race") == 200


def test_expired_rows_are_swept(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("survey.rate_limits.SWEEP_EVERY", 3)
    storage = SqlStorage(engine)
    storage.incr("old", 60)
    with engine.begin() as connection:
        connection.execute(text("UPDATE rate_limit_counter SET expires_at = 0"))
    storage.incr("new", 60)
    storage.incr("new", 60)  # the third hit sweeps
    with Session(engine) as fresh:
        assert [r.key for r in fresh.exec(select(RateLimitCounter)).all()] == ["new"]


def test_a_locked_account_refuses_the_right_password_and_says_when(
    settings: Settings, engine: Engine, session: Session
) -> None:
    make_user(session, "coordinator", "co")
    limits = RateLimits(
        engine=engine,
        settings=dataclasses.replace(settings, login_limit_per_account="3/15 minutes"),
    )
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        with pytest.raises(NotAuthenticated):
            authenticate(
                session=session,
                username="co",
                password="a wrong guess",
                address=address,
                limits=limits,
            )
    with pytest.raises(SignInLocked) as locked:
        authenticate(
            session=session, username="co", password=PASSWORD, address="10.0.0.4", limits=limits
        )
    assert locked.value.per == "account"
    assert 14 * 60 < locked.value.retry_after <= 15 * 60
    assert "locked for 15 minutes" in locked.value.msg
    assert locked.value.problems[0].loc == ("username",)
    # The name is matched without case or surrounding spaces, and other accounts are not locked.
    with pytest.raises(SignInLocked):
        authenticate(session=session, username=" CO ", password=PASSWORD, limits=limits)
    make_user(session, "analyst", "other")
    assert authenticate(session=session, username="other", password=PASSWORD, limits=limits)
    # No caller is stored in clear.
    keys = [r.key.split("/") for r in session.exec(select(RateLimitCounter)).all()]
    assert {k[1] for k in keys} == {"login-account", "login-address"}
    assert all(re.fullmatch("[0-9a-f]{32}", k[2]) for k in keys)


def test_an_address_over_its_limit_is_refused_for_any_account(
    settings: Settings, engine: Engine, session: Session
) -> None:
    make_user(session, "coordinator", "co")
    limits = RateLimits(
        engine=engine, settings=dataclasses.replace(settings, login_limit_per_address="2/minute")
    )
    for name in ("a", "b"):
        with pytest.raises(NotAuthenticated):
            authenticate(
                session=session, username=name, password="x" * 12, address="10.9.9.9", limits=limits
            )
    with pytest.raises(SignInLocked) as locked:
        authenticate(
            session=session, username="co", password=PASSWORD, address="10.9.9.9", limits=limits
        )
    assert locked.value.per == "address" and 0 < locked.value.retry_after <= 60
    assert "seconds" in locked.value.msg
    assert authenticate(
        session=session, username="co", password=PASSWORD, address="10.9.9.8", limits=limits
    )


def test_citizen_and_callback_limits_are_per_address(settings: Settings, engine: Engine) -> None:
    limits = RateLimits(
        engine=engine,
        settings=dataclasses.replace(
            settings, citizen_limit_per_address="2/minute", callback_limit_per_address="1/minute"
        ),
    )
    limits.hit_citizen_page(address="1.2.3.4")
    limits.hit_citizen_page(address="1.2.3.4")
    with pytest.raises(TooManyRequests) as refused:
        limits.hit_citizen_page(address="1.2.3.4")
    assert refused.value.retry_after <= 60
    limits.hit_citizen_page(address="1.2.3.5")
    limits.hit_callback(address="1.2.3.4")  # a separate counter from the citizen pages
    with pytest.raises(TooManyRequests):
        limits.hit_callback(address="1.2.3.4")


def test_a_bad_limit_setting_names_its_variable(settings: Settings, engine: Engine) -> None:
    with pytest.raises(ValueError, match="SIPAS_LOGIN_LIMIT_PER_ACCOUNT='ten a minute'"):
        RateLimits(
            engine=engine,
            settings=dataclasses.replace(settings, login_limit_per_account="ten a minute"),
        )
