"""Interviews by phone and face to face: assignments, attempts, callbacks, conducting, completion.

The life of a case::

    assign_cases         a coordinator (in scope) puts invitations on an interviewer's call list
                         (phone) or route (face to face)
    record_attempt       each call or visit gets an AAPOR outcome code (:data:`OUTCOMES`); a
                         temporary one may schedule a callback, a final one ends the case, and so
                         does running out of attempts (the most informative code is kept)
    save_interview_page  the interviewer reads the questionnaire out and saves page by page
    complete_interview   the answers become a response (mode ``phone`` / ``face_to_face``)
                         through :func:`survey.responses.complete_response`, the one guard of every
                         mode, in the transaction that also registers the form for back-check
                         (:func:`survey.backchecks.register_collected_form`) and empties the
                         interview's answers

Codes follow AAPOR, *Standard Definitions: Final Dispositions of Case Codes and Outcome Rates for
Surveys* (telephone and in-person tables; 1 interview, 2 eligible non-interview, 3 unknown
eligibility, 4 not eligible). The sample is a list of named applicants, so "household" codes of
the RDD and area-probability tables are left out.

Privacy (docs/privacy.md): an interviewer sees only the cases assigned to them, and of each only
the personal data its mode needs (the phone for a call, the name and address for a visit), read
from the contact tables at display time so the purge removes them everywhere at once; the answers
only while the interview is in progress.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from survey.audit import record_event
from survey.backchecks import register_collected_form
from survey.campaigns import as_utc, get_campaign
from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.invitations import LinkState, link_state
from survey.models import (
    Campaign,
    Dossier,
    DossierContact,
    InterviewAssignment,
    InterviewAttempt,
    Invitation,
    Response,
    SampleUnit,
    StaffUser,
    utcnow,
)
from survey.models.interviews import AssignmentStatus, InterviewMode
from survey.models.users import Role
from survey.questionnaires import answer_pages, drop_hidden, validate_answers
from survey.responses import clean_answers, complete_response, questionnaire_for
from survey.users import Scope

COMPLETE = "1.1"
MAX_ATTEMPTS = 20
DEFAULT_MAX_ATTEMPTS = 6
BOTH = frozenset({InterviewMode.PHONE.value, InterviewMode.FACE_TO_FACE.value})
PHONE = frozenset({InterviewMode.PHONE.value})
VISIT = frozenset({InterviewMode.FACE_TO_FACE.value})


@dataclass(frozen=True)
class Outcome:
    """One AAPOR disposition code: its words, the modes it applies to, whether it ends the case
    (``final``) and the AAPOR group the rates count it in (I, P, R, NC, O, UH, UO, NE)."""

    code: str
    vi: str
    en: str
    modes: frozenset[str]
    final: bool
    group: str

    def label(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


_CATALOGUE = (
    Outcome("1.1", "Hoàn thành phỏng vấn", "Complete interview", BOTH, True, "I"),
    Outcome("1.2", "Phỏng vấn dở dang (đã trả lời phần lớn)", "Partial interview", BOTH, True, "P"),
    Outcome("2.11", "Từ chối tham gia", "Refusal", BOTH, True, "R"),
    Outcome("2.12", "Bỏ dở giữa chừng", "Break-off", BOTH, True, "R"),
    Outcome(
        "2.21",
        "Người trả lời không có mặt / hẹn lại",
        "Respondent not available (call again)",
        BOTH,
        False,
        "NC",
    ),
    Outcome(
        "2.221",
        "Hộp thư thoại: đã để lại lời nhắn",
        "Answering machine: message left",
        PHONE,
        False,
        "NC",
    ),
    Outcome(
        "2.222",
        "Hộp thư thoại: không để lại lời nhắn",
        "Answering machine: no message left",
        PHONE,
        False,
        "NC",
    ),
    Outcome("2.31", "Người trả lời đã mất", "Respondent deceased", BOTH, True, "O"),
    Outcome(
        "2.32",
        "Không đủ sức khoẻ để trả lời",
        "Physically or mentally unable",
        BOTH,
        True,
        "O",
    ),
    Outcome("2.33", "Không nói được ngôn ngữ phỏng vấn", "Language barrier", BOTH, True, "O"),
    Outcome(
        "2.36", "Lý do khác (đã gặp người trả lời)", "Other, respondent reached", BOTH, False, "O"
    ),
    Outcome("3.12", "Máy bận", "Always busy", PHONE, False, "UH"),
    Outcome("3.13", "Không nhấc máy", "No answer", PHONE, False, "UH"),
    Outcome("3.16", "Lỗi kỹ thuật đường dây", "Technical phone problem", PHONE, False, "UH"),
    Outcome(
        "3.17",
        "Không đến được địa chỉ (đường khó, không an toàn)",
        "Unable to reach the address / unsafe area",
        VISIT,
        False,
        "UH",
    ),
    Outcome("3.18", "Không tìm thấy địa chỉ", "Unable to locate the address", VISIT, True, "UH"),
    Outcome("3.90", "Chưa rõ, lý do khác", "Other, eligibility unknown", BOTH, False, "UO"),
    Outcome(
        "4.10",
        "Không thuộc đối tượng (không phải người nộp hồ sơ)",
        "Out of sample (not the applicant)",
        BOTH,
        True,
        "NE",
    ),
    Outcome("4.31", "Số không tồn tại", "Non-working number", PHONE, True, "NE"),
    Outcome("4.32", "Số đã ngừng sử dụng", "Disconnected number", PHONE, True, "NE"),
    Outcome(
        "4.33",
        "Thuê bao tạm thời không liên lạc được",
        "Temporarily out of service",
        PHONE,
        False,
        "NE",
    ),
)
OUTCOMES: Mapping[str, Outcome] = {outcome.code: outcome for outcome in _CATALOGUE}
# When attempts run out on temporary codes, the case keeps the most informative one (AAPOR:
# a case ever reached counts as eligible non-contact rather than unknown): 2.x, then 4.x, 3.x.
_INFORMATIVE = {"2": 0, "4": 1, "3": 2, "1": 0}


def outcomes_for(mode: str) -> list[Outcome]:
    """The codes an interviewer may record for ``mode`` (1.1 is recorded by completing)."""
    return [o for o in _CATALOGUE if mode in o.modes and o.code != COMPLETE]


@dataclass(frozen=True)
class Contact:
    """The personal data a case's mode needs, and nothing else."""

    phone: str | None = None
    full_name: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class CaseView:
    """A case as its interviewer sees it (contact data only while the case is open)."""

    assignment: InterviewAssignment
    contact: Contact
    agency_name: str
    procedure_field: str
    due: bool
    attempts: list[InterviewAttempt]


