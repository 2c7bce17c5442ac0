"""``sipas user ...`` and ``sipas token ...``: staff accounts and API tokens.

Whoever runs the command line holds the database, so these commands act as an administrator;
the audit log names them "command line".
"""

from __future__ import annotations

import argparse
import getpass
import os
from datetime import UTC, date, datetime, time

from sqlmodel import Session

from survey.db import make_engine
from survey.errors import InvalidInput, Problem
from survey.models.users import ApiTokenPublic
from survey.settings import load_settings
from survey.users import (
    create_api_token,
    create_user,
    disable_user,
    enable_user,
    get_user_by_username,
    list_tokens_from_cli,
    revoke_token_from_cli,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = subparsers.add_parser("user", help="staff accounts")
    user_sub = user.add_subparsers(title="user commands", metavar="COMMAND", required=True)
    create = user_sub.add_parser(
        "create",
        help="create a staff account (the first one should be an admin)",
        description="The password is asked for, or read from SIPAS_NEW_PASSWORD for scripts. "
        "It needs 12 characters and must not be easy to guess (several uncommon words work).",
    )
    create.add_argument("username")
    create.add_argument(
        "--role",
        choices=["admin", "coordinator", "analyst", "publisher", "interviewer", "clerk"],
        default="admin",
    )
    create.add_argument("--full-name", default="")
    create.add_argument(
        "--agency", action="append", default=[], help="limit a coordinator to this agency code"
    )
    create.add_argument(
        "--province", action="append", default=[], help="limit a coordinator to this province"
    )
    create.set_defaults(handler=_create_user)
    disable = user_sub.add_parser(
        "disable", help="disable an account and revoke all its sessions and tokens at once"
    )
    disable.add_argument("username")
    disable.set_defaults(handler=_disable_user)
    enable = user_sub.add_parser("enable", help="enable a disabled account again")
    enable.add_argument("username")
    enable.set_defaults(handler=_enable_user)

    token = subparsers.add_parser("token", help="API tokens for scripts")
    token_sub = token.add_subparsers(title="token commands", metavar="COMMAND", required=True)
    token_create = token_sub.add_parser("create", help="print a new API token for a user")
    token_create.add_argument("username")
    token_create.add_argument("--name", default="cli", help="what the token is for")
    token_create.add_argument(
        "--expires",
        metavar="YYYY-MM-DD",
        help="last day the token works (UTC; default and at most: the configured lifetime)",
    )
    token_create.set_defaults(handler=_create_token)
    token_list = token_sub.add_parser("list", help="a user's sessions and tokens (never the token)")
    token_list.add_argument("username")
    token_list.add_argument("--all", action="store_true", help="also expired and revoked ones")
    token_list.set_defaults(handler=_list_tokens)
    token_revoke = token_sub.add_parser("revoke", help="revoke a token or session by its id")
    token_revoke.add_argument("id", type=int, help="the id shown by 'sipas token list'")
    token_revoke.set_defaults(handler=_revoke_token)


def _create_user(args: argparse.Namespace) -> int:
    password = os.environ.get("SIPAS_NEW_PASSWORD") or getpass.getpass("Password: ")
    scopes = [("agency", a) for a in args.agency] + [("province", p) for p in args.province]
    with Session(make_engine(load_settings())) as session:
        user = create_user(
            session=session,
            username=args.username,
            password=password,
            role=args.role,
            full_name=args.full_name,
            scopes=scopes,
        )
        print(f"created {user.role} {user.username} (id {user.id})")
    return 0


def _disable_user(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        user = get_user_by_username(session=session, username=args.username)
        assert user.id is not None
        disable_user(session=session, user_id=user.id)
        print(f"disabled {args.username}; its sessions and tokens are revoked")
    return 0


def _enable_user(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        user = get_user_by_username(session=session, username=args.username)
        assert user.id is not None
        enable_user(session=session, user_id=user.id)
        print(f"enabled {args.username}")
    return 0


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "the expiry is not a date", [Problem(("--expires",), "write the day as YYYY-MM-DD")]
        ) from None
    # The token works through the whole of that day (UTC).
    return datetime.combine(day, time.max, tzinfo=UTC)


def _create_token(args: argparse.Namespace) -> int:
    expires_at = _expiry(args.expires)
    with Session(make_engine(load_settings())) as session:
        user = get_user_by_username(session=session, username=args.username)
        assert user.id is not None
        print(
            create_api_token(
                session=session, user_id=user.id, name=args.name, expires_at=expires_at
            )
        )
    return 0


def _line(token: ApiTokenPublic) -> str:
    def when(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"

    return (
        f"{token.id:>6}  {token.kind:<7}  {token.state:<7}  {when(token.created_at):<16}  "
        f"{when(token.expires_at):<16}  {when(token.last_used_at):<16}  {token.name}"
    )


def _list_tokens(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        tokens = list_tokens_from_cli(
            session=session, username=args.username, include_inactive=args.all
        )
    print(
        f"{'id':>6}  {'kind':<7}  {'state':<7}  {'created (UTC)':<16}  {'expires':<16}  "
        f"{'last used':<16}  name"
    )
    for token in tokens:
        print(_line(token))
    return 0


def _revoke_token(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        token = revoke_token_from_cli(session=session, token_id=args.id)
    print(f"token {token.id} of {token.username} ({token.name}) is {token.state}")
    return 0
