"""The demo's staff-collected modes: letters by post, paper forms keyed twice, phone interviews
and back-checks, played out on the demo campaign through the real use cases.

After the synthetic citizens have answered online (survey.demo), the demo

1. sets a back-check plan (:data:`DEMO_BACKCHECK_RATE`) before any staff form exists, so every
   form below is drawn through :func:`survey.backchecks.register_collected_form` (a
   collector's first form with certainty, later ones at the rate);
2. prints a few letters with their paper forms as one PDF (:func:`survey.letter_pdf.print_letters`:
   form numbers, short links ``/m/...`` and the audit event), written to ``data_dir``;
3. has clerk1 and clerk2 key three of those forms (:func:`survey.data_entry.key_form`): two
   keyings agree (paper responses), the third differs on one answer and waits for a
   coordinator at ``/staff/entry/campaigns/{id}``;
4. assigns a few SMS cases nobody answered to interviewer1 by phone
   (:func:`survey.interviews.assign_cases`): one call not answered, one callback booked for
   tomorrow, one interview read out page by page and completed (a response of mode phone).

Each step is skipped when the campaign shows it was done (a plan, letters with short codes,
paper entries, interviewer1's assignments), so rerunning the demo adds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from survey.backchecks import set_backcheck_rate
from survey.campaigns import as_utc
from survey.data_entry import NO_ANSWER, key_form, keying_fields
from survey.interviews import assign_cases, complete_interview, record_attempt, save_interview_page
from survey.letter_pdf import print_letters
from survey.models import (
    Backcheck,
    BackcheckPlan,
    Campaign,
    InterviewAssignment,
    Invitation,
    PaperEntry,
    PaperForm,
    Questionnaire,
    StaffUser,
)
from survey.questionnaires import answer_pages
from survey.settings import Settings
from survey.short_links import make_short_code, short_link, token_for_short_code
from survey.users import UNLIMITED

DEMO_LETTERS = 6
DEMO_KEYED_FORMS = 3
DEMO_INTERVIEW_CASES = 3
# Half of each collector's later forms: with a handful of forms the back-check page has
# several cases to show (a real campaign keeps the 10% default).
DEMO_BACKCHECK_RATE = 0.5
DEMO_LETTERS_FILE = "demo_letters.pdf"
# AAPOR telephone codes of the two calls that do not end their case.
NO_ANSWER_CODE = "3.13"
CALLBACK_CODE = "2.21"
# How many answers (of every form) the demo needs: the keyed forms and the interview.
ANSWER_SETS = DEMO_KEYED_FORMS + 1


@dataclass(frozen=True)
class DemoModes:
    """What the staff modes of the demo hold now (whichever run built them)."""

    letters_pdf: Path | None
    short_link: str | None  # of a printed letter nobody answered or keyed: for the /m box
    forms_to_key: tuple[str, ...]  # form numbers of the other printed letters still open
    paper_responses: int
    disagreements: int
    interview_cases: int
    backchecks: int
    created: tuple[str, ...]


def keyed_form(definition: dict[str, Any], answers: Mapping[str, Any]) -> dict[str, str]:
    """What a clerk types for ``answers``: the printed number of each ticked answer, ``9`` for a
    blank one, free text as written (survey.data_entry.keying_form)."""
    form: dict[str, str] = {}
    for field in keying_fields(definition):
        value = answers.get(field.code)
        if field.kind == "text":
            form[field.code] = "" if value is None else str(value)
        elif value is None:
            form[field.code] = NO_ANSWER
        elif field.kind == "scale":
            form[field.code] = str(value)
        else:
            by_code = {o.code: o.key for o in field.options}
            values = value if isinstance(value, list) else [value]
            form[field.code] = "".join(by_code[str(v)] for v in values)
    return form


def _misread(form: Mapping[str, str], definition: dict[str, Any]) -> dict[str, str]:
    """The same form with its first criterion keyed one point off: the second clerk's slip."""
    field = next(f for f in keying_fields(definition) if f.kind == "scale")
    value = form[field.code]
    slipped = {"5": "4", "4": "5", "3": "2", "2": "3", "1": "2"}.get(value, "3")
    return {**form, field.code: slipped}


def _user(session: Session, username: str) -> StaffUser | None:
    return session.exec(select(StaffUser).where(col(StaffUser.username) == username)).first()


def _open(campaign_id: int) -> Any:
    """Invitations of the campaign nobody has touched: no open, start, answer or opt-out."""
    return select(Invitation).where(
        col(Invitation.campaign_id) == campaign_id,
        col(Invitation.first_opened_at).is_(None),
        col(Invitation.started_at).is_(None),
        col(Invitation.completed_at).is_(None),
        col(Invitation.opted_out_at).is_(None),
        col(Invitation.revoked_at).is_(None),
    )


