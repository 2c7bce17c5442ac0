"""Benchmark: preview and draw a stratified SRSWOR sample from a 50,000,000-dossier frame.

Usage::

    flock /tmp/bench.lock .venv/bin/python bench/frame_draw_50m.py --build 5000000 50000000
    flock /tmp/bench.lock .venv/bin/python bench/frame_draw_50m.py --rows 50000000 --repeats 3

PostgreSQL comes from ``SIPAS_BENCH_POSTGRES_URL`` or, when unset, ``scripts/pg-start``; the frames
live in a dedicated ``sipas_bench_draw`` database (created and migrated by ``--build``), so the
tests' database is left alone. ``--build N ...`` writes one ready frame of ``N`` dossiers per
size, generated inside PostgreSQL (``INSERT ... SELECT generate_series``: the platform's import at
that size is :mod:`bench.frame_import`'s business, not this one's). Dossiers are spread over
4,775 agencies (the strata of ``bench/sampling_draw.py``) with skewed sizes, in random row order;
codes look like ``000.00.27.H12-261015-0000123``.

Each run is a child process that previews the design (``create_design``: the allocation table by
GROUP BY), then draws (``run_draw``: 50,000 main units, proportional, 2 reserves per stratum,
the frame streamed in chunks). The child prints both times; its peak RSS comes from
``os.wait4``. The load average is printed with every line.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from survey.db import make_engine, upgrade_database
from survey.designs import AllocationSpec, DesignCreate, create_design
from survey.draws import run_draw
from survey.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "sipas_bench_draw"
AGENCIES = 4_775


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def postgres_url(*, create: bool) -> str:
    url = os.environ.get("SIPAS_BENCH_POSTGRES_URL")
    if url:
        return url
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pg-start")], capture_output=True, text=True, check=True
    )
    server_url = out.stdout.strip().splitlines()[-1]
    if create:
        admin = make_engine(Settings(database_url=server_url))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE}"))
            connection.execute(text(f"CREATE DATABASE {DATABASE}"))
        admin.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + DATABASE


# One frame of :rows dossiers in one statement. Agencies get skewed sizes (the square of a
# uniform), provinces and fields follow the agency; the rows come in random agency order.
FILL = """
INSERT INTO dossier (frame_id, row_number, dossier_code, agency_code, agency_name,
    province_code, commune_code, level, procedure_code, procedure_field, channel,
    received_date, due_date, completed_date, contactable)
SELECT :frame_id, i, code, 'AG' || lpad(a::text, 4, '0'), 'Agency ' || a,
    lpad((1 + a % 34)::text, 2, '0'), 'C' || (a * 7 + i % 5), 'commune',
    'P' || (i % 97), 'Field ' || (a % 7), CASE WHEN i % 3 = 0 THEN 'online' ELSE 'direct' END,
    DATE '2026-01-01' + (i % 300), NULL, DATE '2026-01-05' + (i % 300), i % 10 <> 0
FROM (
    SELECT i, floor(:agencies * power(((i::bigint * 2654435761) % 1000003) / 1000003.0, 2))::int
        AS a,
        '000.00.' || lpad((i % 100)::text, 2, '0') || '.H' || lpad((i % 63)::text, 2, '0')
        || '-2610' || lpad((i % 28 + 1)::text, 2, '0') || '-' || lpad(i::text, 9, '0') AS code
    FROM generate_series(1, :rows) AS i
) AS g
"""


def build(url: str, sizes: list[int]) -> None:
    upgrade_database(url)
    engine = make_engine(Settings(database_url=url))
    with engine.begin() as connection:
        # Secondary indexes are rebuilt after the fill (much faster than maintained row by row);
        # the primary key and the unique (frame, code) constraint stay.
        indexes = connection.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'dossier' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
        ).all()
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
    for rows in sizes:
        started = time.perf_counter()
        with engine.begin() as connection:
            frame_id = connection.execute(
                text(
                    "INSERT INTO frame (name, status, source_filename, row_count, rejected_count, "
                    "content_hash, created_at, column_headers) VALUES (:name, 'ready', '', :rows, "
                    "0, :hash, now(), '{}') RETURNING id"
                ),
                # A stand-in content hash: a draw records the hash computed at import.
                {"name": f"bench {rows}", "rows": rows, "hash": f"{rows:064d}"},
            ).scalar_one()
            connection.execute(
                text(FILL), {"frame_id": frame_id, "rows": rows, "agencies": AGENCIES}
            )
        print(
            f"frame {frame_id}: {rows:,} dossiers in {time.perf_counter() - started:.0f} s; "
            f"{_load()}",
            flush=True,
        )
    started = time.perf_counter()
    with engine.begin() as connection:
        for _, definition in indexes:
            connection.execute(text(definition))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE dossier"))
    print(f"indexes and analyze {time.perf_counter() - started:.0f} s; {_load()}", flush=True)
    engine.dispose()


def child(url: str, rows: int, n_total: int, reserve: int) -> None:
    engine = make_engine(Settings(database_url=url))
    with Session(engine) as session:
        frame_id = session.execute(
            text("SELECT id FROM frame WHERE name = :name ORDER BY id DESC LIMIT 1"),
            {"name": f"bench {rows}"},
        ).scalar_one()
        started = time.perf_counter()
        spec = DesignCreate(
            name="bench",
            frame_id=frame_id,
            allocation=AllocationSpec(n_total=n_total),
            reserve_per_stratum=reserve,
        )
        design = create_design(session=session, spec=spec, created_by=None)
        assert design.id is not None
        previewed = time.perf_counter()
        drawn = run_draw(session=session, design_id=design.id, seed=20261202, created_by=None)
        ended = time.perf_counter()
        strata = len(design.allocation_table)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"preview {previewed - started:.1f} s, draw {ended - previewed:.1f} s "
        f"({drawn.n_sampled:,} sampled + {drawn.n_reserve:,} reserves in {strata:,} strata, "
        f"draw {drawn.id}), RSS high-water in the child {peak:,.0f} MB"
    )


def run_child(url: str, rows: int, n_total: int, reserve: int) -> tuple[float, float, str]:
    command = [sys.executable, __file__, "--child", url, "--rows", str(rows)]
    command += ["--n", str(n_total), "--reserve", str(reserve)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"the child failed with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=int, nargs="+", metavar="ROWS", help="build frames")
    parser.add_argument("--rows", type=int, default=50_000_000, help="the frame to draw from")
    parser.add_argument("--n", type=int, default=50_000, help="main sample size")
    parser.add_argument("--reserve", type=int, default=2, help="reserves per stratum")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.n, args.reserve)
        return 0
    if args.build:
        build(postgres_url(create=True), args.build)
        return 0
    url = postgres_url(create=False)
    times, peaks = [], []
    for repeat in range(args.repeats):
        seconds, peak, line = run_child(url, args.rows, args.n, args.reserve)
        times.append(seconds)
        peaks.append(peak)
        print(f"[{repeat + 1}] {args.rows:,} rows: {line}; peak RSS {peak:,.0f} MB; {_load()}")
    print(
        f"{args.rows:,} rows, median of {args.repeats}: whole child {statistics.median(times):.1f}"
        f" s, peak RSS {max(peaks):,.0f} MB; {_load()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
