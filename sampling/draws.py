"""Reproducible single-stage draws: stratified SRSWOR and systematic sampling within strata.

Both designs give every unit of stratum ``h`` the inclusion probability ``n_h / N_h`` and base
weight ``N_h / n_h`` (Cochran 1977, §5.2 and §8.2; Lohr 2019, §3.2 and §2.8), and both return a
per-stratum reserve list: units not selected, in a random order, flagged with their place in it.

SRSWOR by random sort. Every unit gets a 64-bit key from a counter-based generator keyed by the
seed and the unit's id (``mix64(unit_hash + K)``, see :mod:`sampling.reproducibility`); the
sample of stratum ``h`` is its ``n_h`` units with the smallest keys and the reserve the next
``r_h``. If the keys are i.i.d. (distinct) uniform, their order is a uniformly random permutation
of the stratum, so the ``n_h`` smallest are a simple random sample without replacement and the
next ``r_h`` a random order of the rest: the *random sort* method (Tillé 2006, "Sampling
Algorithms", §4.5; Sunter 1977; Ohlsson 1998 on order sampling with equal sizes). Because a key
depends only on (seed, id), the sample does not depend on the row order of the frame or on the
other strata. Instead of sorting all ``N`` keys, a per-stratum threshold a few binomial standard
deviations above ``(n_h + r_h) / N_h`` keeps a small candidate set, verified to hold at least
``n_h + r_h`` units per stratum (strata that fall short use every unit), and only the candidates
are sorted; the result is identical to a full sort. The keys are computed in cache-sized chunks
of a :class:`~sampling.frames.PreparedFrame`, so a draw reads each unit once and sorts nothing
of the size of the frame.

Systematic sampling uses integer arithmetic on all strata at once: with ``s_h`` uniform on
``{0, ..., N_h - 1}`` the selected positions are ``floor((s_h + j N_h) / n_h)``,
``j = 0..n_h-1`` — a fractional interval ``N_h / n_h`` giving exactly ``n_h`` units, each with
probability exactly ``n_h / N_h``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sampling.errors import DesignError, FrameError
from sampling.frames import (
    CanonicalFrame,
    PreparedFrame,
    canonicalise,
    prepare_frame,
    sizes_by_stratum,
)
from sampling.reproducibility import (
    DrawRecord,
    _raw_unit_hashes,
    mix64,
    purpose_key,
    readonly,
    resolve_seed,
    uniform_below,
    unit_hashes,
    unit_keys,
)

__all__ = [
    "FrameChunk",
    "Sample",
    "draw_stratified",
    "draw_stratified_frame",
    "draw_stratified_stream",
    "draw_systematic",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# Purposes of randomness; each gets its own stream per stratum so they never shift each other.
PURPOSE_SRS_KEYS = 1
PURPOSE_SYSTEMATIC_START = 2
PURPOSE_RESERVE_KEYS = 3

# A key no uniform draw can reach: marks units that must not be chosen.
_EXCLUDED = 2.0


@dataclass(frozen=True)
class Sample:
    """A drawn sample: main units and reserves, one row each (arrays are read-only).

    Rows are ordered by stratum label, then main units in canonical frame order, then reserves by
    ``reserve_order``.

    Attributes
    ----------
    index
        Row positions in the arrays passed to the draw.
    unit_id, stratum
        Id and stratum label of each row.
    stratum_size
        ``N_h`` of the row's stratum (for the finite population correction).
    inclusion_prob
        Probability ``pi_i`` that the unit is in the *main* sample.
    weight
        Base weight ``1 / pi_i``. Reserves carry their stratum's design values too; when a reserve
        replaces a non-respondent, the analysis layer's non-response adjustment re-weights.
    is_reserve
        True for reserve (replacement) units.
    reserve_order
        0 for main units; 1, 2, ... the order in which reserves of a stratum are to be used.
    record
        Seed, design, frame hash and versions.
    """

    index: IntArray
    unit_id: NDArray[Any]
    stratum: NDArray[Any]
    stratum_size: IntArray
    inclusion_prob: FloatArray
    weight: FloatArray
    is_reserve: NDArray[np.bool_]
    reserve_order: IntArray
    record: DrawRecord

    @property
    def n_main(self) -> int:
        """Number of main (non-reserve) units."""
        return int(np.count_nonzero(~self.is_reserve))


def check_sizes_fit(
    n: IntArray, frame: CanonicalFrame | PreparedFrame, *, name: str = "sizes"
) -> None:
    """Raise :class:`DesignError` naming the first stratum whose size exceeds its population."""
    over = np.flatnonzero(n > frame.counts)
    if over.size:
        h = int(over[0])
        label, count = frame.labels[h].item(), int(frame.counts[h])
        raise DesignError(
            f"{name} asks for {int(n[h])} units in stratum {label!r}, which has only {count}; "
            f"lower it to at most {count} (take-all)",
            loc=(name, str(frame.labels[h])),
        )


def stratum_keys(
    seed: int, purpose: int, frame: CanonicalFrame, need: NDArray[np.bool_]
) -> FloatArray:
    """Uniform keys in canonical order from the units' counter-based keys (53-bit floats).

    Units of strata not needed get the excluded key.
    """
    keys = np.full(frame.n_units, _EXCLUDED)
    needed = np.flatnonzero(need[frame.code])
    if needed.size:
        hashes, _ = unit_hashes(frame.unit_id[frame.order[needed]], unique=True)
        keys[needed] = (unit_keys(seed, purpose, hashes) >> np.uint64(11)) * 2.0**-53
    return keys


def smallest_keys(
    keys: FloatArray,
    code: IntArray,
    pool: IntArray,
    m: IntArray,
) -> tuple[IntArray, IntArray]:
    """Positions and ranks of the ``m_h`` smallest keys in each stratum.

    Parameters
    ----------
    keys
        Uniform keys in canonical order; excluded units carry a key of 2.
    code
        Stratum code of each position.
    pool
        Number of eligible (non-excluded) units per stratum, ``m_h <= pool_h``.
    m
        How many to take per stratum.

    Returns
    -------
    positions, ranks
        Canonical positions sorted by (stratum, key) and the 0-based rank of each in its stratum.
    """
    n_strata = m.size
    mf = m.astype(np.float64)
    # Candidates: keys below a threshold ~6 binomial SDs above the needed fraction, so that
    # falling short (handled below) is astronomically rare and the candidate set stays small.
    threshold = np.where(
        m > 0, np.minimum(1.0, (mf + 6.0 * np.sqrt(mf) + 10.0) / np.maximum(pool, 1)), -1.0
    )
    cand = np.flatnonzero(keys < threshold[code])
    short = np.bincount(code[cand], minlength=n_strata) < m
    if short.any():
        threshold[short] = 1.0
        cand = np.flatnonzero(keys < threshold[code])
    cand_code = code[cand]
    order = np.lexsort((keys[cand], cand_code))
    cand, cand_code = cand[order], cand_code[order]
    first = np.searchsorted(cand_code, np.arange(n_strata))
    rank = np.arange(cand.size, dtype=np.int64) - first[cand_code]
    keep = rank < m[cand_code]
    return cand[keep].astype(np.int64), rank[keep]


def assemble_sample(
    frame: CanonicalFrame | PreparedFrame,
    positions: IntArray,
    ranks: IntArray,
    n: IntArray,
    prob: FloatArray,
    record: DrawRecord,
) -> Sample:
    """Build a :class:`Sample` from frame positions and within-stratum ranks.

    A rank below ``n_h`` marks a main unit; rank ``n_h + k - 1`` is reserve number ``k``. Main
    units of a stratum come in canonical order: by position in a :class:`CanonicalFrame`, by
    unit id in a :class:`PreparedFrame` (whose groups have no order of their own).
    """
    code = frame.code[positions].astype(np.int64)
    is_reserve = ranks >= n[code]
    reserve_order = np.where(is_reserve, ranks - n[code] + 1, 0).astype(np.int64)
    prepared = isinstance(frame, PreparedFrame)
    within = frame.unit_id[frame.order[positions]] if prepared else positions
    out = np.lexsort((within, reserve_order, code))
    positions, code = positions[out], code[out]
    is_reserve, reserve_order = is_reserve[out], reserve_order[out]
    index = frame.order[positions]
    pi = prob[code]
    return Sample(
        index=readonly(index),
        unit_id=readonly(frame.unit_id[index]),
        stratum=readonly(frame.labels[code]),
        stratum_size=readonly(frame.counts[code]),
        inclusion_prob=readonly(pi),
        weight=readonly(1.0 / pi),
        is_reserve=readonly(is_reserve),
        reserve_order=readonly(reserve_order),
        record=record,
    )


# Units per chunk of the key pass: three uint64 buffers of this length stay in the L2 cache.
_CHUNK = 1 << 15
_ALL = np.uint64(2**64 - 1)


_BELOW_ONE = 1.0 - 2.0**-53
_SHORTFALL_SDS = 6.0


def _thresholds(take: IntArray, pool: IntArray) -> NDArray[np.uint64]:
    # The expected candidates m = N p solve m - z sqrt(m) = take: the count kept, Binomial(N, p)
    # with SD <= sqrt(m), falls short of take_h only z = 6 SDs down (~1e-9 a stratum), so even
    # a 4,775-stratum draw almost never redoes a stratum (a whole second pass when streamed).
    # The earlier take + 3 sqrt(take) + 3 was ~3 SDs: a few strata redone in most draws.
    t = take.astype(np.float64)
    z = _SHORTFALL_SDS
    frac = (t + z * z / 2.0 + z * np.sqrt(z * z / 4.0 + t)) / np.maximum(pool, 1)
    # Capped just below 1 so the product stays under 2**64; a cap at 1/2 made every stratum
    # that needs more than half its units fall short, and a streamed draw read the frame twice.
    thr = (np.minimum(frac, _BELOW_ONE) * 2.0**64).astype(np.uint64)
    return np.where(frac >= 1.0, _ALL, np.where(take > 0, thr, np.uint64(0)))


def _candidates(
    frame: PreparedFrame, key: np.uint64, thr: NDArray[np.uint64]
) -> tuple[IntArray, NDArray[np.uint64]]:
    """Grouped positions whose key is at most their stratum's threshold, and those keys."""
    n = frame.n_units
    z = np.empty(min(_CHUNK, n), dtype=np.uint64)
    scratch, limit = np.empty_like(z), np.empty_like(z)
    below = np.empty(z.size, dtype=np.bool_)
    positions: list[IntArray] = []
    keys: list[NDArray[np.uint64]] = []
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        m = stop - start
        zz = z[:m]
        np.add(frame.unit_hash[start:stop], key, out=zz)
        mix64(zz, scratch[:m])
        np.take(thr, frame.code[start:stop], out=limit[:m])
        np.less_equal(zz, limit[:m], out=below[:m])
        hit = np.flatnonzero(below[:m])
        positions.append(hit + start)
        keys.append(zz[hit])
    if not positions:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(positions).astype(np.int64), np.concatenate(keys)