@dataclass(frozen=True)
class InterviewDisposition:
    """The disposition of an interviewed invitation, for the campaign's dispositions.

    ``final`` is False while the case is still being worked (then ``code`` is the most
    informative outcome so far).
    """

    invitation_id: int
    mode: str
    code: str
    group: str
    final: bool
    attempts: int


@dataclass(frozen=True)
class CompletionResult:
    """``created`` is False when the invitation had a response already (another mode won)."""

    created: bool
    assignment: InterviewAssignment


# ----------------------------------------------------------------------------- assigning


def _mode(mode: str) -> str:
    if mode not in BOTH:
        raise InvalidInput(
            f"mode {mode!r} is not an interview mode",
            [Problem(("mode",), "choose phone or face_to_face")],
        )
    return mode


def _interviewer(session: Session, interviewer_id: int) -> StaffUser:
    user = session.get(StaffUser, interviewer_id)
    if user is None or user.role != Role.INTERVIEWER.value or not user.is_active:
        raise InvalidInput(
            f"user {interviewer_id} is not an active interviewer",
            [Problem(("interviewer_id",), "choose an active account with the role interviewer")],
        )
    return user


def _contact(session: Session, invitation: Invitation) -> DossierContact | None:
    return session.exec(
        select(DossierContact)
        .join(SampleUnit, col(SampleUnit.dossier_id) == col(DossierContact.dossier_id))
        .where(col(SampleUnit.id) == invitation.sample_unit_id)
    ).first()


