"""Invitations: one per sampled case, the only link between a phone and a response.

Life of an invitation::

    created (channel sms | letter) --open--> first_opened_at set (nothing else changes)
        --start--> started_at --complete--> completed_at
    any time: revoked (the salt changes, so the old link dies), opted out, expired (field end)

Opening a link never consumes it: messaging apps and mail scanners fetch links before the
citizen does, so an open only records ``first_opened_at`` through :func:`record_first_open`, an
explicit call made by the answer page, and validity depends only on revocation, opt-out,
completion, expiry and the campaign's status (:func:`find_invitation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import and_, insert, update
from sqlmodel import Session, col, select

from survey.campaigns import as_utc, get_campaign
from survey.errors import Conflict, NotFound, Problem
from survey.models import (
    Campaign,
    Dossier,
    DossierContact,
    Invitation,
    SampleUnit,
    SmsMessage,
    SmsOptOut,
    utcnow,
)
from survey.optouts import phone_hash
from survey.settings import Settings
from survey.tokens import hash_token, make_token, new_salt


class LinkState(StrEnum):
    """What a citizen's link leads to."""

    OK = "ok"
    UNKNOWN = "unknown"
    NOT_OPEN = "not_open"  # the campaign has not started fieldwork yet
    COMPLETED = "completed"
    REVOKED = "revoked"
    OPTED_OUT = "opted_out"
    EXPIRED = "expired"


@dataclass(frozen=True)
class InvitationSummary:
    """What :func:`create_invitations` did."""

    created: int
    sms: int
    letter: int
    opted_out: int
    already_invited: int


@dataclass(frozen=True)
class InvitationLookup:
    """The invitation behind a token (``None`` when unknown) and its state."""

    state: LinkState
    invitation: Invitation | None
    campaign: Campaign | None


def invitation_token(settings: Settings, invitation: Invitation) -> str:
    """Re-derive the invitation's token (the database keeps only its salt and hash)."""
    return make_token(settings.secret_key, invitation.token_salt)


def invitation_link(settings: Settings, token: str) -> str:
    """The citizen's link: ``public_base_url + "/r/" + token``."""
    return f"{settings.public_base_url.rstrip('/')}/r/{token}"