def _smallest_unit_keys(
    frame: PreparedFrame, key: np.uint64, take: IntArray
) -> tuple[IntArray, IntArray]:
    """Grouped positions of the ``take_h`` smallest keys of each stratum, and their ranks."""
    pos, keys = _candidates(frame, key, _thresholds(take, frame.counts))
    code = frame.code[pos]
    short = np.flatnonzero(np.bincount(code, minlength=take.size) < take)
    if short.size:
        keep = ~np.isin(code, short)
        whole = [np.arange(frame.starts[h], frame.starts[h] + frame.counts[h]) for h in short]
        extra = np.concatenate(whole)
        extra_keys = mix64(frame.unit_hash[extra] + key)
        pos = np.concatenate((pos[keep], extra))
        keys = np.concatenate((keys[keep], extra_keys))
        code = frame.code[pos]
    # Keys are distinct (a bijection of distinct unit hashes), so this order has no ties.
    order = np.lexsort((keys, code))
    pos, code = pos[order], code[order].astype(np.int64)
    first = np.searchsorted(code, np.arange(take.size))
    rank = np.arange(pos.size, dtype=np.int64) - first[code]
    keep = rank < take[code]
    return pos[keep], rank[keep]


def _reserve_sizes(
    n_reserve: Mapping[Any, int] | int, frame: CanonicalFrame | PreparedFrame, n: IntArray
) -> IntArray:
    # A reserve can only hold the units left over, and a stratum with no sample has nothing to
    # replace; asking for more is not an error.
    wanted = sizes_by_stratum(n_reserve, frame.labels, name="n_reserve")
    return np.where(n > 0, np.minimum(wanted, frame.counts - n), 0)


