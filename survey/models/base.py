"""Shared table conventions: constraint names (needed by Alembic batch mode) and clocks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
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

# Largest keys: INTEGER (32-bit on PostgreSQL) and BIGINT columns; the API bounds ids by them.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


class AwareDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always hands back an aware UTC datetime.

    PostgreSQL keeps the offset; SQLite keeps none and returns naive values, which the API would
    send without an offset. Values are stored as UTC (a naive value is taken as UTC, the
    platform's convention) and read back with ``tzinfo=UTC`` on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None or not isinstance(value, datetime):
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None or not isinstance(value, datetime):
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def use_aware_datetimes(metadata: MetaData) -> None:
    """Give every ``DateTime(timezone=True)`` column of ``metadata`` the :class:`AwareDateTime`
    type, so columns declared anywhere (and added later) read back aware on SQLite too."""
    for table in metadata.tables.values():
        for column in table.columns:
            kind = column.type
            if isinstance(kind, DateTime) and kind.timezone:
                column.type = AwareDateTime()
