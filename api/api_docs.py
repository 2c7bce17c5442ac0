"""``/docs``: Swagger UI served from this server, so it works offline and under the site's CSP.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; both are
refused by :data:`api.security_headers.CONTENT_SECURITY_POLICY` (and a government network may
have no Internet). Here the assets come from the ``fastapi-offline`` package (Swagger UI 5,
which reads OpenAPI 3.1), served by the ``/static`` mount, and the start-up script is the file
``api/static/swagger-init.js``. ReDoc is not offered.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse

__all__ = ["DOCS_URL", "STATIC_PACKAGES", "install_docs"]

DOCS_URL = "/docs"
# Extra folders the /static mount serves (StaticFiles ``packages``): Swagger UI's files.
STATIC_PACKAGES: list[str | tuple[str, str]] = [("fastapi_offline", "static")]


def _docs_page(request: Request) -> HTMLResponse:
    app = request.app
    root = escape(request.scope.get("root_path", ""), quote=True)
    openapi = escape(f"{root}{app.openapi_url}", quote=True)
    title = escape(f"{app.title} — API", quote=True)
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{root}/static/swagger-ui.css">
<link rel="icon" href="{root}/static/favicon.png">
</head><body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{root}/static/swagger-ui-bundle.js"></script>
<script src="{root}/static/swagger-init.js"></script>
</body></html>"""
    )


def install_docs(app: FastAPI) -> None:
    """Serve the page at ``/docs`` (build the app with ``docs_url=None, redoc_url=None``).

    ``app.docs_url`` is set again afterwards so that code listing FastAPI's built-in routes (the
    route policies) still finds the page there.
    """
    app.add_route(DOCS_URL, _docs_page, include_in_schema=False)
    app.docs_url = DOCS_URL
