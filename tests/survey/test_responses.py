"""Responses: saved page by page, submitted exactly once and then unlinked from the invitation,
on SQLite and PostgreSQL."""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

import survey.responses as responses_module
from survey.campaigns import close_campaign
from survey.errors import Conflict, InvalidInput, NotFound
from survey.models import Campaign, Dossier, Draw, Invitation, Response, SampleUnit, utcnow
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
    assert (response.status, response.mode, response.psu) == ("in_progress", "web", "")
    assert response.invitation_id == invitation.id  # a draft links back, so it can be resumed
    assert response.completed_month is None
    assert not [name for name in Response.model_fields if "phone" in name or "contact" in name]
    assert not [name for name in Response.model_fields if name.endswith("_at")]  # no times
    assert invitation.phone_e164 is not None
    assert invitation.phone_e164 not in repr(response.model_dump())
    session.refresh(invitation)
    assert invitation.started_at is not None
    assert (invitation.started_at.hour, invitation.started_at.minute) == (0, 0)  # the day only


def test_a_two_stage_draft_copies_its_first_stage_unit(
    session: Session, fieldwork: Fieldwork
) -> None:
    invitation = _invitation(session, fieldwork, 1)
    campaign = session.get(Campaign, fieldwork.campaign_id)
    assert campaign is not None
    draw = session.get(Draw, campaign.draw_id)
    assert draw is not None
    draw.design_snapshot = {"design": {"selection": "pps", "psu_column": "commune_code"}}
    unit = session.get(SampleUnit, invitation.sample_unit_id)
    assert unit is not None
    dossier = session.get(Dossier, unit.dossier_id)
    assert dossier is not None
    dossier.commune_code = "26734"
    session.add_all([draw, dossier])
    session.commit()
    assert start_or_resume(session=session, invitation=invitation).psu == "26734"


def test_response_ids_do_not_follow_the_order_of_starting(
    session: Session, fieldwork: Fieldwork
) -> None:
    ids = [
        start_or_resume(session=session, invitation=_invitation(session, fieldwork, i)).id
        for i in range(4)
    ]
    assert all(isinstance(i, int) for i in ids)
    # Drawn from [1, 2^62]: four ids below 2^40 would happen with probability ~1e-22.
    assert all(i is not None and i > 1 << 40 for i in ids)


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


def _responses(session: Session) -> list[Response]:
    return list(session.exec(select(Response).execution_options(populate_existing=True)).all())


def test_a_submission_completes_the_invitation_and_unlinks_the_response(
    session: Session, fieldwork: Fieldwork
) -> None:
    invitation = _invitation(session, fieldwork)
    start_or_resume(session=session, invitation=invitation)
    result = submit_response(
        session=session, invitation=invitation, answers=full_answers(fieldwork.definition)
    )
    assert result.created and result.response_id is not None
    (row,) = _responses(session)
    assert (row.id, row.status, row.invitation_id) == (result.response_id, "completed", None)
    assert row.answers["preferred_channel"] == ["direct", "online"]
    today = utcnow().date()
    assert row.completed_month == today.replace(day=1)
    session.refresh(invitation)
    assert invitation.completed_at is not None
    # The invitation keeps the day only; the response the month: no time to match them on.
    assert invitation.completed_at.date() == today
    assert (invitation.completed_at.hour, invitation.completed_at.minute) == (0, 0)
    assert _count_responses(session, invitation.id) == 0


def test_the_database_refuses_a_completed_response_that_keeps_its_invitation(
    session: Session, fieldwork: Fieldwork
) -> None:
    invitation = _invitation(session, fieldwork)
    draft = start_or_resume(session=session, invitation=invitation)
    values = draft.model_dump(exclude={"id"})
    session.rollback()
    with pytest.raises(IntegrityError):
        session.execute(
            insert(Response).values(
                {**values, "status": "completed", "invitation_id": fieldwork.invitation_ids[1]}
            )
        )
    session.rollback()


def test_a_retried_submission_is_already_submitted(session: Session, fieldwork: Fieldwork) -> None:
    invitation = _invitation(session, fieldwork)
    answers = full_answers(fieldwork.definition)
    start_or_resume(session=session, invitation=invitation)
    first = submit_response(session=session, invitation=invitation, answers=answers)
    again = submit_response(session=session, invitation=invitation, answers=dict(answers))
    assert first.created and not again.created
    # Nothing leads from the invitation to its response any more: no id to give back.
    assert again.response_id is None
    assert again.submission_hash == first.submission_hash
    assert _count_responses(session) == 1


