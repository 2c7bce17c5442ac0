"""Benchmark: import a synthetic realistic frame CSV into PostgreSQL and SQLite.

Usage::

    .venv/bin/python bench/frame_import.py [--rows 1000000] [--repeats 3] [--csv FILE] [--sqlite]

PostgreSQL comes from ``SIPAS_BENCH_POSTGRES_URL`` or, when unset, from ``scripts/pg-start`` (a
separate ``sipas_bench_frames`` database on that server is created and migrated, so the tests'
database is left alone).

The two sides alternate (platform, psql, platform, psql ...), each in a child process whose
peak RSS comes from ``os.wait4``; every run starts from empty tables. The platform's time is
``import_frame`` alone (parse, check, write, content hash, commit), measured in its child; psql's
is the whole ``psql`` process. The medians and the load average are printed. ``--draw`` also
draws from each imported frame, in the same child (its peak RSS then covers both).

The baseline is the one issue 13 names, ``psql \\copy`` of the same file, because
``../shared/baselines/`` holds none for a frame import (its files are the draw, the indices and
the bare insert). Both sides, their medians and the ratio are printed from one interleaved run.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.db import make_engine, upgrade_database
from survey.designs import AllocationSpec, DesignCreate, create_design
from survey.draws import run_draw
from survey.frames import import_frame
from survey.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
HEADER = [
    "Mã hồ sơ",
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
]
FIELDS = [
    "Đất đai",
    "Xây dựng",
    "Hộ tịch",
    "Đăng ký kinh doanh",
    "Lao động - Thương binh và Xã hội",
    "Tư pháp",
    "Giao thông vận tải",
]
LEVELS = np.array(["tỉnh", "xã", "Xã", "trung ương", "commune", "province"])
CHANNELS = np.array(["trực tiếp", "Trực tuyến", "bưu chính", "truc tiep", "online", "direct"])
PROVINCES = np.array(
    [f"{c:02d}" for c in (1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27)]
    + [str(c) for c in (30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52)]
)


def generate_csv(path: Path, rows: int, seed: int = 20261123, chunk: int = 100_000) -> None:
    """Write a realistic frame: Vietnamese headers and values, ISO and DD/MM/YYYY dates, mixed
    phone spellings (old 11-digit mobiles, +84, landlines, some missing), unique dossier codes."""
    rng = np.random.default_rng(seed)
    base = np.datetime64("2025-01-01")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ids = np.arange(start, start + n)
            agency = rng.integers(0, 2_000, n)
            received = base + rng.integers(0, 300, n).astype("timedelta64[D]")
            completed = received + rng.integers(0, 30, n).astype("timedelta64[D]")
            due = received + 15
            received_s = received.astype(str)
            completed_iso = completed.astype(str)
            # Half the completion dates written the Vietnamese way, DD/MM/YYYY.
            months = completed.astype("datetime64[M]")
            year = (completed.astype("datetime64[Y]").astype(int) + 1970).astype(str)
            month = np.char.zfill((months.astype(int) % 12 + 1).astype(str), 2)
            day = np.char.zfill(((completed - months).astype(int) + 1).astype(str), 2)
            day_first = np.char.add(
                np.char.add(np.char.add(day, "/"), np.char.add(month, "/")), year
            )
            completed_s = np.where(rng.random(n) < 0.5, day_first, completed_iso)
            mobile = rng.integers(0, 10**7, n)
            prefix = rng.choice(["091", "098", "035", "070", "083", "0162", "0123"], n)
            style = rng.random(n)
            phone = np.char.add(prefix, np.char.zfill(mobile.astype(str), 7))
            phone = np.where(style < 0.1, np.char.add("+84 ", np.char.lstrip(phone, "0")), phone)
            phone = np.where((style > 0.93) & (style < 0.96), "024 3823 4567", phone)
            phone = np.where(style >= 0.96, "", phone)
            columns = [
                np.char.add("HS-2025-", ids.astype(str)),
                np.char.add("CQ", agency.astype(str)),
                np.char.add("UBND xã số ", agency.astype(str)),
                rng.choice(PROVINCES, n),
                np.char.add("X", rng.integers(0, 3_321, n).astype(str)),
                rng.choice(LEVELS, n),
                np.char.add("1.00", rng.integers(1000, 9999, n).astype(str)),
                rng.choice(FIELDS, n),
                rng.choice(CHANNELS, n),
                received_s,
                due.astype(str),
                completed_s,
                phone,
            ]
            writer.writerows(zip(*(c.tolist() for c in columns), strict=True))


def postgres_url() -> str:
    url = os.environ.get("SIPAS_BENCH_POSTGRES_URL")
    if url:
        return url
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pg-start")], capture_output=True, text=True, check=True
    )
    server_url = out.stdout.strip().splitlines()[-1]
    bench_url = server_url.rsplit("/", 1)[0] + "/sipas_bench_frames"
    admin = make_engine(Settings(database_url=server_url))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("DROP DATABASE IF EXISTS sipas_bench_frames"))
        connection.execute(text("CREATE DATABASE sipas_bench_frames"))
    admin.dispose()
    return bench_url


# The baseline: one plain table holding the file's 13 columns with the platform's types, the
# indexes and constraints of the platform's two tables (primary key, unique (frame, code), the
# frame and (frame, agency) indexes, the phone index, the foreign key to a frame), loaded by
# psql's \copy in CSV format. The platform splits phones into their own table and checks every
# row; the baseline checks nothing beyond the types (DMY dates are read by DateStyle).
BASELINE_DDL = """
DROP TABLE IF EXISTS bench_plain_dossier; DROP TABLE IF EXISTS bench_plain_frame;
CREATE TABLE bench_plain_frame (id integer PRIMARY KEY);
INSERT INTO bench_plain_frame VALUES (1);
CREATE TABLE bench_plain_dossier (
    id bigserial PRIMARY KEY,
    frame_id integer NOT NULL DEFAULT 1 REFERENCES bench_plain_frame (id) ON DELETE CASCADE,
    dossier_code varchar(64) NOT NULL, agency_code varchar(32) NOT NULL,
    agency_name varchar(255) NOT NULL, province_code varchar(8) NOT NULL,
    commune_code varchar(16) NOT NULL, level varchar(16) NOT NULL,
    procedure_code varchar(64) NOT NULL, procedure_field varchar(128) NOT NULL,
    channel varchar(16) NOT NULL, received_date date NOT NULL, due_date date,
    completed_date date NOT NULL, phone varchar(32),
    UNIQUE (frame_id, dossier_code)
);
"""
BASELINE_INDEXES = """
CREATE INDEX ON bench_plain_dossier (frame_id);
CREATE INDEX ON bench_plain_dossier (frame_id, agency_code);
CREATE INDEX ON bench_plain_dossier (phone);
"""
BASELINE_COLUMNS = (
    "dossier_code, agency_code, agency_name, province_code, commune_code, level, "
    "procedure_code, procedure_field, channel, received_date, due_date, completed_date, phone"
)


def _psql(url: str, *args: str) -> list[str]:
    return [
        "psql",
        url,
        "-v",
        "ON_ERROR_STOP=1",
        "-q",
        "-c",
        "SET client_min_messages = warning",
        *args,
    ]


def _timed_child(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of a child process, from ``os.wait4``. Linux
    carries the high-water mark through fork and exec, so a small child (psql) shows this
    process's RSS; the platform's child peaks far above it, so its figure is its own."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    assert child.stdout is not None
    out = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"{command[0]} failed with status {child.returncode}")
    return seconds, usage.ru_maxrss / 1024, out


def run_psql(url: str, source: Path, *, bare: bool) -> float:
    """One baseline run into an emptied table, in seconds. ``bare``: without the three
    secondary indexes (a plainer, faster baseline)."""
    ddl = BASELINE_DDL if bare else BASELINE_DDL + BASELINE_INDEXES
    subprocess.run(_psql(url, "-c", ddl), check=True)
    env = {**os.environ, "PGOPTIONS": "-c datestyle=ISO,DMY -c client_min_messages=warning"}
    copy = (
        f"\\copy bench_plain_dossier ({BASELINE_COLUMNS}) FROM '{source}' "
        "WITH (FORMAT csv, HEADER true)"
    )
    seconds, _, _ = _timed_child(_psql(url, "-c", copy), env)
    return seconds


def _empty_frames(url: str) -> None:
    # Outside the timing: every run imports into empty frame tables, as the baseline does.
    subprocess.run(
        _psql(url, "-c", "TRUNCATE frame, dossier, dossier_contact, frame_import_problem CASCADE"),
        check=True,
    )


def run_platform(url: str, source: Path, *, draw: bool = False) -> tuple[float, float, str]:
    """One platform import in a child process: the import's seconds (measured around
    ``import_frame`` in the child), the child's peak RSS and its report line (with the draw's
    seconds when ``draw``)."""
    command = [sys.executable, __file__, "--child", url, str(source)]
    _, peak, out = _timed_child([*command, "--draw"] if draw else command)
    line = out.strip().splitlines()[-1]
    seconds = re.search(r"; ([0-9.]+) s, [0-9,]+ rows/s$", line)
    assert seconds is not None, line
    return float(seconds.group(1)), peak, line


def child_import(database_url: str, source: Path, *, draw: bool) -> None:
    engine = make_engine(Settings(database_url=database_url))
    started = time.perf_counter()
    report = import_frame(engine=engine, source=source, name="bench")
    seconds = time.perf_counter() - started
    drawn = ""
    if draw:
        drawn = _child_draw(engine, report.frame_id, report.imported)
    engine.dispose()
    print(
        f"{drawn}status {report.status}, rows {report.rows_read:,}, imported "
        f"{report.imported:,}, not contactable {report.not_contactable:,}, hash "
        f"{report.content_hash[:12]}; {seconds:.2f} s, {report.rows_read / seconds:,.0f} rows/s"
    )


def _child_draw(engine: Engine, frame_id: int, rows: int) -> str:
    """Draw 50,000 dossiers (1% of smaller frames) stratified by agency (SRSWOR,
    proportional) from the frame."""
    with Session(engine) as session:
        started = time.perf_counter()
        spec = DesignCreate(
            name="bench",
            frame_id=frame_id,
            allocation=AllocationSpec(n_total=min(50_000, max(rows // 100, 1))),
        )
        design = create_design(session=session, spec=spec, created_by=None)
        assert design.id is not None
        designed = time.perf_counter()
        drawn = run_draw(session=session, design_id=design.id, seed=20261202, created_by=None)
        ended = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"design {designed - started:.1f} s, draw {ended - designed:.1f} s "
        f"({drawn.n_sampled:,} sampled), peak RSS after the draw {peak:,.0f} MB; "
    )


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, interleaved")
    parser.add_argument("--sqlite", action="store_true", help="also import once into SQLite")
    parser.add_argument(
        "--bare-baseline",
        action="store_true",
        help="baseline table without the platform's secondary indexes (keys and foreign key kept)",
    )
    parser.add_argument(
        "--draw", action="store_true", help="also draw 50,000 dossiers from each imported frame"
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="the platform only (for the largest sizes)"
    )
    parser.add_argument(
        "--csv", type=Path, help="an existing generated file of --rows rows (kept after the run)"
    )
    parser.add_argument("--generate-only", type=Path, metavar="CSV", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=2, metavar=("URL", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        generate_csv(args.generate_only, args.rows)
        return 0
    if args.child:
        child_import(args.child[0], Path(args.child[1]), draw=args.draw)
        return 0
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        source = args.csv or Path(tmp) / "frame.csv"
        started = time.perf_counter()
        if args.csv is None:
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--rows",
                    str(args.rows),
                    "--generate-only",
                    str(source),
                ],
                check=True,
            )
        print(
            f"{'read' if args.csv else 'generated'} {args.rows:,} rows "
            f"({source.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - started:.1f} s; "
            f"{_load()}",
            flush=True,
        )
        url = postgres_url()
        upgrade_database(url)
        ours: list[float] = []
        plain: list[float] = []
        peaks: list[float] = []
        for repeat in range(args.repeats):
            _empty_frames(url)
            seconds, peak, line = run_platform(url, source, draw=args.draw)
            ours.append(seconds)
            peaks.append(peak)
            print(
                f"[{repeat + 1}] platform: {line}; peak RSS {peak:,.0f} MB; {_load()}", flush=True
            )
            if args.no_baseline:
                continue
            seconds = run_psql(url, source, bare=args.bare_baseline)
            plain.append(seconds)
            print(
                f"[{repeat + 1}] psql \\copy: {seconds:.2f} s, "
                f"{args.rows / seconds:,.0f} rows/s; {_load()}",
                flush=True,
            )
        subprocess.run(_psql(url, "-c", "DROP TABLE bench_plain_dossier, bench_plain_frame"))
        _empty_frames(url)
        a = statistics.median(ours)
        line = f"rows {args.rows:,}, median of {args.repeats}: platform {a:.2f} s (peak RSS "
        line += f"{max(peaks):,.0f} MB)"
        if plain:
            b = statistics.median(plain)
            kind = "bare table" if args.bare_baseline else "same indexes"
            line += f", psql \\copy ({kind}) {b:.2f} s, ratio {a / b:.2f}"
        print(f"{line}; {_load()}")
        if args.sqlite:
            database = Path(tmp) / "bench.db"
            upgrade_database(f"sqlite:///{database}")
            seconds, peak, line = run_platform(f"sqlite:///{database}", source)
            print(f"sqlite: {line}; peak RSS {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
