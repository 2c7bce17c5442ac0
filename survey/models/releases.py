"""Index releases: the SIPAS indices of a campaign, computed once, reviewed, then published.

A release stores everything a reader needs to reproduce and judge its figures: the parameters
(domains, aggregation rule, interval method and level, reliability rule, weighting), the results
(one row per domain and questionnaire node, with SE, interval, df, respondents, CV and flag, and
the ranking of agencies), a summary (respondents, sampled units, response rate, design df) and
a data fingerprint (frame hash, draw seed, questionnaire version, a digest of the responses).
It holds aggregates only: no phone, no invitation, no response id.

Four eyes (:mod:`survey.releases`): ``draft`` -> ``submitted`` (for review) -> ``published``,
each step with who and when; the publisher is neither the one who computed nor the one who
submitted it. A correction is a new version (``supersedes_id``, ``correction_reason``); when it
is published the old one becomes ``superseded`` and stays readable. Published and superseded
rows never change: database triggers refuse it (migration ``t4releases``), apart from the one
step published -> superseded.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class ReleaseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


# Published figures, as cited: what the database refuses to change.
FROZEN_STATUSES: frozenset[str] = frozenset(
    {ReleaseStatus.PUBLISHED.value, ReleaseStatus.SUPERSEDED.value}
)


class IndexReleaseBase(SQLModel):
    name: str = Field(max_length=200)
    status: str = Field(default=ReleaseStatus.DRAFT.value, max_length=16)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class IndexRelease(IndexReleaseBase, table=True):
    __tablename__ = "index_release"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'submitted', 'published', 'superseded')", name="status"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(
        sa_column=Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    results: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    version: int = Field(default=1)
    supersedes_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("index_release.id"), nullable=True, index=True),
    )
    correction_reason: str = Field(default="", max_length=1000)
    fingerprint: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    content_sha256: str | None = Field(default=None, max_length=64)
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    submitted_by: int | None = Field(default=None, foreign_key="staff_user.id")
    submitted_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    published_by: int | None = Field(default=None, foreign_key="staff_user.id")
    published_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    superseded_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("index_release.id"), nullable=True)
    )
    superseded_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class IndexReleaseSummary(IndexReleaseBase):
    """A release without its results, for lists: status, version chain, who and when, hash."""

    id: int
    campaign_id: int
    version: int
    supersedes_id: int | None
    superseded_by_id: int | None
    correction_reason: str
    content_sha256: str | None
    created_by: int | None
    created_at: datetime
    submitted_by: int | None
    submitted_at: datetime | None
    published_by: int | None
    published_at: datetime | None
    superseded_at: datetime | None


class IndexReleasePublic(IndexReleaseSummary):
    """A release with its results; aggregates only (no phone, no invitation or response id)."""

    results: dict[str, Any]
    fingerprint: dict[str, Any]
