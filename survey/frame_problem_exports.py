"""A frame's import problems as a CSV or XLSX file the coordinator can sort, filter and act on.

One row per stored problem, in row order: the row number as in Excel, the file's own header for
the field (as recorded at import, ``frame.column_headers``), the platform's field, the severity and
the message. The caller gives the headings, the severity words and the message translation (the
coordinator's language is the web layer's business); this module only lays the rows out. Cells
go through :func:`survey.spreadsheet_cells.safe_cell`: a message quotes the file's values, and a
value such as ``=HYPERLINK(...)`` must stay text when the file is opened. Rows stream on their own
connection (:func:`survey.frames.stream_frame_problems`); XLSX is written by openpyxl in
write-only mode, so memory stays bounded by a row, not the report.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.audit import record_event
from survey.frames import ImportProblem, get_frame, stream_frame_problems
from survey.models import StaffUser
from survey.spreadsheet_cells import safe_cell
from survey.users import UNLIMITED, Scope

ProblemFormat = Literal["csv", "xlsx"]
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CHUNK_ROWS = 5_000


@dataclass(frozen=True)
class ProblemSheetWords:
    """The words of the file, in the reader's language.

    ``headings`` are those of the five columns: row, file column, field, severity, message.
    """

    headings: tuple[str, str, str, str, str]
    severities: Mapping[str, str]
    sheet_name: str = "problems"


@dataclass(frozen=True)
class ProblemExport:
    """A problems file ready to stream: its name, media type and body chunks."""

    filename: str
    media_type: str
    chunks: Iterator[bytes]


def problem_cells(
    problem: ImportProblem,
    column_headers: Mapping[str, str],
    words: ProblemSheetWords,
    translate: Callable[[str], str],
) -> list[Any]:
    """One problem as the five cells of its row, formula-safe."""
    return [
        problem.row_number,
        safe_cell(column_headers.get(problem.field, "")),
        safe_cell(problem.field),
        safe_cell(words.severities.get(problem.severity, problem.severity)),
        safe_cell(translate(problem.message)),
    ]


def _csv_chunks(header: list[str], rows: Iterator[list[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")  # Excel reads a CSV as UTF-8 only with a byte-order mark
    writer.writerow([safe_cell(h) for h in header])
    for i, row in enumerate(rows, start=1):
        writer.writerow(row)
        if i % _CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_chunks(header: list[str], rows: Iterator[list[Any]], sheet: str) -> Iterator[bytes]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append([safe_cell(h) for h in header])
    for row in rows:
        worksheet.append(row)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(1 << 16):
            yield chunk


def export_frame_problems(
    *,
    session: Session,
    frame_id: int,
    fmt: ProblemFormat,
    words: ProblemSheetWords,
    translate: Callable[[str], str] = lambda message: message,
    viewer: StaffUser | None = None,
    scope: Scope = UNLIMITED,
    address: str | None = None,
) -> ProblemExport:
    """Every stored problem of a frame's import as CSV (UTF-8 with BOM) or XLSX, streamed.

    A scoped coordinator gets the problems of their own rows only (the rows imported as their
    agencies' or provinces' dossiers), as on the report page. The download is audited
    (``export.frame_problems``) and committed before the first row streams.

    Raises
    ------
    NotFound
        If the frame does not exist.
    """
    frame = get_frame(session, frame_id, scope=scope)
    record_event(
        session=session,
        action="export.frame_problems",
        actor=viewer,
        target=f"frame:{frame_id}",
        details={"format": fmt, "scoped": scope.limited},
        address=address,
    )
    session.commit()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    headers = dict(frame.column_headers)
    rows = (
        problem_cells(p, headers, words, translate)
        for p in stream_frame_problems(engine, frame_id, scope=scope)
    )
    header = list(words.headings)
    stem = f"frame-{frame_id}-problems"
    if fmt == "xlsx":
        return ProblemExport(
            f"{stem}.xlsx", XLSX_MEDIA_TYPE, _xlsx_chunks(header, rows, words.sheet_name)
        )
    return ProblemExport(f"{stem}.csv", "text/csv; charset=utf-8", _csv_chunks(header, rows))
