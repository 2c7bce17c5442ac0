"""The citizen's page under a flood of bad logins: median latency idle and during the flood.

What it does:

1. builds the demo (``--dossiers``, 20,000 by default) through the real importer, design, draw
   and campaign in its own database -- PostgreSQL ``sipas_login_bench`` on the
   ``scripts/pg-start`` server by default, or a temporary SQLite file with ``--sqlite`` -- and
   takes one citizen's invitation link;
2. serves the real app with uvicorn on 127.0.0.1 in a child process, with a real secret key and
   the default sign-in limits and password checker; only the citizen page's per-address limit is
   raised (the bench's own requests would otherwise be refused after 120 a minute);
3. measures the citizen page (GET of the welcome page) one request at a time: idle, then while
   ``--flood`` (40) parallel bad logins run from other processes, interleaved idle/flood for
   ``--rounds`` rounds; prints both medians and their ratio (target: flood <= 3x idle), the
   flood's answers by status, and the server's peak memory.

The flood sends ``POST /api/auth/token`` with unknown usernames from simulated addresses in
``X-Forwarded-For``. The app trusts that header only because uvicorn does for connections from
127.0.0.1 (its default ``--forwarded-allow-ips``); each attempt takes a fresh name and address, so
neither sign-in limit stops it and every attempt reaches the Argon2 checker: this measures the
checker's bound, not the limits. The flood's clients run on the same two cores as the server,
which a real attacker's would not.

Baseline: ``../shared/baselines`` has no login baseline, so the idle citizen page is the baseline
side of the ratio.

Run: ``.venv/bin/python bench/login_flood.py [--sqlite] [--flood 40] [--requests 150]``.
Bounded: every phase stops after ``--requests`` samples or ``--max-seconds``, loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The platform is imported inside the functions that need it: the flood's processes import this
# module too (multiprocessing "spawn") and must start in a moment, not after numpy and scipy.

BENCH_DB = "sipas_login_bench"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def postgres_url() -> str:
    """A fresh database of the bench's own on the ``scripts/pg-start`` server."""
    from sqlalchemy import text

    from survey.db import make_engine
    from survey.settings import Settings

    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pg-start")], capture_output=True, text=True, check=True
    )
    server_url = result.stdout.strip().splitlines()[-1]
    admin = make_engine(Settings(database_url=server_url)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    return server_url.rpartition("/")[0] + f"/{BENCH_DB}"


def prepare(url: str, data_dir: Path, secret_key: str, n_dossiers: int) -> str:
    """Migrate, build a small demo and return the path of one citizen's link."""
    from survey.db import make_engine, upgrade_database
    from survey.demo import build_demo
    from survey.settings import Settings

    upgrade_database(url)
    settings = Settings(database_url=url, secret_key=secret_key, development=True)
    engine = make_engine(settings)
    try:
        summary = build_demo(
            engine=engine, data_dir=data_dir, n_dossiers=n_dossiers, settings=settings
        )
    finally:
        engine.dispose()
    assert summary.fieldwork is not None and summary.fieldwork.example_links, summary
    return urlsplit(summary.fieldwork.example_links[0]).path


def serve(url: str, port: int, secret_key: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SIPAS_DATABASE_URL": url,
        "SIPAS_SECRET_KEY": secret_key,
        "SIPAS_CITIZEN_LIMIT_PER_ADDRESS": "1000000/minute",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:create_app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("uvicorn did not start within 60 s")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def citizen_latencies(port: int, path: str, n: int, max_seconds: float) -> list[float]:
    """``n`` sequential GETs of the citizen page on one keep-alive connection, in ms."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    latencies: list[float] = []
    stop_at = time.monotonic() + max_seconds
    try:
        while len(latencies) < n and time.monotonic() < stop_at:
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"citizen page answered {response.status}")
            latencies.append(elapsed)
    finally:
        connection.close()
    return latencies


def flood_worker(
    port: int, threads: int, stop: object, ready: object, results: object, seed: int
) -> None:
    """One flood process: ``threads`` threads sending bad logins until ``stop`` is set."""
    stop_event = stop  # a multiprocessing.Event
    tally: Counter[int] = Counter()
    lock = threading.Lock()

    def loop(thread_seed: int) -> None:
        rng = random.Random(thread_seed)
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        while not stop_event.is_set():  # type: ignore[attr-defined]
            address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            body = json.dumps({"username": f"nobody-{rng.getrandbits(48):x}", "password": "x" * 16})
            try:
                connection.request(
                    "POST",
                    "/api/auth/token",
                    body=body,
                    headers={"Content-Type": "application/json", "X-Forwarded-For": address},
                )
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
                status = 0
            with lock:
                tally[status] += 1
        connection.close()

    workers = [threading.Thread(target=loop, args=(seed * 1000 + i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    ready.put(threads)  # type: ignore[attr-defined]
    for worker in workers:
        worker.join()
    results.put(dict(tally))  # type: ignore[attr-defined]


def flood_round(
    port: int, path: str, flood: int, n: int, max_seconds: float
) -> tuple[list[float], dict[int, int]]:
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    stop = manager.Event()
    ready = manager.Queue()
    results = manager.Queue()
    processes_n = min(4, flood)
    per_process = [flood // processes_n + (i < flood % processes_n) for i in range(processes_n)]
    processes = [
        context.Process(target=flood_worker, args=(port, k, stop, ready, results, i))
        for i, k in enumerate(per_process)
    ]
    for process in processes:
        process.start()
    for _process in processes:
        ready.get(timeout=120)
    time.sleep(3)  # let the flood reach its steady state before measuring
    try:
        latencies = citizen_latencies(port, path, n, max_seconds)
    finally:
        stop.set()
        for process in processes:
            process.join(timeout=120)
            if process.is_alive():
                process.kill()
    tally: Counter[int] = Counter()
    for _process in processes:
        if not results.empty():
            tally.update(results.get())
    manager.shutdown()
    return latencies, dict(tally)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file")
    parser.add_argument("--dossiers", type=int, default=20_000, help="size of the demo frame")
    parser.add_argument("--flood", type=int, default=40, help="parallel bad logins")
    parser.add_argument("--requests", type=int, default=150, help="citizen GETs per phase")
    parser.add_argument("--rounds", type=int, default=2, help="idle/flood pairs, interleaved")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="bound of one phase")
    args = parser.parse_args()

    secret_key = secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory(prefix="sipas-login-flood-") as tmp:
        url = f"sqlite:///{tmp}/bench.db" if args.sqlite else postgres_url()
        print(f"database: {'SQLite (temporary file)' if args.sqlite else 'PostgreSQL ' + BENCH_DB}")
        path = prepare(url, Path(tmp), secret_key, args.dossiers)
        port = free_port()
        server = serve(url, port, secret_key)
        try:
            citizen_latencies(port, path, 20, args.max_seconds)  # warm-up
            idle: list[float] = []
            flooded: list[float] = []
            statuses: Counter[int] = Counter()
            for _round in range(args.rounds):
                idle += citizen_latencies(port, path, args.requests, args.max_seconds)
                latencies, counts = flood_round(
                    port, path, args.flood, args.requests, args.max_seconds
                )
                flooded += latencies
                statuses.update(counts)
            rss = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    idle_median = statistics.median(idle)
    flood_median = statistics.median(flooded)
    ratio = flood_median / idle_median
    print(
        "baseline: no login baseline in ../shared/baselines; the idle citizen page is the baseline"
    )
    print(f"citizen page, idle (baseline)   n={len(idle):4d}  median {idle_median:7.1f} ms")
    print(
        f"citizen page, {args.flood} bad logins  n={len(flooded):4d}  median {flood_median:7.1f} ms"
        f"  p90 {statistics.quantiles(flooded, n=10)[-1]:7.1f} ms"
    )
    print(f"ratio flood/idle: {ratio:.2f}x (target <= 3x): {'met' if ratio <= 3 else 'NOT met'}")
    answered = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    print(f"bad logins answered by status: {answered}")
    print(f"server peak memory (VmHWM): {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
