"""Migration t1audit: its tables, head row and triggers come and go with upgrade and downgrade."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, make_url, text
from sqlalchemy.exc import DBAPIError

from survey.audit import GENESIS_HASH
from survey.db import alembic_config, make_engine
from survey.settings import Settings
from tests.conftest import _postgres_url


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own with no tables (the shared test databases are at head)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server_url = os.environ.get("SIPAS_TEST_POSTGRES_URL") or _postgres_url()
    name = f"sipas_audit_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(Settings(database_url=server_url)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "t1audit")
    engine = make_engine(Settings(database_url=empty_url))
    try:
        assert {"audit_event", "audit_head"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            head = connection.execute(text("SELECT id, last_id, last_hash FROM audit_head")).all()
        assert [tuple(row) for row in head] == [(1, 0, GENESIS_HASH)]
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO audit_event (id, occurred_at, actor_name, action, target,"
                    " details, prev_hash, entry_hash) VALUES (1, CURRENT_TIMESTAMP, '', 'a.b',"
                    " '', '{}', 'x', 'y')"
                )
            )
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_event"))
        command.downgrade(config, "r1releases")
        assert not {"audit_event", "audit_head"} & set(inspect(engine).get_table_names())
        command.upgrade(config, "t1audit")
        # The triggers are back: a row goes in, changing it is refused.
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO audit_event (id, occurred_at, actor_name, action, target,"
                    " details, prev_hash, entry_hash) VALUES (1, CURRENT_TIMESTAMP, '', 'a.b',"
                    " '', '{}', 'x', 'y')"
                )
            )
            connection.execute(text("UPDATE audit_event SET action = 'c.d'"))
    finally:
        engine.dispose()
