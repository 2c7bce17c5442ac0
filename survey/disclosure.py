"""The disclosure rule every export and release of answers passes: k = 5.

Rule (docs/privacy.md): no combination of an answer file's quasi-identifiers (the columns that
another role can also download, e.g. the sample export's agency, province, level, procedure
field, channel, stratum and weight) may match fewer than :data:`K` sampled units, and no
published figure may rest on fewer than :data:`K` respondents.

Answer files: :func:`k_anonymise` generalises by global recoding within groups (Samarati &
Sweeney 1998, *Protecting privacy when disclosing information: k-anonymity and its enforcement
through generalization and suppression*; Sweeney 2002). The rows are first grouped by the
*base* columns, which are never generalised (a group smaller than k is suppressed whole); each
group is then refined column by column in the order given, and a refinement is kept only when
**every** part it creates holds at least k rows. Otherwise the column is shown as
:data:`GENERALISED` ("*") for *every* row of the group, never for the small part alone: blanking
only the rare rows would let an attacker who knows the group's composition single them out by
elimination. The counts are taken over the respondents themselves (the rows), which is stricter
than counting sampled units: coordinators can tell which sampled units responded (letters are
only printed for those who have not), so a group must hold k *respondents*.

Releases: :func:`suppress_small_cells` marks every cell with fewer than k respondents
``suppressed`` whatever reliability rule the analyst chose, so its estimate is never stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

K = 5
GENERALISED = "*"
SUPPRESSED_FLAG = "suppressed"


@dataclass(frozen=True)
class Anonymised:
    """The outcome of :func:`k_anonymise` for rows given in order.

    ``hidden[i]`` is the set of columns shown as :data:`GENERALISED` in row ``i``, or ``None``
    when the row is suppressed. ``generalised`` counts, per column, the kept rows that hide it.
    """

    hidden: tuple[frozenset[str] | None, ...]
    k: int

    @property
    def suppressed(self) -> int:
        return sum(h is None for h in self.hidden)

    @property
    def generalised(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for columns in self.hidden:
            for column in columns or ():
                counts[column] += 1
        return dict(sorted(counts.items()))


def _split(rows: Sequence[Mapping[str, Hashable]], part: list[int], column: str) -> list[list[int]]:
    parts: dict[Hashable, list[int]] = {}
    for i in part:
        parts.setdefault(rows[i][column], []).append(i)
    return list(parts.values())


def k_anonymise(
    rows: Sequence[Mapping[str, Hashable]],
    *,
    base: Sequence[str],
    refine: Sequence[str],
    k: int = K,
) -> Anonymised:
    """Which quasi-identifiers to hide in each row so every shown combination has >= k rows.

    Parameters
    ----------
    rows
        One mapping per row holding at least the ``base`` and ``refine`` columns.
    base
        Columns never generalised (e.g. stratum and weight, which estimation needs); a group of
        rows sharing them that is smaller than ``k`` is suppressed.
    refine
        Columns shown only where they split a group into parts of at least ``k`` rows, tried in
        this order (the first is the last to go).
    k
        The smallest group a shown combination may describe.

    Returns
    -------
    Anonymised
        Per row, the columns to show as ``"*"``, or ``None`` to leave the row out.
    """
    if k < 1:
        raise ValueError(f"k: {k} must be at least 1")
    groups: dict[tuple[Hashable, ...], list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(tuple(row[c] for c in base), []).append(i)
    hidden: list[frozenset[str] | None] = [None] * len(rows)
    for members in groups.values():
        if len(members) < k:
            continue  # suppressed
        parts: list[tuple[list[int], frozenset[str]]] = [(members, frozenset())]
        for column in refine:
            refined: list[tuple[list[int], frozenset[str]]] = []
            for part, hides in parts:
                pieces = _split(rows, part, column)
                if all(len(piece) >= k for piece in pieces):
                    refined.extend((piece, hides) for piece in pieces)
                else:
                    refined.append((part, hides | {column}))
            parts = refined
        for part, hides in parts:
            for i in part:
                hidden[i] = hides
    return Anonymised(tuple(hidden), k)


def smallest_group(rows: Sequence[Mapping[str, Hashable]], columns: Sequence[str]) -> int:
    """The size of the smallest combination of ``columns`` among ``rows`` (0 when empty)."""
    counts: dict[tuple[Hashable, ...], int] = defaultdict(int)
    for row in rows:
        counts[tuple(row[c] for c in columns)] += 1
    return min(counts.values(), default=0)


def suppress_small_cells(
    n_respondents: ArrayLike, flags: ArrayLike, k: int = K
) -> NDArray[np.str_]:
    """``flags`` with every cell of fewer than ``k`` respondents marked ``"suppressed"``.

    Applied on top of the analyst's reliability rule, which may allow smaller cells for
    internal checks; a suppressed cell keeps its count but no estimate.
    """
    n = np.asarray(n_respondents)
    out = np.array(flags, dtype="<U10", copy=True)
    out[n < k] = SUPPRESSED_FLAG
    return out
