"""Interviews through the JSON API (scripts, a call-centre tool): the interviewer's own cases
and the outcome of each call or visit, the same use cases as ``/staff/interviews``.

An interviewer receives only their own cases, and of an open case only the personal data its
mode needs (the phone for a call, the name and address for a visit); a finished case carries
none. Another interviewer's case is "not found". Answers are not served here: the interview is
conducted on the pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionDep, SettingsDep
from api.params import INT64_MAX
from api.policy import AsInterviewer
from survey.interviews import (
    CaseView,
    call_list,
    get_case,
    outcomes_for,
    parse_callback,
    record_attempt,
)

router = APIRouter(prefix="/api/interviews", tags=["interviews"])

AssignmentId = Annotated[
    int, Path(ge=1, le=INT64_MAX, description="the case's (assignment's) id", examples=[1])
]


class ContactPublic(BaseModel):
    """What the case's mode needs, and nothing else (empty once the case is finished)."""

    phone: str | None = None
    full_name: str | None = None
    address: str | None = None


class AttemptPublic(BaseModel):
    number: int
    code: str
    attempted_at: datetime
    callback_at: datetime | None


class OutcomePublic(BaseModel):
    code: str
    vi: str
    en: str
    final: bool = Field(description="true: recording it ends the case")


class CasePublic(BaseModel):
    """One case on the caller's call list (phone) or route (face to face)."""

    assignment_id: int
    campaign_id: int
    mode: str = Field(description="phone or face_to_face")
    status: str = Field(description="open, completed, closed or answered_elsewhere")
    due: bool = Field(description="a callback that is due now")
    callback_at: datetime | None
    attempt_count: int
    max_attempts: int
    final_code: str
    agency_name: str
    procedure_field: str
    contact: ContactPublic


class CaseDetailPublic(CasePublic):
    attempts: list[AttemptPublic]
    outcomes: list[OutcomePublic] = Field(description="the codes this case's mode accepts")


class AttemptRequest(BaseModel):
    """One call or visit: its AAPOR code and, with a temporary code, a callback time."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=3, max_length=8, pattern=r"^\d\.\d{1,3}$", description="e.g. 3.13 (no answer)"
    )
    callback_at: str | None = Field(
        default=None,
        max_length=40,
        description="2026-03-02T14:30 in the platform's time zone, or with an offset",
    )


def _case(case: CaseView) -> CasePublic:
    a = case.assignment
    assert a.id is not None
    return CasePublic(
        assignment_id=a.id,
        campaign_id=a.campaign_id,
        mode=a.mode,
        status=a.status,
        due=case.due,
        callback_at=a.callback_at,
        attempt_count=a.attempt_count,
        max_attempts=a.max_attempts,
        final_code=a.final_code,
        agency_name=case.agency_name,
        procedure_field=case.procedure_field,
        contact=ContactPublic(
            phone=case.contact.phone, full_name=case.contact.full_name, address=case.contact.address
        ),
    )


def _detail(case: CaseView) -> CaseDetailPublic:
    return CaseDetailPublic(
        **_case(case).model_dump(),
        attempts=[
            AttemptPublic(
                number=t.number, code=t.code, attempted_at=t.attempted_at, callback_at=t.callback_at
            )
            for t in case.attempts
        ],
        outcomes=[
            OutcomePublic(code=o.code, vi=o.vi, en=o.en, final=o.final)
            for o in outcomes_for(case.assignment.mode)
        ],
    )


@router.get("")
def my_cases(session: SessionDep, caller: AsInterviewer) -> list[CasePublic]:
    """The caller's own cases in calling order: due callbacks first, then open cases, then
    finished ones."""
    return [_case(c) for c in call_list(session=session, interviewer=caller.user)]


@router.get("/{assignment_id}")
def my_case(
    assignment_id: AssignmentId, session: SessionDep, caller: AsInterviewer
) -> CaseDetailPublic:
    """One of the caller's cases with its attempts and the outcome codes it accepts."""
    return _detail(get_case(session=session, assignment_id=assignment_id, interviewer=caller.user))


@router.post("/{assignment_id}/attempts")
def attempt(
    assignment_id: AssignmentId,
    body: AttemptRequest,
    session: SessionDep,
    settings: SettingsDep,
    caller: AsInterviewer,
) -> CaseDetailPublic:
    """Record a call or visit (AAPOR code; 1.1 comes from completing the interview on the
    pages). A final code, or the last allowed attempt, ends the case; 409 once it has ended or
    the person answered in another mode; 422 names the code or callback to fix."""
    callback = parse_callback(body.callback_at or "", settings.timezone)
    record_attempt(
        session=session,
        assignment_id=assignment_id,
        interviewer=caller.user,
        code=body.code,
        callback_at=callback,
    )
    return _detail(get_case(session=session, assignment_id=assignment_id, interviewer=caller.user))
