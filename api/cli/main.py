"""Entry point of the ``sipas`` command; each sub-command module has a ``register``.

Arguments are parsed before any sub-command is imported: the modules pull in numpy, scipy,
statsmodels, SQLModel and FastAPI, seconds of imports that ``sipas --help`` does not need. The
top-level help lists the commands from :data:`COMMANDS`; only the module of the command named
on the line is imported and registered in full (``build_parser`` still builds the whole tree).
"""

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
    "api.cli.release",
    "api.cli.backup",
]

# The top-level commands each module registers, with the one-line help it gives them, so that
# `sipas --help` can list them without importing the module (tests/api/test_cli_help.py checks
# that they match). A module missing here still works: it is imported for every command line.
COMMANDS: dict[str, tuple[str, str]] = {
    "design": ("api.cli.design", "sample designs (strata and allocation)"),
    "sample": ("api.cli.design", "draw and export samples"),
    "demo": ("api.cli.demo", "build the demo data on SQLite and serve it"),
    "frame": (
        "api.cli.frame",
        "import and inspect sampling frames (lists of completed dossiers)",
    ),
    "db": ("api.cli.database", "database schema commands"),
    "user": ("api.cli.users", "staff accounts"),
    "token": ("api.cli.users", "API tokens for scripts"),
    "serve": ("api.cli.serve", "run the web service (migrates the DB first)"),
    "questionnaire": ("api.cli.questionnaire", "questionnaire versions as JSON"),
    "analyze": ("api.cli.analyze", "SIPAS indices with standard errors from a responses CSV"),
    "worker": (
        "api.cli.worker",
        "send queued SMS (and due reminders) through the configured gateway",
    ),
    "campaign": ("api.cli.worker", "fieldwork steps of a campaign"),
    "sms": ("api.cli.worker", "the SMS outbox: requeue failed or unknown messages"),
    "audit": ("api.cli.audit", "the audit log of who did what"),
    "release": ("api.cli.release", "index releases: compute a draft, verify a published one"),
    "backup": ("api.cli.backup", "a consistent backup of the database while the service runs"),
    "restore": ("api.cli.backup", "replace the database's contents with a backup"),
}


def _new_parser() -> tuple[
    argparse.ArgumentParser, argparse._SubParsersAction[argparse.ArgumentParser]
]:
    parser = argparse.ArgumentParser(
        prog="sipas",
        description="SIPAS: sample surveys of citizens' satisfaction with public services.",
    )
    return parser, parser.add_subparsers(title="commands", metavar="COMMAND")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree, every sub-command module imported and registered."""
    parser, subparsers = _new_parser()
    for module_name in COMMAND_MODULES:
        import_module(module_name).register(subparsers)
    return parser


def _parser_for(command: str | None) -> argparse.ArgumentParser:
    """A parser in which only ``command``'s module (and unlisted modules) are imported."""
    parser, subparsers = _new_parser()
    wanted = COMMANDS[command][0] if command in COMMANDS else None
    listed = {module for module, _ in COMMANDS.values()}
    for module_name in COMMAND_MODULES:
        if module_name == wanted or module_name not in listed:
            import_module(module_name).register(subparsers)
            continue
        for name, (module, text) in COMMANDS.items():
            if module == module_name:
                # A placeholder: listed in the help, never run (its name was not on the line).
                subparsers.add_parser(name, help=text, add_help=False)
    return parser


def _command_named(argv: Sequence[str]) -> str | None:
    # The top-level parser has no option taking a value, so the first word is the command.
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sipas ARGS``; platform errors are printed as ``loc: msg`` lines, never a traceback."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = _parser_for(_command_named(words))
    args = parser.parse_args(words)
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