def contact_for(session: Session, invitation: Invitation, mode: str) -> Contact:
    """The phone (phone mode) or the name and address (face to face) of the case, as stored now
    (empty after the purge)."""
    row = _contact(session, invitation)
    if mode == InterviewMode.PHONE.value:
        phone = invitation.phone_e164 or (row.phone_e164 if row is not None else None)
        return Contact(phone=phone or None)
    # E's name and address fields; a contact table without them gives no address.
    name = str(getattr(row, "full_name", "") or "") if row is not None else ""
    address = str(getattr(row, "postal_address", "") or "") if row is not None else ""
    return Contact(full_name=name or None, address=address or None)


def _reachable(contact: Contact, mode: str) -> bool:
    if mode == InterviewMode.PHONE.value:
        return contact.phone is not None
    return contact.address is not None


def _why_not_assignable(invitation: Invitation, campaign: Campaign) -> str | None:
    state = link_state(invitation, campaign)
    if state is LinkState.COMPLETED:
        return "it already has a response (in any mode): nothing to interview"
    if state is LinkState.OPTED_OUT:
        return "the person asked not to be contacted"
    if state is LinkState.REVOKED:
        return "the invitation was revoked"
    if state is LinkState.EXPIRED:
        return "the field period is over"
    return None


def assign_cases(
    *,
    session: Session,
    campaign_id: int,
    invitation_ids: Sequence[int],
    interviewer_id: int,
    mode: str,
    actor: StaffUser,
    scope: Scope,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> list[InterviewAssignment]:
    """Put ``invitation_ids`` of the campaign on an interviewer's call list or route.

    Every case must be in the caller's ``scope``, answerable (not completed in any mode, not
    opted out, revoked or past the field period), not assigned already and reachable in the
    mode (a phone for calls, an address for visits). All or nothing: the problems name each
    invitation at fault.
    """
    mode = _mode(mode)
    campaign = get_campaign(session=session, campaign_id=campaign_id, scope=scope)
    interviewer = _interviewer(session, interviewer_id)
    if not 1 <= max_attempts <= MAX_ATTEMPTS:
        raise InvalidInput(
            f"max_attempts {max_attempts} is out of range",
            [Problem(("max_attempts",), f"give a whole number from 1 to {MAX_ATTEMPTS}")],
        )
    wanted = sorted(set(invitation_ids))
    if not wanted:
        raise InvalidInput(
            "no cases chosen", [Problem(("invitation_ids",), "tick at least one case to assign")]
        )
    rows = session.exec(
        select(Invitation, Dossier)
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(col(Invitation.id).in_(wanted), col(Invitation.campaign_id) == campaign_id)
    ).all()
    found = {inv.id: (inv, dossier) for inv, dossier in rows}
    taken = set(
        session.exec(
            select(InterviewAssignment.invitation_id).where(
                col(InterviewAssignment.invitation_id).in_(wanted)
            )
        ).all()
    )
    problems: list[Problem] = []
    for invitation_id in wanted:
        loc = ("invitation_ids", invitation_id)
        if invitation_id not in found or not scope.allows(
            found[invitation_id][1].agency_code, found[invitation_id][1].province_code
        ):
            problems.append(Problem(loc, f"no case {invitation_id} in campaign {campaign_id}"))
            continue
        invitation = found[invitation_id][0]
        reason = _why_not_assignable(invitation, campaign)
        if reason is None and invitation_id in taken:
            reason = "it is assigned already"
        if reason is None and not _reachable(contact_for(session, invitation, mode), mode):
            reason = (
                "there is no phone number to call"
                if mode == InterviewMode.PHONE.value
                else "there is no postal address to visit"
            )
        if reason is not None:
            problems.append(Problem(loc, f"case {invitation_id} cannot be assigned: {reason}"))
    if problems:
        raise InvalidInput("some cases cannot be assigned", problems)
    now = utcnow()
    assignments = [
        InterviewAssignment(
            campaign_id=campaign_id,
            invitation_id=invitation_id,
            interviewer_id=interviewer_id,
            mode=mode,
            max_attempts=max_attempts,
            assigned_by=actor.id,
            assigned_at=now,
        )
        for invitation_id in wanted
    ]
    session.add_all(assignments)
    session.flush()
    record_event(
        session=session,
        action="interview.assign",
        actor=actor,
        target=f"campaign:{campaign_id}",
        details={"interviewer": interviewer.username, "mode": mode, "cases": len(wanted)},
    )
    session.commit()
    for assignment in assignments:
        session.refresh(assignment)
    return assignments


def campaign_assignments(
    *, session: Session, campaign_id: int, scope: Scope
) -> list[tuple[InterviewAssignment, str]]:
    """The campaign's assignments in the caller's scope with the interviewer's name (no
    answers, no contact data): what a coordinator follows."""
    get_campaign(session=session, campaign_id=campaign_id, scope=scope)
    stmt = (
        select(InterviewAssignment, StaffUser.username)
        .join(StaffUser, col(StaffUser.id) == col(InterviewAssignment.interviewer_id))
        .join(Invitation, col(Invitation.id) == col(InterviewAssignment.invitation_id))
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(col(InterviewAssignment.campaign_id) == campaign_id)
        .where(*scope.where(Dossier.agency_code, Dossier.province_code))
        .order_by(col(InterviewAssignment.id))
    )
    return [(a, name) for a, name in session.exec(stmt).all()]


def assignable_cases(
    *, session: Session, campaign_id: int, scope: Scope
) -> list[tuple[Invitation, Dossier]]:
    """Invitations of the campaign in scope with no response and no assignment yet."""
    get_campaign(session=session, campaign_id=campaign_id, scope=scope)
    assigned = select(InterviewAssignment.invitation_id).where(
        col(InterviewAssignment.campaign_id) == campaign_id
    )
    stmt = (
        select(Invitation, Dossier)
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(
            col(Invitation.campaign_id) == campaign_id,
            col(Invitation.completed_at).is_(None),
            col(Invitation.opted_out_at).is_(None),
            col(Invitation.revoked_at).is_(None),
            col(Invitation.id).not_in(assigned),
        )
        .where(*scope.where(Dossier.agency_code, Dossier.province_code))
        .order_by(col(Invitation.id))
    )
    return [(inv, dossier) for inv, dossier in session.exec(stmt).all()]


def list_interviewers(*, session: Session) -> list[StaffUser]:
    """Active interviewer accounts, by name: whom a coordinator can assign cases to."""
    stmt = (
        select(StaffUser)
        .where(col(StaffUser.role) == Role.INTERVIEWER.value, col(StaffUser.is_active))
        .order_by(col(StaffUser.username))
    )
    return list(session.exec(stmt).all())


# ----------------------------------------------------------------------------- the call list


def _own(session: Session, assignment_id: int, interviewer: StaffUser) -> InterviewAssignment:
    """The interviewer's own assignment; another's is "not found", so ids reveal nothing."""
    assignment = session.exec(
        select(InterviewAssignment)
        .where(col(InterviewAssignment.id) == assignment_id)
        .execution_options(populate_existing=True)
    ).first()
    if assignment is None or assignment.interviewer_id != interviewer.id:
        raise NotFound(
            f"interview {assignment_id} is not on your list",
            [Problem(("assignment_id",), "open a case from your own call list or route")],
        )
    return assignment


def _due(assignment: InterviewAssignment, now: datetime) -> bool:
    return assignment.callback_at is not None and as_utc(assignment.callback_at) <= now


def call_order(assignment: InterviewAssignment, now: datetime) -> tuple[int, float, int]:
    """Sort key of the call list: callbacks that are due (earliest first), then cases never
    tried (in the order assigned), then retries without an appointment (longest untried first),
    then callbacks still to come (soonest first); closed cases last."""
    ident = assignment.id or 0
    if assignment.status != AssignmentStatus.OPEN.value:
        return (4, 0.0, ident)
    if assignment.callback_at is not None:
        moment = as_utc(assignment.callback_at).timestamp()
        return (0 if moment <= now.timestamp() else 3, moment, ident)
    if assignment.attempt_count == 0:
        return (1, as_utc(assignment.assigned_at).timestamp(), ident)
    last = assignment.last_attempt_at or assignment.assigned_at
    return (2, as_utc(last).timestamp(), ident)


def _case(
    session: Session, assignment: InterviewAssignment, now: datetime, *, with_attempts: bool
) -> CaseView:
    invitation = session.get(Invitation, assignment.invitation_id)
    assert invitation is not None
    dossier = session.exec(
        select(Dossier)
        .join(SampleUnit, col(SampleUnit.dossier_id) == col(Dossier.id))
        .where(col(SampleUnit.id) == invitation.sample_unit_id)
    ).one()
    is_open = assignment.status == AssignmentStatus.OPEN.value
    attempts: list[InterviewAttempt] = []
    if with_attempts:
        attempts = list(
            session.exec(
                select(InterviewAttempt)
                .where(col(InterviewAttempt.assignment_id) == assignment.id)
                .order_by(col(InterviewAttempt.number))
            ).all()
        )
    return CaseView(
        assignment=assignment,
        # A finished case needs no contact data any more.
        contact=contact_for(session, invitation, assignment.mode) if is_open else Contact(),
        agency_name=dossier.agency_name or dossier.agency_code,
        procedure_field=dossier.procedure_field,
        due=_due(assignment, now),
        attempts=attempts,
    )


def call_list(
    *, session: Session, interviewer: StaffUser, now: datetime | None = None
) -> list[CaseView]:
    """The interviewer's own cases in calling order (:func:`call_order`)."""
    now = as_utc(now or utcnow())
    rows = session.exec(
        select(InterviewAssignment).where(col(InterviewAssignment.interviewer_id) == interviewer.id)
    ).all()
    ordered = sorted(rows, key=lambda a: call_order(a, now))
    return [_case(session, a, now, with_attempts=False) for a in ordered]


def get_case(
    *,
    session: Session,
    assignment_id: int,
    interviewer: StaffUser,
    now: datetime | None = None,
) -> CaseView:
    """One of the interviewer's own cases with its attempts; :class:`NotFound` otherwise."""
    assignment = _own(session, assignment_id, interviewer)
    return _case(session, assignment, as_utc(now or utcnow()), with_attempts=True)


# ----------------------------------------------------------------------------- attempts


def parse_callback(text: str, timezone: str) -> datetime | None:
    """A callback time typed as ``YYYY-MM-DDTHH:MM`` (the browser's datetime-local) in the
    platform's time zone, as UTC; empty means no callback."""
    text = text.strip()
    if not text:
        return None
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"callback time {text!r} is not understood",
            [Problem(("callback_at",), "write the date and time as 2026-03-02 14:30")],
        ) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def _ended(assignment: InterviewAssignment) -> Conflict:
    return Conflict(
        f"interview {assignment.id} is finished ({assignment.status})",
        [Problem(("assignment_id",), "this case is closed: nothing more to record")],
    )


