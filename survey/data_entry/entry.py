"""Double data entry: every returned paper form keyed twice, by two different clerks.

The life of a paper form (one :class:`PaperEntry` per invitation)::

    first keying (clerk A)   -> entry "keying", keying round 1 holds what A typed
    second keying (clerk B)  -> compared field by field with round 1, never shown to B:
        equal                -> the response is made (mode "paper") -> entry "completed"
        different            -> entry "disagreement", listed for a supervisor
    resolution (supervisor)  -> the supervisor picks or types each differing value
                             -> the response is made -> entry "completed"

The response is made by :func:`survey.responses.complete_response`, the guard every mode goes
through, so an invitation answered online, by phone or on paper is answered once: a form whose
invitation is completed already is refused at keying, and once a paper form is a response the
citizen's link says "already submitted". In the transaction that makes the response the typed
values of both keyings are cleared (only counts stay, for quality control), the response is
unlinked like an online one, and :func:`survey.backchecks.register_collected_form` records the
form for the back-check draw (collector: the clerk of the first keying).

Each use case takes the caller's :class:`survey.users.Scope`: a clerk or supervisor limited to
some agencies or provinces sees (and keys) only forms of those, others are "not found".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, delete, select

from survey.audit import record_event
from survey.backchecks import register_collected_form
from survey.data_entry.keying_form import (
    KeyingField,
    differing_codes,
    keyed_answers,
    keying_fields,
    read_keying,
)
from survey.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from survey.models import (
    Campaign,
    Dossier,
    Invitation,
    PaperEntry,
    PaperForm,
    PaperKeying,
    Questionnaire,
    Response,
    SampleUnit,
    StaffUser,
)
from survey.paper_forms import find_invitation_by_form_number, format_form_number
from survey.responses import complete_response
from survey.users import Scope

MODE = "paper"
_FORM = ("form_number",)


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


_ENTRIES = _table(PaperEntry)
# Locks an entry for one keying or resolution and reads its status after the lock: an UPDATE
# that changes nothing is the one statement both databases serialise per row.
_LOCK_ENTRY = (
    update(_ENTRIES)
    .where(_ENTRIES.c.id == bindparam("entry"))
    .values(status=_ENTRIES.c.status)
    .returning(_ENTRIES.c.status)
)


class KeyingRefused(Conflict):
    """A form that cannot be keyed now; ``reason`` is one of :data:`REFUSALS` (the pages word
    each one)."""

    def __init__(self, reason: str, msg: str, problems: list[Problem]) -> None:
        assert reason in REFUSALS
        super().__init__(msg, problems)
        self.reason = reason


REFUSALS = ("answered", "completed", "same_clerk", "keyed_twice", "not_active", "race")


@dataclass(frozen=True)
class KeyingTarget:
    """A form a clerk may key now: which round, and the fields of its questionnaire."""

    form_number: str
    invitation_id: int
    campaign_id: int
    campaign_name: str
    agency_name: str
    round: int
    definition: dict[str, Any]
    fields: tuple[KeyingField, ...]


@dataclass(frozen=True)
class KeyingOutcome:
    """What a keying led to: ``keyed_once``, ``completed`` or ``disagreement``."""

    status: str
    form_number: str
    differing_items: int = 0


@dataclass(frozen=True)
class DisagreementRow:
    """A form whose two keyings differ, for the supervisor's list."""

    entry_id: int
    form_number: str
    fields: tuple[KeyingField, ...]


@dataclass(frozen=True)
class DifferingValue:
    """One field the two keyings differ on, both values as typed."""

    field: KeyingField
    first: str
    second: str


@dataclass(frozen=True)
class Disagreement:
    """Both keyings of a form side by side, only where they differ."""

    entry_id: int
    campaign_id: int
    form_number: str
    first_clerk: str
    second_clerk: str
    values: tuple[DifferingValue, ...]
    fields: tuple[KeyingField, ...]


def _not_found(number: str) -> NotFound:
    return NotFound(
        f"no form {format_form_number(number)} among the forms you may key",
        [Problem(_FORM, "check the number against the form, or ask the coordinator")],
    )


