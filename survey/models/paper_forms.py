"""Printed forms: the number on a paper questionnaire and the short link on its letter.

One row per invitation that was printed. ``form_number`` is not a secret (it is printed on the
returned form, which clerks key in); the short link is, so only its SHA-256 is kept, like the
invitation token (survey/short_links.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class PaperForm(SQLModel, table=True):
    """The printed identity of an invitation: form number (with check digit) and short link."""

    __tablename__ = "paper_form"
    invitation_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True
        )
    )
    form_number: str = Field(max_length=10, unique=True, index=True)
    short_code_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    issued_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
