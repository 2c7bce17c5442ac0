"""Vietnamese phone numbers to E.164; expected values are written out from DOMAIN.md's table."""

from __future__ import annotations

import pytest

from survey.phones import PhoneKind, classify_phone, normalise_phone

# DOMAIN.md "Phones and SMS", copied as written there (old 11-digit prefix -> new 10-digit one).
DOMAIN_RENUMBERING = [
    ("0162", "032"),
    ("0163", "033"),
    ("0164", "034"),
    ("0165", "035"),
    ("0166", "036"),
    ("0167", "037"),
    ("0168", "038"),
    ("0169", "039"),
    ("0120", "070"),
    ("0121", "079"),
    ("0122", "077"),
    ("0126", "076"),
    ("0128", "078"),
    ("0123", "083"),
    ("0124", "084"),
    ("0125", "085"),
    ("0127", "081"),
    ("0129", "082"),
    ("0186", "056"),
    ("0188", "058"),
    ("0199", "059"),
]


@pytest.mark.parametrize(("old", "new"), DOMAIN_RENUMBERING)
def test_every_old_prefix_maps_to_its_2018_number(old: str, new: str) -> None:
    expected = "+84" + new[1:] + "4567890"
    for written in (old + "4567890", f"{old} 456 7890", "84" + old[1:] + "4567890"):
        phone = normalise_phone(written)
        assert phone.kind is PhoneKind.MOBILE, written
        assert phone.e164 == expected, written
        assert phone.contactable


@pytest.mark.parametrize(
    "written",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "84912345678",
        "+84912345678",
        "+84 912 345 678",
        "(+84) 912 345 678",
        "(+84)912.345.678",
        "+84 (0) 912 345 678",
        "0084 912 345 678",
        " 0912\u00a0345\u00a0678 ",
        "912345678",  # an Excel number cell lost the leading zero
        912345678,
        912345678.0,
        "0912345678 / 0987654321",  # two numbers: the first mobile is used
    ],
)
def test_spellings_of_one_mobile_number(written: object) -> None:
    assert normalise_phone(written) == (PhoneKind.MOBILE, "+84912345678")


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("0352 123 456", "+84352123456"),
        ("0702123456", "+84702123456"),
        ("0589 999 000", "+84589999000"),
        ("0868123456", "+84868123456"),
        ("0841234567", "+84841234567"),  # VinaPhone 084 is not the country code
    ],
)
def test_current_mobile_ranges(written: str, e164: str) -> None:
    assert classify_phone(written) == (PhoneKind.MOBILE, e164)


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("024 3823 4567", "+842438234567"),  # Hà Nội landline
        ("028.3829.1234", "+842838291234"),  # Hồ Chí Minh City landline
        ("+84 236 382 1234", "+842363821234"),
    ],
)
def test_landlines_are_recognised_but_not_contactable(written: str, e164: str) -> None:
    phone = normalise_phone(written)
    assert phone.kind is PhoneKind.LANDLINE
    assert phone.e164 == e164
    assert not phone.contactable


@pytest.mark.parametrize(
    "written",
    [
        "091234567",  # one digit short
        "09123456789",  # one digit long
        "0112345678",  # no mobile range starts with 1 after the renumbering
        "0130 123 4567",  # not an old mobile prefix
        "+1 202 555 0123",  # not Vietnamese
        "không có",
        "0912abc678",
        "٠٩١٢٣٤٥٦٧٨",  # Arabic-Indic digits are digits to str.isdigit, not to a phone network
        12.5,
        True,
    ],
)
def test_invalid_numbers(written: object) -> None:
    phone = normalise_phone(written)
    assert phone.kind is PhoneKind.INVALID
    assert phone.e164 is None
    assert not phone.contactable


@pytest.mark.parametrize("written", [None, "", "   ", " - "])
def test_missing(written: object) -> None:
    assert normalise_phone(written).kind is PhoneKind.MISSING


def test_a_landline_and_a_mobile_in_one_cell_give_the_mobile() -> None:
    assert normalise_phone("024 3823 4567; 0987 654 321") == (PhoneKind.MOBILE, "+84987654321")
