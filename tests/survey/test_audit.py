"""The audit log: entries chain by hash, the database refuses changes, verify finds tampering."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from survey.audit import (
    GENESIS_HASH,
    compute_entry_hash,
    list_events,
    record_event,
    verify_audit_chain,
)
from survey.errors import InvalidInput
from survey.models import AuditEvent, AuditHead, Role
from tests.api.fast_users import make_user


def _append(session: Session, n: int, action: str = "export.responses") -> None:
    for i in range(n):
        record_event(
            session=session,
            action=action,
            actor_name=f"user{i % 3}",
            target=f"campaign:{i}",
            details={"rows": i},
        )
    session.commit()


def test_first_entry_chains_from_genesis_and_each_next_from_the_previous(
    session: Session,
) -> None:
    # A user made without a use case, so these are the log's first two entries.
    admin = make_user(session, Role.ADMIN, "an")
    record_event(session=session, action="auth.login", actor=admin, address="10.0.0.7")
    record_event(
        session=session,
        action="export.sample",
        actor=admin,
        target="draw:3",
        details={"phones_included": True, "units": (1, 2)},
    )
    session.commit()
    first, second = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert (first.id, second.id) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    assert first.actor_id == admin.id and first.actor_name == "an"
    assert first.address == "10.0.0.7"
    assert second.details == {"phones_included": True, "units": [1, 2]}
    assert second.entry_hash == compute_entry_hash(
        id=2,
        occurred_at=second.occurred_at,
        actor_id=admin.id,
        actor_name="an",
        action="export.sample",
        target="draw:3",
        details={"phones_included": True, "units": [1, 2]},
        address=None,
        prev_hash=first.entry_hash,
    )
    head = session.get(AuditHead, 1)
    assert head is not None and (head.last_id, head.last_hash) == (2, second.entry_hash)
    result = verify_audit_chain(session=session)
    assert result.ok and result.entries == 2 and result.first_bad_id is None


def test_an_empty_log_verifies(session: Session) -> None:
    result = verify_audit_chain(session=session)
    assert result.ok and result.entries == 0


def test_record_event_does_not_commit(engine: Engine) -> None:
    with Session(engine) as session:
        record_event(session=session, action="release.published", actor_name="x")
        session.rollback()
    with Session(engine) as session:
        assert session.exec(select(AuditEvent)).all() == []
        _append(session, 1)
        # The rolled-back append took no id: the chain stays gap-free.
        assert session.exec(select(AuditEvent.id)).all() == [1]
        assert verify_audit_chain(session=session).ok


@pytest.mark.parametrize(
    ("details", "fragment"),
    [
        ({"password": "x"}, "password"),
        ({"phone": "0912345678"}, "phone"),
        ({"token": "abc"}, "token"),
        ({"when": datetime.now(UTC)}, "plain JSON"),
        ({"note": "x" * 5000}, "4000"),
    ],
)
def test_details_refuse_secrets_non_json_and_bulk(
    session: Session, details: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        record_event(session=session, action="export.responses", details=details)


def test_actions_must_be_dotted_words(session: Session) -> None:
    with pytest.raises(ValueError, match="dotted"):
        record_event(session=session, action="Export responses")


def test_names_from_requests_are_clipped_not_refused(session: Session) -> None:
    record_event(
        session=session,
        action="auth.login_failed",
        actor_name="u" * 300,
        target="t" * 900,
        address="a" * 100,
    )
    session.commit()
    entry = session.exec(select(AuditEvent)).one()
    assert (len(entry.actor_name), len(entry.target), len(entry.address or "")) == (64, 200, 45)
    assert verify_audit_chain(session=session).ok


def test_update_and_delete_are_refused_by_the_database(engine: Engine) -> None:
    with Session(engine) as session:
        _append(session, 2)
    for statement in (
        "UPDATE audit_event SET actor_name = 'someone' WHERE id = 1",
        "DELETE FROM audit_event WHERE id = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with Session(engine) as session:
        assert verify_audit_chain(session=session).ok
        assert len(session.exec(select(AuditEvent)).all()) == 2


def test_emptying_the_table_is_refused(engine: Engine, backend: str) -> None:
    # SQLite has no TRUNCATE: a DELETE without WHERE is its way to empty a table.
    statement = "TRUNCATE audit_event" if backend == "postgresql" else "DELETE FROM audit_event"
    with Session(engine) as session:
        _append(session, 1)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with Session(engine) as session:
        assert verify_audit_chain(session=session).entries == 1


def _drop_triggers(engine: Engine, backend: str) -> None:
    with engine.begin() as connection:
        if backend == "postgresql":
            connection.execute(text("DROP TRIGGER audit_event_no_update_delete ON audit_event"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
            connection.execute(text("DROP TRIGGER audit_event_no_delete"))


def _restore_triggers(engine: Engine, backend: str) -> None:
    # The PostgreSQL database is shared by the whole test session: put the trigger back.
    if backend == "postgresql":
        with engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TRIGGER audit_event_no_update_delete"
                    " BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW"
                    " EXECUTE FUNCTION audit_event_refuse_change()"
                )
            )


@pytest.mark.parametrize(
    ("statement", "bad_id", "reason"),
    [
        ("UPDATE audit_event SET details = '{\"rows\": 99}' WHERE id = 3", 3, "changed"),
        (
            "UPDATE audit_event SET occurred_at = occurred_at + INTERVAL '1 second' WHERE id = 2"
            " /*pg*/",
            2,
            "changed",
        ),
        ("DELETE FROM audit_event WHERE id = 2", 3, "missing"),
        ("DELETE FROM audit_event WHERE id = 4", 4, "removed"),
    ],
)
def test_verify_finds_a_tampered_chain(
    engine: Engine, backend: str, statement: str, bad_id: int, reason: str
) -> None:
    if "/*pg*/" in statement and backend == "sqlite":
        statement = "UPDATE audit_event SET occurred_at = '2020-01-01 00:00:00.000000' WHERE id = 2"
    with Session(engine) as session:
        _append(session, 4)
    _drop_triggers(engine, backend)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
        with Session(engine) as session:
            result = verify_audit_chain(session=session)
    finally:
        _restore_triggers(engine, backend)
    assert not result.ok
    assert result.first_bad_id == bad_id
    assert reason in result.reason


@pytest.mark.parametrize(
    ("rewritten", "bad_id", "reason"),
    [(2, 3, "does not chain to entry 2"), (3, 3, "entry 3 was rewritten")],
)
def test_a_rewritten_entry_with_a_fresh_hash_is_found(
    engine: Engine, backend: str, rewritten: int, bad_id: int, reason: str
) -> None:
    # The forger recomputes the entry's own hash: the next entry's link (or, for the last
    # entry, the head) still holds the old one.
    with Session(engine) as session:
        _append(session, 3)
        entry = session.get(AuditEvent, rewritten)
        assert entry is not None
        forged = compute_entry_hash(
            id=rewritten,
            occurred_at=entry.occurred_at,
            actor_id=None,
            actor_name="nobody",
            action=entry.action,
            target=entry.target,
            details=entry.details,
            address=None,
            prev_hash=entry.prev_hash,
        )
    _drop_triggers(engine, backend)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE audit_event SET actor_name = 'nobody', entry_hash = :h WHERE id = :i"),
                {"h": forged, "i": rewritten},
            )
        with Session(engine) as session:
            result = verify_audit_chain(session=session)
    finally:
        _restore_triggers(engine, backend)
    assert (result.ok, result.first_bad_id) == (False, bad_id)
    assert reason in result.reason


def test_entries_appended_around_the_head_are_found(engine: Engine) -> None:
    with Session(engine) as session:
        _append(session, 2)
        last = session.get(AuditEvent, 2)
        assert last is not None
        forged = compute_entry_hash(
            id=3,
            occurred_at=last.occurred_at,
            actor_id=None,
            actor_name="",
            action="auth.login",
            target="",
            details={},
            address=None,
            prev_hash=last.entry_hash,
        )
    with engine.begin() as connection:
        # Inserting is allowed; bypassing record_event leaves the head behind.
        connection.execute(
            text(
                "INSERT INTO audit_event (id, occurred_at, actor_name, action, target, details,"
                " prev_hash, entry_hash) VALUES (3, :t, '', 'auth.login', '', '{}', :p, :h)"
            ),
            {"t": last.occurred_at, "p": last.entry_hash, "h": forged},
        )
    with Session(engine) as session:
        result = verify_audit_chain(session=session)
    assert (result.ok, result.first_bad_id) == (False, 3)
    assert "outside the chain" in result.reason


def test_concurrent_appends_from_threads_stay_one_chain(engine: Engine) -> None:
    threads_n, per_thread = 6, 8
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_n)

    def work(k: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with Session(engine) as session:
                    record_event(
                        session=session, action="auth.login", actor_name=f"t{k}", details={"i": i}
                    )
                    session.commit()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads_n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    with Session(engine) as session:
        result = verify_audit_chain(session=session)
        ids = session.exec(select(AuditEvent.id).order_by(col(AuditEvent.id))).all()
    assert result.ok, result.reason
    assert result.entries == threads_n * per_thread
    assert ids == list(range(1, threads_n * per_thread + 1))


def test_list_events_filters_and_pages(session: Session) -> None:
    _append(session, 5, action="export.responses")
    record_event(session=session, action="export.sample", actor_name="lan", target="draw:1")
    record_event(session=session, action="release.published", actor_name="lan", target="release:2")
    session.commit()
    everything = list_events(session=session)
    assert everything.total == 7
    assert [e.id for e in everything.events] == [7, 6, 5, 4, 3, 2, 1]
    assert all(e.occurred_at.tzinfo is not None for e in everything.events)
    assert list_events(session=session, action="export").total == 6
    assert list_events(session=session, action="export.sample").total == 1
    assert {e.action for e in list_events(session=session, actor="lan").events} == {
        "export.sample",
        "release.published",
    }
    assert [e.id for e in list_events(session=session, target="release:2").events] == [7]
    page = list_events(session=session, limit=2, offset=2)
    assert ([e.id for e in page.events], page.total) == ([5, 4], 7)
    now = datetime.now(UTC)
    assert list_events(session=session, since=now - timedelta(hours=1)).total == 7
    assert list_events(session=session, since=now + timedelta(hours=1)).total == 0
    assert list_events(session=session, until=now - timedelta(hours=1)).total == 0
    ict = now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert list_events(session=session, until=ict + timedelta(minutes=5)).total == 7


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**63}, "offset"),
        (
            {"since": datetime(2026, 1, 2, tzinfo=UTC), "until": datetime(2026, 1, 1, tzinfo=UTC)},
            "until",
        ),
    ],
)
def test_list_events_refuses_bad_bounds(
    session: Session, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        list_events(session=session, **kwargs)  # type: ignore[arg-type]
    assert caught.value.problems[0].loc == ("query", field)
