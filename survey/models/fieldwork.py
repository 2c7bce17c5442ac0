"""Fieldwork: campaigns, invitations, SMS outbox, opt-outs and responses.

Privacy by structure (docs/privacy.md): ``Response`` has no contact data and, once submitted, no
link to its invitation either (``invitation_id`` is cleared in the submitting transaction and a
CHECK constraint refuses a completed response that keeps one); it holds no time of day, only the
completion month. Phones appear only in ``Invitation`` and ``SmsMessage`` (both purged after
fieldwork) and opt-outs keep only a keyed hash of the number.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from survey.models.base import BigIntKey, utcnow


def _timestamp(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index)
    )


class Campaign(SQLModel, table=True):
    """A draw + a published questionnaire version + a field period."""

    __tablename__ = "campaign"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    draw_id: int = Field(foreign_key="draw.id", index=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    field_start: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    field_end: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status: str = Field(default="draft", max_length=16)  # draft | active | closed
    sms_template: str = Field(default="", max_length=1000)
    reminder_template: str = Field(default="", max_length=1000)
    strip_diacritics: bool = False
    reminder_days: list[int] = Field(default_factory=lambda: [3, 7], sa_column=Column(JSON))
    contact_purged_at: datetime | None = _timestamp()
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Invitation(SQLModel, table=True):
    """One sampled case's invitation. The token is never stored, only its SHA-256."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("campaign_id", "sample_unit_id"),)
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    campaign_id: int = Field(
        sa_column=Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    sample_unit_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("sample_unit.id"), nullable=False, index=True)
    )
    token_hash: str = Field(max_length=64, unique=True, index=True)
    token_salt: str = Field(max_length=32)
    channel: str = Field(max_length=16)  # sms | letter
    phone_e164: str | None = Field(default=None, max_length=16)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = _timestamp()
    first_opened_at: datetime | None = _timestamp()
    # Day only (midnight UTC), written by survey.responses: a response holds no time that these
    # could be matched with, and dispositions only need "started" / "completed".
    started_at: datetime | None = _timestamp()
    completed_at: datetime | None = _timestamp()
    opted_out_at: datetime | None = _timestamp()
    sms_status: str = Field(default="none", max_length=16)  # none|queued|sent|delivered|failed
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class SmsMessage(SQLModel, table=True):
    """The persistent outbox; ``idempotency_key`` makes queueing the same message twice a no-op."""

    __tablename__ = "sms_message"
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    idempotency_key: str = Field(max_length=100, unique=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    invitation_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("invitation.id"), index=True)
    )
    kind: str = Field(max_length=16)  # invitation | reminder
    to_e164: str | None = Field(default=None, max_length=16)
    text: str = Field(max_length=2000)
    encoding: str = Field(max_length=8)  # gsm7 | ucs2
    segments: int
    # queued -> sending -> sent -> delivered | failed; "unknown" after a crash mid-send (not resent)
    status: str = Field(default="queued", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _timestamp(index=True)
    lease_until: datetime | None = _timestamp()
    gateway_ref: str = Field(default="", max_length=100)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    sent_at: datetime | None = _timestamp()
    delivered_at: datetime | None = _timestamp()


class SmsOptOut(SQLModel, table=True):
    """A number that asked not to be contacted, kept as a keyed hash so it survives the purge."""

    __tablename__ = "sms_opt_out"
    id: int | None = Field(default=None, primary_key=True)
    phone_hash: str = Field(max_length=64, unique=True)
    keyword: str = Field(default="", max_length=32)
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Response(SQLModel, table=True):
    """A citizen's answers with what estimation needs, no contact data and no way back.

    ``invitation_id`` links an *in-progress* draft to its invitation (unique: one draft per
    invitation) so a citizen can resume; the submission clears it, and closing the campaign
    clears it on the drafts left. ``psu`` is the first-stage unit of two-stage (PPS) draws,
    copied when the response starts so releases never need the invitation.
    """

    __tablename__ = "response"
    __table_args__ = (
        CheckConstraint("status = 'in_progress' OR invitation_id IS NULL", name="unlinked"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    campaign_id: int = Field(
        sa_column=Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    invitation_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("invitation.id"), unique=True)
    )
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    language: str = Field(default="vi", max_length=8)
    mode: str = Field(default="web", max_length=16)  # web; paper, phone interview later
    current_page: int = 0
    status: str = Field(default="in_progress", max_length=16)  # in_progress | completed
    stratum: str = Field(max_length=128)
    inclusion_prob: float
    weight: float
    agency_code: str = Field(max_length=32, index=True)
    province_code: str = Field(max_length=8)
    level: str = Field(max_length=16)
    procedure_field: str = Field(default="", max_length=128)
    channel: str = Field(max_length=16)
    psu: str = Field(default="", max_length=32)
    # The first day of the (UTC) month of submission: no day, no time of day.
    completed_month: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
