"""Reproducibility of draws: frame content hash, random streams, and the record of a draw.

A draw is reproducible when the same frame *content* (whatever its row order), the same design and
the same seed give the identical sample on any machine. Three ingredients make that so:

* a content hash of the frame, computed on the units sorted by id and on canonical little-endian
  bytes, so it does not depend on row order, platform byte order or dict/set ordering;
* one random stream per (purpose, stratum label), derived from the seed with
  :class:`numpy.random.SeedSequence` ``spawn_key``; a stratum's sample therefore depends only on
  the seed, its label and its own units, not on how many other strata the frame has;
* a :class:`DrawRecord` saved with the sample: seed, design, frame hash and library versions.

Selection keys (SRSWOR and reserve lists) come from a *counter-based* generator instead of one
stream per stratum: each unit's key is ``mix64(unit_hash + K)``, where ``unit_hash`` is a 64-bit
hash of the unit's id alone (:func:`unit_hashes`), ``K`` is derived from (seed, purpose) by SHA-256
(:func:`purpose_key`) and ``mix64`` is the SplitMix64 output function (Steele, Lea & Flood 2014,
"Fast splittable pseudorandom number generators", OOPSLA; the finaliser of Stafford's "Mix13").
A unit's key therefore depends on nothing but the seed, the purpose and its own id: not on the
row order, the other units, the platform or NumPy's version, and it is pure integer arithmetic
modulo 2**64. ``mix64(. + K)`` is a bijection, so distinct unit hashes (checked) give distinct
keys: there are never ties.

PCG64 output for a given seed is part of NumPy's stability policy (NEP 19); the methods of
``Generator`` used here (``random``, ``integers``) may in principle change between NumPy feature
releases, which is why the NumPy version is recorded too.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sampling.errors import DesignError, FrameError

__all__ = [
    "DrawRecord",
    "canonical_bytes",
    "frame_hash",
    "library_version",
    "mix64",
    "purpose_key",
    "resolve_seed",
    "stream",
    "uniform_below",
    "unit_hashes",
    "unit_keys",
]

_HASH_SCHEME = b"sipas-frame-v1"


def library_version() -> str:
    """Return the installed version of the ``sipas`` distribution (``"0+unknown"`` if absent)."""
    try:
        return importlib.metadata.version("sipas")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def resolve_seed(seed: int | None) -> int:
    """Return a non-negative integer seed, drawing 63 bits of OS entropy when ``seed`` is None.

    The returned value is what a :class:`DrawRecord` stores, so even an "unseeded" draw can be
    repeated exactly.
    """
    if seed is None:
        # 63 bits of OS entropy: plenty for distinct draws, and the recorded seed still fits a
        # signed 64-bit database column.
        state = np.random.SeedSequence().generate_state(1, np.uint64)[0]
        return int(state >> np.uint64(1))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise DesignError(
            f"seed must be a non-negative integer, got {seed!r}; pass e.g. seed=20260101",
            loc=("seed",),
        )
    return int(seed)


def _label_words(label: object) -> tuple[int, ...]:
    """Map a stratum label to four 32-bit words, stable across runs and machines."""
    if isinstance(label, bool | np.bool_):
        raise FrameError("boolean stratum labels are ambiguous; use integers or strings")
    if isinstance(label, int | np.integer):
        raw = b"i:" + str(int(label)).encode()
    else:
        raw = b"s:" + str(label).encode("utf-8")
    digest = hashlib.sha256(raw).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, purpose: int, label: object) -> np.random.Generator:
    """Return the random stream reserved for one purpose in one stratum.

    Parameters
    ----------
    seed
        The draw's seed (see :func:`resolve_seed`).
    purpose
        A small integer separating uses of randomness (selection keys, systematic start, ...),
        so changing one use never shifts another.
    label
        The stratum (or PSU) label; hashed, so the stream does not depend on the label's position
        among the frame's strata.

    Returns
    -------
    numpy.random.Generator
        ``Generator(PCG64(SeedSequence(seed, spawn_key=(purpose, *words(label)))))``.
    """
    key = (int(purpose), *_label_words(label))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(32)
_U64 = NDArray[np.uint64]


def mix64(z: _U64, scratch: _U64 | None = None) -> _U64:
    """Apply the SplitMix64 output function to ``z`` in place and return it.

    ``z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB;
    z ^= z >> 31`` (Steele, Lea & Flood 2014), a bijection of 64-bit words with full avalanche.
    ``scratch`` (same shape) avoids an allocation when called on many chunks.
    """
    t = np.empty_like(z) if scratch is None else scratch
    np.right_shift(z, _S30, out=t)
    z ^= t
    z *= _M1
    np.right_shift(z, _S27, out=t)
    z ^= t
    z *= _M2
    np.right_shift(z, _S31, out=t)
    z ^= t
    return z


def purpose_key(seed: int, purpose: int) -> np.uint64:
    """The 64-bit key ``K`` of one (seed, purpose): 8 bytes of a SHA-256, little-endian."""
    raw = b"sipas-keys-v1|" + int(seed).to_bytes(8, "little") + int(purpose).to_bytes(8, "little")
    return np.uint64(int.from_bytes(hashlib.sha256(raw).digest()[:8], "little"))


def unit_keys(seed: int, purpose: int, hashes: _U64) -> _U64:
    """Selection keys ``mix64(unit_hash + K(seed, purpose))``, one per unit (a new array)."""
    return mix64(np.add(hashes, purpose_key(seed, purpose)))


def _raw_unit_hashes(ids: NDArray[Any], salt: int) -> _U64:
    """64-bit hash of each id from its value only (see :func:`unit_hashes`)."""
    # Python ints: NumPy warns on scalar uint64 overflow, which is the intended wrap here.
    h0 = mix64(np.array([int(_GOLDEN) * (salt + 1) % 2**64], dtype=np.uint64))[0]
    if ids.dtype.kind in "iu":
        # Integers: z = value * golden + h0, then mix64; a bijection, so distinct ids never collide.
        z = ids.astype("<i8" if ids.dtype.kind == "i" else "<u8").view(np.uint64)
        return mix64(z * _GOLDEN + h0)
    # Strings: fold the UCS-4 code points two at a time (one 64-bit word) through mix64, skipping
    # the NUL padding so that the same id hashes the same at any fixed width, then mix in the
    # length (so embedded NULs still count).
    width = max(ids.dtype.itemsize // 4, 1)
    chars = np.ascontiguousarray(ids.astype(f"<U{width}")).view("<u4").reshape(ids.size, width)
    if width % 2:
        chars = np.concatenate((chars, np.zeros((ids.size, 1), dtype="<u4")), axis=1)
    words = np.ascontiguousarray(chars).view("<u8")
    h = np.full(ids.size, h0, dtype=np.uint64)
    length = np.zeros(ids.size, dtype=np.uint64)
    for j in range(words.shape[1]):
        w = words[:, j]
        used = w != 0
        stepped = mix64((h ^ w) + _GOLDEN)
        np.copyto(h, stepped, where=used)
        high = (w >> _S32) != 0
        np.copyto(length, np.where(high, 2 * j + 2, 2 * j + 1).astype(np.uint64), where=used)
    return mix64(h ^ (length * _M1))


def unit_hashes(unit_id: ArrayLike, *, unique: bool = False) -> tuple[_U64, int]:
    """Distinct 64-bit hashes of unique unit ids, and the salt that made them distinct.

    The hash of an id depends only on its value (integers: its int64 value, whatever the
    integer dtype; strings: their characters, whatever the fixed width). Integer hashes are a
    bijection of the value; string hashes could collide (about once in 10**12 frames of five
    million ids), in which case the whole frame is hashed again with the next salt, so the
    result is still determined by the frame's content. ``unique=True`` says the caller has
    already checked that the ids are distinct, which spares integer ids a sort.

    Raises
    ------
    FrameError
        If two ids are equal (the first duplicate is named).
    """
    ids = np.asarray(unit_id)
    salt = 0
    while True:
        hashes = _raw_unit_hashes(ids, salt)
        if unique and ids.dtype.kind in "iu":
            return hashes, salt  # a bijection of distinct values
        ordered = np.sort(hashes)
        clash = np.flatnonzero(ordered[1:] == ordered[:-1])
        if not clash.size:
            return hashes, salt
        rows = np.flatnonzero(hashes == ordered[clash[0]])
        if ids[rows[0]] == ids[rows[1]]:
            raise FrameError(
                f"unit_id {ids[rows[0]].item()!r} appears more than once (rows "
                f"{[int(r) for r in rows[:2]]}); ids must be unique",
                loc=("unit_id", int(rows[1])),
            )
        salt += 1


def uniform_below(seed: int, purpose: int, label: object, n: int) -> int:
    """An integer uniform on ``{0, ..., n - 1}`` for one (seed, purpose, label), exactly.

    SHA-256 of (seed, purpose, label) read as 64-bit words, with rejection of the top
    ``2**64 mod n`` values so that every residue is equally likely (no modulo bias).
    """
    if n < 1:
        raise DesignError(f"cannot draw below {n}", loc=("n",))
    limit = (1 << 64) - (1 << 64) % n
    words = b"".join(w.to_bytes(4, "little") for w in _label_words(label))
    counter = 0
    while True:
        raw = b"sipas-int-v1|%d|%d|%d|" % (seed, purpose, counter) + words
        digest = hashlib.sha256(raw).digest()
        for i in range(0, 32, 8):
            x = int.from_bytes(digest[i : i + 8], "little")
            if x < limit:
                return x % n
        counter += 1


def canonical_bytes(values: ArrayLike, *, name: str = "values") -> bytes:
    """Encode a 1-D array as platform-independent bytes, prefixed with a type header.

    Integers become little-endian 64-bit, floats little-endian binary64, datetimes their int64
    count with the unit in the header, strings fixed-width little-endian UCS-4.
    """
    arr = np.asarray(values)
    kind = arr.dtype.kind
    if kind in "iub":
        body = arr.astype("<u8" if kind == "u" else "<i8").tobytes()
        header = f"{kind}8".encode()
    elif kind == "f":
        body = arr.astype("<f8").tobytes()
        header = b"f8"
    elif kind in "mM":
        unit = np.datetime_data(arr.dtype)[0]
        body = arr.view("<i8").astype("<i8").tobytes()
        header = f"{kind}8[{unit}]".encode()
    elif kind == "U":
        width = max(int(arr.dtype.itemsize // 4), 1)
        body = arr.astype(f"<U{width}").tobytes()
        header = f"U{width}".encode()
    else:
        raise FrameError(
            f"{name} has dtype {arr.dtype}; use integers, floats, datetimes or strings "
            f"(e.g. np.asarray({name}, dtype=str))",
            loc=(name,),
        )
    return header + b"|" + len(arr).to_bytes(8, "little") + b"|" + body


def hash_parts(parts: Sequence[bytes]) -> str:
    """Return the sha256 hex digest of the scheme tag followed by length-prefixed parts."""
    h = hashlib.sha256(_HASH_SCHEME)
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def frame_hash(
    unit_id: ArrayLike, stratum: ArrayLike | None = None, extra: Sequence[ArrayLike] = ()
) -> str:
    """Content hash of a frame that ignores row order.

    The sha256 of the unit ids sorted ascending, followed by the stratum label and each extra
    column (sort keys, size measures) of every unit in that same id order, all in
    :func:`canonical_bytes` form. Shuffling the rows gives the same hash; changing any id,
    label or extra value changes it.

    Parameters
    ----------
    unit_id
        Unique unit identifiers (integers or strings).
    stratum
        Optional stratum label of each unit.
    extra
        Further per-unit columns that influence the draw.

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    ids = np.asarray(unit_id)
    order = np.argsort(ids, kind="stable")
    parts = [canonical_bytes(ids[order], name="unit_id")]
    if stratum is not None:
        parts.append(canonical_bytes(np.asarray(stratum)[order], name="stratum"))
    parts.extend(
        canonical_bytes(np.asarray(col)[order], name=f"extra[{i}]") for i, col in enumerate(extra)
    )
    return hash_parts(parts)


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class DrawRecord:
    """Everything needed to repeat a draw and to prove it was repeated.

    Attributes
    ----------
    method
        Name of the draw function, e.g. ``"stratified_srswor"``.
    seed
        The integer seed actually used.
    frame_hash
        :func:`frame_hash` of the frame content the draw saw, or the content hash the caller
        computed once at import and passed to the draw.
    n_units
        Number of units in the frame.
    design
        Design parameters (stratum labels, sizes, reserve sizes, sort keys ...), JSON-able.
    library_version, numpy_version
        Versions of ``sipas`` and NumPy that produced the sample.
    """

    method: str
    seed: int
    frame_hash: str
    n_units: int
    design: Mapping[str, Any] = field(default_factory=dict)
    library_version: str = field(default_factory=library_version)
    numpy_version: str = np.__version__

    def __post_init__(self) -> None:
        object.__setattr__(self, "design", _freeze(self.design))

    def as_dict(self) -> dict[str, Any]:
        """Return a plain JSON-able dict (lists instead of tuples)."""
        return {
            "method": self.method,
            "seed": self.seed,
            "frame_hash": self.frame_hash,
            "n_units": self.n_units,
            "design": _thaw(self.design),
            "library_version": self.library_version,
            "numpy_version": self.numpy_version,
        }

    def to_json(self) -> str:
        """Serialise with sorted keys, so equal records give equal text."""
        return json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)


def readonly(arr: NDArray[Any]) -> NDArray[Any]:
    """Mark an array read-only so a frozen result cannot be altered in place."""
    arr.flags.writeable = False
    return arr
