"""The request id: taken from a sane ``X-Request-ID`` (nginx's ``$request_id``) or made here,
answered in ``X-Request-ID`` and carried in :data:`survey.logging_setup.request_id` into every
log line written while the request is answered.

An incoming id is kept only when it is 8-128 characters of letters, digits and ``._:-``:
anything else (a header stuffed with a log line, a newline, a personal link) is replaced by a
new random id, so what reaches the logs under this name is always a harmless word.

An error no handler answers (a bug) gets a JSON 500 naming the request id here, before
Starlette's plain-text one, so the person who reports it can quote the id that finds its
traceback in the logs; the exception still propagates to uvicorn, which logs it once.
"""

from __future__ import annotations

import json
import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from survey.logging_setup import request_id

__all__ = ["HEADER", "RequestIdMiddleware", "incoming_request_id"]

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def incoming_request_id(value: str | None) -> str:
    """``value`` when it is a sane request id, else a new one (32 hex digits)."""
    if value is not None and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI (no task of its own), so the context variable it sets is the one the app's
    code, the other middlewares and uvicorn's access log all see."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(HEADER.lower().encode("latin-1"))
        current = incoming_request_id(raw.decode("latin-1") if raw is not None else None)
        # Not reset afterwards on purpose: uvicorn logs an unhandled error after the app
        # returns, in this request's own task (a copy of the server's context), so the id
        # reaches that line and never another request's.
        request_id.set(current)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[HEADER] = current
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if not started:
                body = {
                    "detail": [
                        {
                            "loc": [],
                            "msg": f"internal error; quote request id {current} when reporting it",
                            "type": "internal_error",
                        }
                    ],
                    "request_id": current,
                }
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send_with_id(
                    {"type": "http.response.body", "body": json.dumps(body).encode()}
                )
            raise
