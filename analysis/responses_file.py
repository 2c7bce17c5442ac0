"""Read a responses CSV into the arrays the indices need, with errors naming line and column.

The file has a header line; each further line is one respondent. Answer cells hold 1-5, the
``na_code`` (default 0) for "not applicable / don't know", or nothing for "not answered"; both
of the latter are left out of the shares (stored as NaN) but counted separately for the report.
Design columns (stratum, PSU, weight, fpc) and domain columns must be filled on every line.

Errors are :class:`ResponsesFileError` carrying ``line`` (1 = header) and ``column``; the message
says what to fix. The happy path converts whole columns with numpy; only a failing column is
scanned cell by cell to find the culprit.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from analysis.indices import SCALE_MAX, SCALE_MIN

__all__ = ["ResponsesData", "ResponsesFileError", "read_responses"]


class ResponsesFileError(ValueError):
    """A malformed responses file; ``line`` is 1-based with the header as line 1."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None):
        self.line = line
        self.column = column
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


@dataclass(frozen=True)
class ResponsesData:
    """Columns of a responses file.

    Attributes
    ----------
    answers : ndarray, shape (n, K)
        1-5, NaN for not answered or not applicable; columns in ``criteria`` order.
    not_answered, not_applicable : ndarray of int, shape (K,)
        Empty cells and ``na_code`` cells per criterion.
    strata, psu : ndarray of str or None
    weights, fpc : ndarray of float or None
    by : dict of column -> ndarray of str
    line_numbers : ndarray of int, shape (n,)
        Line of the file each respondent came from (1 = header), for error messages.
    """

    criteria: tuple[str, ...]
    answers: NDArray[np.float64]
    not_answered: NDArray[np.int64]
    not_applicable: NDArray[np.int64]
    strata: NDArray[np.str_] | None
    psu: NDArray[np.str_] | None
    weights: NDArray[np.float64] | None
    fpc: NDArray[np.float64] | None
    by: dict[str, NDArray[np.str_]]
    line_numbers: NDArray[np.int64]

    @property
    def n(self) -> int:
        """Number of respondents (data lines)."""
        return int(self.answers.shape[0])


def _first_bad(
    cells: NDArray[np.str_], lines: NDArray[np.int64], column: str, what: str
) -> ResponsesFileError:
    for i, cell in enumerate(cells):
        if not cell:
            continue
        try:
            float(cell)
        except ValueError:
            return ResponsesFileError(
                f"{str(cell)!r} is not a number; {what}", line=int(lines[i]), column=column
            )
    return ResponsesFileError(f"could not read the column as numbers; {what}", column=column)


def _numbers(
    cells: NDArray[np.str_], lines: NDArray[np.int64], column: str, what: str
) -> NDArray[np.float64]:
    """Cells as floats, NaN for empty cells; errors name the line of the first bad cell."""
    empty = np.char.str_len(cells) == 0
    try:
        values = np.where(empty, "nan", cells).astype(np.float64)
    except ValueError:
        raise _first_bad(cells, lines, column, what) from None
    bad = ~empty & ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ResponsesFileError(
            f"{str(cells[i])!r} is not a finite number; {what}", line=int(lines[i]), column=column
        )
    return values


