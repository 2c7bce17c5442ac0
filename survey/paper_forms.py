"""The printed form number of an invitation: ten digits a clerk can key, the last a check digit.

A form number is nine random digits (first digit 1-9, so spreadsheets keep it whole) and a Damm
check digit (H. M. Damm, *Totally anti-symmetric quasigroups for all orders n != 2, 6*, Discrete
Mathematics 307 (2007) 715-729). The Damm check detects every single-digit error and every
transposition of two adjacent digits, the two commonest keying errors, so a mistyped number is
refused as mistyped instead of finding another person's form. It is shown as ``12345-67890``;
dashes and spaces are ignored when it is typed back.

The number is random, not the invitation id: a clerk who guesses numbers finds nothing (1 in
10^9 per try for a given form), and the number says nothing about the sample's order. It is
not a credential either: it opens no answer page (the citizen's link does, survey/short_links.py).
Numbers are unique across campaigns and stored in ``paper_form`` (survey/models/paper_forms.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey.errors import InvalidInput, NotFound, Problem
from survey.models import Invitation, PaperForm, utcnow

FORM_NUMBER_DIGITS = 10

# Damm's totally anti-symmetric quasigroup of order 10 (Damm 2007, table 5.2; the table
# Wikipedia's "Damm algorithm" article reproduces).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_ATTEMPTS = 5
_LOC = ("form_number",)


def damm_check_digit(digits: str) -> str:
    """The Damm check digit of a string of decimal digits: the interim after the last digit."""
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return str(interim)


def is_valid_form_number(digits: str) -> bool:
    """Whether ten digits end with their Damm check digit (a valid number checks to 0)."""
    return (
        len(digits) == FORM_NUMBER_DIGITS
        and digits.isascii()
        and digits.isdigit()
        and damm_check_digit(digits) == "0"
    )


def new_form_number() -> str:
    """Nine random digits (the first non-zero) and their check digit."""
    body = str(100_000_000 + secrets.randbelow(900_000_000))
    return body + damm_check_digit(body)


def format_form_number(number: str) -> str:
    """``1234567890`` -> ``12345-67890`` (as printed)."""
    return f"{number[:5]}-{number[5:]}"


def normalise_form_number(text: str) -> str:
    """The ten digits of a typed form number, or :class:`InvalidInput` saying what is wrong.

    Spaces, dashes and dots are ignored (people copy the printed grouping or not).
    """
    digits = "".join(ch for ch in text.strip() if ch not in " -.\u00a0\t")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput(
            "a form number has only digits",
            [
                Problem(
                    _LOC, "type the 10 digits printed under the code on the form, e.g. 12345-67890"
                )
            ],
        )
    if len(digits) != FORM_NUMBER_DIGITS:
        raise InvalidInput(
            f"a form number has {FORM_NUMBER_DIGITS} digits, not {len(digits)}",
            [Problem(_LOC, f"type all {FORM_NUMBER_DIGITS} digits printed on the form")],
        )
    if damm_check_digit(digits) != "0":
        raise InvalidInput(
            "this form number is mistyped (its check digit does not match)",
            [Problem(_LOC, "check each digit against the form; two digits may be swapped")],
        )
    return digits


def _existing(session: Session, invitation_ids: Sequence[int]) -> dict[int, str]:
    rows = session.exec(
        select(PaperForm.invitation_id, PaperForm.form_number).where(
            col(PaperForm.invitation_id).in_(list(invitation_ids))
        )
    ).all()
    return {int(i): str(n) for i, n in rows}


def assign_form_numbers(session: Session, invitation_ids: Sequence[int]) -> dict[int, str]:
    """Give each invitation without one a form number (flushed, not committed) and return all.

    A step of the use cases that print forms (they commit). Numbers already given are kept:
    a form printed twice carries the same number.
    """
    ids = sorted(set(invitation_ids))
    numbers: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        numbers.update(_existing(session, chunk))
        missing = [i for i in chunk if i not in numbers]
        for _ in range(_ATTEMPTS):
            if not missing:
                break
            fresh = {i: new_form_number() for i in missing}
            taken = set(
                session.exec(
                    select(PaperForm.form_number).where(
                        col(PaperForm.form_number).in_(list(fresh.values()))
                    )
                ).all()
            )
            # Numbers drawn twice in this batch or already used elsewhere are drawn again.
            drawn: dict[str, int] = {}
            for invitation_id, number in fresh.items():
                if number not in taken:
                    drawn.setdefault(number, invitation_id)
            now = utcnow()
            values = [
                {"invitation_id": i, "form_number": n, "issued_at": now} for n, i in drawn.items()
            ]
            if values:
                try:
                    with session.begin_nested():
                        session.execute(insert(PaperForm), values)
                except IntegrityError:
                    # Another process took one of the numbers (or issued the same form) at the
                    # same moment: read what is there now and draw again for the rest.
                    numbers.update(_existing(session, missing))
                    missing = [i for i in missing if i not in numbers]
                    continue
                numbers.update({i: n for n, i in drawn.items()})
            missing = [i for i in missing if i not in numbers]
        if missing:
            raise RuntimeError(f"could not draw unique form numbers for {len(missing)} forms")
    return numbers


def issue_form_numbers(*, session: Session, invitation_ids: Sequence[int]) -> dict[int, str]:
    """Form numbers of these invitations, issuing the missing ones (committed).

    Raises
    ------
    NotFound
        When an invitation does not exist.
    """
    ids = sorted(set(invitation_ids))
    known = set(session.exec(select(Invitation.id).where(col(Invitation.id).in_(ids))).all())
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise NotFound(
            f"invitation {unknown[0]} does not exist",
            [Problem(("invitation_id",), f"no invitation {unknown[0]}")],
        )
    numbers = assign_form_numbers(session, ids)
    session.commit()
    return numbers


def form_number(*, session: Session, invitation_id: int) -> str:
    """The invitation's form number (ten digits, no dash), issued the first time it is asked."""
    return issue_form_numbers(session=session, invitation_ids=[invitation_id])[invitation_id]


def find_invitation_by_form_number(*, session: Session, form_number: str) -> Invitation:
    """The invitation a printed form belongs to, from its number as typed.

    Raises
    ------
    InvalidInput
        When the text is not ten digits or its check digit is wrong (a typing error).
    NotFound
        When the number is well formed but was never printed.
    """
    digits = normalise_form_number(form_number)
    invitation = session.exec(
        select(Invitation)
        .join(PaperForm, col(PaperForm.invitation_id) == col(Invitation.id))
        .where(col(PaperForm.form_number) == digits)
    ).first()
    if invitation is None:
        raise NotFound(
            f"no form was printed with number {format_form_number(digits)}",
            [Problem(_LOC, "check the number against the form, or ask the coordinator")],
        )
    return invitation
