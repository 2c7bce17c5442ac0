"""Entry point of the ``sipas`` command; each sub-command module has a ``register``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from survey.errors import SipasError

# Each module adds its sub-commands in ``register(subparsers)``; handlers return an exit code.
COMMAND_MODULES = [
    "api.cli.design",
    "api.cli.demo",
    "api.cli.frame",
    "api.cli.database",
    "api.cli.users",
    "api.cli.serve",
    "api.cli.questionnaire",
    "api.cli.analyze",
    "api.cli.worker",
    "api.cli.audit",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sipas",
        description="SIPAS: sample surveys of citizens' satisfaction with public services.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sipas ARGS``; platform errors are printed as ``loc: msg`` lines, never a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
    except SipasError as error:
        print(f"error: {error.msg}", file=sys.stderr)
        for problem in error.problems:
            where = ".".join(str(part) for part in problem.loc) or "-"
            print(f"  {where}: {problem.msg}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
