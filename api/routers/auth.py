"""Sign-in for scripts: exchange a username and password for a bearer token; list and revoke tokens.

Tokens expire on the server (90 days by default, or an earlier ``expires_at``). Sign-in attempts
are rate limited per account and per address (429 with ``Retry-After``); the right password is
refused too while an account is locked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import (
    AddressDep,
    LifetimesDep,
    PasswordCheckerDep,
    RateLimitsDep,
    SessionDep,
    SignInTurn,
)
from api.policy import AsStaff, Public
from survey.models.users import ApiTokenPublic, StaffUserPublic
from survey.passwords import PasswordCheckerBusy
from survey.users import issue_api_token, list_tokens, revoke_token

router = APIRouter(prefix="/api/auth", tags=["auth"])
MAX_ID = 2**31 - 1


class TokenRequest(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    token_name: str = Field(default="api", min_length=1, max_length=100)
    expires_at: AwareDatetime | None = Field(
        default=None, description="an earlier end than the default lifetime (90 days)"
    )


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    token: ApiTokenPublic


@router.post("/token", dependencies=[Depends(Public)])
def issue_token(
    body: TokenRequest,
    session: SessionDep,
    limits: RateLimitsDep,
    checker: PasswordCheckerDep,
    lifetimes: LifetimesDep,
    address: AddressDep,
    turn: SignInTurn,
) -> TokenResponse:
    """Create an API token for a staff account (shown once; revoke it with DELETE .../tokens/ID)."""
    if not turn:
        raise PasswordCheckerBusy()
    token, public = issue_api_token(
        session=session,
        username=body.username,
        password=body.password,
        name=body.token_name,
        expires_at=body.expires_at,
        address=address,
        limits=limits,
        checker=checker,
        lifetimes=lifetimes,
    )
    return TokenResponse(access_token=token, token=public)


@router.get("/me")
def who_am_i(caller: AsStaff) -> StaffUserPublic:
    user, scope = caller.user, caller.scope
    scopes = [f"agency:{c}" for c in sorted(scope.agencies or ())] + [
        f"province:{c}" for c in sorted(scope.provinces or ())
    ]
    assert user.id is not None
    return StaffUserPublic(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        is_active=user.is_active,
        scopes=scopes,
    )


@router.get("/tokens")
def tokens(
    caller: AsStaff,
    session: SessionDep,
    lifetimes: LifetimesDep,
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="another user's (administrators only)")
    ] = None,
    include_inactive: Annotated[bool, Query(description="also expired and revoked ones")] = False,
) -> list[ApiTokenPublic]:
    """Your sessions and tokens (an administrator may pass ``user_id``); never the token itself."""
    return list_tokens(
        session=session,
        actor=caller.user,
        user_id=user_id,
        include_inactive=include_inactive,
        lifetimes=lifetimes,
    )


@router.delete("/tokens/{token_id}")
def revoke(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    caller: AsStaff,
    session: SessionDep,
    lifetimes: LifetimesDep,
    address: AddressDep,
) -> ApiTokenPublic:
    """Revoke one of your tokens or sessions (an administrator: anyone's) at once."""
    return revoke_token(
        session=session, token_id=token_id, actor=caller.user, address=address, lifetimes=lifetimes
    )
