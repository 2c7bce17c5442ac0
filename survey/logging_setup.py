"""Log records as one JSON object per line (or as redacted text), with the request id.

Our own :class:`logging.Formatter` rather than a library such as python-json-logger: the
formatting is 40 lines of the standard library, and the part that matters here, redacting every
field (:func:`survey.redaction.redact_text`) before anything is written, would have to be ours
anyway. Each line holds ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``pid``,
``request_id`` (while a request is being answered, :data:`request_id`), ``error`` (the
traceback, redacted) and the record's extra fields; uvicorn's access records become
``client``, ``method``, ``path``, ``http_version`` and ``status``.

``SIPAS_LOG_FORMAT`` chooses ``json`` (the deploy/ units) or ``text`` (the default: people at
a terminal); :func:`logging_config` is the :func:`logging.config.dictConfig` configuration that
``sipas serve``, ``sipas demo`` and ``sipas worker`` install.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from survey.errors import InvalidInput, Problem
from survey.redaction import redact_path, redact_text

__all__ = [
    "JsonFormatter",
    "LogFormat",
    "TextFormatter",
    "configure_logging",
    "log_format_from_environment",
    "logging_config",
    "request_id",
]

LogFormat = Literal["json", "text"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "text")

# The id of the request being answered; "" outside requests (the worker, start-up).
request_id: ContextVar[str] = ContextVar("sipas_request_id", default="")

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
# uvicorn.protocols.http.*: access_logger.info('%s - "%s %s HTTP/%s" %d', client, method, ...)
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


def _clean(value: Any) -> Any:
    """A JSON-ready copy of ``value`` with every string redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    return redact_text(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, every string field redacted."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            fields.update(zip(_ACCESS_FIELDS, args, strict=True))
            fields["path"] = redact_path(str(fields["path"]))
            fields["message"] = f"{fields['method']} {fields['path']} {fields['status']}"
        else:
            fields["message"] = record.getMessage()
        current = request_id.get()
        if current:
            fields["request_id"] = current
        if record.exc_info:
            fields["error"] = self.formatException(record.exc_info)
        elif record.exc_text:
            fields["error"] = record.exc_text
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        for name, value in record.__dict__.items():
            if name not in _STANDARD and name not in fields:
                fields[name] = value
        return json.dumps(_clean(fields), ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message``, redacted like the JSON lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        current = request_id.get()
        if current:
            line = f"{line} request_id={current}"
        return redact_text(line)


def log_format_from_environment() -> LogFormat:
    """``SIPAS_LOG_FORMAT`` (``json`` or ``text``; unset: ``text``)."""
    value = os.environ.get("SIPAS_LOG_FORMAT", "text").strip().lower() or "text"
    for name in LOG_FORMATS:
        if value == name:
            return name
    fix = f"unknown log format {value!r}: set SIPAS_LOG_FORMAT to json or text"
    raise InvalidInput(fix, [Problem(("SIPAS_LOG_FORMAT",), fix)])


def logging_config(log_format: LogFormat, *, level: str = "INFO") -> dict[str, Any]:
    """The ``dictConfig`` for uvicorn's loggers, ``sipas.*`` and the rest (root), in one format.

    uvicorn keeps its handler names (``default`` on stderr, ``access`` on stdout), so its
    ``log_config=`` takes this as it is.
    """
    formatter = {"()": JsonFormatter} if log_format == "json" else {"()": TextFormatter}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"sipas": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "sipas",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "sipas",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
            "sipas": {"handlers": ["default"], "level": level, "propagate": False},
        },
        # Libraries' warnings (SQLAlchemy, httpx, ...) in the same format and redacted too.
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


def configure_logging(log_format: LogFormat | None = None) -> LogFormat:
    """Install :func:`logging_config` in this process (the worker; uvicorn installs its own)."""
    chosen = log_format or log_format_from_environment()
    logging.config.dictConfig(logging_config(chosen))
    return chosen
