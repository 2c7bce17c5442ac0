"""Frame arrays in canonical order: the common first step of every draw.

A frame is a set of units, each with a unique id, a stratum label and optional sort keys. Draws
must not depend on the order in which rows arrive, so every draw starts by putting the units in a
*canonical order*: by stratum label, then by the sort keys (implicit stratification), then by
unit id. Everything here is vectorised; the only sorts are one argsort of the ids and one stable
(radix, for up to 32,767 strata) argsort of the stratum codes.

SRSWOR needs no canonical order (its keys depend on the unit ids only): :func:`prepare_frame`
validates, hashes and groups a frame by stratum once, the work of an import, so that each draw
on it is a single pass over the units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sampling.errors import DesignError, FrameError
from sampling.reproducibility import canonical_bytes, hash_parts, unit_hashes

__all__ = [
    "CanonicalFrame",
    "PreparedFrame",
    "canonicalise",
    "encode_labels",
    "prepare_frame",
    "sizes_by_stratum",
]

IntArray = NDArray[np.int64]


def _as_label_array(values: ArrayLike, name: str) -> NDArray[Any]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise FrameError(f"{name} must be one-dimensional, got shape {arr.shape}", loc=(name,))
    if arr.dtype.kind not in "iuU":
        raise FrameError(
            f"{name} has dtype {arr.dtype}; labels and ids must be integers or strings "
            f"(convert with np.asarray({name}, dtype=str))",
            loc=(name,),
        )
    return arr


def encode_labels(values: ArrayLike, name: str = "stratum") -> tuple[NDArray[Any], IntArray]:
    """Return the sorted distinct labels and each value's code (index into them).

    Equivalent to ``np.unique(values, return_inverse=True)``, with an O(N) path for integer
    labels of modest range (the usual case of coded strata) that avoids sorting the frame.
    """
    arr = _as_label_array(values, name)
    if arr.size and arr.dtype.kind in "iu":
        lo, hi = int(arr.min()), int(arr.max())
        span = hi - lo + 1
        if span <= max(2 * arr.size, 1 << 20):
            shifted = (arr - lo).astype(np.int64)
            present = np.bincount(shifted, minlength=span) > 0
            labels = (np.flatnonzero(present) + lo).astype(arr.dtype)
            codes = (np.cumsum(present) - 1)[shifted]
            return labels, codes.astype(np.int64)
    labels, codes = np.unique(arr, return_inverse=True)
    return labels, codes.astype(np.int64)


def _sort_key_codes(key: ArrayLike, n: int, i: int) -> IntArray:
    arr = np.asarray(key)
    if arr.shape != (n,):
        raise FrameError(
            f"sort_keys[{i}] has shape {arr.shape}; it needs one value per unit ({n})",
            loc=("sort_keys", i),
        )
    if arr.dtype.kind not in "iufmMUb":
        raise FrameError(
            f"sort_keys[{i}] has dtype {arr.dtype}; use numbers, dates or strings",
            loc=("sort_keys", i),
        )
    # np.unique sorts NaN/NaT last, so missing values go to the end of their stratum.
    return np.unique(arr, return_inverse=True)[1].astype(np.int64).reshape(-1)


def _sorted_unique_ids(ids: NDArray[Any]) -> tuple[IntArray, NDArray[Any]]:
    """The argsort of the ids and the sorted ids; raises on the first duplicate."""
    by_id = np.argsort(ids, kind="stable")
    ids_sorted = ids[by_id]
    dup = np.flatnonzero(ids_sorted[1:] == ids_sorted[:-1])
    if dup.size:
        raise FrameError(
            f"unit_id {ids_sorted[dup[0]].item()!r} appears more than once (rows "
            f"{sorted(int(r) for r in by_id[dup[0] : dup[0] + 2])}); ids must be unique",
            loc=("unit_id", int(by_id[dup[0] + 1])),
        )
    return by_id, ids_sorted


def _codes_from_counts(counts: IntArray, n: int) -> IntArray:
    # Every stratum of a frame has at least one unit, so the boundaries are distinct; a cumulative
    # sum over them is much faster than np.repeat when there are few, large strata.
    steps = np.zeros(n, dtype=np.int64)
    steps[np.cumsum(counts)[:-1]] = 1
    return np.cumsum(steps)


@dataclass(frozen=True)
class CanonicalFrame:
    """A frame's units in canonical order (stratum, sort keys, unit id).

    Attributes
    ----------
    unit_id
        The ids as given (row order of the caller).
    order
        Row indices into the caller's arrays, in canonical order.
    labels
        Sorted distinct stratum labels; stratum ``h`` is ``labels[h]``.
    counts
        Units per stratum, ``N_h``.
    starts
        Position in ``order`` where stratum ``h`` begins.
    code
        Stratum code of each canonical position (``np.repeat(arange(H), counts)``).
    content_hash
        ``frame_hash(unit_id, stratum, extra=[*sort_keys, *hash_extra])``.
    """

    unit_id: NDArray[Any]
    order: IntArray
    labels: NDArray[Any]
    counts: IntArray
    starts: IntArray
    code: IntArray
    content_hash: str

    @property
    def n_units(self) -> int:
        """Number of units in the frame."""
        return int(self.order.size)

    @property
    def n_strata(self) -> int:
        """Number of distinct strata."""
        return int(self.labels.size)


def canonicalise(
    unit_id: ArrayLike,
    stratum: ArrayLike,
    sort_keys: Sequence[ArrayLike] = (),
    hash_extra: Sequence[ArrayLike] = (),
    content_hash: str | None = None,
) -> CanonicalFrame:
    """Validate a frame and put its units in canonical order.

    Parameters
    ----------
    unit_id
        Unique ids (integers or strings), one per unit.
    stratum
        Stratum label of each unit (integers or strings).
    sort_keys
        Columns to sort by within strata, most significant first (implicit stratification).
    hash_extra
        Further columns that influence the draw and so belong in the content hash.
    content_hash
        The hash the caller computed at import for this content; recorded instead of hashing.

    Returns
    -------
    CanonicalFrame

    Raises
    ------
    FrameError
        On mismatched lengths, unsupported dtypes or duplicate ids (the first duplicate is named).
    """
    ids = _as_label_array(unit_id, "unit_id")
    strata = np.asarray(stratum)
    if strata.shape != ids.shape:
        raise FrameError(
            f"stratum has {strata.size} values but unit_id has {ids.size}; give one per unit",
            loc=("stratum",),
        )
    n = ids.size
    by_id, ids_sorted = _sorted_unique_ids(ids)
    labels, codes = encode_labels(strata, "stratum")
    codes_by_id = codes[by_id]
    key_codes = [_sort_key_codes(k, n, i)[by_id] for i, k in enumerate(sort_keys)]
    small = codes_by_id.astype(np.int16) if labels.size < 2**15 else codes_by_id
    if key_codes:
        # lexsort is stable, so ties on every key keep ascending id order.
        perm = np.lexsort((*reversed(key_codes), small))
    else:
        perm = np.argsort(small, kind="stable")
    order = by_id[perm]
    counts = np.bincount(codes, minlength=labels.size).astype(np.int64)
    starts = np.cumsum(counts) - counts
    # Same recipe as reproducibility.frame_hash(unit_id, stratum, extra=[*sort_keys,
    # *hash_extra]), so anyone can verify a recorded hash from the frame alone.
    if content_hash is None:
        parts = [
            canonical_bytes(ids_sorted, name="unit_id"),
            canonical_bytes(strata[by_id], name="stratum"),
        ]
        parts.extend(canonical_bytes(np.asarray(k)[by_id], name="sort_keys") for k in sort_keys)
        parts.extend(canonical_bytes(np.asarray(k)[by_id], name="extra") for k in hash_extra)
        content_hash = hash_parts(parts)
    return CanonicalFrame(
        unit_id=ids,
        order=order.astype(np.int64),
        labels=labels,
        counts=counts,
        starts=starts,
        code=_codes_from_counts(counts, n),
        content_hash=content_hash,
    )


@dataclass(frozen=True)
class PreparedFrame:
    """A frame validated, hashed and grouped by stratum once, ready for many SRSWOR draws.

    Built by :func:`prepare_frame` (the work of an import); a draw on it touches each unit only
    to compute its key, with no sort of the frame.

    Attributes
    ----------
    unit_id
        The ids as given (row order of the caller).
    order
        Row indices into the caller's arrays, grouped by stratum (stratum ``h`` occupies
        ``order[starts[h] : starts[h] + counts[h]]``; the order inside a group carries no meaning).
    labels, counts, starts
        Sorted distinct stratum labels, ``N_h``, and where each group starts in ``order``.
    code
        Stratum code of each grouped position (int16 when there are fewer than 32,768 strata).
    unit_hash
        :func:`~sampling.reproducibility.unit_hashes` of each unit, in grouped order.
    hash_salt
        The salt that made the unit hashes distinct (0 unless a string hash collided).
    content_hash
        ``frame_hash(unit_id, stratum)``, or the hash the caller computed at import.
    """

    unit_id: NDArray[Any]
    order: IntArray
    labels: NDArray[Any]
    counts: IntArray
    starts: IntArray
    code: NDArray[np.signedinteger[Any]]
    unit_hash: NDArray[np.uint64]
    hash_salt: int
    content_hash: str

    @property
    def n_units(self) -> int:
        """Number of units in the frame."""
        return int(self.order.size)

    @property
    def n_strata(self) -> int:
        """Number of distinct strata."""
        return int(self.labels.size)


def prepare_frame(
    unit_id: ArrayLike, stratum: ArrayLike, *, frame_hash: str | None = None
) -> PreparedFrame:
    """Validate a frame, hash its units and group them by stratum, once, for fast draws.

    Parameters
    ----------
    unit_id
        Unique ids (integers or strings), one per unit.
    stratum
        Stratum label of each unit (integers or strings).
    frame_hash
        The frame's content hash if the caller already computed it at import (it is recorded
        as is and the frame is not hashed again); None computes
        ``reproducibility.frame_hash(unit_id, stratum)``.

    Returns
    -------
    PreparedFrame

    Raises
    ------
    FrameError
        On mismatched lengths, unsupported dtypes or duplicate ids (the first duplicate is named).
    """
    ids = _as_label_array(unit_id, "unit_id")
    strata = np.asarray(stratum)
    if strata.shape != ids.shape:
        raise FrameError(
            f"stratum has {strata.size} values but unit_id has {ids.size}; give one per unit",
            loc=("stratum",),
        )
    labels, codes = encode_labels(strata, "stratum")
    if frame_hash is None:
        by_id, ids_sorted = _sorted_unique_ids(ids)
        frame_hash = hash_parts(
            [
                canonical_bytes(ids_sorted, name="unit_id"),
                canonical_bytes(strata[by_id], name="stratum"),
            ]
        )
        hashes, salt = unit_hashes(ids, unique=True)
    else:
        hashes, salt = unit_hashes(ids)  # also rejects duplicate ids, without sorting them
    small = codes.astype(np.int16) if labels.size < 2**15 else codes
    order = np.argsort(small, kind="stable").astype(np.int64)
    counts = np.bincount(codes, minlength=labels.size).astype(np.int64)
    return PreparedFrame(
        unit_id=ids,
        order=order,
        labels=labels,
        counts=counts,
        starts=np.cumsum(counts) - counts,
        code=small[order],
        unit_hash=hashes[order],
        hash_salt=salt,
        content_hash=frame_hash,
    )


def sizes_by_stratum(
    sizes: Mapping[Any, int] | int, labels: NDArray[Any], *, name: str = "sizes"
) -> IntArray:
    """Align a ``{stratum label: size}`` mapping (or one size for every stratum) with ``labels``.

    Raises
    ------
    DesignError
        If a frame stratum is missing from the mapping, a key is not a frame stratum, or a size
        is negative or not an integer.
    """
    if isinstance(sizes, int | np.integer) and not isinstance(sizes, bool):
        out = np.full(labels.size, int(sizes), dtype=np.int64)
    elif isinstance(sizes, Mapping):
        out = np.zeros(labels.size, dtype=np.int64)
        seen = np.zeros(labels.size, dtype=bool)
        # Exact lookup on Python values: np.int64(3) finds 3 and np.str_("A") finds "A", and no
        # dtype cast can truncate a longer key into an existing label.
        position = {label: i for i, label in enumerate(labels.tolist())}
        for key in sizes:
            p = position.get(key.item() if isinstance(key, np.generic) else key)
            if p is None or isinstance(key, bool | float):
                raise DesignError(
                    f"{name} names stratum {key!r}, which has no units in the frame; "
                    "remove it or fix the label",
                    loc=(name, str(key)),
                )
            value = sizes[key]
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise DesignError(
                    f"{name}[{key!r}] = {value!r} is not an integer", loc=(name, str(key))
                )
            out[p] = int(value)
            seen[p] = True
        missing = np.flatnonzero(~seen)
        if missing.size:
            label = labels[missing[0]].item()
            raise DesignError(
                f"{name} has no entry for stratum {label!r}; give every stratum a size "
                "(0 to leave it out)",
                loc=(name, str(labels[missing[0]])),
            )
    else:
        raise DesignError(
            f"{name} must be a mapping {{stratum: size}} or an integer, got {type(sizes).__name__}",
            loc=(name,),
        )
    negative = np.flatnonzero(out < 0)
    if negative.size:
        raise DesignError(
            f"{name} for stratum {labels[negative[0]].item()!r} is negative ({out[negative[0]]}); "
            "sizes must be 0 or more",
            loc=(name, str(labels[negative[0]])),
        )
    return out
