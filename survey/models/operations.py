"""What the running processes record about themselves (see :mod:`survey.monitoring`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class WorkerHeartbeat(SQLModel, table=True):
    """One ``sipas worker`` process: written at the end of every pass, read by ``/readyz``.

    ``worker_id`` is ``host:pid``, so a restarted worker gets a new row and a dead one keeps its
    last beat (its age is what an alert watches); rows silent for a day are pruned by the workers.
    """

    __tablename__ = "worker_heartbeat"
    worker_id: str = Field(primary_key=True, max_length=200)
    host: str = Field(max_length=200)
    pid: int
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    beat_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True),
    )
    passes: int = Field(default=0)
    # "ok", "gateway_down" or "database_error": what the last pass ran into.
    state: str = Field(default="ok", max_length=20)
    detail: str = Field(default="", max_length=300)
