"""``sipas frame ...``: import sampling frames from CSV/XLSX files, list them, read import reports.

The lead wires :func:`register` into ``api/cli/main.py``; every sub-command sets ``handler``, a
function taking the parsed ``args`` and returning the exit code:

- 0: done (the frame is ``ready``);
- 1: the file was read but rejected: nothing was imported, the report lists every bad row;
- 2: the input cannot be used at all (unreadable file, unusable header, unknown frame).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from survey.db import make_engine
from survey.errors import SipasError
from survey.frame_files import FIELDS
from survey.frames import (
    ImportProblem,
    ImportProgress,
    count_frame_problems,
    frame_problems,
    get_frame,
    import_frame,
    list_frames,
)
from survey.settings import load_settings

SHOWN_PROBLEMS = 50


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``frame`` command and its sub-commands to the ``sipas`` parser."""
    frame = subparsers.add_parser(
        "frame",
        help="import and inspect sampling frames (lists of completed dossiers)",
        description="Import and inspect sampling frames (lists of completed dossiers).",
    )
    commands = frame.add_subparsers(dest="frame_command", metavar="COMMAND", required=True)

    importing = commands.add_parser(
        "import",
        help="import a CSV or XLSX file of dossiers as a new frame",
        description=(
            "Import a CSV (UTF-8, ',' or ';') or XLSX file of dossiers as a new frame, whole "
            "or not at all. Recognised columns: " + ", ".join(FIELDS) + " (and common "
            "Vietnamese headers such as 'Mã hồ sơ'); map others with --map."
        ),
    )
    importing.add_argument("file", type=Path, metavar="FILE", help="the .csv or .xlsx file")
    importing.add_argument("--name", required=True, help="name of the new frame")
    importing.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="read the file's COLUMN as FIELD, e.g. --map 'Số hồ sơ=dossier_code' (repeatable)",
    )
    importing.add_argument(
        "--accept-valid-rows",
        action="store_true",
        help="import the valid rows even if some rows are rejected (after reading the report)",
    )
    importing.add_argument(
        "--period-start",
        type=_day,
        metavar="YYYY-MM-DD",
        help="first day of the period the frame covers (with --period-end); dossiers completed "
        "outside it are rejected rows. Default: the first and last completion dates",
    )
    importing.add_argument(
        "--period-end", type=_day, metavar="YYYY-MM-DD", help="last day of the period"
    )
    importing.add_argument(
        "--quiet", action="store_true", help="do not show progress on standard error"
    )
    importing.set_defaults(handler=run_import)

    listing = commands.add_parser(
        "list", help="list the frames", description="List the frames, newest first."
    )
    listing.set_defaults(handler=run_list)

    problems = commands.add_parser(
        "problems",
        help="show the stored import report of a frame",
        description="Show the problems found when a frame was imported, by row.",
    )
    problems.add_argument("frame_id", type=int, metavar="FRAME_ID")
    problems.add_argument("--severity", choices=["error", "warning"], default=None)
    problems.add_argument("--limit", type=int, default=1000)
    problems.set_defaults(handler=run_problems)


def parse_column_map(pairs: Sequence[str]) -> dict[str, str]:
    """``["Số hồ sơ=dossier_code"]`` -> ``{"Số hồ sơ": "dossier_code"}``.

    Raises
    ------
    SipasError
        Naming the malformed pair.
    """
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            raise SipasError(
                f"--map {pair!r} must look like COLUMN=FIELD, e.g. 'Mã hồ sơ=dossier_code'"
            )
        mapping[column.strip()] = field.strip()
    return mapping


