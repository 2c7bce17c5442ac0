"""Take secrets and personal data out of text bound for a log.

What goes, wherever it appears in a log record (message, request path, traceback, extra field):

- ``/r/<token>...`` and ``/m/<code>`` (a citizen's personal link, long or short) keep the first
  4 characters of the token or code, enough to tell requests apart: ``/r/AbCd…/p/2``;
- ``/sms/kannel/inbound/<key>`` loses its key;
- the values of ``token``, ``key``, ``sig``, ``password``, ``secret``, ``csrf`` and similar
  parameters (in a query string or written ``name=value`` in a message) become ``[redacted]``,
  and so do an SMS's ``sender``, ``receiver``, ``to`` and ``text`` (a citizen's phone number and
  words are personal data, not operations data) and Kannel's ``dlr-url`` (it holds a ``sig``);
- Vietnamese phone numbers anywhere (``0912345678``, ``84912345678``, ``+84 912 345 678``)
  become ``[phone]``;
- the ``[parameters: ...]`` block SQLAlchemy appends to a database error (the values of the
  statement: phones, answers, hashes) becomes ``[parameters: [redacted]]``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["REDACTED", "SECRET_PARAMETERS", "redact_path", "redact_text"]

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
        "to",
        "text",
        "phone",
        "dlr-url",
        "dlr_url",
    }
)
_CITIZEN_LINK = re.compile(r"^(?P<prefix>/[rm]/)(?P<token>[^/?#]+)")
_INBOUND_KEY = re.compile(r"^(?P<prefix>/sms/kannel/inbound/)[^/?#]+")
# A path or URL inside free text: it runs to the next space or quote.
_URL_IN_TEXT = re.compile(r"(?:\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/\"'<>]*)?/[^\s\"'<>]*")
# name=value outside a URL ("password=..." in an error message); the value runs to a separator.
_ASSIGNMENT = re.compile(
    r"(?i)(?<![\w/?&-])(?P<name>"
    + "|".join(sorted((re.escape(name) for name in SECRET_PARAMETERS), key=len, reverse=True))
    + r")(?P<sep>\s*[=:]\s*)(?P<quote>['\"]?)(?P<value>[^\s&'\",;)]+)"
)
# Vietnamese numbers: 0 or (+)84, then 9 digits (mobiles) or 10 (landlines), spaces or dots
# between groups allowed; never inside a longer run of digits or letters.
_PHONE = re.compile(r"(?<![\w+])(?:\+84|84|0)(?:[\s.-]?\d){9,10}(?!\w)")
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(Background|$))", re.DOTALL)


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


def redact_text(text: str) -> str:
    """Free text (a log message, a traceback) with every path, secret and phone taken out."""
    text = _SQL_PARAMETERS.sub(f"[parameters: {REDACTED}]", text)
    text = _URL_IN_TEXT.sub(lambda m: redact_path(m.group(0)), text)
    text = _ASSIGNMENT.sub(lambda m: f"{m['name']}{m['sep']}{m['quote']}{REDACTED}", text)
    return _PHONE.sub("[phone]", text)
