"""Tests of frame hashing, random streams and draw records."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest
from scipy import stats

from sampling import reproducibility
from sampling.draws import draw_stratified
from sampling.errors import DesignError, FrameError
from sampling.reproducibility import (
    DrawRecord,
    canonical_bytes,
    frame_hash,
    library_version,
    purpose_key,
    resolve_seed,
    stream,
    uniform_below,
    unit_hashes,
    unit_keys,
)

IDS = np.array([10, 3, 7, 25, 1])
STRATA = np.array(["b", "a", "a", "b", "c"])


def test_frame_hash_ignores_row_order_and_byte_order() -> None:
    base = frame_hash(IDS, STRATA)
    perm = np.array([4, 2, 0, 1, 3])
    assert frame_hash(IDS[perm], STRATA[perm]) == base
    assert frame_hash(IDS.astype(">i8"), STRATA) == base
    assert frame_hash(IDS.astype(np.int32), STRATA) == base
    assert len(base) == 64


def test_frame_hash_is_sha256_of_documented_bytes() -> None:
    # Recompute from the documented recipe, independently of frame_hash's own code path.
    order = np.argsort(IDS)
    parts = [canonical_bytes(IDS[order]), canonical_bytes(STRATA[order])]
    h = hashlib.sha256(b"sipas-frame-v1")
    for part in parts:
        h.update(len(part).to_bytes(8, "little") + part)
    assert frame_hash(IDS, STRATA) == h.hexdigest()


def test_frame_hash_changes_with_content() -> None:
    base = frame_hash(IDS, STRATA)
    assert frame_hash(np.array([10, 3, 7, 25, 2]), STRATA) != base
    assert frame_hash(IDS, np.array(["b", "a", "a", "b", "b"])) != base
    assert frame_hash(IDS.astype(str), STRATA) != base
    assert frame_hash(IDS, STRATA, extra=[np.arange(5)]) != base


def test_canonical_bytes_rejects_objects() -> None:
    with pytest.raises(FrameError, match="dtype"):
        canonical_bytes(np.array([{"a": 1}], dtype=object), name="unit_id")


def test_streams_are_keyed_by_purpose_and_label() -> None:
    a = stream(5, 1, "HN-01").random(4)
    np.testing.assert_array_equal(a, stream(5, 1, "HN-01").random(4))
    assert not np.array_equal(a, stream(5, 2, "HN-01").random(4))
    assert not np.array_equal(a, stream(6, 1, "HN-01").random(4))
    assert not np.array_equal(a, stream(5, 1, "HN-02").random(4))
    np.testing.assert_array_equal(stream(5, 1, 7).random(3), stream(5, 1, np.int64(7)).random(3))
    assert not np.array_equal(stream(5, 1, 7).random(3), stream(5, 1, "7").random(3))


def test_seed_resolution() -> None:
    assert resolve_seed(12) == 12
    fresh = resolve_seed(None)
    assert isinstance(fresh, int)
    assert fresh >= 0
    with pytest.raises(DesignError, match="seed"):
        resolve_seed(-1)
    with pytest.raises(DesignError, match="seed"):
        resolve_seed(1.5)  # type: ignore[arg-type]


def test_unseeded_draw_can_be_repeated_from_its_record() -> None:
    first = draw_stratified(IDS, STRATA, {"a": 1, "b": 1, "c": 1})
    again = draw_stratified(IDS, STRATA, {"a": 1, "b": 1, "c": 1}, seed=first.record.seed)
    np.testing.assert_array_equal(first.unit_id, again.unit_id)


def test_record_is_frozen_and_serialisable() -> None:
    s = draw_stratified(IDS, STRATA, {"a": 1, "b": 2, "c": 0}, seed=3, n_reserve=1)
    record = s.record
    assert record.frame_hash == frame_hash(IDS, STRATA)
    assert record.library_version == library_version()
    assert record.numpy_version == np.__version__
    data = json.loads(record.to_json())
    assert data["design"] == {"strata": ["a", "b", "c"], "sizes": [1, 2, 0], "n_reserve": [1, 0, 0]}
    assert data["seed"] == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.seed = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.design["sizes"] = []  # type: ignore[index]
    assert DrawRecord("m", 1, "h", 0, {"k": [1]}) == DrawRecord("m", 1, "h", 0, {"k": (1,)})


def test_recorded_hash_can_be_verified_from_the_frame() -> None:
    from sampling.draws import draw_systematic
    from sampling.pps import draw_pps_systematic

    field = np.array([2, 1, 1, 2, 1])
    s = draw_systematic(IDS, STRATA, 1, sort_keys={"field": field}, seed=1)
    assert s.record.frame_hash == frame_hash(IDS, STRATA, extra=[field])
    size = np.array([3.0, 1.0, 2.0, 5.0, 4.0])
    p = draw_pps_systematic(IDS, size, 2, seed=1)
    assert p.record.frame_hash == frame_hash(IDS, np.zeros(5, dtype=np.int64), extra=[size])


def test_fresh_seeds_fit_a_signed_64_bit_column() -> None:
    seeds = {resolve_seed(None) for _ in range(20)}
    assert len(seeds) == 20
    assert all(0 <= s < 2**63 for s in seeds)


def test_unit_hashes_depend_on_the_value_only() -> None:
    ints, _ = unit_hashes(IDS)
    np.testing.assert_array_equal(ints, unit_hashes(IDS.astype(np.int32))[0])
    np.testing.assert_array_equal(ints, unit_hashes(IDS.astype(">i8"))[0])
    np.testing.assert_array_equal(ints[::-1], unit_hashes(IDS[::-1])[0])
    codes = np.array(["HS-1", "HS-22", "a\x00b", "ab", "Hồ sơ 7"])
    text, salt = unit_hashes(codes)
    assert salt == 0
    np.testing.assert_array_equal(text, unit_hashes(codes.astype("<U30"))[0])
    np.testing.assert_array_equal(text, unit_hashes(codes.astype(">U9"))[0])
    assert np.unique(text).size == codes.size  # "a\0b" and "ab" differ by their length
    assert not np.array_equal(unit_hashes(IDS.astype(str))[0], ints)


def test_unit_hashes_reject_duplicates_and_resalt_collisions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(FrameError, match="unit_id 'x' appears more than once"):
        unit_hashes(np.array(["y", "x", "z", "x"]))
    real = reproducibility._raw_unit_hashes

    def weak(ids: np.ndarray, salt: int) -> np.ndarray:
        # Salts 0 and 1 collide for every pair of ids; salt 2 is the real hash.
        return real(ids, salt) if salt >= 2 else np.zeros(ids.size, dtype=np.uint64) + salt

    monkeypatch.setattr(reproducibility, "_raw_unit_hashes", weak)
    hashes, salt = unit_hashes(np.array(["b", "a", "c"]))
    assert salt == 2
    np.testing.assert_array_equal(hashes, real(np.array(["b", "a", "c"]), 2))
    with pytest.raises(FrameError, match="unit_id 'a' appears more than once"):
        unit_hashes(np.array(["a", "b", "a"]))


def test_unit_keys_follow_the_documented_recipe() -> None:
    raw = b"sipas-keys-v1|" + (12).to_bytes(8, "little") + (3).to_bytes(8, "little")
    assert int(purpose_key(12, 3)) == int.from_bytes(hashlib.sha256(raw).digest()[:8], "little")
    hashes = np.array([0, 1, 2**64 - 1], dtype=np.uint64)
    mask = 2**64 - 1
    expected = []
    for h in hashes.tolist():
        z = (h + int(purpose_key(12, 3))) & mask
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & mask
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB & mask
        expected.append(z ^ (z >> 31))
    assert unit_keys(12, 3, hashes).tolist() == expected
    assert unit_keys(13, 3, hashes).tolist() != expected


def test_uniform_below_is_exact_and_uniform() -> None:
    # Reference: the first 64-bit word of the documented SHA-256 below 2**64 - 2**64 % n.
    n = 7
    words = b"".join(w.to_bytes(4, "little") for w in reproducibility._label_words("HN"))
    digest = hashlib.sha256(b"sipas-int-v1|5|2|0|" + words).digest()
    first = int.from_bytes(digest[:8], "little")
    assert first < 2**64 - 2**64 % n
    assert uniform_below(5, 2, "HN", n) == first % n
    draws = [uniform_below(seed, 2, "HN", 10) for seed in range(3000)]
    assert stats.chisquare(np.bincount(draws, minlength=10)).pvalue > 1e-3
    assert uniform_below(1, 2, "x", 1) == 0
    with pytest.raises(DesignError):
        uniform_below(1, 2, "x", 0)
