"""Staff accounts, roles, scopes and API tokens. Citizens never have an account."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    # Reviews and publishes index releases someone else computed and submitted (four eyes).
    PUBLISHER = "publisher"
    # Conducts phone and face-to-face interviews of the cases assigned to them (survey.interviews).
    INTERVIEWER = "interviewer"
    # Keys returned paper forms, each twice by two different clerks (survey.data_entry).
    CLERK = "clerk"


class StaffUserBase(SQLModel):
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=16)  # a Role value
    is_active: bool = True


class StaffUser(StaffUserBase, table=True):
    __tablename__ = "staff_user"
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class StaffUserCreate(StaffUserBase):
    password: str = Field(min_length=12, max_length=200)


class StaffUserPublic(StaffUserBase):
    id: int
    scopes: list[str] = []


class UserScope(SQLModel, table=True):
    """Limits a coordinator to some agencies or provinces; no scope rows means unrestricted."""

    __tablename__ = "user_scope"
    __table_args__ = (UniqueConstraint("user_id", "kind", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)  # "agency" or "province"
    code: str = Field(max_length=32)


class TokenKind(StrEnum):
    """A web sign-in (cookie, idle and absolute expiry) or a token for scripts (lifetime)."""

    SESSION = "session"
    API = "api"


class ApiToken(SQLModel, table=True):
    """A bearer token: only its SHA-256 is stored, the token itself is shown once.

    Expiry is enforced by the server: ``expires_at`` is the absolute end (sign-in + 12 h for a
    session, creation + 90 days or an earlier explicit date for a script's token) and a session
    also ends after ``last_used_at`` + the idle time of the settings.
    """

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    kind: str = Field(default=TokenKind.API, max_length=16)  # a TokenKind value
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ApiTokenPublic(SQLModel):
    """A token as its owner and admins see it: never the token or its hash."""

    id: int
    user_id: int
    username: str
    name: str
    kind: str
    state: str  # "active", "expired" or "revoked"
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