def _printed_letters(session: Session, campaign_id: int) -> list[tuple[Invitation, str]]:
    """Letter invitations of the campaign that were printed (they have a short code), with
    their form numbers, in id order."""
    rows = session.exec(
        select(Invitation, PaperForm.form_number)
        .join(PaperForm, col(PaperForm.invitation_id) == col(Invitation.id))
        .where(
            col(Invitation.campaign_id) == campaign_id,
            col(Invitation.channel) == "letter",
            col(PaperForm.short_code_hash).is_not(None),
        )
        .order_by(col(Invitation.id))
    ).all()
    return [(invitation, str(number)) for invitation, number in rows]


def print_demo_letters(
    *,
    session: Session,
    settings: Settings,
    campaign_id: int,
    coordinator: StaffUser,
    data_dir: Path,
    now: datetime,
) -> Path | None:
    """Print the first :data:`DEMO_LETTERS` untouched letter invitations with their paper forms
    into ``data_dir/demo_letters.pdf``; ``None`` when the campaign has no letter to print."""
    ids = [
        int(i.id or 0)
        for i in session.exec(
            _open(campaign_id)
            .where(col(Invitation.channel) == "letter")
            .order_by(col(Invitation.id))
            .limit(DEMO_LETTERS)
        ).all()
    ]
    if not ids:
        return None
    pdf = print_letters(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        channel="letter",
        invitation_ids=ids,
        actor=coordinator,
        now=now,
    )
    path = data_dir / DEMO_LETTERS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    return path


def key_demo_forms(
    *,
    session: Session,
    definition: dict[str, Any],
    numbers: Sequence[str],
    answers: Sequence[Mapping[str, Any]],
    clerks: tuple[StaffUser, StaffUser],
) -> dict[str, int]:
    """Both clerks key each form; the last form's second keying slips on one answer.

    The clerks take turns at keying first, so each is the collector of one agreed form (and
    has it drawn for back-check). Returns the keyings' outcomes counted.
    """
    done: dict[str, int] = {}
    last = len(numbers) - 1
    for k, (number, given) in enumerate(zip(numbers, answers, strict=False)):
        first, second = clerks if k % 2 == 0 else clerks[::-1]
        form = keyed_form(definition, given)
        key_form(session=session, form_number=number, clerk=first, scope=UNLIMITED, form=form)
        outcome = key_form(
            session=session,
            form_number=number,
            clerk=second,
            scope=UNLIMITED,
            form=_misread(form, definition) if k == last else form,
        )
        done[outcome.status] = done.get(outcome.status, 0) + 1
    return done


def interview_demo_cases(
    *,
    session: Session,
    campaign_id: int,
    coordinator: StaffUser,
    interviewer: StaffUser,
    answers: Mapping[str, Any],
    definition: dict[str, Any],
    now: datetime,
) -> int:
    """Assign the oldest untouched SMS cases to ``interviewer`` by phone and play out a no-answer,
    a callback tomorrow and a completed interview; returns the cases assigned."""
    ids = [
        int(i.id or 0)
        for i in session.exec(
            _open(campaign_id)
            .where(col(Invitation.channel) == "sms", col(Invitation.phone_e164).is_not(None))
            .order_by(col(Invitation.id))
            .limit(DEMO_INTERVIEW_CASES)
        ).all()
    ]
    if len(ids) < DEMO_INTERVIEW_CASES:
        return 0
    assignments = assign_cases(
        session=session,
        campaign_id=campaign_id,
        invitation_ids=ids,
        interviewer_id=interviewer.id or 0,
        mode="phone",
        actor=coordinator,
        scope=UNLIMITED,
    )
    no_answer, call_back, interview = (int(a.id or 0) for a in assignments)
    # Tomorrow, or halfway to the end of a field period that ends sooner.
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    field_end = as_utc(campaign.field_end)
    callback = min(now + timedelta(days=1), now + (field_end - now) / 2)
    record_attempt(
        session=session,
        assignment_id=no_answer,
        interviewer=interviewer,
        code=NO_ANSWER_CODE,
        now=now,
    )
    record_attempt(
        session=session,
        assignment_id=call_back,
        interviewer=interviewer,
        code=CALLBACK_CODE,
        callback_at=callback,
        now=now,
    )
    record_attempt(
        session=session,
        assignment_id=interview,
        interviewer=interviewer,
        code=NO_ANSWER_CODE,
        now=now,
    )
    for page in answer_pages(definition):
        save_interview_page(
            session=session,
            assignment_id=interview,
            interviewer=interviewer,
            page=page.index,
            answers={c: answers[c] for c in page.item_codes if c in answers},
        )
    complete_interview(session=session, assignment_id=interview, interviewer=interviewer)
    return len(assignments)


def _count(session: Session, statement: Any) -> int:
    return int(session.exec(statement).one())


