"""Sample designs and draws stored as records, with every sampled unit's inclusion probability."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import BigIntKey, utcnow


class DesignBase(SQLModel):
    name: str = Field(max_length=200)
    frame_id: int = Field(foreign_key="frame.id", index=True)
    # Frame columns forming the strata, e.g. ["agency_code"] or ["province_code", "channel"].
    stratify_by: list[str] = Field(default_factory=lambda: ["agency_code"], sa_column=Column(JSON))
    geo_mapping: str | None = Field(default=None, max_length=64)
    selection: str = Field(default="srswor", max_length=16)  # srswor | systematic | pps
    sort_by: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    psu_column: str | None = Field(default=None, max_length=32)
    # Allocation parameters: method, total n or precision target, p, deff, response rate, bounds.
    allocation: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    reserve_per_stratum: int = 0


class Design(DesignBase, table=True):
    __tablename__ = "design"
    id: int | None = Field(default=None, primary_key=True)
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    allocation_table: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))


class DesignPublic(DesignBase):
    id: int
    created_at: datetime
    allocation_table: list[dict[str, Any]]


class Draw(SQLModel, table=True):
    __tablename__ = "draw"
    id: int | None = Field(default=None, primary_key=True)
    design_id: int = Field(foreign_key="design.id", index=True)
    seed: int = Field(sa_column=Column(BigInteger, nullable=False))
    frame_hash: str = Field(max_length=64)
    library_version: str = Field(max_length=32)
    design_snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    n_sampled: int = 0
    n_reserve: int = 0
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class DrawPublic(SQLModel):
    id: int
    design_id: int
    seed: int
    frame_hash: str
    library_version: str
    n_sampled: int
    n_reserve: int
    created_at: datetime


class SampleUnit(SQLModel, table=True):
    """A dossier drawn into a sample (or onto the reserve list) with its inclusion probability."""

    __tablename__ = "sample_unit"
    __table_args__ = (UniqueConstraint("draw_id", "dossier_id"),)
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    draw_id: int = Field(
        sa_column=Column(ForeignKey("draw.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    dossier_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("dossier.id"), nullable=False, index=True)
    )
    stratum: str = Field(max_length=128)
    inclusion_prob: float
    weight: float
    is_reserve: bool = False
    reserve_order: int | None = None
    # "invite", or "duplicate_contact" when another sampled dossier of this draw has the same
    # phone: one campaign never invites a person twice (see survey.draws for the weights).
    contact_status: str = Field(
        default="invite", sa_column_kwargs={"server_default": "invite"}, max_length=24
    )
    # The sampled dossier (id) kept for the shared phone, when contact_status is a duplicate.
    duplicate_of: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
