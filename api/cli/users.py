"""``sipas user create`` and ``sipas token create``: staff accounts and API tokens."""

from __future__ import annotations

import argparse
import getpass
import os

from sqlmodel import Session

from survey.db import make_engine
from survey.settings import load_settings
from survey.users import create_api_token, create_user, get_user_by_username


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = subparsers.add_parser("user", help="staff accounts")
    user_sub = user.add_subparsers(title="user commands", metavar="COMMAND", required=True)
    create = user_sub.add_parser(
        "create",
        help="create a staff account (the first one should be an admin)",
        description="The password is asked for, or read from SIPAS_NEW_PASSWORD for scripts.",
    )
    create.add_argument("username")
    create.add_argument("--role", choices=["admin", "coordinator", "analyst"], default="admin")
    create.add_argument("--full-name", default="")
    create.add_argument(
        "--agency", action="append", default=[], help="limit a coordinator to this agency code"
    )
    create.add_argument(
        "--province", action="append", default=[], help="limit a coordinator to this province"
    )
    create.set_defaults(handler=_create_user)

    token = subparsers.add_parser("token", help="API tokens for scripts")
    token_sub = token.add_subparsers(title="token commands", metavar="COMMAND", required=True)
    token_create = token_sub.add_parser("create", help="print a new API token for a user")
    token_create.add_argument("username")
    token_create.add_argument("--name", default="cli", help="what the token is for")
    token_create.set_defaults(handler=_create_token)


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


def _create_token(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        user = get_user_by_username(session=session, username=args.username)
        assert user.id is not None
        print(create_api_token(session=session, user_id=user.id, name=args.name))
    return 0
