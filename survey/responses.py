"""Responses: a citizen's answers, saved page by page and submitted exactly once, then unlinked.

The life of a response::

    link opened (GET)  -> nothing but ``Invitation.first_opened_at`` changes (survey.invitations)
    start_or_resume    -> one ``in_progress`` draft per invitation (``response.invitation_id``
                          UNIQUE), after marking the invitation started
    save_page          -> answers merged as the citizen goes, so a closed browser resumes later
    submit_response    -> the invitation is marked completed and the draft completed *and
                          unlinked* (``invitation_id = NULL``) in the same transaction
                          (:func:`complete_response`, the guard every mode goes through)

Exactly once: the database decides. ``UPDATE invitation ... WHERE completed_at IS NULL`` lets one
transaction complete an invitation; a draft can only be created after ``UPDATE invitation ...
WHERE completed_at IS NULL`` too, so it cannot slip in beside a completion; the unique
``invitation_id`` keeps one draft per invitation. Every other submission of a completed link
answers "already submitted" (``created=False``, no response id): nothing leads from the
invitation to its response any more, so the answers of a retry cannot be compared with the
stored ones, and an answer page cannot tell a double click from a second attempt.

Privacy (docs/privacy.md): a response copies what estimation needs from the sampled unit and its
dossier (stratum, inclusion probability, weight, agency, province, level, procedure field,
channel, and the first-stage unit of two-stage draws) and nothing else: no phone, no dossier
code, no time of day (only the completion month), an id drawn at random rather than in the order
of starting, and, once submitted, no invitation. The invitation keeps the day it was started and
completed, which the dispositions need and nothing on the response can be matched with.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, case, exists, func, null, true, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from survey.designs import PSU_COLUMNS
from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.invitations import LinkState, link_state
from survey.models import (
    Campaign,
    Dossier,
    Draw,
    Invitation,
    Questionnaire,
    Response,
    SampleUnit,
    utcnow,
)
from survey.questionnaires import (
    AnswerPage,
    answer_pages,
    drop_hidden,
    item_kinds,
    validate_answers,
)
from survey.tokens import hash_token, make_token

# A salt no invitation has (salts are 32 hex digits): unknown links still pay for one HMAC.
_UNKNOWN_SALT = "-" * 32
# Response ids are drawn at random in [1, 2^62]: sequential ids would keep the order in which
# citizens started, which SMS send times could be lined up against.
_ID_SPAN = 1 << 62


@dataclass(frozen=True)
class AnswerLink:
    """What a citizen's link points at, with the response behind it.

    ``state`` is a :class:`survey.invitations.LinkState` value (``"ok"``, ``"unknown"``,
    ``"not_open"``, ``"expired"``, ``"revoked"``, ``"opted_out"``, ``"completed"``);
    ``invitation``, ``campaign``, ``response`` and ``questionnaire`` are ``None`` for unknown
    links. Holding the questionnaire keeps it in the session's (weak) identity map, so
    :func:`questionnaire_for` needs no query while the link is in use.
    """

    state: str
    invitation: Invitation | None
    campaign: Campaign | None
    response: Response | None
    questionnaire: Questionnaire | None = None


@dataclass(frozen=True)
class RatedService:
    """What the citizen is asked to rate: the agency and the procedure of the sampled dossier."""

    agency_name: str
    agency_code: str
    procedure_code: str
    procedure_field: str
    completed_date: date


@dataclass(frozen=True)
class SubmitResult:
    """The outcome of a submission.

    ``created`` is False when the link was already submitted; ``response_id`` is then ``None``,
    since nothing leads from an invitation to its response once submitted. ``submission_hash``
    is the hash of the answers this call sent (:func:`submission_hash`); it is not stored.
    """

    created: bool
    response_id: int | None
    submission_hash: str


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


# Statements of the citizen's hot path, built once: constructing them per request costs more
# CPU than executing them (SQLAlchemy coerces every clause); values are bound at execution.
_LINK_QUERY = (
    select(Invitation, Campaign, Questionnaire, Response)
    .join(Campaign, col(Campaign.id) == col(Invitation.campaign_id))
    .join(Questionnaire, col(Questionnaire.id) == col(Campaign.questionnaire_id))
    .outerjoin(Response, col(Response.invitation_id) == col(Invitation.id))
    .where(col(Invitation.token_hash) == bindparam("token_hash"))
)
_RESPONSES = _table(Response)
_INVITATIONS = _table(Invitation)
# Marks the invitation completed, once: the row lock and the re-checked WHERE make every other
# transaction find it completed. Day only (see the module docstring).
_COMPLETE_INVITATION = (
    update(_INVITATIONS)
    .where(_INVITATIONS.c.id == bindparam("invitation"), _INVITATIONS.c.completed_at.is_(None))
    .values(
        completed_at=bindparam("day", type_=_INVITATIONS.c.completed_at.type),
        started_at=func.coalesce(
            _INVITATIONS.c.started_at, bindparam("day", type_=_INVITATIONS.c.started_at.type)
        ),
    )
)
_RESPONSE_VALUES = {
    "status": "completed",
    "invitation_id": null(),
    "answers": bindparam("answers", type_=_RESPONSES.c.answers.type),
    "completed_month": bindparam("month", type_=_RESPONSES.c.completed_month.type),
    "current_page": bindparam("pages"),
    "mode": bindparam("mode"),
}
# Completes and unlinks the invitation's draft.
_COMPLETE_RESPONSE = (
    update(_RESPONSES)
    .where(
        _RESPONSES.c.invitation_id == bindparam("invitation"),
        _RESPONSES.c.status == "in_progress",
    )
    .values(**_RESPONSE_VALUES)
    .returning(_RESPONSES.c.id)
)
# PostgreSQL runs both in one round trip: data-modifying CTEs execute whether or not the outer
# SELECT reads them, and the draft's update reads the invitation's RETURNING, so it only fires
# when this transaction completed the invitation.
_INVITED = _COMPLETE_INVITATION.returning(_INVITATIONS.c.id).cte("invited")
_DONE = (
    update(_RESPONSES)
    .where(
        _RESPONSES.c.invitation_id == bindparam("invitation"),
        _RESPONSES.c.status == "in_progress",
        exists(select(_INVITED.c.id)),
    )
    .values(**_RESPONSE_VALUES)
    .returning(_RESPONSES.c.id)
    .cte("done")
)
_COMPLETE_BOTH = select(
    select(func.count()).select_from(_INVITED).scalar_subquery().label("invited"),
    select(_DONE.c.id).scalar_subquery().label("response_id"),
)


# Locks a draft for one save and reads its answers after the lock: an UPDATE that changes
# nothing is the one statement both databases serialise per row (SQLite has no FOR UPDATE).
_LOCK_DRAFT = (
    update(_RESPONSES)
    .where(_RESPONSES.c.id == bindparam("response"), _RESPONSES.c.status == "in_progress")
    .values(current_page=_RESPONSES.c.current_page)
    .returning(_RESPONSES.c.answers, _RESPONSES.c.current_page)
)
# The same lock found by the invitation: a completed response has no invitation any more.
_LOCK_LINKED_DRAFT = (
    update(_RESPONSES)
    .where(
        _RESPONSES.c.invitation_id == bindparam("invitation"),
        _RESPONSES.c.status == "in_progress",
    )
    .values(current_page=_RESPONSES.c.current_page)
    .returning(_RESPONSES.c.answers)
)


_CAMPAIGNS = _table(Campaign)
_QUESTIONNAIRES = _table(Questionnaire)
# What a submission needs of its link, and its draft locked, in one PostgreSQL statement: the
# draft's row is locked by a LATERAL sub-select FOR UPDATE (PostgreSQL refuses FOR UPDATE on the
# nullable side of an outer join), which waits for a concurrent save or submission and then
# reads the row's newest version, so the answers returned are those stored when locked.
_SUBMIT_DRAFT = (
    core_select(_RESPONSES.c.answers)
    .where(
        _RESPONSES.c.invitation_id == _INVITATIONS.c.id,
        _RESPONSES.c.status == "in_progress",
    )
    .with_for_update()
    .lateral("draft")
)
_SUBMIT_LINK_QUERY = (
    core_select(
        _INVITATIONS.c.id,
        _INVITATIONS.c.campaign_id,
        _INVITATIONS.c.sample_unit_id,
        _INVITATIONS.c.token_salt,
        _INVITATIONS.c.expires_at,
        _INVITATIONS.c.revoked_at,
        _INVITATIONS.c.completed_at,
        _INVITATIONS.c.opted_out_at,
        _CAMPAIGNS.c.status,
        _QUESTIONNAIRES.c.id,
        _QUESTIONNAIRES.c.published_at,
        # A published version never changes: its definition comes from _PUBLISHED once read
        # (decoding its JSON on every submission was a tenth of the request's CPU).
        case(
            (
                (_QUESTIONNAIRES.c.status == "published")
                & _QUESTIONNAIRES.c.published_at.is_not(None),
                null(),
            ),
            else_=_QUESTIONNAIRES.c.definition,
        ).label("definition"),
        _SUBMIT_DRAFT.c.answers,
    )
    .select_from(
        _INVITATIONS.join(_CAMPAIGNS, _CAMPAIGNS.c.id == _INVITATIONS.c.campaign_id)
        .join(_QUESTIONNAIRES, _QUESTIONNAIRES.c.id == _CAMPAIGNS.c.questionnaire_id)
        .outerjoin(_SUBMIT_DRAFT, true())
    )
    .where(_INVITATIONS.c.token_hash == bindparam("token_hash"))
)


_DEFINITION_QUERY = core_select(_QUESTIONNAIRES.c.definition).where(
    _QUESTIONNAIRES.c.id == bindparam("questionnaire")
)
# Published questionnaire versions, as detached read-only copies (id and definition), keyed by
# id and publication time (a version deleted and another published under the same id, as a
# test database does, is another key): a published version is immutable (survey.questionnaires
# refuses to change one), and a deployment has a handful. Plain dict operations are atomic.
_PUBLISHED: dict[tuple[int, datetime], Questionnaire] = {}


def _published(
    connection: Connection, questionnaire_id: int, published_at: datetime
) -> Questionnaire:
    key = (questionnaire_id, published_at)
    cached = _PUBLISHED.get(key)
    if cached is None:
        definition = connection.execute(
            _DEFINITION_QUERY, {"questionnaire": questionnaire_id}
        ).scalar_one()
        cached = Questionnaire(  # type: ignore[call-arg]
            id=questionnaire_id, status="published", definition=definition
        )
        _PUBLISHED[key] = cached
    return cached


@dataclass(frozen=True, slots=True)
class SubmitInvitation:
    """The columns of an invitation a submission reads, as plain values: never a session's
    object, and cheap (a detached model instance validated every default on each
    submission: about a sixth of the worker thread's time in cProfile)."""

    id: int
    campaign_id: int
    sample_unit_id: int
    token_salt: str
    expires_at: datetime
    revoked_at: datetime | None
    completed_at: datetime | None
    opted_out_at: datetime | None


@dataclass(frozen=True, slots=True)
class _CampaignStatus:
    status: str


# An invitation as a use case reads it: the stored row, or a submission's plain copy.
InvitationColumns = Invitation | SubmitInvitation


@dataclass(frozen=True)
class SubmitLink:
    """A citizen's link as a submission sees it, its draft locked (:func:`lock_link_for_submit`).

    ``invitation`` carries only the columns the submission reads and ``questionnaire`` is a
    detached copy (never added to a session); ``answers`` is the draft as stored when locked,
    ``None`` when no draft is in progress (never started, or completed and unlinked).
    """

    state: str
    invitation: SubmitInvitation | None
    questionnaire: Questionnaire | None  # None: complete_response looks it up
    answers: dict[str, Any] | None


def lock_link_for_submit(
    *, session: Session, secret_key: str, token: str, now: datetime | None = None
) -> SubmitLink:
    """Resolve ``token`` as :func:`resolve_link` does and lock its draft, in one round trip.

    PostgreSQL only (SQLite has no ``FOR UPDATE``; callers use :func:`resolve_link` and
    :func:`submit_draft` there). The same constant work for every token: one indexed lookup by
    ``sha256(token)`` and one HMAC with a constant-time comparison. The draft's row lock is held
    until the caller's transaction ends: a save from another window either landed before and is
    in the answers, or waits and is then told the response is completed.
    """
    connection = session.connection()
    row = connection.execute(_SUBMIT_LINK_QUERY, {"token_hash": hash_token(token)}).first()
    salt = row[3] if row is not None else _UNKNOWN_SALT
    expected = make_token(secret_key, salt).encode()
    genuine = hmac.compare_digest(expected, token.encode("utf-8", "replace"))
    if row is None or not genuine:
        return SubmitLink(LinkState.UNKNOWN.value, None, None, None)
    (
        invitation_id,
        campaign_id,
        sample_unit_id,
        _salt,
        expires_at,
        revoked_at,
        completed_at,
        opted_out_at,
        campaign_status,
        questionnaire_id,
        published_at,
        definition,
        answers,
    ) = row
    invitation = SubmitInvitation(
        id=invitation_id,
        campaign_id=campaign_id,
        sample_unit_id=sample_unit_id,
        token_salt=salt,
        expires_at=expires_at,
        revoked_at=revoked_at,
        completed_at=completed_at,
        opted_out_at=opted_out_at,
    )
    state = link_state(invitation, _CampaignStatus(campaign_status), now)
    if state is not LinkState.OK:
        return SubmitLink(state.value, invitation, None, answers)
    # Only a link that can be submitted needs the questionnaire (every other state does the
    # same single statement as an unknown link).
    if definition is None:
        questionnaire = _published(connection, questionnaire_id, published_at)
    else:
        # A version not published (no campaign opens with one): as stored, not cached.
        questionnaire = Questionnaire(  # type: ignore[call-arg]
            id=questionnaire_id, definition=definition
        )
    return SubmitLink(state.value, invitation, questionnaire, answers)


def submit_locked_draft(*, session: Session, link: SubmitLink, mode: str = "web") -> SubmitResult:
    """Submit the draft :func:`lock_link_for_submit` locked (its answers as stored when locked)
    through :func:`submit_response` (so :func:`complete_response`), committed once.

    Raises
    ------
    InvalidInput
        When the saved answers are incomplete (rolled back, nothing changes).
    Conflict
        When there is no draft in progress to submit.
    """
    if link.invitation is None or link.answers is None:
        session.rollback()
        raise _completed_conflict()
    try:
        return submit_response(
            session=session,
            invitation=link.invitation,
            answers=dict(link.answers),
            mode=mode,
            questionnaire=link.questionnaire,
        )
    except InvalidInput:
        session.rollback()
        raise


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes that were written as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def resolve_link(
    *, session: Session, secret_key: str, token: str, now: datetime | None = None
) -> AnswerLink:
    """Find the invitation behind ``token``, its response and its state, in constant work.

    Unknown and known tokens run the same single query (the invitation by ``sha256(token)``
    joined to its campaign, questionnaire and response) and one HMAC followed by a constant-time
    comparison (:func:`hmac.compare_digest`; RFC 2104 keyed tokens), so the time a request takes
    does not tell whether a token exists or was used. Nothing is written. The questionnaire is
    loaded here so the pages that follow find it in the session without another round trip.
    """
    row = session.exec(_LINK_QUERY, params={"token_hash": hash_token(token)}).first()
    invitation, campaign, questionnaire, response = row if row is not None else (None,) * 4
    salt = invitation.token_salt if invitation is not None else _UNKNOWN_SALT
    expected = make_token(secret_key, salt).encode()
    genuine = hmac.compare_digest(expected, token.encode("utf-8", "replace"))
    if invitation is None or campaign is None or not genuine:
        return AnswerLink(LinkState.UNKNOWN.value, None, None, None)
    # A completed invitation has no response any more: link_state says "completed".
    state = link_state(invitation, campaign, now)
    return AnswerLink(state.value, invitation, campaign, response, questionnaire)


def rated_service(*, session: Session, invitation: Invitation) -> RatedService:
    """The agency and procedure the invitation asks about (shown so the citizen knows)."""
    dossier = session.exec(
        select(Dossier)
        .join(SampleUnit, col(SampleUnit.dossier_id) == col(Dossier.id))
        .where(col(SampleUnit.id) == invitation.sample_unit_id)
    ).one()
    return RatedService(
        agency_name=dossier.agency_name or dossier.agency_code,
        agency_code=dossier.agency_code,
        procedure_code=dossier.procedure_code,
        procedure_field=dossier.procedure_field,
        completed_date=dossier.completed_date,
    )


def questionnaire_for(*, session: Session, invitation: InvitationColumns) -> Questionnaire:
    """The published questionnaire version of the invitation's campaign."""
    # The campaign is usually in the session already (loaded with the invitation): no query.
    campaign = session.get(Campaign, invitation.campaign_id)
    assert campaign is not None
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    assert questionnaire is not None
    return questionnaire


def _find_response(session: Session, invitation: Invitation) -> Response | None:
    # populate_existing: a conditional UPDATE may have changed a row this session already holds.
    return session.exec(
        select(Response)
        .where(col(Response.invitation_id) == invitation.id)
        .execution_options(populate_existing=True)
    ).first()


def _first_stage_unit(snapshot: Mapping[str, Any] | None, dossier: Dossier) -> str:
    design = (snapshot or {}).get("design") or {}
    column = design.get("psu_column")
    if design.get("selection") != "pps" or column not in PSU_COLUMNS:
        return ""
    return str(getattr(dossier, column))


def _new_response(
    session: Session, invitation: InvitationColumns, *, linked: bool = True, **values: Any
) -> Response:
    """A response carrying the sampled unit's design and domain values; ``linked`` drafts
    point at their invitation, completed rows never do."""
    unit, dossier, campaign, snapshot = session.exec(
        select(SampleUnit, Dossier, Campaign, Draw.design_snapshot)
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .join(Campaign, col(Campaign.id) == invitation.campaign_id)
        .join(Draw, col(Draw.id) == col(Campaign.draw_id))
        .where(col(SampleUnit.id) == invitation.sample_unit_id)
    ).one()
    return Response(
        id=secrets.randbelow(_ID_SPAN) + 1,
        campaign_id=invitation.campaign_id,
        invitation_id=invitation.id if linked else None,
        questionnaire_id=campaign.questionnaire_id,
        stratum=unit.stratum,
        inclusion_prob=unit.inclusion_prob,
        weight=unit.weight,
        agency_code=dossier.agency_code,
        province_code=dossier.province_code,
        level=dossier.level,
        procedure_field=dossier.procedure_field,
        channel=dossier.channel,
        psu=_first_stage_unit(snapshot, dossier),
        **values,
    )


def _insert_or_existing(session: Session, row: Response, invitation: Invitation) -> Response | None:
    """Insert the draft ``row``; when another transaction inserted first, return that one, or
    ``None`` when that draft was submitted (and so unlinked) in the meantime."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # The unique constraint on invitation_id chose the winner; read its row.
        session.rollback()
        return _find_response(session, invitation)
    return row


def _day(moment: datetime) -> datetime:
    """Midnight UTC of ``moment``: what the invitation keeps of when it was started/completed."""
    moment = _aware(moment).astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _month(moment: datetime) -> date:
    """The first day of ``moment``'s UTC month: all a response keeps of when it was submitted."""
    return _aware(moment).astimezone(UTC).date().replace(day=1)


def _mark_started(session: Session, invitation: Invitation, now: datetime) -> bool:
    """Mark the invitation started unless completed; False when it is completed.

    The update also takes the invitation's row lock, so a draft and a completion of the same
    invitation are never decided side by side.
    """
    result = session.execute(
        update(_INVITATIONS)
        .where(_INVITATIONS.c.id == invitation.id, _INVITATIONS.c.completed_at.is_(None))
        .values(started_at=func.coalesce(_INVITATIONS.c.started_at, _day(now)))
    )
    return int(getattr(result, "rowcount", 0)) == 1


def start_or_resume(*, session: Session, invitation: Invitation, language: str = "vi") -> Response:
    """The invitation's draft response, created ``in_progress`` on first use.

    Safe to call twice or concurrently: the unique ``invitation_id`` lets one insert win and the
    others read it.

    Raises
    ------
    Conflict
        When the invitation was already submitted (its response is no longer linked to it).
    """
    existing = _find_response(session, invitation)
    if existing is not None:
        return existing
    if not _mark_started(session, invitation, utcnow()):
        session.rollback()
        raise _completed_conflict()
    row = _new_response(session, invitation, language=language)
    response = _insert_or_existing(session, row, invitation)
    if response is None:
        # The draft that won was submitted meanwhile: start again, to be told it is done.
        return start_or_resume(session=session, invitation=invitation, language=language)
    session.commit()
    session.refresh(response)
    return response


def _clean_value(kind: str, raw: Any) -> Any:
    """Normalise one form value: criteria to int, ``multiple`` to a list, text stripped."""
    if raw is None:
        return None
    if kind == "criterion":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int):
            return raw
        text = str(raw).strip()
        if text.lstrip("-").isdigit():
            return int(text)
        return text or None
    if kind == "multiple":
        values = raw if isinstance(raw, list | tuple) else [raw]
        cleaned = [str(v) for v in values if str(v) != ""]
        return cleaned or None
    text = str(raw).strip()
    return text or None


