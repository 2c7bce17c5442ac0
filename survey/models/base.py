"""Shared table conventions: constraint names (needed by Alembic batch mode) and clocks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    """Timezone-aware now in UTC (stored as naive UTC by SQLite, aware by PostgreSQL)."""
    return datetime.now(UTC)


# 64-bit keys for the big tables; on SQLite only INTEGER PRIMARY KEY numbers rows by itself.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")