def _check_answerable(
    session: Session, assignment: InterviewAssignment, invitation: Invitation
) -> None:
    """Refuse work on a case that can no longer be interviewed; one answered in another mode
    is closed as such first (and committed), so the call list shows it."""
    campaign = session.get(Campaign, invitation.campaign_id)
    assert campaign is not None
    state = link_state(invitation, campaign)
    if state is LinkState.COMPLETED:
        _close(assignment, AssignmentStatus.ANSWERED_ELSEWHERE, "")
        session.add(assignment)
        session.commit()
        raise Conflict(
            f"invitation {invitation.id} already has a response",
            [Problem(("assignment_id",), "this person has answered already (another mode)")],
        )
    if state is not LinkState.OK:
        reasons = {
            LinkState.OPTED_OUT: "the person asked not to be contacted",
            LinkState.REVOKED: "the invitation was revoked",
            LinkState.EXPIRED: "the field period is over",
            LinkState.NOT_OPEN: "the campaign has not started",
        }
        raise Conflict(
            f"invitation {invitation.id} cannot be interviewed: {state.value}",
            [Problem(("assignment_id",), reasons.get(state, state.value))],
        )


def _close(assignment: InterviewAssignment, status: AssignmentStatus, code: str) -> None:
    assignment.status = status.value
    assignment.final_code = code
    assignment.callback_at = None
    assignment.answers = {}
    now = utcnow()
    assignment.ended_at = now.replace(hour=0, minute=0, second=0, microsecond=0)


