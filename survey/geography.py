"""Administrative geography: the 1 July 2025 merger of 63 provinces into 34, kept as data.

Frames store unit codes as the agency gave them. A design that stratifies on provinces across the
merger maps codes through a named mapping stored in the ``geo_mapping`` table; the built-in one,
``provinces-2025``, maps each of the 63 pre-merger province codes (and so each post-merger code,
since every new unit keeps the code of the province hosting its centre) to its 2025 unit.

Source: DOMAIN.md "Geography since 1 July 2025" (Resolution 202/2025/QH15 of the National
Assembly). Verify against the General Statistics Office's code list before production use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from survey.errors import InvalidInput, NotFound, Problem
from survey.models.frames import GeoMapping

PROVINCES_2025 = "provinces-2025"
PROVINCE_CODE_WIDTH = 2


@dataclass(frozen=True)
class MergedUnit:
    """A post-merger unit: its code and name, and the pre-merger codes it was formed from."""

    code: str
    name: str
    formed_from: tuple[str, ...]


# Each new unit keeps the code of the province hosting its centre (listed first).
PROVINCE_MERGER_2025: tuple[MergedUnit, ...] = (
    MergedUnit("01", "Hà Nội", ("01",)),
    MergedUnit("04", "Cao Bằng", ("04",)),
    MergedUnit("11", "Điện Biên", ("11",)),
    MergedUnit("12", "Lai Châu", ("12",)),
    MergedUnit("14", "Sơn La", ("14",)),
    MergedUnit("20", "Lạng Sơn", ("20",)),
    MergedUnit("22", "Quảng Ninh", ("22",)),
    MergedUnit("38", "Thanh Hóa", ("38",)),
    MergedUnit("40", "Nghệ An", ("40",)),
    MergedUnit("42", "Hà Tĩnh", ("42",)),
    MergedUnit("46", "Huế", ("46",)),
    MergedUnit("08", "Tuyên Quang", ("08", "02")),
    MergedUnit("15", "Lào Cai", ("15", "10")),
    MergedUnit("19", "Thái Nguyên", ("19", "06")),
    MergedUnit("25", "Phú Thọ", ("25", "26", "17")),
    MergedUnit("24", "Bắc Ninh", ("24", "27")),
    MergedUnit("33", "Hưng Yên", ("33", "34")),
    MergedUnit("31", "Hải Phòng", ("31", "30")),
    MergedUnit("37", "Ninh Bình", ("37", "35", "36")),
    MergedUnit("44", "Quảng Trị", ("44", "45")),
    MergedUnit("48", "Đà Nẵng", ("48", "49")),
    MergedUnit("51", "Quảng Ngãi", ("51", "62")),
    MergedUnit("52", "Gia Lai", ("52", "64")),
    MergedUnit("56", "Khánh Hòa", ("56", "58")),
    MergedUnit("66", "Đắk Lắk", ("66", "54")),
    MergedUnit("68", "Lâm Đồng", ("68", "67", "60")),
    MergedUnit("75", "Đồng Nai", ("75", "70")),
    MergedUnit("79", "Hồ Chí Minh", ("79", "74", "77")),
    MergedUnit("80", "Tây Ninh", ("80", "72")),
    MergedUnit("82", "Đồng Tháp", ("82", "87")),
    MergedUnit("86", "Vĩnh Long", ("86", "83", "84")),
    MergedUnit("91", "An Giang", ("91", "89")),
    MergedUnit("92", "Cần Thơ", ("92", "94", "93")),
    MergedUnit("96", "Cà Mau", ("96", "95")),
)


# Province codes in force for a dossier completed before / from 1 July 2025 (63 and 34 units).
PROVINCE_CODES_BEFORE_MERGER = frozenset(
    c for unit in PROVINCE_MERGER_2025 for c in unit.formed_from
)
PROVINCE_CODES_SINCE_MERGER = frozenset(unit.code for unit in PROVINCE_MERGER_2025)
_MERGED_INTO = {old: unit for unit in PROVINCE_MERGER_2025 for old in unit.formed_from}


def province_code_problem(code: str, *, since_merger: bool) -> tuple[bool, str] | None:
    """``(rejected, message)`` when ``code`` is not a province code in force on the completion
    date (before or from 1 July 2025), None when it is. Codes compare zero-padded.

    A pre-merger code on a later dossier is only a warning: agencies' systems kept the old codes
    for months, and a design by province maps them through ``provinces-2025``.
    """
    padded = pad_code(code)
    valid = PROVINCE_CODES_SINCE_MERGER if since_merger else PROVINCE_CODES_BEFORE_MERGER
    if padded in valid:
        return None
    shown = code.strip()[:20]
    if since_merger and padded in _MERGED_INTO:
        unit = _MERGED_INTO[padded]
        return (
            False,
            f"province_code {shown} is a code from before 1 July 2025; the province is now "
            f"part of {unit.code} ({unit.name}): the row is kept and a design by province "
            f"maps it through {PROVINCES_2025}, or give {unit.code}",
        )
    period = (
        "from 1 July 2025 (34 provinces)" if since_merger else "before 1 July 2025 (63 provinces)"
    )
    return (
        True,
        f"province_code {shown} is not a province code for a dossier completed {period}: "
        "give the two-digit code of the General Statistics Office's list",
    )


@dataclass(frozen=True)
class MappingRow:
    from_code: str
    to_code: str
    to_name: str


def builtin_mappings() -> dict[str, tuple[MappingRow, ...]]:
    """The mappings shipped with the platform, by name (rows sorted by ``from_code``)."""
    rows = sorted(
        (
            MappingRow(old, unit.code, unit.name)
            for unit in PROVINCE_MERGER_2025
            for old in unit.formed_from
        ),
        key=lambda r: r.from_code,
    )
    return {PROVINCES_2025: tuple(rows)}


def pad_code(code: str, width: int = PROVINCE_CODE_WIDTH) -> str:
    """Strip a unit code and left-pad a numeric one with zeros (``"1"`` -> ``"01"``).

    Spreadsheets store province codes as numbers and drop the leading zero; non-numeric codes
    are returned stripped but otherwise unchanged.
    """
    text = code.strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text.zfill(width) if text.isdigit() else text


def ensure_builtin_mappings(session: Session) -> int:
    """Insert the built-in mappings' missing rows into ``geo_mapping`` and commit.

    Idempotent: rows already present (same mapping and ``from_code``) are left as they are.

    Returns
    -------
    int
        The number of rows inserted.
    """
    inserted = 0
    for name, rows in builtin_mappings().items():
        present = set(
            session.exec(select(GeoMapping.from_code).where(GeoMapping.mapping == name)).all()
        )
        for row in rows:
            if row.from_code in present:
                continue
            session.add(
                GeoMapping(
                    mapping=name, from_code=row.from_code, to_code=row.to_code, to_name=row.to_name
                )
            )
            inserted += 1
    session.commit()
    return inserted


def load_mapping(session: Session, mapping: str) -> dict[str, str]:
    """The named mapping as ``{from_code: to_code}``; raises :class:`NotFound` when unknown."""
    rows = session.exec(
        select(GeoMapping.from_code, GeoMapping.to_code)
        .where(GeoMapping.mapping == mapping)
        .order_by(col(GeoMapping.from_code))
    ).all()
    if not rows:
        known = sorted(set(session.exec(select(GeoMapping.mapping)).all()))
        raise NotFound(
            f"geo mapping {mapping!r} does not exist: use one of {known or 'none loaded'} "
            "(run ensure_builtin_mappings to load the built-in ones)"
        )
    return dict(rows)


def map_codes(session: Session, mapping: str, codes: Sequence[str]) -> list[str]:
    """Map unit codes through a named mapping, e.g. 63 pre-2025 provinces to the 34 new ones.

    Codes are padded like the mapping's codes (``"1"`` -> ``"01"``) before lookup. The work is
    done once per distinct code (``np.unique(return_inverse=True)``), so a 5-million-row frame
    costs a few distinct lookups and one take.

    Parameters
    ----------
    session
        Session on the platform database.
    mapping
        Mapping name, e.g. :data:`PROVINCES_2025`.
    codes
        The codes as stored in a frame.

    Returns
    -------
    list of str
        The mapped code of each input code, in input order.

    Raises
    ------
    InvalidInput
        Naming every code the mapping does not know, so the frame or the mapping can be fixed.
    """
    table = load_mapping(session, mapping)
    if len(codes) == 0:
        return []
    width = max(len(k) for k in table)
    uniques, inverse = np.unique(np.asarray(codes, dtype=str), return_inverse=True)
    padded = [pad_code(str(u), width) for u in uniques]
    unknown = [str(u) for u, p in zip(uniques, padded, strict=True) if p not in table]
    if unknown:
        raise InvalidInput(
            f"{len(unknown)} code(s) are not in geo mapping {mapping!r}",
            [
                Problem(
                    ("codes", code),
                    f"code {code!r} is not in mapping {mapping!r}: check the frame's codes "
                    "or add the code to the mapping",
                )
                for code in unknown
            ],
        )
    mapped = np.asarray([table[p] for p in padded], dtype=object)
    result: list[str] = mapped[inverse.reshape(-1)].tolist()
    return result
