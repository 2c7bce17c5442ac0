"""``sipas questionnaire list|export|import|publish``: versioned questionnaires as JSON files."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlmodel import Session

from survey.db import make_engine
from survey.questionnaires import (
    ensure_builtin_questionnaires,
    export_questionnaire,
    get_questionnaire,
    import_questionnaire,
    list_questionnaires,
    publish_questionnaire,
)
from survey.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("questionnaire", help="questionnaire versions as JSON")
    sub = parser.add_subparsers(title="questionnaire commands", metavar="COMMAND", required=True)
    listing = sub.add_parser("list", help="list versions (installs the built-in SIPAS form)")
    listing.set_defaults(handler=_list)
    export = sub.add_parser("export", help="write a version's definition as JSON")
    export.add_argument("id", type=int, help="questionnaire id (see 'list')")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(handler=_export)
    importing = sub.add_parser("import", help="create a draft from a JSON definition file")
    importing.add_argument("file", type=Path)
    importing.set_defaults(handler=_import)
    publish = sub.add_parser("publish", help="freeze a draft so campaigns can use it")
    publish.add_argument("id", type=int)
    publish.set_defaults(handler=_publish)


def _session() -> Session:
    return Session(make_engine(load_settings()))


def _list(_args: argparse.Namespace) -> int:
    with _session() as session:
        ensure_builtin_questionnaires(session=session)
        for row in list_questionnaires(session=session):
            print(f"{row.id}\t{row.code}\tv{row.version}\t{row.status}\t{row.title_vi}")
    return 0


def _export(args: argparse.Namespace) -> int:
    with _session() as session:
        text = export_questionnaire(get_questionnaire(session=session, questionnaire_id=args.id))
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def _import(args: argparse.Namespace) -> int:
    with _session() as session:
        row = import_questionnaire(session=session, text=args.file.read_text(encoding="utf-8-sig"))
        print(f"created draft {row.code} v{row.version} (id {row.id})")
    return 0


def _publish(args: argparse.Namespace) -> int:
    with _session() as session:
        row = publish_questionnaire(session=session, questionnaire_id=args.id)
        print(f"published {row.code} v{row.version}")
    return 0
