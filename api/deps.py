"""Request dependencies: settings, a database session, the signed-in staff user and their role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.errors import NotAuthenticated, PermissionDenied
from survey.models import StaffUser
from survey.settings import Settings
from survey.users import user_for_token

SESSION_COOKIE = "sipas_session"


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    # Use cases commit themselves before returning; this only closes the session.
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def optional_user(request: Request, session: SessionDep) -> StaffUser | None:
    token = _bearer_token(request)
    if not token:
        return None
    try:
        return user_for_token(session=session, token=token)
    except NotAuthenticated:
        return None


def current_user(request: Request, session: SessionDep) -> StaffUser:
    token = _bearer_token(request)
    if not token:
        raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>'")
    return user_for_token(session=session, token=token)


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
