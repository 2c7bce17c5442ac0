"""Read a responses CSV into the arrays the indices need, with errors naming line and column.

The file has a header line; each further line is one respondent. Answer cells hold 1-5, the
``na_code`` (default 0) for "not applicable / don't know", or nothing for "not answered"; both
of the latter are left out of the shares (stored as NaN) but counted separately for the report.
Design columns (stratum, PSU, weight, fpc) and domain columns must be filled on every line.

Errors are :class:`ResponsesFileError` carrying ``line`` (1 = header) and ``column``; the message
says what to fix. The happy path converts whole columns with numpy; only a failing column is
scanned cell by cell to find the culprit.

Two readers give the same cells. A plain file (no quote character, one record per line, every
line as wide as the header, no blank line) is cut into cells with numpy on its bytes
(:class:`_ByteTable`), with no Python object per row or cell; anything else goes through the
csv module (:class:`_RecordTable`), which also names the line of a ragged record.
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
        The label columns asked for (``by`` of :func:`read_responses`), stripped.
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


class _RecordTable:
    """Cells of a file read by the csv module: the records left after blank ones."""

    def __init__(self, header: list[str], rows: list[list[str]], lines: NDArray[np.int64]):
        self.header = header
        self.rows = rows
        self.lines = lines
        self._cells: dict[int, list[str]] = {}

    @property
    def n(self) -> int:
        return len(self.rows)

    def ragged(self) -> int | None:
        """Index of the first record whose width is not the header's."""
        width = len(self.header)
        return next((i for i, row in enumerate(self.rows) if len(row) != width), None)

    def cells(self, k: int) -> list[str]:
        if k not in self._cells:
            self._cells[k] = list(map(itemgetter(k), self.rows))
        return self._cells[k]

    def single_digits(self, k: int) -> NDArray[np.float64] | None:
        return _single_digits(self.cells(k))

    def plain_numbers(self, k: int) -> NDArray[np.float64] | None:
        return None  # the careful parse reads these columns

    def stripped(self, k: int) -> NDArray[np.str_]:
        return np.char.strip(np.asarray(self.cells(k), dtype=str))


# Bytes that may make up a blank cell (ASCII whitespace, the separators, and any byte of a
# multi-byte character, which might be a Unicode space): a line of only these might be one the
# csv reader skips, so such a file is left to it.
_MAYBE_BLANK = np.zeros(256, dtype=bool)
_MAYBE_BLANK[[ord(c) for c in ", \t\n\x0b\x0c\x1c\x1d\x1e\x1f"]] = True
_MAYBE_BLANK[0x80:] = True
_COMMA, _NEWLINE = ord(","), ord("\n")
# A label column with a cell longer than n x this many bytes is decoded cell by cell instead
# of as one block of n x its width.
_MAX_BLOCK_BYTES = 1 << 27


