"""Sampling frames: the dossiers agencies completed in a period, and their contact phones apart."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from survey.models.base import BigIntKey, utcnow


class FrameStatus(StrEnum):
    IMPORTING = "importing"
    REJECTED = "rejected"
    READY = "ready"


class Channel(StrEnum):
    DIRECT = "direct"
    ONLINE = "online"
    POSTAL = "postal"


class Level(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    CENTRAL = "central"


class FrameBase(SQLModel):
    name: str = Field(max_length=200)
    period_start: date | None = None
    period_end: date | None = None


class Frame(FrameBase, table=True):
    __tablename__ = "frame"
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=FrameStatus.IMPORTING.value, max_length=16)
    source_filename: str = Field(default="", max_length=255)
    row_count: int = 0
    rejected_count: int = 0
    content_hash: str = Field(default="", max_length=64)
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    # {field: the header as written in the file}, so reports name the coordinator's own columns
    # ("Mã hồ sơ"), not only the platform's field names; {} for frames imported before it.
    column_headers: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False, server_default=text("'{}'")),
    )


class FramePublic(FrameBase):
    id: int
    status: str
    source_filename: str
    row_count: int
    rejected_count: int
    content_hash: str
    created_at: datetime
    column_headers: dict[str, str] = {}


class Dossier(SQLModel, table=True):
    """One completed dossier (hồ sơ) of a frame. No contact data here."""

    __tablename__ = "dossier"
    __table_args__ = (
        UniqueConstraint("frame_id", "dossier_code"),
        Index("ix_dossier_frame_agency", "frame_id", "agency_code"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigIntKey, primary_key=True))
    frame_id: int = Field(
        sa_column=Column(ForeignKey("frame.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    row_number: int
    dossier_code: str = Field(max_length=64)
    agency_code: str = Field(max_length=32)
    agency_name: str = Field(default="", max_length=255)
    province_code: str = Field(max_length=8)
    commune_code: str = Field(default="", max_length=16)
    level: str = Field(max_length=16)
    procedure_code: str = Field(default="", max_length=64)
    procedure_field: str = Field(default="", max_length=128)
    channel: str = Field(max_length=16)
    received_date: date
    due_date: date | None = None
    completed_date: date
    contactable: bool = False


class DossierPublic(SQLModel):
    id: int
    dossier_code: str
    agency_code: str
    agency_name: str
    province_code: str
    commune_code: str
    level: str
    procedure_code: str
    procedure_field: str
    channel: str
    received_date: date
    due_date: date | None
    completed_date: date
    contactable: bool


class DossierContact(SQLModel, table=True):
    """The applicant's phone, name and postal address, kept apart from the dossier data and
    purged after fieldwork. A row may hold only an address (a letter) or only a phone (an SMS)."""

    __tablename__ = "dossier_contact"
    dossier_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("dossier.id", ondelete="CASCADE"), primary_key=True)
    )
    phone_e164: str | None = Field(default=None, max_length=16, index=True)
    phone_as_given: str = Field(default="", max_length=32)
    # Server defaults too: the importer writes contacts with raw COPY / executemany statements
    # that name only the columns a file has.
    full_name: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    postal_address: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})


class FrameImportProblem(SQLModel, table=True):
    """One problem found while importing a frame: which row, which field, what to do."""

    __tablename__ = "frame_import_problem"
    id: int | None = Field(default=None, primary_key=True)
    frame_id: int = Field(
        sa_column=Column(ForeignKey("frame.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    row_number: int
    field_name: str = Field(max_length=64)
    message: str = Field(max_length=500)
    severity: str = Field(
        default="error", max_length=16
    )  # "error" rejects the row; "warning" keeps it


class GeoMapping(SQLModel, table=True):
    """A named mapping of unit codes, e.g. the 2025 merger of 63 provinces into 34."""

    __tablename__ = "geo_mapping"
    __table_args__ = (UniqueConstraint("mapping", "from_code"),)
    id: int | None = Field(default=None, primary_key=True)
    mapping: str = Field(max_length=64, index=True)
    from_code: str = Field(max_length=16)
    to_code: str = Field(max_length=16)
    to_name: str = Field(default="", max_length=128)
