"""Reproducibility of draws: frame content hash, random streams, and the record of a draw.

A draw is reproducible when the same frame *content* (whatever its row order), the same design and
the same seed give the identical sample on any machine. Three ingredients make that so:

* a content hash of the frame, computed on the units sorted by id and on canonical little-endian
  bytes, so it does not depend on row order, platform byte order or dict/set ordering;
* one random stream per (purpose, stratum label), derived from the seed with
  :class:`numpy.random.SeedSequence` ``spawn_key``; a stratum's sample therefore depends only on
  the seed, its label and its own units, not on how many other strata the frame has;
* a :class:`DrawRecord` saved with the sample: seed, design, frame hash and library versions.

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
    "resolve_seed",
    "stream",
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
        :func:`frame_hash` of the frame content the draw saw.
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
