"""Back-checks (phúc tra): a random sub-sample of each collector's forms is re-contacted.

Every form a clerk keys (paper) or an interviewer completes (phone, face to face) passes through
:func:`register_collected_form` in the transaction that creates its response. The form is drawn
for back-check

- with certainty when it is the collector's first form of the campaign (at least one per
  collector, as the issue asks), and otherwise
- with probability ``rate`` (the campaign's :class:`BackcheckPlan`, :data:`DEFAULT_RATE` without
  one), by an independent Bernoulli draw from the operating system's CSPRNG
  (:class:`secrets.SystemRandom`), so no collector can predict which later forms are checked.

A collector with ``n`` forms therefore has ``1 + Binomial(n - 1, rate)`` selected forms.

Only a drawn form keeps the invitation<->response link (``Backcheck.response_id``): a supervisor
needs the invitation to re-contact the person and the response to exclude it if the check fails.
The link is cleared when the back-check is settled (:func:`record_outcome` with a confirmation,
:func:`decide_failed_form`) and by the contact purge (:func:`unlink_backchecks`), which also
clears the invitation; docs/privacy.md says why this limited link is acceptable.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, exists, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from survey.audit import record_event
from survey.campaigns import get_campaign
from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.models import (
    Backcheck,
    BackcheckPlan,
    CollectedForm,
    Dossier,
    DossierContact,
    Invitation,
    PaperForm,
    Response,
    ResponseExclusion,
    SampleUnit,
    StaffUser,
    utcnow,
)
from survey.users import UNLIMITED, Scope

DEFAULT_RATE = 0.10
STAFF_MODES = ("paper", "phone", "face_to_face")
OUTCOMES = ("confirmed", "not_done", "answers_differ", "unreachable")
# The person says the form was not collected, or its answers are not theirs: the form is flagged.
FAILED_OUTCOMES = frozenset({"not_done", "answers_differ"})
DECISIONS = ("excluded", "kept")

_random = secrets.SystemRandom()


def backcheck_rate(*, session: Session, campaign_id: int) -> float:
    """The campaign's back-check rate (:data:`DEFAULT_RATE` when none was set)."""
    plan = session.exec(
        select(BackcheckPlan).where(col(BackcheckPlan.campaign_id) == campaign_id)
    ).first()
    return plan.rate if plan is not None else DEFAULT_RATE


def set_backcheck_rate(
    *, session: Session, campaign_id: int, rate: float, actor: StaffUser | None = None
) -> BackcheckPlan:
    """Set the share of each collector's later forms drawn for back-check, and commit.

    Raises
    ------
    InvalidInput
        When ``rate`` is not in (0, 1].
    """
    get_campaign(session=session, campaign_id=campaign_id)
    if not 0 < rate <= 1:
        raise InvalidInput(
            f"back-check rate {rate!r} is out of range",
            [Problem(("rate",), "give a share above 0 and at most 1, e.g. 0.1 for 10%")],
        )
    plan = session.exec(
        select(BackcheckPlan).where(col(BackcheckPlan.campaign_id) == campaign_id)
    ).first() or BackcheckPlan(campaign_id=campaign_id, rate=rate)
    plan.rate = rate
    plan.set_by = actor.id if actor is not None else None
    plan.set_at = utcnow()
    session.add(plan)
    record_event(
        session=session,
        action="backcheck.rate_set",
        actor=actor,
        target=f"campaign:{campaign_id}",
        details={"rate": rate},
    )
    session.commit()
    session.refresh(plan)
    return plan


