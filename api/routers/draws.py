"""Draws: run a design's draw, list draws, download the sample as CSV or XLSX.

Phone numbers are in a download only when asked for *and* the caller's role may see them
(coordinators and administrators); an analyst's download never has a phone column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from api.deps import AddressDep, SessionDep
from api.params import XLSX_MEDIA_TYPE, DesignFilter, DesignId, DrawId, file_responses
from api.policy import AsCoordinator, AsNationalCoordinator, AsStaff
from survey.draw_precision import DrawPrecision, draw_precision, export_precision
from survey.draws import (
    MAX_SEED,
    PHONE_ROLES,
    draw_units_summary,
    export_sample,
    get_draw,
    list_draws,
    run_draw,
)
from survey.models import Draw
from survey.models.designs import DrawPublic

router = APIRouter(tags=["draws"])


class DrawRequest(BaseModel):
    seed: int | None = Field(
        default=None,
        ge=0,
        le=MAX_SEED,
        description="repeat a draw with its seed; omit for a fresh one",
    )


class DrawDetail(DrawPublic):
    contact_status: dict[str, int]
    duplicate_contacts: dict[str, Any]
    design_snapshot: dict[str, Any]
    # Expected margin per domain from the units drawn (survey.draw_precision).
    precision: DrawPrecision | None = None


def _detail(
    draw: Draw,
    counts: dict[str, int],
    *,
    dossiers: bool = True,
    precision: DrawPrecision | None = None,
) -> DrawDetail:
    snapshot = dict(draw.design_snapshot)
    duplicates = dict(snapshot.get("duplicate_contacts", {}))
    if not dossiers:
        # Analysts never see dossier codes: the duplicate cases name them.
        duplicates.pop("cases", None)
        snapshot["duplicate_contacts"] = duplicates
    return DrawDetail(
        id=draw.id or 0,
        design_id=draw.design_id,
        seed=draw.seed,
        frame_hash=draw.frame_hash,
        library_version=draw.library_version,
        n_sampled=draw.n_sampled,
        n_reserve=draw.n_reserve,
        created_at=draw.created_at or datetime.min,
        contact_status=counts,
        duplicate_contacts=duplicates,
        design_snapshot=snapshot,
        precision=precision,
    )


@router.post("/api/designs/{design_id}/draws", status_code=status.HTTP_201_CREATED)
def run(
    design_id: DesignId,
    session: SessionDep,
    caller: AsNationalCoordinator,
    body: DrawRequest | None = None,
) -> DrawDetail:
    """Draw the design's sample; the seed, frame hash, design and library version are kept."""
    draw = run_draw(
        session=session,
        design_id=design_id,
        seed=None if body is None else body.seed,
        created_by=caller.id,
    )
    assert draw.id is not None
    return _detail(
        draw,
        draw_units_summary(session=session, draw_id=draw.id),
        precision=draw_precision(session=session, draw_id=draw.id),
    )


@router.get("/api/draws")
def list_all(
    session: SessionDep, caller: AsStaff, design_id: DesignFilter = None
) -> list[DrawPublic]:
    """Draws, newest first, optionally of one design (a scoped coordinator: their units)."""
    draws = list_draws(session=session, design_id=design_id, scope=caller.scope)
    return [DrawPublic.model_validate(d) for d in draws]


@router.get("/api/draws/{draw_id}")
def read(draw_id: DrawId, session: SessionDep, caller: AsStaff) -> DrawDetail:
    """One draw with its snapshot and the count of units by contact status (a scoped
    coordinator: their units and strata only)."""
    draw = get_draw(session=session, draw_id=draw_id, scope=caller.scope)
    counts = draw_units_summary(session=session, draw_id=draw_id, scope=caller.scope)
    precision = draw_precision(session=session, draw_id=draw_id, scope=caller.scope)
    return _detail(draw, counts, dossiers=caller.role in PHONE_ROLES, precision=precision)


@router.get(
    "/api/draws/{draw_id}/precision.{fmt}",
    responses=file_responses("text/csv", XLSX_MEDIA_TYPE),
)
def download_precision(
    draw_id: DrawId,
    session: SessionDep,
    caller: AsStaff,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx)$", max_length=4, description="csv or xlsx")],
) -> Response:
    """Expected margin per domain (agency, province) from the units drawn, flagged against the
    design's target (a scoped coordinator: the domains all of whose units are theirs)."""
    precision = draw_precision(session=session, draw_id=draw_id, scope=caller.scope)
    export = export_precision(precision, "xlsx" if fmt == "xlsx" else "csv")
    return Response(
        export.content,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.get(
    "/api/draws/{draw_id}/sample.{fmt}", responses=file_responses("text/csv", XLSX_MEDIA_TYPE)
)
def download(
    draw_id: DrawId,
    session: SessionDep,
    caller: AsCoordinator,
    address: AddressDep,
    fmt: Annotated[str, Path(pattern="^(csv|xlsx)$", max_length=4, description="csv or xlsx")],
    phones: Annotated[
        bool | None,
        Query(description="include phones (coordinators and admins only; default: if allowed)"),
    ] = None,
) -> StreamingResponse:
    """The sample (main units then reserves) with inclusion probabilities and weights.

    ``phones`` defaults to true for roles allowed to see phones and false otherwise; an analyst
    asking for phones gets 403.
    """
    include = (caller.role in PHONE_ROLES) if phones is None else phones
    export = export_sample(
        session=session,
        draw_id=draw_id,
        fmt="xlsx" if fmt == "xlsx" else "csv",
        include_phones=include,
        viewer=caller.user,
        address=address,
    )
    return StreamingResponse(
        export.chunks,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )
