"""Double data entry of returned paper forms (survey.data_entry).

Privacy (docs/privacy.md): :class:`PaperKeying` holds what a clerk typed, linked to the
invitation through its :class:`PaperEntry`, only until the form becomes a response; the use case
that makes the response clears ``keyed`` in the same transaction (a CHECK cannot look across
tables, so a test checks it). What stays is for quality control: who keyed, in which round, how
many items the two keyings differed on and how many of a clerk's items differed from the final
values. No answer value survives the response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from survey.models.base import BigIntKey, utcnow

ENTRY_STATUSES_SQL = "status IN ('keying', 'disagreement', 'completed')"


class PaperEntry(SQLModel, table=True):
    """One returned paper form being keyed: ``keying`` -> ``disagreement`` -> ``completed``.

    ``differing_items`` counts the items the two keyings differ on (0 until both exist);
    ``resolved_by`` is the supervisor who settled a disagreement.
    """

    __tablename__ = "paper_entry"
    __table_args__ = (CheckConstraint(ENTRY_STATUSES_SQL, name="status"),)
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
    status: str = Field(default="keying", max_length=16)
    differing_items: int = 0
    resolved_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PaperKeying(SQLModel, table=True):
    """One clerk's keying of a paper form (round 1 or 2; never twice by the same clerk).

    ``keyed`` maps each answer key to what was typed (``"4"``, ``"9"``, ``"13"``, free text);
    it is ``None`` once the form is a response. ``errors`` counts the items where this keying
    differs from the response's values (set when the response is made).
    """

    __tablename__ = "paper_keying"
    __table_args__ = (
        UniqueConstraint("entry_id", "clerk_id"),
        UniqueConstraint("entry_id", "round"),
        CheckConstraint("round IN (1, 2)", name="round"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    entry_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("paper_entry.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    clerk_id: int = Field(sa_column=Column(ForeignKey("staff_user.id"), nullable=False, index=True))
    round: int
    # none_as_null: a cleared keying is SQL NULL, not the JSON value null.
    keyed: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    items: int = 0
    errors: int | None = None
    keyed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
