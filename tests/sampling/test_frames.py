"""Tests of canonical frame ordering and label encoding."""

from __future__ import annotations

import numpy as np
import pytest

from sampling.errors import DesignError, FrameError
from sampling.frames import canonicalise, encode_labels, sizes_by_stratum


def test_encode_labels_matches_numpy_unique() -> None:
    rng = np.random.default_rng(0)
    for values in (
        rng.integers(-50, 50, 1000),
        rng.integers(0, 2**40, 100),  # wide range: falls back to np.unique
        np.array(["x", "b", "x", "a"]),
        np.array([], dtype=np.int64),
    ):
        labels, codes = encode_labels(values)
        ref_labels, ref_codes = np.unique(values, return_inverse=True)
        np.testing.assert_array_equal(labels, ref_labels)
        np.testing.assert_array_equal(codes, ref_codes)
        assert labels.dtype == values.dtype


def test_canonical_order_is_stratum_then_keys_then_id() -> None:
    ids = np.array([5, 2, 9, 1, 7, 3])
    stratum = np.array([1, 0, 1, 0, 1, 0])
    field = np.array(["b", "a", "a", "a", "b", "b"])
    frame = canonicalise(ids, stratum, sort_keys=[field])
    assert ids[frame.order].tolist() == [1, 2, 3, 9, 5, 7]
    assert frame.counts.tolist() == [3, 3]
    assert frame.starts.tolist() == [0, 3]
    assert frame.code.tolist() == [0, 0, 0, 1, 1, 1]
    shuffled = canonicalise(ids[::-1], stratum[::-1], sort_keys=[field[::-1]])
    assert shuffled.content_hash == frame.content_hash
    assert ids[::-1][shuffled.order].tolist() == ids[frame.order].tolist()


def test_missing_dates_sort_last() -> None:
    ids = np.array([1, 2, 3])
    dates = np.array(["2026-03-01", "NaT", "2026-01-15"], dtype="datetime64[D]")
    frame = canonicalise(ids, np.zeros(3, dtype=np.int64), sort_keys=[dates])
    assert ids[frame.order].tolist() == [3, 1, 2]


def test_sizes_by_stratum() -> None:
    labels = np.array(["a", "b"])
    assert sizes_by_stratum({"b": 2, "a": 1}, labels).tolist() == [1, 2]
    assert sizes_by_stratum(3, labels).tolist() == [3, 3]
    with pytest.raises(DesignError, match="sizes must be a mapping"):
        sizes_by_stratum([1, 2], labels)  # type: ignore[arg-type]


def test_frame_errors() -> None:
    with pytest.raises(FrameError, match="one-dimensional"):
        canonicalise(np.zeros((2, 2), dtype=np.int64), np.zeros(4, dtype=np.int64))
    with pytest.raises(FrameError, match=r"sort_keys\[0\]"):
        canonicalise(np.arange(3), np.zeros(3, dtype=np.int64), sort_keys=[np.arange(2)])


def test_sizes_lookup_is_exact() -> None:
    labels = np.array(["A", "B"])
    with pytest.raises(DesignError, match="'AB', which has no units"):
        sizes_by_stratum({"A": 1, "B": 1, "AB": 1}, labels)
    ints = np.array([3, 9])
    assert sizes_by_stratum({np.int64(9): 2, 3: 1}, ints).tolist() == [1, 2]
    with pytest.raises(DesignError, match="'3', which has no units"):
        sizes_by_stratum({"3": 1, 9: 1}, ints)


def test_empty_frame() -> None:
    frame = canonicalise(np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert frame.n_units == 0
    assert frame.n_strata == 0
    assert frame.starts.size == 0
