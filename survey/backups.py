"""Backups of the whole database and their restore: the SQLite backup API, or pg_dump/pg_restore.

SQLite: copying the file while the service writes misses what is still in the WAL; the backup
API (:meth:`sqlite3.Connection.backup`) copies a consistent snapshot in one step while writers go
on. PostgreSQL: ``pg_dump -Fc`` reads one snapshot; ``pg_restore --clean --if-exists`` in one
transaction. The password goes to the tools in ``PGPASSWORD``, never on their command line (where
``ps`` would show it). A restore refuses a database that holds rows unless forced.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, make_url, text

from survey.db import make_engine
from survey.errors import Conflict, InvalidInput, NotFound, Problem
from survey.settings import Settings

PG_BIN_ROOT = Path("/usr/lib/postgresql")
# Rows every freshly migrated database has (Alembic's revision, the audit chain's seeded head):
# they are not data a restore would lose.
NOT_DATA = frozenset({"alembic_version", "audit_head"})


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore did: the file, its size and the database kind."""

    path: Path
    size_bytes: int
    backend: str


def _sqlite_path(settings: Settings) -> Path:
    path = settings.database_url.split("///", 1)[-1]
    if not path or path == ":memory:":
        raise InvalidInput(
            "an in-memory SQLite database cannot be backed up",
            [Problem(("SIPAS_DATABASE_URL",), "point it at a database file")],
        )
    return Path(path)


def pg_tool(name: str) -> str:
    """The newest installed server's ``pg_dump``/``pg_restore`` (never older than the server)."""
    versions = sorted(
        (int(p.parent.parent.name), p)
        for p in PG_BIN_ROOT.glob(f"*/bin/{name}")
        if p.parent.parent.name.isdigit()
    )
    if versions:
        return str(versions[-1][1])
    found = shutil.which(name)
    if found is None:
        raise NotFound(
            f"{name} is not installed",
            [Problem((name,), "install postgresql-client (the server's major version or newer)")],
        )
    return found


def _pg_environment(settings: Settings) -> dict[str, str]:
    url = make_url(settings.database_url)
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[variable] = str(value)
    return env


def _run(command: list[str], settings: Settings, action: str) -> None:
    result = subprocess.run(
        command, env=_pg_environment(settings), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        # The tools name the failing object; the password is in the environment, not the text.
        detail = re.sub(r"\s+", " ", result.stderr).strip()[:500]
        raise Conflict(f"{action} failed", [Problem((Path(command[0]).name,), detail)])


def tables_with_rows(settings: Settings) -> list[str]:
    """The tables that hold at least one row (Alembic's version table left out)."""
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            names = [n for n in inspect(connection).get_table_names() if n not in NOT_DATA]
            quote = engine.dialect.identifier_preparer.quote
            return [
                name
                for name in sorted(names)
                if connection.execute(text(f"SELECT 1 FROM {quote(name)} LIMIT 1")).first()
            ]
    finally:
        engine.dispose()


def backup_database(settings: Settings, path: Path, *, force: bool = False) -> BackupReport:
    """Write a consistent backup of the configured database to ``path``."""
    if path.exists() and not force:
        raise Conflict(
            f"{path} exists already",
            [Problem(("path",), "name a new file, or pass --force to replace it")],
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so a failed backup never leaves half a file there.
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    if settings.is_sqlite:
        source_path = _sqlite_path(settings)
        if not source_path.exists():
            raise NotFound(
                f"no database at {source_path}",
                [Problem(("SIPAS_DATABASE_URL",), str(source_path))],
            )
        source = sqlite3.connect(source_path, timeout=30)
        target = sqlite3.connect(partial)
        try:
            # pages=-1: one step, one read snapshot; writers in WAL mode are not blocked.
            source.backup(target, pages=-1)
        finally:
            target.close()
            source.close()
        backend = "sqlite"
    else:
        _run([pg_tool("pg_dump"), "--format=custom", f"--file={partial}"], settings, "pg_dump")
        backend = "postgresql"
    partial.replace(path)
    return BackupReport(path=path, size_bytes=path.stat().st_size, backend=backend)


def _check_sqlite_backup(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA quick_check").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise InvalidInput(
            f"{path} is not a SQLite backup", [Problem(("path",), str(error))]
        ) from error
    if not verdict or verdict[0] != "ok":
        raise InvalidInput(
            f"{path} is damaged", [Problem(("path",), f"PRAGMA quick_check: {verdict}")]
        )


def restore_database(settings: Settings, path: Path, *, force: bool = False) -> BackupReport:
    """Replace the configured database's contents with the backup at ``path``.

    Refuses a database holding rows unless ``force``: a restore throws away everything written
    since the backup. Stop the web service and the workers first.
    """
    if not path.is_file():
        raise NotFound(f"no backup at {path}", [Problem(("path",), "name an existing backup")])
    if not force:
        occupied = tables_with_rows(settings)
        if occupied:
            shown = ", ".join(occupied[:5]) + (", ..." if len(occupied) > 5 else "")
            raise Conflict(
                "the database is not empty; a restore would replace its rows",
                [Problem(("--force",), f"rows in {shown}; pass --force to replace them")],
            )
    if settings.is_sqlite:
        _check_sqlite_backup(path)
        target_path = _sqlite_path(settings)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(target_path, timeout=30)
        try:
            source.backup(target, pages=-1)
        finally:
            target.close()
            source.close()
        backend = "sqlite"
    else:
        _run(
            [
                pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={_pg_environment(settings)['PGDATABASE']}",
                str(path),
            ],
            settings,
            "pg_restore",
        )
        backend = "postgresql"
    return BackupReport(path=path, size_bytes=path.stat().st_size, backend=backend)
