"""No lost edit: saves of one response from several windows at once keep every acknowledged
answer, on SQLite and PostgreSQL (issue 12, item 1)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.models import Invitation
from survey.questionnaires import answer_pages
from survey.responses import save_page, start_or_resume
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
