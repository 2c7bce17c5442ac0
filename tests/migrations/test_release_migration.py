"""Migration t4releases: the four-eyes columns and the triggers come and go with it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from survey.db import alembic_config, make_engine
from survey.settings import Settings
from tests.migrations.test_audit_migration import empty_url

__all__ = ["empty_url"]  # the fixture, shared

NEW_COLUMNS = {
    "version",
    "supersedes_id",
    "correction_reason",
    "fingerprint",
    "content_sha256",
    "submitted_by",
    "submitted_at",
    "published_by",
    "superseded_by_id",
    "superseded_at",
}


def _triggers(engine_url: str) -> set[str]:
    engine = make_engine(Settings(database_url=engine_url))
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'index_release'::regclass"
                sql += " AND NOT tgisinternal"
            else:
                sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                sql += " AND tbl_name = 'index_release'"
            return {str(name) for (name,) in connection.execute(text(sql))}
    finally:
        engine.dispose()


def _columns(engine_url: str) -> set[str]:
    engine = make_engine(Settings(database_url=engine_url))
    try:
        return {c["name"] for c in inspect(engine).get_columns("index_release")}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "t4releases")
    assert _columns(empty_url) >= NEW_COLUMNS
    assert _triggers(empty_url)
    command.downgrade(config, "t3anonymity")
    assert not NEW_COLUMNS & _columns(empty_url)
    assert _triggers(empty_url) == set()
    command.upgrade(config, "t4releases")
    assert _columns(empty_url) >= NEW_COLUMNS and _triggers(empty_url)
