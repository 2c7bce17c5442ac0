"""Responses: saved page by page, submitted exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import survey.responses as responses_module
from survey.errors import Conflict, InvalidInput, NotFound
from survey.models import Invitation, Response, utcnow
from survey.responses import (
    SubmitResult,
    resolve_link,
    save_page,
    start_or_resume,
    submission_hash,
    submit_response,
)
from survey.settings import Settings
from survey.tokens import make_token, new_salt
from tests.survey.responses_fixtures import Fieldwork, build_fieldwork, full_answers, page_form

THREADS = 8


@pytest.fixture
def fieldwork(session: Session, settings: Settings) -> Fieldwork:
    return build_fieldwork(session, settings.secret_key, n=4)


def _invitation(session: Session, fieldwork: Fieldwork, i: int = 0) -> Invitation:
    invitation = session.get(Invitation, fieldwork.invitation_ids[i])
    assert invitation is not None
    return invitation


def _count_responses(session: Session, invitation_id: int | None = None) -> int:
    statement = select(func.count()).select_from(Response)
    if invitation_id is not None:
        statement = statement.where(col(Response.invitation_id) == invitation_id)
    return int(session.exec(statement).one())


def test_a_response_copies_what_analysis_needs_and_no_contact_data(
    session: Session, fieldwork: Fieldwork
) -> None:
    invitation = _invitation(session, fieldwork, 1)
    response = start_or_resume(session=session, invitation=invitation)
    # Values set by the fixture for the second dossier (odd index).
    assert (response.stratum, response.inclusion_prob, response.weight) == ("79-Q1", 0.5, 2.0)
    assert (response.agency_code, response.province_code, response.level) == (
        "79-Q1",
        "79",
        "commune",
    )
    assert (response.procedure_field, response.channel) == ("Hộ tịch", "online")
    assert response.questionnaire_id == fieldwork.questionnaire_id
    assert response.status == "in_progress"
    assert not [name for name in Response.model_fields if "phone" in name or "contact" in name]
    assert invitation.phone_e164 is not None
    assert invitation.phone_e164 not in repr(response.model_dump())
    session.refresh(invitation)
    assert invitation.started_at is not None


def test_start_or_resume_twice_gives_the_same_row(session: Session, fieldwork: Fieldwork) -> None:
    invitation = _invitation(session, fieldwork)
    first = start_or_resume(session=session, invitation=invitation)
    second = start_or_resume(session=session, invitation=invitation)
    assert first.id == second.id
    assert _count_responses(session) == 1


def test_saved_pages_survive_a_closed_browser(engine: Engine, fieldwork: Fieldwork) -> None:
    answers = full_answers(fieldwork.definition, 5)
    with Session(engine) as first_visit:
        invitation = _invitation(first_visit, fieldwork)
        save_page(
            session=first_visit,
            invitation=invitation,
            page=0,
            answers=page_form(fieldwork.definition, 0, answers),
        )
        save_page(
            session=first_visit,
            invitation=invitation,
            page=1,
            answers=page_form(fieldwork.definition, 1, answers),
        )
    with Session(engine) as later_visit:
        resumed = start_or_resume(
            session=later_visit, invitation=_invitation(later_visit, fieldwork)
        )
        assert resumed.current_page == 2
        assert resumed.answers["access_q15"] == 0  # "not applicable" is stored as 0
        assert resumed.answers["procedures_q22"] == 5
        assert "civil_servants_q23" not in resumed.answers


def test_saving_a_page_again_replaces_its_answers(session: Session, fieldwork: Fieldwork) -> None:
    invitation = _invitation(session, fieldwork)
    definition = fieldwork.definition
    save_page(
        session=session,
        invitation=invitation,
        page=0,
        answers=page_form(definition, 0, full_answers(definition, 2)),
    )
    save_page(
        session=session,
        invitation=invitation,
        page=1,
        answers=page_form(definition, 1, full_answers(definition, 2)),
    )
    response = save_page(
        session=session,
        invitation=invitation,
        page=0,
        answers=page_form(definition, 0, full_answers(definition, 3)),
    )
    assert response.answers["access_q16"] == 3
    assert response.answers["procedures_q19"] == 2
    assert response.current_page == 2  # going back does not lose the furthest page reached


def test_an_invalid_page_names_each_item_to_fix(session: Session, fieldwork: Fieldwork) -> None:
    invitation = _invitation(session, fieldwork)
    with pytest.raises(InvalidInput) as caught:
        save_page(
            session=session,
            invitation=invitation,
            page=0,
            answers={"access_q15": "4", "access_q16": "9", "access_q17": "abc"},
        )
    assert sorted(p.loc for p in caught.value.problems) == [
        ("access_q16",),
        ("access_q17",),
        ("access_q18",),
    ]
    with pytest.raises(NotFound):
        save_page(session=session, invitation=invitation, page=99, answers={})


def test_a_retried_submission_is_accepted_once(session: Session, fieldwork: Fieldwork) -> None:
    invitation = _invitation(session, fieldwork)
    answers = full_answers(fieldwork.definition)
    start_or_resume(session=session, invitation=invitation)
    first = submit_response(session=session, invitation=invitation, answers=answers)
    again = submit_response(session=session, invitation=invitation, answers=dict(answers))
    assert first.created and not again.created
    assert (first.response_id, first.submission_hash, first.completed_at) == (
        again.response_id,
        again.submission_hash,
        again.completed_at,
    )
    assert _count_responses(session) == 1
    row = session.get(Response, first.response_id)
    assert row is not None and row.status == "completed"
    assert row.answers["preferred_channel"] == ["direct", "online"]
    session.refresh(invitation)
    assert invitation.completed_at is not None


def test_the_submission_hash_ignores_key_order_but_not_values() -> None:
    assert submission_hash(1, {"a": 1, "b": [1, 2]}) == submission_hash(1, {"b": [1, 2], "a": 1})
    assert submission_hash(1, {"a": 1}) != submission_hash(1, {"a": 2})
    assert submission_hash(1, {"a": 1}) != submission_hash(2, {"a": 1})


def test_a_different_resubmission_is_refused(session: Session, fieldwork: Fieldwork) -> None:
    invitation = _invitation(session, fieldwork)
    submit_response(
        session=session, invitation=invitation, answers=full_answers(fieldwork.definition, 4)
    )
    with pytest.raises(Conflict, match="already submitted"):
        submit_response(
            session=session, invitation=invitation, answers=full_answers(fieldwork.definition, 2)
        )
    with pytest.raises(Conflict):
        save_page(
            session=session,
            invitation=invitation,
            page=0,
            answers=page_form(fieldwork.definition, 0, full_answers(fieldwork.definition, 1)),
        )
    rows = session.exec(select(Response)).all()
    assert len(rows) == 1 and rows[0].answers["access_q16"] == 4


def test_an_incomplete_submission_is_refused_and_changes_nothing(
    session: Session, fieldwork: Fieldwork
) -> None:
    invitation = _invitation(session, fieldwork)
    answers = full_answers(fieldwork.definition)
    del answers["feedback_q33"]
    with pytest.raises(InvalidInput) as caught:
        submit_response(session=session, invitation=invitation, answers=answers)
    assert [p.loc for p in caught.value.problems] == [("feedback_q33",)]
    assert _count_responses(session) == 0


def _race(
    engine: Engine, fieldwork: Fieldwork, answers_for: Callable[[int], dict[str, Any]]
) -> list[SubmitResult | Exception]:
    """Submit from ``THREADS`` threads at once, each with its own session."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[SubmitResult | Exception] = [RuntimeError("not run")] * THREADS

    def worker(k: int) -> None:
        with Session(engine) as session:
            invitation = _invitation(session, fieldwork)
            barrier.wait()
            try:
                outcomes[k] = submit_response(
                    session=session, invitation=invitation, answers=answers_for(k)
                )
            except Exception as error:
                outcomes[k] = error

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("with_draft", [True, False], ids=["draft", "no-draft"])
def test_concurrent_identical_submissions_complete_exactly_once(
    engine: Engine, fieldwork: Fieldwork, with_draft: bool
) -> None:
    if with_draft:
        with Session(engine) as session:
            start_or_resume(session=session, invitation=_invitation(session, fieldwork))
    answers = full_answers(fieldwork.definition)
    outcomes = _race(engine, fieldwork, lambda _k: answers)
    results = [o for o in outcomes if isinstance(o, SubmitResult)]
    assert len(results) == THREADS, [o for o in outcomes if not isinstance(o, SubmitResult)]
    assert sum(r.created for r in results) == 1
    assert len({(r.response_id, r.submission_hash, r.completed_at) for r in results}) == 1
    with Session(engine) as session:
        assert _count_responses(session) == 1


