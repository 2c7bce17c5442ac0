"""Printed letters as PDF: one invitation's letter, or a campaign's letters part by part.

Letters name who was sampled and carry their link: coordinators print them (a scoped
coordinator only their agencies' or provinces'), every print is in the audit log, and the PDF
is never cached. A campaign of thousands prints in parts of ``part_size`` letters
(``GET .../letters/parts`` says how many).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AddressDep, SessionDep, SettingsDep
from api.params import INT32_MAX, CampaignId, choice_query, file_responses
from api.policy import AsCoordinator
from survey.letter_pdf import PART_SIZE, count_letters, print_letters

router = APIRouter(prefix="/api/campaigns", tags=["letters"])

PDF = "application/pdf"
Channel = Annotated[str, choice_query(("letter", "sms", "all"), "letter, sms or all")]
WithForm = Annotated[bool, Query(description="print the paper questionnaire after each letter")]
PartSize = Annotated[int, Query(ge=1, le=1000, description="letters per part (at most 1,000)")]
InvitationId = Annotated[
    int, Path(ge=1, le=INT32_MAX, description="the invitation's id", examples=[1])
]


class LetterParts(BaseModel):
    """How many letters a campaign prints and in how many parts."""

    letters: int
    parts: int
    part_size: int


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content,
        media_type=PDF,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/{campaign_id}/letters/parts")
def letter_parts(
    campaign_id: CampaignId,
    session: SessionDep,
    caller: AsCoordinator,
    channel: Channel = "letter",
    part_size: PartSize = PART_SIZE,
) -> LetterParts:
    """How many letters the campaign prints for the caller (open invitations in scope)."""
    batch = count_letters(
        session=session,
        campaign_id=campaign_id,
        channel=None if channel == "all" else channel,
        scope=caller.scope,
        part_size=part_size,
    )
    return LetterParts(letters=batch.letters, parts=batch.parts, part_size=batch.part_size)


@router.get("/{campaign_id}/letters.pdf", responses=file_responses(PDF))
def letters_pdf(
    campaign_id: CampaignId,
    session: SessionDep,
    settings: SettingsDep,
    caller: AsCoordinator,
    address: AddressDep,
    channel: Channel = "letter",
    part: Annotated[int, Query(ge=1, le=INT32_MAX, description="which part, from 1")] = 1,
    part_size: PartSize = PART_SIZE,
    form: WithForm = True,
) -> Response:
    """One part of the campaign's letters (each followed by its paper form), audited."""
    content = print_letters(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        channel=None if channel == "all" else channel,
        part=part,
        part_size=part_size,
        with_form=form,
        scope=caller.scope,
        actor=caller.user,
        address=address,
    )
    return _pdf(content, f"thu-moi-dot-{campaign_id}-phan-{part}")


@router.get("/{campaign_id}/invitations/{invitation_id}/letter.pdf", responses=file_responses(PDF))
def invitation_letter_pdf(
    campaign_id: CampaignId,
    invitation_id: InvitationId,
    session: SessionDep,
    settings: SettingsDep,
    caller: AsCoordinator,
    address: AddressDep,
    form: WithForm = True,
) -> Response:
    """One invitation's letter (and paper form), audited; 404 when it has none to print."""
    content = print_letters(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        channel=None,
        invitation_ids=[invitation_id],
        with_form=form,
        scope=caller.scope,
        actor=caller.user,
        address=address,
    )
    return _pdf(content, f"thu-moi-{invitation_id}")
