"""Entry progress of a campaign and the quality of each clerk's keying, from counts only.

A clerk's *disagreement rate* is the share of their keyings, among forms keyed twice, whose
two keyings differ on at least one item; their *error rate* is the share of the items they
keyed on completed forms that differ from the response's values (the agreed keying or the
supervisor's choice), the usual measure of double-entry verification (e.g. Day, Fayers & Harvey,
*Double data entry: what value, what price?*, Controlled Clinical Trials 19 (1998) 15-24).
Neither reads an answer: the keyings' values are gone once a form is a response.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from survey.models import Dossier, Invitation, PaperEntry, PaperKeying, SampleUnit, StaffUser
from survey.users import Scope


@dataclass(frozen=True)
class ClerkQuality:
    """One clerk's keying in a campaign (``None`` rates: nothing to compare yet)."""

    clerk_id: int
    username: str
    keyings: int
    compared: int
    disagreed: int
    items: int
    errors: int

    @property
    def disagreement_rate(self) -> float | None:
        return self.disagreed / self.compared if self.compared else None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.items if self.items else None


@dataclass(frozen=True)
class EntryProgress:
    """Forms of a campaign by entry state: keyed once, keyed twice (of which in disagreement,
    resolved by a supervisor, agreed at once)."""

    campaign_id: int
    keyed_once: int
    keyed_twice: int
    disagreement: int
    resolved: int
    agreed: int
    clerks: tuple[ClerkQuality, ...]

    @property
    def responses(self) -> int:
        return self.resolved + self.agreed


def entry_progress(*, session: Session, campaign_id: int, scope: Scope) -> EntryProgress:
    """Counts of the campaign's paper forms (those in ``scope``) and each clerk's quality."""
    joins = (
        select(PaperEntry.id)
        .join(Invitation, col(Invitation.id) == col(PaperEntry.invitation_id))
        .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(col(PaperEntry.campaign_id) == campaign_id)
    )
    for condition in scope.where(Dossier.agency_code, Dossier.province_code):
        joins = joins.where(condition)
    visible = joins.subquery()
    in_scope = col(PaperEntry.id).in_(select(visible.c.id))
    resolved = col(PaperEntry.resolved_by).is_not(None)
    by_state: dict[tuple[str, bool], int] = {}
    for status, was_resolved, n in session.execute(
        sa_select(col(PaperEntry.status), resolved, func.count())
        .where(in_scope)
        .group_by(col(PaperEntry.status), resolved)
    ).all():
        by_state[(str(status), bool(was_resolved))] = int(n)
    keyed_once = by_state.get(("keying", False), 0)
    disagreement = by_state.get(("disagreement", False), 0)
    resolved_n = by_state.get(("completed", True), 0)
    agreed = by_state.get(("completed", False), 0)
    twice = col(PaperEntry.status) != "keying"
    differ = col(PaperEntry.differing_items) > 0
    rows = session.execute(
        sa_select(
            col(PaperKeying.clerk_id),
            col(StaffUser.username),
            func.count(),
            func.count(case((twice, 1))),
            func.count(case((twice & differ, 1))),
            func.coalesce(
                func.sum(case((col(PaperEntry.status) == "completed", col(PaperKeying.items)))), 0
            ),
            func.coalesce(func.sum(col(PaperKeying.errors)), 0),
        )
        .join(PaperEntry, col(PaperEntry.id) == col(PaperKeying.entry_id))
        .join(StaffUser, col(StaffUser.id) == col(PaperKeying.clerk_id))
        .where(in_scope)
        .group_by(col(PaperKeying.clerk_id), col(StaffUser.username))
        .order_by(col(StaffUser.username))
    ).all()
    clerks = tuple(
        ClerkQuality(int(i), str(name), int(n), int(c), int(d), int(items), int(errors))
        for i, name, n, c, d, items, errors in rows
    )
    return EntryProgress(
        campaign_id=campaign_id,
        keyed_once=keyed_once,
        keyed_twice=disagreement + resolved_n + agreed,
        disagreement=disagreement,
        resolved=resolved_n,
        agreed=agreed,
        clerks=clerks,
    )