def _context(session: Session, invitation: Invitation) -> tuple[Campaign, Questionnaire, Dossier]:
    campaign, questionnaire, dossier = session.exec(
        select(Campaign, Questionnaire, Dossier)
        .join(Questionnaire, col(Questionnaire.id) == col(Campaign.questionnaire_id))
        .join(SampleUnit, col(SampleUnit.id) == invitation.sample_unit_id)
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(col(Campaign.id) == invitation.campaign_id)
    ).one()
    return campaign, questionnaire, dossier


def _find_entry(session: Session, invitation_id: int) -> PaperEntry | None:
    return session.exec(
        select(PaperEntry)
        .where(col(PaperEntry.invitation_id) == invitation_id)
        .execution_options(populate_existing=True)
    ).first()


def _keyings(session: Session, entry_id: int) -> list[PaperKeying]:
    return list(
        session.exec(
            select(PaperKeying)
            .where(col(PaperKeying.entry_id) == entry_id)
            .order_by(col(PaperKeying.round))
            .execution_options(populate_existing=True)
        ).all()
    )


def _answered_elsewhere() -> Conflict:
    return KeyingRefused(
        "answered",
        "this form's invitation was already answered (online, by phone or on paper)",
        [
            Problem(
                _FORM,
                "this citizen has already answered; the paper form is not keyed: put it "
                "aside for the supervisor",
            )
        ],
    )


def _refusal(entry: PaperEntry | None, keyings: Sequence[PaperKeying], clerk: StaffUser) -> None:
    """Raise :class:`Conflict` when ``clerk`` may not key this form now."""
    if entry is not None and entry.status == "completed":
        raise KeyingRefused(
            "completed",
            "this form was keyed twice already and is a response",
            [Problem(_FORM, "nothing more to key for this form; take the next one")],
        )
    if any(k.clerk_id == clerk.id for k in keyings):
        raise KeyingRefused(
            "same_clerk",
            "you keyed this form already; the second keying must be by another clerk",
            [Problem(_FORM, "pass this form to another clerk for its second keying")],
        )
    if entry is not None and (entry.status == "disagreement" or len(keyings) >= 2):
        raise KeyingRefused(
            "keyed_twice",
            "this form was keyed twice already; a supervisor is settling the differences",
            [Problem(_FORM, "nothing more to key for this form; take the next one")],
        )


def keying_target(
    *, session: Session, form_number: str, clerk: StaffUser, scope: Scope
) -> KeyingTarget:
    """The form with ``form_number`` as ``clerk`` would key it now, or why not.

    Raises :class:`InvalidInput` (mistyped number), :class:`NotFound` (no such form in the
    clerk's scope) or :class:`Conflict` (answered already, keyed by this clerk already, keyed
    twice already, or fieldwork not running). Writes nothing, except that the first keying of
    a form answered meanwhile in another mode is deleted (and committed) before the refusal.
    """
    invitation = find_invitation_by_form_number(session=session, form_number=form_number)
    assert invitation.id is not None
    campaign, questionnaire, dossier = _context(session, invitation)
    number = session.exec(
        select(PaperForm.form_number).where(col(PaperForm.invitation_id) == invitation.id)
    ).one()
    if not scope.allows(dossier.agency_code, dossier.province_code):
        raise _not_found(number)
    if campaign.status != "active":
        raise KeyingRefused(
            "not_active",
            f"fieldwork of campaign {campaign.name!r} is not running (status {campaign.status})",
            [
                Problem(
                    _FORM, "paper forms are keyed while the campaign is active; ask the coordinator"
                )
            ],
        )
    entry = _find_entry(session, invitation.id)
    keyings = _keyings(session, entry.id) if entry is not None and entry.id is not None else []
    _refusal(entry, keyings, clerk)
    if invitation.completed_at is not None:
        if entry is not None and entry.id is not None:
            # Answered in another mode after a first keying: that keying's values go now.
            _discard(session, entry.id)
        raise _answered_elsewhere()
    definition = questionnaire.definition
    return KeyingTarget(
        form_number=number,
        invitation_id=invitation.id,
        campaign_id=campaign.id or 0,
        campaign_name=campaign.name,
        agency_name=dossier.agency_name or dossier.agency_code,
        round=len(keyings) + 1,
        definition=definition,
        fields=tuple(keying_fields(definition)),
    )


