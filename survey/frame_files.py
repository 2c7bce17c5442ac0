"""Streaming readers for sampling-frame files: CSV (as Excel writes it) and XLSX.

A reader resolves the file's header to the canonical field names (the ``dossier`` columns plus
``phone``), then yields :class:`RowBatch` objects holding a bounded number of rows, column by
column, so a 5-million-row file is read with constant memory.

- CSV: UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8"), or UTF-16 with a BOM (Excel's
  "Unicode text"); the delimiter is ``,``, ``;`` (Excel with a Vietnamese or European locale) or a
  tab, chosen from the header line, where it cannot be part of a value.
- XLSX: the first worksheet, read with ``openpyxl`` in read-only mode; date cells arrive as dates.
  A workbook is a zip of XML files, so it is checked before ``openpyxl`` opens it: the zip's
  directory must be readable, the members must not decompress to more than
  :attr:`XlsxLimits.max_total_bytes` in all, nor any large member at more than
  :attr:`XlsxLimits.max_ratio` times its compressed size (a "zip bomb"), and the shared strings,
  which ``openpyxl`` keeps in memory, must stay under :attr:`XlsxLimits.max_shared_strings_bytes`.
  In the worksheets no stretch of XML between two rows may pass :attr:`XlsxLimits.max_row_bytes`,
  nor may they have more rows than Excel allows (checked on the decompressed bytes before
  ``openpyxl`` parses them), so one giant row or a flood of empty ones cannot fill the memory
  either. The XML is parsed by ``defusedxml`` (``openpyxl`` uses it when it is installed, and
  the reader refuses to run without it): entity declarations are refused. A damaged, truncated
  or hostile workbook is an :class:`~survey.errors.InvalidInput` naming the file, never a
  traceback.

Row numbers are those the coordinator sees in Excel: the header is row 1, the first data row is 2.
Entirely blank rows are skipped (spreadsheets often end with some) but keep their numbers.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import IO, Any

from survey.errors import InvalidInput, Problem, SipasError

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
# The applicant's name and postal address, for letters: stored apart with the phone
# (DossierContact) and purged with it. Optional; not part of the demo's canonical header.
CONTACT_FIELDS: tuple[str, ...] = ("full_name", "postal_address")
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
        **{f: f for f in (*FIELDS, *CONTACT_FIELDS)},
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
        "ho_va_ten": "full_name",
        "ho_ten": "full_name",
        "ten_nguoi_nop": "full_name",
        "nguoi_nop_ho_so": "full_name",
        "ten_to_chuc_ca_nhan": "full_name",
        "dia_chi": "postal_address",
        "dia_chi_lien_he": "postal_address",
        "dia_chi_nhan_ket_qua": "postal_address",
        "dia_chi_buu_chinh": "postal_address",
    }
)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Larger than any real cell; an upload is bounded by SIPAS_MAX_UPLOAD_MB before this.
CSV_FIELD_LIMIT = 64 * 1024 * 1024
_QUOTED = re.compile(r'"[^"]*"')
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
_SHARED_STRINGS = re.compile(r"(^|/)sharedStrings\.xml$", re.IGNORECASE)
_WORKSHEET = re.compile(r"(^|/)worksheets/[^/]+\.xml$", re.IGNORECASE)
_ROW_TAG = re.compile(rb"</?(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
MAX_WORKSHEET_ROWS = 1_048_576  # Excel's limit; openpyxl would pad a gap in row numbers forever


@dataclass(frozen=True)
class XlsxLimits:
    """Bounds on what a workbook may decompress to (see the module docstring).

    The defaults let through the largest sheet Excel can save (1,048,576 rows of a frame's
    13 columns decompress to well under 1 GB, at 5-20 times their compressed size) and stop zip
    bombs, whose members decompress at hundreds or thousands of times their size.
    """

    max_total_bytes: int = 1 << 30
    max_ratio: float = 100.0
    ratio_applies_above: int = 1 << 20  # small members (styles, themes) may compress better
    max_shared_strings_bytes: int = 256 << 20
    max_row_bytes: int = 1 << 20  # a frame's row is a few kilobytes of XML


def normalise_header(text: object) -> str:
    """Lower-case ASCII form of a header or value: ``"Mã hồ sơ"`` -> ``"ma_ho_so"``.

    Diacritics are removed by Unicode decomposition (NFD) and ``đ`` becomes ``d``, so headers
    and values typed with or without Vietnamese diacritics compare equal.
    """
    decomposed = unicodedata.normalize("NFD", str(text).strip().lower().replace("đ", "d"))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub("_", ascii_text).strip("_")


def resolve_columns(
    headers: Iterable[object], column_map: Mapping[str, str] | None, *, aliases: bool = True
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
    aliases
        ``False`` when ``column_map`` is the whole choice (a mapping form lists every field): a
        column left out of it is not read, whatever its name.

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
        if field not in FIELDS and field not in CONTACT_FIELDS:
            problems.append(
                Problem(
                    ("column_map", column),
                    f"{field!r} is not a frame field: use one of "
                    f"{', '.join((*FIELDS, *CONTACT_FIELDS))}",
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
    for position, key in enumerate(normalised if aliases else ()):
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

    def __init__(
        self,
        path: Path | str,
        column_map: Mapping[str, str] | None = None,
        *,
        display_name: str | None = None,
        xlsx_limits: XlsxLimits | None = None,
        resolve: bool = True,
        aliases: bool = True,
    ) -> None:
        self.path = Path(path)
        # Messages name the file as the coordinator knows it, not the server's temporary copy.
        self.display_name = display_name or self.path.name
        self.xlsx_limits = xlsx_limits or XlsxLimits()
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
                [Problem(("file",), f"cannot read {self.display_name}: check the path")],
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
        self.columns: dict[str, int] = {}
        if not resolve:
            return
        try:
            self.columns = resolve_columns(self.headers, column_map, aliases=aliases)
        except InvalidInput:
            self.close()
            raise

    def _open_xlsx(self) -> list[Any] | None:
        self._check_zip()
        import openpyxl  # the import costs ~0.3 s; CSV imports do not pay it

        if not openpyxl.DEFUSEDXML:
            # openpyxl falls back to the standard library's XML parser, which expands entities.
            raise InvalidInput(
                "XLSX files cannot be read safely on this server",
                [
                    Problem(
                        ("file",),
                        f"{self.display_name}: this server reads .xlsx only with defusedxml "
                        "(installed, and OPENPYXL_DEFUSEDXML not set to False); upload the file "
                        "as CSV UTF-8 meanwhile",
                    )
                ],
            )
        try:
            self._workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            if not self._workbook.worksheets:
                raise ValueError("the workbook has no worksheet")
            sheet = self._workbook.worksheets[0]
            self._rows = self._guarded(sheet.iter_rows(values_only=True))
        except SipasError:
            self.close()
            raise
        except Exception as exc:  # openpyxl raises anything on a damaged workbook
            self.close()
            raise self._damaged(exc) from exc
        try:
            first = next(self._rows, None)
        except SipasError:
            self.close()
            raise
        return None if first is None else list(first)

    def _damaged(self, exc: BaseException) -> InvalidInput:
        return InvalidInput(
            f"the workbook {self.display_name} cannot be read",
            [
                Problem(
                    ("file",),
                    f"{self.display_name} is damaged, truncated or not a workbook "
                    f"({self._reason(exc)}): open it in Excel and save it again as .xlsx, or "
                    "save it as CSV UTF-8",
                )
            ],
        )

    def _reason(self, exc: BaseException) -> str:
        # openpyxl wraps the first error in its own; the innermost one says what is wrong.
        root = exc
        while (inner := root.__cause__ or root.__context__) is not None and inner is not root:
            root = inner
        if type(root).__module__.startswith("defusedxml"):
            return "it declares XML entities, which no spreadsheet program writes"
        text = str(root).strip().splitlines()[0] if str(root).strip() else type(root).__name__
        # Never show the server's temporary path.
        return text.replace(str(self.path), self.display_name)[:200]

    def _too_big(self, what: str) -> InvalidInput:
        return InvalidInput(
            f"the workbook {self.display_name} is too large to read",
            [
                Problem(
                    ("file",),
                    f"{self.display_name} {what}: this is either not a real workbook (a "
                    '"zip bomb") or too large; split the list into several files, or save it '
                    "as CSV UTF-8",
                )
            ],
        )

    def _check_zip(self) -> None:
        """Bound what the workbook decompresses to, reading only the zip's directory."""
        limits = self.xlsx_limits
        try:
            with zipfile.ZipFile(self.path) as archive:
                members = archive.infolist()
        # A flipped byte in a version field makes zipfile raise NotImplementedError.
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            NotImplementedError,
            OSError,
            ValueError,
            EOFError,
        ) as exc:
            raise self._damaged(exc) from exc
        total = 0
        for member in members:
            total += member.file_size
            if total > limits.max_total_bytes:
                raise self._too_big(
                    f"would decompress to more than {limits.max_total_bytes:,} bytes"
                )
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > limits.ratio_applies_above and ratio > limits.max_ratio:
                raise self._too_big(
                    f"has a part ({member.filename}) that decompresses to {ratio:,.0f} times its "
                    f"size (at most {limits.max_ratio:,.0f} times is accepted)"
                )
            if (
                _SHARED_STRINGS.search(member.filename)
                and member.file_size > limits.max_shared_strings_bytes
            ):
                raise self._too_big(
                    f"has more shared text than {limits.max_shared_strings_bytes:,} bytes"
                )
        try:
            with zipfile.ZipFile(self.path) as archive:
                for member in members:
                    if not _WORKSHEET.search(member.filename):
                        continue
                    with archive.open(member) as stream:
                        problem = _scan_worksheet(stream, limits.max_row_bytes)
                    if problem is not None:
                        raise self._too_big(problem)
        except SipasError:
            raise
        except Exception as exc:  # bad CRC, truncated deflate data, encrypted member...
            raise self._damaged(exc) from exc

    def _guarded(self, rows: Iterator[Any]) -> Iterator[Any]:
        """The sheet's rows, with openpyxl's errors on damaged data turned into InvalidInput."""
        count = 0
        try:
            for row in rows:
                count += 1
                if count > MAX_WORKSHEET_ROWS:
                    raise self._too_big(f"has more than {MAX_WORKSHEET_ROWS:,} rows")
                yield row
        except SipasError:
            raise
        except Exception as exc:
            raise self._damaged(exc) from exc

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
        # The csv module stops at 128 KiB a field with "field larger than field limit", naming
        # neither the row's column nor the cause; above that our own length checks name both.
        if csv.field_size_limit() < CSV_FIELD_LIMIT:
            csv.field_size_limit(CSV_FIELD_LIMIT)
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


