"""Every `sipas` command and sub-command answers --help (exit 0) with a usage line."""

from __future__ import annotations

import argparse

import pytest

from api.cli.main import build_parser, main


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
