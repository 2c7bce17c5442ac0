"""Interviews: a case assigned to an interviewer, and each attempt to reach it.

Privacy by structure (docs/privacy.md): neither table holds a phone, name or address; the
interviewer's pages read them from the contact tables (purged after fieldwork) for the mode that
needs them. ``answers`` holds an interview's answers only while it is being conducted: the
completing transaction moves them into a response through the one guard of
:func:`survey.responses.complete_response` and empties them, so nothing here leads from an
invitation to its answers afterwards. Days only on the assignment, as on the invitation.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey
from sqlmodel import Field, SQLModel

from survey.models.base import BigIntKey, utcnow


class InterviewMode(StrEnum):
    PHONE = "phone"
    FACE_TO_FACE = "face_to_face"


class AssignmentStatus(StrEnum):
    OPEN = "open"  # still to be worked
    COMPLETED = "completed"  # the interview became a response (disposition 1.1)
    CLOSED = "closed"  # a final non-interview disposition, or the attempts ran out
    ANSWERED_ELSEWHERE = "answered_elsewhere"  # a response came in another mode first


class InterviewAssignment(SQLModel, table=True):
    """One invitation on one interviewer's call list (phone) or route (face to face)."""

    __tablename__ = "interview_assignment"
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    campaign_id: int = Field(
        sa_column=Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    invitation_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("invitation.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        )
    )
    interviewer_id: int = Field(
        sa_column=Column(ForeignKey("staff_user.id"), nullable=False, index=True)
    )
    mode: str = Field(max_length=16)  # an InterviewMode value
    status: str = Field(default=AssignmentStatus.OPEN.value, max_length=24)
    max_attempts: int = 6
    attempt_count: int = 0
    callback_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # The AAPOR code the case ended with ("" while open).
    final_code: str = Field(default="", max_length=8)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    current_page: int = 0
    assigned_by: int | None = Field(default=None, foreign_key="staff_user.id")
    assigned_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    # Day only (midnight UTC), like Invitation.completed_at.
    ended_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class InterviewAttempt(SQLModel, table=True):
    """One call or visit and its AAPOR outcome code (survey.interviews.OUTCOMES)."""

    __tablename__ = "interview_attempt"
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    assignment_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("interview_assignment.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    number: int
    code: str = Field(max_length=8)
    interviewer_id: int = Field(sa_column=Column(ForeignKey("staff_user.id"), nullable=False))
    attempted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    callback_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
