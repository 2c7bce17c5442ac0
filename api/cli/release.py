"""``sipas release verify ID``: recompute a release from the stored responses and check its hash."""

from __future__ import annotations

import argparse

from sqlmodel import Session

from api.cli import release_ranking
from survey.db import make_engine
from survey.releases import verify_release
from survey.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    release = subparsers.add_parser("release", help="index releases: verify a published one")
    release_sub = release.add_subparsers(title="release commands", metavar="COMMAND", required=True)
    verify = release_sub.add_parser(
        "verify",
        help="recompute the indices and the SHA-256; exit 1 naming what differs",
        description=(
            "Checks that the stored content hashes to the stored SHA-256, that the frame, draw, "
            "questionnaire and responses match the release's data fingerprint, and that the "
            "indices recomputed from the stored responses with the stored parameters equal the "
            "stored figures and hash to the same SHA-256. Exit 0 when all hold, 1 otherwise."
        ),
    )
    verify.add_argument("release_id", type=int, metavar="ID", help="the release's id")
    verify.set_defaults(handler=_verify)
    release_ranking.register(release_sub)


def _verify(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        result = verify_release(session=session, release_id=args.release_id)
    for check in result.checks:
        print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    verdict = "verified" if result.ok else "DOES NOT VERIFY"
    print(f"release {result.release_id}: {verdict}")
    return 0 if result.ok else 1
