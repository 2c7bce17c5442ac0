"""Copying the SQLite file while the service runs, against ``sipas backup``: committed updates kept.

What it does, on a fresh migrated SQLite database in WAL mode (as ``survey.db`` opens it):

1. inserts ``--rows`` rows and checkpoints them into the main file (the state a copy starts from);
2. while the "service" (the platform's engine, its pooled connection open as in a running API)
   commits one UPDATE per row, each in its own transaction, takes -- at the same moments, during
   the writes and once after the last commit -- a ``cp`` of ``sipas.db`` and a ``sipas backup``
   (the real command, in a child process: the SQLite backup API);
3. opens every copy and counts the updates it holds, against the updates committed before that
   copy began (every one of those must be there; later ones may be).

Run: ``.venv/bin/python bench/sqlite_backup_under_writes.py [--rows 200] [--rounds 3]``.


Not a speed benchmark: it counts committed updates kept by each kind of copy (issue 12's figure),
so ``../shared/baselines/`` has nothing to compare; the two sides are ``cp`` and ``sipas backup``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from survey.db import make_engine, upgrade_database  # noqa: E402
from survey.settings import Settings  # noqa: E402

SECRET = "bench-only-secret-not-for-production-0123456789"  # passes the service's key check


def updates_in(copy: Path) -> int:
    """How many of the writer's updates a copy holds (rows with ``value = 1``)."""
    connection = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        return int(
            connection.execute("SELECT count(*) FROM bench_write WHERE value = 1").fetchone()[0]
        )
    finally:
        connection.close()


def sipas_backup(url: str, target: Path) -> None:
    env = {**os.environ, "SIPAS_DATABASE_URL": url, "SIPAS_SECRET_KEY": SECRET}
    subprocess.run(
        [sys.executable, "-m", "api.cli.main", "backup", str(target)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def one_round(folder: Path, rows: int, pause: float) -> list[tuple[str, str, int, int]]:
    """[(moment, method, committed before the copy began, updates in the copy)]."""
    db = folder / "sipas.db"
    url = f"sqlite:///{db}"
    upgrade_database(url)
    engine = make_engine(Settings(database_url=url, secret_key=SECRET))
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE bench_write (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        )
        connection.execute(
            text("INSERT INTO bench_write (id, value) VALUES (:id, 0)"),
            [{"id": i} for i in range(rows)],
        )
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    committed = 0
    done = threading.Event()

    def writer() -> None:
        nonlocal committed
        for i in range(rows):
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE bench_write SET value = 1 WHERE id = :id"), {"id": i}
                )
            committed = i + 1
            time.sleep(pause)
        done.set()

    thread = threading.Thread(target=writer)
    results: list[tuple[str, str, int, int]] = []

    def copies(moment: str, n: int) -> None:
        before = committed
        # cp in its own process, as an operator would run it: a file of the database opened and
        # closed in this process would drop SQLite's POSIX locks of the service's connection.
        subprocess.run(["cp", str(db), str(folder / f"cp-{n}.db")], check=True)
        results.append((moment, "cp sipas.db", before, updates_in(folder / f"cp-{n}.db")))
        before = committed
        sipas_backup(url, folder / f"backup-{n}.db")
        results.append((moment, "sipas backup", before, updates_in(folder / f"backup-{n}.db")))

    thread.start()
    while committed < rows // 2:
        time.sleep(0.01)
    copies("during the writes", 1)
    done.wait()
    thread.join()
    # The service is still running: its pooled connection is open, nothing checkpointed yet.
    copies("after the last commit", 2)
    engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200, help="updates the writer commits")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.005, help="seconds between commits")
    args = parser.parse_args()
    lost_by_backup = 0
    print(f"{args.rows} committed updates per round, one transaction each, WAL mode")
    print(
        f"{'round':>5}  {'moment':<22} {'method':<13} {'committed':>9} {'in copy':>8} {'missed':>7}"
    )
    for n in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory(prefix="sipas-backup-bench-") as folder:
            for moment, method, before, held in one_round(Path(folder), args.rows, args.pause):
                missed = max(before - held, 0)
                if method == "sipas backup":
                    lost_by_backup += missed
                print(f"{n:>5}  {moment:<22} {method:<13} {before:>9} {held:>8} {missed:>7}")
    print(f"updates committed before a sipas backup began and missing from it: {lost_by_backup}")
    return 0 if lost_by_backup == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
