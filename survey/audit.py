"""The audit log: who did what and when, append-only and chained by SHA-256.

Each entry's ``entry_hash`` is the SHA-256 of a canonical serialisation (sorted-key JSON, UTC
times as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) of its fields including ``prev_hash``, the previous
entry's hash; the first entry chains from the hash of :data:`AUDIT_GENESIS`. Changing, removing
or inserting any entry breaks the chain from that entry on, and :func:`verify_audit_chain` names it.

Appends are serialised through the one-row ``audit_head`` table: the first statement of an append
is ``UPDATE audit_head SET last_id = last_id + 1 ... RETURNING``, which takes the row lock on
PostgreSQL (a second appender waits, then reads the committed tip) and the write lock on SQLite
(pysqlite begins the transaction at that statement, so the tip is read inside the writing
transaction). Ids are the head's counter, so they are gap-free and a missing entry is visible.

The database refuses UPDATE, DELETE and TRUNCATE on ``audit_event`` with triggers (migration
``t1audit``); the chain is what catches someone who drops the triggers first.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from survey.errors import InvalidInput, Problem
from survey.models import StaffUser, utcnow
from survey.models.audit import AUDIT_GENESIS, AuditEvent, AuditEventPublic, AuditHead

GENESIS_HASH = hashlib.sha256(AUDIT_GENESIS.encode()).hexdigest()
# The actions the platform records (docs and the admin page's filter); record_event accepts any
# dotted name so a new one needs no change here to be recorded.
AUDIT_ACTIONS = (
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "token.created",
    "token.revoked",
    "user.created",
    "user.disabled",
    "user.enabled",
    "user.role_changed",
    "user.scopes_changed",
    "export.responses",
    "export.dispositions",
    "export.sample",
    "export.frame_problems",
    "letters.printed",
    "questionnaire.published",
    "release.computed",
    "release.submitted",
    "release.sent_back",
    "release.published",
    "release.superseded",
    "campaign.purged",
)
# The actor's name when no staff member is signed in: the command line on the server, or setup.
SYSTEM_ACTOR = "system"
ACTION_PATTERN = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
# Details are a small note, not a copy of the data; these keys would carry secrets or contacts.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {
        "password",
        "password_hash",
        "token",
        "secret",
        "secret_key",
        "phone",
        "phone_number",
        "link",
        "url",
    }
)
MAX_DETAILS_CHARS = 4000
MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1
_TEXT_LIMITS = {"actor_name": 64, "target": 200, "address": 45}


@dataclass(frozen=True)
class AuditVerification:
    """The result of recomputing the chain: ``ok``, how many entries, and the first bad one."""

    ok: bool
    entries: int
    first_bad_id: int | None
    reason: str


@dataclass(frozen=True)
class AuditPage:
    """One page of entries (newest first) and how many match the filters in all."""

    events: list[AuditEventPublic]
    total: int
    limit: int
    offset: int


def _as_utc(value: datetime) -> datetime:
    # SQLite returns the stored UTC time without its offset.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _format_time(value: datetime) -> str:
    return _as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical_json(value: object) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def compute_entry_hash(
    *,
    id: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_name: str,
    action: str,
    target: str,
    details: Mapping[str, Any],
    address: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of the canonical serialisation of one entry and the previous entry's hash."""
    payload = {
        "id": id,
        "occurred_at": _format_time(occurred_at),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "target": target,
        "details": dict(details),
        "address": address,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(_canonical_json(payload).encode()).hexdigest()


_ENTRY_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "target",
    "details",
    "address",
    "prev_hash",
    "entry_hash",
)


def _clean_details(details: Mapping[str, object] | None) -> dict[str, Any]:
    if not details:
        return {}
    bad = sorted(k for k in details if str(k).lower() in FORBIDDEN_DETAIL_KEYS)
    if bad:
        raise ValueError(f"audit details must not carry {', '.join(bad)}; record a count or id")
    try:
        text = _canonical_json(dict(details))
    except (TypeError, ValueError) as error:
        raise ValueError(f"audit details must be plain JSON values: {error}") from error
    if len(text) > MAX_DETAILS_CHARS:
        raise ValueError(f"audit details are {len(text)} characters; keep them under 4000")
    # Stored exactly as hashed (tuples become lists, keys strings), so verify recomputes the same.
    cleaned: dict[str, Any] = json.loads(text)
    return cleaned


