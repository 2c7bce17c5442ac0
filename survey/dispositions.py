"""Final dispositions of every sampled case and AAPOR outcome rates.

Each sampled case of a campaign (non-reserve sample unit of its draw) gets exactly one
disposition, the first that applies in this order:

================== =========================================================== ===== ========
disposition        meaning                                                     AAPOR code
================== =========================================================== ===== ========
duplicate          another sampled dossier has the same phone (not invited)    NE    4.81
not_invited        no invitation created yet                                   UO    3.11
completed          questionnaire submitted (marked on the invitation)          I     1.1
partial            started, not submitted (marked on the invitation)           P     1.2
opted_out          replied STOP/HUY/TU CHOI or pressed "do not contact me"     R     2.111
opened             opened the link, answered nothing                           R     2.1121
not_contactable    the SMS failed (bad or dead number)                         NC    2.20
expired            field period over, link never opened                        NC    2.20
delivered          SMS delivered, link never opened (so far)                   NC    2.20
sent               SMS accepted by the gateway, no delivery report yet         NC    2.20
letter             invited by letter, link never opened                        NC    2.20
queued             SMS invitation not yet sent                                 UO    3.11
================== =========================================================== ===== ========

Cases worked by an interviewer (phone or face to face, :mod:`survey.interviews`) take the AAPOR
group of the interview's code (:func:`survey.interviews.final_interview_dispositions`) as one of
``interview_partial`` (P, 1.2), ``interview_refusal`` (R, 2.11/2.12), ``interview_noncontact``
(NC, 2.2x), ``interview_other`` (O, 2.3x), ``interview_unknown`` (UH/UO, 3.x; the rates below
treat UH and UO alike) and ``interview_not_eligible`` (NE, 4.x).

One case, one disposition, whatever the modes it went through (an SMS, then a letter, then a
phone call are one invitation, so one row of the count). The precedence, first that applies:

1. ``duplicate``, ``not_invited`` (nothing was sent);
2. ``completed`` in any mode (the invitation's mark, set by the one completion guard);
3. an interview's *final* code (the interviewer closed the case: a refusal, not eligible ...):
   the most recent and most informative contact with the person;
4. ``partial``, then ``opted_out`` (the self-administered modes' own marks);
5. an interview still being worked: its most informative code so far;
6. the web/SMS states from ``opened`` down to ``queued`` above.

The case's **mode** (``by="mode"``) is the mode it was completed in (``paper``, ``phone``,
``face_to_face`` from :class:`survey.models.CollectedForm`, otherwise ``web``); a case not
completed counts under the last mode it was offered: the interview's mode when assigned to an
interviewer, ``paper`` when a paper form came back (in data entry) or a letter invitation was
printed (the letter carries the questionnaire), ``web`` otherwise, ``none`` when not invited.
SMS invitations have a ``paper_form`` row too (their short link is registered there,
survey/short_links.py), so for them the row says nothing about paper: a letter printed later
for an SMS invitation counts as ``web`` until its form comes back.

Why invited-but-never-opened is **NC (non-contact), not UO**: the frame lists people whose dossier
an agency completed in the survey period, so every sampled case is known to be eligible (AAPOR's
unknown-eligibility codes are for cases whose eligibility is in doubt, such as an unlisted address
or an unverified e-mail). What we do not know is whether the person *received* the invitation: an
eligible case never reached is a non-contact. Only cases not yet attempted are UO (3.11 "not
attempted or worked"); duplicates are not eligible as separate cases (4.81 "duplicate listing").
Opening the link without answering is an implicit refusal in AAPOR's internet-survey codes
(2.1121 "logged on to survey, did not complete any item").

Rates (AAPOR, *Standard Definitions*, 10th edition, 2023), with I complete, P partial, R refusal
and break-off, NC non-contact, O other, UH/UO unknown eligibility, NE not eligible:

- RR1 = I / ((I+P) + (R+NC+O) + (UH+UO))
- RR2 = (I+P) / ((I+P) + (R+NC+O) + (UH+UO))
- RR3 = I / ((I+P) + (R+NC+O) + e(UH+UO)),  RR4 = (I+P) / (same)
- COOP1 = I / ((I+P) + R + O),  COOP2 = (I+P) / ((I+P) + R + O)
- REF1 = R / ((I+P) + (R+NC+O) + (UH+UO))
- CON1 = ((I+P) + R + O) / ((I+P) + R + O + NC + (UH+UO))

with ``e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)``, the share of eligible cases among those whose
eligibility is known (the proportional method the Standard Definitions describe for e). O is
always 0 here. The counting is one SQL ``GROUP BY`` over the cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, null, or_
from sqlmodel import Session, col, select

from survey.campaigns import as_utc, get_campaign
from survey.errors import InvalidInput, Problem
from survey.interviews import InterviewDisposition, final_interview_dispositions
from survey.models import CollectedForm, Dossier, Invitation, PaperForm, SampleUnit, utcnow
from survey.models.data_entry import PaperEntry
from survey.models.interviews import InterviewAssignment
from survey.users import UNLIMITED, Scope

DISPOSITIONS: tuple[str, ...] = (
    "duplicate",
    "not_invited",
    "completed",
    "partial",
    "opted_out",
    "opened",
    "not_contactable",
    "expired",
    "delivered",
    "sent",
    "letter",
    "queued",
    "interview_partial",
    "interview_refusal",
    "interview_noncontact",
    "interview_other",
    "interview_unknown",
    "interview_not_eligible",
)

AAPOR_CODE: Mapping[str, str] = {
    "duplicate": "NE",
    "not_invited": "UO",
    "completed": "I",
    "partial": "P",
    "opted_out": "R",
    "opened": "R",
    "not_contactable": "NC",
    "expired": "NC",
    "delivered": "NC",
    "sent": "NC",
    "letter": "NC",
    "queued": "UO",
    "interview_partial": "P",
    "interview_refusal": "R",
    "interview_noncontact": "NC",
    "interview_other": "O",
    "interview_unknown": "UH",
    "interview_not_eligible": "NE",
}
# An interview code's AAPOR group -> the disposition it gives the case.
_INTERVIEW_DISPOSITION: Mapping[str, str] = {
    "I": "completed",
    "P": "interview_partial",
    "R": "interview_refusal",
    "NC": "interview_noncontact",
    "O": "interview_other",
    "UH": "interview_unknown",
    "UO": "interview_unknown",
    "NE": "interview_not_eligible",
}
# Dispositions an interview's final code does not override (precedence 1-2), and those only an
# interview still being worked gives way to (precedence 4).
_BEFORE_FINAL_INTERVIEW = frozenset({"duplicate", "not_invited", "completed"})
_BEFORE_OPEN_INTERVIEW = _BEFORE_FINAL_INTERVIEW | {"partial", "opted_out"}

MODES = ("web", "paper", "phone", "face_to_face")
GROUPINGS = ("all", "stratum", "agency", "channel", "dossier_channel", "mode")


@dataclass(frozen=True)
class AaporRates:
    """AAPOR counts and rates; a rate is ``None`` when its denominator is 0."""

    I: int  # noqa: E741 - AAPOR's own letter
    P: int
    R: int
    NC: int
    O: int  # noqa: E741 - AAPOR's own letter
    UH: int
    UO: int
    NE: int
    e: float | None
    rr1: float | None
    rr2: float | None
    rr3: float | None
    rr4: float | None
    coop1: float | None
    coop2: float | None
    ref1: float | None
    con1: float | None


@dataclass(frozen=True)
class DispositionGroup:
    """Dispositions and rates of one group (a stratum, an agency, a channel, or all cases)."""

    group: str
    cases: int
    counts: dict[str, int]
    rates: AaporRates


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def aapor_rates(counts: Mapping[str, int]) -> AaporRates:
    """AAPOR (2023) response, cooperation, refusal and contact rates from disposition counts.

    Parameters
    ----------
    counts
        Number of cases per disposition of :data:`DISPOSITIONS` (missing ones count 0).

    Returns
    -------
    AaporRates
        See the module docstring for the formulas.
    """
    by_code = dict.fromkeys(("I", "P", "R", "NC", "O", "UH", "UO", "NE"), 0)
    for disposition, count in counts.items():
        by_code[AAPOR_CODE[disposition]] += int(count)
    i, p, r, nc, o = (by_code[k] for k in ("I", "P", "R", "NC", "O"))
    uh, uo, ne = by_code["UH"], by_code["UO"], by_code["NE"]
    eligible = i + p + r + nc + o
    e = _ratio(eligible, eligible + ne)
    base = (i + p) + (r + nc + o)
    all_cases = base + (uh + uo)
    estimated = base + (e if e is not None else 1.0) * (uh + uo)
    return AaporRates(
        I=i,
        P=p,
        R=r,
        NC=nc,
        O=o,
        UH=uh,
        UO=uo,
        NE=ne,
        e=e,
        rr1=_ratio(i, all_cases),
        rr2=_ratio(i + p, all_cases),
        rr3=_ratio(i, estimated),
        rr4=_ratio(i + p, estimated),
        coop1=_ratio(i, (i + p) + r + o),
        coop2=_ratio(i + p, (i + p) + r + o),
        ref1=_ratio(r, all_cases),
        con1=_ratio((i + p) + r + o, (i + p) + r + o + nc + (uh + uo)),
    )


def _case_mode() -> Any:
    """The mode a case counts under (module docstring): completed in, or last offered."""
    return case(
        (col(Invitation.id).is_(None), "none"),
        (col(CollectedForm.mode).is_not(None), col(CollectedForm.mode)),
        (col(Invitation.completed_at).is_not(None), "web"),
        (col(InterviewAssignment.mode).is_not(None), col(InterviewAssignment.mode)),
        (col(PaperEntry.invitation_id).is_not(None), "paper"),
        (
            and_(col(PaperForm.invitation_id).is_not(None), col(Invitation.channel) == "letter"),
            "paper",
        ),
        else_="web",
    )


def _with_interview(disposition: str, interview: InterviewDisposition | None) -> str:
    """The case's one disposition once its interview is known (precedence: module docstring)."""
    if interview is None or disposition in _BEFORE_FINAL_INTERVIEW:
        return disposition
    if interview.final or disposition not in _BEFORE_OPEN_INTERVIEW:
        return _INTERVIEW_DISPOSITION[interview.group]
    return disposition


