"""`sipas audit verify` and `sipas audit list`: the chain checked and the log read from a shell."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.cli.main import main
from survey.audit import record_event
from survey.settings import Settings


@pytest.fixture
def cli_env(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    with Session(engine) as session:
        record_event(session=session, action="auth.login", actor_name="an", address="10.0.0.1")
        record_event(
            session=session,
            action="export.sample",
            actor_name="an",
            target="draw:4",
            details={"phones_included": True, "units": 120},
        )
        record_event(
            session=session, action="release.published", actor_name="binh", target="release:9"
        )
        session.commit()
    return engine


def test_verify_says_intact_in_one_line(
    cli_env: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out == "audit chain intact: 3 entries\n"


def test_verify_names_the_first_bad_entry(
    cli_env: Engine, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with cli_env.begin() as connection:
        if backend == "postgresql":
            connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
        connection.execute(text("UPDATE audit_event SET target = 'draw:5' WHERE id = 2"))
        if backend == "postgresql":
            connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("audit chain BROKEN at entry 2: entry 2 was changed")


def test_list_filters_by_action_actor_and_day(
    cli_env: Engine, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "list", "--action", "export"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    fields = lines[0].split("\t")
    assert fields[0] == "2" and fields[2:5] == ["an", "export.sample", "draw:4"]
    assert '"phones_included": true' in fields[5]
    assert lines[1] == "1 entries match; shown 1-1"

    assert main(["audit", "list", "--actor", "binh"]) == 0
    assert "release.published\trelease:9" in capsys.readouterr().out

    # Days are the platform's local days (Hà Nội), not the machine's.
    local_today = datetime.now(ZoneInfo(settings.timezone)).date()
    today = local_today.isoformat()
    assert main(["audit", "list", "--since", today, "--until", today]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "3 entries match; shown 1-3"
    yesterday = (local_today - timedelta(days=1)).isoformat()
    assert main(["audit", "list", "--until", yesterday]) == 0
    assert capsys.readouterr().out == "0 entries match; shown none\n"
    assert main(["audit", "list", "--since", "2099-01-01"]) == 0
    assert capsys.readouterr().out == "0 entries match; shown none\n"


def test_list_json_lines(cli_env: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["audit", "list", "--json", "--limit", "2"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == [3, 2]
    assert rows[1]["details"] == {"phones_included": True, "units": 120}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "yesterday"], "--since: give YYYY-MM-DD"),
        (["--until", "2026-12-01T08:00:00"], "--until: give YYYY-MM-DD"),
        (["--limit", "0"], "query.limit: limit must be between 1 and 500"),
    ],
)
def test_list_refuses_bad_options_with_the_fix(
    cli_env: Engine, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["audit", "list", *argv]) == 2
    assert message in capsys.readouterr().err
