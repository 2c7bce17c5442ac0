"""The SMS outbox: invitation and reminder messages are queued here, the worker sends them.

Every message has an idempotency key, ``inv:{invitation_id}:invite`` or
``inv:{invitation_id}:reminder:{day}``, unique in the table: queueing the same message twice is a
no-op, whoever does it and however often. Messages are rendered when queued, with the campaign's
template and the variables ``{agency}``, ``{link}`` and ``{deadline}``; ``{link}`` is the
invitation's short link ``/m/<26 characters>`` (130 bits, :mod:`survey.short_links`), not the
43-character ``/r/`` token, so the default wording fits one GSM-7 SMS.
:func:`preview_invitation_sms` shows the encoding and the number of messages and parts per kind
(and for the longest agency name) before anything is queued; :func:`agency_name_budget` says how
long an agency's name may be for one part.

Message statuses: ``queued -> claimed -> sending -> sent -> delivered | failed``; ``cancelled``
(opt-out, revocation, campaign closed); ``unknown`` (the worker died while the gateway had the
message: never resent automatically, see :mod:`survey.worker`). Every status update names the
statuses it may leave in its ``WHERE`` (:data:`ADVANCES_FROM`), so writers that race (the worker
recording "sent", the gateway's delivery report) never move a message backwards. Only a
coordinator sends a ``failed`` or ``unknown`` message again, with a reason
(:func:`requeue_message`), recorded in the audit log.
"""

from __future__ import annotations

import string
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
from survey.short_links import SHORT_CODE_CHARS, register_sms_short_links, sms_short_link
from survey.sms.encoding import (
    GSM7_SINGLE_LIMIT,
    UCS2_SINGLE_LIMIT,
    SmsEncoding,
    count_segments,
)
from survey.sms.gateway import DeliveryReport, DeliveryStatus
from survey.sms.templates import RenderedSms, SmsTemplate, TemplateError

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
class KindCost:
    """Messages of one kind (invitation or reminder) still to be queued, and their parts."""

    kind: str
    messages: int
    parts: int
    max_parts: int
    gsm7: int
    ucs2: int


@dataclass(frozen=True)
class SmsPreview:
    """What sending the campaign's messages would cost, before anything is queued.

    ``messages``, ``gsm7``, ``ucs2``, ``segments``, ``max_segments`` and ``cost`` are the
    pending invitations' (as ``invitations``); ``total_cost`` adds the reminders.
    ``reminders`` counts every reminder day not yet queued for each person who may still be
    messaged: an upper bound, as people who answer get none. ``worst_agency`` is the longest
    agency name among them and ``worst_parts`` the parts of its invitation and reminder;
    ``sample_text`` and ``worst_text`` are rendered with a placeholder link of the real length.
    ``agency_budget`` is :func:`agency_name_budget` for the campaign.
    """

    messages: int
    gsm7: int
    ucs2: int
    segments: int
    max_segments: int
    cost: float
    price_per_segment: float
    sample_text: str
    total_cost: float
    invitations: KindCost
    reminders: KindCost
    total_messages: int
    total_parts: int
    worst_agency: str
    worst_parts: dict[str, int]
    worst_text: str
    agency_budget: int

    @property
    def needs_confirmation(self) -> bool:
        """Whether queueing the pending invitations sends any of them in more than one part."""
        return self.invitations.max_parts > 1


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
    max_parts: int | None = None,
) -> QueueResult:
    """Render and queue one message per target ``(invitation_id, phone, salt, agency)``.

    ``key`` is ``"invite"`` or ``"reminder:{day}"``; targets whose key already exists are
    skipped. Each new message carries the invitation's short link, registered here. With
    ``max_parts``, a message longer than that raises :class:`Conflict` before anything is
    written. The caller commits.
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
    fresh = {idem: target for idem, target in keys.items() if idem not in existing}
    if max_parts is not None:
        # Checked before anything is written: short links all have the same length, so the
        # agency's name decides the parts.
        placeholder = sms_short_link(settings, "X" * SHORT_CODE_CHARS)
        for agency in sorted({target[3] for target in fresh.values()}):
            parts = render_message(
                campaign, settings, kind=kind, agency=agency, link=placeholder
            ).segments
            if parts > max_parts:
                raise Conflict(
                    f"the {kind} SMS to {agency} needs {parts} parts, more than {max_parts}",
                    [
                        Problem(
                            ("confirm",),
                            "confirm that messages of more than one part may be sent, or "
                            "shorten the template",
                        )
                    ],
                )
    links = register_sms_short_links(
        session, settings, [(target[0], target[2]) for target in fresh.values()]
    )
    for idem, (invitation_id, phone, _salt, agency) in fresh.items():
        rendered = render_message(
            campaign,
            settings,
            kind=kind,
            agency=agency,
            link=links[invitation_id],
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
    max_parts: int | None = None,
) -> QueueResult:
    """Queue the first SMS of every SMS invitation of an active campaign (or of the given ones).

    Invitations that are revoked, opted out, completed or whose number failed get nothing.
    Calling it again queues only what is missing. ``max_parts`` refuses the whole batch when a
    message would take more parts (the campaign page passes 1 until the coordinator confirms).

    Raises
    ------
    Conflict
        When the campaign is not active, or a message exceeds ``max_parts`` (nothing queued).
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
        session,
        campaign,
        settings,
        kind="invitation",
        targets=targets,
        key="invite",
        now=now,
        max_parts=max_parts,
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


