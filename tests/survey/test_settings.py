"""The service refuses a missing, built-in or short secret key; only code asks for development."""

from __future__ import annotations

import os
import subprocess
import sys
from ipaddress import ip_network
from pathlib import Path

import pytest

from api.app import create_app
from survey.errors import InvalidInput
from survey.settings import (
    DEV_SECRET_KEY,
    InsecureSecretKey,
    Settings,
    check_secret_key,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "Zq3v9K-xY7wP2mN8rT4uB6cE1hJ5fL0sGd_aW"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "is not set"),
        ("", "is not set"),
        (DEV_SECRET_KEY, "built-in development key"),
        ("short-but-random-9f8e7d", "has 23 characters"),
        ("x" * 40, "repeats a few characters"),
    ],
)
def test_environment_without_a_real_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str | None, reason: str
) -> None:
    if value is None:
        monkeypatch.delenv("SIPAS_SECRET_KEY")
    else:
        monkeypatch.setenv("SIPAS_SECRET_KEY", value)
    with pytest.raises(InsecureSecretKey) as caught:
        load_settings()
    assert reason in caught.value.msg
    assert caught.value.msg.startswith("SIPAS_SECRET_KEY")
    [problem] = caught.value.problems
    assert problem.loc == ("SIPAS_SECRET_KEY",)
    assert "secrets.token_urlsafe(48)" in problem.msg


def test_a_real_key_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPAS_SECRET_KEY", GOOD_KEY)
    settings = load_settings()
    assert settings.secret_key == GOOD_KEY
    assert settings.development is False
    assert GOOD_KEY not in repr(settings)


def test_no_environment_variable_turns_on_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIPAS_SECRET_KEY")
    for name in ("SIPAS_DEVELOPMENT", "SIPAS_DEV", "SIPAS_DEBUG", "SIPAS_ENV"):
        monkeypatch.setenv(name, "1")
    with pytest.raises(InsecureSecretKey):
        load_settings()


def test_only_the_demo_falls_back_to_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIPAS_SECRET_KEY")
    demo = load_settings(development=True)
    assert demo.development and demo.secret_key == DEV_SECRET_KEY
    monkeypatch.setenv("SIPAS_SECRET_KEY", GOOD_KEY)
    assert load_settings(development=True).secret_key == GOOD_KEY


def test_settings_built_in_code_must_say_development_to_use_the_built_in_key() -> None:
    with pytest.raises(InsecureSecretKey):
        create_app(Settings())
    with pytest.raises(InsecureSecretKey):
        create_app(Settings(secret_key="too-short"))
    check_secret_key(Settings(development=True))
    check_secret_key(Settings(secret_key=GOOD_KEY))


def test_the_app_from_the_environment_demands_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIPAS_SECRET_KEY")
    with pytest.raises(InsecureSecretKey):
        create_app()


def test_allowed_gateway_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPAS_KANNEL_ALLOWED_ADDRESSES", " 127.0.0.1, 10.1.2.0/24 ,::1,")
    assert load_settings().kannel_allowed_addresses == (
        ip_network("127.0.0.1/32"),
        ip_network("10.1.2.0/24"),
        ip_network("::1/128"),
    )
    monkeypatch.setenv("SIPAS_KANNEL_ALLOWED_ADDRESSES", "127.0.0.1, kannel.local")
    with pytest.raises(InvalidInput) as caught:
        load_settings()
    assert "'kannel.local'" in caught.value.msg
    assert caught.value.problems[0].loc == ("SIPAS_KANNEL_ALLOWED_ADDRESSES",)


def _run_without_key(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIPAS_SECRET_KEY"}
    env["SIPAS_DATA_DIR"] = "/nonexistent-sipas-test"  # nothing may be created before the check
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker", "--once"]])
def test_serve_and_worker_refuse_to_start(command: list[str]) -> None:
    result = _run_without_key("-m", "api.cli.main", *command)
    assert result.returncode == 2
    assert "error: SIPAS_SECRET_KEY is not set" in result.stderr
    assert "secrets.token_urlsafe(48)" in result.stderr
    assert "Traceback" not in result.stderr


def test_uvicorn_factory_refuses_to_start() -> None:
    result = _run_without_key(
        "-m", "uvicorn", "--factory", "api.app:create_app", "--port", "1", "--log-level", "error"
    )
    assert result.returncode != 0
    assert "SIPAS_SECRET_KEY is not set" in result.stderr