class _ProgressLine:
    """Rows read and rate on one rewritten line of standard error, at most twice a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0
        self.width = 0

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        final = progress.phase != "reading"
        if not final and now - self.last < 0.5:
            return
        self.last = now
        line = (
            f"{progress.phase}: {progress.rows_read:,} rows read, {progress.rows_valid:,} "
            f"valid, {progress.rate:,.0f} rows/s, {progress.seconds:,.1f} s"
        )
        # Pad so a shorter line fully covers the previous one on the same terminal line.
        self.stream.write("\r" + line.ljust(self.width))
        self.width = max(self.width, len(line))
        if progress.phase == "done":
            self.stream.write("\n")
        self.stream.flush()


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a day: write it as YYYY-MM-DD, e.g. 2025-07-01"
        ) from None


def _print_problems(
    problems: Sequence[ImportProblem],
    limit: int,
    stream: TextIO,
    label: Callable[[str], str] = str,
) -> None:
    for problem in problems[:limit]:
        row = f"row {problem.row_number}" if problem.row_number else "file"
        print(
            f"  {problem.severity:7} {row:>10}  {label(problem.field)}: {problem.message}",
            file=stream,
        )
    if len(problems) > limit:
        print(f"  ... and {len(problems) - limit:,} more", file=stream)


def _print_error(error: SipasError) -> None:
    print(f"error: {error.msg}", file=sys.stderr)
    for problem in error.problems:
        if problem.msg != error.msg:
            where = " ".join(str(part) for part in problem.loc)
            print(f"  {where}: {problem.msg}" if where else f"  {problem.msg}", file=sys.stderr)


def run_import(args: argparse.Namespace) -> int:
    """Handler of ``sipas frame import``."""
    settings = load_settings()
    engine = make_engine(settings)
    try:
        report = import_frame(
            engine=engine,
            source=args.file,
            name=args.name,
            column_map=parse_column_map(args.map),
            accept_valid_rows=args.accept_valid_rows,
            progress=None if args.quiet else _ProgressLine(sys.stderr),
            period_start=args.period_start,
            period_end=args.period_end,
        )
    except SipasError as error:
        _print_error(error)
        return 2
    finally:
        engine.dispose()
    for line in report.summary_lines():
        print(line)
    errors = [p for p in report.problems if p.severity == "error"]
    warnings = [p for p in report.problems if p.severity == "warning"]
    if errors:
        print("Rejected rows:")
        _print_problems(errors, SHOWN_PROBLEMS, sys.stdout, report.column_label)
    if warnings:
        print("Warnings (rows kept):")
        _print_problems(warnings, min(SHOWN_PROBLEMS, 10), sys.stdout, report.column_label)
    if len(errors) > SHOWN_PROBLEMS or len(warnings) > 10:
        print(f"All stored problems: sipas frame problems {report.frame_id}")
    return 0 if report.status == "ready" else 1


def run_list(args: argparse.Namespace) -> int:
    """Handler of ``sipas frame list``."""
    engine = make_engine(load_settings())
    try:
        with Session(engine) as session:
            frames = list_frames(session)
    finally:
        engine.dispose()
    if not frames:
        print("no frames yet: import one with `sipas frame import FILE --name NAME`")
        return 0
    print(f"{'id':>5}  {'status':9} {'dossiers':>10} {'rejected':>9}  {'created (UTC)':16}  name")
    for frame in frames:
        created = frame.created_at.strftime("%Y-%m-%d %H:%M")
        print(
            f"{frame.id:>5}  {frame.status:9} {frame.row_count:>10,} {frame.rejected_count:>9,}  "
            f"{created:16}  {frame.name}"
        )
    return 0


def run_problems(args: argparse.Namespace) -> int:
    """Handler of ``sipas frame problems``."""
    engine = make_engine(load_settings())
    try:
        with Session(engine) as session:
            frame = get_frame(session, args.frame_id)
            counts = count_frame_problems(session, args.frame_id)
            problems = frame_problems(
                session, args.frame_id, severity=args.severity, limit=args.limit
            )
    except SipasError as error:
        _print_error(error)
        return 2
    finally:
        engine.dispose()
    print(
        f"frame {frame.id} {frame.name!r}: {frame.status}; stored problems: "
        f"{counts.get('error', 0):,} errors, {counts.get('warning', 0):,} warnings"
    )
    _print_problems(problems, args.limit, sys.stdout)
    return 0