def build_demo_modes(
    *,
    session: Session,
    settings: Settings,
    campaign_id: int,
    data_dir: Path,
    answers: Sequence[Mapping[str, Any]],
    now: datetime,
) -> DemoModes:
    """Play out the staff modes on the demo campaign (module docstring); idempotent.

    ``answers`` are :data:`ANSWER_SETS` complete answers to the campaign's questionnaire: the
    keyed forms' and the interview's. Steps whose accounts are missing are skipped.
    """
    now = as_utc(now)
    created: list[str] = []
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    assert questionnaire is not None
    definition = dict(questionnaire.definition)
    coordinator = _user(session, "coordinator")
    clerks = (_user(session, "clerk1"), _user(session, "clerk2"))
    interviewer = _user(session, "interviewer1")
    has_plan = session.exec(
        select(BackcheckPlan.id).where(col(BackcheckPlan.campaign_id) == campaign_id)
    ).first()
    if coordinator is not None and has_plan is None:
        set_backcheck_rate(
            session=session, campaign_id=campaign_id, rate=DEMO_BACKCHECK_RATE, actor=coordinator
        )
        created.append(f"back-check plan ({DEMO_BACKCHECK_RATE:.0%} of each collector's forms)")
    path = data_dir / DEMO_LETTERS_FILE
    if coordinator is not None and not _printed_letters(session, campaign_id):
        printed = print_demo_letters(
            session=session,
            settings=settings,
            campaign_id=campaign_id,
            coordinator=coordinator,
            data_dir=data_dir,
            now=now,
        )
        if printed is not None:
            created.append(f"letters with paper forms printed to {printed}")
    letters = _printed_letters(session, campaign_id)
    has_entries = session.exec(
        select(PaperEntry.id).where(col(PaperEntry.campaign_id) == campaign_id)
    ).first()
    clerk1, clerk2 = clerks
    if clerk1 is not None and clerk2 is not None and has_entries is None:
        waiting = [number for invitation, number in letters if invitation.completed_at is None]
        if len(waiting) >= DEMO_KEYED_FORMS:
            done = key_demo_forms(
                session=session,
                definition=definition,
                numbers=waiting[:DEMO_KEYED_FORMS],
                answers=answers[:DEMO_KEYED_FORMS],
                clerks=(clerk1, clerk2),
            )
            created.append(
                "paper forms keyed twice by clerk1 and clerk2: "
                + ", ".join(f"{n} {status}" for status, n in sorted(done.items()))
            )
    if coordinator is not None and interviewer is not None:
        assigned = session.exec(
            select(InterviewAssignment.id).where(
                col(InterviewAssignment.campaign_id) == campaign_id,
                col(InterviewAssignment.interviewer_id) == interviewer.id,
            )
        ).first()
        if assigned is None:
            n = interview_demo_cases(
                session=session,
                campaign_id=campaign_id,
                coordinator=coordinator,
                interviewer=interviewer,
                answers=answers[DEMO_KEYED_FORMS],
                definition=definition,
                now=now,
            )
            if n:
                created.append(
                    f"{n} phone cases for interviewer1 (a no-answer, a callback, a completed "
                    "interview)"
                )
    session.expunge_all()
    keyed = set(
        session.exec(
            select(PaperEntry.invitation_id).where(col(PaperEntry.campaign_id) == campaign_id)
        ).all()
    )
    unkeyed = [
        (invitation, number)
        for invitation, number in _printed_letters(session, campaign_id)
        if invitation.completed_at is None and invitation.id not in keyed
    ]
    # The last waiting letter is answered through its short link, the others are keyed.
    link = None
    if unkeyed:
        code = make_short_code(settings.secret_key, unkeyed[-1][0].token_salt)
        if token_for_short_code(session=session, settings=settings, code=code):
            link = short_link(settings, code)
            unkeyed = unkeyed[:-1]
    entries = select(func.count()).select_from(PaperEntry)
    return DemoModes(
        letters_pdf=path if path.exists() else None,
        short_link=link,
        forms_to_key=tuple(number for _invitation, number in unkeyed),
        paper_responses=_count(
            session,
            entries.where(
                col(PaperEntry.campaign_id) == campaign_id, col(PaperEntry.status) == "completed"
            ),
        ),
        disagreements=_count(
            session,
            entries.where(
                col(PaperEntry.campaign_id) == campaign_id,
                col(PaperEntry.status) == "disagreement",
            ),
        ),
        interview_cases=_count(
            session,
            select(func.count())
            .select_from(InterviewAssignment)
            .where(col(InterviewAssignment.campaign_id) == campaign_id),
        ),
        backchecks=_count(
            session,
            select(func.count())
            .select_from(Backcheck)
            .where(col(Backcheck.campaign_id) == campaign_id),
        ),
        created=tuple(created),
    )
