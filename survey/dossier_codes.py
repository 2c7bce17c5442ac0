"""Which dossier codes an import may have seen already, in a fixed number of bits.

A frame may hold tens of millions of dossiers and the importer streams it, so nothing kept for
the whole file may grow with it. The dossier codes seen so far are kept in a Bloom filter
(Bloom 1970, "Space/time trade-offs in hash coding with allowable errors", CACM 13(7)) whose size
is chosen from the file's size before the first row is read (:meth:`SeenCodes.for_file`).

A Bloom filter never forgets a code it was given (no false negatives), but it may answer "maybe
seen" for a code it was never given, with probability about

    p = (1 - exp(-k n / m)) ** k

for ``n`` codes in ``m`` bits with ``k`` bit positions per code (Broder & Mitzenmacher 2004,
"Network applications of Bloom filters: a survey", Internet Math. 1(4)). So the filter only says
which codes *need* looking up: the importer checks every "maybe" exactly against the dossiers
already written (the database's unique ``(frame_id, dossier_code)`` index), and a false positive
costs one index probe, never a rejected row.

The ``k`` positions come from one 64-bit hash by double hashing, ``g_i = h1 + i h2 (mod m)``
(Kirsch & Mitzenmacher 2006, "Less hashing, same performance: building a better Bloom filter",
ESA), which keeps the false-positive rate of ``k`` independent hashes. The hash is Python's own
``hash(str)`` (SipHash with a key drawn per process, cached on each string): a file cannot be
crafted to collide, and the filter lives only as long as one import, so the per-process key is
no loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

# One bit of filter per 16 bytes of CSV: a realistic frame row is 100-150 bytes, so 6-9 bits a
# code and a false-positive rate of 1-5 % (checked exactly); a 20-million-row file (2.6 GB) gets
# a 20 MB filter, a 1-million-row one about 1 MB.
CSV_BYTES_PER_BIT = 16
# An XLSX sheet holds at most 1,048,576 rows (Excel's limit), and its size says little about its
# rows (it is compressed): 8 bits for each row it can hold, 1 MB.
XLSX_BITS = 1 << 23
MIN_BITS = 1 << 20
MAX_BITS = 1 << 32  # 512 MB: a 64 GB CSV; larger files just get more false positives
HASHES = 5
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio: spreads h into h2 (Knuth)


class SeenCodes:
    """A Bloom filter of dossier codes: ``m`` bits fixed at creation, ``k`` positions a code.

    Parameters
    ----------
    bits
        ``m``, the filter's size in bits (rounded up to whole bytes).
    hashes
        ``k``, bit positions per code.
    """

    def __init__(self, bits: int, hashes: int = HASHES) -> None:
        if bits < 8 or hashes < 1:
            raise ValueError("a Bloom filter needs at least 8 bits and one hash")
        self.bits = int(bits)
        self.hashes = int(hashes)
        self._m = np.uint64(self.bits)
        # Zeroed pages are mapped on first write, so a small file never touches most of them.
        self._array: NDArray[np.uint8] = np.zeros((self.bits + 7) // 8, dtype=np.uint8)
        self.added = 0

    @classmethod
    def for_file(cls, size_bytes: int, kind: str) -> SeenCodes:
        """A filter sized for a frame file of ``size_bytes`` bytes of ``kind`` (csv or xlsx)."""
        if kind == "xlsx":
            return cls(XLSX_BITS)
        return cls(min(max(size_bytes // CSV_BYTES_PER_BIT, MIN_BITS), MAX_BITS))

    @property
    def nbytes(self) -> int:
        return int(self._array.nbytes)

    def false_positive_rate(self) -> float:
        """The expected share of never-seen codes answered "maybe": ``(1 - e^(-kn/m))^k``."""
        return float((1.0 - np.exp(-self.hashes * self.added / self.bits)) ** self.hashes)

    def _positions(self, codes: Sequence[str]) -> NDArray[np.uint64]:
        """``(k, n)`` bit positions of the codes: ``h1 + i h2 mod m`` (``h2`` odd)."""
        h1 = np.fromiter(map(hash, codes), dtype=np.int64, count=len(codes)).view(np.uint64)
        h2 = ((h1 * _GOLDEN) >> np.uint64(29)) | np.uint64(1)
        steps = np.arange(self.hashes, dtype=np.uint64)[:, None]
        # uint64 arithmetic wraps modulo 2^64 before the reduction modulo m, as the scheme allows.
        positions: NDArray[np.uint64] = (h1[None, :] + steps * h2[None, :]) % self._m
        return positions

    def maybe_seen(self, codes: Sequence[str]) -> NDArray[np.bool_]:
        """For each code, whether it may have been added (``False``: it certainly was not)."""
        if not len(codes):
            return np.zeros(0, dtype=bool)
        positions = self._positions(codes)
        bytes_at = (positions >> np.uint64(3)).astype(np.intp)
        masks = np.left_shift(1, (positions & np.uint64(7)).astype(np.uint8)).astype(np.uint8)
        found: NDArray[np.bool_] = ((self._array[bytes_at] & masks) != 0).all(axis=0)
        return found

    def add(self, codes: Sequence[str]) -> None:
        """Remember the codes (adding a code twice changes nothing)."""
        if not len(codes):
            return
        positions = self._positions(codes).ravel()
        masks = np.left_shift(1, (positions & np.uint64(7)).astype(np.uint8)).astype(np.uint8)
        # ufunc.at, not ``a[i] |= m``: two positions in one byte must both be set.
        np.bitwise_or.at(self._array, (positions >> np.uint64(3)).astype(np.intp), masks)
        self.added += len(codes)
