"""The submission's one-statement link read and draft lock (PostgreSQL only: SQLite has no
``FOR UPDATE``; its submissions go through resolve_link and submit_draft, tested elsewhere)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from survey.errors import Conflict, InvalidInput
from survey.models import Invitation, Response, utcnow
from survey.responses import (
    _LOCK_DRAFT,
    lock_link_for_submit,
    resolve_link,
    start_or_resume,
    submit_locked_draft,
    submit_response,
)
from survey.settings import Settings
from tests.survey.responses_fixtures import Fieldwork, build_fieldwork, full_answers


@pytest.fixture
def fieldwork(session: Session, settings: Settings) -> Fieldwork:
    if settings.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite has no FOR UPDATE")
    return build_fieldwork(session, settings.secret_key, n=6)


def _invitation(session: Session, fieldwork: Fieldwork, i: int = 0) -> Invitation:
    invitation = session.get(Invitation, fieldwork.invitation_ids[i])
    assert invitation is not None
    return invitation


def _draft_with_answers(session: Session, fieldwork: Fieldwork, i: int = 0) -> int:
    response = start_or_resume(session=session, invitation=_invitation(session, fieldwork, i))
    response.answers = full_answers(fieldwork.definition)
    session.add(response)
    session.commit()
    assert response.id is not None
    return response.id


def test_the_locked_link_has_the_states_resolve_link_has(
    session: Session, settings: Settings, fieldwork: Fieldwork
) -> None:
    secret = settings.secret_key
    tokens = fieldwork.tokens
    submit_response(
        session=session,
        invitation=_invitation(session, fieldwork, 0),
        answers=full_answers(fieldwork.definition),
    )
    revoked = _invitation(session, fieldwork, 1)
    revoked.revoked_at = utcnow()
    expired = _invitation(session, fieldwork, 2)
    expired.expires_at = utcnow() - timedelta(minutes=1)
    opted_out = _invitation(session, fieldwork, 3)
    opted_out.opted_out_at = utcnow()
    session.add_all([revoked, expired, opted_out])
    session.commit()
    _draft_with_answers(session, fieldwork, 4)
    for token in [*tokens, "x" * 43]:
        locked = lock_link_for_submit(session=session, secret_key=secret, token=token)
        session.rollback()
        resolved = resolve_link(session=session, secret_key=secret, token=token)
        session.rollback()
        assert locked.state == resolved.state, token
        assert (locked.answers is None) == (resolved.response is None), token
    states = [
        lock_link_for_submit(session=session, secret_key=secret, token=t).state for t in tokens
    ]
    assert states == ["completed", "revoked", "expired", "opted_out", "ok", "ok"]


def test_a_locked_draft_is_submitted_once_with_its_stored_answers(
    engine: Engine, settings: Settings, fieldwork: Fieldwork
) -> None:
    with Session(engine) as session:
        draft_id = _draft_with_answers(session, fieldwork)
    token = fieldwork.tokens[0]
    with Session(engine) as session:
        link = lock_link_for_submit(session=session, secret_key=settings.secret_key, token=token)
        assert link.state == "ok" and link.answers == full_answers(fieldwork.definition)
        result = submit_locked_draft(session=session, link=link)
    assert result.created and result.response_id == draft_id
    with Session(engine) as session:
        row = session.get(Response, draft_id)
        assert row is not None
        assert (row.status, row.invitation_id) == ("completed", None)
        assert row.answers == full_answers(fieldwork.definition)
        assert _invitation(session, fieldwork).completed_at is not None
        # A retry finds the link completed and no draft: nothing more is written.
        again = lock_link_for_submit(session=session, secret_key=settings.secret_key, token=token)
        assert (again.state, again.answers) == ("completed", None)
        with pytest.raises(Conflict):
            submit_locked_draft(session=session, link=again)
        count = session.exec(select(Response).where(col(Response.status) == "completed")).all()
        assert len(count) == 1


def test_the_draft_stays_locked_until_the_submission_ends(
    engine: Engine, settings: Settings, fieldwork: Fieldwork
) -> None:
    """A save from another window cannot slip in between the lock and the completion."""
    with Session(engine) as session:
        draft_id = _draft_with_answers(session, fieldwork)
    token = fieldwork.tokens[0]
    with Session(engine) as submitting, Session(engine) as saving:
        link = lock_link_for_submit(session=submitting, secret_key=settings.secret_key, token=token)
        assert link.answers is not None
        connection = saving.connection()
        connection.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            connection.execute(_LOCK_DRAFT, {"response": draft_id})
        saving.rollback()
        submit_locked_draft(session=submitting, link=link)
        # Once committed, the save's lock finds no draft in progress.
        assert saving.connection().execute(_LOCK_DRAFT, {"response": draft_id}).first() is None


def test_an_incomplete_locked_draft_is_refused_and_changes_nothing(
    engine: Engine, settings: Settings, fieldwork: Fieldwork
) -> None:
    with Session(engine) as session:
        start_or_resume(session=session, invitation=_invitation(session, fieldwork))
    with Session(engine) as session:
        link = lock_link_for_submit(
            session=session, secret_key=settings.secret_key, token=fieldwork.tokens[0]
        )
        with pytest.raises(InvalidInput):
            submit_locked_draft(session=session, link=link)
    with Session(engine) as session:
        assert _invitation(session, fieldwork).completed_at is None
        (row,) = session.exec(select(Response)).all()
        assert row.status == "in_progress"


def test_unknown_and_used_links_run_the_same_statement(
    engine: Engine, settings: Settings, fieldwork: Fieldwork
) -> None:
    """Not a timing test: the same SQL whatever the token (resolve_link's promise)."""
    with Session(engine) as session:
        submit_response(
            session=session,
            invitation=_invitation(session, fieldwork, 0),
            answers=full_answers(fieldwork.definition),
        )
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(re.sub(r"\s+", " ", statement))

    runs = {}
    for name, token in [("used", fieldwork.tokens[0]), ("unknown", "A" * 43)]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        with Session(engine) as session:
            lock_link_for_submit(session=session, secret_key=settings.secret_key, token=token)
        event.remove(engine, "before_cursor_execute", record)
        runs[name] = list(statements)
    assert runs["used"] == runs["unknown"]
    assert len(runs["used"]) == 1