def _scan_worksheet(stream: IO[bytes], max_row_bytes: int) -> str | None:
    """Why a worksheet's XML is unsafe to hand to openpyxl, or ``None``.

    openpyxl builds each row whole in memory (and, for a sheet without a ``<dimension>``, keeps
    one emptied element per row while it looks for one), so the row count and the longest
    stretch of XML without a row tag are bounded here, on the decompressed bytes, without
    parsing them.
    """
    rows = 0
    since_tag = 0  # bytes since the last <row ...> or </row> began
    tail = b""  # the end of the previous chunk: a tag may straddle two chunks
    while chunk := stream.read(1 << 20):
        window = tail + chunk
        last_start = -1
        for match in _ROW_TAG.finditer(window):
            if match.end() <= len(tail):
                continue  # wholly in the previous chunk: already counted
            last_start = match.start()
            if window[match.start() + 1 : match.start() + 2] != b"/":
                rows += 1
        since_tag = len(window) - last_start if last_start >= 0 else since_tag + len(chunk)
        if rows > MAX_WORKSHEET_ROWS:
            return f"has more than {MAX_WORKSHEET_ROWS:,} rows"
        if since_tag > max_row_bytes:
            return f"has a row longer than {max_row_bytes:,} bytes of XML"
        tail = window[-32:]
    return None


