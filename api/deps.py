"""Request dependencies: settings, a database session, the signed-in staff user and their role.

Authentication (who is calling) lives here; authorization (may they) is :mod:`api.policy`.
A bearer token or the ``sipas_session`` cookie becomes a user through
:func:`survey.users.user_for_token`, which refuses revoked and expired tokens and disabled users.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette

from survey.errors import NotAuthenticated, PermissionDenied, Problem
from survey.models import StaffUser
from survey.passwords import PasswordChecker, password_checker
from survey.rate_limits import RateLimits
from survey.settings import Settings
from survey.users import TokenLifetimes, user_for_token

SESSION_COOKIE = "sipas_session"


# async: they only read app.state; a plain function would cost a thread-pool hop per request.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    # Use cases commit themselves before returning; this only closes the session.
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def rate_limits_of(app: Starlette) -> RateLimits:
    """The app's rate limits (counters in the database, shared by every process), made once."""
    limits: RateLimits | None = getattr(app.state, "rate_limits", None)
    if limits is None:
        limits = RateLimits(engine=app.state.engine, settings=app.state.settings)
        app.state.rate_limits = limits
    return limits


def get_rate_limits(request: Request) -> RateLimits:
    return rate_limits_of(request.app)


def get_password_checker(settings: SettingsDep) -> PasswordChecker:
    """The process's bounded Argon2 verifier (sized by the settings)."""
    return password_checker(settings.password_checks, settings.password_check_queue)


class SignInQueue:
    """Sign-ins wait for a free password checker on the event loop, not in a worker thread.

    FastAPI runs synchronous handlers in a pool of 40 threads shared with every page; a flood
    of sign-ins blocked inside the checker would hold them all and starve the citizens' pages.
    Here a sign-in waits (holding no thread) until one of ``slots`` is free, at most
    ``max_wait`` seconds; when ``slots + waiting`` sign-ins are already admitted or waiting, a
    new one is refused at once.
    """

    def __init__(self, slots: int, waiting: int, max_wait: float = 10.0) -> None:
        self.slots = slots
        self.waiting = waiting
        self.max_wait = max_wait
        self.queued = 0
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[bool]:
        """Yield True with a slot held, or False when the queue is full or the wait too long."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._semaphore, self._loop, self.queued = asyncio.Semaphore(self.slots), loop, 0
        semaphore = self._semaphore
        if self.queued >= self.slots + self.waiting:
            yield False
            return
        self.queued += 1
        try:
            try:
                await asyncio.wait_for(semaphore.acquire(), self.max_wait)
            except TimeoutError:
                acquired = False
            else:
                acquired = True
            try:
                yield acquired
            finally:
                if acquired:
                    semaphore.release()
        finally:
            self.queued -= 1


def sign_in_queue_of(app: Starlette) -> SignInQueue:
    queue: SignInQueue | None = getattr(app.state, "sign_in_queue", None)
    if queue is None:
        settings: Settings = app.state.settings
        checker = password_checker(settings.password_checks, settings.password_check_queue)
        queue = SignInQueue(checker.concurrency, settings.password_check_queue)
        app.state.sign_in_queue = queue
    return queue


async def sign_in_turn(request: Request) -> AsyncIterator[bool]:
    """True while this sign-in holds a password-checking slot; False: refuse it as busy."""
    async with sign_in_queue_of(request.app).turn() as admitted:
        yield admitted


SignInTurn = Annotated[bool, Depends(sign_in_turn)]


def client_address(request: Request) -> str | None:
    """The caller's address as uvicorn reports it.

    uvicorn replaces it with ``X-Forwarded-For`` only when the connection comes from one of its
    ``--forwarded-allow-ips`` (by default 127.0.0.1): run behind a reverse proxy on the same host,
    or set that option to the proxy's address, so that limits count real callers.
    """
    return request.client.host if request.client else None


RateLimitsDep = Annotated[RateLimits, Depends(get_rate_limits)]
PasswordCheckerDep = Annotated[PasswordChecker, Depends(get_password_checker)]
AddressDep = Annotated[str | None, Depends(client_address)]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def get_lifetimes(settings: SettingsDep) -> TokenLifetimes:
    """How long sessions and tokens live, from the settings."""
    return TokenLifetimes.from_settings(settings)


LifetimesDep = Annotated[TokenLifetimes, Depends(get_lifetimes)]


def _check_api_csrf(request: Request, settings: Settings, session_token: str) -> None:
    # Imported here: the page kit imports this module; the derivation lives with the forms.
    from api.pages.coordinator import csrf_token

    sent = request.headers.get(CSRF_HEADER, "")
    expected = csrf_token(settings, session_token)
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PermissionDenied(
            "a change through the API with the sign-in cookie needs the X-CSRF-Token header "
            "(the form token of the staff pages); scripts send 'Authorization: Bearer <token>'",
            [Problem(("header", CSRF_HEADER), "send the staff page's form token in this header")],
        )


def _credential(request: Request, settings: Settings) -> str | None:
    """The bearer token, or the session cookie (checked against CSRF for API writes).

    Browsers attach the cookie to any request, including one a hostile page makes them send, so
    a JSON API write (``/api/...`` POST/PUT/PATCH/DELETE) authenticated by the cookie alone is
    refused with 403 unless it carries ``X-CSRF-Token`` equal to the pages' form token (compared
    in constant time). Reads keep working with the cookie: the pages' download links are plain
    API links. An ``Authorization`` header is never sent by a browser on its own, so it needs no
    CSRF token.
    """
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    if request.url.path.startswith("/api/") and request.method not in SAFE_METHODS:
        _check_api_csrf(request, settings, cookie)
    return cookie


def optional_user(request: Request, session: SessionDep, settings: SettingsDep) -> StaffUser | None:
    """The signed-in user, or None (no, unknown, revoked or expired credentials)."""
    token = _credential(request, settings)
    if not token:
        return None
    try:
        return user_for_token(
            session=session, token=token, lifetimes=TokenLifetimes.from_settings(settings)
        )
    except NotAuthenticated:
        return None


def current_user(request: Request, session: SessionDep, settings: SettingsDep) -> StaffUser:
    """The signed-in user, or 401 saying what to do (expired sessions: sign in again)."""
    token = _credential(request, settings)
    if not token:
        raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>'")
    return user_for_token(
        session=session, token=token, lifetimes=TokenLifetimes.from_settings(settings)
    )


CurrentUser = Annotated[StaffUser, Depends(current_user)]


def require_roles(*roles: str) -> Callable[[StaffUser], StaffUser]:
    """A dependency that lets only the given roles through (admins always pass)."""

    def check(user: CurrentUser) -> StaffUser:
        if user.role != "admin" and user.role not in roles:
            raise PermissionDenied(
                f"this needs the role {' or '.join(roles)}; your role is {user.role}"
            )
        return user

    return check


CoordinatorUser = Annotated[StaffUser, Depends(require_roles("coordinator"))]
AnalystUser = Annotated[StaffUser, Depends(require_roles("analyst", "coordinator"))]
AdminUser = Annotated[StaffUser, Depends(require_roles("admin"))]