def _most_informative(codes: Iterable[str]) -> str:
    ranked = [(_INFORMATIVE.get(code[0], 3), -i, code) for i, code in enumerate(codes)]
    return min(ranked)[2] if ranked else ""


def record_attempt(
    *,
    session: Session,
    assignment_id: int,
    interviewer: StaffUser,
    code: str,
    callback_at: datetime | None = None,
    now: datetime | None = None,
) -> InterviewAssignment:
    """Record one call or visit with its AAPOR ``code`` and an optional callback.

    A final code closes the case; so does the last allowed attempt, with the most informative
    code recorded (2.x before 4.x before 3.x, the latest among equals). A callback must be in
    the future and within the field period, and only goes with a temporary code.
    """
    now = as_utc(now or utcnow())
    assignment = _own(session, assignment_id, interviewer)
    if assignment.status != AssignmentStatus.OPEN.value:
        raise _ended(assignment)
    outcome = OUTCOMES.get(code)
    if outcome is None or assignment.mode not in outcome.modes:
        choices = ", ".join(o.code for o in outcomes_for(assignment.mode))
        raise InvalidInput(
            f"outcome {code!r} is not a {assignment.mode} disposition code",
            [Problem(("code",), f"choose one of {choices}")],
        )
    if outcome.code == COMPLETE:
        raise InvalidInput(
            "a complete interview is recorded by submitting its answers",
            [Problem(("code",), "conduct the interview and submit it; 1.1 follows")],
        )
    invitation = session.get(Invitation, assignment.invitation_id)
    assert invitation is not None
    _check_answerable(session, assignment, invitation)
    campaign = session.get(Campaign, assignment.campaign_id)
    assert campaign is not None
    if callback_at is not None:
        callback_at = as_utc(callback_at)
        if outcome.final:
            raise InvalidInput(
                f"outcome {code} ends the case: no callback",
                [Problem(("callback_at",), "leave the callback empty for a final outcome")],
            )
        if callback_at <= now:
            raise InvalidInput(
                "the callback time has passed",
                [Problem(("callback_at",), "choose a time later than now")],
            )
        if callback_at >= as_utc(min(campaign.field_end, invitation.expires_at)):
            raise InvalidInput(
                "the callback time is after the field period",
                [Problem(("callback_at",), "choose a time before the field period ends")],
            )
    number = assignment.attempt_count + 1
    session.add(
        InterviewAttempt(
            assignment_id=assignment_id,
            number=number,
            code=code,
            interviewer_id=interviewer.id or 0,
            attempted_at=now,
            callback_at=callback_at,
        )
    )
    assignment.attempt_count = number
    assignment.last_attempt_at = now
    assignment.callback_at = callback_at
    if outcome.final:
        _close(assignment, AssignmentStatus.CLOSED, code)
    elif number >= assignment.max_attempts:
        earlier = session.exec(
            select(InterviewAttempt.code)
            .where(col(InterviewAttempt.assignment_id) == assignment_id)
            .order_by(col(InterviewAttempt.number))
        ).all()
        _close(assignment, AssignmentStatus.CLOSED, _most_informative([*earlier, code]))
    session.add(assignment)
    session.commit()
    session.refresh(assignment)
    return assignment


