"""Back-checks (phúc tra): forms collected by staff, the sub-sample drawn for re-contact, outcomes
and the responses excluded from releases.

Privacy (docs/privacy.md, "Back-checks"): :class:`CollectedForm` links an invitation to the staff
member who collected it and the mode, never to a response. Only a :class:`Backcheck` (a selected
form) holds ``response_id``, the one invitation<->response link the platform keeps after a
submission; it is cleared when the back-check is settled and, at the latest, by the contact purge,
which also clears its ``invitation_id``. :class:`ResponseExclusion` names a response and a reason,
never an invitation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Float, ForeignKey
from sqlmodel import Field, SQLModel

from survey.models.base import BigIntKey, utcnow

STAFF_MODES_SQL = "mode IN ('paper', 'phone', 'face_to_face')"


class BackcheckPlan(SQLModel, table=True):
    """A campaign's back-check rate (share of each collector's forms drawn for re-contact)."""

    __tablename__ = "backcheck_plan"
    __table_args__ = (CheckConstraint("rate > 0 AND rate <= 1", name="rate_range"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(
        sa_column=Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    rate: float = Field(sa_column=Column(Float, nullable=False))
    set_by: int | None = Field(default=None, foreign_key="staff_user.id")
    set_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class CollectedForm(SQLModel, table=True):
    """A form completed by a clerk (paper) or an interviewer (phone, face to face).

    It tells the dispositions the mode of a completed invitation and the back-check draw how many
    forms each collector has; it has no response id.
    """

    __tablename__ = "collected_form"
    __table_args__ = (CheckConstraint(STAFF_MODES_SQL, name="mode"),)
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    campaign_id: int = Field(
        sa_column=Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    invitation_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("invitation.id"), nullable=False, unique=True)
    )
    collector_id: int = Field(
        sa_column=Column(ForeignKey("staff_user.id"), nullable=False, index=True)
    )
    mode: str = Field(max_length=16)
    selected: bool = False


class Backcheck(SQLModel, table=True):
    """A collected form drawn for back-check, its outcome and the decision on a failed one.

    ``outcome``: confirmed | not_done | answers_differ | unreachable (``None`` until recorded);
    ``decision`` for a failed form: excluded | kept.
    """

    __tablename__ = "backcheck"
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    campaign_id: int = Field(
        sa_column=Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    invitation_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("invitation.id"), nullable=True, unique=True),
    )
    response_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("response.id", ondelete="SET NULL"), nullable=True, unique=True
        ),
    )
    collector_id: int = Field(
        sa_column=Column(ForeignKey("staff_user.id"), nullable=False, index=True)
    )
    mode: str = Field(max_length=16)
    outcome: str | None = Field(default=None, max_length=24)
    note: str = Field(default="", max_length=500)
    checked_by: int | None = Field(default=None, foreign_key="staff_user.id")
    checked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    decision: str | None = Field(default=None, max_length=16)
    decided_by: int | None = Field(default=None, foreign_key="staff_user.id")
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ResponseExclusion(SQLModel, table=True):
    """A response left out of every release (and the responses export), with the reason."""

    __tablename__ = "response_exclusion"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(
        sa_column=Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    response_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("response.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    reason: str = Field(max_length=500)
    excluded_by: int | None = Field(default=None, foreign_key="staff_user.id")
    excluded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
