"""Responses: a citizen's answers, saved page by page and submitted exactly once.

The life of a response::

    link opened (GET)  -> nothing but ``Invitation.first_opened_at`` changes (survey.invitations)
    start_or_resume    -> one ``in_progress`` row per invitation (``response.invitation_id`` UNIQUE)
    save_page          -> answers merged as the citizen goes, so a closed browser resumes later
    submit_response    -> ``UPDATE ... WHERE status = 'in_progress'``: exactly one caller completes

Idempotency: the submission hash is the SHA-256 of the questionnaire id and the canonical JSON of
the final answers. A retried submission with the same answers returns the same result (no second
row, no error); different answers for a completed response raise :class:`Conflict`. Both rules
hold under concurrency because the database decides: the unique constraint on ``invitation_id``
and the conditional update let only one transaction win, the losers read the winner's row.

Privacy: a response copies what analysis needs from the sampled unit and its dossier (stratum,
inclusion probability, weight, agency, province, level, procedure field, channel) and nothing
else; no phone, no dossier code, no link back to the contact other than ``invitation_id``, which
the purge after fieldwork leaves pointing at an invitation without a phone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, exists, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.invitations import LinkState, link_state
from survey.models import (
    Campaign,
    Dossier,
    Invitation,
    Questionnaire,
    Response,
    SampleUnit,
    utcnow,
)
from survey.questionnaires import AnswerPage, answer_pages, validate_answers
from survey.tokens import hash_token, make_token

# A salt no invitation has (salts are 32 hex digits): unknown links still pay for one HMAC.
_UNKNOWN_SALT = "-" * 32


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
    """The outcome of a submission; a retried identical submission returns an equal result."""

    response_id: int
    submission_hash: str
    completed_at: datetime
    created: bool


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
_COMPLETE_RESPONSE = (
    update(_RESPONSES)
    .where(
        _RESPONSES.c.invitation_id == bindparam("invitation"),
        _RESPONSES.c.status == "in_progress",
    )
    .values(
        status="completed",
        answers=bindparam("answers", type_=_RESPONSES.c.answers.type),
        submission_hash=bindparam("digest"),
        completed_at=bindparam("now", type_=_RESPONSES.c.completed_at.type),
        current_page=bindparam("pages"),
    )
    .returning(_RESPONSES.c.id)
)
_INVITATIONS = _table(Invitation)
_COMPLETE_INVITATION = (
    update(_INVITATIONS)
    .where(_INVITATIONS.c.id == bindparam("invitation"), _INVITATIONS.c.completed_at.is_(None))
    .values(
        completed_at=bindparam("now", type_=_INVITATIONS.c.completed_at.type),
        started_at=func.coalesce(
            _INVITATIONS.c.started_at, bindparam("now", type_=_INVITATIONS.c.started_at.type)
        ),
    )
)
# PostgreSQL runs both completions in one round trip: data-modifying CTEs execute whether or
# not the outer SELECT reads them, and the invitation's only fires when the response's did.
_DONE = _COMPLETE_RESPONSE.cte("done")
_COMPLETE_BOTH = select(_DONE.c.id).add_cte(
    update(_INVITATIONS)
    .where(
        _INVITATIONS.c.id == bindparam("invitation"),
        _INVITATIONS.c.completed_at.is_(None),
        exists(select(_DONE.c.id)),
    )
    .values(
        completed_at=bindparam("now", type_=_INVITATIONS.c.completed_at.type),
        started_at=func.coalesce(
            _INVITATIONS.c.started_at, bindparam("now", type_=_INVITATIONS.c.started_at.type)
        ),
    )
    .cte("invited")
)


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
    state = link_state(invitation, campaign, now)
    if response is not None and response.status == "completed":
        state = LinkState.COMPLETED
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


def questionnaire_for(*, session: Session, invitation: Invitation) -> Questionnaire:
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


def _new_response(session: Session, invitation: Invitation, **values: Any) -> Response:
    unit, dossier, campaign = session.exec(
        select(SampleUnit, Dossier, Campaign)
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .join(Campaign, col(Campaign.id) == invitation.campaign_id)
        .where(col(SampleUnit.id) == invitation.sample_unit_id)
    ).one()
    return Response(
        campaign_id=invitation.campaign_id,
        invitation_id=invitation.id,
        questionnaire_id=campaign.questionnaire_id,
        stratum=unit.stratum,
        inclusion_prob=unit.inclusion_prob,
        weight=unit.weight,
        agency_code=dossier.agency_code,
        province_code=dossier.province_code,
        level=dossier.level,
        procedure_field=dossier.procedure_field,
        channel=dossier.channel,
        **values,
    )


def _insert_or_existing(session: Session, row: Response, invitation: Invitation) -> Response:
    """Insert ``row``; when another transaction inserted first, return that one instead."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # The unique constraint on invitation_id chose the winner; read its row.
        session.rollback()
        existing = _find_response(session, invitation)
        if existing is None:
            raise
        return existing
    return row