def _clip(name: str, value: str) -> str:
    # Names and targets can come from a request (a failed login's username): clip, never fail.
    return value[: _TEXT_LIMITS[name]]


def _advance_head(session: Session) -> tuple[int, str]:
    """Lock the chain's tip and take the next id; returns (new id, previous hash)."""
    statement = (
        update(AuditHead)
        .where(col(AuditHead.id) == 1)
        .values(last_id=col(AuditHead.last_id) + 1)
        .returning(col(AuditHead.last_id), col(AuditHead.last_hash))
    )
    row = session.execute(statement).first()
    if row is None:
        # A database whose head row is gone (the tests truncate every table): start the chain.
        dialect = session.get_bind().dialect.name
        maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            maker(AuditHead)
            .values(id=1, last_id=0, last_hash=GENESIS_HASH)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        row = session.execute(statement).one()
    return int(row[0]), str(row[1])


def record_event(
    *,
    session: Session,
    action: str,
    actor: StaffUser | None = None,
    actor_name: str = "",
    target: str = "",
    details: Mapping[str, object] | None = None,
    address: str | None = None,
) -> None:
    """Append one chained entry inside the caller's transaction; the caller commits.

    ``actor_name`` defaults to the actor's username; without an actor (a failed login) it is the
    name that was tried. ``details`` is a small JSON object and never holds a password, token,
    phone or full link. Call it late in the use case: the chain's tip stays locked until commit.
    """
    if not ACTION_PATTERN.match(action) or len(action) > 64:
        raise ValueError(f"audit action {action!r} must be dotted lowercase words, e.g. auth.login")
    cleaned = _clean_details(details)
    name = _clip("actor_name", actor_name or (actor.username if actor is not None else ""))
    clipped_target = _clip("target", target)
    clipped_address = _clip("address", address) if address else None
    actor_id = actor.id if actor is not None else None
    new_id, prev_hash = _advance_head(session)
    # Whole microseconds survive both databases, so the stored time hashes the same when re-read.
    occurred_at = utcnow()
    entry_hash = compute_entry_hash(
        id=new_id,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_name=name,
        action=action,
        target=clipped_target,
        details=cleaned,
        address=clipped_address,
        prev_hash=prev_hash,
    )
    session.execute(
        insert(AuditEvent).values(
            id=new_id,
            occurred_at=occurred_at,
            actor_id=actor_id,
            actor_name=name,
            action=action,
            target=clipped_target,
            details=cleaned,
            address=clipped_address,
            prev_hash=prev_hash,
            entry_hash=entry_hash,
        )
    )
    session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(last_hash=entry_hash))


