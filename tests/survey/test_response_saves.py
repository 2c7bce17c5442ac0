"""No lost edit: saves of one response from several windows at once keep every acknowledged
answer, on SQLite and PostgreSQL (issue 12, item 1)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.errors import Conflict
from survey.models import Invitation, Response
from survey.questionnaires import answer_pages
from survey.responses import save_page, start_or_resume, submit_draft
from tests.survey.responses_fixtures import Fieldwork, build_fieldwork, full_answers, page_form

CLIENTS = 2
ROUNDS = 12


def test_racing_saves_from_two_windows_keep_every_acknowledged_value(engine: Engine) -> None:
    """Two windows of one citizen save different pages at the same moments, round after round;
    whatever a save acknowledged is in the stored answers at the end (a read-merge-write in
    Python drops the other window's page about every other round)."""
    with Session(engine) as session:
        fieldwork: Fieldwork = build_fieldwork(session, "k" * 40, n=1)
        invitation = session.get(Invitation, fieldwork.invitation_ids[0])
        assert invitation is not None
        start_or_resume(session=session, invitation=invitation)
    definition = fieldwork.definition
    per_window = len(answer_pages(definition)) // CLIENTS
    assert per_window >= 2
    barrier = threading.Barrier(CLIENTS)
    acknowledged: list[dict[str, Any]] = [{} for _ in range(CLIENTS)]
    failures: list[BaseException] = []

    def client(k: int) -> None:
        try:
            with Session(engine) as session:
                mine = session.get(Invitation, fieldwork.invitation_ids[0])
                assert mine is not None
                for round_ in range(ROUNDS):
                    # Each window owns its pages, so no acknowledged value is legitimately
                    # replaced by the other window's.
                    page = k + CLIENTS * (round_ % per_window)
                    answers = full_answers(definition, level=1 + (round_ + k) % 5)
                    form = page_form(definition, page, answers)
                    barrier.wait()
                    saved = save_page(session=session, invitation=mine, page=page, answers=form)
                    codes = answer_pages(definition)[page].item_codes
                    acknowledged[k].update(
                        {c: saved.answers[c] for c in codes if c in saved.answers}
                    )
        except BaseException as error:  # reported below, with the thread's traceback lost
            failures.append(error)
            barrier.abort()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    with Session(engine) as session:
        invitation = session.get(Invitation, fieldwork.invitation_ids[0])
        assert invitation is not None
        stored = start_or_resume(session=session, invitation=invitation).answers
    expected: dict[str, Any] = {}
    for window in acknowledged:
        expected.update(window)
    lost = {code: value for code, value in expected.items() if stored.get(code) != value}
    assert not lost, f"{len(lost)} acknowledged answers lost: {lost}"
    assert len(expected) > 2 * len(answer_pages(definition)[0].item_codes)


def _save_while_submitting(
    engine: Engine, invitation_id: int, *, page: int, form: dict[str, Any]
) -> tuple[bool, int]:
    """Save ``form`` on ``page`` in one thread while another submits the draft; returns whether
    the save was acknowledged and the submitted response's id."""
    barrier = threading.Barrier(2)
    saved: list[bool] = []
    submitted: list[int] = []
    failures: list[BaseException] = []

    def saver() -> None:
        try:
            with Session(engine) as session:
                mine = session.get(Invitation, invitation_id)
                assert mine is not None
                barrier.wait()
                try:
                    save_page(session=session, invitation=mine, page=page, answers=form)
                    saved.append(True)
                except Conflict:
                    saved.append(False)
        except BaseException as error:
            failures.append(error)

    def submitter() -> None:
        try:
            with Session(engine) as session:
                mine = session.get(Invitation, invitation_id)
                assert mine is not None
                barrier.wait()
                result = submit_draft(session=session, invitation=mine)
                assert result.created and result.response_id is not None
                submitted.append(result.response_id)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=saver), threading.Thread(target=submitter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return saved[0], submitted[0]


def test_a_save_racing_the_submission_is_in_it_or_refused(engine: Engine) -> None:
    """One window saves a changed page while another submits, round after round: either the save
    is acknowledged and the submitted answers hold it, or it is refused as already submitted."""
    rounds = 6
    with Session(engine) as session:
        fieldwork = build_fieldwork(session, "k" * 40, n=rounds)
    definition = fieldwork.definition
    pages = answer_pages(definition)
    before, after = full_answers(definition, level=2), full_answers(definition, level=5)
    changed = {c: after[c] for c in pages[1].item_codes if c in after}
    assert changed and all(before[c] != v for c, v in changed.items())
    for invitation_id in fieldwork.invitation_ids:
        with Session(engine) as session:
            invitation = session.get(Invitation, invitation_id)
            assert invitation is not None
            for index in range(len(pages)):
                form = page_form(definition, index, before)
                save_page(session=session, invitation=invitation, page=index, answers=form)
        saved, response_id = _save_while_submitting(
            engine, invitation_id, page=1, form=page_form(definition, 1, after)
        )
        with Session(engine) as session:
            response = session.get(Response, response_id)
            assert response is not None and response.status == "completed"
            stored = response.answers
        if saved:
            assert {c: stored.get(c) for c in changed} == changed, "an acknowledged save was lost"
        else:
            assert {c: stored.get(c) for c in changed} == {c: before[c] for c in changed}
