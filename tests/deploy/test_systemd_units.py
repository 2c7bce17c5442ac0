"""The systemd units as systemd itself reads them: ``systemd-analyze verify`` (syntax, unknown
keys, unparsable values, missing ExecStart binaries) and ``systemd-analyze security --offline``
(the hardening score), both without a running systemd.

The units name ``/opt/sipas`` (docs/operations.md); the copies checked here name this checkout
instead, so ``verify`` also proves the venv layout has the binaries ExecStart runs. Templates
are checked as one instance each (``sipas-api@8001``), which is how systemd loads them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
# Each template is checked as this instance.
INSTANCES = {
    "sipas-api@.service": "sipas-api@8001.service",
    "sipas-worker@.service": "sipas-worker@1.service",
}
SERVICES = [
    "sipas-migrate.service",
    "sipas-api@8001.service",
    "sipas-worker@1.service",
    "sipas-bearerbox.service",
    "sipas-smsbox.service",
]
# systemd-analyze security: 0 is the most locked down, 10 the least; below 2 is "OK".
MAX_EXPOSURE = 2.0

needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None,
    reason="systemd-analyze is not installed (Debian package systemd); the units' parsing "
    "test in test_topology.py still runs",
)


@pytest.fixture
def checked_units(tmp_path: Path) -> Path:
    """The units with /opt/sipas pointing at this checkout, templates as instances."""
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/sipas", str(ROOT))
        (tmp_path / INSTANCES.get(unit.name, unit.name)).write_text(text)
    return tmp_path


def _analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_every_unit_is_checked() -> None:
    shipped = {INSTANCES.get(unit.name, unit.name) for unit in UNITS.iterdir()}
    assert shipped == {*SERVICES, "sipas.target"}


@needs_systemd_analyze
def test_systemd_analyze_verify_finds_nothing(checked_units: Path) -> None:
    files = [f"./{name}" for name in (*SERVICES, "sipas.target")]
    result = _analyze("verify", "--man=no", *files, cwd=checked_units)
    # verify exits 0 on warnings such as "Unknown key" or "Failed to parse": any output fails.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


@needs_systemd_analyze
def test_verify_catches_a_broken_unit(checked_units: Path) -> None:
    """The check above can fail: a typo and a missing binary are both reported."""
    unit = checked_units / "sipas-api@8001.service"
    unit.write_text(
        unit.read_text()
        .replace("RestartSec=2", "RestartSec=two")
        .replace(".venv/bin/sipas", ".venv/bin/sipas-missing")
    )
    result = _analyze("verify", "--man=no", "./sipas-api@8001.service", cwd=checked_units)
    output = result.stdout + result.stderr
    assert "Failed to parse" in output and "sipas-missing" in output


@needs_systemd_analyze
@pytest.mark.parametrize("name", SERVICES)
def test_units_are_hardened(checked_units: Path, name: str) -> None:
    result = _analyze(
        "security", "--offline=yes", "--no-pager", f"--threshold={int(MAX_EXPOSURE * 10)}",
        f"./{name}", cwd=checked_units,
    )  # fmt: skip
    summary = (result.stdout + result.stderr).strip().splitlines()[-1]
    assert result.returncode == 0, summary
    exposure = float(summary.split("exposure level for", 1)[1].split(":", 1)[1].split()[0])
    assert exposure <= MAX_EXPOSURE, summary


@pytest.mark.parametrize("name", ["sipas-api@.service", "sipas-worker@.service"])
def test_api_and_worker_log_json_lines(name: str) -> None:
    lines = (UNITS / name).read_text().splitlines()
    assert "Environment=SIPAS_LOG_FORMAT=json" in lines
