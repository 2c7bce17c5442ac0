"""Campaigns and their fieldwork: invitations, SMS queue and cost preview, dispositions and
AAPOR rates, exports, letters, contact purge.

National coordinators run fieldwork; everyone reads campaigns and dispositions (a scoped
coordinator: of their agencies); only analysts and admins export the responses file
(``docs/access.md``). No schema returned here has a phone field.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.deps import AddressDep, SessionDep, SettingsDep
from api.params import (
    INT32_MAX,
    XLSX_MEDIA_TYPE,
    CampaignId,
    Id32,
    Name,
    choice_query,
    file_responses,
)
from api.policy import AsAnalyst, AsNationalCoordinator, AsStaff
from survey.campaigns import (
    activate_campaign,
    close_campaign,
    create_campaign,
    get_campaign,
    list_campaigns,
)
from survey.dispositions import GROUPINGS, campaign_dispositions
from survey.errors import InvalidInput, Problem
from survey.fieldwork_exports import disposition_table, response_export, to_csv, to_xlsx
from survey.invitations import create_invitations
from survey.letters import render_letters
from survey.models import Campaign
from survey.outbox import (
    outbox_counts,
    preview_invitation_sms,
    queue_invitation_sms,
    requeue_message,
)
from survey.purge import purge_contacts

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ExportFormat = Annotated[str, Path(pattern="^(csv|xlsx)$", max_length=4, description="csv or xlsx")]


class CampaignCreate(BaseModel):
    name: Name
    draw_id: Id32
    questionnaire_id: Id32
    field_start: datetime
    field_end: datetime
    sms_template: str = Field(default="", max_length=1000)
    reminder_template: str = Field(default="", max_length=1000)
    strip_diacritics: bool = True  # new campaigns send GSM-7 (one SMS) by default
    # The use case names the rule (whole days 1-60, each once); this only keeps numbers sane.
    reminder_days: list[Annotated[int, Field(ge=-INT32_MAX, le=INT32_MAX)]] = Field(
        default_factory=lambda: [3, 7], max_length=60
    )


class CampaignPublic(BaseModel):
    id: int
    name: str
    draw_id: int
    questionnaire_id: int
    field_start: datetime
    field_end: datetime
    status: str
    sms_template: str
    reminder_template: str
    strip_diacritics: bool
    reminder_days: list[int]
    contact_purged_at: datetime | None
    created_at: datetime


class RequeueRequest(BaseModel):
    reason: str = Field(
        default="",
        max_length=2000,
        description="why the message may be sent again (5-500 characters; kept in the audit log)",
    )


class MessageRequeued(BaseModel):
    id: int
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str


def _public(row: Campaign) -> CampaignPublic:
    assert row.id is not None
    return CampaignPublic(
        id=row.id,
        name=row.name,
        draw_id=row.draw_id,
        questionnaire_id=row.questionnaire_id,
        field_start=row.field_start,
        field_end=row.field_end,
        status=row.status,
        sms_template=row.sms_template,
        reminder_template=row.reminder_template,
        strip_diacritics=row.strip_diacritics,
        reminder_days=list(row.reminder_days or []),
        contact_purged_at=row.contact_purged_at,
        created_at=row.created_at,
    )


@router.post("", status_code=201)
def create(
    body: CampaignCreate, session: SessionDep, caller: AsNationalCoordinator
) -> CampaignPublic:
    """Create a draft campaign on a draw with a published questionnaire version."""
    return _public(create_campaign(session=session, created_by=caller.id, **body.model_dump()))


@router.get("")
def list_all(session: SessionDep, caller: AsStaff) -> list[CampaignPublic]:
    """Campaigns, newest first (a scoped coordinator: those sampling their agencies)."""
    return [_public(row) for row in list_campaigns(session=session, scope=caller.scope)]


@router.get("/{campaign_id}")
def read(campaign_id: CampaignId, session: SessionDep, caller: AsStaff) -> CampaignPublic:
    return _public(get_campaign(session=session, campaign_id=campaign_id, scope=caller.scope))


@router.post("/{campaign_id}/activate")
def activate(
    campaign_id: CampaignId, session: SessionDep, _caller: AsNationalCoordinator
) -> CampaignPublic:
    return _public(activate_campaign(session=session, campaign_id=campaign_id))


@router.post("/{campaign_id}/close")
def close(
    campaign_id: CampaignId, session: SessionDep, _caller: AsNationalCoordinator
) -> CampaignPublic:
    return _public(close_campaign(session=session, campaign_id=campaign_id))


@router.post("/{campaign_id}/invitations")
def invite(
    campaign_id: CampaignId,
    session: SessionDep,
    settings: SettingsDep,
    _caller: AsNationalCoordinator,
) -> dict[str, int]:
    """Create the missing invitations (SMS when a phone is known, else letter)."""
    return asdict(create_invitations(session=session, settings=settings, campaign_id=campaign_id))


@router.get("/{campaign_id}/sms/preview")
def sms_preview(
    campaign_id: CampaignId,
    session: SessionDep,
    settings: SettingsDep,
    _caller: AsNationalCoordinator,
    price_per_segment: float = Query(0.0, ge=0, le=1e9, description="price of one SMS part"),
) -> dict[str, Any]:
    """Encoding, SMS parts and cost of the invitations not yet queued."""
    return asdict(
        preview_invitation_sms(
            session=session,
            settings=settings,
            campaign_id=campaign_id,
            price_per_segment=price_per_segment,
        )
    )


@router.post("/{campaign_id}/sms/queue")
def sms_queue(
    campaign_id: CampaignId,
    session: SessionDep,
    settings: SettingsDep,
    _caller: AsNationalCoordinator,
) -> dict[str, int]:
    """Queue the invitation SMS (again: only what is missing); the worker sends them."""
    return asdict(queue_invitation_sms(session=session, settings=settings, campaign_id=campaign_id))


@router.post("/{campaign_id}/sms/messages/{message_id}/requeue")
def sms_requeue(
    campaign_id: CampaignId,
    message_id: Annotated[int, Path(ge=1, le=INT32_MAX, description="the message's id")],
    body: RequeueRequest,
    session: SessionDep,
    caller: AsNationalCoordinator,
) -> MessageRequeued:
    """Send a ``failed`` or ``unknown`` message again (never automatic), with a reason."""
    message = requeue_message(
        session=session,
        message_id=message_id,
        campaign_id=campaign_id,
        reason=body.reason,
        actor=caller.user,
    )
    assert message.id is not None
    return MessageRequeued(
        id=message.id,
        status=message.status,
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
        last_error=message.last_error,
    )


@router.get("/{campaign_id}/sms/counts")
def sms_counts(
    campaign_id: CampaignId, session: SessionDep, _caller: AsNationalCoordinator
) -> dict[str, int]:
    """Messages per status; ``unknown`` ones need the coordinator's decision."""
    get_campaign(session=session, campaign_id=campaign_id)
    return outbox_counts(session=session, campaign_id=campaign_id)


