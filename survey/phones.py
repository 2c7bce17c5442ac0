"""Vietnamese phone numbers as agencies write them, normalised to E.164 (``+84`` and 9 digits).

Rules (DOMAIN.md, "Phones and SMS"):

- A mobile number is ``+84`` followed by 9 digits, written ``0xx xxx xxxx`` at home. The first digit
  after ``+84`` is 3, 5, 7, 8 or 9 (the 2018 renumbering left mobiles only in these ranges); which
  operator holds which two-digit block changes over time, so it is not checked here.
- The 11-digit mobile numbers (``01xx xxx xxxx``) moved to 10 digits in 2018; agency records still
  hold them, so they are mapped with :data:`OLD_MOBILE_PREFIXES` (e.g. ``0162`` -> ``032``).
- Landlines (``02x`` + 8 digits) cannot receive SMS: they are recognised but not contactable.

Accepted spellings: ``0912 345 678``, ``0912.345.678``, ``0912-345-678``, ``84912345678``,
``+84 912 345 678``, ``(+84) 912 345 678``, ``0084912345678``, and ``912345678`` (Excel drops the
leading zero of a number cell). A cell holding several numbers (``0912345678 / 0987654321``) gives
its first mobile number.
"""

from __future__ import annotations

import re
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

# Old 11-digit mobile prefixes (without the trunk 0) -> current 10-digit prefixes, per DOMAIN.md.
OLD_MOBILE_PREFIXES: MappingProxyType[str, str] = MappingProxyType(
    {
        # Viettel 0162-0169 -> 032-039
        **{f"16{d}": f"3{d}" for d in "23456789"},
        # MobiFone
        "120": "70",
        "121": "79",
        "122": "77",
        "126": "76",
        "128": "78",
        # VinaPhone
        "123": "83",
        "124": "84",
        "125": "85",
        "127": "81",
        "129": "82",
        # Vietnamobile
        "186": "56",
        "188": "58",
        # Gmobile
        "199": "59",
    }
)

MOBILE_FIRST_DIGITS = frozenset("35789")
_SEPARATORS = str.maketrans("", "", " .-()\u00a0\t/_")
_MULTI_SPLIT = re.compile(r"[/,;|]| - | hoặc | or ", re.IGNORECASE)


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    INVALID = "invalid"
    MISSING = "missing"


class PhoneNumber(NamedTuple):
    """The outcome of reading one phone cell (a named tuple: cheap to build 5 million times).

    ``e164`` is set for mobiles and landlines; only mobiles are SMS-contactable.
    """

    kind: PhoneKind
    e164: str | None = None

    @property
    def contactable(self) -> bool:
        return self.kind is PhoneKind.MOBILE


MISSING = PhoneNumber(PhoneKind.MISSING)
INVALID = PhoneNumber(PhoneKind.INVALID)


_Reading = tuple[PhoneKind, str | None]
_MISSING: _Reading = (PhoneKind.MISSING, None)
_INVALID: _Reading = (PhoneKind.INVALID, None)
# Module-level names: this runs once per row of a frame, and enum attribute lookups cost.
_MOBILE = PhoneKind.MOBILE
_LANDLINE = PhoneKind.LANDLINE
_MOBILE_FIRST = "".join(sorted(MOBILE_FIRST_DIGITS))
_OLD_PREFIXES = dict(OLD_MOBILE_PREFIXES)


def _from_national(nsn: str) -> _Reading:
    """Classify a national significant number (the digits after ``+84`` / the trunk ``0``)."""
    size = len(nsn)
    # "+84 (0) 912 ..." keeps the trunk zero after the country code.
    if nsn[:1] == "0" and size in (10, 11):
        nsn = nsn[1:]
        size -= 1
    if size == 9:
        return (_MOBILE, "+84" + nsn) if nsn[0] in _MOBILE_FIRST else _INVALID
    if size == 10:
        new_prefix = _OLD_PREFIXES.get(nsn[:3])
        if new_prefix is not None:
            return _MOBILE, "+84" + new_prefix + nsn[3:]
        if nsn[0] == "2":
            return _LANDLINE, "+84" + nsn
    return _INVALID


def _normalise_one(text: str) -> _Reading:
    compact = text.translate(_SEPARATORS)
    if not compact:
        return _MISSING
    international = compact[0] == "+"
    digits = compact[1:] if international else compact
    if not (digits.isdigit() and digits.isascii()):
        return _INVALID
    if digits[:4] == "0084":
        return _from_national(digits[4:])
    if international:
        return _from_national(digits[2:]) if digits[:2] == "84" else _INVALID
    if digits[0] == "0":
        return _from_national(digits[1:])
    # 84 + a 9-digit mobile, or 84 + a 10-digit old mobile or landline.
    if digits[:2] == "84" and len(digits) in (11, 12):
        return _from_national(digits[2:])
    # A number cell in Excel loses its leading zero.
    return _from_national(digits)


def classify_phone(raw: object) -> tuple[PhoneKind, str | None]:
    """Read one phone cell as written in a Vietnamese agency record.

    Parameters
    ----------
    raw
        The cell: text, or a number when a spreadsheet stored the phone as a number (an
        integral float such as ``912345678.0`` is read as its integer).

    Returns
    -------
    tuple of (PhoneKind, str or None)
        ``MOBILE`` with the E.164 form (``+84`` + 9 digits, old 11-digit mobiles mapped to
        their 2018 10-digit numbers), ``LANDLINE`` (``+842...``, not SMS-contactable),
        ``INVALID`` or ``MISSING``. E.164 is ITU-T Recommendation E.164; the Vietnamese
        numbering plan is the Ministry of Information and Communications' 2018 plan.
    """
    if type(raw) is str:
        text = raw.strip()
    elif raw is None:
        return _MISSING
    elif isinstance(raw, bool):
        return _INVALID
    elif isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        if not raw.is_integer():
            return _INVALID
        text = str(int(raw))
    else:
        text = str(raw).strip()
    result = _normalise_one(text)
    if result is not _INVALID:
        return result
    parts = [p for p in _MULTI_SPLIT.split(text) if p.strip()]
    if len(parts) < 2:
        return result
    readings = [_normalise_one(p.strip()) for p in parts]
    for wanted in (PhoneKind.MOBILE, PhoneKind.LANDLINE):
        for reading in readings:
            if reading[0] is wanted:
                return reading
    return result


def normalise_phone(raw: object) -> PhoneNumber:
    """:func:`classify_phone` as a :class:`PhoneNumber` (``kind``, ``e164``, ``contactable``)."""
    return PhoneNumber(*classify_phone(raw))
