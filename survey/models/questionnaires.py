"""Versioned questionnaires: a draft is edited, a published version is immutable."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class Questionnaire(SQLModel, table=True):
    """One version of a questionnaire; ``definition`` holds elements, criteria, texts and scales."""

    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("code", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, index=True)
    version: int
    status: str = Field(default="draft", max_length=16)  # draft | published
    title_vi: str = Field(max_length=300)
    title_en: str = Field(default="", max_length=300)
    definition: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    published_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
