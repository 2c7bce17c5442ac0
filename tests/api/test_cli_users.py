"""`sipas user create` and `sipas token create`: the first admin and a token that works."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli.main import main
from survey.settings import Settings


def test_first_admin_and_a_working_token(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIPAS_NEW_PASSWORD", "a long enough password")
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
    assert "password: the password needs at least 10 characters" in capsys.readouterr().err
