"""Messages per second through a real Kannel on loopback: sendsms -> bearerbox -> fakesmsc.

Starts Kannel with scripts/kannel-start (fake SMSC, fakesmsc as the operator) and a local
callback server for delivery reports, sends N GSM-7 or UCS-2 messages through KannelGateway from
a few threads, and prints:

- accepted/s: sendsms answers 202 per second (what the outbox worker sees);
- delivered to SMSC/s: messages printed by fakesmsc per second, first send to last arrival;
- DLR/s: "delivered" reports received by the callback server per second.

fakesmsc polls the bearerbox connection about once a second in interactive mode, so the
end-to-end figures carry up to ~1 s of slack; use several thousand messages for a stable rate.

Usage: python bench/sms_kannel_dispatch.py [--messages 2000] [--concurrency 8] [--ucs2]
       [--no-dlr]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from survey.sms.gateway import DeliveryStatus, parse_delivery_report
from survey.sms.kannel import KannelGateway, KannelSettings, read_state_file

REPO = Path(__file__).resolve().parents[1]


class DlrCounter:
    """Counts delivered reports for our batch; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.delivered = 0
        self.last_at = 0.0

    def add(self, query: str) -> None:
        report = parse_delivery_report(query)
        if report.status is DeliveryStatus.DELIVERED:
            with self.lock:
                self.delivered += 1
                self.last_at = time.perf_counter()


def start_callbacks(counter: DlrCounter) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive: smsbox reuses its connections for the stream of DLR callbacks.
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path == "/sms/dlr":
                counter.add(query)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def count_mt(log: Path, prefix: str) -> int:
    with log.open(encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if "Got message" in line and f" {prefix}" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--ucs2", action="store_true", help="Vietnamese text with diacritics")
    parser.add_argument("--no-dlr", action="store_true", help="do not request delivery reports")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    counter = DlrCounter()
    httpd = start_callbacks(counter)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    workdir = Path(tempfile.mkdtemp(prefix="sipas-bench-"))
    state_file = workdir / "kannel.state"
    env = {**os.environ, "PYTHON": sys.executable, "KANNEL_INBOUND_URL": f"{base}/sms/inbound"}
    subprocess.run([str(REPO / "scripts" / "kannel-start"), str(state_file)], env=env, check=True)
    try:
        state = read_state_file(state_file)
        settings = KannelSettings.from_state_file(
            state_file, dlr_url=None if args.no_dlr else f"{base}/sms/dlr"
        )
        text = (
            "Moi Ong/Ba danh gia dich vu cong: https://sipas.vn/s/7Kq2"
            if not args.ucs2
            else "Mời Ông/Bà đánh giá dịch vụ công: https://sipas.vn/s/7Kq2"
        )
        # Recipients +849xxxxxxxx with a prefix of our own so the log count is ours only.
        prefix = "+8490"
        recipients = [f"{prefix}{i:07d}" for i in range(args.messages)]
        limits = httpx.Limits(max_connections=args.concurrency)
        with (
            httpx.Client(timeout=settings.timeout, limits=limits) as client,
            KannelGateway(settings, client=client) as gateway,
            ThreadPoolExecutor(args.concurrency) as pool,
        ):
            start = time.perf_counter()
            results = list(
                pool.map(lambda i: gateway.send(f"b{i}", recipients[i], text), range(args.messages))
            )
            accepted_at = time.perf_counter()
        accepted = sum(r.accepted for r in results)
        log = Path(state["FAKESMSC_LOG"])
        deadline = start + args.timeout
        seen = 0
        while time.perf_counter() < deadline:
            seen = count_mt(log, prefix)
            if seen >= accepted:
                break
            time.sleep(0.05)
        arrived_at = time.perf_counter()
        if not args.no_dlr:
            while time.perf_counter() < deadline and counter.delivered < accepted:
                time.sleep(0.05)

        coding = "UCS-2" if args.ucs2 else "GSM-7"
        print(f"messages={args.messages} concurrency={args.concurrency} coding={coding}")
        print(f"accepted={accepted} at fakesmsc={seen} delivered DLRs={counter.delivered}")
        print(f"sendsms accepted/s        {accepted / (accepted_at - start):8.1f}")
        print(f"sendsms->fakesmsc msgs/s  {seen / (arrived_at - start):8.1f}")
        if not args.no_dlr and counter.delivered:
            print(f"delivered DLRs/s          {counter.delivered / (counter.last_at - start):8.1f}")
    finally:
        subprocess.run([str(REPO / "scripts" / "kannel-stop"), str(state_file)], check=False)
        state_file.unlink(missing_ok=True)
        workdir.rmdir()
        httpd.shutdown()
        httpd.server_close()


if __name__ == "__main__":
    main()