def _record_lines(path: str | Path) -> list[int]:
    """The line each record of the file starts on after the header (records may span lines)."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        starts, line = [], reader.line_num
        for _ in reader:
            starts.append(line + 1)
            line = reader.line_num
    return starts


def _single_digits(cells: Sequence[str]) -> NDArray[np.float64] | None:
    """Cells that are all one digit or empty as floats (NaN when empty), else None.

    Answer columns nearly always are; this reads them without parsing a string per cell: the
    cells as one-character codes (numpy's "U1" keeps the first character), accepted when no
    cell was longer (the joined text has exactly as many characters as the non-empty codes).
    """
    codes = np.asarray(cells, dtype="U1").view(np.uint32)
    filled = codes != 0
    if len("".join(cells)) != int(filled.sum()):
        return None
    digit = (codes >= ord("0")) & (codes <= ord("9"))
    if (filled & ~digit).any():
        return None
    return np.where(filled, codes.astype(np.float64) - ord("0"), np.nan)


def _required_labels(
    cells: NDArray[np.str_], lines: NDArray[np.int64], column: str
) -> NDArray[np.str_]:
    empty = np.char.str_len(cells) == 0
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise ResponsesFileError(
            "is empty; every response needs a value here (fill it in or drop the line)",
            line=int(lines[i]),
            column=column,
        )
    return cells


def read_responses(
    path: str | Path,
    *,
    criteria: Sequence[str],
    strata: str | None = None,
    psu: str | None = None,
    weight: str | None = None,
    fpc: str | None = None,
    by: Sequence[str] = (),
    na_code: float = 0,
) -> ResponsesData:
    """Read and check a responses CSV (UTF-8, comma-separated, header line).

    Parameters
    ----------
    path : str or Path
    criteria : sequence of str
        Criterion columns, in the tree's order.
    strata, psu, weight, fpc : str, optional
        Design columns.
    by : sequence of str
        Domain columns.
    na_code : float
        Code of "not applicable / don't know".

    Returns
    -------
    ResponsesData

    Raises
    ------
    ResponsesFileError
        Missing column, ragged line, non-numeric or out-of-range answer, empty design cell.
    """
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ResponsesFileError("the file is empty; expected a header line", line=1)
            header = [h.strip() for h in header]
            records = list(reader)
            one_line_each = reader.line_num == len(records) + 1
    except (OSError, UnicodeDecodeError) as exc:
        raise ResponsesFileError(f"cannot read {path}: {exc}") from None
    # When no record spans lines (no quoted line breaks), record i is on line i + 2.
    numbered: Sequence[int] = range(2, len(records) + 2) if one_line_each else _record_lines(path)
    # A line of blank cells only is skipped (joined: one C call per line).
    kept = [i for i, row in enumerate(records) if "".join(row).strip()]
    rows = [records[i] for i in kept] if len(kept) != len(records) else records
    line_numbers = [numbered[i] for i in kept]
    lines = np.asarray(line_numbers, dtype=np.int64)
    wanted = [*criteria, *(c for c in (strata, psu, weight, fpc) if c), *by]
    position = {}
    for name in wanted:
        if name not in header:
            raise ResponsesFileError(
                f"missing column {name!r}; the header has: {', '.join(header)}",
                line=1,
                column=name,
            )
        position[name] = header.index(name)
    width = len(header)
    ragged = next((i for i, row in enumerate(rows) if len(row) != width), None)
    if ragged is not None:
        raise ResponsesFileError(
            f"has {len(rows[ragged])} fields but the header has {width}; check quoting and "
            "separators",
            line=int(lines[ragged]),
        )
    if not rows:
        raise ResponsesFileError("no responses after the header line", line=2)

    cache: dict[int, list[str]] = {}

    def cells_of(name: str) -> list[str]:
        k = position[name]
        if k not in cache:
            cache[k] = list(map(itemgetter(k), rows))
        return cache[k]

    def column(name: str) -> NDArray[np.str_]:
        return np.char.strip(np.asarray(cells_of(name), dtype=str))

    n = len(rows)
    answers = np.empty((n, len(criteria)))
    not_answered = np.zeros(len(criteria), dtype=np.int64)
    not_applicable = np.zeros(len(criteria), dtype=np.int64)
    what = f"answers must be {SCALE_MIN}-{SCALE_MAX}, {na_code:g} for not applicable, or empty"
    for c, name in enumerate(criteria):
        values = _single_digits(cells_of(name))
        if values is None:
            # Something else than one digit or nothing (" 4", "4.0", a typo): read the column
            # the careful way, which names the line of a bad cell.
            values = _numbers(column(name), lines, name, what)
        empty = np.isnan(values)
        na = values == na_code
        on_scale = (values >= SCALE_MIN) & (values <= SCALE_MAX) & (values == np.round(values))
        bad = ~empty & ~na & ~on_scale
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ResponsesFileError(
                f"{str(column(name)[i])!r} is not a valid answer; {what}",
                line=int(lines[i]),
                column=name,
            )
        not_answered[c] = int(empty.sum())
        not_applicable[c] = int(na.sum())
        values[na] = np.nan
        answers[:, c] = values

    def numeric(name: str | None, what: str) -> NDArray[np.float64] | None:
        if name is None:
            return None
        return _numbers(_required_labels(column(name), lines, name), lines, name, what)

    weights = numeric(weight, "weights must be non-negative numbers")
    if weights is not None and (weights < 0).any():
        i = int(np.flatnonzero(weights < 0)[0])
        raise ResponsesFileError(
            "is negative; weights must be >= 0", line=int(lines[i]), column=weight
        )
    fpc_values = numeric(
        fpc, "fpc must be the stratum's population count N_h or its sampling fraction"
    )
    if fpc_values is not None and (fpc_values <= 0).any():
        i = int(np.flatnonzero(fpc_values <= 0)[0])
        raise ResponsesFileError(
            "must be positive (population count N_h or sampling fraction)",
            line=int(lines[i]),
            column=fpc,
        )
    return ResponsesData(
        criteria=tuple(criteria),
        answers=answers,
        not_answered=not_answered,
        not_applicable=not_applicable,
        strata=None if strata is None else _required_labels(column(strata), lines, strata),
        psu=None if psu is None else _required_labels(column(psu), lines, psu),
        weights=weights,
        fpc=fpc_values,
        by={name: _required_labels(column(name), lines, name) for name in by},
        line_numbers=lines,
    )
