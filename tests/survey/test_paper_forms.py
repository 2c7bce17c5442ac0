"""Printed form numbers: ten digits with a Damm check digit, unique, found again as typed."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import Session, col, select

from survey.errors import InvalidInput, NotFound
from survey.invitations import create_invitations
from survey.models import Invitation, PaperForm
from survey.paper_forms import (
    damm_check_digit,
    find_invitation_by_form_number,
    form_number,
    format_form_number,
    is_valid_form_number,
    issue_form_numbers,
    new_form_number,
    normalise_form_number,
)
from survey.settings import Settings
from tests.survey.campaign_factory import NOW, build_fieldwork


def test_damm_check_digit_matches_the_published_example() -> None:
    # Damm (2007) / Wikipedia "Damm algorithm": 572 -> check digit 4, and 5724 checks to 0.
    assert damm_check_digit("572") == "4"
    assert is_valid_form_number("123456789" + damm_check_digit("123456789"))
    assert damm_check_digit("5724") == "0"


def test_every_single_digit_error_and_adjacent_swap_is_detected() -> None:
    for _ in range(200):
        number = new_form_number()
        assert is_valid_form_number(number) and number[0] != "0"
        for position, digit in itertools.product(range(10), "0123456789"):
            if number[position] != digit:
                typo = number[:position] + digit + number[position + 1 :]
                assert not is_valid_form_number(typo), (number, typo)
        for position in range(9):
            a, b = number[position], number[position + 1]
            if a != b:
                swapped = number[:position] + b + a + number[position + 2 :]
                assert not is_valid_form_number(swapped), (number, swapped)


def test_typed_numbers_are_normalised_or_refused_with_the_field() -> None:
    number = new_form_number()
    printed = format_form_number(number)
    assert printed == f"{number[:5]}-{number[5:]}"
    assert normalise_form_number(f" {printed} ") == number
    assert normalise_form_number(f"{number[:3]} {number[3:6]} {number[6:]}") == number
    for bad, words in (
        ("12345-6789", "10 digits"),
        ("12345-6789O", "only digits"),
        (number[:9] + str((int(number[9]) + 1) % 10), "mistyped"),
    ):
        with pytest.raises(InvalidInput) as caught:
            normalise_form_number(bad)
        assert words in caught.value.msg
        assert caught.value.problems[0].loc == ("form_number",)


def test_numbers_are_unique_stable_and_lead_back_to_the_invitation(
    session: Session, settings: Settings
) -> None:
    fw = build_fieldwork(session, n=6)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    ids = [
        int(i or 0)
        for i in session.exec(
            select(Invitation.id).where(col(Invitation.campaign_id) == fw.campaign.id)
        ).all()
    ]
    numbers = issue_form_numbers(session=session, invitation_ids=ids)
    assert sorted(numbers) == sorted(ids)
    assert len(set(numbers.values())) == len(ids)
    assert all(is_valid_form_number(n) for n in numbers.values())
    # Asking again gives the same numbers (a form printed twice keeps its number).
    assert issue_form_numbers(session=session, invitation_ids=ids) == numbers
    assert form_number(session=session, invitation_id=ids[2]) == numbers[ids[2]]
    assert len(session.exec(select(PaperForm)).all()) == len(ids)
    for invitation_id, number in numbers.items():
        found = find_invitation_by_form_number(
            session=session, form_number=format_form_number(number)
        )
        assert found.id == invitation_id


def test_unknown_and_mistyped_numbers_are_told_apart(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=2)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    invitation_id = int(session.exec(select(Invitation.id)).first() or 0)
    number = form_number(session=session, invitation_id=invitation_id)
    swapped = number[0] + number[2] + number[1] + number[3:]
    if swapped != number:
        with pytest.raises(InvalidInput, match="mistyped"):
            find_invitation_by_form_number(session=session, form_number=swapped)
    never_printed = next(n for n in (new_form_number() for _ in range(100)) if n != number)
    with pytest.raises(NotFound) as caught:
        find_invitation_by_form_number(session=session, form_number=never_printed)
    assert caught.value.problems[0].loc == ("form_number",)
    with pytest.raises(NotFound):
        issue_form_numbers(session=session, invitation_ids=[invitation_id + 1000])
