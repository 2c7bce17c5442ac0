"""Prometheus metrics: requests by route template, and the database's view of the fieldwork.

Chosen: ``prometheus-client`` (PyPI), the Prometheus project's own Python client; it writes the
text format Prometheus scrapes and has the histogram and collector types we need, so nothing
here formats metrics by hand.

Requests are labelled by the matched route's *template* (``/r/{token}/p/{page}``), never the raw
path: citizen links carry their token in the path. A request no route matched is ``unmatched``.
Request counts live in each process (scrape every API process; ``docs/operations.md``); the
outbox and submission figures are read from the shared database at scrape time, so they are the
same whichever process answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from survey.monitoring import heartbeat_snapshot, outbox_snapshot, submitted_responses

# Tuned to page latencies: most answers are tens of milliseconds, imports take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    """The per-process request counters of one app, in a registry of its own."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sipas_http_requests",
            "HTTP requests answered, by method, route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sipas_http_request_duration_seconds",
            "Time to answer a request, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(FieldworkCollector(engine))


def route_template(scope: Scope) -> str:
    """The template of the route that answered (never the path as requested)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    if scope.get("path", "").startswith("/static/"):
        return "/static"
    return "unmatched"


class MetricsMiddleware:
    """ASGI middleware counting and timing every HTTP request."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


class FieldworkCollector(Collector):
    """Submissions and the outbox, read from the database when Prometheus scrapes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("sipas_database_up", "1 when the database answered this scrape")
        try:
            with Session(self.engine) as session:
                outbox = outbox_snapshot(session=session)
                submitted = submitted_responses(session=session)
                beats = heartbeat_snapshot(session=session)
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        live = GaugeMetricFamily(
            "sipas_workers_live",
            "Workers whose heartbeat is younger than 10 minutes, by their last pass's state",
            labels=["state"],
        )
        for state in ("ok", "gateway_down", "database_error"):
            live.add_metric([state], beats.by_state.get(state, 0))
        yield live
        if beats.newest_age_seconds is not None:
            yield GaugeMetricFamily(
                "sipas_worker_heartbeat_age_seconds",
                "Seconds since the newest worker heartbeat (absent: no worker ever ran)",
                value=beats.newest_age_seconds,
            )
        yield GaugeMetricFamily(
            "sipas_responses_submitted", "Questionnaires submitted (all campaigns)", value=submitted
        )
        by_status = GaugeMetricFamily(
            "sipas_outbox_messages", "SMS messages in the outbox by status", labels=["status"]
        )
        for name in ("queued", "claimed", "sending", "sent", "delivered", "failed", "unknown"):
            by_status.add_metric([name], outbox.by_status.get(name, 0))
        for name, count in sorted(outbox.by_status.items()):
            if name not in {
                "queued",
                "claimed",
                "sending",
                "sent",
                "delivered",
                "failed",
                "unknown",
            }:
                by_status.add_metric([name], count)
        yield by_status
        yield GaugeMetricFamily(
            "sipas_outbox_send_failures",
            "Messages that failed for good (status failed) or may have been sent (unknown)",
            value=outbox.by_status.get("failed", 0) + outbox.by_status.get("unknown", 0),
        )
        yield GaugeMetricFamily(
            "sipas_outbox_retrying",
            "Queued messages whose earlier send attempts the gateway refused",
            value=outbox.retrying,
        )
        for name, text, age in (
            (
                "sipas_outbox_oldest_queued_age_seconds",
                "Age of the oldest queued message (0 when none is queued)",
                outbox.oldest_queued_age_seconds,
            ),
            (
                "sipas_outbox_oldest_due_age_seconds",
                "How long the longest-waiting due message has waited for a worker (0: none)",
                outbox.oldest_due_age_seconds,
            ),
        ):
            yield GaugeMetricFamily(name, text, value=age or 0.0)
        if outbox.last_sent_age_seconds is not None:
            yield GaugeMetricFamily(
                "sipas_outbox_last_sent_age_seconds",
                "Seconds since a worker last handed a message to the gateway",
                value=outbox.last_sent_age_seconds,
            )
