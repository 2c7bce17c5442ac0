"""Security headers on every response, as a plain ASGI middleware (no per-request task overhead).

- ``Content-Security-Policy``: scripts, styles, images, fonts and fetches from this origin only
  (plus ``data:`` images: Swagger UI's stylesheet draws its icons with them), no inline script,
  no plugins, no framing, forms post only here, no ``<base>``. The pages need nothing more: the
  templates carry no inline script or style, the letters' QR codes are inline SVG elements and
  ``/docs`` loads Swagger UI from ``/static`` (:mod:`api.api_docs`). A response that sets its own
  policy (the citizen's pages send a stricter one) keeps it.
- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (for browsers without CSP
  ``frame-ancestors``), ``Referrer-Policy: no-referrer`` (a link with a token must not leak
  into another site's referrer), ``Cross-Origin-Opener-Policy: same-origin``.
- ``Cache-Control: no-store`` on everything but ``/static``: staff pages, the API, letters,
  exports and citizens' pages carry personal data or personal links.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders"]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ]
)

_ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
CACHEABLE_PREFIXES = ("/static/",)


class SecurityHeaders:
    """Add the headers above to every HTTP response of ``app``."""

    def __init__(self, app: ASGIApp, *, csp: str = CONTENT_SECURITY_POLICY) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        cacheable = path.startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = self.csp
                for name, value in _ALWAYS.items():
                    headers[name] = value
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