# ----------------------------------------------------------------------------- conducting


def _definition(session: Session, assignment: InterviewAssignment) -> dict[str, Any]:
    invitation = session.get(Invitation, assignment.invitation_id)
    assert invitation is not None
    return questionnaire_for(session=session, invitation=invitation).definition


def open_interview(
    *, session: Session, assignment_id: int, interviewer: StaffUser
) -> tuple[InterviewAssignment, dict[str, Any]]:
    """The case and its questionnaire, for conducting: only while it is open and answerable
    (a completed interview's answers are never shown again)."""
    assignment = _own(session, assignment_id, interviewer)
    if assignment.status != AssignmentStatus.OPEN.value:
        raise _ended(assignment)
    invitation = session.get(Invitation, assignment.invitation_id)
    assert invitation is not None
    _check_answerable(session, assignment, invitation)
    return assignment, _definition(session, assignment)


def save_interview_page(
    *,
    session: Session,
    assignment_id: int,
    interviewer: StaffUser,
    page: int,
    answers: Mapping[str, Any],
) -> InterviewAssignment:
    """Validate and keep one page's answers (``page`` from 0) on the open interview.

    The merge is done in the UPDATE's transaction after the row is re-read, so a page saved
    twice keeps the latest; answers hidden by a changed answer are dropped (as on the web).
    """
    assignment, definition = open_interview(
        session=session, assignment_id=assignment_id, interviewer=interviewer
    )
    pages = answer_pages(definition)
    if not 0 <= page < len(pages):
        raise NotFound(f"page {page + 1} does not exist: pages go from 1 to {len(pages)}")
    current = pages[page]
    page_answers = clean_answers(definition, answers, current.item_codes)
    problems = validate_answers(definition, page_answers, current, earlier=assignment.answers)
    if problems:
        raise InvalidInput(f"page {page + 1} has answers to fix", problems)
    merged = {k: v for k, v in dict(assignment.answers).items() if k not in current.item_codes}
    merged.update(page_answers)
    merged = drop_hidden(definition, merged)
    session.execute(
        update(InterviewAssignment)
        .where(
            col(InterviewAssignment.id) == assignment_id,
            col(InterviewAssignment.status) == AssignmentStatus.OPEN.value,
        )
        .values(answers=merged, current_page=max(assignment.current_page, page + 1))
    )
    session.commit()
    return _own(session, assignment_id, interviewer)


