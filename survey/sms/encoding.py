"""SMS character encodings and segment counting.

A short message carries 140 octets of user data. Text that fits the GSM 03.38 default alphabet
(3GPP TS 23.038 §6.2.1) is packed as 7-bit septets: 160 characters in one message. Characters of
the extension table (``^ { } \\ [ ~ ] | €`` and form feed) are sent as ESC + character and cost
two septets. Anything else, including every Vietnamese letter with a diacritic, forces UCS-2
(16 bits per UTF-16 code unit): 70 characters in one message.

A longer text is split into concatenated parts, each of which gives 6 octets to the
concatenation header (3GPP TS 23.040 §9.2.3.24.1), leaving 153 septets or 67 UCS-2 code units per
part. An escape pair or a UTF-16 surrogate pair is never split across two parts, so a part may
hold one unit less than the limit; :func:`count_segments` packs parts the way a gateway does.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "SegmentCount",
    "SmsEncoding",
    "count_segments",
    "detect_encoding",
    "is_gsm7",
    "strip_diacritics",
]

# GSM 03.38 default alphabet, basic table, in code-point order 0x00-0x7F (0x1B is the escape to
# the extension table and is not a character of its own).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table characters reachable through ESC: each costs two septets.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE_LIMIT = 160
GSM7_PART_LIMIT = 153
UCS2_SINGLE_LIMIT = 70
UCS2_PART_LIMIT = 67


class SmsEncoding(StrEnum):
    """Data coding of a short message."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SegmentCount:
    """How a text travels as SMS.

    Attributes
    ----------
    encoding
        GSM-7 when every character is in the default alphabet or its extension, else UCS-2.
    units
        Septets (GSM-7, extension characters counting 2) or UTF-16 code units (UCS-2).
    segments
        Number of SMS the operator bills; 0 for the empty text.
    per_segment
        Units available per message: 160/70 for a single message, 153/67 per part of a long one.
    remaining
        Units still free in the last message before another one is needed.
    """

    encoding: SmsEncoding
    units: int
    segments: int
    per_segment: int
    remaining: int


def is_gsm7(text: str) -> bool:
    """Return whether ``text`` can be sent in the GSM 03.38 7-bit alphabet.

    Parameters
    ----------
    text
        Message text.

    Returns
    -------
    bool
        True when every character is in the basic table or the extension table
        (3GPP TS 23.038 §6.2.1, §6.2.1.1).
    """
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def detect_encoding(text: str) -> SmsEncoding:
    """Choose the data coding a gateway will use for ``text``.

    Parameters
    ----------
    text
        Message text.

    Returns
    -------
    SmsEncoding
        ``GSM7`` when :func:`is_gsm7` holds, otherwise ``UCS2``.
    """
    return SmsEncoding.GSM7 if is_gsm7(text) else SmsEncoding.UCS2


def _unit_costs(text: str, encoding: SmsEncoding) -> list[int]:
    # Per-character cost in the encoding's unit; messages are at most a few hundred characters,
    # so a comprehension is the clear choice here.
    if encoding is SmsEncoding.GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count_segments(text: str) -> SegmentCount:
    """Count the SMS needed to send ``text``.

    Parameters
    ----------
    text
        Message text.

    Returns
    -------
    SegmentCount
        Encoding, units and segments. One message holds 160 septets (GSM-7) or 70 UTF-16 code
        units (UCS-2); beyond that every part holds 153 or 67 (3GPP TS 23.040 §9.2.3.24.1,
        6-octet concatenation header). Parts are packed greedily without splitting a
        two-unit character (GSM-7 escape pair, UTF-16 surrogate pair).

    Examples
    --------
    >>> count_segments("a" * 161).segments
    2
    >>> count_segments("Mời ông bà đánh giá").encoding
    <SmsEncoding.UCS2: 'ucs2'>
    """
    encoding = detect_encoding(text)
    single, part = (
        (GSM7_SINGLE_LIMIT, GSM7_PART_LIMIT)
        if encoding is SmsEncoding.GSM7
        else (UCS2_SINGLE_LIMIT, UCS2_PART_LIMIT)
    )
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    if units == 0:
        return SegmentCount(encoding, 0, 0, single, single)
    if units <= single:
        return SegmentCount(encoding, units, 1, single, single - units)
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments += 1
            used = 0
        used += cost
    return SegmentCount(encoding, units, segments, part, part - used)


# Letters whose base form is not reached by removing combining marks.
_FOLDED_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics so that the text fits GSM-7.

    Parameters
    ----------
    text
        Text in any normalisation form (precomposed NFC or decomposed NFD).

    Returns
    -------
    str
        The text with tone marks and vowel modifiers removed (Unicode canonical decomposition,
        then dropping combining marks, category ``Mn``) and ``đ``/``Đ`` mapped to ``d``/``D``,
        recomposed to NFC. Vietnamese text becomes plain ASCII; other characters outside ASCII
        (for example ``€`` or curly quotes) are kept unchanged.

    Examples
    --------
    >>> strip_diacritics("Từ chối nhận tin nhắn - Đà Nẵng")
    'Tu choi nhan tin nhan - Da Nang'
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLDED_LETTERS))
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)
