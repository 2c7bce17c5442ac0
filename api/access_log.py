"""Access-log redaction: no citizen token, callback key or password reaches a log line.

Uvicorn's access logger (``uvicorn.access``) logs ``'%s - "%s %s HTTP/%s" %d'`` with the request
path and query as the third argument. :class:`RedactSecrets` rewrites that argument with
:func:`survey.redaction.redact_path` (what it takes out is listed there): ``/r/AbCd…/p/2``,
``/sms/kannel/inbound/[redacted]``, ``?password=[redacted]``. The formatters of
:mod:`survey.logging_setup` redact every field again, whatever the logger.

``sipas serve`` and ``sipas demo`` install the platform's log configuration in uvicorn
(:func:`uvicorn_log_config`: JSON or text per ``SIPAS_LOG_FORMAT``, the request id on every
line); :func:`install_access_log_redaction` puts the filter on the logger as well, for servers
started as ``uvicorn --factory api.app:create_app``.
"""

from __future__ import annotations

import logging
from typing import Any

from survey.logging_setup import LogFormat, log_format_from_environment, logging_config
from survey.redaction import REDACTED, SECRET_PARAMETERS, redact_path, redact_text

__all__ = [
    "REDACTED",
    "SECRET_PARAMETERS",
    "RedactSecrets",
    "install_access_log_redaction",
    "redact_path",
    "uvicorn_log_config",
]


class RedactSecrets(logging.Filter):
    """A logging filter that redacts the request path of access-log records (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        elif not args and isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        return True


def uvicorn_log_config(log_format: LogFormat | None = None) -> dict[str, Any]:
    """uvicorn's ``log_config``: :func:`survey.logging_setup.logging_config` in ``log_format``
    (default ``SIPAS_LOG_FORMAT``) with :class:`RedactSecrets` on the access log."""
    config = logging_config(log_format or log_format_from_environment())
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    config["handlers"]["access"]["filters"] = ["redact_secrets"]
    return config


def install_access_log_redaction(logger_name: str = "uvicorn.access") -> None:
    """Put :class:`RedactSecrets` on the access logger, once per process."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
        logger.addFilter(RedactSecrets())
