"""Database fixtures: every DB test runs on SQLite and on a real PostgreSQL, on the migrated schema.

PostgreSQL comes from ``SIPAS_TEST_POSTGRES_URL`` or, when unset, from ``scripts/pg-start`` (which
installs and starts a loopback server). ``SIPAS_TEST_SKIP_POSTGRES=1`` is the only way to skip it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import survey.models  # noqa: F401
from survey.db import make_engine, upgrade_database
from survey.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ["sqlite", "postgresql"]


def _postgres_url() -> str:
    url = os.environ.get("SIPAS_TEST_POSTGRES_URL")
    if url:
        return url
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pg-start")], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"scripts/pg-start failed:\n{result.stderr}")
    url = result.stdout.strip().splitlines()[-1]
    os.environ["SIPAS_TEST_POSTGRES_URL"] = url
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated_url() -> Iterator[str]:
    """A fresh database of its own for this test session, so parallel runs never collide."""
    server_url = _postgres_url()
    name = f"sipas_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(Settings(database_url=server_url)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    database_url = url.set(database=name).render_as_string(hide_password=False)
    upgrade_database(database_url)
    yield database_url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql" and os.environ.get("SIPAS_TEST_SKIP_POSTGRES") == "1":
        pytest.skip("SIPAS_TEST_SKIP_POSTGRES=1")
    return name


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "sipas.db"
        shutil.copyfile(template, path)
        return Settings(database_url=f"sqlite:///{path}", development=True)
    url: str = request.getfixturevalue("postgres_migrated_url")
    return Settings(database_url=url, development=True)


# The command line reads SIPAS_SECRET_KEY as production does (load_settings refuses to run
# without one); tests get a key of their own, never a developer's real one from the shell.
TEST_SECRET_KEY = "test-only-key-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"


@pytest.fixture(autouse=True)
def _test_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPAS_SECRET_KEY", TEST_SECRET_KEY)


def _truncate_all(engine: Engine) -> None:
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    with engine.begin() as connection:
        # Skips the trigger that refuses TRUNCATE on audit_event (the test role is a superuser).
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    if not settings.is_sqlite:
        _truncate_all(engine)
    yield engine
    if not settings.is_sqlite:
        _truncate_all(engine)
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