def test_concurrent_different_submissions_one_wins_the_rest_conflict(
    engine: Engine, fieldwork: Fieldwork
) -> None:
    with Session(engine) as session:
        start_or_resume(session=session, invitation=_invitation(session, fieldwork))
    # Levels 1..5 and then repeats: threads with the winner's level get its result back.
    outcomes = _race(engine, fieldwork, lambda k: full_answers(fieldwork.definition, 1 + k % 5))
    winners = [o for o in outcomes if isinstance(o, SubmitResult) and o.created]
    assert len(winners) == 1
    with Session(engine) as session:
        row = session.get(Response, winners[0].response_id)
        assert row is not None
        winning_level = row.answers["access_q16"]
    for k, outcome in enumerate(outcomes):
        if 1 + k % 5 == winning_level:
            assert isinstance(outcome, SubmitResult)
            assert outcome.response_id == winners[0].response_id
        else:
            assert isinstance(outcome, Conflict), outcome
    with Session(engine) as session:
        assert _count_responses(session) == 1


def test_link_states(session: Session, settings: Settings, fieldwork: Fieldwork) -> None:
    secret = settings.secret_key

    def state(token: str) -> str:
        return resolve_link(session=session, secret_key=secret, token=token).state

    tokens = fieldwork.tokens
    assert state(tokens[0]) == "ok"
    assert state("x" * 43) == "unknown"
    assert state(make_token("another-secret", new_salt())) == "unknown"
    submit_response(
        session=session,
        invitation=_invitation(session, fieldwork, 0),
        answers=full_answers(fieldwork.definition),
    )
    assert state(tokens[0]) == "completed"
    revoked = _invitation(session, fieldwork, 1)
    revoked.revoked_at = utcnow()
    expired = _invitation(session, fieldwork, 2)
    expired.expires_at = utcnow() - timedelta(minutes=1)
    opted_out = _invitation(session, fieldwork, 3)
    opted_out.opted_out_at = utcnow()
    session.add_all([revoked, expired, opted_out])
    session.commit()
    assert [state(t) for t in tokens[1:]] == ["revoked", "expired", "opted_out"]


