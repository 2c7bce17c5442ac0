"""Interviews end to end on SQLite and PostgreSQL: assignment, attempts with AAPOR codes,
callbacks and the call list's order, conducting page by page, completion through the one guard
of every mode, and the dispositions handed to survey.dispositions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from survey.campaigns import close_campaign
from survey.errors import Conflict, InvalidInput, NotFound
from survey.interviews import (
    OUTCOMES,
    assign_cases,
    assignable_cases,
    call_list,
    complete_interview,
    final_interview_dispositions,
    get_case,
    open_interview,
    outcomes_for,
    parse_callback,
    record_attempt,
    save_interview_page,
)
from survey.models import (
    AuditEvent,
    CollectedForm,
    DossierContact,
    InterviewAssignment,
    Invitation,
    Response,
    SampleUnit,
    StaffUser,
    utcnow,
)
from survey.questionnaires import answer_pages, builtin_definition, validate_definition
from survey.responses import save_page, submit_draft
from survey.users import Scope
from tests.api.fast_users import make_user
from tests.survey.responses_fixtures import Fieldwork, build_fieldwork, full_answers, page_form

EVERYTHING = Scope.everything()


def _people(session: Session) -> tuple[StaffUser, StaffUser, StaffUser]:
    return (
        make_user(session, "coordinator", "dieu-phoi"),
        make_user(session, "interviewer", "dtv-lan"),
        make_user(session, "interviewer", "dtv-minh"),
    )


def _conduct(session: Session, fieldwork: Fieldwork, assignment_id: int, who: StaffUser) -> None:
    answers = full_answers(fieldwork.definition)
    for page in answer_pages(fieldwork.definition):
        save_interview_page(
            session=session,
            assignment_id=assignment_id,
            interviewer=who,
            page=page.index,
            answers=page_form(fieldwork.definition, page.index, answers),
        )


def test_five_cases_no_answer_callback_refusal_and_completes(session: Session) -> None:
    fieldwork = build_fieldwork(session, "k" * 40, n=6)
    coordinator, lan, _ = _people(session)
    cases = fieldwork.invitation_ids[:5]
    assigned = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=cases,
        interviewer_id=lan.id or 0,
        mode="phone",
        actor=coordinator,
        scope=EVERYTHING,
        max_attempts=3,
    )
    ids = {a.invitation_id: a.id or 0 for a in assigned}
    now = utcnow()
    # Case 0: no answer twice, then busy: attempts run out, the most informative code stays.
    for code in ("3.13", "2.21", "3.12"):
        record_attempt(session=session, assignment_id=ids[cases[0]], interviewer=lan, code=code)
    # Case 1: a callback tomorrow.
    tomorrow = now + timedelta(days=1)
    record_attempt(
        session=session,
        assignment_id=ids[cases[1]],
        interviewer=lan,
        code="2.21",
        callback_at=tomorrow,
    )
    # Case 2: refusal (final).
    refused = record_attempt(
        session=session, assignment_id=ids[cases[2]], interviewer=lan, code="2.11"
    )
    assert refused.status == "closed" and refused.final_code == "2.11"
    with pytest.raises(Conflict):
        record_attempt(session=session, assignment_id=ids[cases[2]], interviewer=lan, code="3.13")
    # Cases 3 and 4: no answer first, then a complete interview.
    for case in cases[3:5]:
        record_attempt(session=session, assignment_id=ids[case], interviewer=lan, code="3.13")
        _conduct(session, fieldwork, ids[case], lan)
        result = complete_interview(session=session, assignment_id=ids[case], interviewer=lan)
        assert result.created and result.assignment.status == "completed"
        assert result.assignment.answers == {}

    responses = session.exec(
        select(Response).where(col(Response.campaign_id) == fieldwork.campaign_id)
    ).all()
    assert sorted(r.mode for r in responses) == ["phone", "phone"]
    assert all(r.status == "completed" and r.invitation_id is None for r in responses)
    assert all(r.answers == full_answers(fieldwork.definition) for r in responses)
    # Each completed interview went through the back-check registration, as the collector's.
    collected = session.exec(select(CollectedForm)).all()
    assert sorted(f.invitation_id for f in collected) == sorted(cases[3:5])
    assert {(f.collector_id, f.mode) for f in collected} == {(lan.id, "phone")}
    events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert [e.action for e in events if e.action.startswith("interview.")] == [
        "interview.assign",
        "interview.complete",
        "interview.complete",
    ]
    assert all("response" not in str(e.details) for e in events)

    dispositions = final_interview_dispositions(session=session, campaign_id=fieldwork.campaign_id)
    assert {k: (d.code, d.final, d.group) for k, d in dispositions.items()} == {
        cases[0]: ("2.21", True, "NC"),
        cases[1]: ("2.21", False, "NC"),
        cases[2]: ("2.11", True, "R"),
        cases[3]: ("1.1", True, "I"),
        cases[4]: ("1.1", True, "I"),
    }
    assert dispositions[cases[3]].attempts == 2 and dispositions[cases[3]].mode == "phone"
    # The completed and the closed cases can no longer be opened, let alone their answers.
    for case in (cases[0], cases[2], cases[3]):
        with pytest.raises(Conflict):
            open_interview(session=session, assignment_id=ids[case], interviewer=lan)
    assert (
        get_case(session=session, assignment_id=ids[cases[3]], interviewer=lan).contact.phone
        is None
    )


def test_call_list_puts_due_callbacks_first_then_fresh_then_retries_then_later(
    session: Session,
) -> None:
    fieldwork = build_fieldwork(session, "k" * 40, n=5)
    coordinator, lan, _ = _people(session)
    assigned = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=fieldwork.invitation_ids,
        interviewer_id=lan.id or 0,
        mode="phone",
        actor=coordinator,
        scope=EVERYTHING,
    )
    a = [x.id or 0 for x in assigned]
    t0 = utcnow()
    # a0: callback in 2 hours; a1: retry without appointment; a2: callback in 1 hour;
    # a3: never tried; a4: refused (closed).
    record_attempt(
        session=session,
        assignment_id=a[0],
        interviewer=lan,
        code="2.21",
        callback_at=t0 + timedelta(hours=2),
        now=t0,
    )
    record_attempt(session=session, assignment_id=a[1], interviewer=lan, code="3.13", now=t0)
    record_attempt(
        session=session,
        assignment_id=a[2],
        interviewer=lan,
        code="2.221",
        callback_at=t0 + timedelta(hours=1),
        now=t0,
    )
    record_attempt(session=session, assignment_id=a[4], interviewer=lan, code="2.11", now=t0)

    def order(at: datetime) -> list[int]:
        return [c.assignment.id or 0 for c in call_list(session=session, interviewer=lan, now=at)]

    # Before any callback is due: fresh, retry, then the callbacks soonest first, closed last.
    assert order(t0 + timedelta(minutes=5)) == [a[3], a[1], a[2], a[0], a[4]]
    # Both callbacks due: the earlier appointment first, then the later, then the rest.
    assert order(t0 + timedelta(hours=3)) == [a[2], a[0], a[3], a[1], a[4]]
    due = call_list(session=session, interviewer=lan, now=t0 + timedelta(hours=1, minutes=1))
    assert [c.due for c in due][:2] == [True, False]
    assert due[0].contact.phone is not None and due[0].contact.address is None


def test_an_interviewer_never_reaches_another_interviewers_case(session: Session) -> None:
    fieldwork = build_fieldwork(session, "k" * 40, n=2)
    coordinator, lan, minh = _people(session)
    (mine,) = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=fieldwork.invitation_ids[:1],
        interviewer_id=lan.id or 0,
        mode="phone",
        actor=coordinator,
        scope=EVERYTHING,
    )
    assert mine.id is not None
    assert call_list(session=session, interviewer=minh) == []
    for call in (
        lambda: get_case(session=session, assignment_id=mine.id or 0, interviewer=minh),
        lambda: open_interview(session=session, assignment_id=mine.id or 0, interviewer=minh),
        lambda: record_attempt(
            session=session, assignment_id=mine.id or 0, interviewer=minh, code="3.13"
        ),
        lambda: complete_interview(session=session, assignment_id=mine.id or 0, interviewer=minh),
    ):
        with pytest.raises(NotFound):
            call()


def test_assignment_refusals_name_the_case_and_the_fix(session: Session) -> None:
    fieldwork = build_fieldwork(session, "k" * 40, n=4)
    coordinator, lan, minh = _people(session)
    first, second, third, fourth = fieldwork.invitation_ids
    assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=[first],
        interviewer_id=lan.id or 0,
        mode="phone",
        actor=coordinator,
        scope=EVERYTHING,
    )
    opted = session.get(Invitation, second)
    assert opted is not None
    opted.opted_out_at = utcnow()
    session.add(opted)
    session.commit()
    with pytest.raises(InvalidInput) as refused:
        assign_cases(
            session=session,
            campaign_id=fieldwork.campaign_id,
            invitation_ids=[first, second, third, 999999],
            interviewer_id=minh.id or 0,
            mode="face_to_face",
            actor=coordinator,
            scope=EVERYTHING,
        )
    messages = {p.loc[1]: p.msg for p in refused.value.problems}
    assert "assigned already" in messages[first]
    assert "not to be contacted" in messages[second]
    assert "no postal address" in messages[third]
    assert "no case 999999" in messages[999999]
    with pytest.raises(InvalidInput, match="not an active interviewer"):
        assign_cases(
            session=session,
            campaign_id=fieldwork.campaign_id,
            invitation_ids=[third],
            interviewer_id=coordinator.id or 0,
            mode="phone",
            actor=coordinator,
            scope=EVERYTHING,
        )
    # A coordinator scoped to another agency finds no such campaign.
    with pytest.raises(NotFound):
        assign_cases(
            session=session,
            campaign_id=fieldwork.campaign_id,
            invitation_ids=[third],
            interviewer_id=lan.id or 0,
            mode="phone",
            actor=coordinator,
            scope=Scope(agencies=frozenset({"01-XX"}), provinces=None),
        )
    # A scoped coordinator may only assign their own agency's cases (third is 79-BN's).
    scoped = Scope(agencies=frozenset({"79-Q1"}), provinces=None)
    with pytest.raises(InvalidInput, match="some cases"):
        assign_cases(
            session=session,
            campaign_id=fieldwork.campaign_id,
            invitation_ids=[third],
            interviewer_id=lan.id or 0,
            mode="phone",
            actor=coordinator,
            scope=scoped,
        )
    left = assignable_cases(session=session, campaign_id=fieldwork.campaign_id, scope=scoped)
    assert [inv.id for inv, _ in left] == [fourth]


def test_face_to_face_shows_name_and_address_never_the_phone(session: Session) -> None:
    fieldwork = build_fieldwork(session, "k" * 40, n=1)
    coordinator, lan, _ = _people(session)
    invitation = session.get(Invitation, fieldwork.invitation_ids[0])
    assert invitation is not None
    unit = session.get(SampleUnit, invitation.sample_unit_id)
    assert unit is not None
    contact = DossierContact(dossier_id=unit.dossier_id, phone_e164="+84901111111")
    if not hasattr(contact, "postal_address"):
        pytest.fail("DossierContact has no postal_address: face to face needs E's address fields")
    contact.full_name = "Nguyễn Văn An"
    contact.postal_address = "12 Lý Thường Kiệt, phường Bến Nghé"
    session.add(contact)
    session.commit()
    (visit,) = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=[invitation.id or 0],
        interviewer_id=lan.id or 0,
        mode="face_to_face",
        actor=coordinator,
        scope=EVERYTHING,
    )
    case = get_case(session=session, assignment_id=visit.id or 0, interviewer=lan)
    assert case.contact.full_name == "Nguyễn Văn An"
    assert case.contact.address == "12 Lý Thường Kiệt, phường Bến Nghé"
    assert case.contact.phone is None
    with pytest.raises(InvalidInput, match="not a face_to_face disposition"):
        record_attempt(session=session, assignment_id=visit.id or 0, interviewer=lan, code="3.13")
    record_attempt(session=session, assignment_id=visit.id or 0, interviewer=lan, code="3.17")


def test_a_case_answered_online_first_cannot_be_interviewed(session: Session) -> None:
    secret = "k" * 40
    fieldwork = build_fieldwork(session, secret, n=1)
    coordinator, lan, _ = _people(session)
    invitation = session.get(Invitation, fieldwork.invitation_ids[0])
    assert invitation is not None
    (case,) = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=[invitation.id or 0],
        interviewer_id=lan.id or 0,
        mode="phone",
        actor=coordinator,
        scope=EVERYTHING,
    )
    _conduct(session, fieldwork, case.id or 0, lan)
    # Meanwhile the citizen answers on the web page and submits first.
    answers = full_answers(fieldwork.definition)
    for page in answer_pages(fieldwork.definition):
        save_page(
            session=session,
            invitation=invitation,
            page=page.index,
            answers=page_form(fieldwork.definition, page.index, answers),
        )
    assert submit_draft(session=session, invitation=invitation).created
    with pytest.raises(Conflict, match="already has a response"):
        complete_interview(session=session, assignment_id=case.id or 0, interviewer=lan)
    closed = session.get(InterviewAssignment, case.id)
    assert closed is not None
    session.refresh(closed)
    assert closed.status == "answered_elsewhere" and closed.answers == {}
    modes = session.exec(
        select(Response.mode).where(col(Response.campaign_id) == fieldwork.campaign_id)
    ).all()
    assert modes == ["web"]
    # And it cannot be assigned again either.
    with pytest.raises(InvalidInput) as again:
        assign_cases(
            session=session,
            campaign_id=fieldwork.campaign_id,
            invitation_ids=[invitation.id or 0],
            interviewer_id=lan.id or 0,
            mode="phone",
            actor=coordinator,
            scope=Scope(agencies=None, provinces=None),
        )
    assert "already has a response" in again.value.problems[0].msg


def test_incomplete_interview_is_refused_and_keeps_its_answers(session: Session) -> None:
    fieldwork = build_fieldwork(session, "k" * 40, n=1)
    coordinator, lan, _ = _people(session)
    (case,) = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=fieldwork.invitation_ids,
        interviewer_id=lan.id or 0,
        mode="phone",
        actor=coordinator,
        scope=EVERYTHING,
    )
    answers = full_answers(fieldwork.definition)
    save_interview_page(
        session=session,
        assignment_id=case.id or 0,
        interviewer=lan,
        page=0,
        answers=page_form(fieldwork.definition, 0, answers),
    )
    with pytest.raises(InvalidInput):
        complete_interview(session=session, assignment_id=case.id or 0, interviewer=lan)
    with pytest.raises(InvalidInput) as bad:
        save_interview_page(
            session=session, assignment_id=case.id or 0, interviewer=lan, page=1, answers={}
        )
    assert bad.value.problems
    kept = session.get(InterviewAssignment, case.id)
    assert kept is not None
    session.refresh(kept)
    assert kept.status == "open" and kept.current_page == 1 and kept.answers
    assert session.exec(select(Response)).all() == []


def test_callbacks_and_codes_are_checked(session: Session) -> None:
    fieldwork = build_fieldwork(session, "k" * 40, n=1)
    coordinator, lan, _ = _people(session)
    (case,) = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=fieldwork.invitation_ids,
        interviewer_id=lan.id or 0,
        mode="phone",
        actor=coordinator,
        scope=EVERYTHING,
    )
    now = utcnow()
    cases = {
        "9.99": ("not a phone disposition", None),
        "1.1": ("recorded by submitting", None),
        "2.11": ("no callback", now + timedelta(hours=1)),
        "2.21": ("has passed", now - timedelta(minutes=1)),
        "3.13": ("after the field period", now + timedelta(days=400)),
    }
    for code, (message, when) in cases.items():
        with pytest.raises(InvalidInput, match=message):
            record_attempt(
                session=session,
                assignment_id=case.id or 0,
                interviewer=lan,
                code=code,
                callback_at=when,
            )
    assert parse_callback("2026-03-02T14:30", "Asia/Ho_Chi_Minh") == datetime(
        2026, 3, 2, 7, 30, tzinfo=UTC
    )
    assert parse_callback("  ", "Asia/Ho_Chi_Minh") is None
    with pytest.raises(InvalidInput) as bad:
        parse_callback("mai 2 giờ", "Asia/Ho_Chi_Minh")
    assert bad.value.problems[0].loc == ("callback_at",)


def test_the_catalogue_follows_aapor_groups() -> None:
    assert OUTCOMES["1.1"].group == "I" and OUTCOMES["1.2"].group == "P"
    assert {OUTCOMES[c].group for c in ("2.11", "2.12")} == {"R"}
    assert OUTCOMES["2.21"].group == "NC" and OUTCOMES["3.13"].group == "UH"
    assert OUTCOMES["4.31"].group == "NE" and OUTCOMES["4.31"].final
    phone = {o.code for o in outcomes_for("phone")}
    visit = {o.code for o in outcomes_for("face_to_face")}
    assert "1.1" not in phone and "4.31" in phone and "4.31" not in visit
    assert "3.18" in visit and "3.13" not in visit
    assert all(o.vi and o.en for o in OUTCOMES.values())


def test_interviewer_wording_is_optional_and_checked() -> None:
    definition = builtin_definition()
    assert validate_definition(definition) == []
    criterion = definition["elements"][0]["criteria"][0]
    criterion["interviewer_text"] = {"vi": "Ông/bà thấy thông tin có dễ hiểu không?", "en": "..."}
    definition["questions"][0]["interviewer_text"] = {"vi": "Xin hỏi ông/bà ..."}
    assert validate_definition(definition) == []
    criterion["interviewer_text"] = "không phải đối tượng vi/en"
    definition["questions"][0]["interviewer_text"] = {"en": "English only"}
    problems = validate_definition(definition)
    assert [p.loc for p in problems] == [
        ("elements", 0, "criteria", 0, "interviewer_text"),
        ("questions", 0, "interviewer_text"),
    ]


def test_closing_the_campaign_drops_answers_of_interviews_never_recorded(session: Session) -> None:
    fieldwork = build_fieldwork(session, "k" * 40, n=1)
    coordinator, lan, _ = _people(session)
    (case,) = assign_cases(
        session=session,
        campaign_id=fieldwork.campaign_id,
        invitation_ids=fieldwork.invitation_ids,
        interviewer_id=lan.id or 0,
        mode="phone",
        actor=coordinator,
        scope=EVERYTHING,
    )
    answers = full_answers(fieldwork.definition)
    save_interview_page(
        session=session,
        assignment_id=case.id or 0,
        interviewer=lan,
        page=0,
        answers=page_form(fieldwork.definition, 0, answers),
    )
    close_campaign(session=session, campaign_id=fieldwork.campaign_id)
    left = session.get(InterviewAssignment, case.id)
    assert left is not None
    session.refresh(left)
    assert left.answers == {} and left.current_page == 0
    with pytest.raises(Conflict):
        open_interview(session=session, assignment_id=case.id or 0, interviewer=lan)