@router.get("/{campaign_id}/dispositions")
def dispositions(
    campaign_id: CampaignId,
    session: SessionDep,
    caller: AsStaff,
    by: Annotated[
        str, choice_query(GROUPINGS, "all, stratum, agency, channel, dossier_channel or mode")
    ] = "all",
) -> list[dict[str, Any]]:
    """Final disposition counts and AAPOR (2023) rates per group (the caller's cases)."""
    get_campaign(session=session, campaign_id=campaign_id, scope=caller.scope)
    groups = campaign_dispositions(
        session=session, campaign_id=campaign_id, by=by, scope=caller.scope
    )
    return [asdict(group) for group in groups]


@router.get(
    "/{campaign_id}/exports/responses.{fmt}",
    responses=file_responses("text/csv", XLSX_MEDIA_TYPE),
)
def export_responses(
    campaign_id: CampaignId,
    fmt: ExportFormat,
    session: SessionDep,
    settings: SettingsDep,
    caller: AsAnalyst,
    address: AddressDep,
    include_partial: bool = False,
) -> Response:
    """The anonymous responses file (CSV or XLSX): no phone, invitation or dossier, k = 5.

    The XLSX file's ``notes`` sheet and the ``X-SIPAS-Disclosure`` header say how many rows the
    disclosure rule left out or generalised (docs/privacy.md).
    """
    export = response_export(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        include_partial=include_partial,
        actor=caller.user,
        address=address,
    )
    response = _file(
        export.header,
        export.rows,
        fmt,
        f"responses-{campaign_id}",
        sheet="responses",
        notes=export.notes(),
    )
    response.headers["X-SIPAS-Disclosure"] = (
        f"k={export.k}; respondents={export.respondents}; suppressed={export.suppressed}; "
        + "; ".join(f"generalised {c}={n}" for c, n in export.generalised.items())
    ).rstrip("; ")
    return response


@router.get(
    "/{campaign_id}/exports/dispositions.{fmt}",
    responses=file_responses("text/csv", XLSX_MEDIA_TYPE),
)
def export_dispositions(
    campaign_id: CampaignId,
    fmt: ExportFormat,
    session: SessionDep,
    caller: AsStaff,
    address: AddressDep,
    by: Annotated[
        str, choice_query(GROUPINGS, "all, stratum, agency, channel, dossier_channel or mode")
    ] = "stratum",
) -> Response:
    get_campaign(session=session, campaign_id=campaign_id, scope=caller.scope)
    header, rows = disposition_table(
        session=session,
        campaign_id=campaign_id,
        by=by,
        scope=caller.scope,
        actor=caller.user,
        address=address,
    )
    return _file(header, rows, fmt, f"dispositions-{campaign_id}-{by}", sheet="dispositions")


def _file(
    header: list[str],
    rows: list[list[Any]],
    fmt: str,
    name: str,
    *,
    sheet: str,
    notes: list[list[str]] | None = None,
) -> Response:
    if fmt == "csv":
        return Response(
            to_csv(header, rows).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            to_xlsx(header, rows, sheet=sheet, notes=notes or ()),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    raise InvalidInput(f"unknown export format {fmt!r}", [Problem(("fmt",), "use csv or xlsx")])


@router.get("/{campaign_id}/letters", response_class=HTMLResponse)
def letters(
    campaign_id: CampaignId,
    session: SessionDep,
    settings: SettingsDep,
    caller: AsNationalCoordinator,
    address: AddressDep,
    channel: Annotated[
        str, choice_query(("letter", "sms", "all"), "letter, sms or all")
    ] = "letter",
) -> HTMLResponse:
    """Printable letters with link and QR code, one per page."""
    return HTMLResponse(
        render_letters(
            session=session,
            settings=settings,
            campaign_id=campaign_id,
            channel=None if channel == "all" else channel,
            actor=caller.user,
            address=address,
        )
    )


@router.post("/{campaign_id}/purge")
def purge(
    campaign_id: CampaignId,
    session: SessionDep,
    caller: AsNationalCoordinator,
    address: AddressDep,
) -> dict[str, Any]:
    """Delete the campaign's phone numbers (closed campaigns only); answers stay."""
    report = purge_contacts(
        session=session, campaign_id=campaign_id, actor=caller.user, address=address
    )
    return asdict(report)
