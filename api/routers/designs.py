"""Designs: preview the allocation table with expected precision, create, list and read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from api.deps import AnalystUser, CoordinatorUser, SessionDep
from api.params import DesignId, FrameFilter
from survey.designs import (
    DEFAULT_DOMAINS,
    AllocationPreview,
    DesignCreate,
    create_design,
    design_spec,
    get_design,
    list_designs,
    preview_design,
    require_unscoped,
)
from survey.models.designs import DesignPublic
from survey.users import user_scope

router = APIRouter(prefix="/api/designs", tags=["designs"])
DomainsQuery = Annotated[
    list[Annotated[str, Field(max_length=64)]] | None,
    Query(
        max_length=20,
        description="frame columns reported as domains (default agency_code, province_code)",
    ),
]


@router.post("/preview")
def preview(
    body: DesignCreate, session: SessionDep, user: CoordinatorUser, domains: DomainsQuery = None
) -> AllocationPreview:
    """The allocation table of a design before it is saved: per stratum N_h, n_h, take-all, and
    expected SE and margin of error of a proportion; the same per domain and in total."""
    scope = user_scope(session=session, user=user)
    return preview_design(
        session=session,
        spec=body,
        domains=DEFAULT_DOMAINS if domains is None else domains,
        scope=scope,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: DesignCreate, session: SessionDep, user: CoordinatorUser) -> DesignPublic:
    """Save a design (a coordinator limited to some agencies or provinces cannot)."""
    require_unscoped(user_scope(session=session, user=user), "a design")
    design = create_design(session=session, spec=body, created_by=user.id)
    return DesignPublic.model_validate(design)


@router.get("")
def list_all(
    session: SessionDep, _user: AnalystUser, frame_id: FrameFilter = None
) -> list[DesignPublic]:
    """Designs, newest first, optionally of one frame."""
    return [
        DesignPublic.model_validate(d) for d in list_designs(session=session, frame_id=frame_id)
    ]


@router.get("/{design_id}")
def read(design_id: DesignId, session: SessionDep, _user: AnalystUser) -> DesignPublic:
    """One design with its stored allocation table."""
    return DesignPublic.model_validate(get_design(session=session, design_id=design_id))


@router.get("/{design_id}/preview")
def preview_saved(
    design_id: DesignId, session: SessionDep, user: AnalystUser, domains: DomainsQuery = None
) -> AllocationPreview:
    """The allocation table of a saved design, limited to the caller's scope."""
    design = get_design(session=session, design_id=design_id)
    return preview_design(
        session=session,
        spec=design_spec(design),
        domains=DEFAULT_DOMAINS if domains is None else domains,
        scope=user_scope(session=session, user=user),
    )
