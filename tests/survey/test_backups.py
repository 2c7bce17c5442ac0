"""`sipas backup` / `sipas restore` round trips on SQLite and PostgreSQL, under a writer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.cli.main import main
from survey.models.rate_limits import RateLimitCounter
from survey.settings import Settings


def _keys(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.exec(select(RateLimitCounter.key)).all())


class Writer(threading.Thread):
    """Commits one row at a time until stopped; ``committed``: keys whose commit returned."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.committed: list[str] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            i = 0
            while not self.stop.is_set():
                key = f"row-{i}"
                with self.engine.begin() as connection:
                    connection.execute(
                        insert(RateLimitCounter).values(key=key, count=i, expires_at=0.0)
                    )
                self.committed.append(key)
                i += 1
        except BaseException as error:  # surfaced by the test, never swallowed
            self.error = error


def test_round_trip_while_another_thread_commits(
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    writer = Writer(engine)
    writer.start()
    while len(writer.committed) < 200 and writer.error is None:
        threading.Event().wait(0.01)
    before = list(writer.committed)
    backup = tmp_path / "sipas.backup"
    assert main(["backup", str(backup)]) == 0
    assert "backed up the" in capsys.readouterr().out
    # The writer kept going during the backup: rows landed on both sides of it.
    more = len(writer.committed)
    while len(writer.committed) < more + 50 and writer.error is None:
        threading.Event().wait(0.01)
    writer.stop.set()
    writer.join()
    assert writer.error is None
    after = _keys(engine)
    assert set(writer.committed) <= after

    # A second backup to the same file is refused, not silently overwritten.
    assert main(["backup", str(backup)]) == 2
    assert "exists already" in capsys.readouterr().err

    # The database holds rows: no restore without --force.
    assert main(["restore", str(backup)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "rate_limit_counter" in err and "--force" in err
    assert _keys(engine) == after

    assert main(["restore", str(backup), "--force"]) == 0
    engine.dispose()
    restored = _keys(engine)
    assert set(before) <= restored, "a row committed before the backup started is missing"
    # What the backup holds is a prefix of the writer's commits (one snapshot, no gaps).
    assert restored == set(writer.committed[: len(restored)])
    assert len(restored) < len(writer.committed)


def test_restore_into_an_empty_database_needs_no_force(
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    with engine.begin() as connection:
        connection.execute(insert(RateLimitCounter).values(key="kept", count=1, expires_at=0.0))
    backup = tmp_path / "one.backup"
    assert main(["backup", str(backup)]) == 0
    with engine.begin() as connection:
        connection.execute(delete(RateLimitCounter).where(col(RateLimitCounter.key) == "kept"))
    assert _keys(engine) == set()
    assert main(["restore", str(backup)]) == 0
    engine.dispose()
    assert _keys(engine) == {"kept"}
    capsys.readouterr()


def test_a_missing_or_garbage_backup_is_a_clear_error(
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    assert main(["restore", str(tmp_path / "nope.backup")]) == 2
    assert "no backup at" in capsys.readouterr().err
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"this is not a backup" * 100)
    assert main(["restore", str(garbage), "--force"]) == 2
    err = capsys.readouterr().err
    assert ("not a SQLite backup" in err) or ("pg_restore failed" in err)
    assert not (tmp_path / "nope.backup.partial").exists()