def register_collected_form(
    *,
    session: Session,
    invitation: Invitation,
    response: Response,
    collector_id: int,
    mode: str,
) -> None:
    """Record a staff-collected form and draw it for back-check (see the module docstring).

    Called by the data-entry and interview use cases inside the transaction that completes the
    response; it flushes and never commits, so the form, its draw and the response stand or fall
    together.

    Raises
    ------
    InvalidInput
        When ``mode`` is not a staff mode (paper, phone, face_to_face).
    Conflict
        When the invitation already has a collected form (one per invitation, whatever the mode).
    """
    if mode not in STAFF_MODES:
        raise InvalidInput(
            f"mode {mode!r} is not collected by staff",
            [Problem(("mode",), f"use one of {', '.join(STAFF_MODES)}")],
        )
    assert invitation.id is not None and response.id is not None
    campaign_id = invitation.campaign_id
    if session.exec(
        select(CollectedForm.id).where(col(CollectedForm.invitation_id) == invitation.id)
    ).first():
        raise Conflict(
            f"invitation {invitation.id} already has a collected form",
            [Problem(("invitation_id",), "a form is collected once; this one is already in")],
        )
    earlier = session.exec(
        select(func.count())
        .select_from(CollectedForm)
        .where(
            col(CollectedForm.campaign_id) == campaign_id,
            col(CollectedForm.collector_id) == collector_id,
        )
    ).one()
    rate = backcheck_rate(session=session, campaign_id=campaign_id)
    selected = int(earlier) == 0 or _random.random() < rate
    session.add(
        CollectedForm(
            campaign_id=campaign_id,
            invitation_id=invitation.id,
            collector_id=collector_id,
            mode=mode,
            selected=selected,
        )
    )
    if selected:
        session.add(
            Backcheck(
                campaign_id=campaign_id,
                invitation_id=invitation.id,
                response_id=response.id,
                collector_id=collector_id,
                mode=mode,
            )
        )
    session.flush()


@dataclass(frozen=True)
class CollectorSummary:
    """One collector's forms in a campaign: collected, drawn, checked and failed."""

    collector_id: int
    username: str
    forms: int
    selected: int
    checked: int
    failed: int


def collector_summaries(
    *, session: Session, campaign_id: int, scope: Scope = UNLIMITED
) -> list[CollectorSummary]:
    """Forms collected and drawn per collector, with the back-checks done and failed (of the
    scope's cases; after the purge only an unlimited scope still sees the back-checks)."""
    forms = session.exec(
        select(
            col(CollectedForm.collector_id),
            func.count(),
            func.sum(case((col(CollectedForm.selected), 1), else_=0)),
        )
        .join(Invitation, col(Invitation.id) == col(CollectedForm.invitation_id))
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(
            col(CollectedForm.campaign_id) == campaign_id,
            *scope.where(Dossier.agency_code, Dossier.province_code),
        )
        .group_by(col(CollectedForm.collector_id))
    ).all()
    checks: dict[int, tuple[int, int]] = {}
    for collector, outcome, count in session.exec(
        _scoped_backchecks(
            select(col(Backcheck.collector_id), col(Backcheck.outcome), func.count()), scope
        )
        .where(col(Backcheck.campaign_id) == campaign_id)
        .group_by(col(Backcheck.collector_id), col(Backcheck.outcome))
    ).all():
        done, failed = checks.get(int(collector), (0, 0))
        if outcome is not None:
            done += int(count)
        if outcome in FAILED_OUTCOMES:
            failed += int(count)
        checks[int(collector)] = (done, failed)
    names = _usernames(session, [int(c) for c, _, _ in forms])
    return [
        CollectorSummary(
            collector_id=int(c),
            username=names.get(int(c), str(c)),
            forms=int(n),
            selected=int(s or 0),
            checked=checks.get(int(c), (0, 0))[0],
            failed=checks.get(int(c), (0, 0))[1],
        )
        for c, n, s in sorted(forms, key=lambda row: names.get(int(row[0]), ""))
    ]


