"""Use cases for sampling frames: import a file of dossiers whole or not at all, and read frames.

How an import works (:func:`import_frame`):

1. The file's header is resolved to the canonical fields; a header that cannot give a frame is
   refused before anything is written (:class:`~survey.errors.InvalidInput`).
2. A ``frame`` row is committed with status ``importing`` so the import is visible while it runs.
3. In ONE transaction, rows are streamed in batches, checked column by column, and the valid ones
   are bulk-written with ids reserved by the importer (PostgreSQL: ``COPY ... FROM STDIN``; SQLite:
   ``executemany``), their mobile phones in ``dossier_contact`` in the same pass. Problems are kept
   (up to :data:`MAX_STORED_PROBLEMS` per severity; the rest are counted).
4. If any row had an error and the coordinator did not accept the valid rows, the transaction is
   rolled back: the frame becomes ``rejected`` with its problems stored and no dossier. Otherwise
   the content hash is computed and the frame becomes ``ready`` in the same commit.

Memory stays bounded by the batch size, and does not grow with the file: the dossier codes seen
are kept in a Bloom filter sized from the file before it is read
(:class:`survey.dossier_codes.SeenCodes`, one bit per 16 bytes of CSV: ~20 MB for 20 million
rows), and every code it flags is looked up exactly among the dossiers already written (the
unique ``(frame_id, dossier_code)`` index), so a false positive costs a lookup, never a row. A
single writer thread owns the connection, so the database stores one batch while the next is
read and checked.

Duplicates: :data:`DUPLICATE_RULE`. Phones: only SMS-contactable mobiles are stored, in E.164, in
``dossier_contact``; a dossier without one stays in the frame with ``contactable = False`` and a
warning (problem messages never repeat the number).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import time
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, text
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.dossier_codes import MIN_BITS, SeenCodes
from survey.errors import InvalidInput, NotFound, Problem
from survey.frame_files import RowBatch, normalise_header, open_frame_file
from survey.geography import PROVINCE_CODES_SINCE_MERGER, pad_code, province_code_problem
from survey.models.frames import (
    Channel,
    Dossier,
    Frame,
    FrameImportProblem,
    FramePublic,
    FrameStatus,
    Level,
)
from survey.phones import PhoneKind, classify_phone
from survey.users import UNLIMITED, Scope

MAX_STORED_PROBLEMS = 100_000
DEFAULT_BATCH_SIZE = 20_000

DUPLICATE_RULE = (
    "A dossier code that appears more than once: the first row with that code that passes every "
    "check is kept; every later row with the same code is rejected, naming the kept row."
)

DOSSIER_COLUMNS: tuple[str, ...] = (
    "id",
    "frame_id",
    "row_number",
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
    "contactable",
)
# The canonical content a frame's hash covers: everything a dossier says, not where it came from.
HASHED_COLUMNS: tuple[str, ...] = DOSSIER_COLUMNS[3:]
TEXT_FIELDS: tuple[str, ...] = (
    "dossier_code",
    "agency_code",
    "agency_name",
    "province_code",
    "commune_code",
    "procedure_code",
    "procedure_field",
)
REQUIRED_TEXT = frozenset({"dossier_code", "agency_code", "province_code"})

LEVEL_SPELLINGS: Mapping[str, Level] = {
    **{lv.value: lv for lv in Level},
    "tinh": Level.PROVINCE,
    "cap_tinh": Level.PROVINCE,
    "huyen": Level.DISTRICT,
    "cap_huyen": Level.DISTRICT,
    "quan_huyen": Level.DISTRICT,
    "xa": Level.COMMUNE,
    "cap_xa": Level.COMMUNE,
    "phuong_xa": Level.COMMUNE,
    "xa_phuong": Level.COMMUNE,
    "ward": Level.COMMUNE,
    "trung_uong": Level.CENTRAL,
    "cap_trung_uong": Level.CENTRAL,
    "bo_nganh": Level.CENTRAL,
}
CHANNEL_SPELLINGS: Mapping[str, Channel] = {
    **{ch.value: ch for ch in Channel},
    "truc_tiep": Channel.DIRECT,
    "tai_quay": Channel.DIRECT,
    "mot_cua": Channel.DIRECT,
    "bo_phan_mot_cua": Channel.DIRECT,
    "in_person": Channel.DIRECT,
    "truc_tuyen": Channel.ONLINE,
    "dich_vu_cong": Channel.ONLINE,
    "dich_vu_cong_truc_tuyen": Channel.ONLINE,
    "qua_mang": Channel.ONLINE,
    "buu_chinh": Channel.POSTAL,
    "buu_chinh_cong_ich": Channel.POSTAL,
    "qua_buu_chinh": Channel.POSTAL,
    "buu_dien": Channel.POSTAL,
    "post": Channel.POSTAL,
}
# Resolution 202/2025/QH15 and the 2025 local-government law: from 1 July 2025 there are two
# local levels (province, commune); the district level (huyện) no longer exists.
DISTRICTS_ABOLISHED = date(2025, 7, 1)
_EXCEL_EPOCH = date(1899, 12, 30)
_MAX_EXCEL_SERIAL = 2_958_465  # 9999-12-31
_CACHE_LIMIT = 50_000


class Severity(StrEnum):
    ERROR = "error"  # the row is rejected
    WARNING = "warning"  # the row is kept; e.g. no mobile phone, so not contactable


@dataclass(frozen=True)
class ImportProblem:
    """One problem of an import: the Excel row (header = row 1), the field and the fix."""

    row_number: int
    field: str
    message: str
    severity: str = Severity.ERROR.value


@dataclass(frozen=True)
class ProblemKind:
    """How many problems of one severity an import found in one field (or the file, a row)."""

    severity: str
    field: str
    count: int


def _kinds(counter: Mapping[tuple[str, str], int]) -> tuple[ProblemKind, ...]:
    # Errors first, then the most frequent kind: what the coordinator fixes first.
    return tuple(
        ProblemKind(severity, name, n)
        for (severity, name), n in sorted(
            counter.items(), key=lambda item: (item[0][0] != "error", -item[1], item[0][1])
        )
    )


@dataclass(frozen=True)
class ImportProgress:
    """Where an import is: rows read so far, valid rows, seconds since start, phase."""

    rows_read: int
    rows_valid: int
    seconds: float
    phase: str

    @property
    def rate(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class ImportReport:
    """What an import did, for the coordinator.

    ``rejected`` counts rows with at least one error; ``imported`` counts dossiers in the frame
    (0 when the frame was rejected). ``duplicate_phone_dossiers`` counts dossiers whose mobile
    phone is shared with another dossier of the frame, in ``duplicate_phone_groups`` groups.
    ``problems`` are those stored (up to :data:`MAX_STORED_PROBLEMS` per severity);
    ``errors`` and ``warnings`` are the full counts.
    """

    frame_id: int
    name: str
    status: str
    source_filename: str
    rows_read: int
    imported: int
    rejected: int
    not_contactable: int
    duplicate_phone_dossiers: int
    duplicate_phone_groups: int
    errors: int
    warnings: int
    problems: tuple[ImportProblem, ...]
    content_hash: str
    seconds: float
    duplicates_rule: str = DUPLICATE_RULE
    period_start: date | None = None
    period_end: date | None = None
    same_content_as: tuple[int, ...] = ()
    counts_by_kind: tuple[ProblemKind, ...] = ()
    column_headers: Mapping[str, str] = field(default_factory=dict)
    repeated_codes: int = 0

    @property
    def problems_not_stored(self) -> int:
        return self.errors + self.warnings - len(self.problems)

    def column_label(self, field_name: str) -> str:
        """The file's own header for a field, with the field in brackets when they differ."""
        header = self.column_headers.get(field_name)
        if not header or header == field_name:
            return field_name
        return f"{header!r} ({field_name})"

    def summary_lines(self) -> list[str]:
        """Plain-text summary: status, counts and what the coordinator can do next."""
        if self.status == FrameStatus.REJECTED.value:
            # Nothing was imported, so contactability and shared phones are not facts yet.
            counts = f"rows read {self.rows_read:,}; rejected {self.rejected:,}; nothing imported"
        else:
            counts = (
                f"rows read {self.rows_read:,}; imported {self.imported:,}; "
                f"rejected {self.rejected:,}; not contactable {self.not_contactable:,}; "
                f"dossiers sharing a phone {self.duplicate_phone_dossiers:,} "
                f"(in {self.duplicate_phone_groups:,} groups)"
            )
        lines = [
            f"frame {self.frame_id} {self.name!r}: {self.status}",
            counts,
            f"problems {self.errors + self.warnings:,}: errors {self.errors:,}; "
            f"warnings {self.warnings:,}",
        ]
        lines.extend(
            f"  {kind.severity} {self.column_label(kind.field)}: {kind.count:,}"
            for kind in self.counts_by_kind
        )
        if self.problems_not_stored > 0:
            lines.append(
                f"{self.problems_not_stored:,} problems are counted above but not listed "
                f"(at most {MAX_STORED_PROBLEMS:,} of each severity are kept)"
            )
        if self.repeated_codes:
            lines.append(self.duplicates_rule)
        if self.status == FrameStatus.REJECTED.value and self.rejected:
            lines.append(
                "Nothing was imported. Fix the rows listed and import again, or import the "
                "valid rows only (accept the report: --accept-valid-rows)."
            )
        if self.period_start is not None and self.period_end is not None:
            lines.append(f"period {self.period_start.isoformat()} to {self.period_end.isoformat()}")
        if self.same_content_as:
            frames = ", ".join(str(i) for i in self.same_content_as)
            lines.append(
                f"WARNING: the same content and period as ready frame(s) {frames}: this is a "
                "second copy; draw from the existing frame"
            )
        if self.content_hash:
            lines.append(f"content sha256 {self.content_hash}")
        return lines


ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class _Tally:
    rows_read: int = 0
    imported: int = 0
    rejected: int = 0
    not_contactable: int = 0
    errors: int = 0
    warnings: int = 0
    stored_errors: list[ImportProblem] = field(default_factory=list)
    stored_warnings: list[ImportProblem] = field(default_factory=list)
    same_content_as: list[int] = field(default_factory=list)
    # Every problem counted by (severity, field), stored or not: the report's kinds.
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    repeated_codes: int = 0

    def add(self, row_number: int, field_name: str, message: str, severity: Severity) -> None:
        self.kinds[(severity.value, field_name)] += 1
        if severity is Severity.ERROR:
            self.errors += 1
            if len(self.stored_errors) < MAX_STORED_PROBLEMS:
                self.stored_errors.append(ImportProblem(row_number, field_name, message, "error"))
        else:
            self.warnings += 1
            if len(self.stored_warnings) < MAX_STORED_PROBLEMS:
                self.stored_warnings.append(
                    ImportProblem(row_number, field_name, message, "warning")
                )

    def problems(self) -> tuple[ImportProblem, ...]:
        merged = sorted(
            itertools.chain(self.stored_errors, self.stored_warnings),
            key=lambda p: (p.row_number, p.severity, p.field),
        )
        return tuple(merged)


