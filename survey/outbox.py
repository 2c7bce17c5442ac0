"""The SMS outbox: invitation and reminder messages are queued here, the worker sends them.

Every message has an idempotency key, ``inv:{invitation_id}:invite`` or
``inv:{invitation_id}:reminder:{day}``, unique in the table: queueing the same message twice is a
no-op, whoever does it and however often. Messages are rendered when queued, with the campaign's
template and the variables ``{agency}``, ``{link}`` and ``{deadline}``;
:func:`preview_invitation_sms` shows the encoding, the number of SMS and the cost
before anything is queued.

Message statuses: ``queued -> claimed -> sending -> sent -> delivered | failed``; ``cancelled``
(opt-out, revocation, campaign closed); ``unknown`` (the worker died while the gateway had the
message: never resent automatically, see :mod:`survey.worker`). Every status update names the
statuses it may leave in its ``WHERE`` (:data:`ADVANCES_FROM`), so writers that race (the worker
recording "sent", the gateway's delivery report) never move a message backwards. Only a
coordinator sends a ``failed`` or ``unknown`` message again, with a reason
(:func:`requeue_message`), recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from survey.audit import record_event
from survey.campaigns import (
    DEFAULT_REMINDER_TEMPLATE,
    DEFAULT_SMS_TEMPLATE,
    as_utc,
    get_campaign,
)
from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.invitations import invitation_link
from survey.models import (
    Campaign,
    Dossier,
    Invitation,
    SampleUnit,
    SmsMessage,
    StaffUser,
    utcnow,
)
from survey.settings import Settings
from survey.sms.gateway import DeliveryReport, DeliveryStatus
from survey.sms.templates import RenderedSms, SmsTemplate, TemplateError
from survey.tokens import make_token

MESSAGE_KINDS = ("invitation", "reminder")

# The statuses each status may be reached from. "queued" is reached from "claimed" (released),
# "sending" (a retry, or the gateway was down) and, by a coordinator only, "failed"/"unknown".
ADVANCES_FROM: dict[str, tuple[str, ...]] = {
    "queued": ("claimed", "sending", "failed", "unknown"),
    "claimed": ("queued",),
    "sending": ("claimed",),
    "sent": ("sending", "unknown"),
    "delivered": ("sending", "sent", "unknown"),
    "failed": ("sending", "sent", "unknown"),
    "unknown": ("sending",),
    "cancelled": ("queued", "claimed"),
}
REQUEUEABLE = ("failed", "unknown")
_SENT_AT_TYPE = SmsMessage.__table__.c.sent_at.type  # type: ignore[attr-defined]
REASON_MIN, REASON_MAX = 5, 500


def invite_key(invitation_id: int) -> str:
    """Idempotency key of an invitation's first SMS."""
    return f"inv:{invitation_id}:invite"


def reminder_key(invitation_id: int, day: int) -> str:
    """Idempotency key of the reminder sent ``day`` days after the invitation."""
    return f"inv:{invitation_id}:reminder:{day}"


@dataclass(frozen=True)
class QueueResult:
    """What a queueing call did."""

    queued: int
    already_queued: int
    segments: int


@dataclass(frozen=True)
class SmsPreview:
    """What sending the campaign's invitations would cost, before anything is queued.

    ``sample_text`` is rendered with a placeholder link of the real length.
    """

    messages: int
    gsm7: int
    ucs2: int
    segments: int
    max_segments: int
    cost: float
    price_per_segment: float
    sample_text: str


def deadline_text(campaign: Campaign, settings: Settings) -> str:
    """The field end as the citizen reads it: local date ``dd/mm/yyyy``."""
    local = as_utc(campaign.field_end).astimezone(ZoneInfo(settings.timezone))
    return f"{local:%d/%m/%Y}"


def render_message(
    campaign: Campaign, settings: Settings, *, kind: str, agency: str, link: str
) -> RenderedSms:
    """Render the invitation or reminder text of ``campaign`` for one person.

    Raises
    ------
    InvalidInput
        When the campaign's template cannot be rendered (names the template field).
    """
    # Campaigns written by other tools may leave a template empty: the standard text applies.
    body = (
        campaign.sms_template or DEFAULT_SMS_TEMPLATE
        if kind == "invitation"
        else campaign.reminder_template or DEFAULT_REMINDER_TEMPLATE
    )
    field = "sms_template" if kind == "invitation" else "reminder_template"
    try:
        template = SmsTemplate(body, strip_diacritics=campaign.strip_diacritics)
        return template.render(
            {
                name: value
                for name, value in (
                    ("agency", agency),
                    ("link", link),
                    ("deadline", deadline_text(campaign, settings)),
                )
                if name in template.variables
            }
        )
    except TemplateError as error:
        raise InvalidInput(str(error), [Problem((field,), str(error))]) from error


