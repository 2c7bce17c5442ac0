"""Repeated dossier codes across and within batches: the importer keeps exactly the rows a plain
dict would (the first valid row with each code), whatever its Bloom filter answers.

The reference is computed here in plain Python over the file's rows; the importer's filter is
also replaced by one that flags every code (every "maybe" goes to the database lookup) and by a
tiny one (most bits collide), so the exact lookup, not the filter, decides every rejection.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import survey.frames as frames_module
from survey.dossier_codes import SeenCodes
from survey.models.frames import Dossier
from tests.survey.test_frames import good_rows, run_import, write_csv


class _FlagsEverything(SeenCodes):
    def maybe_seen(self, codes: object) -> np.ndarray:
        return np.ones(len(codes), dtype=bool)  # type: ignore[arg-type]


def _rows(seed: int) -> tuple[list[list[str]], dict[str, int], dict[int, int]]:
    """Rows with codes drawn from a small pool (repeats in the same, the previous and far
    batches) and some invalid rows (an unknown level), with the reference answer: the kept
    ``{code: row}`` and, for each repeated row, the row it repeats."""
    rng = random.Random(seed)
    base = good_rows()[0]
    rows: list[list[str]] = []
    kept: dict[str, int] = {}
    repeats: dict[int, int] = {}
    for i in range(400):
        code = f"HS-{rng.randrange(150)}"
        row_number = i + 2
        if rng.random() < 0.1:
            rows.append([code, *base[1:5], "cấp lạ", *base[6:]])  # invalid: claims nothing
            continue
        rows.append([code, *base[1:]])
        if code in kept:
            repeats[row_number] = kept[code]
        else:
            kept[code] = row_number
    return rows, kept, repeats


@pytest.mark.parametrize("batch_size", [1, 7, 50, 1_000])
@pytest.mark.parametrize("kind", ["sized", "flags-everything", "tiny"])
def test_repeated_codes_match_a_plain_dict(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    batch_size: int,
    kind: str,
) -> None:
    if kind == "flags-everything":
        monkeypatch.setattr(frames_module, "SeenCodes", _FlagsEverything)
    elif kind == "tiny":
        monkeypatch.setattr(SeenCodes, "for_file", classmethod(lambda cls, size, k: cls(64)))
    rows, kept, repeats = _rows(seed=batch_size)
    report = run_import(
        engine, write_csv(tmp_path / "f.csv", rows), accept_valid_rows=True, batch_size=batch_size
    )
    duplicates = {p.row_number: p.message for p in report.problems if p.field == "dossier_code"}
    assert sorted(duplicates) == sorted(repeats)
    for row_number, first in repeats.items():
        assert f"already appears in row {first}:" in duplicates[row_number]
    assert report.repeated_codes == len(repeats)
    assert report.imported == len(kept)
    with Session(engine) as session:
        stored = session.exec(
            select(Dossier.dossier_code, Dossier.row_number).where(
                Dossier.frame_id == report.frame_id
            )
        ).all()
    assert dict(stored) == kept
