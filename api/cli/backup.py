"""``sipas backup PATH`` and ``sipas restore PATH``: the whole database to a file and back."""

from __future__ import annotations

import argparse
from pathlib import Path

from survey.backups import backup_database, restore_database
from survey.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="a consistent backup of the database while the service runs",
        description=(
            "SQLite: the SQLite backup API (one snapshot; writers go on). PostgreSQL: pg_dump "
            "-Fc. Links and callback signatures in a restored database work only with the same "
            "SIPAS_SECRET_KEY; backups taken before a purge still hold phone numbers (see "
            "docs/operations.md)."
        ),
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    backup.set_defaults(handler=_backup)
    restore = subparsers.add_parser(
        "restore",
        help="replace the database's contents with a backup",
        description=(
            "Stop the web service and the workers first. Refuses a database that holds rows "
            "unless --force; run `sipas db upgrade` afterwards if the backup is older than "
            "the code."
        ),
    )
    restore.add_argument("path", type=Path, metavar="PATH", help="a file `sipas backup` wrote")
    restore.add_argument(
        "--force", action="store_true", help="replace the rows of a database that is not empty"
    )
    restore.set_defaults(handler=_restore)


def _backup(args: argparse.Namespace) -> int:
    report = backup_database(load_settings(), args.path, force=args.force)
    print(f"backed up the {report.backend} database to {report.path} ({report.size_bytes} bytes)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    report = restore_database(load_settings(), args.path, force=args.force)
    print(f"restored the {report.backend} database from {report.path}")
    return 0