def draw_stratified(
    unit_id: ArrayLike,
    stratum: ArrayLike,
    sizes: Mapping[Any, int] | int,
    *,
    seed: int | None = None,
    n_reserve: Mapping[Any, int] | int = 0,
    frame_hash: str | None = None,
) -> Sample:
    """Stratified simple random sampling without replacement, with reserve lists.

    Each stratum is an independent SRSWOR of ``n_h`` from ``N_h`` units, so
    ``pi_i = n_h / N_h`` and the base weight is ``N_h / n_h`` (Cochran 1977, §5.2;
    Lohr 2019, §3.2). The ``r_h`` reserves are the first units of a uniformly random order of
    the unselected units.

    Parameters
    ----------
    unit_id
        Unique ids (integers or strings), one per frame unit.
    stratum
        Stratum label of each unit (integers or strings).
    sizes
        ``{stratum label: n_h}`` for every stratum of the frame (0 to skip one), or one integer
        for all strata.
    seed
        Non-negative integer; None draws one from OS entropy (it is recorded either way).
    n_reserve
        Reserve list length per stratum (mapping or one integer), capped at ``N_h - n_h``.
    frame_hash
        The frame's content hash computed at import, recorded instead of hashing again.

    Returns
    -------
    Sample
        Main units and reserves; the same inputs (in any row order) give the identical sample.

    Raises
    ------
    DesignError
        If a size is negative, missing, or larger than its stratum's population.
    FrameError
        If ids are duplicated or arrays malformed.
    """
    frame = prepare_frame(unit_id, stratum, frame_hash=frame_hash)
    return draw_stratified_frame(frame, sizes, seed=seed, n_reserve=n_reserve)


