"""Streaming readers for sampling-frame files: CSV (as Excel writes it) and XLSX.

A reader resolves the file's header to the canonical field names (the ``dossier`` columns plus
``phone``), then yields :class:`RowBatch` objects holding a bounded number of rows, column by
column, so a 5-million-row file is read with constant memory.

- CSV: UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8"), or UTF-16 with a BOM (Excel's
  "Unicode text"); the delimiter is ``,``, ``;`` (Excel with a Vietnamese or European locale) or a
  tab, chosen from the header line, where it cannot be part of a value.
- XLSX: the first worksheet, read with ``openpyxl`` in read-only mode; date cells arrive as dates.

Row numbers are those the coordinator sees in Excel: the header is row 1, the first data row is 2.
Entirely blank rows are skipped (spreadsheets often end with some) but keep their numbers.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import IO, Any

from survey.errors import InvalidInput, Problem

FIELDS: tuple[str, ...] = (
    "dossier_code",
    "agency_code",
    "agency_name",
    "province_code",
    "commune_code",
    "level",
    "procedure_code",
    "procedure_field",
    "channel",
    "received_date",
    "due_date",
    "completed_date",
    "phone",
)
REQUIRED_FIELDS: frozenset[str] = frozenset(
    {
        "dossier_code",
        "agency_code",
        "province_code",
        "level",
        "channel",
        "received_date",
        "completed_date",
    }
)

# Header spellings recognised without a mapping, in normalised form (see normalise_header).
HEADER_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        **{f: f for f in FIELDS},
        "ma_ho_so": "dossier_code",
        "so_ho_so": "dossier_code",
        "ma_hs": "dossier_code",
        "ma_co_quan": "agency_code",
        "ma_don_vi": "agency_code",
        "ten_co_quan": "agency_name",
        "ten_don_vi": "agency_name",
        "ma_tinh": "province_code",
        "ma_xa": "commune_code",
        "ma_phuong_xa": "commune_code",
        "cap": "level",
        "cap_hanh_chinh": "level",
        "cap_giai_quyet": "level",
        "ma_thu_tuc": "procedure_code",
        "ma_tthc": "procedure_code",
        "linh_vuc": "procedure_field",
        "kenh": "channel",
        "kenh_tiep_nhan": "channel",
        "hinh_thuc_nop": "channel",
        "ngay_tiep_nhan": "received_date",
        "ngay_nhan": "received_date",
        "ngay_hen_tra": "due_date",
        "ngay_tra_ket_qua": "completed_date",
        "ngay_tra": "completed_date",
        "ngay_hoan_thanh": "completed_date",
        "so_dien_thoai": "phone",
        "dien_thoai": "phone",
        "sdt": "phone",
    }
)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_QUOTED = re.compile(r'"[^"]*"')
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


def normalise_header(text: object) -> str:
    """Lower-case ASCII form of a header or value: ``"Mã hồ sơ"`` -> ``"ma_ho_so"``.

    Diacritics are removed by Unicode decomposition (NFD) and ``đ`` becomes ``d``, so headers
    and values typed with or without Vietnamese diacritics compare equal.
    """
    decomposed = unicodedata.normalize("NFD", str(text).strip().lower().replace("đ", "d"))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub("_", ascii_text).strip("_")


def resolve_columns(
    headers: Iterable[object], column_map: Mapping[str, str] | None
) -> dict[str, int]:
    """Map canonical field names to column positions of a file's header.

    Parameters
    ----------
    headers
        The header row as read from the file.
    column_map
        The coordinator's choices, ``{file column: field}``; other columns are recognised by
        their canonical name or a common Vietnamese spelling (:data:`HEADER_ALIASES`), ignoring
        case and diacritics. Unrecognised columns are ignored.

    Raises
    ------
    InvalidInput
        When the mapping names an unknown field or a column missing from the file, when two
        columns give the same field, or when a required field has no column; every problem
        names the fix.
    """
    header_list = ["" if h is None else str(h).strip() for h in headers]
    normalised = [normalise_header(h) for h in header_list]
    problems: list[Problem] = []
    chosen: dict[str, int] = {}
    mapped_positions: set[int] = set()
    for column, field in (column_map or {}).items():
        if field not in FIELDS:
            problems.append(
                Problem(
                    ("column_map", column),
                    f"{field!r} is not a frame field: use one of {', '.join(FIELDS)}",
                )
            )
            continue
        key = normalise_header(column)
        positions = [i for i, h in enumerate(header_list) if h == column.strip()] or [
            i for i, n in enumerate(normalised) if n == key
        ]
        if not positions:
            problems.append(
                Problem(
                    ("column_map", column),
                    f"column {column!r} is not in the file: its columns are {header_list}",
                )
            )
            continue
        if field in chosen:
            problems.append(
                Problem(
                    ("column_map", column),
                    f"two columns are mapped to {field!r}: map only one",
                )
            )
            continue
        chosen[field] = positions[0]
        mapped_positions.add(positions[0])
    for position, key in enumerate(normalised):
        alias = HEADER_ALIASES.get(key)
        if alias is None or position in mapped_positions:
            continue
        field = alias
        if field in chosen:
            if chosen[field] not in mapped_positions:
                problems.append(
                    Problem(
                        ("header", header_list[position]),
                        f"columns {header_list[chosen[field]]!r} and {header_list[position]!r} "
                        f"both read as {field!r}: rename one or map the right one with "
                        f"--map '{header_list[position]}={field}'",
                    )
                )
            continue
        chosen[field] = position
    for field in FIELDS:
        if field in REQUIRED_FIELDS and field not in chosen and not problems:
            problems.append(
                Problem(
                    ("header", field),
                    f"no column gives the required field {field!r}: the file's columns are "
                    f"{header_list}; map one with --map 'COLUMN={field}'",
                )
            )
    if problems:
        raise InvalidInput("the file's columns do not give a usable frame", problems)
    return chosen


@dataclass(frozen=True)
class RowBatch:
    """Up to ``batch_size`` consecutive non-blank rows, column by column.

    ``columns`` holds one list per field of the resolved header (cells as read: ``str`` for CSV;
    ``str``, numbers, ``datetime`` or ``None`` for XLSX). ``problems`` are structural problems of
    rows in this batch, e.g. a CSV row with more cells than the header; ``text_only`` says every
    cell is a ``str``.
    """

    row_numbers: list[int]
    columns: dict[str, list[Any]]
    problems: tuple[Problem, ...] = ()
    text_only: bool = False  # every cell is a str (CSV), so str methods apply directly

    def __len__(self) -> int:
        return len(self.row_numbers)


class FrameReader:
    """A frame file opened for streaming; use as a context manager.

    Attributes
    ----------
    kind : str
        ``"csv"`` or ``"xlsx"``.
    headers : list of str
        The header row as in the file.
    columns : dict
        ``{field: column position}`` from :func:`resolve_columns`.
    delimiter : str
        The CSV delimiter detected (empty for XLSX).
    """

    def __init__(self, path: Path | str, column_map: Mapping[str, str] | None = None) -> None:
        self.path = Path(path)
        self.delimiter = ""
        self._handle: IO[Any] | None = None
        self._workbook: Any = None
        self._rows: Iterator[Any]
        try:
            with self.path.open("rb") as probe:
                magic = probe.read(4)
        except OSError as exc:
            raise InvalidInput(
                f"cannot read {self.path}: {exc.strerror}",
                [Problem(("file",), f"cannot read {self.path.name}: check the path")],
            ) from exc
        if magic.startswith(_OLE_MAGIC):
            raise InvalidInput(
                "legacy .xls files are not read",
                [Problem(("file",), "this is an old .xls workbook: save it as .xlsx or CSV UTF-8")],
            )
        if magic.startswith(_XLSX_MAGIC):
            self.kind = "xlsx"
            header = self._open_xlsx()
        else:
            self.kind = "csv"
            header = self._open_csv(magic)
        if header is None or not any(str(h).strip() for h in header if h is not None):
            self.close()
            raise InvalidInput(
                "the file is empty",
                [Problem(("row", 1), "row 1 must hold the column names: the file has none")],
            )
        self.headers = ["" if h is None else str(h).strip() for h in header]
        try:
            self.columns = resolve_columns(self.headers, column_map)
        except InvalidInput:
            self.close()
            raise

    def _open_xlsx(self) -> list[Any] | None:
        import openpyxl  # the import costs ~0.3 s; CSV imports do not pay it
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            self._workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise InvalidInput(
                "the workbook cannot be opened",
                [Problem(("file",), f"the .xlsx file is damaged or not a workbook ({exc})")],
            ) from exc
        sheet = self._workbook.worksheets[0]
        self._rows = sheet.iter_rows(values_only=True)
        first = next(self._rows, None)
        return None if first is None else list(first)

    def _open_csv(self, magic: bytes) -> list[str] | None:
        lines: Iterator[str]
        if magic[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            self._handle = self.path.open("r", encoding="utf-16", newline="")
            lines = iter(self._handle)
        else:
            self._handle = self.path.open("rb")
            lines = _utf8_lines(self._handle)
        try:
            header_line = next(lines, "")
        except UnicodeDecodeError as exc:
            self.close()
            raise _not_utf8(1) from exc
        except InvalidInput:
            self.close()
            raise
        if not header_line.strip():
            return None
        unquoted = _QUOTED.sub("", header_line)
        counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
        # A comma wins ties: only a header with more ';' (or tabs) than commas switches.
        self.delimiter = max(counts, key=lambda d: (counts[d], d == ","))
        reader = csv.reader(chain([header_line], lines), delimiter=self.delimiter)
        self._rows = iter(reader)
        try:
            return next(self._rows, None)
        except csv.Error as exc:
            self.close()
            raise InvalidInput(
                "the header row cannot be read",
                [Problem(("row", 1), f"the header row is not valid CSV ({exc})")],
            ) from exc

    def batches(self, batch_size: int = 20_000) -> Iterator[RowBatch]:
        """Yield the data rows in batches of at most ``batch_size`` non-blank rows.

        Raises
        ------
        InvalidInput
            When the file stops being readable (not UTF-8, broken CSV quoting), naming the row.
        """
        width = len(self.headers)
        fields = list(self.columns.items())
        text_only = self.kind == "csv"
        row_number = 1
        while True:
            rows: list[Any] = []
            numbers: list[int] = []
            problems: list[Problem] = []
            try:
                for row in self._rows:
                    row_number += 1
                    if not any(row) if text_only else all(c is None or c == "" for c in row):
                        continue
                    if len(row) != width:
                        row = self._fit(row, width, row_number, problems)
                    rows.append(row)
                    numbers.append(row_number)
                    if len(rows) >= batch_size:
                        break
            except UnicodeDecodeError as exc:
                raise _not_utf8(row_number + 1) from exc
            except csv.Error as exc:
                raise InvalidInput(
                    "the file cannot be read as CSV",
                    [
                        Problem(
                            ("row", row_number + 1),
                            f"row {row_number + 1} is not valid CSV ({exc}): check its quotes",
                        )
                    ],
                ) from exc
            if not rows:
                return
            transposed = list(zip(*rows, strict=True))
            yield RowBatch(
                row_numbers=numbers,
                columns={field: list(transposed[pos]) for field, pos in fields},
                problems=tuple(problems),
                text_only=self.kind == "csv",
            )
            if len(rows) < batch_size:
                return

    def _fit(self, row: Any, width: int, row_number: int, problems: list[Problem]) -> list[Any]:
        cells = list(row)
        if len(cells) < width:
            return cells + [None if self.kind == "xlsx" else ""] * (width - len(cells))
        extra = [c for c in cells[width:] if c is not None and str(c).strip()]
        if extra and self.kind == "csv":
            problems.append(
                Problem(
                    ("row", row_number, "row"),
                    f"row {row_number} has {len(cells)} cells but the header has {width}: a value "
                    f"probably contains the delimiter {self.delimiter!r}; put it in quotes",
                )
            )
        return cells[:width]

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _utf8_lines(handle: IO[bytes]) -> Iterator[str]:
    """Decode a file line by line, so a bad byte is reported at its own line."""
    for line_number, raw in enumerate(handle, start=1):
        try:
            yield raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(line_number) from exc


def _not_utf8(row_number: int) -> InvalidInput:
    return InvalidInput(
        "the file is not UTF-8 text",
        [
            Problem(
                ("row", row_number),
                f"the file is not UTF-8 text near row {row_number}: in Excel use Save As > "
                "'CSV UTF-8 (Comma delimited)', or upload the .xlsx",
            )
        ],
    )


def open_frame_file(path: Path | str, column_map: Mapping[str, str] | None = None) -> FrameReader:
    """Open a CSV or XLSX frame file for streaming (see :class:`FrameReader`)."""
    return FrameReader(path, column_map)


__all__ = [
    "FIELDS",
    "HEADER_ALIASES",
    "REQUIRED_FIELDS",
    "FrameReader",
    "RowBatch",
    "normalise_header",
    "open_frame_file",
    "resolve_columns",
]
