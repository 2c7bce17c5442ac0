"""Sustained answer submissions per second under uvicorn on PostgreSQL, beside a one-row ceiling.

What it does:

1. starts (or reuses) the loopback PostgreSQL of ``scripts/pg-start`` and uses its own database
   ``sipas_bench`` (dropped and migrated afresh; never the test database);
2. prepares K invitations whose drafts already hold every answer (bulk-inserted), so each
   measured request is the citizen's final "send my answers" POST;
3. serves the real app with uvicorn in a child process; the bench's own app instance gets one
   extra route, ``POST /bench/insert``, that inserts one row through the same session dependency:
   the ceiling of one write transaction per request on this stack;
4. fires the submissions from a thread pool of httpx clients on loopback (bounded by count and
   time), then the same number of ceiling requests, and prints throughput and p50/p99 latency,
   then checks that the database holds exactly one completed response per accepted submission.

Run: ``.venv/bin/python bench/answer_submissions.py [--invitations 2000] [--concurrency 16]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import insert, text
from sqlmodel import Session, col, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.deps import SessionDep  # noqa: E402
from api.pages.answer import csrf_token  # noqa: E402
from survey.db import make_engine, upgrade_database  # noqa: E402
from survey.models import Invitation, Response, SampleUnit  # noqa: E402
from survey.settings import Settings  # noqa: E402
from tests.survey.responses_fixtures import build_fieldwork, full_answers  # noqa: E402

BENCH_DB = "sipas_bench"
SECRET = "bench-only-secret-not-for-production-0123456789"  # passes the service's key check


@dataclass(frozen=True)
class Run:
    """One measured series of requests."""

    name: str
    ok: int
    failed: int
    seconds: float
    latencies_ms: np.ndarray

    def line(self) -> str:
        p50, p99 = np.percentile(self.latencies_ms, [50, 99]) if self.ok else (np.nan, np.nan)
        return (
            f"{self.name:<28} {self.ok:>6} ok {self.failed:>4} failed  "
            f"{self.ok / self.seconds:8.1f} /s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
        )


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc/PID/stat`` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_database_url() -> str:
    """The bench's own database on the ``scripts/pg-start`` server (created when missing)."""
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pg-start")], capture_output=True, text=True, check=True
    )
    server_url = result.stdout.strip().splitlines()[-1]
    base, _, _ = server_url.rpartition("/")
    admin = make_engine(Settings(database_url=server_url))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": BENCH_DB}
        ).first()
        if exists is None:
            connection.execute(text(f"CREATE DATABASE {BENCH_DB}"))
    admin.dispose()
    return f"{base}/{BENCH_DB}"


