"""Translate the platform's error tree to HTTP in one place: ``{"detail": [{loc, msg}, ...]}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from survey.errors import SipasError, TooManyRequests


def _problem_response(status: int, problems: list[dict[str, object]]) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": problems})


async def _sipas_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SipasError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    response = _problem_response(exc.status_code, [p.as_dict() for p in exc.problems])
    if headers:
        response.headers.update(headers)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems: list[dict[str, object]] = [
        {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "invalid value"))}
        for error in exc.errors()
    ]
    return _problem_response(422, problems)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; FastAPI's own validation errors get the same ``{loc, msg}`` shape."""
    app.add_exception_handler(SipasError, _sipas_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