def read_frame_header(path: Path | str, *, display_name: str | None = None) -> list[str]:
    """The header row (row 1) of a CSV or XLSX frame file as written, not resolved to fields:
    what a column-mapping form offers. Raises :class:`~survey.errors.InvalidInput` as
    :class:`FrameReader` does for an unreadable, damaged or empty file."""
    with FrameReader(path, display_name=display_name, resolve=False) as reader:
        return list(reader.headers)


def recognised_columns(headers: Iterable[object]) -> dict[str, int]:
    """``{field: column position}`` for the headers :data:`HEADER_ALIASES` recognises (the
    first column of each field), ignoring the rest: a mapping form's pre-selection."""
    found: dict[str, int] = {}
    for position, header in enumerate(headers):
        field = HEADER_ALIASES.get(normalise_header("" if header is None else header))
        if field is not None:
            found.setdefault(field, position)
    return found


def unknown_headers(headers: Iterable[object]) -> list[str]:
    """The non-empty headers :data:`HEADER_ALIASES` does not recognise, in file order."""
    texts = ["" if h is None else str(h).strip() for h in headers]
    return [h for h in texts if h and normalise_header(h) not in HEADER_ALIASES]


def open_frame_file(
    path: Path | str,
    column_map: Mapping[str, str] | None = None,
    *,
    display_name: str | None = None,
    xlsx_limits: XlsxLimits | None = None,
    aliases: bool = True,
) -> FrameReader:
    """Open a CSV or XLSX frame file for streaming (see :class:`FrameReader`).

    ``display_name`` is the file's name as its sender knows it (an upload's name; the server's
    copy has a name of its own), used in every message; ``aliases`` as in
    :func:`resolve_columns`.
    """
    return FrameReader(
        path, column_map, display_name=display_name, xlsx_limits=xlsx_limits, aliases=aliases
    )


__all__ = [
    "CONTACT_FIELDS",
    "FIELDS",
    "HEADER_ALIASES",
    "REQUIRED_FIELDS",
    "FrameReader",
    "RowBatch",
    "XlsxLimits",
    "normalise_header",
    "open_frame_file",
    "read_frame_header",
    "recognised_columns",
    "resolve_columns",
    "unknown_headers",
]
