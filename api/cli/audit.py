"""``sipas audit verify`` and ``sipas audit list``: check the audit chain and read the log."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime

from sqlmodel import Session

from survey.audit import MAX_LIMIT, day_start, list_events, verify_audit_chain
from survey.db import make_engine
from survey.errors import InvalidInput, Problem
from survey.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = subparsers.add_parser("audit", help="the audit log of who did what")
    audit_sub = audit.add_subparsers(title="audit commands", metavar="COMMAND", required=True)
    verify = audit_sub.add_parser(
        "verify",
        help="recompute the hash chain; exit 1 naming the first bad entry",
        description="Exit 0 with a one-line summary when the chain is intact, 1 otherwise.",
    )
    verify.set_defaults(handler=_verify)
    listing = audit_sub.add_parser(
        "list",
        help="print entries, newest first",
        description=(
            "DATE is YYYY-MM-DD (a whole day in SIPAS_TIMEZONE) or an ISO time with an offset."
        ),
    )
    listing.add_argument("--action", help="e.g. export.sample, or a group such as export")
    listing.add_argument("--actor", help="username of the staff member")
    listing.add_argument("--target", help="e.g. campaign:3")
    listing.add_argument("--since", metavar="DATE", help="from this day or time (inclusive)")
    listing.add_argument("--until", metavar="DATE", help="up to this day (inclusive) or time")
    listing.add_argument("--limit", type=int, default=100, help=f"1..{MAX_LIMIT} (default 100)")
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=_list)


def _parse_bound(option: str, value: str | None, timezone: str) -> datetime | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            return day_start(date.fromisoformat(value), timezone, days_later=int(option == "until"))
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(
            f"--{option} is not a date",
            [
                Problem(
                    (f"--{option}",),
                    "give YYYY-MM-DD or an ISO time with an offset, "
                    "e.g. 2026-12-01 or 2026-12-01T08:00:00+07:00",
                )
            ],
        )
    return moment


def _verify(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        result = verify_audit_chain(session=session)
    if result.ok:
        print(f"audit chain intact: {result.entries} entries")
        return 0
    print(
        f"audit chain BROKEN at entry {result.first_bad_id}: {result.reason} "
        f"({result.entries} entries read)"
    )
    return 1


def _list(args: argparse.Namespace) -> int:
    settings = load_settings()
    since = _parse_bound("since", args.since, settings.timezone)
    until = _parse_bound("until", args.until, settings.timezone)
    with Session(make_engine(settings)) as session:
        page = list_events(
            session=session,
            actor=args.actor,
            action=args.action,
            target=args.target,
            since=since,
            until=until,
            limit=args.limit,
            offset=args.offset,
        )
    for event in page.events:
        if args.json:
            print(event.model_dump_json())
            continue
        when = event.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        details = json.dumps(event.details, ensure_ascii=False, sort_keys=True)
        print(
            f"{event.id}\t{when}\t{event.actor_name or '-'}\t{event.action}\t"
            f"{event.target or '-'}\t{details}\t{event.address or '-'}"
        )
    if not args.json:
        shown = f"{page.offset + 1}-{page.offset + len(page.events)}" if page.events else "none"
        print(f"{page.total} entries match; shown {shown}")
    return 0
