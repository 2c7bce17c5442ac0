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
    password: str = Field(min_length=10, max_length=200)


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


class ApiToken(SQLModel, table=True):
    """A token for scripts; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
