"""``/healthz`` (the process answers), ``/readyz`` (it can serve: the database answers) and
``/metrics`` (Prometheus). No sign-in: load balancers and Prometheus call them; they show counts
and ages, never a person's data. Keep ``/metrics`` to the monitoring network at the proxy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from api.policy import Public
from survey.monitoring import database_problem, heartbeat_snapshot, outbox_snapshot

router = APIRouter(tags=["health"], dependencies=[Depends(Public)])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """200 while the process runs; touches nothing else (a liveness check)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "the database does not answer"}})
def readyz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 otherwise; the workers' heartbeats and the outbox's
    ages. A silent worker does not make the API unready (the proxy would drop every API
    process for it): monitoring alerts on ``heartbeat_age_seconds`` instead."""
    engine = request.app.state.engine
    problem = database_problem(engine)
    body: dict[str, Any] = {"status": "ok" if not problem else "unavailable"}
    body["database"] = problem or "ok"
    if not problem:
        try:
            with Session(engine) as session:
                outbox = outbox_snapshot(session=session)
                beats = heartbeat_snapshot(session=session)
        except SQLAlchemyError:
            body["worker"] = {"status": "unknown"}
        else:
            body["worker"] = {
                "heartbeat_age_seconds": beats.newest_age_seconds,
                "live": beats.live,
                "states": beats.by_state,
                "oldest_due_message_age_seconds": outbox.oldest_due_age_seconds,
                "last_sent_age_seconds": outbox.last_sent_age_seconds,
                "queued": outbox.by_status.get("queued", 0),
            }
    return JSONResponse(body, status_code=503 if problem else 200)


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """The Prometheus text format."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
