"""``sipas demo``: a ready-to-click demonstration on SQLite (frame, design, draw, logins)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from api.app import create_app
from survey.db import make_engine, upgrade_database
from survey.demo import build_demo
from survey.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="build the demo data on SQLite and serve it",
        description="Migrate the SQLite database in SIPAS_DATA_DIR (default ./var), build a "
        "synthetic frame of ~50,000 dossiers, a design and a draw (reusing them when run "
        "again), print the URL and demo logins, and serve the web pages.",
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--dossiers", type=int, default=50_000, help="size of the synthetic frame")
    demo.add_argument("--no-serve", action="store_true", help="build the data and exit")
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    data_dir = Path(os.environ.get("SIPAS_DATA_DIR", "var"))
    # make_engine creates the SQLite file's folder, which Alembic's own engine expects to exist.
    engine = make_engine(settings)
    upgrade_database(settings.database_url)
    summary = build_demo(engine=engine, data_dir=data_dir, n_dossiers=args.dossiers)
    engine.dispose()
    for line in summary.created:
        print(f"created {line}")
    print(
        f"frame {summary.frame_id} ({summary.n_dossiers:,} dossiers), design "
        f"{summary.design_id}, draw {summary.draw_id} ({summary.n_sampled:,} sampled)"
    )
    url = f"http://{args.host}:{args.port}/staff"
    print(f"\nOpen {url}  (API docs: http://{args.host}:{args.port}/docs)")
    print("Demo logins (demo only; change them before real use):")
    for username, password, role in summary.logins:
        print(f"  {username:<16} {password:<24} {role}")
    if args.no_serve:
        return 0
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0