def _agency_occurrences(body: str) -> int:
    return sum(1 for _lit, name, _spec, _conv in string.Formatter().parse(body) if name == "agency")


def agency_name_budget(
    settings: Settings,
    *,
    sms_template: str = "",
    reminder_template: str = "",
    strip: bool = True,
) -> int:
    """How many characters an agency's name may have for every invitation and reminder to fit
    one SMS.

    Each template is rendered with an empty name, a short link of the real length for
    ``settings.public_base_url`` and a ``dd/mm/yyyy`` deadline; the budget is what is left of
    one message (160 GSM-7 septets, or 70 UCS-2 units, 3GPP TS 23.038/23.040) divided by the
    number of times the template names the agency. Without ``strip`` a Vietnamese name keeps its
    diacritics and forces UCS-2, so the 70-unit limit applies. Empty templates are the defaults.
    """
    link = sms_short_link(settings, "X" * SHORT_CODE_CHARS)
    budgets = []
    for body in (
        sms_template or DEFAULT_SMS_TEMPLATE,
        reminder_template or DEFAULT_REMINDER_TEMPLATE,
    ):
        occurrences = _agency_occurrences(body)
        try:
            template = SmsTemplate(body, strip_diacritics=strip)
            rest = template.render(
                {
                    name: value
                    for name, value in (("agency", ""), ("link", link), ("deadline", "01/01/2026"))
                    if name in template.variables
                }
            )
        except TemplateError:
            return 0
        count = count_segments(rest.text)
        limit = (
            GSM7_SINGLE_LIMIT if strip and count.encoding is SmsEncoding.GSM7 else UCS2_SINGLE_LIMIT
        )
        units = (
            count.units if limit == GSM7_SINGLE_LIMIT else len(rest.text.encode("utf-16-le")) // 2
        )
        left = max(0, limit - units)
        budgets.append(left // occurrences if occurrences else left)
    return min(budgets)


def _kind_cost(kind: str, rendered: dict[str, RenderedSms], counts: dict[str, int]) -> KindCost:
    parts = sum(rendered[agency].segments * n for agency, n in counts.items())
    return KindCost(
        kind=kind,
        messages=sum(counts.values()),
        parts=parts,
        max_parts=max((rendered[agency].segments for agency in counts), default=0),
        gsm7=sum(n for a, n in counts.items() if rendered[a].encoding is SmsEncoding.GSM7),
        ucs2=sum(n for a, n in counts.items() if rendered[a].encoding is SmsEncoding.UCS2),
    )


def preview_invitation_sms(
    *, session: Session, settings: Settings, campaign_id: int, price_per_segment: float = 0.0
) -> SmsPreview:
    """Render every pending invitation and reminder SMS without queueing it and sum the cost.

    The cost is ``parts x price_per_segment`` (operators bill each part of a long message):
    ``cost`` of the invitations, ``total_cost`` with the reminders.
    Texts differ only by agency name and link (short links all have the same length), so the
    encoding and parts are computed once per distinct agency and kind. Reminders are counted
    for every reminder day not yet queued to each person who may still be messaged (an upper
    bound: those who answer get none).
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    targets = _sms_targets(session, campaign_id, None)
    queued_keys = set(
        session.exec(
            select(SmsMessage.idempotency_key).where(col(SmsMessage.campaign_id) == campaign_id)
        ).all()
    )
    days = sorted(set(campaign.reminder_days or []))
    invite_counts: dict[str, int] = {}
    reminder_counts: dict[str, int] = {}
    for invitation_id, _phone, _salt, agency in targets:
        if invite_key(invitation_id) not in queued_keys:
            invite_counts[agency] = invite_counts.get(agency, 0) + 1
        due = sum(1 for day in days if reminder_key(invitation_id, day) not in queued_keys)
        if due:
            reminder_counts[agency] = reminder_counts.get(agency, 0) + due
    sample_link = sms_short_link(settings, "X" * SHORT_CODE_CHARS)
    agencies = sorted({t[3] for t in targets} or {"UBND"}, key=lambda a: (-len(a), a))

    def rendered(kind: str) -> dict[str, RenderedSms]:
        return {
            agency: render_message(campaign, settings, kind=kind, agency=agency, link=sample_link)
            for agency in agencies
        }

    invitation_texts, reminder_texts = rendered("invitation"), rendered("reminder")
    invitations = _kind_cost("invitation", invitation_texts, invite_counts)
    reminders = _kind_cost("reminder", reminder_texts, reminder_counts)
    pending = sorted(invite_counts, key=lambda a: (-len(a), a))
    sample_agency = pending[-1] if pending else agencies[-1]
    worst = agencies[0]
    return SmsPreview(
        messages=invitations.messages,
        gsm7=invitations.gsm7,
        ucs2=invitations.ucs2,
        segments=invitations.parts,
        max_segments=invitations.max_parts,
        cost=invitations.parts * price_per_segment,
        total_cost=(invitations.parts + reminders.parts) * price_per_segment,
        price_per_segment=price_per_segment,
        sample_text=invitation_texts[sample_agency].text,
        invitations=invitations,
        reminders=reminders,
        total_messages=invitations.messages + reminders.messages,
        total_parts=invitations.parts + reminders.parts,
        worst_agency=worst,
        worst_parts={
            "invitation": invitation_texts[worst].segments,
            "reminder": reminder_texts[worst].segments,
        },
        worst_text=invitation_texts[worst].text,
        agency_budget=agency_name_budget(
            settings,
            sms_template=campaign.sms_template,
            reminder_template=campaign.reminder_template,
            strip=campaign.strip_diacritics,
        ),
    )


def outbox_counts(*, session: Session, campaign_id: int) -> dict[str, int]:
    """Number of messages per status for the campaign (SQL GROUP BY)."""
    rows = session.exec(
        select(SmsMessage.status, func.count())
        .where(col(SmsMessage.campaign_id) == campaign_id)
        .group_by(col(SmsMessage.status))
    ).all()
    return {str(status): int(count) for status, count in rows}


@dataclass(frozen=True)
class OutboxRow:
    """A message and whether its invitation was answered (completed in any mode)."""

    message: SmsMessage
    answered: bool


def _filtered(query: Any, campaign_id: int, status: str | None, answered: bool | None) -> Any:
    query = query.where(col(SmsMessage.campaign_id) == campaign_id)
    if status:
        query = query.where(col(SmsMessage.status) == status)
    if answered is not None:
        # completed_at is the one completion mark (web, paper, phone, face to face).
        completed = col(Invitation.completed_at).is_not(None)
        query = query.where(completed if answered else ~completed)
    return query


def count_messages(
    *, session: Session, campaign_id: int, status: str | None = None, answered: bool | None = None
) -> int:
    """How many of the campaign's messages :func:`list_messages` pages through."""
    query = select(func.count()).select_from(SmsMessage)
    query = query.outerjoin(Invitation, col(Invitation.id) == col(SmsMessage.invitation_id))
    return int(session.exec(_filtered(query, campaign_id, status, answered)).one())


def list_messages(
    *,
    session: Session,
    campaign_id: int,
    status: str | None = None,
    answered: bool | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[OutboxRow]:
    """The campaign's messages, newest first (optionally of one status, answered or not).

    ``answered`` is whether the message's invitation was completed, in any mode; nothing of
    the answers is read. ``limit`` and ``offset`` page through them; ids are unique, so pages
    neither overlap nor skip a message while no new one is queued.
    """
    query = select(SmsMessage, col(Invitation.completed_at).is_not(None)).outerjoin(
        Invitation, col(Invitation.id) == col(SmsMessage.invitation_id)
    )
    query = _filtered(query, campaign_id, status, answered)
    query = query.order_by(col(SmsMessage.id).desc()).offset(max(offset, 0)).limit(limit)
    return [OutboxRow(message, bool(done)) for message, done in session.exec(query).all()]


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
