"""deploy/ as shipped: the systemd units and env template, and the whole topology under kills."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
from pathlib import Path

import pytest

from survey.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / name)
    return parser


@pytest.mark.parametrize(
    "name",
    [
        "sipas-api@.service",
        "sipas-worker@.service",
        "sipas-bearerbox.service",
        "sipas-smsbox.service",
    ],
)
def test_long_running_units_restart_forever_but_not_in_a_tight_loop(name: str) -> None:
    unit = _unit(name)
    assert unit["Service"]["Restart"] == "always"
    assert float(unit["Service"]["RestartSec"]) >= 2
    assert int(unit["Unit"]["StartLimitBurst"]) >= 5
    assert unit["Service"].get("User") not in (None, "root")


def test_api_and_workers_read_the_env_file_and_wait_for_the_migration() -> None:
    for name in ("sipas-api@.service", "sipas-worker@.service"):
        unit = _unit(name)
        assert unit["Service"]["EnvironmentFile"] == "/etc/sipas/sipas.env"
        assert "sipas-migrate.service" in unit["Unit"]["Requires"]
        assert "sipas-migrate.service" in unit["Unit"]["After"]
    assert "--port %i" in _unit("sipas-api@.service")["Service"]["ExecStart"]


def test_env_template_holds_no_secret_and_matches_the_proxy_upload_limit() -> None:
    values = dict(
        line.split("=", 1)
        for line in (DEPLOY / "sipas.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert values["SIPAS_SECRET_KEY"] == "CHANGE-ME"
    assert values["SIPAS_KANNEL_PASSWORD"] == "CHANGE-ME"
    assert "CHANGE-ME@" in values["SIPAS_DATABASE_URL"]
    assert float(values["SIPAS_MAX_UPLOAD_MB"]) == Settings().max_upload_mb
    site = (DEPLOY / "nginx" / "sipas.conf").read_text()
    assert "client_max_body_size @MAX_UPLOAD_MB@m;" in site
    # /metrics: an allow-list, then everyone else refused.
    metrics = re.search(r"location = /metrics \{(.*?)\}", site, re.DOTALL)
    assert metrics and "@METRICS_ALLOW@" in metrics.group(1) and "deny all;" in metrics.group(1)


@pytest.mark.slow
def test_topology_through_nginx_loses_nothing_and_sends_nothing_twice() -> None:
    """scripts/topology-test: nginx, two API processes, two workers, Kannel, PostgreSQL; one API
    process and one worker killed under load (about 45 s)."""
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "topology-test")],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "topology: PASSED" in output
    assert re.search(r"submissions: (\d+) acknowledged = \1 completed responses", output)
    assert re.search(r"SMS: (\d+) reached the fake SMSC once each; ", output)
    assert ", 0 twice, 0 lost" in output