def _register_for_backcheck(
    session: Session, invitation: Invitation, response_id: int, collector_id: int, mode: str
) -> None:
    """The back-check draw (survey.backchecks), in the completing transaction."""
    response = session.get(Response, response_id)
    assert response is not None
    register_collected_form(
        session=session,
        invitation=invitation,
        response=response,
        collector_id=collector_id,
        mode=mode,
    )


def complete_interview(
    *, session: Session, assignment_id: int, interviewer: StaffUser
) -> CompletionResult:
    """Turn the interview's answers into a response of its mode, once, and forget them here.

    One transaction: :func:`survey.responses.complete_response` (the guard of every mode: when
    the invitation has a response already, nothing is written and the case is closed as
    answered elsewhere), the back-check registration, the 1.1 attempt and the emptied answers.

    Raises :class:`InvalidInput` (nothing changes) when answers are missing.
    """
    assignment, _ = open_interview(
        session=session, assignment_id=assignment_id, interviewer=interviewer
    )
    invitation = session.get(Invitation, assignment.invitation_id)
    assert invitation is not None and interviewer.id is not None
    answers = dict(assignment.answers)
    try:
        result = complete_response(
            session=session, invitation=invitation, answers=answers, mode=assignment.mode
        )
    except InvalidInput:
        session.rollback()
        raise
    if not result.created:
        session.rollback()
        assignment = _own(session, assignment_id, interviewer)
        _close(assignment, AssignmentStatus.ANSWERED_ELSEWHERE, "")
        session.add(assignment)
        session.commit()
        session.refresh(assignment)
        return CompletionResult(created=False, assignment=assignment)
    assert result.response_id is not None
    _register_for_backcheck(
        session, invitation, result.response_id, interviewer.id, assignment.mode
    )
    now = utcnow()
    number = assignment.attempt_count + 1
    session.add(
        InterviewAttempt(
            assignment_id=assignment_id,
            number=number,
            code=COMPLETE,
            interviewer_id=interviewer.id,
            attempted_at=now,
        )
    )
    assignment.attempt_count = number
    assignment.last_attempt_at = now
    _close(assignment, AssignmentStatus.COMPLETED, COMPLETE)
    session.add(assignment)
    # The case, never the response: the audit log must not lead to the answers.
    record_event(
        session=session,
        action="interview.complete",
        actor=interviewer,
        target=f"interview:{assignment_id}",
        details={"mode": assignment.mode},
    )
    session.commit()
    session.refresh(assignment)
    return CompletionResult(created=True, assignment=assignment)