def messageable_invitations(campaign_id: int) -> Select[int | None, str | None, str, Any]:
    """Invitations of a campaign that may still get an SMS (a phone; not revoked, opted out,
    completed or failed), selecting id, phone, token salt and the agency's display name."""
    return (
        select(
            Invitation.id,
            Invitation.phone_e164,
            Invitation.token_salt,
            func.coalesce(func.nullif(Dossier.agency_name, ""), Dossier.agency_code),
        )
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(
            col(Invitation.campaign_id) == campaign_id,
            col(Invitation.phone_e164).is_not(None),
            col(Invitation.revoked_at).is_(None),
            col(Invitation.opted_out_at).is_(None),
            col(Invitation.completed_at).is_(None),
            col(Invitation.sms_status) != "failed",
        )
        .order_by(col(Invitation.id))
    )


def _sms_targets(
    session: Session, campaign_id: int, invitation_ids: Sequence[int] | None
) -> list[tuple[int, str, str, str]]:
    query = messageable_invitations(campaign_id).where(col(Invitation.channel) == "sms")
    if invitation_ids is not None:
        query = query.where(col(Invitation.id).in_(list(invitation_ids)))
    return [(int(i or 0), str(p), str(s), str(a or "")) for i, p, s, a in session.exec(query).all()]


def insert_messages(
    session: Session,
    campaign: Campaign,
    settings: Settings,
    *,
    kind: str,
    targets: Sequence[tuple[int, str, str, str]],
    key: str,
    now: datetime,
) -> QueueResult:
    """Render and queue one message per target ``(invitation_id, phone, salt, agency)``.

    ``key`` is ``"invite"`` or ``"reminder:{day}"``; targets whose key already exists are
    skipped. The caller commits.
    """
    keys = {f"inv:{target[0]}:{key}": target for target in targets}
    # One query on the key's suffix rather than an IN list that could exceed SQLite's limit.
    existing = set(
        session.exec(
            select(SmsMessage.idempotency_key).where(
                col(SmsMessage.campaign_id) == campaign.id,
                col(SmsMessage.idempotency_key).endswith(f":{key}"),
            )
        ).all()
    )
    values: list[dict[str, object]] = []
    segments = 0
    for idem, (invitation_id, phone, salt, agency) in keys.items():
        if idem in existing:
            continue
        link = invitation_link(settings, make_token(settings.secret_key, salt))
        rendered = render_message(
            campaign,
            settings,
            kind=kind,
            agency=agency,
            link=link,
        )
        segments += rendered.segments
        values.append(
            {
                "idempotency_key": idem,
                "campaign_id": campaign.id,
                "invitation_id": invitation_id,
                "kind": kind,
                "to_e164": phone,
                "text": rendered.text,
                "encoding": rendered.encoding.value,
                "segments": rendered.segments,
                "status": "queued",
                "attempts": 0,
                "next_attempt_at": now,
                "gateway_ref": "",
                "last_error": "",
                "created_at": now,
            }
        )
    if values:
        session.execute(insert(SmsMessage), values)
    return QueueResult(len(values), len(keys) - len(values), segments)


