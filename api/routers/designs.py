"""Designs: preview the allocation table with expected precision, create, list and read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from api.deps import SessionDep
from api.params import DesignId, FrameFilter
from api.policy import AsNationalCoordinator, AsStaff
from survey.designs import (
    DEFAULT_DOMAINS,
    AllocationPreview,
    DesignCreate,
    create_design,
    design_spec,
    get_design,
    list_designs,
    preview_design,
)
from survey.models.designs import DesignPublic

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
    body: DesignCreate,
    session: SessionDep,
    caller: AsNationalCoordinator,
    domains: DomainsQuery = None,
) -> AllocationPreview:
    """The allocation table of a design before it is saved: per stratum N_h, n_h, take-all, and
    expected SE and margin of error of a proportion; the same per domain and in total."""
    return preview_design(
        session=session,
        spec=body,
        domains=DEFAULT_DOMAINS if domains is None else domains,
        scope=caller.scope,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: DesignCreate, session: SessionDep, caller: AsNationalCoordinator) -> DesignPublic:
    """Save a design (a coordinator limited to some agencies or provinces cannot)."""
    design = create_design(session=session, spec=body, created_by=caller.id)
    return DesignPublic.model_validate(design)


@router.get("")
def list_all(
    session: SessionDep, caller: AsStaff, frame_id: FrameFilter = None
) -> list[DesignPublic]:
    """Designs, newest first, optionally of one frame (a scoped coordinator: their strata)."""
    designs = list_designs(session=session, frame_id=frame_id, scope=caller.scope)
    return [DesignPublic.model_validate(d) for d in designs]


@router.get("/{design_id}")
def read(design_id: DesignId, session: SessionDep, caller: AsStaff) -> DesignPublic:
    """One design with its stored allocation table (a scoped coordinator: their strata)."""
    design = get_design(session=session, design_id=design_id, scope=caller.scope)
    return DesignPublic.model_validate(design)


@router.get("/{design_id}/preview")
def preview_saved(
    design_id: DesignId, session: SessionDep, caller: AsStaff, domains: DomainsQuery = None
) -> AllocationPreview:
    """The allocation table of a saved design, limited to the caller's scope."""
    design = get_design(session=session, design_id=design_id)
    return preview_design(
        session=session,
        spec=design_spec(design),
        domains=DEFAULT_DOMAINS if domains is None else domains,
        scope=caller.scope,
    )
