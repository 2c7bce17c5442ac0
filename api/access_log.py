"""Access-log redaction: no citizen token, callback key or password reaches a log line.

Uvicorn's access logger (``uvicorn.access``) logs ``'%s - "%s %s HTTP/%s" %d'`` with the request
path and query as the third argument. :class:`RedactSecrets` rewrites that argument:

- ``/r/<token>...`` (a citizen's personal link) keeps the first 4 characters of the token,
  enough to tell requests apart: ``/r/AbCd…/p/2``;
- ``/sms/kannel/inbound/<key>`` loses its key;
- the values of ``token``, ``key``, ``sig``, ``password``, ``secret``, ``csrf`` and similar
  query parameters become ``[redacted]``, and so do a reply's ``sender``, ``receiver`` and
  ``text`` (a citizen's phone number and words are personal data, not operations data).

``sipas serve`` and ``sipas demo`` install it in uvicorn's log configuration
(:func:`uvicorn_log_config`); :func:`install_access_log_redaction` puts it on the logger as well,
for servers started as ``uvicorn --factory api.app:create_app``.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote

from uvicorn.config import LOGGING_CONFIG

__all__ = ["RedactSecrets", "install_access_log_redaction", "redact_path", "uvicorn_log_config"]

REDACTED = "[redacted]"
SECRET_PARAMETERS = frozenset(
    {
        "token",
        "key",
        "sig",
        "signature",
        "password",
        "passwd",
        "secret",
        "csrf",
        "access_token",
        "api_key",
        "apikey",
        "sender",
        "receiver",
        "text",
        "phone",
    }
)
_CITIZEN_LINK = re.compile(r"^(?P<prefix>/r/)(?P<token>[^/?#]+)")
_INBOUND_KEY = re.compile(r"^(?P<prefix>/sms/kannel/inbound/)[^/?#]+")
# A request line inside an already formatted message: the path runs to the next space or quote.
_PATH_IN_TEXT = re.compile(r"(?P<path>/[^\s\"']*)")


def _redact_query(query: str) -> str:
    parts = []
    for part in query.split("&"):
        name, sep, _value = part.partition("=")
        if sep and unquote(name).strip().lower() in SECRET_PARAMETERS:
            part = f"{name}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


def redact_path(path: str) -> str:
    """``path`` (with its query string, or a full URL) with tokens and keys taken out."""
    scheme_host = ""
    match = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*", path)
    if match:
        scheme_host, path = match.group(0), path[match.end() :]
    route, sep, query = path.partition("?")
    route = _CITIZEN_LINK.sub(lambda m: f"{m['prefix']}{m['token'][:4]}…", route)
    route = _INBOUND_KEY.sub(lambda m: f"{m['prefix']}{REDACTED}", route)
    return scheme_host + route + (sep + _redact_query(query) if sep else "")


class RedactSecrets(logging.Filter):
    """A logging filter that redacts the request path of access-log records (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        elif not args and isinstance(record.msg, str):
            record.msg = _PATH_IN_TEXT.sub(lambda m: redact_path(m["path"]), record.msg)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """Uvicorn's default logging configuration with :class:`RedactSecrets` on the access log."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    config["handlers"]["access"]["filters"] = ["redact_secrets"]
    return config


def install_access_log_redaction(logger_name: str = "uvicorn.access") -> None:
    """Put :class:`RedactSecrets` on the access logger, once per process."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
        logger.addFilter(RedactSecrets())