def queue_invitation_sms(
    *,
    session: Session,
    settings: Settings,
    campaign_id: int,
    invitation_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> QueueResult:
    """Queue the first SMS of every SMS invitation of an active campaign (or of the given ones).

    Invitations that are revoked, opted out, completed or whose number failed get nothing.
    Calling it again queues only what is missing.

    Raises
    ------
    Conflict
        When the campaign is not active.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    if campaign.status != "active":
        raise Conflict(
            f"campaign {campaign_id} is {campaign.status}; activate it before sending",
            [Problem(("status",), campaign.status)],
        )
    now = now or utcnow()
    targets = _sms_targets(session, campaign_id, invitation_ids)
    result = insert_messages(
        session, campaign, settings, kind="invitation", targets=targets, key="invite", now=now
    )
    queued_ids = select(SmsMessage.invitation_id).where(
        col(SmsMessage.campaign_id) == campaign_id, col(SmsMessage.kind) == "invitation"
    )
    session.execute(
        update(Invitation)
        .where(
            col(Invitation.campaign_id) == campaign_id,
            col(Invitation.id).in_(queued_ids),
            col(Invitation.sms_status) == "none",
        )
        .values(sms_status="queued")
    )
    session.commit()
    return result


def preview_invitation_sms(
    *, session: Session, settings: Settings, campaign_id: int, price_per_segment: float = 0.0
) -> SmsPreview:
    """Render every pending invitation SMS without queueing it and sum the cost.

    The cost is ``segments x price_per_segment`` (operators bill each part of a long message).
    Texts differ only by agency name and link (links all have the same length), so the encoding
    and segment count are computed per distinct agency.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    targets = _sms_targets(session, campaign_id, None)
    already = set(
        session.exec(
            select(SmsMessage.invitation_id).where(
                col(SmsMessage.campaign_id) == campaign_id, col(SmsMessage.kind) == "invitation"
            )
        ).all()
    )
    pending = [t for t in targets if t[0] not in already]
    sample_link = invitation_link(settings, "x" * 43)
    by_agency: dict[str, int] = {}
    for _id, _phone, _salt, agency in pending:
        by_agency[agency] = by_agency.get(agency, 0) + 1
    gsm7 = ucs2 = segments = max_segments = 0
    sample_text = ""
    for label, count in by_agency.items():
        rendered = render_message(
            campaign, settings, kind="invitation", agency=label, link=sample_link
        )
        sample_text = sample_text or rendered.text
        segments += rendered.segments * count
        max_segments = max(max_segments, rendered.segments)
        if rendered.encoding.value == "gsm7":
            gsm7 += count
        else:
            ucs2 += count
    if not sample_text:
        sample_text = render_message(
            campaign, settings, kind="invitation", agency="UBND", link=sample_link
        ).text
    return SmsPreview(
        messages=len(pending),
        gsm7=gsm7,
        ucs2=ucs2,
        segments=segments,
        max_segments=max_segments,
        cost=segments * price_per_segment,
        price_per_segment=price_per_segment,
        sample_text=sample_text,
    )


def outbox_counts(*, session: Session, campaign_id: int) -> dict[str, int]:
    """Number of messages per status for the campaign (SQL GROUP BY)."""
    rows = session.exec(
        select(SmsMessage.status, func.count())
        .where(col(SmsMessage.campaign_id) == campaign_id)
        .group_by(col(SmsMessage.status))
    ).all()
    return {str(status): int(count) for status, count in rows}


def list_messages(
    *,
    session: Session,
    campaign_id: int,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[SmsMessage]:
    """The campaign's messages, newest first (optionally of one status).

    ``limit`` and ``offset`` page through them; ids are unique, so pages neither overlap nor
    skip a message while no new one is queued.
    """
    query = select(SmsMessage).where(col(SmsMessage.campaign_id) == campaign_id)
    if status:
        query = query.where(col(SmsMessage.status) == status)
    query = query.order_by(col(SmsMessage.id).desc()).offset(max(offset, 0)).limit(limit)
    return list(session.exec(query).all())


def delivery_report_url(settings: Settings) -> str:
    """Where the gateway sends delivery reports; each message's URL adds its own signature.

    No key travels here: :class:`survey.sms.kannel.KannelGateway` appends ``sig``, an HMAC of the
    message id under ``settings.keys.sms_delivery_report``, to every dlr-url it hands Kannel.
    """
    return f"{settings.public_base_url.rstrip('/')}/sms/kannel/dlr"


def inbound_url(settings: Settings) -> str:
    """Where the gateway forwards replies (Kannel's ``get-url`` base; it appends the query).

    The last path segment is the inbound credential (``settings.keys.sms_inbound``, good for
    nothing else); the platform's access log shows it as ``[redacted]``.
    """
    base = settings.public_base_url.rstrip("/")
    return f"{base}/sms/kannel/inbound/{settings.keys.sms_inbound_credential}"


def apply_delivery_report(
    *, session: Session, report: DeliveryReport, now: datetime | None = None
) -> bool:
    """Record a delivery report on its message (and the invitation's ``sms_status``).

    A final "delivered" or "failed" report also settles a message left ``unknown`` by a crash:
    the gateway did have it; a report that arrives before the worker recorded "sent" wins, as
    the worker's update only leaves "sending". Intermediate reports (buffered, accepted by the
    SMSC) and reports for settled messages change nothing. Returns whether the report matched a
    message of ours.
    """
    if not report.message_id.isdigit():
        return False
    message_id = int(report.message_id)
    found = session.exec(
        select(SmsMessage.id, SmsMessage.invitation_id).where(col(SmsMessage.id) == message_id)
    ).first()
    if found is None:
        return False
    invitation_id = found[1]
    if not report.status.final:
        return True
    now = now or utcnow()
    values: dict[str, object]
    if report.status is DeliveryStatus.DELIVERED:
        target, values = "delivered", {"delivered_at": report.reported_at or now}
    else:
        target = "failed"
        values = {"last_error": f"delivery report {int(report.status)} {report.smsc_reply}"[:500]}
    # Typed, so SQLite stores it as the column does (UTC, no offset).
    sent_at = bindparam("report_now", now, type_=_SENT_AT_TYPE)
    changed = session.execute(
        update(SmsMessage)
        .where(
            col(SmsMessage.id) == message_id,
            col(SmsMessage.status).in_(ADVANCES_FROM[target]),
        )
        .values(status=target, sent_at=func.coalesce(col(SmsMessage.sent_at), sent_at), **values)
    )
    if getattr(changed, "rowcount", 0) and invitation_id is not None:
        session.execute(
            update(Invitation)
            .where(
                col(Invitation.id) == invitation_id,
                col(Invitation.sms_status).in_(("none", "queued", "sent")),
            )
            .values(sms_status=target)
        )
    session.commit()
    return True


def requeue_message(
    *,
    session: Session,
    message_id: int,
    reason: str,
    campaign_id: int | None = None,
    actor: StaffUser | None = None,
    actor_name: str = "",
    now: datetime | None = None,
) -> SmsMessage:
    """A coordinator's decision to send a ``failed`` or ``unknown`` message again.

    The only way such a message is ever resent: it goes back to the queue with fresh attempts,
    its invitation may be messaged again, and the reason is kept on the message and in the
    audit log (``sms.requeue``). An ``unknown`` message may already have reached the phone:
    check the gateway's log first.

    Raises
    ------
    InvalidInput
        When ``reason`` is shorter than 5 or longer than 500 characters.
    NotFound
        When the message does not exist (or is not the campaign's).
    Conflict
        When the message is neither failed nor unknown.
    """
    why = " ".join(reason.split())
    if not REASON_MIN <= len(why) <= REASON_MAX:
        raise InvalidInput(
            "say why this message may be sent again",
            [
                Problem(
                    ("reason",),
                    f"write {REASON_MIN} to {REASON_MAX} characters, e.g. 'the gateway log "
                    "shows it was never sent'",
                )
            ],
        )
    message = session.get(SmsMessage, message_id, populate_existing=True)
    if message is None or (campaign_id is not None and message.campaign_id != campaign_id):
        raise NotFound(
            f"message {message_id} does not exist",
            [Problem(("message_id",), "pick a message from the campaign's outbox")],
        )
    previous = message.status
    now = now or utcnow()
    who = actor_name or (actor.username if actor is not None else "a coordinator")
    changed = session.execute(
        update(SmsMessage)
        .where(col(SmsMessage.id) == message_id, col(SmsMessage.status).in_(REQUEUEABLE))
        .values(
            status="queued",
            attempts=0,
            next_attempt_at=now,
            lease_until=None,
            last_error=f"requeued by {who} (was {previous}): {why}"[:500],
        )
    )
    if not getattr(changed, "rowcount", 0):
        session.rollback()
        raise Conflict(
            f"message {message_id} is {previous}; only failed or unknown messages can be requeued",
            [Problem(("status",), f"{previous}: nothing to requeue")],
        )
    if message.invitation_id is not None:
        # A failed message marked its invitation failed, which stops every later SMS to it.
        session.execute(
            update(Invitation)
            .where(
                col(Invitation.id) == message.invitation_id,
                col(Invitation.sms_status) == "failed",
            )
            .values(sms_status="queued")
        )
    record_event(
        session=session,
        action="sms.requeue",
        actor=actor,
        actor_name=who,
        target=f"sms_message:{message_id}",
        details={"campaign_id": message.campaign_id, "was": previous, "reason": why},
    )
    session.commit()
    session.refresh(message)
    return message