def _entry_for(session: Session, invitation: Invitation) -> PaperEntry:
    """The invitation's entry, inserted on first keying (the unique invitation_id picks one)."""
    assert invitation.id is not None
    entry = _find_entry(session, invitation.id)
    if entry is not None:
        return entry
    entry = PaperEntry(campaign_id=invitation.campaign_id, invitation_id=invitation.id)
    session.add(entry)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        found = _find_entry(session, invitation.id)
        assert found is not None
        return found
    return entry


def _fresh_invitation(session: Session, invitation_id: int) -> Invitation:
    invitation = session.exec(
        select(Invitation)
        .where(col(Invitation.id) == invitation_id)
        .execution_options(populate_existing=True)
    ).one()
    return invitation


def _make_response(
    session: Session,
    *,
    entry: PaperEntry,
    invitation: Invitation,
    definition: dict[str, Any],
    final: Mapping[str, str],
    keyings: Sequence[PaperKeying],
) -> None:
    """Make the response from ``final``, clear the keyings' values, register the form.

    Raises :class:`Conflict` when the invitation was completed meanwhile (nothing is kept:
    the caller rolls back).
    """
    result = complete_response(
        session=session,
        invitation=invitation,
        answers=keyed_answers(definition, final),
        mode=MODE,
    )
    if not result.created or result.response_id is None:
        raise _answered_elsewhere()
    response = session.get(Response, result.response_id)
    assert response is not None
    register_collected_form(
        session=session,
        invitation=invitation,
        response=response,
        collector_id=keyings[0].clerk_id,
        mode=MODE,
    )
    for keying in keyings:
        keying.errors = len(differing_codes(keying.keyed or {}, final))
        keying.keyed = None
        session.add(keying)
    entry.status = "completed"
    session.add(entry)
    session.flush()


def _discard(session: Session, entry_id: int) -> None:
    """Delete an entry and its keyings (their typed values) once its invitation is answered."""
    session.rollback()
    session.execute(delete(PaperKeying).where(col(PaperKeying.entry_id) == entry_id))
    session.execute(delete(PaperEntry).where(col(PaperEntry.id) == entry_id))
    session.commit()


def key_form(
    *,
    session: Session,
    form_number: str,
    clerk: StaffUser,
    scope: Scope,
    form: Mapping[str, str],
    address: str | None = None,
) -> KeyingOutcome:
    """Store ``clerk``'s keying of a paper form; on the second keying compare and, when both
    agree, make the response. Commits once.

    Raises :class:`survey.data_entry.keying_form.KeyingInvalid` (values to fix, nothing
    stored) and whatever :func:`keying_target` raises; a form answered in another mode while
    its first keying waited is refused and its keying deleted.
    """
    target = keying_target(session=session, form_number=form_number, clerk=clerk, scope=scope)
    keyed = read_keying(target.definition, form)
    invitation = _fresh_invitation(session, target.invitation_id)
    entry = _entry_for(session, invitation)
    assert entry.id is not None and clerk.id is not None
    entry_id = entry.id
    # Lock the entry, then read everything that decides the round after the lock.
    session.execute(_LOCK_ENTRY, {"entry": entry_id})
    entry = _find_entry(session, target.invitation_id) or entry
    keyings = _keyings(session, entry_id)
    _refusal(entry, keyings, clerk)
    invitation = _fresh_invitation(session, target.invitation_id)
    if invitation.completed_at is not None:
        _discard(session, entry_id)
        raise _answered_elsewhere()
    keying = PaperKeying(
        entry_id=entry_id,
        clerk_id=clerk.id,
        round=len(keyings) + 1,
        keyed=keyed,
        items=len(keyed),
    )
    session.add(keying)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise KeyingRefused(
            "race",
            "another clerk keyed this form at the same moment",
            [Problem(_FORM, "open the form again to see whether it still needs keying")],
        ) from None
    outcome = KeyingOutcome("keyed_once", target.form_number)
    if keying.round == 2:
        first = keyings[0]
        differing = differing_codes(first.keyed or {}, keyed)
        entry.differing_items = len(differing)
        if differing:
            entry.status = "disagreement"
            session.add(entry)
            outcome = KeyingOutcome("disagreement", target.form_number, len(differing))
        else:
            try:
                _make_response(
                    session,
                    entry=entry,
                    invitation=invitation,
                    definition=target.definition,
                    final=keyed,
                    keyings=[first, keying],
                )
            except Conflict:
                _discard(session, entry_id)
                raise
            outcome = KeyingOutcome("completed", target.form_number)
    record_event(
        session=session,
        action="data_entry.keyed",
        actor=clerk,
        target=f"paper_entry:{entry_id}",
        details={"round": keying.round, "outcome": outcome.status},
        address=address,
    )
    session.commit()
    return outcome