class _ByteTable:
    """Cells of a plain CSV file cut out of its bytes with numpy (see the module docstring).

    ``ends[i, k]`` is the offset in ``body`` of the separator after cell k of record i.
    """

    def __init__(self, header: list[str], body: bytes, ends: NDArray[np.intp]):
        self.header = header
        self.body = body
        self.buffer = np.frombuffer(body, dtype=np.uint8)
        self.ends = ends
        self.lines = np.arange(2, ends.shape[0] + 2, dtype=np.int64)
        self._cells: dict[int, list[str]] = {}

    @classmethod
    def parse(cls, raw: bytes) -> _ByteTable | None:
        """The table of ``raw`` (the file's bytes), or None when the csv module must read it."""
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if b'"' in raw or b"\x00" in raw:
            return None
        if b"\r" in raw:
            if raw.count(b"\r") != raw.count(b"\r\n"):
                return None
            raw = raw.replace(b"\r\n", b"\n")
        if not raw.isascii():
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return None
        cut = raw.find(b"\n")
        if cut < 0:
            return None
        header = [h.strip() for h in raw[:cut].decode("utf-8").split(",")]
        body = raw[cut + 1 :]
        if not body:
            return None
        if not body.endswith(b"\n"):
            body += b"\n"
        buffer = np.frombuffer(body, dtype=np.uint8)
        separators = np.flatnonzero((buffer == _COMMA) | (buffer == _NEWLINE))
        width = len(header)
        n = int(np.count_nonzero(buffer == _NEWLINE))
        if separators.shape[0] != n * width:
            return None
        ends = separators.reshape(n, width)
        is_newline = buffer[ends] == _NEWLINE
        if not is_newline[:, -1].all() or is_newline[:, :-1].any():
            return None
        starts = np.concatenate([[0], ends[:-1, -1] + 1])
        if not np.logical_or.reduceat(~_MAYBE_BLANK[buffer], starts).all():
            return None
        return cls(header, body, ends)

    @property
    def n(self) -> int:
        return int(self.ends.shape[0])

    def ragged(self) -> int | None:
        return None  # a ragged file is read by the csv module

    def _bounds(self, k: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        if k == 0:
            starts = np.concatenate([[0], self.ends[:-1, -1] + 1])
        else:
            starts = self.ends[:, k - 1] + 1
        return starts, self.ends[:, k]

    def cells(self, k: int) -> list[str]:
        if k not in self._cells:
            body = self.body
            starts, ends = self._bounds(k)
            self._cells[k] = [
                body[a:b].decode("utf-8")
                for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
            ]
        return self._cells[k]

    def single_digits(self, k: int) -> NDArray[np.float64] | None:
        """As :func:`_single_digits`: one ASCII digit or nothing in every cell, else None."""
        starts, ends = self._bounds(k)
        length = ends - starts
        if (length > 1).any():
            return None
        codes = self.buffer[starts].astype(np.float64)  # an empty cell's is its separator
        filled = length == 1
        if (filled & ((codes < ord("0")) | (codes > ord("9")))).any():
            return None
        return np.where(filled, codes - ord("0"), np.nan)

    def _block(self, k: int) -> tuple[NDArray[np.uint8], NDArray[np.intp]] | None:
        """Column k as an (n, widest) block of bytes padded with zeros, and the cell lengths;
        None when that block would be too big."""
        starts, ends = self._bounds(k)
        length = ends - starts
        widest = max(int(length.max(initial=0)), 1)
        if widest * self.n > _MAX_BLOCK_BYTES:
            return None
        offsets = np.arange(widest)
        at = np.minimum(starts[:, None] + offsets, self.buffer.shape[0] - 1)
        block = np.where(offsets < length[:, None], self.buffer[at], 0).astype(np.uint8)
        return block, length

    def plain_numbers(self, k: int) -> NDArray[np.float64] | None:
        """Column k as floats when every cell is a plain decimal (digits with at most one
        point, 15 significant digits at most), else None (the careful parse reads it).

        Such a cell's value is M / 10^F with M its digits as an integer and F the digits
        after the point: both exact in binary64 (M < 2^53, F <= 15), so the one correctly
        rounded division gives the double nearest the decimal, which is what ``float()``
        gives (Clinger 1990's fast path).
        """
        cut = self._block(k)
        if cut is None:
            return None
        block, length = cut
        digit = (block >= ord("0")) & (block <= ord("9"))
        point = block == ord(".")
        inside = np.arange(block.shape[1]) < length[:, None]
        n_digits = digit.sum(axis=1)
        if (
            (inside & ~digit & ~point).any()
            or (point.sum(axis=1) > 1).any()
            or (n_digits == 0).any()
            or (n_digits > 15).any()
        ):
            return None
        # Digits to the right of each position: its power of ten in M.
        right: NDArray[np.int64] = np.cumsum(digit[:, ::-1], axis=1)[:, ::-1] - digit
        mantissa = np.where(digit, (block.astype(np.int64) - ord("0")) * 10**right, 0).sum(axis=1)
        after_point = np.where(point, right, 0).sum(axis=1)
        return np.asarray(mantissa / 10.0**after_point, dtype=np.float64)

    def stripped(self, k: int) -> NDArray[np.str_]:
        """The cells as a str array with surrounding whitespace removed (np.char.strip)."""
        cut = self._block(k)
        if cut is None:
            return np.char.strip(np.asarray(self.cells(k), dtype=str))
        block, _ = cut
        cells = block.view(f"S{block.shape[1]}").reshape(-1)
        if int(block.max(initial=0)) < 0x80:
            text = cells.astype(str)
        else:
            text = np.char.decode(cells, "utf-8")
        return np.char.strip(text)


_Table = _RecordTable | _ByteTable


def _read_table(path: str | Path) -> _Table:
    """The file's header and cells, by the byte reader when the file is plain."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ResponsesFileError(f"cannot read {path}: {exc}") from None
    plain = _ByteTable.parse(raw)
    if plain is not None:
        return plain
    return _read_records(path)


def _read_records(path: str | Path) -> _RecordTable:
    """The file read by the csv module; blank lines dropped, each record's line kept."""
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
    lines = np.asarray([numbered[i] for i in kept], dtype=np.int64)
    return _RecordTable(header, rows, lines)


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
        Label columns read as text: the domain columns, and any other the caller needs (such
        as the calibration variables of ``sipas analyze``).
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
    table = _read_table(path)
    header = table.header
    lines = table.lines
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
    ragged = table.ragged()
    if ragged is not None:
        assert isinstance(table, _RecordTable)
        raise ResponsesFileError(
            f"has {len(table.rows[ragged])} fields but the header has {len(header)}; check "
            "quoting and separators",
            line=int(lines[ragged]),
        )
    if not table.n:
        raise ResponsesFileError("no responses after the header line", line=2)

    stripped: dict[str, NDArray[np.str_]] = {}

    def column(name: str) -> NDArray[np.str_]:
        if name not in stripped:
            stripped[name] = table.stripped(position[name])
        return stripped[name]

    n = table.n
    answers = np.empty((n, len(criteria)))
    not_answered = np.zeros(len(criteria), dtype=np.int64)
    not_applicable = np.zeros(len(criteria), dtype=np.int64)
    what = f"answers must be {SCALE_MIN}-{SCALE_MAX}, {na_code:g} for not applicable, or empty"
    for c, name in enumerate(criteria):
        values = table.single_digits(position[name])
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
        plain = table.plain_numbers(position[name])
        if plain is not None:
            return plain
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
