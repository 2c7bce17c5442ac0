"""Campaigns: a draw, a published questionnaire version and a field period.

A campaign moves ``draft -> active -> closed``. Only an active campaign sends messages; closing it
ends the field period early (links stop working) and allows the contact purge
(:mod:`survey.purge`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.models import (
    Campaign,
    Dossier,
    Draw,
    InterviewAssignment,
    Questionnaire,
    Response,
    SampleUnit,
    SmsMessage,
    utcnow,
)
from survey.sms.templates import SmsTemplate, TemplateError
from survey.users import UNLIMITED, Scope

# Variables a campaign's templates may use; the outbox supplies exactly these.
TEMPLATE_VARIABLES = ("agency", "link", "deadline")

# Unaccented Vietnamese and the 26-character short link (survey/short_links.py): with
# https://sipas.gov.vn the reminder leaves 54 characters (the invitation 55) for the agency's
# name in one GSM-7 SMS (survey.outbox.agency_name_budget; tests/survey/test_sms_one_part.py).
# HUY is an opt-out keyword the gateway recognises (survey.sms.gateway.DEFAULT_OPT_OUT_KEYWORDS).
DEFAULT_SMS_TEMPLATE = "{agency} moi Ong/Ba danh gia: {link} han {deadline}. Tu choi: soan HUY"
DEFAULT_REMINDER_TEMPLATE = (
    "{agency} nhac Ong/Ba danh gia: {link} han {deadline}. Tu choi: soan HUY"
)

CAMPAIGN_STATUSES = ("draft", "active", "closed")


def as_utc(value: datetime) -> datetime:
    """Read a stored timestamp as aware UTC.

    SQLite hands back naive values (we always store UTC); PostgreSQL hands back aware ones.
    """
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _check_template(body: str, field: str) -> list[Problem]:
    try:
        template = SmsTemplate(body)
    except TemplateError as error:
        return [Problem((field,), str(error))]
    unknown = [name for name in template.variables if name not in TEMPLATE_VARIABLES]
    if unknown:
        return [
            Problem(
                (field,),
                f"unknown variable {{{unknown[0]}}}; templates may use "
                + ", ".join("{" + v + "}" for v in TEMPLATE_VARIABLES),
            )
        ]
    if "link" not in template.variables:
        return [Problem((field,), "the template must contain {link}, or nobody can answer")]
    return []


def create_campaign(
    *,
    session: Session,
    name: str,
    draw_id: int,
    questionnaire_id: int,
    field_start: datetime,
    field_end: datetime,
    sms_template: str = "",
    reminder_template: str = "",
    strip_diacritics: bool = True,
    reminder_days: Sequence[int] = (3, 7),
    created_by: int | None = None,
) -> Campaign:
    """Create a draft campaign after checking every input.

    Parameters
    ----------
    draw_id
        The sample to invite (its non-reserve units).
    questionnaire_id
        A *published* questionnaire version: answers must refer to an immutable definition.
    field_start, field_end
        The field period (timezone-aware); invitations expire at ``field_end``.
    sms_template, reminder_template
        Texts with ``{agency}``, ``{link}`` and ``{deadline}``; empty means the default.
    strip_diacritics
        Send the texts without Vietnamese diacritics (GSM-7, 160 characters per SMS instead of
        70); on by default for new campaigns, stored campaigns keep their own setting.
    reminder_days
        Days after the invitation SMS was sent on which a reminder goes out.

    Raises
    ------
    InvalidInput
        Naming each bad field and how to fix it.
    NotFound
        When the draw or the questionnaire does not exist.
    """
    problems: list[Problem] = []
    if not name.strip():
        problems.append(Problem(("name",), "give the campaign a name"))
    if field_start.tzinfo is None or field_end.tzinfo is None:
        problems.append(
            Problem(("field_start",), "give the field period with a timezone, e.g. +07:00")
        )
    elif field_end <= field_start:
        problems.append(Problem(("field_end",), "the field period must end after it starts"))
    days = list(reminder_days)
    for index, day in enumerate(days):
        if not isinstance(day, int) or day < 1 or day > 60:
            problems.append(
                Problem(("reminder_days", index), "reminder days are whole days from 1 to 60")
            )
    if len(set(days)) != len(days):
        problems.append(Problem(("reminder_days",), "list each reminder day once"))
    sms_body = sms_template or DEFAULT_SMS_TEMPLATE
    reminder_body = reminder_template or DEFAULT_REMINDER_TEMPLATE
    problems += _check_template(sms_body, "sms_template")
    problems += _check_template(reminder_body, "reminder_template")
    if session.get(Draw, draw_id) is None:
        raise NotFound(f"draw {draw_id} does not exist", [Problem(("draw_id",), "no such draw")])
    questionnaire = session.get(Questionnaire, questionnaire_id)
    if questionnaire is None:
        raise NotFound(
            f"questionnaire {questionnaire_id} does not exist",
            [Problem(("questionnaire_id",), "no such questionnaire")],
        )
    if questionnaire.status != "published":
        problems.append(
            Problem(
                ("questionnaire_id",),
                f"questionnaire {questionnaire.code} v{questionnaire.version} is a draft; "
                "publish it first so every answer refers to a fixed version",
            )
        )
    if problems:
        raise InvalidInput("the campaign cannot be created", problems)
    campaign = Campaign(
        name=name.strip(),
        draw_id=draw_id,
        questionnaire_id=questionnaire_id,
        field_start=field_start.astimezone(UTC),
        field_end=field_end.astimezone(UTC),
        sms_template=sms_body,
        reminder_template=reminder_body,
        strip_diacritics=strip_diacritics,
        reminder_days=sorted(days),
        created_by=created_by,
    )
    session.add(campaign)
    session.commit()
    session.refresh(campaign)
    return campaign


def _in_scope(scope: Scope) -> Any:
    """Campaigns whose draw holds a sampled dossier the scope may see (an EXISTS in SQL)."""
    return (
        select(SampleUnit.id)
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(col(SampleUnit.draw_id) == col(Campaign.draw_id))
        .where(*scope.where(Dossier.agency_code, Dossier.province_code))
        .exists()
    )


def get_campaign(*, session: Session, campaign_id: int, scope: Scope = UNLIMITED) -> Campaign:
    """The campaign, or :class:`NotFound` (also when none of its cases is in ``scope``)."""
    if scope.limited:
        stmt = select(Campaign).where(col(Campaign.id) == campaign_id, _in_scope(scope))
        campaign = session.exec(stmt).first()
    else:
        campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist", [Problem(("campaign_id",), "no such id")]
        )
    return campaign


def list_campaigns(*, session: Session, scope: Scope = UNLIMITED) -> list[Campaign]:
    """Campaigns, newest first; a scoped caller gets those sampling their agencies only."""
    stmt = select(Campaign).order_by(col(Campaign.id).desc())
    if scope.limited:
        stmt = stmt.where(_in_scope(scope))
    return list(session.exec(stmt).all())


def activate_campaign(
    *, session: Session, campaign_id: int, now: datetime | None = None
) -> Campaign:
    """Open a draft campaign for fieldwork (messages may be sent from now on).

    Raises
    ------
    Conflict
        When the campaign is not a draft or its field period is already over.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    now = now or utcnow()
    if campaign.status != "draft":
        raise Conflict(
            f"campaign {campaign_id} is {campaign.status}; only a draft can be activated",
            [Problem(("status",), f"campaign is {campaign.status}")],
        )
    if as_utc(campaign.field_end) <= now:
        raise Conflict(
            f"campaign {campaign_id}'s field period ended on {campaign.field_end:%Y-%m-%d}",
            [Problem(("field_end",), "create a new campaign with a future field period")],
        )
    campaign.status = "active"
    session.add(campaign)
    session.commit()
    session.refresh(campaign)
    return campaign