# ----------------------------------------------------------------------------- value parsing

_Parsed = tuple[Any, str | None]  # (value or None, error message or None)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    """Read a date cell: ISO ``YYYY-MM-DD``, Vietnamese ``DD/MM/YYYY``, or an Excel date.

    Accepts ``D/M/YYYY``, ``DD-MM-YYYY``, ``DD.MM.YYYY`` and ``YYYY/MM/DD`` too, a time after
    the date (ignored), ``datetime``/``date`` cells, and Excel serial day numbers (days since
    1899-12-30, the 1900 date system; ECMA-376 Part 1, 18.17.4). Returns ``None`` for an empty
    cell.

    Raises
    ------
    ValueError
        When the cell is not one of these forms or not a real calendar date.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value <= _MAX_EXCEL_SERIAL:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError("not an Excel day number")
    text_value = str(value).strip()
    if not text_value:
        return None
    day_part = text_value.replace("T", " ").split(" ", 1)[0]
    if len(day_part) == 10 and day_part[4] == "-":
        return date.fromisoformat(day_part)
    for sep in "/-.":
        parts = day_part.split(sep)
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            continue
        if len(parts[2]) == 4:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        if len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
    raise ValueError("not a date")


def _date_parser(field_name: str, required: bool) -> Callable[[Any], _Parsed]:
    def parse(value: Any) -> _Parsed:
        try:
            parsed = parse_date(value)
        except (ValueError, OverflowError):
            shown = _text(value)[:40]
            return None, (
                f"{field_name} {shown!r} is not a date: write YYYY-MM-DD or DD/MM/YYYY "
                "(day first), or use an Excel date cell"
            )
        if parsed is None:
            return None, (f"{field_name} is empty: every dossier needs one" if required else None)
        if not 1990 <= parsed.year <= 2100:
            return None, f"{field_name} {parsed.isoformat()} has an unlikely year: check it"
        return parsed, None

    return parse


def _choice_parser(
    field_name: str, spellings: Mapping[str, StrEnum], enum: Iterable[StrEnum]
) -> Callable[[Any], _Parsed]:
    accepted = ", ".join(e.value for e in enum)

    def parse(value: Any) -> _Parsed:
        shown = _text(value)
        if not shown:
            return None, f"{field_name} is empty: every dossier needs one ({accepted})"
        found = spellings.get(normalise_header(shown))
        if found is None:
            return None, (
                f"{field_name} {shown[:40]!r} is not known: use one of {accepted} "
                "(Vietnamese spellings are accepted)"
            )
        return found.value, None

    return parse


# Codes never span lines: a line break inside one means the CSV's quoting went wrong.
SINGLE_LINE_FIELDS = frozenset(
    {"dossier_code", "agency_code", "province_code", "commune_code", "procedure_code"}
)


def _unclosed_quote(name: str, value: str) -> str:
    """The diagnosis of a CSV value that swallowed the lines after it: a quote never closed."""
    lines = value.count("\n")
    return (
        f"{name} runs over {lines + 1:,} lines of the file ({len(value):,} characters): a "
        f'double quote (") opened in this value {_UNCLOSED_QUOTE} {lines:,} lines '
        "were read into it; close the quote or remove it, then upload again"
    )


_UNCLOSED_QUOTE = "is never closed, so the next"


