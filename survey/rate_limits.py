"""Rate limits shared by every API process: the `limits` library over one SQL table.

The strategy is limits' :class:`~limits.strategies.FixedWindowRateLimiter`; its counters live in
:class:`SqlStorage`, a :class:`limits.storage.Storage` subclass over ``rate_limit_counter`` (one
row per limit and caller: ``count`` and the window's end ``expires_at`` in Unix seconds). The
storage API fits the fixed window exactly: ``incr`` is one statement,

    INSERT INTO rate_limit_counter (key, count, expires_at) VALUES (:key, :n, :now + :expiry)
    ON CONFLICT (key) DO UPDATE SET  -- a window that has ended starts again at :n
        count = CASE WHEN expires_at <= :now THEN :n ELSE count + :n END,
        expires_at = CASE WHEN expires_at <= :now THEN :now + :expiry ELSE expires_at END
    RETURNING count

which is atomic on PostgreSQL (the conflicting row is locked, a concurrent hit waits and adds to
the committed count) and on SQLite >= 3.35 (one writer at a time), so two processes never lose a
hit. The moving window would need one row per hit; the fixed window's worst case (twice the limit
across a window boundary) is acceptable for these limits.

Counters are written on a connection of their own and committed at once: a refused login counts
even though its use case raises. Callers hit the limits before their own writes (on SQLite a
second writer waits for the first). Callers are stored as an HMAC of their address or username,
never in clear. Windows are measured with each process's clock (``time.time()``), so the hosts'
clocks should agree (NTP); expired rows are deleted every few hundred hits.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.elements import BindParameter

from survey.errors import Problem, TooManyRequests
from survey.models.rate_limits import RateLimitCounter
from survey.settings import Settings

_COUNTER = RateLimitCounter.__table__  # type: ignore[attr-defined]
# Expired rows are swept after this many hits of one process.
SWEEP_EVERY = 500


def _upsert_statement(dialect_name: str) -> ReturningInsert[Any]:
    """The counter's INSERT ... ON CONFLICT of the module docstring, with bound parameters
    ``key``, ``amount``, ``now`` and ``ends`` (= now + expiry)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    amount: BindParameter[int] = bindparam("amount")
    now: BindParameter[float] = bindparam("now")
    ends: BindParameter[float] = bindparam("ends")
    statement = dialect.insert(_COUNTER).values(key=bindparam("key"), count=amount, expires_at=ends)
    ended = _COUNTER.c.expires_at <= now
    return statement.on_conflict_do_update(
        index_elements=[_COUNTER.c.key],
        set_={
            "count": case((ended, amount), else_=_COUNTER.c.count + amount),
            "expires_at": case((ended, ends), else_=_COUNTER.c.expires_at),
        },
    ).returning(_COUNTER.c.count)


# A connection the caller checked out for its own work, lent to the counter (see
# SqlStorage.lent); None: the counter checks one out of the engine's pool.
_LENT: ContextVar[Connection | None] = ContextVar("sipas_rate_limit_connection", default=None)


class SqlStorage(Storage):
    """A `limits` storage in the platform's database (fixed window; see the module docstring)."""

    STORAGE_SCHEME = None

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self._hits = 0
        # Built once: making the statement objects cost a sixth of a citizen's submission.
        self._upsert = _upsert_statement(engine.dialect.name)
        self._hits_lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @staticmethod
    @contextmanager
    def lent(connection: Connection) -> Iterator[None]:
        """Count on ``connection`` (outside any transaction) while the block runs.

        A request that checks out a connection for its own work counts its hit on it first:
        one pool checkout (and pre-ping) fewer. The counter still commits on its own
        (autocommit), before and whatever the work does afterwards.
        """
        if connection.in_transaction():
            raise ValueError("the rate-limit counter commits alone: lend a connection before begin")
        token = _LENT.set(connection)
        try:
            yield
        finally:
            _LENT.reset(token)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        values = {"key": key, "amount": amount, "now": now, "ends": now + expiry}
        lent = _LENT.get()
        if lent is not None:
            count = self._incr_on(lent, values)
        else:
            # One statement, atomic by itself: autocommit spares a BEGIN and a COMMIT round
            # trip on every counted request.
            with self.engine.connect() as connection:
                count = self._incr_on(connection, values)
        self._maybe_sweep(now)
        return count

    def _incr_on(self, connection: Connection, values: dict[str, Any]) -> int:
        # Autocommit for this statement only, then the engine's default level again (both are
        # client-side settings of the driver: no round trip), so the caller's next transaction
        # begins as usual. (get_isolation_level() would ask the server.)
        level = connection.default_isolation_level
        assert level is not None
        connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            count = int(connection.execute(self._upsert, values).scalar_one())
            # Ends SQLAlchemy's transaction object (the driver has nothing to commit).
            connection.commit()
        finally:
            if connection.in_transaction():
                connection.rollback()
            connection.execution_options(isolation_level=level)
        return count

    def get(self, key: str) -> int:
        query = select(_COUNTER.c.count).where(
            _COUNTER.c.key == key, _COUNTER.c.expires_at > time.time()
        )
        with self.engine.connect() as connection:
            value = connection.execute(query).scalar_one_or_none()
        return int(value or 0)

    def get_expiry(self, key: str) -> float:
        now = time.time()
        query = select(_COUNTER.c.expires_at).where(
            _COUNTER.c.key == key, _COUNTER.c.expires_at > now
        )
        with self.engine.connect() as connection:
            value = connection.execute(query).scalar_one_or_none()
        return float(value) if value is not None else now

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return int(connection.execute(delete(_COUNTER)).rowcount)

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(_COUNTER).where(_COUNTER.c.key == key))

    def _maybe_sweep(self, now: float) -> None:
        with self._hits_lock:
            self._hits += 1
            due = self._hits % SWEEP_EVERY == 0
        if due:
            with self.engine.begin() as connection:
                connection.execute(delete(_COUNTER).where(_COUNTER.c.expires_at <= now))