def create_invitations(
    *, session: Session, settings: Settings, campaign_id: int, now: datetime | None = None
) -> InvitationSummary:
    """Create one invitation per sampled, non-reserve dossier of the campaign's draw.

    The channel is ``"sms"`` when the dossier has a contact phone (``DossierContact``) and
    ``"letter"`` otherwise. Units marked ``duplicate_contact`` by the draw are not invited: the
    person is invited once, through the dossier kept for the shared phone. Numbers that opted
    out earlier get an invitation already marked opted out, so they are never messaged. Running
    it again creates only the missing invitations.

    Raises
    ------
    Conflict
        When the campaign is closed or its contacts were purged.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    now = now or utcnow()
    if campaign.status == "closed" or campaign.contact_purged_at is not None:
        raise Conflict(
            f"campaign {campaign_id} is closed; invitations can only be added before fieldwork "
            "ends",
            [Problem(("status",), campaign.status)],
        )
    already = select(Invitation.sample_unit_id).where(col(Invitation.campaign_id) == campaign_id)
    rows = session.exec(
        select(SampleUnit.id, DossierContact.phone_e164)
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .outerjoin(DossierContact, col(DossierContact.dossier_id) == col(Dossier.id))
        .where(
            col(SampleUnit.draw_id) == campaign.draw_id,
            col(SampleUnit.is_reserve).is_(False),
            col(SampleUnit.contact_status) == "invite",
            col(SampleUnit.id).not_in(already),
        )
        .order_by(col(SampleUnit.id))
    ).all()
    already_invited = len(session.exec(already).all())
    opted_hashes = set(session.exec(select(SmsOptOut.phone_hash)).all())
    expires_at = as_utc(campaign.field_end)
    values: list[dict[str, object]] = []
    opted = 0
    for unit_id, phone in rows:
        salt = new_salt()
        is_opted = phone is not None and phone_hash(settings.secret_key, phone) in opted_hashes
        opted += is_opted
        values.append(
            {
                "campaign_id": campaign_id,
                "sample_unit_id": unit_id,
                "token_salt": salt,
                "token_hash": hash_token(make_token(settings.secret_key, salt)),
                "channel": "sms" if phone else "letter",
                "phone_e164": phone,
                "expires_at": expires_at,
                "opted_out_at": now if is_opted else None,
                "sms_status": "none",
                "created_at": now,
            }
        )
    if values:
        session.execute(insert(Invitation), values)
    session.commit()
    sms = sum(1 for v in values if v["channel"] == "sms")
    return InvitationSummary(
        created=len(values),
        sms=sms,
        letter=len(values) - sms,
        opted_out=opted,
        already_invited=already_invited,
    )


def find_invitation(
    *, session: Session, token: str, now: datetime | None = None
) -> InvitationLookup:
    """Find the invitation behind ``token`` and say whether it can still be answered.

    Looking a token up changes nothing: link scanners may fetch a link any number of times.
    States are checked in the order completed, revoked, opted out, expired (field end passed or
    campaign closed), not open (campaign still a draft), ok.
    """
    row = session.exec(
        select(Invitation, Campaign)
        .join(Campaign, col(Campaign.id) == col(Invitation.campaign_id))
        .where(col(Invitation.token_hash) == hash_token(token))
    ).first()
    if row is None:
        return InvitationLookup(LinkState.UNKNOWN, None, None)
    invitation, campaign = row
    return InvitationLookup(link_state(invitation, campaign, now), invitation, campaign)


class LinkDates(Protocol):
    """What :func:`link_state` reads of an invitation: a stored row or a submission's plain
    copy (:class:`survey.responses.SubmitInvitation`)."""

    @property
    def completed_at(self) -> datetime | None: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    @property
    def opted_out_at(self) -> datetime | None: ...
    @property
    def expires_at(self) -> datetime: ...


class CampaignStatus(Protocol):
    """What :func:`link_state` reads of a campaign."""

    @property
    def status(self) -> str: ...


def link_state(
    invitation: LinkDates, campaign: CampaignStatus, now: datetime | None = None
) -> LinkState:
    """Whether an invitation can be answered at ``now``; checks in the order completed, revoked,
    opted out, expired (field end passed or campaign closed), not open (campaign a draft), ok."""
    now = as_utc(now or utcnow())
    if invitation.completed_at is not None:
        return LinkState.COMPLETED
    if invitation.revoked_at is not None:
        return LinkState.REVOKED
    if invitation.opted_out_at is not None:
        return LinkState.OPTED_OUT
    if as_utc(invitation.expires_at) <= now or campaign.status == "closed":
        return LinkState.EXPIRED
    if campaign.status != "active":
        return LinkState.NOT_OPEN
    return LinkState.OK


def record_first_open(*, session: Session, invitation_id: int, now: datetime | None = None) -> bool:
    """Record the first time a person opened the link; later opens change nothing.

    Returns
    -------
    bool
        Whether this call was the first open.
    """
    result = session.execute(
        update(Invitation)
        .where(and_(col(Invitation.id) == invitation_id, col(Invitation.first_opened_at).is_(None)))
        .values(first_opened_at=now or utcnow())
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def _get_invitation(session: Session, invitation_id: int) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(
            f"invitation {invitation_id} does not exist",
            [Problem(("invitation_id",), "no such invitation")],
        )
    return invitation


def revoke_invitation(
    *, session: Session, invitation_id: int, now: datetime | None = None
) -> Invitation:
    """Kill the invitation's link: the salt changes (so the old token matches nothing) and
    queued messages carrying the old link are cancelled.

    Raises
    ------
    Conflict
        When the invitation is already completed (the answers stay; there is nothing to stop).
    """
    invitation = _get_invitation(session, invitation_id)
    if invitation.completed_at is not None:
        raise Conflict(
            f"invitation {invitation_id} is already completed",
            [Problem(("invitation_id",), "a completed invitation cannot be revoked")],
        )
    invitation.token_salt = new_salt()
    # Without the secret key the new hash is of a token nobody can know until reissued.
    invitation.token_hash = hash_token("revoked:" + invitation.token_salt)
    invitation.revoked_at = now or utcnow()
    session.add(invitation)
    session.execute(
        update(SmsMessage)
        .where(
            col(SmsMessage.invitation_id) == invitation_id,
            col(SmsMessage.status).in_(("queued", "claimed")),
        )
        .values(status="cancelled", last_error="invitation revoked")
    )
    session.commit()
    session.refresh(invitation)
    return invitation


def reissue_invitation(*, session: Session, settings: Settings, invitation_id: int) -> str:
    """Give a revoked (or lost) invitation a fresh link and return its token.

    The previous link stops working. Raises :class:`Conflict` for completed or opted-out
    invitations: the person answered, or asked not to be contacted.
    """
    invitation = _get_invitation(session, invitation_id)
    if invitation.completed_at is not None or invitation.opted_out_at is not None:
        raise Conflict(
            f"invitation {invitation_id} is completed or opted out; it cannot be reissued",
            [Problem(("invitation_id",), "completed or opted out")],
        )
    invitation.token_salt = new_salt()
    token = make_token(settings.secret_key, invitation.token_salt)
    invitation.token_hash = hash_token(token)
    invitation.revoked_at = None
    session.add(invitation)
    session.commit()
    return token


def list_invitations(
    *, session: Session, campaign_id: int, limit: int = 200, offset: int = 0
) -> list[Invitation]:
    """A page of the campaign's invitations in creation order."""
    return list(
        session.exec(
            select(Invitation)
            .where(col(Invitation.campaign_id) == campaign_id)
            .order_by(col(Invitation.id))
            .offset(offset)
            .limit(limit)
        ).all()
    )
