"""The deployment of deploy/ on one machine, under load and kills (run by scripts/topology-test).

Brings up, all on 127.0.0.1: nginx (Debian's) with deploy/nginx/sipas.conf rendered (TLS with a
throwaway self-signed certificate), two ``sipas serve`` processes behind it, two ``sipas worker``
processes, Kannel with its fake SMSC (scripts/kannel-start) and a fresh database on the
PostgreSQL of scripts/pg-start. Then, through the proxy, citizens submit K complete forms while
the workers send M queued SMS through Kannel; meanwhile one API process and one worker are
killed with SIGKILL and started again (as systemd's Restart=always would). Checks:

* every submission the proxy acknowledged (303 to the thank-you page) is in the database, every
  citizen ends with exactly one completed response (retries after a 502 included);
* every SMS reached the fake SMSC at most once; every message ``sent`` or ``delivered`` in the
  database reached it exactly once; none is left queued, claimed or sending (the killed
  worker's claims are taken over after their lease; a send it interrupted is ``unknown``);
* /metrics answers 127.0.0.1 and refuses 127.0.0.2, pages come gzip-compressed, a body over
  SIPAS_MAX_UPLOAD_MB gets 413 from nginx, /readyz shows the workers' heartbeats.

Prints one summary line per check and exits 1 on the first failed one.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import insert, text
from sqlmodel import Session, col, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.pages.answer import csrf_token  # noqa: E402
from survey.db import make_engine, upgrade_database  # noqa: E402
from survey.models import Invitation, Response, SampleUnit, SmsMessage, utcnow  # noqa: E402
from survey.settings import Settings  # noqa: E402
from tests.survey.responses_fixtures import build_fieldwork, full_answers  # noqa: E402

DATABASE = "sipas_topology"
SECRET = "topology-test-only-secret-not-for-production-0123456789"
SUBMISSIONS = int(os.environ.get("TOPOLOGY_SUBMISSIONS", "300"))
MESSAGES = int(os.environ.get("TOPOLOGY_MESSAGES", "240"))
DEADLINE_SECONDS = 75.0
VENV = ROOT / ".venv" / "bin"


def log(message: str) -> None:
    print(f"topology: {message}", flush=True)


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def wait_port(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"topology: nothing listens on port {port} after {seconds:.0f} s")


def fresh_database(server_url: str) -> str:
    base, _, _ = server_url.rpartition("/")
    admin = make_engine(Settings(database_url=server_url))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()
    return f"{base}/{DATABASE}"


def prepare(url: str) -> tuple[list[tuple[str, str]], int]:
    """K invitations with complete drafts [(token, csrf)] and M queued SMS; the campaign id."""
    upgrade_database(url)
    engine = make_engine(Settings(database_url=url))
    with Session(engine) as session:
        fieldwork = build_fieldwork(session, SECRET, n=SUBMISSIONS)
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
        now = utcnow()
        session.exec(
            insert(SmsMessage),
            params=[
                {
                    "idempotency_key": f"topology-{i}",
                    "campaign_id": fieldwork.campaign_id,
                    "kind": "invitation",
                    "to_e164": f"+8490{i:07d}",
                    "text": f"SIPAS topology {i}",
                    "encoding": "gsm7",
                    "segments": 1,
                    "status": "queued",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for i in range(MESSAGES)
            ],
        )
        session.commit()
        pairs = [
            (token, csrf_token(SECRET, invitation))
            for token, (invitation, _unit) in zip(fieldwork.tokens, rows, strict=True)
        ]
    engine.dispose()
    return pairs, fieldwork.campaign_id


def render_nginx(state: Path, https: int, http: int, api_ports: list[int]) -> Path:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(state / "tls.key"),
            "-out",
            str(state / "tls.crt"),
        ],
        check=True,
        capture_output=True,
    )
    values = {
        "SERVER_NAME": "127.0.0.1",
        "HTTPS_LISTEN": f"127.0.0.1:{https}",
        "HTTP_LISTEN": f"127.0.0.1:{http}",
        "TLS_CERT": str(state / "tls.crt"),
        "TLS_KEY": str(state / "tls.key"),
        "UPSTREAMS": "\n    ".join(
            f"server 127.0.0.1:{port} max_fails=3 fail_timeout=5s;" for port in api_ports
        ),
        "MAX_UPLOAD_MB": "1",
        # One load generator on one address: the per-address limit would refuse it.
        "RATE": "2000r/s",
        "METRICS_ALLOW": "allow 127.0.0.1;",
        "LOG_DIR": str(state),
    }
    site = (ROOT / "deploy" / "nginx" / "sipas.conf").read_text()
    site = re.sub(r"@([A-Z_]+)@", lambda m: values.get(m.group(1), m.group(0)), site)
    (state / "sipas.conf").write_text(site)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (state / name).mkdir(mode=0o777)
        os.chmod(state / name, 0o777)
    temp = "\n".join(
        f"    {n}_temp_path {state / n.replace('client_body', 'body')};"
        for n in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = f"""daemon off;
