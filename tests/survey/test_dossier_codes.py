"""The Bloom filter of dossier codes: never forgets a code, flags others at about its rate."""

from __future__ import annotations

import numpy as np
import pytest

from survey.dossier_codes import MIN_BITS, XLSX_BITS, SeenCodes


def test_every_code_added_is_flagged_across_many_batches() -> None:
    rng = np.random.default_rng(11)
    codes = [f"HS-{k:06d}" for k in rng.integers(0, 200_000, size=60_000)]
    seen = SeenCodes(1 << 16)  # small on purpose: many bits collide, none may be lost
    start = 0
    for size in rng.integers(1, 5_000, size=100):
        stop = min(start + int(size), len(codes))
        seen.add(codes[start:stop])
        assert seen.maybe_seen(codes[:stop]).all()
        start = stop
        if start == len(codes):
            break


def test_codes_never_added_are_flagged_at_about_the_expected_rate() -> None:
    seen = SeenCodes(8 * 100_000)  # 8 bits a code, 5 hashes: (1 - e^(-5/8))^5 = 2.2 %
    seen.add([f"HS-2025-{k}" for k in range(100_000)])
    flagged = seen.maybe_seen([f"KHAC-{k}" for k in range(100_000)]).mean()
    assert seen.false_positive_rate() == pytest.approx(0.0217, abs=0.001)
    assert 0.01 < flagged < 0.035


def test_empty_batches_repeats_and_unicode() -> None:
    seen = SeenCodes(MIN_BITS)
    assert seen.maybe_seen([]).tolist() == []
    seen.add([])
    assert not seen.maybe_seen(["a"]).any()
    seen.add(["a", "a", "Hồ sơ 1"])
    assert seen.maybe_seen(["a", "Hồ sơ 1"]).tolist() == [True, True]


def test_the_filter_is_sized_from_the_file_not_from_its_rows() -> None:
    assert SeenCodes.for_file(1_000, "csv").bits == MIN_BITS
    assert SeenCodes.for_file(2_600_000_000, "csv").nbytes == 2_600_000_000 // 16 // 8
    assert SeenCodes.for_file(10, "xlsx").bits == XLSX_BITS
    with pytest.raises(ValueError):
        SeenCodes(0)