def test_the_submission_hash_ignores_key_order_but_not_values() -> None:
    assert submission_hash(1, {"a": 1, "b": [1, 2]}) == submission_hash(1, {"b": [1, 2], "a": 1})
    assert submission_hash(1, {"a": 1}) != submission_hash(1, {"a": 2})
    assert submission_hash(1, {"a": 1}) != submission_hash(2, {"a": 1})


def test_a_different_resubmission_changes_nothing(session: Session, fieldwork: Fieldwork) -> None:
    invitation = _invitation(session, fieldwork)
    submit_response(
        session=session, invitation=invitation, answers=full_answers(fieldwork.definition, 4)
    )
    again = submit_response(
        session=session, invitation=invitation, answers=full_answers(fieldwork.definition, 2)
    )
    assert not again.created and again.response_id is None
    with pytest.raises(Conflict, match="already submitted"):
        save_page(
            session=session,
            invitation=invitation,
            page=0,
            answers=page_form(fieldwork.definition, 0, full_answers(fieldwork.definition, 1)),
        )
    rows = _responses(session)
    assert len(rows) == 1 and rows[0].answers["access_q16"] == 4
    assert rows[0].invitation_id is None


def test_closing_the_campaign_unlinks_the_drafts_left(
    session: Session, fieldwork: Fieldwork
) -> None:
    draft = start_or_resume(session=session, invitation=_invitation(session, fieldwork, 2))
    submit_response(
        session=session,
        invitation=_invitation(session, fieldwork, 0),
        answers=full_answers(fieldwork.definition),
    )
    close_campaign(session=session, campaign_id=fieldwork.campaign_id)
    rows = _responses(session)
    assert {(r.status, r.invitation_id) for r in rows} == {
        ("in_progress", None),
        ("completed", None),
    }
    assert draft.id in {r.id for r in rows}


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


def _no_draft_left_on_a_completed_invitation(engine: Engine) -> None:
    with Session(engine) as session:
        orphans = session.exec(
            select(func.count())
            .select_from(Response)
            .join(Invitation, col(Invitation.id) == col(Response.invitation_id))
            .where(col(Invitation.completed_at).is_not(None))
        ).one()
        assert orphans == 0


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
    assert all(r.response_id is None for r in results if not r.created)
    with Session(engine) as session:
        assert _count_responses(session) == 1
        (row,) = _responses(session)
        assert (row.status, row.invitation_id) == ("completed", None)
        invitation = _invitation(session, fieldwork)
        assert invitation.completed_at is not None
    _no_draft_left_on_a_completed_invitation(engine)


def test_concurrent_different_submissions_one_wins_the_rest_are_told_it_is_done(
    engine: Engine, fieldwork: Fieldwork
) -> None:
    with Session(engine) as session:
        start_or_resume(session=session, invitation=_invitation(session, fieldwork))
    outcomes = _race(engine, fieldwork, lambda k: full_answers(fieldwork.definition, 1 + k % 5))
    assert all(isinstance(o, SubmitResult) for o in outcomes), outcomes
    winners = [k for k, o in enumerate(outcomes) if isinstance(o, SubmitResult) and o.created]
    assert len(winners) == 1
    with Session(engine) as session:
        (row,) = _responses(session)
        # The stored answers are the winner's, whatever the losers sent.
        assert row.answers["access_q16"] == 1 + winners[0] % 5
        assert row.invitation_id is None


def test_drafts_racing_a_submission_never_outlive_it(engine: Engine, fieldwork: Fieldwork) -> None:
    """Half the threads start a draft (a second tab), half submit: one completion, and no draft
    left linked to the completed invitation (the orphan a naive order of statements leaves)."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[object] = [RuntimeError("not run")] * THREADS
    answers = full_answers(fieldwork.definition)

    def worker(k: int) -> None:
        with Session(engine) as session:
            invitation = _invitation(session, fieldwork)
            barrier.wait()
            try:
                if k % 2:
                    outcomes[k] = start_or_resume(session=session, invitation=invitation)
                else:
                    outcomes[k] = submit_response(
                        session=session, invitation=invitation, answers=answers
                    )
            except Exception as error:
                outcomes[k] = error

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    submitted = [o for o in outcomes if isinstance(o, SubmitResult)]
    assert len(submitted) == THREADS // 2 and sum(r.created for r in submitted) == 1
    # A draft started after the completion is refused as "already submitted".
    others = [o for o in outcomes if not isinstance(o, SubmitResult)]
    assert all(isinstance(o, Response | Conflict) for o in others), others
    with Session(engine) as session:
        rows = _responses(session)
        assert [(r.status, r.invitation_id) for r in rows] == [("completed", None)]
    _no_draft_left_on_a_completed_invitation(engine)


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