def _mark_started(session: Session, invitation: Invitation, now: datetime) -> None:
    session.exec(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, col(Invitation.started_at).is_(None))
        .values(started_at=now)
    )


def start_or_resume(*, session: Session, invitation: Invitation, language: str = "vi") -> Response:
    """The invitation's response, created ``in_progress`` on first use.

    Safe to call twice or concurrently: the unique ``invitation_id`` lets one insert win and the
    others read it.
    """
    existing = _find_response(session, invitation)
    if existing is not None:
        return existing
    now = utcnow()
    row = _new_response(session, invitation, language=language, started_at=now)
    response = _insert_or_existing(session, row, invitation)
    _mark_started(session, invitation, now)
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
    kinds = {c["code"]: "criterion" for e in definition["elements"] for c in e["criteria"]}
    kinds.update({q["code"]: q["type"] for q in definition.get("questions") or []})
    return kinds


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

    Raises :class:`InvalidInput` listing each item to fix, and :class:`Conflict` once the response
    is completed (the conditional update only touches an ``in_progress`` row).
    """
    response = start_or_resume(session=session, invitation=invitation)
    questionnaire = session.get(Questionnaire, response.questionnaire_id)
    assert questionnaire is not None
    definition = questionnaire.definition
    current = _page(definition, page)
    page_answers = clean_answers(definition, answers, current.item_codes)
    problems = validate_answers(definition, page_answers, current)
    if problems:
        raise InvalidInput(f"page {page + 1} has answers to fix", problems)
    merged = {k: v for k, v in response.answers.items() if k not in current.item_codes}
    merged.update(page_answers)
    result = session.exec(
        update(Response)
        .where(col(Response.id) == response.id, col(Response.status) == "in_progress")
        .values(answers=merged, current_page=max(response.current_page, page + 1))
    )
    if result.rowcount != 1:
        session.rollback()
        raise _completed_conflict()
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


def _result(response: Response, created: bool) -> SubmitResult:
    assert response.id is not None
    assert response.submission_hash is not None
    assert response.completed_at is not None
    return SubmitResult(
        response_id=response.id,
        submission_hash=response.submission_hash,
        completed_at=_aware(response.completed_at),
        created=created,
    )


def submit_response(
    *, session: Session, invitation: Invitation, answers: Mapping[str, Any]
) -> SubmitResult:
    """Complete the invitation's response with ``answers``, exactly once.

    The completion is ``UPDATE response ... WHERE invitation_id = :id AND status =
    'in_progress'`` (or, with no draft yet, an INSERT guarded by the unique ``invitation_id``).
    The one transaction that changes a row wins; every other caller reads the completed row and
    gets the same :class:`SubmitResult` when its submission hash matches, or a :class:`Conflict`
    when it tried to submit different answers.
    """
    questionnaire = questionnaire_for(session=session, invitation=invitation)
    assert questionnaire.id is not None
    definition = questionnaire.definition
    pages = answer_pages(definition)
    codes = tuple(code for page in pages for code in page.item_codes)
    final = clean_answers(definition, answers, codes)
    problems = validate_answers(definition, final)
    if problems:
        raise InvalidInput("some answers are missing or not valid", problems)
    digest = submission_hash(questionnaire.id, final)
    now = utcnow()
    # One round trip decides the winner; RETURNING saves reading the row back. Core statements
    # on the tables skip the ORM's bulk-update machinery; the commit below expires whatever the
    # session had loaded, so nothing stale outlives this call.
    both = session.get_bind().dialect.name == "postgresql"
    won = session.execute(
        _COMPLETE_BOTH if both else _COMPLETE_RESPONSE,
        {
            "invitation": invitation.id,
            "answers": final,
            "digest": digest,
            "now": now,
            "pages": len(pages),
        },
    ).first()
    if won is not None:
        response_id: int = won[0]
        if not both:
            session.execute(_COMPLETE_INVITATION, {"invitation": invitation.id, "now": now})
    else:
        session.rollback()
        response = _find_response(session, invitation)
        row: Response | None = None
        if response is None:
            row = _new_response(
                session,
                invitation,
                answers=final,
                status="completed",
                submission_hash=digest,
                started_at=now,
                completed_at=now,
                current_page=len(pages),
            )
            response = _insert_or_existing(session, row, invitation)
        if response is not row:
            session.rollback()
            if response.status != "completed":
                # An in-progress row appeared between our update and our read: try again.
                return submit_response(session=session, invitation=invitation, answers=answers)
            if response.submission_hash != digest:
                raise _completed_conflict()
            return _result(response, created=False)
        assert response.id is not None
        response_id = response.id
        session.execute(_COMPLETE_INVITATION, {"invitation": invitation.id, "now": now})
    session.commit()
    return SubmitResult(
        response_id=response_id, submission_hash=digest, completed_at=now, created=True
    )
