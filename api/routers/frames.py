"""Frames: upload a CSV/XLSX list of dossiers, read the import report, list frames and dossiers."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from api.deps import AddressDep, SessionDep, get_engine
from api.params import XLSX_MEDIA_TYPE, FrameId, Offset, file_responses
from api.policy import AsCoordinator, AsNationalCoordinator, AsStaff
from api.problem_text import accept_language, problem_sheet_words, problem_text
from api.upload_limit import upload_display_name, upload_path
from survey.designs import list_frame_dossiers
from survey.errors import InvalidInput, Problem
from survey.frame_problem_exports import export_frame_problems
from survey.frames import (
    ImportReport,
    count_frame_problems,
    frame_problems,
    get_frame,
    import_frame,
    list_frames,
)
from survey.models.frames import DossierPublic, FramePublic

router = APIRouter(prefix="/api/frames", tags=["frames"])
EngineDep = Annotated[Engine, Depends(get_engine)]
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".txt")


class ProblemPublic(BaseModel):
    row_number: int
    field: str
    message: str
    severity: str


class ProblemKindPublic(BaseModel):
    severity: str
    field: str
    column: str  # the file's own header for the field ("" for the file or a whole row)
    count: int


class ImportReportPublic(BaseModel):
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
    problems: list[ProblemPublic]
    content_hash: str
    duplicates_rule: str
    period_start: date | None = None
    period_end: date | None = None
    same_content_as: list[int] = []
    problem_kinds: list[ProblemKindPublic] = []
    column_headers: dict[str, str] = {}  # {field: the file's own header}


class FrameReport(BaseModel):
    frame: FramePublic
    problem_counts: dict[str, int]


def report_public(report: ImportReport) -> ImportReportPublic:
    """The import report as sent to clients (problems included, capped at 1,000)."""
    return ImportReportPublic(
        frame_id=report.frame_id,
        name=report.name,
        status=report.status,
        source_filename=report.source_filename,
        rows_read=report.rows_read,
        imported=report.imported,
        rejected=report.rejected,
        not_contactable=report.not_contactable,
        duplicate_phone_dossiers=report.duplicate_phone_dossiers,
        duplicate_phone_groups=report.duplicate_phone_groups,
        errors=report.errors,
        warnings=report.warnings,
        problems=[
            ProblemPublic(
                row_number=p.row_number, field=p.field, message=p.message, severity=p.severity
            )
            for p in report.problems[:1000]
        ],
        content_hash=report.content_hash,
        duplicates_rule=report.duplicates_rule,
        period_start=report.period_start,
        period_end=report.period_end,
        same_content_as=list(report.same_content_as),
        problem_kinds=[
            ProblemKindPublic(
                severity=k.severity,
                field=k.field,
                column=report.column_headers.get(k.field, ""),
                count=k.count,
            )
            for k in report.counts_by_kind
        ],
        column_headers=dict(report.column_headers),
    )


def parse_column_map(text: str | None) -> dict[str, str]:
    """Read a column map given as a JSON object or as ``file column=field`` lines."""
    if text is None or not text.strip():
        return {}
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise InvalidInput(
                "the column map is not valid JSON",
                [
                    Problem(
                        ("column_map",), f'not valid JSON ({error.msg}); give {{"col": "field"}}'
                    )
                ],
            ) from None
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise InvalidInput(
                "the column map must map names to names",
                [Problem(("column_map",), 'give an object such as {"Mã hồ sơ": "dossier_code"}')],
            )
        return value
    mapping: dict[str, str] = {}
    for number, line in enumerate(stripped.replace(";", "\n").splitlines(), start=1):
        if not line.strip():
            continue
        column, sep, field = line.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise InvalidInput(
                "the column map cannot be read",
                [
                    Problem(
                        ("column_map", number),
                        f"line {number} {line.strip()!r} is not 'file column=field'",
                    )
                ],
            )
        mapping[column.strip()] = field.strip()
    return mapping


def rejected_problems(report: ImportReport) -> InvalidInput:
    """A rejected import as the one error model: every stored error as ``("row", n, field)``."""
    errors = [p for p in report.problems if p.severity == "error"]
    problems = [
        Problem(
            ("frame_id",),
            f"frame {report.frame_id} was rejected and nothing was imported; read the report at "
            f"/api/frames/{report.frame_id}/problems, fix the rows and upload again, or upload "
            "with accept_valid_rows=true to import the valid rows only",
        ),
        *(Problem(("row", p.row_number, p.field), p.message) for p in errors[:1000]),
    ]
    return InvalidInput(f"frame {report.frame_id} was rejected", problems)


@router.post("", status_code=status.HTTP_201_CREATED)
def upload_frame(
    engine: EngineDep,
    caller: AsNationalCoordinator,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX list of dossiers")],
    name: Annotated[str, Form(min_length=1, max_length=200, description="name of the frame")],
    column_map: Annotated[
        str | None,
        Form(
            max_length=20_000,
            description='{"file column": "field"} or "file column=field" lines',
        ),
    ] = None,
    accept_valid_rows: Annotated[bool, Form()] = False,
    period_start: Annotated[
        date | None, Form(description="first day of the period the frame covers (YYYY-MM-DD)")
    ] = None,
    period_end: Annotated[date | None, Form(description="last day of the period")] = None,
) -> ImportReportPublic:
    """Import a frame whole, or reject it with a report naming every bad row and field (422).

    With ``accept_valid_rows`` the valid rows are imported and the report lists the bad ones.
    With a period, dossiers completed outside it are bad rows; without, the period is that of
    the completion dates. ``same_content_as`` names ready frames with the same content and period.
    """
    mapping = parse_column_map(column_map)
    filename = upload_display_name(file.filename)
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InvalidInput(
            "unsupported file type",
            [Problem(("file",), f"{filename!r} is not a .csv or .xlsx file; export it as one")],
        )
    with tempfile.TemporaryDirectory(prefix="sipas-upload-") as folder:
        path = upload_path(Path(folder), filename)
        with path.open("wb") as handle:
            shutil.copyfileobj(file.file, handle)
        report = import_frame(
            engine=engine,
            source=path,
            name=name,
            column_map=mapping,
            accept_valid_rows=accept_valid_rows,
            created_by=caller.id,
            source_filename=filename,
            period_start=period_start,
            period_end=period_end,
        )
    if report.status != "ready":
        raise rejected_problems(report)
    return report_public(report)


@router.get("")
def list_all(session: SessionDep, caller: AsStaff) -> list[FramePublic]:
    """Every frame, newest first (a scoped coordinator: counts of their own rows)."""
    return list_frames(session, scope=caller.scope)


@router.get("/{frame_id}")
def read_frame(frame_id: FrameId, session: SessionDep, caller: AsStaff) -> FrameReport:
    """A frame and the number of problems its import found, by severity (a scoped
    coordinator: those of their own rows)."""
    return FrameReport(
        frame=get_frame(session, frame_id, scope=caller.scope),
        problem_counts=count_frame_problems(session, frame_id, scope=caller.scope),
    )


@router.get("/{frame_id}/problems")
def read_problems(
    frame_id: FrameId,
    request: Request,
    session: SessionDep,
    caller: AsCoordinator,
    severity: Annotated[str | None, Query(pattern="^(error|warning)$")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Offset = 0,
) -> list[ProblemPublic]:
    """The import report's problems: row (as in Excel), field and the fix; in English, or in
    Vietnamese with ``Accept-Language: vi``."""
    lang = accept_language(request.headers.get("accept-language"))
    return [
        ProblemPublic(
            row_number=p.row_number,
            field=p.field,
            message=p.message if lang == "en" else problem_text(p.message, lang),
            severity=p.severity,
        )
        for p in frame_problems(
            session, frame_id, severity=severity, limit=limit, offset=offset, scope=caller.scope
        )
    ]


@router.get("/{frame_id}/problems.{fmt}", responses=file_responses("text/csv", XLSX_MEDIA_TYPE))
def download_problems(
    frame_id: FrameId,
    request: Request,
    session: SessionDep,
    caller: AsCoordinator,
    address: AddressDep,
    fmt: Annotated[str, PathParam(pattern="^(csv|xlsx)$", max_length=4, description="csv or xlsx")],
) -> StreamingResponse:
    """Every stored problem as a file: row, the file's own column header, field, severity and
    message, with headings and messages in English, or Vietnamese with ``Accept-Language: vi``
    (a scoped coordinator: the problems of their own rows)."""
    lang = accept_language(request.headers.get("accept-language"))
    export = export_frame_problems(
        session=session,
        frame_id=frame_id,
        fmt="xlsx" if fmt == "xlsx" else "csv",
        words=problem_sheet_words(lang),
        translate=lambda message: message if lang == "en" else problem_text(message, lang),
        viewer=caller.user,
        scope=caller.scope,
        address=address,
    )
    return StreamingResponse(
        export.chunks,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.get("/{frame_id}/dossiers")
def read_dossiers(
    frame_id: FrameId,
    session: SessionDep,
    caller: AsCoordinator,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[DossierPublic]:
    """A page of the frame's dossiers (no phones); a scoped coordinator sees only theirs."""
    return list_frame_dossiers(
        session=session, frame_id=frame_id, scope=caller.scope, limit=limit, offset=offset
    )
