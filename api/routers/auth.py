"""Sign-in for scripts and pages: exchange a username and password for a bearer token."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep
from survey.models.users import StaffUserPublic
from survey.users import authenticate, create_api_token, user_scope

router = APIRouter(prefix="/api/auth", tags=["auth"])


class TokenRequest(BaseModel):
    username: str
    password: str
    token_name: str = "api"


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/token")
def issue_token(body: TokenRequest, session: SessionDep) -> TokenResponse:
    """Create an API token for a staff account (shown once; revoke it from the admin pages)."""
    user = authenticate(session=session, username=body.username, password=body.password)
    assert user.id is not None
    return TokenResponse(
        access_token=create_api_token(session=session, user_id=user.id, name=body.token_name)
    )


@router.get("/me")
def who_am_i(user: CurrentUser, session: SessionDep) -> StaffUserPublic:
    scope = user_scope(session=session, user=user)
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
