"""The audit log for administrators: filter the entries, check the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import SessionDep
from api.policy import AsAdmin
from survey.audit import MAX_LIMIT, MAX_OFFSET, list_events, verify_audit_chain
from survey.models.audit import AuditEventPublic

router = APIRouter(tags=["audit"])


class AuditEventList(BaseModel):
    """A page of entries, newest first, and how many match in all."""

    items: list[AuditEventPublic]
    total: int
    limit: int
    offset: int


class AuditChainReport(BaseModel):
    """Whether every entry's hash and link recompute; the first bad entry otherwise."""

    ok: bool
    entries: int
    first_bad_id: int | None
    reason: str


@router.get("/api/audit")
def list_audit_events(
    session: SessionDep,
    caller: AsAdmin,
    action: Annotated[
        str | None,
        Query(max_length=64, description='e.g. "export.sample", or a group such as "export"'),
    ] = None,
    actor: Annotated[str | None, Query(max_length=64, description="username")] = None,
    target: Annotated[str | None, Query(max_length=200, description='e.g. "campaign:3"')] = None,
    since: Annotated[
        datetime | None, Query(description="from this time (inclusive); without offset: UTC")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="before this time (exclusive); without offset: UTC")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditEventList:
    """Audit entries, newest first, filtered by action, actor, target and time."""
    page = list_events(
        session=session,
        actor=actor,
        action=action,
        target=target,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return AuditEventList(items=page.events, total=page.total, limit=page.limit, offset=page.offset)


@router.get("/api/audit/verify")
def verify_audit(session: SessionDep, caller: AsAdmin) -> AuditChainReport:
    """Recompute the whole hash chain (reads every entry)."""
    result = verify_audit_chain(session=session)
    return AuditChainReport(
        ok=result.ok,
        entries=result.entries,
        first_bad_id=result.first_bad_id,
        reason=result.reason,
    )
