"""Staff accounts for administrators: create, change role and scopes, disable and enable.

Disabling an account revokes all its sessions and tokens at once; every change is audited.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import AddressDep, SessionDep
from api.policy import AsAdmin
from survey.models.users import StaffUserPublic
from survey.users import (
    change_user,
    create_user,
    disable_user,
    enable_user,
    get_user,
    list_users,
    user_public,
)

router = APIRouter(prefix="/api/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
RoleName = Literal["admin", "coordinator", "analyst", "publisher", "interviewer", "clerk"]


class ScopeIn(BaseModel):
    kind: Literal["agency", "province"]
    code: str = Field(min_length=1, max_length=32)


class UserCreateRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(max_length=200, description="12 characters or more, hard to guess")
    role: RoleName
    full_name: str = Field(default="", max_length=200)
    scopes: list[ScopeIn] = Field(default=[], max_length=500)


class UserChangeRequest(BaseModel):
    role: RoleName | None = None
    full_name: str | None = Field(default=None, max_length=200)
    scopes: list[ScopeIn] | None = Field(
        default=None, max_length=500, description="replaces all scopes; [] makes it national"
    )


@router.get("")
def list_all(caller: AsAdmin, session: SessionDep) -> list[StaffUserPublic]:
    return [user_public(session=session, user=u) for u in list_users(session=session)]


@router.post("", status_code=201)
def create(
    body: UserCreateRequest, caller: AsAdmin, session: SessionDep, address: AddressDep
) -> StaffUserPublic:
    """Create an account; a weak password is refused with the reason."""
    user = create_user(
        session=session,
        username=body.username,
        password=body.password,
        role=body.role,
        full_name=body.full_name,
        scopes=[(s.kind, s.code) for s in body.scopes],
        actor=caller.user,
        address=address,
    )
    return user_public(session=session, user=user)


@router.get("/{user_id}")
def show(user_id: UserId, caller: AsAdmin, session: SessionDep) -> StaffUserPublic:
    return user_public(session=session, user=get_user(session=session, user_id=user_id))


@router.patch("/{user_id}")
def change(
    user_id: UserId,
    body: UserChangeRequest,
    caller: AsAdmin,
    session: SessionDep,
    address: AddressDep,
) -> StaffUserPublic:
    """Change the role, full name or scopes (each change is a separate audit entry)."""
    changed = change_user(
        session=session,
        user_id=user_id,
        actor=caller.user,
        role=body.role,
        full_name=body.full_name,
        scopes=None if body.scopes is None else [(s.kind, s.code) for s in body.scopes],
        address=address,
    )
    return user_public(session=session, user=changed)


@router.post("/{user_id}/disable")
def disable(
    user_id: UserId, caller: AsAdmin, session: SessionDep, address: AddressDep
) -> StaffUserPublic:
    """Disable the account and revoke its sessions and tokens at once."""
    user = disable_user(session=session, user_id=user_id, actor=caller.user, address=address)
    return user_public(session=session, user=user)


@router.post("/{user_id}/enable")
def enable(
    user_id: UserId, caller: AsAdmin, session: SessionDep, address: AddressDep
) -> StaffUserPublic:
    """Enable the account again (the user signs in afresh: old tokens stay revoked)."""
    user = enable_user(session=session, user_id=user_id, actor=caller.user, address=address)
    return user_public(session=session, user=user)
