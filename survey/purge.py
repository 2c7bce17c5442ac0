"""The contact purge after fieldwork (Decree 13/2023/ND-CP: use phones only to invite, delete them
when that purpose ends).

:func:`purge_contacts` deletes every phone number the campaign holds: ``Invitation.phone_e164``,
``SmsMessage.to_e164`` and the ``DossierContact`` rows of the campaign's frame. Answers are not
touched. Opt-outs survive as keyed hashes (:mod:`survey.optouts`).

It also leaves no path from a response to a dossier (docs/privacy.md): submitted responses were
unlinked when submitted and drafts when the campaign closed; any draft still linked is unlinked
here. Every invitation and response row of the campaign is then rewritten in this one
transaction, so PostgreSQL's row versions (``xmin``, the id of the transaction that last wrote a
row, which the submission gave the invitation and its response alike) no longer pair them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from survey.audit import SYSTEM_ACTOR, record_event
from survey.backchecks import unlink_backchecks
from survey.campaigns import get_campaign
from survey.data_entry import discard_unfinished_keyings
from survey.errors import Conflict, Problem
from survey.models import (
    Campaign,
    Design,
    Dossier,
    DossierContact,
    Draw,
    Invitation,
    Response,
    SmsMessage,
    StaffUser,
    utcnow,
)


@dataclass(frozen=True)
class PurgeReport:
    """How many phone numbers were removed, by table."""

    invitations: int
    messages: int
    contacts: int
    purged_at: datetime
    unlinked_responses: int = 0


def _frame_id(session: Session, draw_id: int) -> int:
    return int(
        session.exec(
            select(Design.frame_id)
            .join(Draw, col(Draw.design_id) == col(Design.id))
            .where(col(Draw.id) == draw_id)
        ).one()
    )


def purge_contacts(
    *,
    session: Session,
    campaign_id: int,
    now: datetime | None = None,
    actor: StaffUser | None = None,
    address: str | None = None,
) -> PurgeReport:
    """Delete the campaign's phone numbers once fieldwork is over (recorded in the audit log).

    Raises
    ------
    Conflict
        When the campaign is not closed (close it first), or another campaign still in the
        field uses the same frame (its invitations need the frame's phones).
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    if campaign.status != "closed":
        raise Conflict(
            f"campaign {campaign_id} is {campaign.status}; close it before purging contacts",
            [Problem(("status",), "close the campaign first")],
        )
    frame_id = _frame_id(session, campaign.draw_id)
    others = session.exec(
        select(Campaign.id)
        .join(Draw, col(Draw.id) == col(Campaign.draw_id))
        .join(Design, col(Design.id) == col(Draw.design_id))
        .where(
            col(Design.frame_id) == frame_id,
            col(Campaign.id) != campaign_id,
            col(Campaign.status) != "closed",
        )
    ).all()
    if others:
        raise Conflict(
            "another campaign on the same frame is still in the field",
            [
                Problem(
                    ("campaign_id",),
                    f"close campaign(s) {', '.join(map(str, others))} first; they use the "
                    "frame's phones",
                )
            ],
        )
    now = now or utcnow()
    invitations = session.execute(
        update(Invitation)
        .where(col(Invitation.campaign_id) == campaign_id, col(Invitation.phone_e164).is_not(None))
        .values(phone_e164=None)
    )
    messages = session.execute(
        update(SmsMessage)
        .where(col(SmsMessage.campaign_id) == campaign_id, col(SmsMessage.to_e164).is_not(None))
        .values(to_e164=None)
    )
    contacts = session.execute(
        delete(DossierContact).where(
            col(DossierContact.dossier_id).in_(
                select(Dossier.id).where(col(Dossier.frame_id) == frame_id)
            )
        )
    )
    unlinked = session.execute(
        update(Response)
        .where(col(Response.campaign_id) == campaign_id, col(Response.invitation_id).is_not(None))
        .values(invitation_id=None)
    )
    # The back-checks' limited invitation<->response links end with the contacts.
    unlink_backchecks(session=session, campaign_id=campaign_id)
    # Paper forms keyed but never made responses: their typed values go with the contacts.
    discard_unfinished_keyings(session=session, campaign_id=campaign_id)
    # Rewrite every row (same values): all of them now carry this transaction's row version.
    session.execute(
        update(Invitation)
        .where(col(Invitation.campaign_id) == campaign_id)
        .values(sms_status=col(Invitation.sms_status))
    )
    session.execute(
        update(Response)
        .where(col(Response.campaign_id) == campaign_id)
        .values(status=col(Response.status))
    )
    record_event(
        session=session,
        action="campaign.purged",
        actor=actor,
        actor_name="" if actor is not None else SYSTEM_ACTOR,
        target=f"campaign:{campaign_id}",
        details={
            "invitations": int(getattr(invitations, "rowcount", 0)),
            "messages": int(getattr(messages, "rowcount", 0)),
            "contacts": int(getattr(contacts, "rowcount", 0)),
        },
        address=address,
    )
    campaign.contact_purged_at = now
    session.add(campaign)
    session.commit()
    return PurgeReport(
        invitations=int(getattr(invitations, "rowcount", 0)),
        messages=int(getattr(messages, "rowcount", 0)),
        contacts=int(getattr(contacts, "rowcount", 0)),
        purged_at=now,
        unlinked_responses=int(getattr(unlinked, "rowcount", 0)),
    )
