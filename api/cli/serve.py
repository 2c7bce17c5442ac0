"""``sipas serve``: run the web service under uvicorn."""

from __future__ import annotations

import argparse

import uvicorn

from api.access_log import uvicorn_log_config
from api.app import create_app
from survey.db import upgrade_database
from survey.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser("serve", help="run the web service (migrates the DB first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    upgrade_database(settings.database_url)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="info",
        # The access log names every request path: tokens and keys are redacted first.
        log_config=uvicorn_log_config(),
    )
    return 0
