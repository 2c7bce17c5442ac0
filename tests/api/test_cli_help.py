"""Every `sipas` command and sub-command answers --help (exit 0) with a usage line, and the
top-level help is listed without importing any sub-command module."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from api.cli.main import COMMAND_MODULES, COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "scipy", "statsmodels", "pandas", "sqlmodel", "sqlalchemy", "fastapi")


def _command_paths(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                paths.extend(_command_paths(child, (*prefix, name)))
    return paths


PATHS = _command_paths(build_parser())


def test_the_expected_commands_exist() -> None:
    top = {path[0] for path in PATHS if path}
    assert {"frame", "design", "sample", "analyze", "worker", "campaign", "user", "demo"} <= top
    assert ("frame", "import") in PATHS and ("sample", "export") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "sipas")
def test_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*path, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: sipas")


def test_the_command_table_matches_what_each_module_registers() -> None:
    registered = {}
    for module_name in COMMAND_MODULES:
        parser = argparse.ArgumentParser(prog="sipas")
        subparsers = parser.add_subparsers()
        import_module(module_name).register(subparsers)
        for action in subparsers._choices_actions:
            registered[action.dest] = (module_name, action.help)
    assert registered == COMMANDS


def modules_loaded_by(*argv: str) -> list[str]:
    """Run ``sipas ARGV`` in a fresh interpreter and list the modules it imported."""
    code = (
        "import json, sys\n"
        "from api.cli.main import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("usage: sipas")
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


def test_top_level_help_imports_no_sub_command() -> None:
    loaded = modules_loaded_by("--help")
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    assert [m for m in loaded if m in COMMAND_MODULES] == []


def test_a_command_imports_only_its_own_module() -> None:
    loaded = modules_loaded_by("db", "--help")
    assert [m for m in loaded if m in COMMAND_MODULES] == ["api.cli.database"]
    assert "statsmodels" not in loaded
