"""Index releases: the SIPAS indices of a campaign, computed once, reviewed, then published.

A release stores everything a reader needs to reproduce and judge its figures: the parameters
(domains, aggregation rule, interval method and level, reliability rule, weighting), the results
(one row per domain and questionnaire node, with SE, interval, df, respondents, CV and flag, and
the ranking of agencies) and a summary (respondents, sampled units, response rate, design df).
It holds aggregates only: no phone, no invitation, no response id.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class ReleaseStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class IndexReleaseBase(SQLModel):
    name: str = Field(max_length=200)
    status: str = Field(default=ReleaseStatus.DRAFT.value, max_length=16)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class IndexRelease(IndexReleaseBase, table=True):
    __tablename__ = "index_release"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(
        sa_column=Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    results: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    published_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class IndexReleaseSummary(IndexReleaseBase):
    """A release without its results, for lists."""

    id: int
    campaign_id: int
    created_by: int | None
    created_at: datetime
    published_at: datetime | None


class IndexReleasePublic(IndexReleaseSummary):
    """A release with its results; aggregates only (no phone, no invitation or response id)."""

    results: dict[str, Any]