def verify_audit_chain(*, session: Session, batch_size: int = 1000) -> AuditVerification:
    """Recompute every entry's hash in id order and check the links, ids and the head.

    Rows are read as plain tuples in batches, so a long log costs bounded memory and the
    caller's session holds no audit objects afterwards.
    """
    expected_id = 1
    prev_hash = GENESIS_HASH
    count = 0
    columns = [col(getattr(AuditEvent, name)) for name in _ENTRY_FIELDS]
    statement = sa_select(*columns).order_by(col(AuditEvent.id))
    for row in session.execute(statement.execution_options(yield_per=batch_size)):
        entry = dict(zip(_ENTRY_FIELDS, row, strict=True))
        entry_id = int(entry["id"])
        count += 1
        if entry_id != expected_id:
            reason = (
                f"entry {entry_id} follows entry {expected_id - 1}: "
                f"entries {expected_id}..{entry_id - 1} are missing"
                if entry_id > expected_id
                else f"entry {entry_id} is out of order after entry {expected_id - 1}"
            )
            return AuditVerification(False, count, entry_id, reason)
        if entry["prev_hash"] != prev_hash:
            return AuditVerification(
                False,
                count,
                entry_id,
                f"entry {entry_id} does not chain to entry {entry_id - 1} (prev_hash differs)",
            )
        stored_hash = entry.pop("entry_hash")
        entry["details"] = entry["details"] or {}
        if compute_entry_hash(**entry) != stored_hash:
            return AuditVerification(
                False,
                count,
                entry_id,
                f"entry {entry_id} was changed after it was written (its hash does not match)",
            )
        prev_hash = stored_hash
        expected_id += 1
    last_id = expected_id - 1
    head = session.execute(
        sa_select(col(AuditHead.last_id), col(AuditHead.last_hash)).where(col(AuditHead.id) == 1)
    ).first()
    if head is None:
        if count == 0:
            return AuditVerification(True, 0, None, "")
        return AuditVerification(False, count, None, "the chain's head row (audit_head) is missing")
    head_id, head_hash = int(head[0]), str(head[1])
    if head_id > last_id:
        return AuditVerification(
            False,
            count,
            last_id + 1,
            f"the head says the log ends at entry {head_id} but it ends at entry {last_id}: "
            "entries after it were removed",
        )
    if head_id < last_id:
        return AuditVerification(
            False,
            count,
            head_id + 1,
            f"entries {head_id + 1}..{last_id} were added outside the chain (the head ends at "
            f"entry {head_id})",
        )
    if head_hash != prev_hash:
        return AuditVerification(
            False,
            count,
            last_id,
            f"entry {last_id} was rewritten (the head holds another hash for it)",
        )
    return AuditVerification(True, count, None, "")


def day_start(day: date, timezone: str, *, days_later: int = 0) -> datetime:
    """The first instant of ``day`` (plus ``days_later``) in the platform's time zone, as UTC.

    Filters given as dates mean whole local days: ``since`` is the day's start and ``until`` the
    start of the day after, so "until 2026-12-01" includes all of the 1st in Hà Nội time.
    """
    local = datetime.combine(day + timedelta(days=days_later), time(), ZoneInfo(timezone))
    return local.astimezone(UTC)


def _page_problems(limit: int, offset: int) -> list[Problem]:
    problems = []
    if not 1 <= limit <= MAX_LIMIT:
        problems.append(Problem(("query", "limit"), f"limit must be between 1 and {MAX_LIMIT}"))
    if not 0 <= offset <= MAX_OFFSET:
        problems.append(Problem(("query", "offset"), f"offset must be between 0 and {MAX_OFFSET}"))
    return problems


def to_public(entry: AuditEvent) -> AuditEventPublic:
    """An entry as admins see it, with its time as an aware UTC datetime."""
    return AuditEventPublic(
        id=entry.id,
        occurred_at=_as_utc(entry.occurred_at),
        actor_id=entry.actor_id,
        actor_name=entry.actor_name,
        action=entry.action,
        target=entry.target,
        details=entry.details or {},
        address=entry.address,
        prev_hash=entry.prev_hash,
        entry_hash=entry.entry_hash,
    )


def list_events(
    *,
    session: Session,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    target: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> AuditPage:
    """Entries newest first, filtered; ``action`` without a dot matches its group ("export").

    ``actor`` is a username, ``since`` is inclusive and ``until`` exclusive (naive means UTC).
    """
    problems = _page_problems(limit, offset)
    if since is not None and until is not None and _as_utc(until) <= _as_utc(since):
        problems.append(Problem(("query", "until"), "until must be later than since"))
    if problems:
        raise InvalidInput("the audit filters are not usable", problems)
    conditions = []
    if actor:
        conditions.append(col(AuditEvent.actor_name) == actor)
    if action:
        if "." in action:
            conditions.append(col(AuditEvent.action) == action)
        else:
            conditions.append(col(AuditEvent.action).startswith(action + ".", autoescape=True))
    if target:
        conditions.append(col(AuditEvent.target) == target)
    # SQLite compares the stored UTC text, so bounds go in as UTC too.
    if since is not None:
        conditions.append(col(AuditEvent.occurred_at) >= _as_utc(since))
    if until is not None:
        conditions.append(col(AuditEvent.occurred_at) < _as_utc(until))
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    rows = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return AuditPage(
        events=[to_public(r) for r in rows], total=int(total), limit=limit, offset=offset
    )
