"""The compact first-row index agrees with a plain dict on every code, across and within batches."""

from __future__ import annotations

import numpy as np

from survey.dossier_codes import FirstRowIndex


def test_matches_a_dict_across_many_batches() -> None:
    rng = np.random.default_rng(11)
    codes = [f"HS-{k:06d}" for k in rng.integers(0, 20_000, size=60_000)]
    rows = np.arange(2, len(codes) + 2, dtype=np.int64)  # data rows start at 2 (header = row 1)
    reference: dict[str, int] = {}
    expected = np.array([reference.setdefault(c, int(r)) for c, r in zip(codes, rows, strict=True)])
    index = FirstRowIndex()
    got = []
    start = 0
    for size in rng.integers(1, 5_000, size=1_000):
        stop = min(start + int(size), len(codes))
        got.append(index.claim(codes[start:stop], rows[start:stop]))
        start = stop
        if start == len(codes):
            break
    np.testing.assert_array_equal(np.concatenate(got), expected)
    assert len(index) == len(reference)


def test_repeats_inside_one_batch_and_empty_batches() -> None:
    index = FirstRowIndex()
    assert index.claim([], np.array([], dtype=np.int64)).tolist() == []
    first = index.claim(["a", "b", "a", "c", "b", "a"], np.array([2, 3, 4, 5, 6, 7]))
    assert first.tolist() == [2, 3, 2, 5, 3, 2]
    assert index.claim(["c", "d", "d"], np.array([8, 9, 10])).tolist() == [5, 9, 9]
    assert len(index) == 4