def _only_quote_diagnosis(bad: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """A row whose quote swallowed the lines after it has junk in every later field: keep its
    first quote diagnosis and nothing else, so the report names the cause once."""
    first: dict[int, tuple[int, str, str]] = {}
    for problem in bad:
        if _UNCLOSED_QUOTE in problem[2]:
            first.setdefault(problem[0], problem)
    return [problem for problem in bad if problem[0] not in first or problem is first[problem[0]]]


def _text_limits() -> dict[str, int]:
    columns = Dossier.__table__.columns  # type: ignore[attr-defined]
    return {name: int(columns[name].type.length) for name in TEXT_FIELDS}


_PHONE_WARNINGS = {
    PhoneKind.MISSING: "no phone: the dossier stays in the frame but cannot be invited by SMS",
    PhoneKind.LANDLINE: (
        "the phone is a landline (02x), which cannot receive SMS: the dossier stays in the frame "
        "but cannot be invited by SMS; give a mobile number if one is known"
    ),
    PhoneKind.INVALID: (
        "the phone is not a Vietnamese mobile number (e.g. 0912 345 678): the dossier stays in "
        "the frame but cannot be invited by SMS; correct the number"
    ),
}


@dataclass
class _CheckedBatch:
    """The rows of a batch that passed every check, column by column, ready to write.

    Text and choice fields are ``str``; dates are ISO ``str`` (``due_date`` may be ``None``).
    ``contacts`` holds ``(position in the batch, E.164 mobile or None, phone as given, name,
    postal address)`` for every row with a mobile phone or a name or address (for letters).
    """

    row_numbers: list[int]
    columns: dict[str, list[Any]]
    contactable: list[bool]
    contacts: list[tuple[int, str | None, str, str, str]]

    def __len__(self) -> int:
        return len(self.row_numbers)


@dataclass
class _ValidatedBatch:
    """A batch after phase 1 (:meth:`_RowChecker.validate`): its parsed columns, the problems
    found (``(row, field, message, severity)``, tallied in phase 2), the positions of its valid
    rows and their codes, and which of those codes (positions in ``valid_codes``) earlier
    batches may have kept."""

    batch: RowBatch
    columns: dict[str, list[Any]]
    completed: np.ndarray
    problems: list[tuple[int, str, str, Severity]]
    valid: np.ndarray
    valid_codes: list[str]
    maybe_seen: list[int]

    @property
    def maybe_codes(self) -> list[str]:
        """The distinct flagged codes, to look up among the dossiers already written."""
        return list(dict.fromkeys(self.valid_codes[j] for j in self.maybe_seen))


class _CachedParser:
    """Parses a column once per distinct value: a frame repeats few dates, levels and channels."""

    def __init__(self, name: str, parse: Callable[[Any], _Parsed], is_date: bool) -> None:
        self.name = name
        self.parse = parse
        self.is_date = is_date
        self.values: dict[Any, Any] = {}
        self.ordinals: dict[Any, int] = {}
        self.errors: dict[Any, str] = {}

    def run(self, values: Sequence[Any], bad: list[tuple[int, str, str]]) -> list[Any]:
        """Parsed values (``None`` where invalid or empty); problems are appended to ``bad``."""
        if len(self.values) + len(self.errors) > _CACHE_LIMIT:
            self.values.clear()
            self.ordinals.clear()
            self.errors.clear()
        distinct = set(values)
        for value in distinct - self.values.keys() - self.errors.keys():
            parsed, error = self.parse(value)
            if error is not None:
                self.errors[value] = error
            elif self.is_date:
                self.values[value] = None if parsed is None else parsed.isoformat()
                self.ordinals[value] = -1 if parsed is None else parsed.toordinal()
            else:
                self.values[value] = parsed
        failing = distinct & self.errors.keys()
        if failing:
            bad.extend((i, self.name, self.errors[v]) for i, v in enumerate(values) if v in failing)
        return list(map(self.values.get, values))

    def ordinal_array(self, values: Sequence[Any]) -> np.ndarray:
        """Day numbers of a date column (-1 where empty or invalid), for vectorised comparison."""
        return np.fromiter(
            map(self.ordinals.get, values, itertools.repeat(-1)), dtype=np.int64, count=len(values)
        )


class _RowChecker:
    """Checks batches column by column, remembering dossier codes across the whole file."""

    def __init__(
        self,
        tally: _Tally,
        today: date,
        period: tuple[date, date] | None = None,
        seen: SeenCodes | None = None,
    ) -> None:
        self.tally = tally
        self.today_ordinal = today.toordinal()
        self.reform_ordinal = DISTRICTS_ABOLISHED.toordinal()
        self.period = period
        # Day numbers of the first and last completion among the rows kept: the frame's period.
        self.first_completed = date.max.toordinal()
        self.last_completed = -1
        self.limits = _text_limits()
        self.seen = seen if seen is not None else SeenCodes(MIN_BITS)
        # Codes kept by the batch finished last, with their rows: the lookup of a batch's
        # flagged codes runs before that batch is written (see ``_load_batches``).
        self.previous_kept: dict[str, int] = {}
        self.parsers = {
            "level": _CachedParser(
                "level", _choice_parser("level", LEVEL_SPELLINGS, Level), is_date=False
            ),
            "channel": _CachedParser(
                "channel", _choice_parser("channel", CHANNEL_SPELLINGS, Channel), is_date=False
            ),
            **{
                name: _CachedParser(
                    name, _date_parser(name, required=name != "due_date"), is_date=True
                )
                for name in ("received_date", "due_date", "completed_date")
            },
        }

    def _texts(self, batch: RowBatch, name: str, bad: list[tuple[int, str, str]]) -> list[str]:
        n = len(batch)
        values = batch.columns.get(name)
        if values is None:
            return [""] * n
        texts = list(map(str.strip, values)) if batch.text_only else [_text(v) for v in values]
        # One form per text (NFC): a decomposed "Hộ tịch" (macOS, some web forms) must be the
        # same field and stratum as the composed one. NUL is a starter that composes with
        # nothing, so the joined text is NFC exactly when every value is; the usual batch is
        # checked in one pass.
        joined = "\x00".join(texts)
        if not joined.isascii() and not unicodedata.is_normalized("NFC", joined):
            texts = [unicodedata.normalize("NFC", t) for t in texts]
            joined = "\x00".join(texts)
        limit = self.limits[name]
        broken = name in SINGLE_LINE_FIELDS and batch.text_only and "\n" in joined
        if (
            broken
            or max(map(len, texts), default=0) > limit
            or joined.count("\x00") > len(texts) - 1
        ):
            for i, s in enumerate(texts):
                if "\x00" in s:
                    bad.append((i, name, f"{name} contains a NUL character: remove it"))
                elif "\n" in s and batch.text_only and (len(s) > limit or broken):
                    bad.append((i, name, _unclosed_quote(name, s)))
                elif len(s) > limit:
                    bad.append(
                        (
                            i,
                            name,
                            f"{name} is {len(s)} characters long, over the limit of {limit}: "
                            "shorten it",
                        )
                    )
        if name in REQUIRED_TEXT and not all(texts):
            bad.extend(
                (i, name, f"{name} is empty: every dossier needs one")
                for i, s in enumerate(texts)
                if not s
            )
        return texts

    def _province_problems(
        self, codes: list[Any], completed: np.ndarray
    ) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
        """Rows whose province code is not in force on their completion date (63 units before
        1 July 2025, 34 from then on): errors as ``(position, field, message)``, warnings (an
        old code on a later dossier, kept) as ``(position, message)``. Rows without a date are
        judged by neither list."""
        errors: list[tuple[int, str, str]] = []
        warnings: list[tuple[int, str]] = []
        # Every code of the 34 is one of the 63 too (each new unit kept a code): only rows with
        # another code need their date looked at, and usually there are none.
        suspect = {
            code
            for code in set(codes)
            if code and pad_code(code) not in PROVINCE_CODES_SINCE_MERGER
        }
        if not suspect:
            return errors, warnings
        verdicts: dict[tuple[str, bool], tuple[bool, str] | None] = {}
        # Only the rows with a suspect code are visited one by one (as Python ints, not numpy
        # scalars): a file of old codes still checks each row's date in a vectorised pass.
        dated = completed >= 0
        at = np.flatnonzero(
            np.fromiter(map(suspect.__contains__, codes), dtype=bool, count=len(codes)) & dated
        )
        after = (completed[at] >= self.reform_ordinal).tolist()
        for i, since in zip(at.tolist(), after, strict=True):
            key = (codes[i], since)
            if key not in verdicts:
                verdicts[key] = province_code_problem(key[0], since_merger=key[1])
            verdict = verdicts[key]
            if verdict is None:
                continue
            rejected, message = verdict
            if rejected:
                errors.append((i, "province_code", message))
            else:
                warnings.append((i, message))
        return errors, warnings

    def validate(self, batch: RowBatch) -> _ValidatedBatch:
        """Phase 1: check every field of every row, and flag codes that earlier batches may
        have kept (:class:`~survey.dossier_codes.SeenCodes`). Nothing is tallied yet."""
        n = len(batch)
        rows = batch.row_numbers
        bad: list[tuple[int, str, str]] = []
        columns: dict[str, list[Any]] = {
            name: self._texts(batch, name, bad) for name in TEXT_FIELDS
        }
        ordinals: dict[str, np.ndarray] = {}
        for name, parser in self.parsers.items():
            values = batch.columns.get(name)
            if values is None:
                columns[name] = [None] * n
                ordinals[name] = np.full(n, -1, dtype=np.int64)
                continue
            columns[name] = parser.run(values, bad)
            if parser.is_date:
                ordinals[name] = parser.ordinal_array(values)
        received, completed, due = (
            ordinals["received_date"],
            ordinals["completed_date"],
            ordinals["due_date"],
        )
        for i in np.flatnonzero((received >= 0) & (completed >= 0) & (completed < received)):
            bad.append(
                (
                    int(i),
                    "completed_date",
                    f"completed_date {columns['completed_date'][i]} is before received_date "
                    f"{columns['received_date'][i]}: check the two dates",
                )
            )
        for i in np.flatnonzero(completed > self.today_ordinal):
            bad.append(
                (
                    int(i),
                    "completed_date",
                    f"completed_date {columns['completed_date'][i]} is in the future: "
                    "check the date",
                )
            )
        levels = columns["level"]
        if Level.DISTRICT.value in levels:
            district = np.fromiter((v == Level.DISTRICT.value for v in levels), bool, count=n)
            for i in np.flatnonzero(district & (completed >= self.reform_ordinal)):
                shown_level = _text(batch.columns["level"][i])[:40]
                bad.append(
                    (
                        int(i),
                        "level",
                        f"level {shown_level!r} (district) does not exist for a dossier "
                        f"completed on {columns['completed_date'][i]}: the district level was "
                        "abolished on "
                        "1 July 2025; give the level that handled it now, province (tỉnh) or "
                        "commune (xã)",
                    )
                )
        province_errors, province_warnings = self._province_problems(
            columns["province_code"], completed
        )
        bad.extend(province_errors)
        if self.period is not None:
            start, end = self.period
            outside = (completed >= 0) & (
                (completed < start.toordinal()) | (completed > end.toordinal())
            )
            for i in np.flatnonzero(outside):
                bad.append(
                    (
                        int(i),
                        "completed_date",
                        f"completed_date {columns['completed_date'][i]} is outside the frame's "
                        f"period {start.isoformat()} to {end.isoformat()}: check the date, or "
                        "import the file with the period it covers",
                    )
                )
        if batch.problems:
            positions = {number: i for i, number in enumerate(rows)}
            bad.extend((positions[int(p.loc[1])], "row", p.msg) for p in batch.problems)

        if any(_UNCLOSED_QUOTE in b[2] for b in bad):
            bad = _only_quote_diagnosis(bad)
        invalid = np.zeros(n, dtype=bool)
        # Problems are tallied when the batch is finished, in this order (see ``finish``).
        found: list[tuple[int, str, str, Severity]] = []
        if bad:
            invalid[np.fromiter((b[0] for b in bad), dtype=np.intp, count=len(bad))] = True
            found.extend(
                (rows[position], name, message, Severity.ERROR)
                for position, name, message in sorted(bad, key=lambda b: b[0])
            )
        found.extend(
            (rows[position], "province_code", message, Severity.WARNING)
            for position, message in province_warnings
            if not invalid[position]
        )
        for i in np.flatnonzero(~invalid & (due >= 0) & (received >= 0) & (due < received)):
            found.append(
                (
                    rows[i],
                    "due_date",
                    f"due_date {columns['due_date'][i]} is before received_date "
                    f"{columns['received_date'][i]}: check the appointment date (the row is kept)",
                    Severity.WARNING,
                )
            )
        valid = np.flatnonzero(~invalid)
        codes = columns["dossier_code"]
        valid_codes = codes if len(valid) == n else [codes[i] for i in valid]
        # Codes of earlier batches this one may repeat: the filter holds every valid code of
        # every earlier batch, so a code it does not flag was certainly not kept before.
        maybe = np.flatnonzero(self.seen.maybe_seen(valid_codes)).tolist()
        self.seen.add(valid_codes)
        return _ValidatedBatch(
            batch=batch,
            columns=columns,
            completed=completed,
            problems=found,
            valid=valid,
            valid_codes=valid_codes,
            maybe_seen=maybe,
        )

    def finish(self, validated: _ValidatedBatch, written: Mapping[str, int]) -> _CheckedBatch:
        """Phase 2: tally the batch's problems, reject repeated codes, read the phones.

        ``written`` maps codes to the rows that kept them among the dossiers already written,
        looked up exactly for the batch's :attr:`_ValidatedBatch.maybe_codes`; it must cover
        every batch finished before the previous one, which this checker remembers itself.
        """
        batch, columns, completed = validated.batch, validated.columns, validated.completed
        n = len(batch)
        rows = batch.row_numbers
        for row_number, name, message, severity in validated.problems:
            self.tally.add(row_number, name, message, severity)

        # Duplicates across the whole file: the first valid row with a code keeps it.
        valid, valid_codes = validated.valid, validated.valid_codes
        valid_rows = [rows[i] for i in valid.tolist()] if len(valid) < n else list(rows)
        firsts = list(valid_rows)
        previous = self.previous_kept
        for j in validated.maybe_seen:
            code = valid_codes[j]
            kept_at = previous.get(code)
            if kept_at is None:
                kept_at = written.get(code)
            if kept_at is not None:
                firsts[j] = kept_at
        if len(set(valid_codes)) < len(valid_codes):
            first_in_batch: dict[str, int] = {}
            for j, code in enumerate(valid_codes):
                if firsts[j] == valid_rows[j]:
                    firsts[j] = first_in_batch.setdefault(code, valid_rows[j])
        repeated = np.fromiter(
            map(int.__ne__, firsts, valid_rows), dtype=bool, count=len(valid_rows)
        )
        self.tally.repeated_codes += int(np.count_nonzero(repeated))
        for j in np.flatnonzero(repeated).tolist():
            self.tally.add(
                valid_rows[j],
                "dossier_code",
                f"dossier_code {valid_codes[j]!r} already appears in row {firsts[j]}: each "
                "dossier must appear once; the first row is kept and this one is rejected",
                Severity.ERROR,
            )
        keep = valid[~repeated].tolist()
        self.tally.rejected += n - len(keep)
        kept_codes = (
            valid_codes
            if len(keep) == len(valid_codes)
            else [valid_codes[j] for j in np.flatnonzero(~repeated).tolist()]
        )
        self.previous_kept = dict(zip(kept_codes, [rows[i] for i in keep], strict=True))
        if keep:
            kept_completed = completed[keep]
            self.first_completed = min(self.first_completed, int(kept_completed.min()))
            self.last_completed = max(self.last_completed, int(kept_completed.max()))

        def pick(values: list[Any]) -> list[Any]:
            return values if len(keep) == n else [values[i] for i in keep]

        kept_rows = pick(rows)
        raw_phones = pick(batch.columns.get("phone") or [None] * n)
        phones = list(map(classify_phone, raw_phones))
        mobile = PhoneKind.MOBILE
        contactable = [kind is mobile for kind, _ in phones]
        # A file may have no phone column at all (letters only): then the cells are None.
        given = (
            list(map(str.strip, raw_phones))
            if batch.text_only and "phone" in batch.columns
            else list(map(_text, raw_phones))
        )
        # Most files have neither column: no per-row work for them.
        names = _contact_texts(batch.columns.get("full_name"), pick, len(keep), 200)
        addresses = _contact_texts(batch.columns.get("postal_address"), pick, len(keep), 500)
        # A row without a mobile still gets a contact row when it has a name or address: the
        # dossier can then be invited by letter.
        contacts = [
            (
                position,
                str(e164) if kind is mobile else None,
                given[position][:32] if kind is mobile else "",
                names[position],
                addresses[position],
            )
            for position, (kind, e164) in enumerate(phones)
            if kind is mobile or names[position] or addresses[position]
        ]
        n_mobile = sum(contactable)
        if n_mobile < len(phones):
            for position, (kind, _) in enumerate(phones):
                if kind is not mobile:
                    self.tally.add(
                        kept_rows[position], "phone", _PHONE_WARNINGS[kind], Severity.WARNING
                    )
        self.tally.not_contactable += len(phones) - n_mobile
        return _CheckedBatch(
            row_numbers=kept_rows,
            columns={name: pick(columns[name]) for name in DOSSIER_COLUMNS[3:15]},
            contactable=contactable,
            contacts=contacts,
        )


def _contact_texts(
    values: list[Any] | None, pick: Callable[[list[Any]], list[Any]], n: int, limit: int
) -> list[str]:
    """A name or address column of the kept rows, cut to ``limit`` ("" for every row when the
    file has no such column)."""
    if values is None:
        return [""] * n
    return [_text(v)[:limit] for v in pick(values)]


# ----------------------------------------------------------------------------- bulk writers

_COPY_SPECIALS = ("\\", "\t", "\n", "\r")


def _copy_column(values: list[Any]) -> list[str]:
    """A column in PostgreSQL's COPY text format: ``\\N`` for NULL, specials backslash-escaped."""
    if None in values:
        values = ["\\N" if v is None else v for v in values]
    joined = "".join(values)
    if any(special in joined for special in _COPY_SPECIALS):
        return [
            v
            if v == "\\N"
            else v.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            for v in values
        ]
    return values


def _copy_payload(columns: Sequence[list[str]]) -> str:
    # One join over the lines: no per-line concatenation (callers never pass zero rows).
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


class _BulkWriter(ABC):
    """Writes checked batches through the driver connection of an open transaction."""

    def __init__(self, connection: Connection, frame_id: int) -> None:
        self.connection = connection
        self.frame_id = frame_id
        self.driver: Any = connection.connection.driver_connection

    @abstractmethod
    def reserve_ids(self, n: int) -> list[int]:
        """Dossier ids for ``n`` new rows, unique across concurrent imports."""

    @abstractmethod
    def write(self, batch: _CheckedBatch) -> None:
        """Write a batch's dossiers and their contacts."""

    @abstractmethod
    def write_problems(self, problems: Sequence[ImportProblem]) -> None:
        """Store the problems of the import."""

    @abstractmethod
    def kept_rows(self, codes: Sequence[str]) -> dict[str, int]:
        """``{code: row number}`` of the frame's dossiers written so far with these codes
        (exact: read through the unique ``(frame_id, dossier_code)`` index)."""


class _PostgresWriter(_BulkWriter):
    def __init__(self, connection: Connection, frame_id: int) -> None:
        super().__init__(connection, frame_id)
        with self.driver.cursor() as cursor:
            # Resolved once: inside the id query it would be evaluated for every id.
            cursor.execute("SELECT pg_get_serial_sequence('dossier', 'id')")
            self.sequence: str = cursor.fetchone()[0]

    def reserve_ids(self, n: int) -> list[int]:
        # nextval is atomic per call, so concurrent imports (or any other insert) never share
        # an id; the ids need not be contiguous.
        with self.driver.cursor() as cursor:
            cursor.execute(
                "SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)",
                (self.sequence, n),
            )
            ids: list[int] = cursor.fetchone()[0]
            return ids

    def _copy(self, table: str, names: Sequence[str], payload: str) -> None:
        with (
            self.driver.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            copy.write(payload)

    def kept_rows(self, codes: Sequence[str]) -> dict[str, int]:
        with self.driver.cursor() as cursor:
            cursor.execute(
                "SELECT dossier_code, row_number FROM dossier "
                "WHERE frame_id = %s AND dossier_code = ANY(%s)",
                (self.frame_id, list(codes)),
            )
            return {str(code): int(row) for code, row in cursor.fetchall()}

    def write(self, batch: _CheckedBatch) -> None:
        n = len(batch)
        if not n:
            return
        ids = self.reserve_ids(n)
        id_texts = list(map(str, ids))
        columns = [
            id_texts,
            [str(self.frame_id)] * n,
            list(map(str, batch.row_numbers)),
            *(_copy_column(batch.columns[name]) for name in DOSSIER_COLUMNS[3:15]),
            ["t" if c else "f" for c in batch.contactable],
        ]
        self._copy("dossier", DOSSIER_COLUMNS, _copy_payload(columns))
        if batch.contacts:
            self._copy(
                "dossier_contact",
                ("dossier_id", "phone_e164", "phone_as_given", "full_name", "postal_address"),
                _copy_payload(
                    [
                        [id_texts[c[0]] for c in batch.contacts],
                        _copy_column([c[1] for c in batch.contacts]),
                        _copy_column([c[2] for c in batch.contacts]),
                        _copy_column([c[3] for c in batch.contacts]),
                        _copy_column([c[4] for c in batch.contacts]),
                    ]
                ),
            )

    def write_problems(self, problems: Sequence[ImportProblem]) -> None:
        if not problems:
            return
        self._copy(
            "frame_import_problem",
            ("frame_id", "row_number", "field_name", "message", "severity"),
            _copy_payload(
                [
                    [str(self.frame_id)] * len(problems),
                    [str(p.row_number) for p in problems],
                    _copy_column([p.field[:64] for p in problems]),
                    _copy_column([p.message[:500] for p in problems]),
                    [p.severity for p in problems],
                ]
            ),
        )


class _SqliteWriter(_BulkWriter):
    def __init__(self, connection: Connection, frame_id: int) -> None:
        super().__init__(connection, frame_id)
        # Take SQLite's write lock before reading max(id), so no other writer takes our ids.
        connection.exec_driver_sql("UPDATE frame SET status = status WHERE id = ?", (frame_id,))
        row = connection.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM dossier").one()
        self.next_id = int(row[0]) + 1

    def reserve_ids(self, n: int) -> list[int]:
        start = self.next_id
        self.next_id += n
        return list(range(start, start + n))

    def kept_rows(self, codes: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        cursor = self.driver.cursor()
        try:
            # In chunks: SQLite caps the parameters of one statement (999 before 3.32).
            for start in range(0, len(codes), 900):
                chunk = codes[start : start + 900]
                cursor.execute(
                    "SELECT dossier_code, row_number FROM dossier WHERE frame_id = ? AND "
                    f"dossier_code IN ({', '.join('?' * len(chunk))})",
                    (self.frame_id, *chunk),
                )
                found.update((str(code), int(row)) for code, row in cursor.fetchall())
        finally:
            cursor.close()
        return found

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        cursor = self.driver.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def write(self, batch: _CheckedBatch) -> None:
        n = len(batch)
        if not n:
            return
        ids = self.reserve_ids(n)
        placeholders = ", ".join("?" * len(DOSSIER_COLUMNS))
        self._executemany(
            f"INSERT INTO dossier ({', '.join(DOSSIER_COLUMNS)}) VALUES ({placeholders})",
            zip(
                ids,
                itertools.repeat(self.frame_id, n),
                batch.row_numbers,
                *(batch.columns[name] for name in DOSSIER_COLUMNS[3:15]),
                map(int, batch.contactable),
                strict=True,
            ),
        )
        self._executemany(
            "INSERT INTO dossier_contact (dossier_id, phone_e164, phone_as_given, full_name, "
            "postal_address) VALUES (?, ?, ?, ?, ?)",
            (
                (ids[position], e164, given, name, address)
                for position, e164, given, name, address in batch.contacts
            ),
        )

    def write_problems(self, problems: Sequence[ImportProblem]) -> None:
        self._executemany(
            "INSERT INTO frame_import_problem (frame_id, row_number, field_name, message, "
            "severity) VALUES (?, ?, ?, ?, ?)",
            (
                (self.frame_id, p.row_number, p.field[:64], p.message[:500], p.severity)
                for p in problems
            ),
        )


def _writer(connection: Connection, frame_id: int) -> _BulkWriter:
    if connection.dialect.name == "postgresql":
        return _PostgresWriter(connection, frame_id)
    return _SqliteWriter(connection, frame_id)


# ----------------------------------------------------------------------------- queries

_HASH_SQL = {
    "postgresql": """
        SELECT concat_ws(chr(31), dossier_code, agency_code, agency_name, province_code,
            commune_code, level, procedure_code, procedure_field, channel,
            to_char(received_date, 'YYYY-MM-DD'), coalesce(to_char(due_date, 'YYYY-MM-DD'), ''),
            to_char(completed_date, 'YYYY-MM-DD'), CASE WHEN contactable THEN '1' ELSE '0' END)
        FROM dossier WHERE frame_id = %s ORDER BY dossier_code COLLATE "C"
    """,
    "sqlite": """
        SELECT dossier_code || char(31) || agency_code || char(31) || agency_name || char(31)
            || province_code || char(31) || commune_code || char(31) || level || char(31)
            || procedure_code || char(31) || procedure_field || char(31) || channel || char(31)
            || received_date || char(31) || ifnull(due_date, '') || char(31) || completed_date
            || char(31) || CASE WHEN contactable THEN '1' ELSE '0' END
        FROM dossier WHERE frame_id = ? ORDER BY dossier_code
    """,
}


def frame_content_hash(connection: Connection, frame_id: int) -> str:
    """SHA-256 of a frame's canonical content, for a draw to record.

    Each dossier gives one line: the :data:`HASHED_COLUMNS` values (dates ISO, empty for none,
    ``contactable`` as 1/0) joined by U+001F and ended by U+001E, in ascending byte order of
    ``dossier_code`` (``COLLATE "C"`` on PostgreSQL, SQLite's BINARY), so the same content gives
    the same hash on either database whatever the file's row order. The lines are built by the
    database and streamed, so memory stays bounded.
    """
    driver: Any = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    # A named (server-side) cursor streams a PostgreSQL result instead of loading it whole.
    cursor = driver.cursor(name="frame_content_hash") if postgres else driver.cursor()
    digest = hashlib.sha256()
    if postgres:
        # The sort by code fits in memory up to ~500,000 dossiers instead of spilling to disk at
        # the default 4 MB (half the query's time); local: it ends with the transaction.
        with driver.cursor() as setting:
            setting.execute("SELECT set_config('work_mem', '128MB', true)")
    try:
        cursor.execute(_HASH_SQL["postgresql" if postgres else "sqlite"], (frame_id,))
        while chunk := cursor.fetchmany(50_000):
            digest.update(("\x1e".join([row[0] for row in chunk]) + "\x1e").encode())
    finally:
        cursor.close()
    return digest.hexdigest()


_DUPLICATE_PHONES_SQL = """
SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (
    SELECT COUNT(*) AS n FROM dossier_contact c JOIN dossier d ON d.id = c.dossier_id
    WHERE d.frame_id = :frame_id AND c.phone_e164 IS NOT NULL
    GROUP BY c.phone_e164 HAVING COUNT(*) > 1
) AS shared
"""


def _duplicate_phone_counts(connection: Connection, frame_id: int) -> tuple[int, int]:
    groups, dossiers = connection.execute(text(_DUPLICATE_PHONES_SQL), {"frame_id": frame_id}).one()
    return int(groups), int(dossiers)


def phone_duplicate_groups(session: Session, frame_id: int) -> list[tuple[int, ...]]:
    """Dossier ids of a frame grouped by shared mobile phone; the phones are not returned.

    One person can hold several dossiers and a campaign must not invite a person twice
    (DOMAIN.md): the design decides which dossier of a group may be invited.

    Returns
    -------
    list of tuple of int
        Groups of at least two dossier ids (ascending), ordered by their first id.
    """
    rows = session.connection().execute(
        text(
            """
            SELECT c.phone_e164, d.id FROM dossier_contact c JOIN dossier d ON d.id = c.dossier_id
            WHERE d.frame_id = :frame_id AND c.phone_e164 IN (
                SELECT c2.phone_e164 FROM dossier_contact c2
                JOIN dossier d2 ON d2.id = c2.dossier_id
                WHERE d2.frame_id = :frame_id GROUP BY c2.phone_e164 HAVING COUNT(*) > 1
            )
            ORDER BY c.phone_e164, d.id
            """
        ),
        {"frame_id": frame_id},
    )
    groups = [
        tuple(int(r[1]) for r in members)
        for _, members in itertools.groupby(rows, key=lambda r: r[0])
    ]
    return sorted(groups)


def _update_frame(connection: Connection, frame_id: int, **values: Any) -> None:
    connection.execute(
        Frame.__table__.update()  # type: ignore[attr-defined]
        .where(Frame.__table__.c.id == frame_id)  # type: ignore[attr-defined]
        .values(**values)
    )


# ----------------------------------------------------------------------------- use cases


def import_frame(
    *,
    engine: Engine,
    source: Path | str,
    name: str,
    column_map: Mapping[str, str] | None = None,
    accept_valid_rows: bool = False,
    created_by: int | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    today: date | None = None,
    source_filename: str | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    aliases: bool = True,
) -> ImportReport:
    """Import a CSV or XLSX file of dossiers as a new frame, whole or not at all.

    Parameters
    ----------
    engine
        Engine on the platform database (SQLite or PostgreSQL).
    source
        The file; CSV (UTF-8, ``,``/``;``/tab) or XLSX, see :mod:`survey.frame_files`.
    name
        The frame's name, shown to coordinators.
    column_map
        ``{file column: field}`` for columns whose names are not recognised.
    aliases
        ``False`` when ``column_map`` is the coordinator's whole choice (the mapping form): no
        other column is read (:func:`survey.frame_files.resolve_columns`).
    accept_valid_rows
        Import the valid rows even when some rows have errors (the coordinator accepted the
        report). Without it, one bad row rejects the whole file.
    created_by
        The staff user importing.
    progress
        Called after every batch with an :class:`ImportProgress`.
    batch_size
        Rows per batch (memory is proportional to it).
    today
        The day after which a completion date is "in the future" (defaults to today, UTC+7).
    source_filename
        The file's name as the coordinator knows it (an upload's name: the server's copy is
        named otherwise, since a sent name is never used as a path); defaults to ``source``'s.
    period_start, period_end
        The period the frame covers, both or neither: a dossier completed outside it is a row
        error. Without them the period is that of the imported dossiers' completion dates.

    Returns
    -------
    ImportReport
        Status ``ready`` (committed) or ``rejected`` (nothing imported; problems stored).

    A file whose content hash equals that of a ready frame for the same period is imported with
    a file warning naming that frame (``same_content_as``), never as a silent second copy.

    Raises
    ------
    InvalidInput
        When the file cannot give a frame at all (unreadable, no usable header) or the period is
        incomplete or reversed; the frame, if already created, is kept as ``rejected`` with the
        problem stored.
    """
    if not name.strip():
        raise InvalidInput("the frame needs a name", [Problem(("name",), "give the frame a name")])
    period = _checked_period(period_start, period_end)
    started = time.perf_counter()
    source = Path(source)
    shown_name = (source_filename or source.name)[:255]
    today = today or (datetime.now(UTC) + timedelta(hours=7)).date()
    tally = _Tally()
    with open_frame_file(source, column_map, display_name=shown_name, aliases=aliases) as reader:
        headers = {name: reader.headers[i] for name, i in reader.columns.items()}
        with Session(engine) as session:
            frame = Frame(
                name=name.strip()[:200],
                status=FrameStatus.IMPORTING.value,
                source_filename=shown_name,
                created_by=created_by,
                period_start=period_start,
                period_end=period_end,
                column_headers=headers,
            )
            session.add(frame)
            session.commit()
            assert frame.id is not None
            frame_id = frame.id
        # Sized from the file before any row is read: the one structure kept for the whole file.
        seen = SeenCodes.for_file(source.stat().st_size, reader.kind)
        checker = _RowChecker(tally, today, period, seen)
        try:
            accepted, content_hash, groups, sharing = _load(
                engine,
                reader.batches(batch_size),
                frame_id,
                tally,
                checker,
                accept_valid_rows,
                started,
                progress,
            )
        except BaseException as exc:
            _record_failure(engine, frame_id, tally, exc)
            raise
    if not accepted:
        _record_rejection(engine, frame_id, tally)
    status = FrameStatus.READY if accepted else FrameStatus.REJECTED
    seconds = time.perf_counter() - started
    if progress is not None:
        progress(ImportProgress(tally.rows_read, tally.imported, seconds, "done"))
    return ImportReport(
        frame_id=frame_id,
        name=name.strip()[:200],
        status=status.value,
        source_filename=shown_name,
        rows_read=tally.rows_read,
        imported=tally.imported if accepted else 0,
        rejected=tally.rejected,
        not_contactable=tally.not_contactable if accepted else 0,
        duplicate_phone_dossiers=sharing,
        duplicate_phone_groups=groups,
        errors=tally.errors,
        warnings=tally.warnings,
        problems=tally.problems(),
        content_hash=content_hash,
        seconds=seconds,
        period_start=_period_day(checker, 0) if accepted else period_start,
        period_end=_period_day(checker, 1) if accepted else period_end,
        same_content_as=tuple(tally.same_content_as),
        counts_by_kind=_kinds(tally.kinds),
        column_headers=headers,
        repeated_codes=tally.repeated_codes,
    )


def _period_day(checker: _RowChecker, which: int) -> date:
    if checker.period is not None:
        return checker.period[which]
    return date.fromordinal(checker.first_completed if which == 0 else checker.last_completed)


def _checked_period(start: date | None, end: date | None) -> tuple[date, date] | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        missing = "period_start" if start is None else "period_end"
        raise InvalidInput(
            "the frame's period needs a first and a last day",
            [Problem((missing,), "give both the first and the last day of the period, or neither")],
        )
    if end < start:
        raise InvalidInput(
            "the frame's period ends before it starts",
            [
                Problem(
                    ("period_end",),
                    f"the last day {end.isoformat()} is before the first day "
                    f"{start.isoformat()}: swap or correct them",
                )
            ],
        )
    return start, end


def _load(
    engine: Engine,
    batches: Iterator[RowBatch],
    frame_id: int,
    tally: _Tally,
    checker: _RowChecker,
    accept_valid_rows: bool,
    started: float,
    progress: ProgressCallback | None,
) -> tuple[bool, str, int, int]:
    """Stream, check and write every batch in one transaction; commit or roll back at the end.

    A single writer thread owns the database connection, so the database works on one batch
    while this thread reads and checks the next (the driver releases the GIL while it waits);
    at most three checked batches are held at a time.
    """
    with _fewer_collections():
        return _load_batches(
            engine, batches, frame_id, tally, checker, accept_valid_rows, started, progress
        )


def _lookup(
    pool: ThreadPoolExecutor, writer: _BulkWriter, codes: list[str]
) -> Future[dict[str, int]]:
    """The rows that kept ``codes`` among the dossiers written when the task runs."""
    if codes:
        return pool.submit(writer.kept_rows, codes)
    done: Future[dict[str, int]] = Future()
    done.set_result({})
    return done


@contextmanager
def _fewer_collections(threshold: int = 100_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while rows stream through.

    An import allocates millions of short-lived tuples and no reference cycles; with the default
    threshold (700 allocations) collections cost a third of the CPU time.
    """
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], threshold), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _load_batches(
    engine: Engine,
    batches: Iterator[RowBatch],
    frame_id: int,
    tally: _Tally,
    checker: _RowChecker,
    accept_valid_rows: bool,
    started: float,
    progress: ProgressCallback | None,
) -> tuple[bool, str, int, int]:
    def report(phase: str) -> None:
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress(ImportProgress(tally.rows_read, tally.imported, elapsed, phase))

    with engine.connect() as connection:
        transaction = connection.begin()
        writer = _writer(connection, frame_id)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-writer") as pool:
            # Two batches may wait for the writer, so a slow COPY does not stop the checking
            # of the next batch (the writer runs its tasks in order).
            pending: deque[Future[None]] = deque()

            def finish(validated: _ValidatedBatch, lookup: Future[dict[str, int]]) -> None:
                checked = checker.finish(validated, lookup.result())
                tally.imported += len(checked)
                while len(pending) >= 2:
                    pending.popleft().result()
                pending.append(pool.submit(writer.write, checked))

            # Batch i's flagged codes are looked up on the writer's connection (it alone sees
            # the transaction's rows) by a task queued after batch i-2's write and before batch
            # i-1's, so the lookup never waits for the batch just checked; the checker covers
            # batch i-1 itself (``previous_kept``). Every batch's code check is thus exact.
            previous: tuple[_ValidatedBatch, Future[dict[str, int]]] | None = None
            for batch in batches:
                tally.rows_read += len(batch)
                validated = checker.validate(batch)
                lookup = _lookup(pool, writer, validated.maybe_codes)
                if previous is not None:
                    finish(*previous)
                previous = (validated, lookup)
                report("reading")
            if previous is not None:
                finish(*previous)
            while pending:
                pending.popleft().result()
        if tally.rows_read == 0:
            tally.add(
                2,
                "file",
                "the file has no data rows under its header: check that the right file or "
                "sheet (the first one) was exported",
                Severity.ERROR,
            )
        if tally.imported == 0 or (tally.errors and not accept_valid_rows):
            transaction.rollback()
            return False, "", 0, 0
        report("hashing")
        if connection.dialect.name == "postgresql":
            # The planner's statistics still describe the tables before this import (empty on
            # a new database, or emptied): after a 1M-row import the duplicate-phone join below
            # was planned as a nested loop over the frame and ran 47 minutes
            # (bench/frame_import.py). ANALYZE samples the rows, this transaction's included.
            connection.execute(text("ANALYZE dossier, dossier_contact"))
        content_hash = frame_content_hash(connection, frame_id)
        groups, sharing = _duplicate_phone_counts(connection, frame_id)
        start, end = checker.period or (
            date.fromordinal(checker.first_completed),
            date.fromordinal(checker.last_completed),
        )
        for twin in _same_content_frames(connection, frame_id, content_hash, start, end):
            tally.same_content_as.append(int(twin.id))
            tally.add(
                0,
                "file",
                f"this file has the same content as frame {twin.id} {twin.name!r} (ready, "
                f"period {start.isoformat()} to {end.isoformat()}, imported from "
                f"{twin.source_filename!r}): it is a second copy of the same dossiers; draw "
                f"from frame {twin.id} and leave this one unused",
                Severity.WARNING,
            )
        for other, agencies in _overlapping_frames(connection, frame_id, start, end):
            if int(other.id) in tally.same_content_as:
                continue
            example = ", ".join(agencies[:3])
            tally.add(
                0,
                "file",
                f"frame {other.id} {other.name!r} (ready, period "
                f"{other.period_start.isoformat()} to {other.period_end.isoformat()}) overlaps "
                f"this file's period {start.isoformat()} to {end.isoformat()} and holds dossiers "
                f"of {len(agencies)} of the same agencies ({example}): a dossier in both would "
                "be counted twice; draw from one frame per agency and period",
                Severity.WARNING,
            )
        writer.write_problems(tally.problems())
        _update_frame(
            connection,
            frame_id,
            status=FrameStatus.READY.value,
            row_count=tally.imported,
            rejected_count=tally.rejected,
            content_hash=content_hash,
            period_start=start,
            period_end=end,
        )
        transaction.commit()
        return True, content_hash, groups, sharing


def _same_content_frames(
    connection: Connection, frame_id: int, content_hash: str, start: date, end: date
) -> list[Any]:
    """Other ready frames with this content hash and period, oldest first."""
    table = Frame.__table__  # type: ignore[attr-defined]
    return list(
        connection.execute(
            table.select()
            .where(
                table.c.id != frame_id,
                table.c.status == FrameStatus.READY.value,
                table.c.content_hash == content_hash,
                table.c.period_start == start,
                table.c.period_end == end,
            )
            .order_by(table.c.id)
        )
    )


def _overlapping_frames(
    connection: Connection, frame_id: int, start: date, end: date
) -> list[tuple[Any, list[str]]]:
    """Other ready frames whose period overlaps ``start``-``end`` and that hold dossiers of
    agencies this frame holds too, each with those agency codes (sorted), oldest first.

    A frame of another province for the same quarter overlaps in time only: not a warning.
    """
    frames = Frame.__table__  # type: ignore[attr-defined]
    dossiers = Dossier.__table__  # type: ignore[attr-defined]
    overlapping = list(
        connection.execute(
            frames.select()
            .where(
                frames.c.id != frame_id,
                frames.c.status == FrameStatus.READY.value,
                frames.c.period_start <= end,
                frames.c.period_end >= start,
            )
            .order_by(frames.c.id)
        )
    )
    if not overlapping:
        return []
    ours = core_select(dossiers.c.agency_code).where(dossiers.c.frame_id == frame_id).distinct()
    found = []
    for other in overlapping:
        shared = connection.execute(
            core_select(dossiers.c.agency_code)
            .where(dossiers.c.frame_id == other.id, dossiers.c.agency_code.in_(ours))
            .distinct()
            .order_by(dossiers.c.agency_code)
        ).scalars()
        agencies = [str(code) for code in shared]
        if agencies:
            found.append((other, agencies))
    return found


def _record_rejection(engine: Engine, frame_id: int, tally: _Tally) -> None:
    with engine.begin() as connection:
        _writer(connection, frame_id).write_problems(tally.problems())
        _update_frame(
            connection,
            frame_id,
            status=FrameStatus.REJECTED.value,
            row_count=0,
            rejected_count=tally.rejected,
            content_hash="",
        )


def _record_failure(engine: Engine, frame_id: int, tally: _Tally, exc: BaseException) -> None:
    """Keep the frame as ``rejected`` with the reason when the import stopped part-way."""
    if isinstance(exc, InvalidInput):
        reasons = [
            ImportProblem(
                int(p.loc[1]) if len(p.loc) > 1 and isinstance(p.loc[1], int) else 0,
                "file",
                p.msg,
            )
            for p in exc.problems
        ]
    else:
        reasons = [ImportProblem(0, "file", f"the import stopped: {type(exc).__name__}: {exc}")]
    with engine.begin() as connection:
        _writer(connection, frame_id).write_problems([*reasons, *tally.problems()])
        _update_frame(
            connection,
            frame_id,
            status=FrameStatus.REJECTED.value,
            row_count=0,
            rejected_count=tally.rejected,
        )


def _scoped_row_counts(
    session: Session, scope: Scope, frame_id: int | None = None
) -> dict[int, int]:
    """Dossiers per frame that ``scope`` may see, counted in SQL."""
    stmt = select(Dossier.frame_id, func.count()).where(
        *scope.where(Dossier.agency_code, Dossier.province_code)
    )
    if frame_id is not None:
        stmt = stmt.where(Dossier.frame_id == frame_id)
    rows = session.exec(stmt.group_by(col(Dossier.frame_id))).all()
    return {int(frame): int(n) for frame, n in rows}


def _frame_public(frame: Frame, scope: Scope, counts: Mapping[int, int]) -> FramePublic:
    public = FramePublic.model_validate(frame)
    if not scope.limited:
        return public
    # Whole-frame counts would tell a scoped coordinator about other agencies: their rows only.
    # Rejected rows are not stored, so none of them can be shown as theirs.
    return public.model_copy(update={"row_count": counts.get(public.id, 0), "rejected_count": 0})


def list_frames(session: Session, *, scope: Scope = UNLIMITED) -> list[FramePublic]:
    """All frames, newest first; a scoped caller gets the counts of their own rows."""
    frames = session.exec(select(Frame).order_by(col(Frame.id).desc())).all()
    counts = _scoped_row_counts(session, scope) if scope.limited else {}
    return [_frame_public(f, scope, counts) for f in frames]


def get_frame(session: Session, frame_id: int, *, scope: Scope = UNLIMITED) -> FramePublic:
    """One frame (counts as for :func:`list_frames`); raises :class:`NotFound` naming the id."""
    frame = session.get(Frame, frame_id)
    if frame is None:
        raise NotFound(
            f"frame {frame_id} does not exist",
            [Problem(("frame_id",), f"there is no frame {frame_id}: list the frames to find it")],
        )
    counts = _scoped_row_counts(session, scope, frame_id) if scope.limited else {}
    return _frame_public(frame, scope, counts)


def _problems_in_scope(stmt: Any, scope: Scope) -> Any:
    """Keep the problems of rows the scope may see: rows imported as dossiers of its agencies
    or provinces (a rejected row has no dossier, so nothing says whose it was)."""
    if not scope.limited:
        return stmt
    return stmt.join(
        Dossier,
        (col(Dossier.frame_id) == col(FrameImportProblem.frame_id))
        & (col(Dossier.row_number) == col(FrameImportProblem.row_number)),
    ).where(*scope.where(Dossier.agency_code, Dossier.province_code))


def frame_problems(
    session: Session,
    frame_id: int,
    *,
    severity: str | None = None,
    limit: int = 1000,
    offset: int = 0,
    scope: Scope = UNLIMITED,
) -> list[ImportProblem]:
    """The stored problems of a frame's import, by row, optionally of one severity."""
    get_frame(session, frame_id)
    query = select(FrameImportProblem).where(FrameImportProblem.frame_id == frame_id)
    query = _problems_in_scope(query, scope)
    if severity is not None:
        query = query.where(FrameImportProblem.severity == severity)
    query = (
        query.order_by(col(FrameImportProblem.row_number), col(FrameImportProblem.id))
        .offset(offset)
        .limit(limit)
    )
    return [
        ImportProblem(p.row_number, p.field_name, p.message, p.severity)
        for p in session.exec(query).all()
    ]


def stream_frame_problems(
    engine: Engine, frame_id: int, *, scope: Scope = UNLIMITED, batch_size: int = 5_000
) -> Iterator[ImportProblem]:
    """Every stored problem of a frame in row order (those of the scope's rows, as
    :func:`frame_problems`), read on a connection of its own in batches: a download streams
    after the request's session has closed, and a report holds up to 200,000 problems."""
    query = _problems_in_scope(
        select(FrameImportProblem).where(FrameImportProblem.frame_id == frame_id), scope
    ).order_by(col(FrameImportProblem.row_number), col(FrameImportProblem.id))
    with Session(engine) as session:
        result = session.exec(query.execution_options(yield_per=batch_size))
        for p in result:
            yield ImportProblem(p.row_number, p.field_name, p.message, p.severity)


def frame_problem_kinds(
    session: Session, frame_id: int, *, scope: Scope = UNLIMITED
) -> tuple[ProblemKind, ...]:
    """Stored problems of a frame by severity and field, errors and frequent kinds first."""
    get_frame(session, frame_id)
    query = select(FrameImportProblem.severity, FrameImportProblem.field_name, func.count()).where(
        FrameImportProblem.frame_id == frame_id
    )
    rows = session.exec(
        _problems_in_scope(query, scope).group_by(
            col(FrameImportProblem.severity), col(FrameImportProblem.field_name)
        )
    ).all()
    return _kinds({(severity, name): int(n) for severity, name, n in rows})


def count_frame_problems(
    session: Session, frame_id: int, *, scope: Scope = UNLIMITED
) -> dict[str, int]:
    """Stored problems of a frame by severity, e.g. ``{"error": 3, "warning": 12}``."""
    query = select(FrameImportProblem.severity, func.count()).where(
        FrameImportProblem.frame_id == frame_id
    )
    rows = session.exec(
        _problems_in_scope(query, scope).group_by(col(FrameImportProblem.severity))
    ).all()
    return {severity: int(n) for severity, n in rows}