def draw_stratified_frame(
    frame: PreparedFrame,
    sizes: Mapping[Any, int] | int,
    *,
    seed: int | None = None,
    n_reserve: Mapping[Any, int] | int = 0,
) -> Sample:
    """:func:`draw_stratified` on a frame prepared once by :func:`~sampling.frames.prepare_frame`.

    Gives the identical sample to ``draw_stratified(unit_id, stratum, ...)`` on the same arrays;
    the validation, unit hashes, grouping and content hash are not redone.
    """
    n = sizes_by_stratum(sizes, frame.labels)
    check_sizes_fit(n, frame)
    reserve = _reserve_sizes(n_reserve, frame, n)
    used_seed = resolve_seed(seed)
    take = n + reserve
    positions, ranks = _smallest_unit_keys(frame, purpose_key(used_seed, PURPOSE_SRS_KEYS), take)
    prob = np.divide(n, frame.counts, out=np.zeros(n.size), where=frame.counts > 0)
    record = DrawRecord(
        method="stratified_srswor",
        seed=used_seed,
        frame_hash=frame.content_hash,
        n_units=frame.n_units,
        design={
            "strata": frame.labels.tolist(),
            "sizes": n.tolist(),
            "n_reserve": reserve.tolist(),
        },
    )
    return assemble_sample(frame, positions, ranks, n, prob, record)


