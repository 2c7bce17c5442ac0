"""Gzip for pages, stylesheets and exports, without handing BREACH a reflected secret.

Pages carry secrets (CSRF tokens, a citizen's link in form actions). BREACH recovers such a secret
from the compressed size of responses that also reflect attacker-chosen text, and the places a
request's own text can come back are its query string and its body. So a response is compressed
only for a GET or HEAD without a query string, and always under ``/static`` (public files, no
secrets). nginx in ``deploy/`` compresses too; this keeps ``sipas serve`` alone (the demo, a small
agency's single machine) as light on a phone's connection.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# Below this a gzip header and the deflate block cost more than they save.
MINIMUM_SIZE = 500
# Level 6 is zlib's default: nearly level 9's size at a fraction of its time.
COMPRESS_LEVEL = 6


def may_compress(scope: Scope) -> bool:
    """Whether a request's answer can be gzipped without reflecting its own text beside a secret."""
    if scope["path"].startswith("/static/"):
        return True
    return scope["method"] in ("GET", "HEAD") and not scope.get("query_string")


class SafeGZip:
    """Starlette's GZipMiddleware, applied only where :func:`may_compress` allows."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE, compresslevel=COMPRESS_LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and may_compress(scope):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
