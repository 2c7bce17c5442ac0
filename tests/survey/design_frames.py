"""Small hand-made frames for the design and draw tests, imported through the real use case."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import Engine

from survey.frames import import_frame

HEADER = (
    "dossier_code",
    "agency_code",
    "agency_name",
    "province_code",
    "commune_code",
    "level",
    "procedure_field",
    "channel",
    "received_date",
    "completed_date",
    "phone",
)


def frame_rows(
    strata: dict[tuple[str, str], int], *, phones: dict[str, str] | None = None
) -> list[tuple[str, ...]]:
    """Rows for ``{(agency_code, province_code): N}``; distinct mobiles unless overridden.

    Codes are ``<agency>-<i>``; dates spread over July 2025; communes cycle over 5 per agency.
    """
    rows: list[tuple[str, ...]] = []
    serial = 0
    for (agency, province), count in strata.items():
        for i in range(count):
            serial += 1
            code = f"{agency}-{i:04d}"
            phone = (phones or {}).get(code, f"09{serial:08d}")
            rows.append(
                (
                    code,
                    agency,
                    f"Cơ quan {agency}",
                    province,
                    f"{agency}-X{i % 5}",
                    "commune",
                    ("Hộ tịch", "Đất đai", "Chứng thực")[i % 3],
                    ("direct", "online")[i % 2],
                    f"2025-07-{1 + i % 20:02d}",
                    f"2025-07-{5 + i % 20:02d}",
                    phone,
                )
            )
    return rows


def write_csv(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_rows(
    engine: Engine, folder: Path, rows: Sequence[Sequence[str]], name: str = "test frame"
) -> int:
    """Import rows as a ready frame and return its id."""
    path = write_csv(folder / f"{name.replace(' ', '_')}.csv", rows)
    report = import_frame(engine=engine, source=path, name=name)
    assert report.status == "ready", report.problems[:3]
    return report.frame_id