class SignInLocked(TooManyRequests):
    """A sign-in limit is reached: ``per`` is "account" or "address"."""

    def __init__(
        self, msg: str, *, per: str, retry_after: int, problems: list[Problem] | None = None
    ) -> None:
        super().__init__(msg, retry_after=retry_after, problems=problems)
        self.per = per


@dataclass(frozen=True)
class Limit:
    """One configured limit: its name (part of the key), its setting and the parsed item."""

    name: str
    setting: str
    item: RateLimitItem


def _parse_limit(name: str, setting: str, value: str) -> Limit:
    try:
        item = parse(value)
    except ValueError as error:
        raise ValueError(
            f"SIPAS_{setting.upper()}={value!r} is not a rate limit: write e.g. '10/15 minutes'"
        ) from error
    return Limit(name=name, setting=setting, item=item)


def _wait_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


class RateLimits:
    """The platform's limits (sign-in per account and per address, citizen pages, callbacks)."""

    def __init__(self, *, engine: Engine, settings: Settings) -> None:
        self.storage = SqlStorage(engine)
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.login_account = _parse_limit(
            "login-account", "login_limit_per_account", settings.login_limit_per_account
        )
        self.login_address = _parse_limit(
            "login-address", "login_limit_per_address", settings.login_limit_per_address
        )
        self.citizen_address = _parse_limit(
            "citizen-address", "citizen_limit_per_address", settings.citizen_limit_per_address
        )
        self.callback_address = _parse_limit(
            "callback-address", "callback_limit_per_address", settings.callback_limit_per_address
        )
        self._key = hmac.new(
            settings.secret_key.encode(), b"sipas rate-limit identifiers", hashlib.sha256
        ).digest()

    def _identifier(self, value: str) -> str:
        # Keyed, so the table does not list who tried which username from where.
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:32]

    def _hit(self, limit: Limit, value: str) -> int | None:
        """Count one hit; None when allowed, else the seconds until the window ends."""
        identifier = self._identifier(value)
        if self.limiter.hit(limit.item, limit.name, identifier):
            return None
        reset_at = self.limiter.get_window_stats(limit.item, limit.name, identifier).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def hit_login(self, *, username: str, address: str | None) -> None:
        """Count a sign-in attempt; raise TooManyRequests when its address or account is over.

        Every attempt counts, right or wrong, so a locked account refuses the right password too
        until the window ends. The address is counted first: a flood from one address does not
        lock the accounts it names beyond its own share.
        """
        if address:
            wait = self._hit(self.login_address, address)
            if wait is not None:
                raise SignInLocked(
                    f"too many sign-in attempts from this address: try again in {_wait_text(wait)}",
                    per="address",
                    retry_after=wait,
                )
        wait = self._hit(self.login_account, username.strip().casefold())
        if wait is not None:
            message = (
                "too many sign-in attempts for this account: it is locked for "
                f"{_wait_text(wait)}; try again then (an administrator can see the attempts "
                "in the audit log)"
            )
            raise SignInLocked(
                message, per="account", retry_after=wait, problems=[Problem(("username",), message)]
            )

    def hit_citizen_page(self, *, address: str) -> None:
        """Count a request to a citizen's link page from ``address``."""
        wait = self._hit(self.citizen_address, address)
        if wait is not None:
            raise TooManyRequests(
                f"too many requests from this address: try again in {_wait_text(wait)}",
                retry_after=wait,
            )

    def hit_callback(self, *, address: str) -> None:
        """Count an SMS gateway callback from ``address``."""
        wait = self._hit(self.callback_address, address)
        if wait is not None:
            raise TooManyRequests(
                f"too many callbacks from this address: try again in {_wait_text(wait)}",
                retry_after=wait,
            )
