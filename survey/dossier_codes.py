"""Which row first used each dossier code, in about 24 bytes per code instead of a dict's ~120.

A frame may hold millions of dossiers and the importer streams it, so the only state that grows
with the file is this index. Each code is reduced to a 128-bit BLAKE2b digest (two ``uint64``
words; a collision among 10^8 codes has probability below 10^-22) kept in sorted runs that are
merged like a binary counter (a log-structured merge), so a batch is checked with
``numpy.searchsorted`` against O(log n) runs and nothing is ever re-sorted whole per batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

U64 = NDArray[np.uint64]
I64 = NDArray[np.int64]


def _digests(codes: Sequence[str]) -> tuple[U64, U64]:
    raw = b"".join(hashlib.blake2b(code.encode(), digest_size=16).digest() for code in codes)
    words = np.frombuffer(raw, dtype=np.uint64).reshape(-1, 2)
    return words[:, 0].copy(), words[:, 1].copy()


class FirstRowIndex:
    """Maps dossier codes to the row that first claimed them."""

    def __init__(self) -> None:
        # Each run: (hi, lo, row) sorted by (hi, lo); run sizes shrink along the list.
        self._runs: list[tuple[U64, U64, I64]] = []

    def __len__(self) -> int:
        return sum(len(run[0]) for run in self._runs)

    def claim(self, codes: Sequence[str], rows: I64) -> I64:
        """For each code, the first row that used it: its own row when new, else the earlier one.

        New codes (the first of each within the batch) are remembered with their row.
        """
        hi, lo = _digests(codes)
        first = np.asarray(rows, dtype=np.int64).copy()
        if len(first) == 0:
            return first
        known = np.zeros(len(first), dtype=bool)
        for run_hi, run_lo, run_rows in self._runs:
            at = np.searchsorted(run_hi, hi)
            inside = at < len(run_hi)
            found = np.zeros(len(first), dtype=bool)
            found[inside] = (run_hi[at[inside]] == hi[inside]) & (run_lo[at[inside]] == lo[inside])
            found &= ~known
            first[found] = run_rows[at[found]]
            known |= found
        # Within the batch, later repeats of a new code point at its first row in the batch.
        fresh = np.flatnonzero(~known)
        order = fresh[np.lexsort((first[fresh], lo[fresh], hi[fresh]))]
        same = (hi[order][1:] == hi[order][:-1]) & (lo[order][1:] == lo[order][:-1])
        group_start = np.concatenate(([True], ~same))
        leader = order[np.maximum.accumulate(np.where(group_start, np.arange(len(order)), 0))]
        first[order] = first[leader]
        new = order[group_start]
        self._add_run(hi[new], lo[new], first[new])
        return first

    def _add_run(self, hi: U64, lo: U64, rows: I64) -> None:
        order = np.lexsort((lo, hi))
        run = (hi[order], lo[order], rows[order])
        while self._runs and len(self._runs[-1][0]) <= len(run[0]):
            last = self._runs.pop()
            merged = [np.concatenate((a, b)) for a, b in zip(last, run, strict=True)]
            order = np.lexsort((merged[1], merged[0]))
            run = (merged[0][order], merged[1][order], merged[2][order])
        self._runs.append(run)