# ----------------------------------------------------------------------------- dispositions


def final_interview_dispositions(
    *, session: Session, campaign_id: int
) -> dict[int, InterviewDisposition]:
    """Invitation id -> the disposition its interview reached, for the campaign's dispositions
    (survey.dispositions): the final code of closed cases, 1.1 of completed ones, and for cases
    still open with attempts the most informative code so far (``final=False``). Cases answered
    in another mode and open cases never attempted are left out: their disposition is not the
    interview's."""
    rows = session.exec(
        select(InterviewAssignment).where(col(InterviewAssignment.campaign_id) == campaign_id)
    ).all()
    open_ids = [
        a.id for a in rows if a.status == AssignmentStatus.OPEN.value and a.attempt_count > 0
    ]
    codes: dict[int, list[str]] = {}
    if open_ids:
        for assignment_id, code in session.exec(
            select(InterviewAttempt.assignment_id, InterviewAttempt.code)
            .where(col(InterviewAttempt.assignment_id).in_(open_ids))
            .order_by(col(InterviewAttempt.number))
        ).all():
            codes.setdefault(assignment_id, []).append(code)
    found: dict[int, InterviewDisposition] = {}
    for a in rows:
        if a.status in (AssignmentStatus.COMPLETED.value, AssignmentStatus.CLOSED.value):
            code, final = a.final_code, True
        elif a.id in codes:
            code, final = _most_informative(codes[a.id]), False
        else:
            continue
        found[a.invitation_id] = InterviewDisposition(
            invitation_id=a.invitation_id,
            mode=a.mode,
            code=code,
            group=OUTCOMES[code].group,
            final=final,
            attempts=a.attempt_count,
        )
    return found


__all__ = [
    "OUTCOMES",
    "CaseView",
    "CompletionResult",
    "Contact",
    "InterviewDisposition",
    "Outcome",
    "assign_cases",
    "assignable_cases",
    "call_list",
    "call_order",
    "campaign_assignments",
    "complete_interview",
    "final_interview_dispositions",
    "get_case",
    "list_interviewers",
    "open_interview",
    "outcomes_for",
    "parse_callback",
    "record_attempt",
    "save_interview_page",
]
