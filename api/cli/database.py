"""``sipas db upgrade``: apply the Alembic migrations to the configured database."""

from __future__ import annotations

import argparse

from survey.db import upgrade_database
from survey.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="database schema commands")
    db_sub = db.add_subparsers(title="db commands", metavar="COMMAND", required=True)
    upgrade = db_sub.add_parser(
        "upgrade", help="apply migrations up to the newest (SIPAS_DATABASE_URL selects the DB)"
    )
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    upgrade.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    upgrade_database(settings.database_url, args.revision)
    print(f"database at revision {args.revision}")
    return 0
