"""Answer submissions per second against the shared bare-insert baseline, same client and server.

What it does:

1. starts (or reuses) the loopback PostgreSQL of ``scripts/pg-start`` and uses its own database
   ``sipas_bench`` (dropped and migrated afresh; never the test database);
2. prepares ``runs x --invitations`` invitations whose drafts already hold every answer
   (bulk-inserted), so each measured request is the citizen's final "send my answers" POST
   (``/r/<token>/submit`` with its form token), each invitation used once;
3. serves, with the same uvicorn options (``--workers``, default loop and HTTP parser, no access
   log), the real app (``bench_app``) and the baseline ``../shared/baselines/bare_insert.py``
   (parse a JSON answer, one INSERT through an async psycopg pool, none of the platform's
   guarantees), both on that PostgreSQL;
4. loads them with the same wrk (``-t --threads -c --connections -d --seconds --latency``),
   interleaved A, B, A, B ... (``--runs`` each), and prints each run's req/s, p50 and p99, the
   medians and the ratio ours / bare; then checks that the database holds one completed
   response per acknowledged submission (wrk counts a 303 as success; none may be lost).

Run: ``.venv/bin/python bench/answer_submissions.py [--runs 3] [--connections 16]``
(needs ``wrk``: ``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlmodel import Session, col, func, select

ROOT = Path(__file__).resolve().parents[1]
BASELINES = ROOT.parent / "shared" / "baselines"
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.pages.answer import csrf_token  # noqa: E402
from survey.db import make_engine, upgrade_database  # noqa: E402
from survey.models import Invitation, Response, SampleUnit  # noqa: E402
from survey.settings import Settings  # noqa: E402
from tests.survey.responses_fixtures import build_fieldwork, full_answers  # noqa: E402

BENCH_DB = "sipas_bench"
WARM_UP = 200  # invitations kept for ours' warm-up, outside the measured runs
SECRET = "bench-only-secret-not-for-production-0123456789"  # passes the service's key check


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc/PID/stat`` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class WrkRun:
    """One wrk run: what it reported."""

    side: str
    requests: int
    errors: int
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float = 0.0  # the server process's CPU per request
    timeouts: int = 0  # requests wrk gave up on after 2 s

    def line(self) -> str:
        return (
            f"{self.side:<20} {self.per_second:9.1f} req/s   p50 {self.p50_ms:8.1f} ms   "
            f"p99 {self.p99_ms:8.1f} ms   {self.requests:>6} requests, {self.errors} errors, "
            f"{self.timeouts} client timeouts, "
            f"server CPU {self.cpu_ms:.2f} ms/request"
        )


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNIT_MS[unit]


def parse_wrk(side: str, output: str) -> WrkRun:
    """req/s, p50, p99, requests and errors (socket errors + non-2xx/3xx) from ``wrk --latency``."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    # wrk's "timeout" is its own 2 s client deadline (the server still answers and stores the
    # submission): reported apart, not an error of the server.
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write) (\d+)", output))
    timeouts = re.search(r"timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return WrkRun(
        side,
        requests,
        errors,
        rate,
        _ms(percentiles["50"]),
        _ms(percentiles["99"]),
        timeouts=int(timeouts.group(1)) if timeouts else 0,
    )


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
        # The baseline's table, as ../shared/baselines/README.md creates it.
        connection.execute(
            text(
                "CREATE TABLE bare_answer (id BIGSERIAL PRIMARY KEY, token_hash BYTEA UNIQUE, "
                "payload JSONB, created_at TIMESTAMPTZ DEFAULT now())"
            )
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
    """The real app; built in the child process by uvicorn."""
    # Every submission comes from 127.0.0.1: lift the citizen pages' per-address limit (120 a
    # minute by default), which would otherwise refuse the load after its first minute's share.
    # The limit is still counted in the database on every request, as in production.
    return create_app(
        Settings(
            database_url=os.environ["SIPAS_DATABASE_URL"],
            secret_key=SECRET,
            citizen_limit_per_address="1000000/minute",
        )
    )


# One invitation per request, each used once: wrk's threads share the file, every thread
# takes the lines i with i mod threads = its number.
WRK_SCRIPT = """
local count = 0
function setup(thread)
  thread:set("number", count)
  count = count + 1
end
function init(args)
  jobs = {}
  local threads = tonumber(os.getenv("BENCH_WRK_THREADS"))
  local i = 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if i % threads == number then table.insert(jobs, line) end
    i = i + 1
  end
  position = 0
end
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
function request()
  position = position + 1
  local job = jobs[position]
  if job == nil then
    -- Out of invitations: a request that fails (counted as non-2xx), never a repeat.
    return wrk.format("POST", "/r/out-of-invitations/submit", headers, "csrf=x")
  end
  local token, csrf = job:match("^(%S+) (%S+)$")
  return wrk.format("POST", "/r/" .. token .. "/submit", headers, "csrf=" .. csrf)
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(app: list[str], env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    """uvicorn with the options both sides share; returns once the port answers."""
    command = [
        sys.executable, "-m", "uvicorn", *app,
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            assert process.poll() is None, f"{app} exited with {process.returncode}"
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"uvicorn {app} did not start within 60 s")


def wrk(
    side: str,
    url: str,
    args: argparse.Namespace,
    *,
    script: Path,
    env: dict[str, str],
    server: subprocess.Popen[bytes],
) -> WrkRun:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
        "-s", str(script), url,
    ]  # fmt: skip
    # With --workers > 1 the requests run in uvicorn's children: count them all.
    pids = [server.pid, *_children(server.pid)]
    cpu_before = sum(process_cpu_seconds(pid) for pid in pids)
    done = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    cpu = sum(process_cpu_seconds(pid) for pid in pids) - cpu_before
    try:
        run = parse_wrk(side, done.stdout)
    except (AttributeError, KeyError) as error:
        raise RuntimeError(f"cannot read wrk's output:\n{done.stdout}{done.stderr}") from error
    return replace(run, cpu_ms=cpu / max(run.requests, 1) * 1000)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages (others' work shares the 2 cores)."""
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def completed_responses(url: str) -> int:
    engine = make_engine(Settings(database_url=url))
    with Session(engine) as session:
        count = session.exec(
            select(func.count()).select_from(Response).where(col(Response.status) == "completed")
        ).one()
    engine.dispose()
    return int(count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (A, B, A, B ...)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk -d")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn --workers, both sides")
    parser.add_argument(
        "--invitations",
        type=int,
        default=4000,
        help="prepared per run of ours (more than it sends)",
    )
    parser.add_argument("--database-url", default=None, help="default: sipas_bench on pg-start")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    baseline = BASELINES / "bare_insert.py"
    if not baseline.exists():
        print(f"the shared baseline is missing: {baseline}", file=sys.stderr)
        return 2

    url = args.database_url or bench_database_url()
    total = args.runs * args.invitations + WARM_UP
    print(f"preparing {total} invitations with complete drafts ...", flush=True)
    pairs = prepare(url, total)
    folder = Path(tempfile.mkdtemp(prefix="sipas-answer-bench-"))
    script = folder / "submit.lua"
    script.write_text(WRK_SCRIPT)
    warm_up = folder / "tokens-warm-up.txt"
    warm_up.write_text("".join(f"{token} {csrf}\n" for token, csrf in pairs[-WARM_UP:]))
    token_files = []
    for run in range(args.runs):
        path = folder / f"tokens-{run}.txt"
        chunk = pairs[run * args.invitations : (run + 1) * args.invitations]
        path.write_text("".join(f"{token} {csrf}\n" for token, csrf in chunk))
        token_files.append(path)

    ours_port, bare_port = free_port(), free_port()
    ours = serve(
        ["--factory", "bench.answer_submissions:bench_app"],
        {"SIPAS_DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
        ours_port,
        args.workers,
    )
    bare = serve(
        ["bare_insert:app", "--app-dir", str(BASELINES)],
        {"BARE_DSN": url},
        bare_port,
        args.workers,
    )
    runs: list[WrkRun] = []
    load_before = _load_average()
    try:
        # Warm-up outside the measurement: pools, route tables, first imports; ours on
        # invitations of its own (each is submitted once).
        wrk_env = {"BENCH_WRK_THREADS": str(args.threads)}
        subprocess.run(
            ["wrk", f"-t{args.threads}", "-c2", "-d2s", "-s", str(script),
             f"http://127.0.0.1:{ours_port}"],
            env={**os.environ, **wrk_env, "BENCH_TOKENS": str(warm_up)},
            capture_output=True, check=True,
        )  # fmt: skip
        warm_up_done = completed_responses(url)
        subprocess.run(
            ["wrk", "-t1", "-c2", "-d2s", "-s", str(BASELINES / "answer.lua"),
             f"http://127.0.0.1:{bare_port}/answer"],
            capture_output=True, check=True,
        )  # fmt: skip
        for run in range(args.runs):
            runs.append(
                wrk(
                    "ours: submit",
                    f"http://127.0.0.1:{ours_port}",
                    args,
                    script=script,
                    env={**wrk_env, "BENCH_TOKENS": str(token_files[run])},
                    server=ours,
                )
            )
            print(f"run {run + 1} A  {runs[-1].line()}", flush=True)
            runs.append(
                wrk(
                    "bare insert",
                    f"http://127.0.0.1:{bare_port}/answer",
                    args,
                    script=BASELINES / "answer.lua",
                    env=wrk_env,
                    server=bare,
                )
            )
            print(f"run {run + 1} B  {runs[-1].line()}", flush=True)
    finally:
        for process in (ours, bare):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)

    load_after = _load_average()
    mine = [r for r in runs if r.side == "ours: submit"]
    theirs = [r for r in runs if r.side == "bare insert"]
    print(
        f"load: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s on loopback; uvicorn "
        f"--workers {args.workers} (same options both sides) + PostgreSQL + wrk on one machine "
        f"with {os.cpu_count()} cores; {args.runs} runs each, interleaved; load average "
        f"{load_before} before, {load_after} after"
    )
    for side, series in (("ours: submit", mine), ("bare insert", theirs)):
        print(
            f"median {side:<14} {statistics.median(r.per_second for r in series):9.1f} req/s   "
            f"p50 {statistics.median(r.p50_ms for r in series):8.1f} ms   "
            f"p99 {statistics.median(r.p99_ms for r in series):8.1f} ms   "
            f"server CPU {statistics.median(r.cpu_ms for r in series):.2f} ms/request"
        )
    ratio = statistics.median(r.per_second for r in mine) / statistics.median(
        r.per_second for r in theirs
    )
    print(f"ratio ours / bare (median req/s): {ratio:.2f}x (target >= 0.5x)")
    acknowledged = sum(r.requests - r.errors for r in mine)
    errors = sum(r.errors for r in mine)
    completed = completed_responses(url) - warm_up_done  # the measured runs' only
    # wrk stops with requests in flight: the server may finish up to -c of them unseen.
    print(
        f"completed responses in the database: {completed} (wrk saw {acknowledged} acknowledged, "
        f"{errors} errors; up to {args.connections} per run may finish after wrk stopped)"
    )
    lost = completed < acknowledged
    if args.invitations * args.runs <= acknowledged + errors:
        print("warning: the invitations ran out; raise --invitations", file=sys.stderr)
    return 1 if lost or errors else 0


if __name__ == "__main__":
    sys.exit(main())
