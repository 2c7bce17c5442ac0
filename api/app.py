"""The FastAPI application factory; no work happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import import_module
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.access_log import install_access_log_redaction
from api.api_docs import STATIC_PACKAGES, install_docs
from api.compression import SafeGZip
from api.errors import ERROR_RESPONSES, DatabaseOutage, install_error_handlers
from api.metrics import MetricsMiddleware, RequestMetrics
from api.policy import install_policies
from api.rate_limits import RateLimitMiddleware
from api.request_context import RequestIdMiddleware
from api.security_headers import SecurityHeaders
from api.upload_limit import UploadLimit
from survey.db import make_engine
from survey.settings import Settings, check_secret_key, load_settings

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Router modules, each exposing ``router``; listed here so the app is assembled in one place.
# Routes are matched in this order: the citizens' pages, the busiest by far, come first (their
# prefixes /r and /m are their own), so a submission is not matched against every staff route.
ROUTER_MODULES = [
    "api.pages.answer",
    "api.pages.short_links",
    "api.routers.frames",
    "api.routers.designs",
    "api.routers.draws",
    "api.pages.coordinator",
    "api.pages.frame_imports",
    "api.routers.auth",
    "api.routers.users",
    "api.routers.questionnaires",
    "api.routers.campaigns",
    "api.routers.letters",
    "api.routers.sms_callbacks",
    "api.pages.fieldwork",
    "api.pages.data_entry",
    "api.pages.interviews",
    "api.routers.data_entry",
    "api.routers.interviews",
    "api.pages.backchecks",
    "api.routers.releases",
    "api.routers.release_documents",
    "api.pages.releases",
    "api.pages.dashboard",
    "api.routers.audit",
    "api.pages.audit",
    "api.routers.health",
    "api.pages.public",
    "api.pages.public_documents",
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (default: from ``SIPAS_*`` environment variables)."""
    settings = settings or load_settings()
    check_secret_key(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="SIPAS",
        summary="Sample surveys of citizens' satisfaction with public administrative services",
        version="0.1.0",
        lifespan=lifespan,
        # /docs is served offline under the site's CSP by api.api_docs; no CDN, no ReDoc.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    install_error_handlers(app)
    # Citizen pages and SMS callbacks: per-address limits (sign-in counts in its use case).
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(UploadLimit, max_upload_bytes=int(settings.max_upload_mb * 1_000_000))
    # Wraps the middlewares that query the database: an outage there is a 503 too.
    app.add_middleware(DatabaseOutage)
    for module_name in ROUTER_MODULES:
        # Every operation publishes the one error shape the handlers send (api.errors).
        app.include_router(import_module(module_name).router, responses=ERROR_RESPONSES)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, packages=STATIC_PACKAGES), name="static")
    install_docs(app)
    install_policies(app)
    # Outside the others: it counts and times their answers (503s, rate limits) too.
    app.state.metrics = RequestMetrics(app.state.engine)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    # Sets the request id every log line of the request carries (and answers X-Request-ID).
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SafeGZip)
    # Added last, so it wraps every other middleware: their responses get the headers too.
    app.add_middleware(SecurityHeaders)
    install_access_log_redaction()
    return app
