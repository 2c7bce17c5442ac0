"""Rate-limit counters shared by every API process (see :mod:`survey.rate_limits`)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class RateLimitCounter(SQLModel, table=True):
    """One fixed window of one limit: ``key`` names the limit and a hashed caller.

    ``expires_at`` is in Unix seconds (``time.time()``), so the window logic compares numbers the
    same way on SQLite and PostgreSQL with no time zone in between.
    """

    __tablename__ = "rate_limit_counter"
    key: str = Field(primary_key=True, max_length=160)
    count: int = Field(default=0)
    expires_at: float = Field(index=True)