def _scoped_backchecks(query: Any, scope: Scope) -> Any:
    """``query`` on back-checks joined to their case's dossier, kept to ``scope``."""
    return (
        query.select_from(Backcheck)
        .outerjoin(Invitation, col(Invitation.id) == col(Backcheck.invitation_id))
        .outerjoin(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .outerjoin(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(*scope.where(Dossier.agency_code, Dossier.province_code))
    )


@dataclass(frozen=True)
class BackcheckCase:
    """A drawn form as its supervisor sees it: who to re-contact and how, never the answers.

    The contact fields are empty after the purge (and ``invitation_id`` is then ``None``).
    """

    backcheck: Backcheck
    collector: str
    agency_name: str
    procedure_field: str
    form_number: str
    phone: str
    full_name: str
    address: str

    @property
    def failed(self) -> bool:
        return self.backcheck.outcome in FAILED_OUTCOMES


def list_backchecks(
    *, session: Session, campaign_id: int, scope: Scope = UNLIMITED
) -> list[BackcheckCase]:
    """The campaign's drawn forms (of the scope's cases) with the contact a re-contact needs,
    failed ones first, then those still to check."""
    get_campaign(session=session, campaign_id=campaign_id, scope=scope)
    rows = session.execute(
        _scoped_backchecks(
            sa_select(
                Backcheck,
                col(StaffUser.username),
                col(Dossier.agency_name),
                col(Dossier.agency_code),
                col(Dossier.procedure_field),
                col(PaperForm.form_number),
                col(Invitation.phone_e164),
                col(DossierContact.phone_e164),
                col(DossierContact.full_name),
                col(DossierContact.postal_address),
            ),
            scope,
        )
        .join(StaffUser, col(StaffUser.id) == col(Backcheck.collector_id))
        .outerjoin(PaperForm, col(PaperForm.invitation_id) == col(Backcheck.invitation_id))
        .outerjoin(DossierContact, col(DossierContact.dossier_id) == col(Dossier.id))
        .where(col(Backcheck.campaign_id) == campaign_id)
    ).all()
    cases = [
        BackcheckCase(
            backcheck=b,
            collector=str(user),
            agency_name=str(agency_name or agency_code or ""),
            procedure_field=str(field or ""),
            form_number=str(number or ""),
            phone=str(phone or contact_phone or ""),
            full_name=str(name or ""),
            address=str(address or ""),
        )
        for (
            b,
            user,
            agency_name,
            agency_code,
            field,
            number,
            phone,
            contact_phone,
            name,
            address,
        ) in rows
    ]

    def order(case_: BackcheckCase) -> tuple[int, str, int]:
        b = case_.backcheck
        rank = (
            0
            if case_.failed and b.decision is None
            else 1
            if b.outcome in (None, "unreachable")
            else 2
        )
        return (rank, case_.collector, b.id or 0)

    return sorted(cases, key=order)


def _usernames(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(
        select(col(StaffUser.id), col(StaffUser.username)).where(col(StaffUser.id).in_(ids))
    ).all()
    return {int(i or 0): str(u) for i, u in rows}


def _get_backcheck(
    session: Session, campaign_id: int, backcheck_id: int, scope: Scope = UNLIMITED
) -> Backcheck:
    backcheck = session.exec(
        select(Backcheck)
        .outerjoin(Invitation, col(Invitation.id) == col(Backcheck.invitation_id))
        .outerjoin(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .outerjoin(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(
            col(Backcheck.id) == backcheck_id,
            *scope.where(Dossier.agency_code, Dossier.province_code),
        )
    ).first()
    if backcheck is None or backcheck.campaign_id != campaign_id:
        raise NotFound(
            f"back-check {backcheck_id} not found in campaign {campaign_id}",
            [Problem(("backcheck_id",), "pick a form from the campaign's back-check list")],
        )
    return backcheck


def record_outcome(
    *,
    session: Session,
    campaign_id: int,
    backcheck_id: int,
    outcome: str,
    note: str = "",
    actor: StaffUser | None = None,
    scope: Scope = UNLIMITED,
) -> Backcheck:
    """Record what re-contacting the person found, and commit (audited).

    ``confirmed`` settles the back-check and clears its response link; ``unreachable`` may be
    recorded again after a later attempt; a failed outcome (``not_done``, ``answers_differ``)
    flags the form and keeps the link until :func:`decide_failed_form`.

    Raises
    ------
    InvalidInput
        An unknown outcome or a note over 500 characters.
    Conflict
        When the back-check is already settled (confirmed, or a decision taken).
    """
    if outcome not in OUTCOMES:
        raise InvalidInput(
            f"unknown back-check outcome {outcome!r}",
            [Problem(("outcome",), f"choose one of {', '.join(OUTCOMES)}")],
        )
    note = note.strip()
    if len(note) > 500:
        raise InvalidInput(
            "the note is too long", [Problem(("note",), "shorten the note to 500 characters")]
        )
    backcheck = _get_backcheck(session, campaign_id, backcheck_id, scope)
    if backcheck.outcome == "confirmed" or backcheck.decision is not None:
        raise Conflict(
            f"back-check {backcheck_id} is already settled",
            [Problem(("outcome",), "a settled back-check cannot be recorded again")],
        )
    backcheck.outcome = outcome
    backcheck.note = note
    backcheck.checked_by = actor.id if actor is not None else None
    backcheck.checked_at = utcnow()
    if outcome == "confirmed":
        backcheck.response_id = None
    session.add(backcheck)
    record_event(
        session=session,
        action="backcheck.outcome",
        actor=actor,
        target=f"campaign:{campaign_id}",
        details={"backcheck": backcheck_id, "outcome": outcome},
    )
    session.commit()
    session.refresh(backcheck)
    return backcheck


def decide_failed_form(
    *,
    session: Session,
    campaign_id: int,
    backcheck_id: int,
    exclude: bool,
    reason: str,
    actor: StaffUser | None = None,
    scope: Scope = UNLIMITED,
) -> Backcheck:
    """Exclude a failed form's response from releases, or keep it, with a reason; commit.

    The response link is cleared either way: the exclusion row names the response, the back-check
    no longer does.

    Raises
    ------
    InvalidInput
        A missing or over-long reason.
    Conflict
        When the form did not fail its back-check, was already decided, or its response is gone
        (contacts purged).
    """
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidInput(
            "a reason is required",
            [Problem(("reason",), "say in up to 500 characters why the form is excluded or kept")],
        )
    backcheck = _get_backcheck(session, campaign_id, backcheck_id, scope)
    if backcheck.outcome not in FAILED_OUTCOMES:
        raise Conflict(
            f"back-check {backcheck_id} did not fail",
            [Problem(("outcome",), "only a form whose back-check failed can be excluded")],
        )
    if backcheck.decision is not None:
        raise Conflict(
            f"back-check {backcheck_id} was already decided ({backcheck.decision})",
            [Problem(("decision",), "the decision on this form is already recorded")],
        )
    if exclude and backcheck.response_id is None:
        raise Conflict(
            f"back-check {backcheck_id} no longer links to its response",
            [
                Problem(
                    ("backcheck_id",),
                    "the contacts were purged; the form can no longer be excluded",
                )
            ],
        )
    if exclude:
        assert backcheck.response_id is not None
        session.add(
            ResponseExclusion(
                campaign_id=campaign_id,
                response_id=backcheck.response_id,
                reason=reason,
                excluded_by=actor.id if actor is not None else None,
            )
        )
    backcheck.decision = "excluded" if exclude else "kept"
    backcheck.decided_by = actor.id if actor is not None else None
    backcheck.decided_at = utcnow()
    backcheck.response_id = None
    session.add(backcheck)
    record_event(
        session=session,
        action="backcheck.excluded" if exclude else "backcheck.kept",
        actor=actor,
        target=f"campaign:{campaign_id}",
        details={"backcheck": backcheck_id, "reason": reason},
    )
    session.commit()
    session.refresh(backcheck)
    return backcheck


def not_excluded(response_id: Any) -> Any:
    """SQL condition: the response (``response_id`` a column) is not excluded from releases."""
    return ~exists().where(col(ResponseExclusion.response_id) == response_id)


def excluded_count(*, session: Session, campaign_id: int) -> int:
    """How many of the campaign's responses are excluded after a failed back-check."""
    return int(
        session.exec(
            select(func.count())
            .select_from(ResponseExclusion)
            .where(col(ResponseExclusion.campaign_id) == campaign_id)
        ).one()
    )


def unlink_backchecks(*, session: Session, campaign_id: int) -> int:
    """Clear every back-check's invitation and response (the contact purge calls it; no commit).

    The collected forms are rewritten too, so no PostgreSQL row version (``xmin``) written with a
    response survives the purge.
    """
    result = session.execute(
        update(Backcheck)
        .where(
            col(Backcheck.campaign_id) == campaign_id,
            (col(Backcheck.invitation_id).is_not(None)) | (col(Backcheck.response_id).is_not(None)),
        )
        .values(invitation_id=None, response_id=None)
    )
    session.execute(
        update(CollectedForm)
        .where(col(CollectedForm.campaign_id) == campaign_id)
        .values(mode=col(CollectedForm.mode))
    )
    return int(getattr(result, "rowcount", 0))
