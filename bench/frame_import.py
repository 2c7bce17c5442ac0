"""Benchmark: import a synthetic realistic frame CSV into PostgreSQL and SQLite.

Usage::

    .venv/bin/python bench/frame_import.py [--rows 1000000] [--skip-sqlite] [--skip-postgres]

PostgreSQL comes from ``SIPAS_BENCH_POSTGRES_URL`` or, when unset, from ``scripts/pg-start`` (a
separate ``sipas_bench_frames`` database on that server is created and migrated, so the tests'
database is left alone). Prints rows, seconds and rows/s for each backend, and the peak RSS of
the process (``resource.getrusage``), which stays bounded because the import streams.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

from survey.db import make_engine, upgrade_database
from survey.frames import ImportProgress, import_frame
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


def _server_cpu_seconds() -> float:
    """CPU seconds used so far by local PostgreSQL processes (0 when /proc is not readable)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            if "postgres" not in fields[0]:
                continue
            values = fields[1].split()
            total += int(values[11]) + int(values[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(label: str, database_url: str, source: Path) -> None:
    upgrade_database(database_url)
    engine = make_engine(Settings(database_url=database_url))
    last = [0.0]

    def progress(p: ImportProgress) -> None:
        if p.seconds - last[0] >= 5 or p.phase != "reading":
            last[0] = p.seconds
            print(
                f"  {label}: {p.phase} {p.rows_read:,} rows, {p.rate:,.0f} rows/s", file=sys.stderr
            )

    own_cpu, server_cpu = _own_cpu_seconds(), _server_cpu_seconds()
    started = time.perf_counter()
    report = import_frame(engine=engine, source=source, name=f"bench {label}", progress=progress)
    seconds = time.perf_counter() - started
    own_cpu, server_cpu = _own_cpu_seconds() - own_cpu, _server_cpu_seconds() - server_cpu
    engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label}: status {report.status}, rows {report.rows_read:,}, imported "
        f"{report.imported:,}, not contactable {report.not_contactable:,}, sharing a phone "
        f"{report.duplicate_phone_dossiers:,}; {seconds:.1f} s, "
        f"{report.rows_read / seconds:,.0f} rows/s; peak RSS so far {peak_mb:,.0f} MB; "
        f"CPU: importer {own_cpu:.1f} s"
        + (f", PostgreSQL (all local backends) {server_cpu:.1f} s" if label == "postgresql" else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--generate-only", type=Path, metavar="CSV", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        generate_csv(args.generate_only, args.rows)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "frame.csv"
        started = time.perf_counter()
        # In a child process, so the peak RSS printed below is the import's alone.
        subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--generate-only", str(source)],
            check=True,
        )
        print(
            f"generated {args.rows:,} rows ({source.stat().st_size / 1e6:,.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        if not args.skip_postgres:
            run("postgresql", postgres_url(), source)
        if not args.skip_sqlite:
            run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", source)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