def prepare(url: str, k: int) -> list[tuple[str, str]]:
    """A fresh migrated schema and ``k`` invitations with complete drafts: [(token, csrf)]."""
    engine = make_engine(Settings(database_url=url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade_database(url)
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE bench_ceiling (id BIGSERIAL PRIMARY KEY, note TEXT NOT NULL)")
        )
    with Session(engine) as session:
        fieldwork = build_fieldwork(session, SECRET, n=k)
        answers = full_answers(fieldwork.definition)
        rows = session.exec(
            select(Invitation, SampleUnit)
            .join(SampleUnit, col(SampleUnit.id) == col(Invitation.sample_unit_id))
            .order_by(col(Invitation.id))
        ).all()
        drafts = [
            {
                "campaign_id": fieldwork.campaign_id,
                "invitation_id": invitation.id,
                "questionnaire_id": fieldwork.questionnaire_id,
                "answers": answers,
                "language": "vi",
                "current_page": 6,
                "status": "in_progress",
                "stratum": unit.stratum,
                "inclusion_prob": unit.inclusion_prob,
                "weight": unit.weight,
                "agency_code": unit.stratum,
                "province_code": "79",
                "level": "commune",
                "procedure_field": "Hộ tịch",
                "channel": "direct",
            }
            for invitation, unit in rows
        ]
        session.exec(insert(Response), params=drafts)
        session.commit()
        pairs = [
            (token, csrf_token(SECRET, invitation))
            for token, (invitation, _unit) in zip(fieldwork.tokens, rows, strict=True)
        ]
    engine.dispose()
    return pairs


def bench_app() -> Any:
    """The real app plus the ceiling route; built in the child process by uvicorn."""
    # Every submission comes from 127.0.0.1: lift the citizen pages' per-address limit (120 a
    # minute by default), which would otherwise refuse the load after its first minute's share.
    app = create_app(
        Settings(
            database_url=os.environ["SIPAS_DATABASE_URL"],
            secret_key=SECRET,
            citizen_limit_per_address="1000000/minute",
        )
    )

    @app.post("/bench/insert", status_code=204)
    def insert_one(session: SessionDep) -> None:
        session.exec(text("INSERT INTO bench_ceiling (note) VALUES ('x')"))  # type: ignore[call-overload]
        session.commit()

    return app


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SIPAS_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.answer_submissions:bench_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("uvicorn did not start within 30 s")


def load(
    name: str,
    jobs: list[Any],
    send: Callable[[httpx.Client, Any], bool],
    concurrency: int,
    max_seconds: float,
) -> Run:
    """Run ``send`` over ``jobs`` from ``concurrency`` threads, stopping at ``max_seconds``."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + max_seconds
    local = threading.local()

    def one(job: Any) -> None:
        nonlocal failures
        if time.monotonic() > stop_at:
            return
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30)
        started = time.perf_counter()
        ok = send(local.client, job)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            if ok:
                latencies.append(elapsed)
            else:
                failures += 1

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, jobs))
    seconds = time.perf_counter() - began
    return Run(name, len(latencies), failures, seconds, np.asarray(latencies))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invitations", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--database-url", default=None, help="default: sipas_bench on pg-start")
    args = parser.parse_args()

    url = args.database_url or bench_database_url()
    print(f"preparing {args.invitations} invitations with complete drafts ...", flush=True)
    pairs = prepare(url, args.invitations)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = serve(url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        # Warm up the connection pool and the templates outside the measurement.
        with httpx.Client() as client:
            for token, _csrf in pairs[:5]:
                client.get(f"{base}/r/{token}")
            for _ in range(20):
                client.post(f"{base}/bench/insert")

        def submit(client: httpx.Client, pair: tuple[str, str]) -> bool:
            token, csrf = pair
            reply = client.post(f"{base}/r/{token}/submit", data={"csrf": csrf})
            return reply.status_code == 303 and reply.headers["location"].endswith("/thanks")

        def ceiling(client: httpx.Client, _job: int) -> bool:
            return client.post(f"{base}/bench/insert").status_code == 204

        cpu_start = process_cpu_seconds(process.pid)
        submissions = load("answer submissions", pairs, submit, args.concurrency, args.max_seconds)
        cpu_between = process_cpu_seconds(process.pid)
        bare = load(
            "ceiling: one-row insert",
            list(range(submissions.ok + submissions.failed)),
            ceiling,
            args.concurrency,
            args.max_seconds,
        )
        cpu_end = process_cpu_seconds(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)

    engine = make_engine(Settings(database_url=url))
    with Session(engine) as session:
        completed = session.exec(
            select(func.count()).select_from(Response).where(col(Response.status) == "completed")
        ).one()
    engine.dispose()
    cores = os.cpu_count()
    print(
        f"uvicorn (1 worker) + PostgreSQL + load generator on one machine with {cores} cores; "
        f"{args.concurrency} concurrent clients on loopback"
    )
    print(submissions.line())
    print(bare.line())
    print(
        f"submissions at {submissions.ok / submissions.seconds / (bare.ok / bare.seconds):.0%}"
        " of the ceiling's rate"
    )
    submit_cpu = (cpu_between - cpu_start) / max(submissions.ok, 1) * 1000
    bare_cpu = (cpu_end - cpu_between) / max(bare.ok, 1) * 1000
    print(
        f"uvicorn CPU per request: submission {submit_cpu:.2f} ms, ceiling {bare_cpu:.2f} ms "
        "(the rest of each core goes to PostgreSQL and the load generator)"
    )
    print(f"completed responses in the database: {completed} (accepted: {submissions.ok})")
    return 0 if completed == submissions.ok and submissions.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