def _item_kinds(definition: Mapping[str, Any]) -> dict[str, str]:
    # Grid rows are answer keys of their own (see survey.questionnaires.item_kinds).
    return item_kinds(dict(definition))


def clean_answers(
    definition: Mapping[str, Any], answers: Mapping[str, Any], codes: tuple[str, ...]
) -> dict[str, Any]:
    """The answers for ``codes`` in stored form; unanswered optional items are left out."""
    kinds = _item_kinds(definition)
    cleaned = {code: _clean_value(kinds[code], answers.get(code)) for code in codes}
    return {code: value for code, value in cleaned.items() if value is not None}


def _page(definition: dict[str, Any], page: int) -> AnswerPage:
    pages = answer_pages(definition)
    if not 0 <= page < len(pages):
        raise NotFound(f"page {page + 1} does not exist: pages go from 1 to {len(pages)}")
    return pages[page]


def _completed_conflict() -> Conflict:
    return Conflict(
        "this questionnaire was already submitted; answers cannot change after submission",
        [Problem(("response",), "the answers were already submitted: nothing more to do")],
    )


def save_page(
    *, session: Session, invitation: Invitation, page: int, answers: Mapping[str, Any]
) -> Response:
    """Validate and store one page's answers (``page`` counts from 0), so a citizen can resume.

    Saves of one response are serialised: the first statement of the transaction is an
    ``UPDATE`` of the response row (PostgreSQL's row lock; SQLite's write lock) that returns the
    answers as stored *now*, and the page is merged into those, not into what this request read
    earlier. Two windows saving different pages at once therefore both keep their answers.

    Raises :class:`InvalidInput` listing each item to fix, and :class:`Conflict` once the response
    is completed (the conditional update only touches an ``in_progress`` row).
    """
    response = start_or_resume(session=session, invitation=invitation)
    questionnaire = session.get(Questionnaire, response.questionnaire_id)
    assert questionnaire is not None
    definition = questionnaire.definition
    current = _page(definition, page)
    page_answers = clean_answers(definition, answers, current.item_codes)
    problems = validate_answers(definition, page_answers, current, earlier=response.answers)
    if problems:
        raise InvalidInput(f"page {page + 1} has answers to fix", problems)
    response_id = response.id
    # Nothing was written yet in this transaction (the reads above ran outside one on SQLite),
    # so this UPDATE opens it and takes the lock before the answers are read.
    session.commit()
    locked = session.execute(_LOCK_DRAFT, {"response": response_id}).first()
    if locked is None:
        session.rollback()
        raise _completed_conflict()
    stored, stored_page = locked
    merged = {k: v for k, v in dict(stored or {}).items() if k not in current.item_codes}
    merged.update(page_answers)
    # A changed answer may hide later questions: their answers are not kept.
    merged = drop_hidden(definition, merged)
    session.execute(
        update(_RESPONSES)
        .where(_RESPONSES.c.id == response_id)
        .values(answers=merged, current_page=max(int(stored_page or 0), page + 1))
    )
    session.commit()
    session.refresh(response)
    return response