# ----------------------------------------------------------------------------- supervisors


def _scoped_entries(scope: Scope) -> Any:
    """``select(PaperEntry)`` joined to the dossier, limited to ``scope``."""
    stmt = (
        select(PaperEntry)
        .join(Invitation, col(Invitation.id) == col(PaperEntry.invitation_id))
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
    )
    for condition in scope.where(Dossier.agency_code, Dossier.province_code):
        stmt = stmt.where(condition)
    return stmt


def _definition(session: Session, campaign_id: int) -> dict[str, Any]:
    definition = session.exec(
        select(Questionnaire.definition)
        .join(Campaign, col(Campaign.questionnaire_id) == col(Questionnaire.id))
        .where(col(Campaign.id) == campaign_id)
    ).one()
    return dict(definition)


def _form_numbers(session: Session, invitation_ids: Sequence[int]) -> dict[int, str]:
    rows = session.exec(
        select(PaperForm.invitation_id, PaperForm.form_number).where(
            col(PaperForm.invitation_id).in_(list(invitation_ids))
        )
    ).all()
    return {int(i): str(n) for i, n in rows}


def list_disagreements(
    *, session: Session, campaign_id: int, scope: Scope
) -> list[DisagreementRow]:
    """The campaign's forms waiting for a supervisor, with the fields their keyings differ on."""
    entries = list(
        session.exec(
            _scoped_entries(scope)
            .where(col(PaperEntry.campaign_id) == campaign_id)
            .where(col(PaperEntry.status) == "disagreement")
            .order_by(col(PaperEntry.id))
        ).all()
    )
    if not entries:
        return []
    fields = {f.code: f for f in keying_fields(_definition(session, campaign_id))}
    numbers = _form_numbers(session, [e.invitation_id for e in entries])
    rows = []
    for entry in entries:
        assert entry.id is not None
        first, second = _keyings(session, entry.id)
        codes = differing_codes(first.keyed or {}, second.keyed or {})
        rows.append(
            DisagreementRow(
                entry.id,
                numbers.get(entry.invitation_id, ""),
                tuple(fields[c] for c in codes if c in fields),
            )
        )
    return rows


def _entry_in_scope(session: Session, entry_id: int, scope: Scope) -> PaperEntry:
    entry = session.exec(
        _scoped_entries(scope)
        .where(col(PaperEntry.id) == entry_id)
        .execution_options(populate_existing=True)
    ).first()
    if entry is None:
        raise NotFound(
            f"paper form entry {entry_id} does not exist",
            [Problem(("entry_id",), "open it from the list of forms in disagreement")],
        )
    return entry


def _usernames(session: Session, ids: Sequence[int]) -> dict[int, str]:
    rows = session.exec(
        select(StaffUser.id, StaffUser.username).where(col(StaffUser.id).in_(list(ids)))
    ).all()
    return {int(i): str(name) for i, name in rows if i is not None}


def get_disagreement(*, session: Session, entry_id: int, scope: Scope) -> Disagreement:
    """Both keyings of a form in disagreement, side by side where they differ.

    Raises :class:`NotFound` outside ``scope`` and :class:`Conflict` when the form is not (or
    no longer) in disagreement.
    """
    entry = _entry_in_scope(session, entry_id, scope)
    if entry.status != "disagreement":
        raise Conflict(
            "this form is not waiting for a supervisor",
            [Problem(("entry_id",), "it was resolved already, or is still being keyed")],
        )
    first, second = _keyings(session, entry_id)
    definition = _definition(session, entry.campaign_id)
    fields = keying_fields(definition)
    codes = set(differing_codes(first.keyed or {}, second.keyed or {}))
    names = _usernames(session, [first.clerk_id, second.clerk_id])
    number = _form_numbers(session, [entry.invitation_id]).get(entry.invitation_id, "")
    values = tuple(
        DifferingValue(f, (first.keyed or {}).get(f.code, ""), (second.keyed or {}).get(f.code, ""))
        for f in fields
        if f.code in codes
    )
    return Disagreement(
        entry_id,
        entry.campaign_id,
        number,
        names.get(first.clerk_id, ""),
        names.get(second.clerk_id, ""),
        values,
        tuple(fields),
    )


