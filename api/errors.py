"""Translate the platform's error tree to HTTP in one place, in the one published error shape.

Every error answer of the API, whatever raised it, is ``{"detail": [{"loc", "msg", "type"}, ...]}``
(:class:`ErrorResponse`), and the OpenAPI document publishes exactly that schema for 400, 401, 403,
404, 409, 413, 422 and 429 (:data:`ERROR_RESPONSES`), so clients and the fuzzer in
``tests/api/test_openapi_fuzz.py`` can hold the service to it:

- the platform's own tree (:mod:`survey.errors`): ``type`` is the class in snake case
  (``invalid_input``, ``not_found``, ``permission_denied``, ...);
- FastAPI's request validation: pydantic's own ``type`` (``int_parsing``, ``string_too_long``...);
- Starlette's HTTP errors (unknown path, unparsable body): ``http_<status>``;
- a value the database cannot hold (a number beyond a column's range, a string longer than its
  column) that slipped past the parameter bounds: 422 ``out_of_range`` instead of a 500;
- the database out of reach (refused connection, restart, pool exhausted): 503 with
  ``Retry-After``, ``service_unavailable`` in JSON on the API and a vi/en "try again" page on
  the citizen's (``/r/``) and staff (``/staff``) pages (:class:`DatabaseOutage` also catches it
  in the middlewares that query the database, such as the rate limits);
- a client that went away while its request was read (``ClientDisconnect``) is not an error:
  nothing is answered and nothing is logged above debug.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problem_text import accept_language, problem_text
from survey.errors import SipasError, TooManyRequests

logger = logging.getLogger("sipas.api")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class ProblemDetail(BaseModel):
    """One thing wrong with a request: where (``loc``), the fix (``msg``), its kind (``type``)."""

    loc: list[str | int] = Field(description='path to the fault, e.g. ["body", "name"]')
    msg: str = Field(
        description="what is wrong and how to fix it, in Vietnamese when the request's "
        "Accept-Language prefers vi (English otherwise)"
    )
    type: str = Field(description="machine-readable kind, e.g. not_found or string_too_long")
    msg_en: str | None = Field(
        default=None, description="the English original of msg, when msg is in Vietnamese"
    )


class ErrorResponse(BaseModel):
    """The body of every error answer of the API."""

    detail: list[ProblemDetail]


_DESCRIPTIONS = {
    400: "The request cannot be parsed",
    401: "No or bad credentials",
    403: "The role or scope of the caller does not allow this",
    404: "The object does not exist or is hidden from the caller",
    409: "The request contradicts the current state",
    413: "The request body is larger than the upload limit",
    422: "A parameter or field is invalid; each problem names it and the fix",
    429: "Too many requests; retry after the Retry-After header's seconds",
    503: "The database is out of reach for a moment; retry after the Retry-After header's seconds",
}
# Passed to include_router, so every operation publishes these instead of FastAPI's
# HTTPValidationError (whose shape the service never sent).
# The explicit JSON content keeps the errors of routes that answer HTML (letters) JSON too.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ErrorResponse,
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    for status, text in _DESCRIPTIONS.items()
}


def error_type(exc: SipasError) -> str:
    """``InvalidInput`` -> ``invalid_input``: the class names the kind of error."""
    return _CAMEL.sub("_", type(exc).__name__).lower()


def _entry(problem: dict[str, Any], lang: str) -> dict[str, Any]:
    english = str(problem.get("msg") or "invalid value")
    entry: dict[str, Any] = {
        "loc": list(problem.get("loc") or ()),
        "msg": english,
        "type": str(problem.get("type") or "error"),
    }
    if lang == "vi":
        # Only the words change: loc and type stay what scripts match on.
        said = problem_text(english, "vi")
        if said != english:
            entry["msg"], entry["msg_en"] = said, english
    return entry


def problem_body(problems: list[dict[str, Any]], lang: str = "en") -> dict[str, Any]:
    """``{"detail": [...]}`` with every entry in the published shape (loc list, msg, type);
    with ``lang="vi"`` each ``msg`` the catalogue knows is said in Vietnamese, the English
    original beside it as ``msg_en``."""
    return {"detail": [_entry(p, lang) for p in problems]}


def problem_response(
    status: int,
    problems: list[dict[str, Any]],
    headers: dict[str, str] | None = None,
    lang: str = "en",
) -> JSONResponse:
    return JSONResponse(status_code=status, content=problem_body(problems, lang), headers=headers)


def answer_language(request: Request) -> str:
    """The language of an error answer: ``vi`` when ``Accept-Language`` prefers it, else ``en``
    (the API's default, whatever the pages' language cookie says)."""
    return accept_language(request.headers.get("accept-language"))


def sipas_error_response(exc: SipasError, lang: str = "en") -> JSONResponse:
    """The JSON answer for an error of the platform's tree (also used by pages' API twins)."""
    kind = error_type(exc)
    headers: dict[str, str] = {}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    problems = [{**p.as_dict(), "type": kind} for p in exc.problems]
    return problem_response(exc.status_code, problems, headers or None, lang)


async def _sipas_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SipasError)
    return sipas_error_response(exc, answer_language(request))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "invalid value")),
            "type": str(error.get("type", "value_error")),
        }
        for error in exc.errors()
    ]
    return problem_response(422, problems, lang=answer_language(request))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    problems = [{"loc": [], "msg": str(exc.detail), "type": f"http_{exc.status_code}"}]
    return problem_response(exc.status_code, problems, dict(exc.headers or {}) or None)


def _is_out_of_range(exc: BaseException) -> bool:
    if isinstance(exc, DataError | OverflowError):
        return True
    # SQLite's driver raises OverflowError while binding, which SQLAlchemy wraps.
    return isinstance(exc, StatementError) and isinstance(exc.orig, OverflowError)


async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    if not _is_out_of_range(exc):
        raise exc
    # A parameter bound is missing somewhere: say so in the log (without the values, which may
    # be personal data) and answer 422, never 500.
    origin = getattr(exc, "orig", None) or exc
    logger.warning(
        "database refused a value (%s): a parameter lacks a bound", type(origin).__name__
    )
    problems = [
        {
            "loc": ["request"],
            "msg": "a number is out of range or a text is longer than its field allows: "
            "send smaller numbers and shorter texts",
            "type": "out_of_range",
        }
    ]
    return problem_response(422, problems, lang=answer_language(request))


# A PostgreSQL restart takes seconds; a client that retries sooner only adds load.
RETRY_AFTER_SECONDS = 30
_PAGE_PREFIXES = ("/r/", "/m/", "/staff")
_TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def is_database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached now (not that a statement is wrong)."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def database_unavailable_response(request: Request) -> Response:
    """503 with ``Retry-After``: the "try again" page on citizen and staff pages, else JSON."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if not request.url.path.startswith(_PAGE_PREFIXES):
        problems = [
            {
                "loc": [],
                "msg": "the database cannot be reached for a moment; nothing was changed by "
                f"this request unless it said so: retry in {RETRY_AFTER_SECONDS} seconds",
                "type": "service_unavailable",
            }
        ]
        return problem_response(503, problems, headers, answer_language(request))
    from api.i18n import choose_language, texts
    from api.pages.answer import TEXT  # the answer pages' own words (service name, switch)

    lang = choose_language(request)
    words = {**TEXT[lang], **texts(lang)}
    return _TEMPLATES.TemplateResponse(
        request,
        "answer/unavailable.html",
        {
            "lang": lang,
            "t": words,
            "other_lang": "en" if lang == "vi" else "vi",
            "errors": {},
            "wait": words["wait_seconds"].format(n=RETRY_AFTER_SECONDS),
            "again": request.url.path,
        },
        status_code=503,
        headers=headers,
    )


def _log_outage(exc: BaseException) -> None:
    # The class only: messages and statements may carry addresses, tokens or answers.
    origin = getattr(exc, "orig", None) or exc
    logger.warning("database unavailable (%s): answered 503", type(origin).__name__)


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    if not is_database_outage(exc):
        return await _out_of_range(request, exc)
    _log_outage(exc)
    return database_unavailable_response(request)


async def _client_disconnect(_request: Request, _exc: Exception) -> Response:
    logger.debug("client went away before its request was read")
    # Nobody is listening; the server drops this.
    return Response(status_code=400)


class DatabaseOutage:
    """ASGI middleware: a database outage or a client disconnect raised by an inner middleware
    (the rate limits count in the database before any route runs) gets the same answer as one
    raised by a route, instead of a 500 and a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            logger.debug("client went away before its request was read")
        except Exception as exc:
            if started or not is_database_outage(exc):
                raise
            _log_outage(exc)
            await database_unavailable_response(Request(scope, receive))(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers, so every error leaves in the one published shape."""
    app.add_exception_handler(SipasError, _sipas_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(StatementError, _out_of_range)
    # More specific than StatementError, so these win for the database's own errors.
    app.add_exception_handler(DBAPIError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(ClientDisconnect, _client_disconnect)
