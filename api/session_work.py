"""Run a request's synchronous use case without a thread-pool hop where the database allows.

FastAPI runs a plain ``def`` handler, and each of its plain dependencies, in its thread pool:
every hop is a handoff between threads under the GIL, and on the citizen's submission those hops
cost more CPU than the SQL. On PostgreSQL :func:`run_with_session` runs the same synchronous code
(the use cases in ``survey/`` unchanged, one ``Session``, one commit) in a greenlet on the event
loop over the asyncio engine (:func:`survey.db.make_async_engine`), as SQLAlchemy's own
``AsyncSession.run_sync`` does; each database wait yields to the loop. On SQLite (no async
driver) it runs in the thread pool, as a plain handler would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

__all__ = ["run_with_session"]

T = TypeVar("T")


def _in_session(engine: Engine, work: Callable[[Session], T]) -> T:
    # Use cases commit themselves; closing rolls back whatever they left open.
    with Session(engine) as session:
        return work(session)


async def run_with_session(request: Request, work: Callable[[Session], T]) -> T:
    """``work(session)`` with a fresh session: in a greenlet on PostgreSQL, else a worker thread."""
    async_engine: AsyncEngine | None = getattr(request.app.state, "async_engine", None)
    if async_engine is not None:
        return await greenlet_spawn(_in_session, async_engine.sync_engine, work)
    engine: Engine = request.app.state.engine
    return await run_in_threadpool(_in_session, engine, work)