def submission_hash(questionnaire_id: int, answers: Mapping[str, Any]) -> str:
    """SHA-256 of the questionnaire id and the canonical JSON (sorted keys) of the answers."""
    canonical = json.dumps(
        {"questionnaire_id": questionnaire_id, "answers": answers},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit_response(
    *,
    session: Session,
    invitation: InvitationColumns,
    answers: Mapping[str, Any],
    mode: str = "web",
    questionnaire: Questionnaire | None = None,
) -> SubmitResult:
    """Complete the invitation with ``answers`` (:func:`complete_response`) and commit.

    When the invitation was already completed nothing changes (rolled back, ``created=False``).
    """
    result = complete_response(
        session=session,
        invitation=invitation,
        answers=answers,
        mode=mode,
        questionnaire=questionnaire,
    )
    if result.created:
        session.commit()
    else:
        session.rollback()
    return result


def complete_response(
    *,
    session: Session,
    invitation: InvitationColumns,
    answers: Mapping[str, Any],
    mode: str = "web",
    questionnaire: Questionnaire | None = None,
) -> SubmitResult:
    """Complete the invitation and its response with ``answers``, exactly once, and unlink them.

    The one guard of every mode (web, paper, phone, face_to_face): whoever completes a form
    calls this in the transaction that completes it and commits afterwards, so a second
    response for an invitation is refused whatever the mode. ``mode`` is stored on the response.
    Does not commit; raises :class:`InvalidInput` before writing anything.

    In one transaction: ``UPDATE invitation SET completed_at = <day> WHERE id = :id AND
    completed_at IS NULL``; when that changed the row, the draft is completed with
    ``invitation_id = NULL`` (or, with no draft, a completed response is inserted with no link).
    On PostgreSQL the two updates are one statement (data-modifying CTEs). When the invitation
    was already completed, by an earlier or a concurrent call, nothing changes and the result
    says "already submitted" (``created=False``). ``questionnaire`` is the campaign's version
    when the caller has it already (read with the link); else it is looked up.
    """
    if questionnaire is None:
        questionnaire = questionnaire_for(session=session, invitation=invitation)
    assert questionnaire.id is not None
    definition = questionnaire.definition
    pages = answer_pages(definition)
    codes = tuple(code for page in pages for code in page.item_codes)
    final = drop_hidden(definition, clean_answers(definition, answers, codes))
    problems = validate_answers(definition, final)
    if problems:
        raise InvalidInput("some answers are missing or not valid", problems)
    digest = submission_hash(questionnaire.id, final)
    now = utcnow()
    params = {
        "invitation": invitation.id,
        "answers": final,
        "day": _day(now),
        "month": _month(now),
        "pages": len(pages),
        "mode": mode,
    }
    # Core statements on the tables skip the ORM's bulk-update machinery; the caller's commit
    # expires whatever the session had loaded, so nothing stale outlives this call. They run on
    # the session's connection (its transaction): Session.execute would add only its own
    # overhead, since statements on plain tables are never autoflushed.
    connection = session.connection()
    response_id: int | None = None
    if session.get_bind().dialect.name == "postgresql":
        invited, response_id = connection.execute(_COMPLETE_BOTH, params).one()
        won = bool(invited)
    else:
        won = int(getattr(connection.execute(_COMPLETE_INVITATION, params), "rowcount", 0)) == 1
    if not won:
        return SubmitResult(created=False, response_id=None, submission_hash=digest)
    if response_id is None:
        # A fresh statement sees a draft committed while this one waited for the invitation.
        done = connection.execute(_COMPLETE_RESPONSE, params).first()
        response_id = int(done[0]) if done is not None else None
    if response_id is None:
        row = _new_response(
            session,
            invitation,
            linked=False,
            answers=final,
            status="completed",
            completed_month=params["month"],
            current_page=len(pages),
            mode=mode,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        response_id = row.id
    return SubmitResult(created=True, response_id=response_id, submission_hash=digest)


def submit_draft(*, session: Session, invitation: Invitation) -> SubmitResult:
    """Submit the answers saved on the invitation's draft, as stored when the draft is locked.

    The draft's row is locked first (as :func:`save_page` does), so a save from another window
    either lands before the submission and is in it, or waits and is then told the response is
    completed: no save is acknowledged and left out. One statement finds and locks the draft
    (``UPDATE ... WHERE invitation_id = :id AND status = 'in_progress' RETURNING answers``),
    and the whole submission is the caller's transaction, committed once.

    Raises
    ------
    InvalidInput
        When the saved answers are incomplete (nothing changes).
    Conflict
        When there is no draft to submit (it was submitted already, or never started).
    """
    if session.get_bind().dialect.name != "postgresql":
        # SQLite cannot turn a read transaction into a write one once another connection has
        # committed since it began (SQLITE_BUSY_SNAPSHOT): end the caller's reads first.
        # PostgreSQL's UPDATE waits for the row and reads its newest version, so the reads
        # stay in the transaction (and the session keeps what it loaded: fewer round trips).
        session.commit()
    # On the session's connection, as in complete_response.
    locked = session.connection().execute(_LOCK_LINKED_DRAFT, {"invitation": invitation.id}).first()
    if locked is None:
        # No draft in progress: never started, or completed (and unlinked) by an earlier or a
        # concurrent submission.
        session.rollback()
        raise _completed_conflict()
    try:
        return submit_response(session=session, invitation=invitation, answers=dict(locked[0]))
    except InvalidInput:
        session.rollback()
        raise


def unlink_responses(*, session: Session, campaign_id: int) -> int:
    """Clear the invitation link of the campaign's drafts (after fieldwork); does not commit.

    Returns the number of drafts unlinked. Completed responses have no link already.
    """
    result = session.execute(
        update(_RESPONSES)
        .where(_RESPONSES.c.campaign_id == campaign_id, _RESPONSES.c.invitation_id.is_not(None))
        .values(invitation_id=None)
    )
    return int(getattr(result, "rowcount", 0))