def draw_systematic(
    unit_id: ArrayLike,
    stratum: ArrayLike,
    sizes: Mapping[Any, int] | int,
    *,
    sort_keys: Mapping[str, ArrayLike] | None = None,
    seed: int | None = None,
    n_reserve: Mapping[Any, int] | int = 0,
    frame_hash: str | None = None,
) -> Sample:
    """Systematic sampling within strata after sorting (implicit stratification).

    Within stratum ``h`` the units are ordered by ``sort_keys`` (then unit id); with the
    fractional interval ``k_h = N_h / n_h`` and an integer start ``s_h`` uniform on
    ``{0, ..., N_h - 1}``, the units at positions ``floor((s_h + j N_h) / n_h)``,
    ``j = 0, ..., n_h - 1``, are selected. Exactly ``n_h`` distinct units are chosen and each has
    ``pi_i = n_h / N_h`` exactly (each position interval ``[i n_h, (i+1) n_h)`` holds ``n_h`` of the
    ``n_h N_h`` equally likely values of ``s_h + j N_h``); cf. Cochran 1977, §8.1–8.2 and
    Lohr 2019, §2.8 and §3.2. Sorting by e.g. procedure field and date spreads the sample over
    them. Reserves are drawn from the unselected units in random order, as in
    :func:`draw_stratified`.

    Parameters
    ----------
    unit_id, stratum, sizes, seed, n_reserve, frame_hash
        As in :func:`draw_stratified`.
    sort_keys
        ``{name: per-unit values}``; the mapping's order is the sort significance (first = most
        significant). Missing values (NaN/NaT) sort last.

    Returns
    -------
    Sample

    Raises
    ------
    DesignError, FrameError
        As in :func:`draw_stratified`.
    """
    keys_map = dict(sort_keys or {})
    frame = canonicalise(
        unit_id, stratum, sort_keys=list(keys_map.values()), content_hash=frame_hash
    )
    n = sizes_by_stratum(sizes, frame.labels)
    check_sizes_fit(n, frame)
    reserve = _reserve_sizes(n_reserve, frame, n)
    used_seed = resolve_seed(seed)

    start = np.zeros(n.size, dtype=np.int64)
    for h in np.flatnonzero(n > 0):
        label = frame.labels[h].item()
        start[h] = uniform_below(used_seed, PURPOSE_SYSTEMATIC_START, label, int(frame.counts[h]))
    stratum_of = np.repeat(np.arange(n.size, dtype=np.int64), n)
    j = np.arange(stratum_of.size, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
    local = (start[stratum_of] + j * frame.counts[stratum_of]) // n[stratum_of]
    main_pos = frame.starts[stratum_of] + local

    keys = stratum_keys(used_seed, PURPOSE_RESERVE_KEYS, frame, reserve > 0)
    keys[main_pos] = _EXCLUDED
    res_pos, res_rank = smallest_keys(keys, frame.code, frame.counts - n, reserve)

    prob = np.divide(n, frame.counts, out=np.zeros(n.size), where=frame.counts > 0)
    record = DrawRecord(
        method="stratified_systematic",
        seed=used_seed,
        frame_hash=frame.content_hash,
        n_units=frame.n_units,
        design={
            "strata": frame.labels.tolist(),
            "sizes": n.tolist(),
            "n_reserve": reserve.tolist(),
            "sort_keys": list(keys_map),
        },
    )
    return assemble_sample(
        frame,
        np.concatenate((main_pos, res_pos)),
        np.concatenate((j, res_rank + n[frame.code[res_pos]])),
        n,
        prob,
        record,
    )


@dataclass(frozen=True)
class FrameChunk:
    """A slice of a frame streamed to :func:`draw_stratified_stream`.

    Attributes
    ----------
    unit_id
        Unique ids (integers or strings) of the slice's units.
    code
        Stratum of each unit: its index into the draw's ``labels``.
    row
        The caller's handle of each unit (e.g. a database id), returned as ``Sample.index``.
    """

    unit_id: NDArray[Any]
    code: NDArray[np.integer[Any]]
    row: IntArray


@dataclass(frozen=True)
class _Strata:
    labels: NDArray[Any]
    counts: IntArray


def _stream_pass(
    chunks: Iterable[FrameChunk], salt: int, key: np.uint64, thr: NDArray[np.uint64], n_units: int
) -> tuple[NDArray[np.uint64], list[tuple[NDArray[Any], IntArray, IntArray, NDArray[np.uint64]]]]:
    """One pass: every unit hash (8 bytes a unit, for the collision check) and the candidates
    (id, code, row, key) whose key is at most their stratum's threshold."""
    hashes = np.empty(n_units, dtype=np.uint64)
    kept: list[tuple[NDArray[Any], IntArray, IntArray, NDArray[np.uint64]]] = []
    at = 0
    for chunk in chunks:
        ids = np.asarray(chunk.unit_id)
        m = ids.size
        if at + m > n_units:
            raise FrameError(
                f"the frame streamed more than the {n_units} units counted; it changed during "
                "the draw, draw again",
                loc=("unit_id",),
            )
        h = _raw_unit_hashes(ids, salt)
        hashes[at : at + m] = h
        at += m
        code = np.asarray(chunk.code, dtype=np.int64)
        z = mix64(h + key)
        hit = np.flatnonzero(z <= thr[code])
        if hit.size:
            kept.append((ids[hit], code[hit], np.asarray(chunk.row)[hit], z[hit]))
    if at != n_units:
        raise FrameError(
            f"the frame streamed {at} units but {n_units} were counted; it changed during the "
            "draw, draw again",
            loc=("unit_id",),
        )
    return hashes, kept


def draw_stratified_stream(
    chunks: Callable[[], Iterable[FrameChunk]],
    labels: NDArray[Any],
    counts: IntArray,
    sizes: Mapping[Any, int] | int,
    *,
    seed: int | None = None,
    n_reserve: Mapping[Any, int] | int = 0,
    frame_hash: str,
) -> Sample:
    """:func:`draw_stratified` over a frame streamed in chunks, in memory ``O(N)`` 8-byte words.

    The same random sort: unit ``i`` gets the key ``mix64(unit_hash_i + K(seed, purpose))`` and
    stratum ``h`` takes its ``n_h + r_h`` smallest keys. Each pass keeps only the units whose key
    is below their stratum's threshold (a few binomial SDs above ``(n_h + r_h) / N_h``, as
    :func:`draw_stratified_frame`) and every unit hash (8 bytes a unit), which are then sorted
    to apply the same collision rule as :func:`~sampling.reproducibility.unit_hashes` (a clash
    of two distinct ids re-hashes the frame with the next salt; equal ids are an error). A
    stratum left with fewer candidates than it needs is streamed again with no threshold. So
    the sample is *identical* to ``draw_stratified(all ids, all strata, ...)``, whatever the
    chunking and the row order.

    Parameters
    ----------
    chunks
        Called once per pass (usually one), it returns the frame as :class:`FrameChunk` s.
    labels, counts
        The sorted distinct stratum labels and ``N_h`` (e.g. from a GROUP BY); chunk codes index
        ``labels``. The streamed units must match the counts.
    sizes, seed, n_reserve, frame_hash
        As in :func:`draw_stratified` (the content hash computed at import is required: a stream
        is not hashed again).

    Returns
    -------
    Sample
        As :func:`draw_stratified` gives, except that ``index`` holds the chunks' ``row``.
    """
    strata = _Strata(np.asarray(labels), np.asarray(counts, dtype=np.int64))
    n = sizes_by_stratum(sizes, strata.labels)
    check_sizes_fit(n, strata)  # type: ignore[arg-type]
    reserve = _reserve_sizes(n_reserve, strata, n)  # type: ignore[arg-type]
    used_seed = resolve_seed(seed)
    take = n + reserve
    key = purpose_key(used_seed, PURPOSE_SRS_KEYS)
    n_units = int(strata.counts.sum())
    thr = _thresholds(take, strata.counts)
    salt = 0
    while True:
        hashes, kept = _stream_pass(chunks(), salt, key, thr, n_units)
        hashes.sort()
        clash = np.flatnonzero(hashes[1:] == hashes[:-1])
        if not clash.size:
            break
        bad = hashes[clash[0]]
        del hashes
        same: list[Any] = []
        for chunk in chunks():
            ids = np.asarray(chunk.unit_id)
            same.extend(ids[_raw_unit_hashes(ids, salt) == bad].tolist())
        if len(set(same)) < len(same):
            raise FrameError(
                f"unit_id {same[0]!r} appears more than once; ids must be unique",
                loc=("unit_id",),
            )
        salt += 1
    del hashes
    codes_kept = np.concatenate([k[1] for k in kept]) if kept else np.zeros(0, dtype=np.int64)
    short = np.flatnonzero(np.bincount(codes_kept, minlength=take.size) < take)
    if short.size:
        # Rare (a stratum fell ~4.5 SDs short): stream again keeping all of those strata.
        every = np.zeros(take.size, dtype=np.uint64)
        every[short] = _ALL
        _, extra = _stream_pass(chunks(), salt, key, every, n_units)
        kept = [
            (k[0][m], k[1][m], k[2][m], k[3][m]) for k in kept for m in [~np.isin(k[1], short)]
        ] + extra
    kept = [k for k in kept if k[1].size]
    if not kept:
        kept = [
            (
                np.zeros(0, dtype=str),
                np.zeros(0, dtype=np.int64),
                np.zeros(0, dtype=np.int64),
                np.zeros(0, dtype=np.uint64),
            )
        ]
    ids = np.concatenate([k[0] for k in kept])
    code = np.concatenate([k[1] for k in kept])
    row = np.concatenate([k[2] for k in kept]).astype(np.int64)
    keys = np.concatenate([k[3] for k in kept])
    order = np.lexsort((keys, code))
    ids, code, row = ids[order], code[order], row[order]
    first = np.searchsorted(code, np.arange(take.size))
    rank = np.arange(code.size, dtype=np.int64) - first[code]
    keep = rank < take[code]
    ids, code, row, rank = ids[keep], code[keep], row[keep], rank[keep]
    is_reserve = rank >= n[code]
    reserve_order = np.where(is_reserve, rank - n[code] + 1, 0).astype(np.int64)
    out = np.lexsort((ids, reserve_order, code))
    ids, code, row = ids[out], code[out], row[out]
    is_reserve, reserve_order = is_reserve[out], reserve_order[out]
    prob = np.divide(n, strata.counts, out=np.zeros(n.size), where=strata.counts > 0)
    pi = prob[code]
    record = DrawRecord(
        method="stratified_srswor",
        seed=used_seed,
        frame_hash=frame_hash,
        n_units=n_units,
        design={
            "strata": strata.labels.tolist(),
            "sizes": n.tolist(),
            "n_reserve": reserve.tolist(),
        },
    )
    return Sample(
        index=readonly(row.astype(np.int64)),
        unit_id=readonly(ids),
        stratum=readonly(strata.labels[code]),
        stratum_size=readonly(strata.counts[code]),
        inclusion_prob=readonly(pi),
        weight=readonly(1.0 / pi),
        is_reserve=readonly(is_reserve),
        reserve_order=readonly(reserve_order),
        record=record,
    )
