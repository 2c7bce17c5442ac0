"""`sipas user ...` and `sipas token ...`: the first admin, tokens, listing, revoking, disabling."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from api.cli.main import main
from survey.models.audit import AuditEvent
from survey.settings import Settings
from tests.api.fast_users import make_user


def test_first_admin_and_a_working_token(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIPAS_NEW_PASSWORD", "violet tractor humming quietly")
    assert main(["user", "create", "root", "--role", "admin"]) == 0
    assert "created admin root" in capsys.readouterr().out
    assert main(["user", "create", "root"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["token", "create", "nobody"]) == 2
    assert "no user named 'nobody'" in capsys.readouterr().err
    assert main(["token", "create", "root"]) == 0
    token = capsys.readouterr().out.strip()
    with TestClient(create_app(settings)) as client:
        me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["role"] == "admin"
        assert client.get("/api/auth/me", headers={"Authorization": "Bearer x"}).status_code == 401


def test_short_password_is_refused_with_the_field(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIPAS_NEW_PASSWORD", "short")
    assert main(["user", "create", "root", "--role", "coordinator", "--agency", "A1"]) == 2
    assert "password: the password needs at least 12 characters" in capsys.readouterr().err


def test_a_common_password_is_refused_with_the_reason(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIPAS_NEW_PASSWORD", "Password123456")
    assert main(["user", "create", "root"]) == 2
    err = capsys.readouterr().err
    assert "password: the password is too easy to guess: " in err
    assert "This is similar to a commonly used password." in err


def test_tokens_are_listed_revoked_and_disabling_revokes_them_all(
    settings: Settings,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    make_user(session, "admin", "root")
    make_user(session, "coordinator", "co")
    assert main(["token", "create", "co", "--name", "nightly", "--expires", "2099-01-01"]) == 2
    assert "expires_at: a token lives at most 90 days" in capsys.readouterr().err
    assert main(["token", "create", "co", "--expires", "31/12/2030"]) == 2
    assert "--expires: write the day as YYYY-MM-DD" in capsys.readouterr().err
    soon = (date.today() + timedelta(days=10)).isoformat()
    assert main(["token", "create", "co", "--name", "nightly", "--expires", soon]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["token", "create", "co", "--name", "backup"]) == 0
    second = capsys.readouterr().out.strip()
    assert main(["token", "list", "co"]) == 0
    listing = capsys.readouterr().out
    lines = listing.strip().splitlines()
    assert lines[0].split() == [
        "id",
        "kind",
        "state",
        "created",
        "(UTC)",
        "expires",
        "last",
        "used",
        "name",
    ]
    assert [line.split()[-1] for line in lines[1:]] == ["backup", "nightly"]
    assert f"{soon} 23:59" in lines[2]
    assert first not in listing and second not in listing
    nightly_id = lines[2].split()[0]
    assert main(["token", "revoke", nightly_id]) == 0
    assert f"token {nightly_id} of co (nightly) is revoked" in capsys.readouterr().out
    assert main(["token", "revoke", "999999"]) == 2
    assert "no token with id 999999" in capsys.readouterr().err
    with TestClient(create_app(settings)) as client:
        assert (
            client.get("/api/auth/me", headers={"Authorization": f"Bearer {first}"}).status_code
            == 401
        )
        assert (
            client.get("/api/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code
            == 200
        )
        assert main(["user", "disable", "co"]) == 0
        assert "its sessions and tokens are revoked" in capsys.readouterr().out
        assert (
            client.get("/api/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code
            == 401
        )
    assert main(["token", "list", "co"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1
    assert main(["token", "list", "co", "--all"]) == 0
    states = [line.split()[2] for line in capsys.readouterr().out.strip().splitlines()[1:]]
    assert states == ["revoked", "revoked"]
    assert main(["user", "enable", "co"]) == 0
    assert main(["user", "disable", "root"]) == 2
    assert "last active administrator" in capsys.readouterr().err
    actions = session.exec(select(AuditEvent.action, AuditEvent.actor_name)).all()
    assert ("user.disabled", "command line") in actions
    assert ("token.revoked", "command line") in actions
