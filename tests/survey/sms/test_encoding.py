"""Encoding detection, segment counts and diacritic removal.

References: 3GPP TS 23.038 §6.2.1 (GSM 7-bit default alphabet: 128 code points of which 0x1B is
the escape, extension table reached by ESC), 3GPP TS 23.040 §9.2.3.24.1 (6-octet concatenation
header: 153 septets / 67 UCS-2 units per part). The Vietnamese letters are the 12 vowels x 6
tones of the Vietnamese alphabet plus đ, written out by hand below.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from survey.sms.encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsEncoding,
    count_segments,
    detect_encoding,
    is_gsm7,
    strip_diacritics,
)

# Each row: the plain letter, then the letter with the five tone marks (huyền, sắc, hỏi, ngã,
# nặng), for the 12 Vietnamese vowel letters; typed from the alphabet, not generated.
VIETNAMESE_VOWELS = {
    "a": "àáảãạ",
    "ă": "ằắẳẵặ",
    "â": "ầấẩẫậ",
    "e": "èéẻẽẹ",
    "ê": "ềếểễệ",
    "i": "ìíỉĩị",
    "o": "òóỏõọ",
    "ô": "ồốổỗộ",
    "ơ": "ờớởỡợ",
    "u": "ùúủũụ",
    "ư": "ừứửữự",
    "y": "ỳýỷỹỵ",
}
BASE_OF = {"ă": "a", "â": "a", "ê": "e", "ô": "o", "ơ": "o", "ư": "u"}


def test_alphabet_sizes_match_the_standard() -> None:
    # 128 code points minus the escape; the extension table has 10 printable entries.
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION
    assert {chr(c) for c in range(0x20, 0x7F)} - GSM7_BASIC - GSM7_EXTENSION == {"`"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Moi Ong/Ba danh gia dich vu: https://dvc.gov.vn/s/abc", SmsEncoding.GSM7),
        ("Prix: 5€ {promo} [1] ~ ^ | \\", SmsEncoding.GSM7),
        ("Café à Ñandu Øre über", SmsEncoding.GSM7),
        ("Noël", SmsEncoding.UCS2),
        ("Mời Ông/Bà đánh giá", SmsEncoding.UCS2),
        ("dong", SmsEncoding.GSM7),
        ("đong", SmsEncoding.UCS2),
        ("ê", SmsEncoding.UCS2),
        ("back`tick", SmsEncoding.UCS2),
        ("", SmsEncoding.GSM7),
    ],
)
def test_detect_encoding(text: str, expected: SmsEncoding) -> None:
    assert detect_encoding(text) is expected
    assert is_gsm7(text) is (expected is SmsEncoding.GSM7)


@pytest.mark.parametrize(
    ("text", "units", "segments"),
    [
        ("", 0, 0),
        ("a" * 160, 160, 1),
        ("a" * 161, 161, 2),
        ("a" * 306, 306, 2),
        ("a" * 307, 307, 3),
        ("€" * 80, 160, 1),
        ("€" * 81, 162, 2),
        ("a" * 159 + "{", 161, 2),
        # 152 + escape pair does not fit a 153-septet part: the pair moves to part 2, and the
        # last 'a' needs a third part although 306 septets would fill exactly two.
        ("a" * 152 + "€" + "a" * 152, 306, 3),
        ("ư" * 70, 70, 1),
        ("ư" * 71, 71, 2),
        ("ư" * 134, 134, 2),
        ("ư" * 135, 135, 3),
        # A character outside the BMP is a surrogate pair: two UCS-2 units, never split.
        ("😀" * 35, 70, 1),
        ("ư" * 66 + "😀" + "ư" * 66, 134, 3),
    ],
)
def test_count_segments_known_lengths(text: str, units: int, segments: int) -> None:
    count = count_segments(text)
    assert (count.units, count.segments) == (units, segments)


def test_remaining_and_per_segment() -> None:
    single = count_segments("Xin chao")
    assert (single.per_segment, single.remaining) == (160, 152)
    long = count_segments("ơ" * 100)
    assert (long.encoding, long.per_segment, long.remaining) == (SmsEncoding.UCS2, 67, 34)


def test_random_texts_agree_with_an_independent_count() -> None:
    # Reference: UCS-2 units from Python's UTF-16 codec; GSM-7 septets by counting extension
    # characters twice; segments by filling parts in a simple while loop over units.
    rng = np.random.default_rng(20260101)
    gsm_pool = sorted(GSM7_BASIC | GSM7_EXTENSION)
    vn_pool = [*"".join(VIETNAMESE_VOWELS.values()), "đ", "😀", " ", "a"]
    for _ in range(300):
        pool = gsm_pool if rng.random() < 0.5 else vn_pool
        length = int(rng.integers(0, 400))
        text = "".join(rng.choice(pool, size=length)) if length else ""
        count = count_segments(text)
        if count.encoding is SmsEncoding.UCS2:
            widths = [len(ch.encode("utf-16-be")) // 2 for ch in text]
            single, part = 70, 67
        else:
            widths = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
            single, part = 160, 153
        assert count.units == sum(widths)
        if sum(widths) <= single:
            expected = 1 if widths else 0
        else:
            expected, fill, i = 1, 0, 0
            while i < len(widths):
                if fill + widths[i] <= part:
                    fill += widths[i]
                    i += 1
                else:
                    expected, fill = expected + 1, 0
        assert count.segments == expected


def test_strip_diacritics_every_vietnamese_vowel() -> None:
    for plain, toned in VIETNAMESE_VOWELS.items():
        base = BASE_OF.get(plain, plain)
        for letter in plain + toned:
            assert strip_diacritics(letter) == base
            assert strip_diacritics(letter.upper()) == base.upper()
    assert strip_diacritics("đĐ") == "dD"


def test_strip_diacritics_sentence_becomes_gsm7() -> None:
    text = "Ủy ban nhân dân phường Đông Hòa mời Ông/Bà đánh giá. Từ chối: soạn TU CHOI"
    plain = strip_diacritics(text)
    assert plain == "Uy ban nhan dan phuong Dong Hoa moi Ong/Ba danh gia. Tu choi: soan TU CHOI"
    assert plain.isascii()
    assert count_segments(text).segments == 2
    assert count_segments(plain).segments == 1


def test_strip_diacritics_accepts_decomposed_input_and_keeps_other_symbols() -> None:
    decomposed = unicodedata.normalize("NFD", "Hủy đăng ký")
    assert decomposed != "Hủy đăng ký"
    assert strip_diacritics(decomposed) == "Huy dang ky"
    assert strip_diacritics("5€ “ok”") == "5€ “ok”"
