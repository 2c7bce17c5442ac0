"""The audit log: an append-only, hash-chained record of who did what and when.

Entries never reference another table with a foreign key: deleting a user or a campaign must not
delete or rewrite history, so the actor is kept as its id and username as they were at the time.
``audit_head`` is a one-row table holding the last entry's id and hash; appends lock it, which is
what keeps the chain a single line when several processes append at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Integer
from sqlmodel import Field, SQLModel

from survey.models.base import BigIntKey

# SHA-256 of this text is the prev_hash of the first entry.
AUDIT_GENESIS = "SIPAS audit log genesis"


class AuditEventPublic(SQLModel):
    """One audit entry as admins see it (details never hold a password, token, phone or link)."""

    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    target: str
    details: dict[str, Any]
    address: str | None
    prev_hash: str
    entry_hash: str


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    # Ids are given by the appender (head id + 1, under the head's lock), so the chain has no gaps.
    id: int = Field(sa_column=Column(BigIntKey, primary_key=True, autoincrement=False))
    occurred_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    actor_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(default="", max_length=64, index=True)
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=200)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    address: str | None = Field(default=None, max_length=45)
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The chain's tip: one row (id 1) with the last entry's id and hash."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
    id: int = Field(default=1, sa_column=Column(Integer, primary_key=True, autoincrement=False))
    last_id: int = Field(default=0, sa_column=Column(BigIntKey, nullable=False))
    last_hash: str = Field(max_length=64)