def campaign_dispositions(
    *,
    session: Session,
    campaign_id: int,
    by: str = "all",
    now: datetime | None = None,
    scope: Scope = UNLIMITED,
) -> list[DispositionGroup]:
    """Count the final disposition of every sampled case, per group, with AAPOR rates.

    Parameters
    ----------
    by
        ``"all"``, ``"stratum"``, ``"agency"`` (agency code), ``"channel"`` (invitation channel:
        sms, letter, or none when not invited), ``"dossier_channel"`` (how the dossier was
        filed: direct, online, postal) or ``"mode"`` (web, paper, phone, face_to_face, none:
        see the module docstring).
    now
        Invitations whose expiry is before ``now`` count as expired.
    scope
        Only the cases whose dossier the scope may see are counted (a scoped coordinator).

    Raises
    ------
    InvalidInput
        When ``by`` is not one of those.
    """
    if by not in GROUPINGS:
        raise InvalidInput(
            f"cannot group dispositions by {by!r}",
            [Problem(("by",), f"use one of {', '.join(GROUPINGS)}")],
        )
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    now = as_utc(now or utcnow())
    closed = literal(campaign.status == "closed")
    disposition = case(
        (col(SampleUnit.contact_status) != "invite", "duplicate"),
        (col(Invitation.id).is_(None), "not_invited"),
        # The invitation's own marks: a submitted response no longer links to its invitation.
        (col(Invitation.completed_at).is_not(None), "completed"),
        (col(Invitation.started_at).is_not(None), "partial"),
        (col(Invitation.opted_out_at).is_not(None), "opted_out"),
        (col(Invitation.first_opened_at).is_not(None), "opened"),
        (col(Invitation.sms_status) == "failed", "not_contactable"),
        (or_(col(Invitation.expires_at) <= now, closed), "expired"),
        (col(Invitation.sms_status) == "delivered", "delivered"),
        (col(Invitation.sms_status) == "sent", "sent"),
        (col(Invitation.channel) == "letter", "letter"),
        else_="queued",
    ).label("disposition")
    group_column: Any = {
        "all": literal("all"),
        "stratum": col(SampleUnit.stratum),
        "agency": col(Dossier.agency_code),
        "channel": func.coalesce(col(Invitation.channel), "none"),
        "dossier_channel": col(Dossier.channel),
        "mode": _case_mode(),
    }[by].label("grp")
    # Cases with an interview come back one row each (their invitation id), the others grouped.
    interviewed = case(
        (col(InterviewAssignment.id).is_not(None), col(Invitation.id)), else_=null()
    ).label("interviewed")
    rows = session.exec(
        select(group_column, disposition, interviewed, func.count())
        .select_from(SampleUnit)
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .outerjoin(
            Invitation,
            and_(
                col(Invitation.sample_unit_id) == col(SampleUnit.id),
                col(Invitation.campaign_id) == campaign_id,
            ),
        )
        .outerjoin(CollectedForm, col(CollectedForm.invitation_id) == col(Invitation.id))
        .outerjoin(
            InterviewAssignment, col(InterviewAssignment.invitation_id) == col(Invitation.id)
        )
        .outerjoin(PaperForm, col(PaperForm.invitation_id) == col(Invitation.id))
        .outerjoin(PaperEntry, col(PaperEntry.invitation_id) == col(Invitation.id))
        .where(
            col(SampleUnit.draw_id) == campaign.draw_id,
            or_(col(SampleUnit.is_reserve).is_(False), col(Invitation.id).is_not(None)),
            *scope.where(Dossier.agency_code, Dossier.province_code),
        )
        .group_by(group_column, disposition, interviewed)
    ).all()
    interviews = (
        final_interview_dispositions(session=session, campaign_id=campaign_id)
        if any(row[2] is not None for row in rows)
        else {}
    )
    groups: dict[str, dict[str, int]] = {}
    for group, name, invitation_id, count in rows:
        final = _with_interview(str(name), interviews.get(invitation_id))
        groups.setdefault(str(group), dict.fromkeys(DISPOSITIONS, 0))[final] += int(count)
    return [
        DispositionGroup(group, sum(counts.values()), counts, aapor_rates(counts))
        for group, counts in sorted(groups.items())
    ]
