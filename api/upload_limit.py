"""A cap on request bodies, enforced while they arrive: a body over the limit is never read whole.

Frame uploads (``POST /api/frames``, ``POST /staff/frames/upload``) may be as large as
``SIPAS_MAX_UPLOAD_MB`` (default 200 MB); every other body (forms, JSON) at most
:data:`MAX_OTHER_BODY_BYTES`. A declared ``Content-Length`` over the limit is refused before one
byte is read; a body without one (chunked) is counted as it streams, and the moment the count
passes the limit the application is told the client went away and the answer becomes 413. The
answer is a page in the reader's language under ``/staff`` (the upload form again, with the
error beside its file field, for frame uploads) and the API's error shape everywhere else.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_response
from api.i18n import choose_language, texts
from survey.errors import Problem

UPLOAD_PATHS = frozenset({"/api/frames", "/staff/frames/upload"})
MAX_OTHER_BODY_BYTES = 4 << 20  # questionnaire definitions, designs, forms: far below this
_MB = 1_000_000
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def body_limit(path: str, max_upload_bytes: int) -> int:
    """The largest body accepted on ``path``."""
    if path.rstrip("/") in UPLOAD_PATHS:
        return max_upload_bytes
    return min(MAX_OTHER_BODY_BYTES, max_upload_bytes)


def _describe(limit: int) -> str:
    return f"{limit / _MB:g} MB" if limit >= _MB else f"{limit:,} bytes"


class UploadLimit:
    """ASGI middleware answering 413 for bodies over :func:`body_limit` (see the module doc)."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"], self.max_upload_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, limit)(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Stop reading: the application sees a client that went away, and its
                    # answer to that is replaced by the 413 below.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await self._too_large(scope, limit)(scope, receive, send)

    def _too_large(self, scope: Scope, limit: int) -> Response:
        path: str = scope["path"]
        size = _describe(limit)
        upload = path.rstrip("/") in UPLOAD_PATHS
        if not path.startswith("/staff"):
            if upload:
                msg = (
                    f"the file is larger than the upload limit of {size}: split it into smaller "
                    "files, or ask an administrator to raise SIPAS_MAX_UPLOAD_MB"
                )
            else:
                msg = f"the request body is larger than {size}: send less at once"
            problems: list[dict[str, Any]] = [
                {"loc": ["body"], "msg": msg, "type": "request_too_large"}
            ]
            return problem_response(413, problems, {"Connection": "close"})
        return _too_large_page(Request(scope), size, upload=upload)


def _too_large_page(request: Request, size: str, *, upload: bool) -> Response:
    # Imported here: the pages import the API's modules, not the other way round at import time.
    from api.pages.coordinator import error_context, render

    settings = request.app.state.settings
    t = texts(choose_language(request))
    if upload:
        problems = [Problem(("file",), t["file_too_large"].format(limit=size))]
        errors, links = error_context(problems, ("file",))
        response = render(
            request,
            "coordinator/frame_upload.html",
            {"form": {}, "errors": errors, "error_links": links},
            user=None,
            settings=settings,
            status_code=413,
        )
    else:
        message = t["body_too_large"].format(limit=size)
        response = render(
            request,
            "coordinator/error.html",
            {"message": message, "error_links": [{"href": "#main", "text": message}]},
            user=None,
            settings=settings,
            status_code=413,
        )
    response.headers["Connection"] = "close"
    return response


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def upload_display_name(filename: str | None, default: str = "frame.csv") -> str:
    """An uploaded file's name fit for messages and records, never for a path.

    Browsers send a bare name, but a client may send ``../x``, ``C:\\dir\\x.csv`` or control
    characters: keep the last path component without them, at most 255 characters.
    """
    name = _UNSAFE_NAME_CHARS.sub("", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in {"", ".", ".."}:
        return default
    return name[-255:]


def upload_path(folder: Path, display_name: str) -> Path:
    """Where the server keeps an upload in ``folder``: a fixed name with the upload's suffix."""
    suffix = Path(display_name).suffix.lower()
    return folder / ("upload" + (suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""))
