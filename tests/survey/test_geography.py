"""The 2025 province merger as data, and mapping a frame's codes through it."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from survey.errors import InvalidInput, NotFound
from survey.geography import (
    PROVINCES_2025,
    builtin_mappings,
    ensure_builtin_mappings,
    map_codes,
    pad_code,
)
from survey.models.frames import GeoMapping

# The 63 province codes before 1 July 2025 (General Statistics Office list, Decision
# 124/2004/QĐ-TTg and later changes), written out independently of the module.
# fmt: off
PROVINCES_63 = [
    "01", "02", "04", "06", "08", "10", "11", "12", "14", "15", "17", "19", "20", "22", "24",
    "25", "26", "27", "30", "31", "33", "34", "35", "36", "37", "38", "40", "42", "44", "45",
    "46", "48", "49", "51", "52", "54", "56", "58", "60", "62", "64", "66", "67", "68", "70",
    "72", "74", "75", "77", "79", "80", "82", "83", "84", "86", "87", "89", "91", "92", "93",
    "94", "95", "96",
]
# fmt: on


def test_every_old_province_maps_once_to_one_of_34_units() -> None:
    rows = builtin_mappings()[PROVINCES_2025]
    assert len(PROVINCES_63) == 63
    assert sorted(r.from_code for r in rows) == sorted(PROVINCES_63)
    assert len({r.to_code for r in rows}) == 34
    # Every new unit keeps the code of one of its old provinces, so new codes map to themselves.
    table = {r.from_code: r.to_code for r in rows}
    assert all(table[new] == new for new in set(table.values()))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("02", "08"),  # Hà Giang -> Tuyên Quang
        ("26", "25"),  # Vĩnh Phúc -> Phú Thọ
        ("17", "25"),  # Hòa Bình -> Phú Thọ
        ("74", "79"),  # Bình Dương -> Hồ Chí Minh City
        ("77", "79"),  # Bà Rịa–Vũng Tàu -> Hồ Chí Minh City
        ("94", "92"),  # Sóc Trăng -> Cần Thơ
        ("01", "01"),  # Hà Nội unchanged
        ("46", "46"),  # Huế unchanged
    ],
)
def test_domain_table_examples(old: str, new: str) -> None:
    table = {r.from_code: r.to_code for r in builtin_mappings()[PROVINCES_2025]}
    assert table[old] == new


def test_pad_code() -> None:
    assert pad_code("1") == "01"
    assert pad_code(" 8 ") == "08"
    assert pad_code("8.0") == "08"
    assert pad_code("79") == "79"
    assert pad_code("HN") == "HN"


def test_ensure_builtin_mappings_is_idempotent(session: Session) -> None:
    assert ensure_builtin_mappings(session) == 63
    assert ensure_builtin_mappings(session) == 0
    rows = session.exec(select(GeoMapping).where(GeoMapping.mapping == PROVINCES_2025)).all()
    assert len(rows) == 63
    hcmc = {r.from_code: r for r in rows}["74"]
    assert (hcmc.to_code, hcmc.to_name) == ("79", "Hồ Chí Minh")


def test_map_codes_pads_and_maps(session: Session) -> None:
    ensure_builtin_mappings(session)
    codes = ["1", "02", "74", "2", "79", "94", "8"] * 1000
    mapped = map_codes(session, PROVINCES_2025, codes)
    assert mapped[:7] == ["01", "08", "79", "08", "79", "92", "08"]
    assert len(mapped) == 7000
    assert map_codes(session, PROVINCES_2025, []) == []


def test_map_codes_names_every_unknown_code(session: Session) -> None:
    ensure_builtin_mappings(session)
    with pytest.raises(InvalidInput) as caught:
        map_codes(session, PROVINCES_2025, ["01", "99", "03", "99"])
    assert sorted(p.loc[1] for p in caught.value.problems) == ["03", "99"]
    assert "check the frame's codes" in caught.value.problems[0].msg


def test_unknown_mapping(session: Session) -> None:
    with pytest.raises(NotFound, match="ensure_builtin_mappings"):
        map_codes(session, "districts-1999", ["01"])