def close_campaign(*, session: Session, campaign_id: int) -> Campaign:
    """End fieldwork: links stop working and waiting messages are cancelled.

    Raises
    ------
    Conflict
        When the campaign is already closed.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    if campaign.status == "closed":
        raise Conflict(
            f"campaign {campaign_id} is already closed", [Problem(("status",), "closed")]
        )
    campaign.status = "closed"
    # Messages still waiting would invite people to a survey that no longer accepts answers.
    session.execute(
        update(SmsMessage)
        .where(
            col(SmsMessage.campaign_id) == campaign_id,
            col(SmsMessage.status).in_(("queued", "claimed")),
        )
        .values(status="cancelled", last_error="campaign closed")
    )
    # Drafts left unsubmitted lose their link to the invitation too (docs/privacy.md): no one
    # can resume them any more, and analysts may still use them as partial answers.
    session.execute(
        update(Response)
        .where(col(Response.campaign_id) == campaign_id, col(Response.invitation_id).is_not(None))
        .values(invitation_id=None)
    )
    # Interviews never recorded keep no answers beside their invitation either.
    session.execute(
        update(InterviewAssignment)
        .where(
            col(InterviewAssignment.campaign_id) == campaign_id,
            col(InterviewAssignment.status) == "open",
        )
        .values(answers={}, current_page=0)
    )
    session.add(campaign)
    session.commit()
    session.refresh(campaign)
    return campaign