def test_unknown_and_used_links_do_the_same_work(
    engine: Engine,
    session: Session,
    settings: Settings,
    fieldwork: Fieldwork,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not a timing test: both paths must run the same SQL and one constant-time comparison."""
    submit_response(
        session=session,
        invitation=_invitation(session, fieldwork, 0),
        answers=full_answers(fieldwork.definition),
    )
    statements: list[str] = []
    comparisons: list[int] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Same statement text; only the bound parameters may differ.
        statements.append(re.sub(r"\s+", " ", statement))

    real_compare = hmac.compare_digest

    def counting_compare(a: bytes, b: bytes) -> bool:
        comparisons.append(1)
        return real_compare(a, b)

    monkeypatch.setattr(responses_module.hmac, "compare_digest", counting_compare)
    runs: dict[str, tuple[list[str], int]] = {}
    for name, token in [("used", fieldwork.tokens[0]), ("unknown", "A" * 43)]:
        statements.clear()
        comparisons.clear()
        event.listen(engine, "before_cursor_execute", record)
        with Session(engine) as fresh:
            link = resolve_link(session=fresh, secret_key=settings.secret_key, token=token)
        event.remove(engine, "before_cursor_execute", record)
        runs[name] = (list(statements), len(comparisons))
        assert link.state == ("completed" if name == "used" else "unknown")
    assert runs["used"] == runs["unknown"]
    assert runs["used"][1] == 1
    assert len(runs["used"][0]) == 1  # one joined SELECT, whatever the token