worker_processes 2;
pid {state}/nginx.pid;
error_log {state}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
{temp}
    include {state}/sipas.conf;
}}
"""
    (state / "nginx.conf").write_text(main)
    return state / "nginx.conf"


class Fleet:
    """The child processes, by name, so one can be killed and started again."""

    def __init__(self, state: Path, env: dict[str, str]) -> None:
        self.state, self.env = state, env
        self.commands: dict[str, list[str]] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str]) -> None:
        self.commands[name] = command
        output = open(self.state / f"{name}.out", "ab")  # noqa: SIM115 (kept by the child)
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT
        )

    def kill(self, name: str) -> None:
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def restart(self, name: str) -> None:
        self.start(name, self.commands[name])

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def handed_phones(fakesmsc_log: Path) -> Counter[str]:
    """Messages the fake SMSC received, per receiver (digits only)."""
    found = re.findall(r"Got message \d+: <\S+ (\+?\d+) ", fakesmsc_log.read_text())
    return Counter(phone.lstrip("+") for phone in found)


def fail(message: str) -> None:
    raise SystemExit(f"topology: FAILED: {message}")


def main() -> int:
    server_url = os.environ["SIPAS_TEST_POSTGRES_URL"]
    url = fresh_database(server_url)
    pairs, _campaign = prepare(url)
    log(f"database {DATABASE}: {len(pairs)} drafts ready to submit, {MESSAGES} SMS queued")

    state = Path(tempfile.mkdtemp(prefix="sipas-topology."))
    os.chmod(state, 0o755)
    https, http, api1, api2 = free_ports(4)
    base = f"https://127.0.0.1:{https}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SIPAS_DATABASE_URL": url,
        "SIPAS_SECRET_KEY": SECRET,
        "SIPAS_PUBLIC_BASE_URL": base,
        "SIPAS_MAX_UPLOAD_MB": "1",
        "SIPAS_QUIET_HOURS_START": "00:00",
        "SIPAS_QUIET_HOURS_END": "00:00",
        "SIPAS_CITIZEN_LIMIT_PER_ADDRESS": "1000000/minute",
        "SIPAS_SMS_RATE_PER_SECOND": "25",
        "SIPAS_KANNEL_ALLOWED_ADDRESSES": "127.0.0.1",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    inbound = subprocess.run(
        [str(VENV / "sipas"), "worker", "--print-inbound-url"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    kannel_state = state / "kannel.state"
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "kannel-start"), str(kannel_state)],
        env={**os.environ, "KANNEL_INBOUND_URL": inbound, "PYTHON": sys.executable},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    kannel = dict(
        line.split("=", 1) for line in kannel_state.read_text().splitlines() if "=" in line
    )
    env |= {
        "SIPAS_SMS_GATEWAY": "kannel",
        "SIPAS_KANNEL_SENDSMS_URL": kannel["SENDSMS_URL"],
        "SIPAS_KANNEL_USERNAME": kannel["SENDSMS_USERNAME"],
        "SIPAS_KANNEL_PASSWORD": kannel["SENDSMS_PASSWORD"],
    }
    fleet = Fleet(state, env)
    try:
        return run(fleet, state, url, base, https, http, [api1, api2], pairs, kannel)
    finally:
        fleet.stop_all()
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "kannel-stop"), str(kannel_state)],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        log(f"logs in {state}")


def run(
    fleet: Fleet,
    state: Path,
    url: str,
    base: str,
    https: int,
    http: int,
    api_ports: list[int],
    pairs: list[tuple[str, str]],
    kannel: dict[str, str],
) -> int:
    started = time.monotonic()
    nginx_conf = render_nginx(state, https, http, api_ports)
    fleet.start("nginx", ["/usr/sbin/nginx", "-c", str(nginx_conf), "-e", str(state / "ng.log")])
    for number, port in enumerate(api_ports, 1):
        fleet.start(
            f"api{number}",
            [str(VENV / "sipas"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        )
    for port in (https, *api_ports):
        wait_port(port)
    # After the API: a delivery report for a process not yet listening would only be retried.
    for number in (1, 2):
        fleet.start(
            f"worker{number}",
            [str(VENV / "sipas"), "worker", "--batch", "20", "--idle", "0.5", "--lease", "8"],
        )
    for name, process in fleet.processes.items():
        if process.poll() is not None:
            fail(f"{name} exited with {process.returncode}: see {state / (name + '.out')}")
    log(f"up in {time.monotonic() - started:.1f} s: nginx {https}, api {api_ports}, 2 workers")

    engine = make_engine(Settings(database_url=url))
    acknowledged: set[str] = set()
    lock = threading.Lock()
    retries = Counter[str]()

    def submit(pair: tuple[str, str]) -> None:
        token, csrf = pair
        with httpx.Client(
            verify=False, timeout=20
        ) as client:  # a throwaway self-signed certificate
            # A citizen who sees an error page sends again; give up after about 30 s.
            for _attempt in range(60):
                try:
                    reply = client.post(f"{base}/r/{token}/submit", data={"csrf": csrf})
                except httpx.TransportError:
                    retries["transport"] += 1
                    time.sleep(0.5)
                    continue
                if reply.status_code == 303 and reply.headers["location"].endswith("/thanks"):
                    with lock:
                        acknowledged.add(token)
                    return
                retries[str(reply.status_code)] += 1
                time.sleep(0.5)

    def sent_count() -> int:
        with Session(engine) as session:
            return int(
                session.exec(
                    select(func.count()).where(
                        col(SmsMessage.status).in_(("sent", "delivered", "sending", "unknown"))
                    )
                ).one()
            )

    def killer() -> None:
        while len(acknowledged) < len(pairs) // 3:
            time.sleep(0.05)
        fleet.kill("api1")
        log(f"killed api1 (SIGKILL) after {len(acknowledged)} acknowledged submissions")
        while sent_count() < MESSAGES // 4:
            time.sleep(0.05)
        fleet.kill("worker1")
        log("killed worker1 (SIGKILL) mid-batch")
        time.sleep(2)
        fleet.restart("api1")
        fleet.restart("worker1")
        log("restarted api1 and worker1 (as Restart=always would)")

    kill_thread = threading.Thread(target=killer, daemon=True)
    kill_thread.start()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(submit, pairs))
    kill_thread.join(timeout=30)
    if kill_thread.is_alive():
        fail("the kills did not happen (too little load before the end)")
    log(f"{len(acknowledged)} of {len(pairs)} submissions acknowledged; retries {dict(retries)}")

    deadline = started + DEADLINE_SECONDS
    pending = ("queued", "claimed", "sending")
    fakesmsc_log = Path(kannel["FAKESMSC_LOG"])
    # Done when nothing is pending and every message Kannel accepted has reached the SMSC
    # (Kannel queues it between its "accepted" and the SMSC's hand-over).
    while time.monotonic() < deadline:
        with Session(engine) as session:
            left = session.exec(
                select(func.count()).where(col(SmsMessage.status).in_(pending))
            ).one()
            accepted = {
                str(p).lstrip("+")
                for p in session.exec(
                    select(SmsMessage.to_e164).where(
                        col(SmsMessage.status).in_(("sent", "delivered"))
                    )
                ).all()
            }
        if left == 0 and accepted <= set(handed_phones(fakesmsc_log)):
            break
        time.sleep(0.5)
    with Session(engine) as session:
        statuses = Counter(
            {
                str(s): int(n)
                for s, n in session.exec(
                    select(SmsMessage.status, func.count()).group_by(col(SmsMessage.status))
                ).all()
            }
        )
        sent_phones = set(
            session.exec(
                select(SmsMessage.to_e164).where(col(SmsMessage.status).in_(("sent", "delivered")))
            ).all()
        )
        unknown_phones = set(
            session.exec(
                select(SmsMessage.to_e164).where(col(SmsMessage.status) == "unknown")
            ).all()
        )
        completed = int(
            session.exec(select(func.count()).where(col(Response.status) == "completed")).one()
        )
        invited_done = int(
            session.exec(
                select(func.count()).where(col(Invitation.completed_at).is_not(None))
            ).one()
        )
    log(f"SMS by status {dict(statuses)}")

    if len(acknowledged) != len(pairs):
        fail(f"only {len(acknowledged)} of {len(pairs)} submissions were ever acknowledged")
    if completed != len(pairs) or invited_done != len(pairs):
        fail(
            f"{completed} completed responses, {invited_done} completed invitations, "
            f"{len(pairs)} submitted"
        )
    log(f"submissions: {len(pairs)} acknowledged = {completed} completed responses, none twice")

    if any(statuses.get(s, 0) for s in pending):
        fail(f"messages still pending after {DEADLINE_SECONDS:.0f} s: {dict(statuses)}")
    handed = handed_phones(fakesmsc_log)
    twice = {phone: n for phone, n in handed.items() if n > 1}
    if twice:
        fail(f"{len(twice)} phones got a message more than once: {list(twice)[:5]}")
    sent_digits = {str(p).lstrip("+") for p in sent_phones}
    missing = sent_digits - set(handed)
    if missing:
        fail(f"{len(missing)} messages recorded as sent never reached the SMSC")
    strays = set(handed) - sent_digits - {str(p).lstrip("+") for p in unknown_phones}
    if strays:
        fail(f"{len(strays)} messages reached the SMSC but are neither sent nor unknown")
    if statuses.get("failed", 0):
        fail(f"{statuses['failed']} messages failed")
    log(
        f"SMS: {len(handed)} reached the fake SMSC once each; {len(sent_phones)} sent/delivered, "
        f"{len(unknown_phones)} unknown (interrupted by the kill, never resent), 0 twice, 0 lost"
    )

    proxy_checks(base, https)
    log(f"PASSED in {time.monotonic() - started:.1f} s")
    return 0


def proxy_checks(base: str, https: int) -> None:
    with httpx.Client(verify=False, timeout=10) as client:  # a throwaway self-signed certificate
        ready = client.get(f"{base}/readyz")
        worker = ready.json().get("worker", {})
        if ready.status_code != 200 or worker.get("live", 0) < 2:
            fail(f"/readyz through the proxy: {ready.status_code} {ready.text[:300]}")
        if client.get(f"{base}/metrics").status_code != 200:
            fail("/metrics refused to 127.0.0.1 (on the allow-list)")
        page = client.get(f"{base}/staff/sign-in", headers={"Accept-Encoding": "gzip"})
        if page.headers.get("content-encoding") != "gzip":
            fail(f"/staff/sign-in not compressed: {dict(page.headers)}")
        big = client.post(f"{base}/api/frames", content=b"x" * (2 * 1024 * 1024))
        if big.status_code != 413:
            fail(f"a 2 MB body with SIPAS_MAX_UPLOAD_MB=1 got {big.status_code}, not 413")
    other = httpx.HTTPTransport(local_address="127.0.0.2", verify=False)
    with httpx.Client(transport=other, timeout=10) as client:
        if client.get(f"https://127.0.0.1:{https}/metrics").status_code != 403:
            fail("/metrics answered 127.0.0.2, which is not on the allow-list")
    log(
        f"proxy: /readyz {worker.get('live')} live workers (heartbeat "
        f"{worker.get('heartbeat_age_seconds'):.1f} s), /metrics 403 off the allow-list, gzip, "
        "413 over the upload limit"
    )


if __name__ == "__main__":
    sys.exit(main())