def resolve_disagreement(
    *,
    session: Session,
    entry_id: int,
    supervisor: StaffUser,
    scope: Scope,
    values: Mapping[str, str],
    address: str | None = None,
) -> None:
    """Settle a disagreement with the supervisor's ``values`` (field code -> value as keyed,
    for every differing field) and make the response. Commits once.

    The fields both keyings agree on are kept; ``values`` may also give a field both left
    empty that a chosen answer now asks. Raises :class:`KeyingInvalid` when a value is not
    possible, :class:`PermissionDenied` when the supervisor keyed the form themself,
    :class:`KeyingRefused` once the campaign is closed (its unfinished keyings are deleted by
    the contact purge, :func:`discard_unfinished_keyings`).
    """
    entry = _entry_in_scope(session, entry_id, scope)
    campaign = session.get(Campaign, entry.campaign_id)
    if campaign is None or campaign.status != "active":
        raise KeyingRefused(
            "not_active",
            "fieldwork of this form's campaign is closed: no response can be made any more",
            [Problem(("entry_id",), "forms are resolved while the campaign is active")],
        )
    status = session.execute(_LOCK_ENTRY, {"entry": entry_id}).scalar_one()
    if status != "disagreement":
        session.rollback()
        raise Conflict(
            "this form is not waiting for a supervisor",
            [Problem(("entry_id",), "it was resolved already, or is still being keyed")],
        )
    keyings = _keyings(session, entry_id)
    if any(k.clerk_id == supervisor.id for k in keyings):
        session.rollback()
        raise PermissionDenied(
            "you keyed this form; another supervisor settles its differences",
            [Problem(("entry_id",), "ask another coordinator to resolve this form")],
        )
    first, second = keyings
    differing = differing_codes(first.keyed or {}, second.keyed or {})
    missing = [c for c in differing if c not in values]
    if missing:
        session.rollback()
        raise InvalidInput(
            "choose a value for every field the keyings differ on",
            [
                Problem((c,), "choose one of the two keyed values or type the right one")
                for c in missing
            ],
        )
    final = dict(first.keyed or {})
    final.update({code: str(value) for code, value in values.items() if code in final})
    definition = _definition(session, entry.campaign_id)
    try:
        final = read_keying(definition, final)
    except InvalidInput:
        session.rollback()
        raise
    invitation = _fresh_invitation(session, entry.invitation_id)
    entry.resolved_by = supervisor.id
    try:
        _make_response(
            session,
            entry=entry,
            invitation=invitation,
            definition=definition,
            final=final,
            keyings=keyings,
        )
    except Conflict:
        _discard(session, entry_id)
        raise
    record_event(
        session=session,
        action="data_entry.resolved",
        actor=supervisor,
        target=f"paper_entry:{entry_id}",
        details={"differing_items": len(differing)},
        address=address,
    )
    session.commit()


def discard_unfinished_keyings(*, session: Session, campaign_id: int) -> int:
    """Delete the keyings (typed values) of the campaign's forms that never became responses,
    with their entries: called by the contact purge after fieldwork (survey.purge), since a
    closed campaign takes no more responses. Does not commit."""
    entries = select(PaperEntry.id).where(
        col(PaperEntry.campaign_id) == campaign_id, col(PaperEntry.status) != "completed"
    )
    session.execute(delete(PaperKeying).where(col(PaperKeying.entry_id).in_(entries)))
    result = session.execute(
        delete(PaperEntry).where(
            col(PaperEntry.campaign_id) == campaign_id, col(PaperEntry.status) != "completed"
        )
    )
    return int(getattr(result, "rowcount", 0))
