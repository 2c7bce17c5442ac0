"""``sipas release compute CAMPAIGN_ID``: compute a draft release; ``sipas release verify ID``:
recompute a release from the stored responses and check its hash."""

from __future__ import annotations

import argparse
from typing import Any

from sqlmodel import Session

from api.band_lines import parse_band_lines
from api.cli import release_ranking
from survey.calibration_margins import calibration_request
from survey.db import make_engine
from survey.errors import InvalidInput, Problem
from survey.models import IndexRelease
from survey.release_pipeline.design import VARIANCE_METHODS
from survey.release_pipeline.indices import NATIONAL_RULES
from survey.release_pipeline.rankings import RANKING_BLOCK_COLUMNS
from survey.release_rows import release_root, release_rows, release_shares
from survey.releases import BY_COLUMNS, LONELY_PSU_RULES, compute_release, verify_release
from survey.settings import load_settings

# What `compute` proposes, as the staff form does: the library's default (None) ranks agencies on
# a handful of answers, which the published practice rejects.
CLI_MIN_RANKED = 30


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    release = subparsers.add_parser(
        "release", help="index releases: compute a draft, verify a published one"
    )
    release_sub = release.add_subparsers(title="release commands", metavar="COMMAND", required=True)
    compute = release_sub.add_parser(
        "compute",
        help="compute a draft release of a campaign's indices; print its national figures",
        description=(
            "Computes the indices of every node of the campaign's questionnaire (SIPAS, its "
            "indices, elements and criteria on the national form) with SEs and intervals, "
            "stores a draft release and prints its id and the whole campaign's figures."
        ),
    )
    compute.add_argument("campaign_id", type=int, metavar="CAMPAIGN_ID")
    compute.add_argument("--name", required=True, help="title of the release")
    compute.add_argument(
        "--by",
        action="append",
        choices=BY_COLUMNS,
        help="break down by this column (repeat to cross; default agency_code)",
    )
    compute.add_argument(
        "--national-rule",
        choices=NATIONAL_RULES,
        default="pooled",
        help="national figure: pooled over all respondents with design weights (default), or "
        "the unweighted mean of the provincial indices (MoHA's practice) with its own variance",
    )
    compute.add_argument("--rule", default="criteria-mean", help="aggregation of criteria")
    compute.add_argument("--ci-method", default="logit", help="interval for shares")
    compute.add_argument("--level", type=float, default=0.95, help="confidence level")
    compute.add_argument("--min-respondents", type=int, default=30)
    compute.add_argument("--max-cv", type=float, default=0.2)
    compute.add_argument("--lonely-psu", choices=LONELY_PSU_RULES, default="adjust")
    compute.add_argument("--geo-mapping", default=None, help='e.g. "provinces-2025"')
    compute.add_argument(
        "--calibration",
        choices=("rake", "poststratify", "linear"),
        default=None,
        help="calibrate the weights to --margins (default: no calibration)",
    )
    compute.add_argument(
        "--margins",
        metavar="FILE",
        default=None,
        help="CSV or JSON of variable,category,population (a frame column or profile answer)",
    )
    compute.add_argument(
        "--bounds",
        metavar="LO,HI",
        default=None,
        help="linear calibration only: bounds on calibrated / input weight, e.g. 0.5,2",
    )
    compute.add_argument(
        "--variance",
        choices=VARIANCE_METHODS,
        default="taylor",
        help="SEs by Taylor linearisation (default) or replicate weights",
    )
    compute.add_argument("--replicates", type=int, default=None, help="bootstrap replicates")
    compute.add_argument("--seed", type=int, default=None, help="bootstrap seed (default 0)")
    compute.add_argument(
        "--ranking-blocks",
        choices=("none", *RANKING_BLOCK_COLUMNS),
        default="none",
        help="rank agencies within blocks of their administrative level or province "
        "(default none: all together)",
    )
    compute.add_argument(
        "--min-ranked",
        type=int,
        default=CLI_MIN_RANKED,
        metavar="N",
        help=f"agencies with fewer respondents are scored but not ranked (default "
        f"{CLI_MIN_RANKED}, the reliability rule's usual minimum; 0 ranks every agency)",
    )
    compute.add_argument(
        "--bands",
        metavar="FILE",
        default=None,
        help="classification bands, one a line, highest first: 'lower; nhãn; label' "
        "(default: the working default bands)",
    )
    compute.set_defaults(handler=_compute)
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


def _compute(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        release = compute_release(
            session=session,
            campaign_id=args.campaign_id,
            name=args.name,
            by=args.by or ["agency_code"],
            rule=args.rule,
            ci_method=args.ci_method,
            level=args.level,
            min_respondents=args.min_respondents,
            max_cv=args.max_cv,
            lonely_psu=args.lonely_psu,
            geo_mapping=args.geo_mapping,
            national_rule=args.national_rule,
            **_calibration_arguments(args),
            **_ranking_arguments(args),
        )
        root = release_root(release)
        print(f"release {release.id} (draft): national figure {args.national_rule}, root {root}")
        print("node\tlevel\testimate\tse\tci_lower\tci_upper\tn_respondents")
        for row in release_rows(release):
            if row.is_whole_campaign and row.node_level != "criterion":
                cells = (row.estimate, row.se, row.ci_lower, row.ci_upper)
                figures = "\t".join("" if v is None else f"{v:.4f}" for v in cells)
                print(f"{row.node}\t{row.node_level}\t{figures}\t{row.n_respondents}")
        _print_shares(release)
    return 0


def _print_shares(release: IndexRelease) -> None:
    """The whole campaign's judgement and expectation shares (none for a form without them)."""
    shares = [r for r in release_shares(release) if r.is_whole_campaign]
    if not shares:
        return
    print()
    print("item\tcategory\tshare\tse\tci_lower\tci_upper\tn_base\tflag")
    for row in shares:
        cells = (row.estimate, row.se, row.ci_lower, row.ci_upper)
        figures = "\t".join("" if v is None else f"{v:.4f}" for v in cells)
        print(f"{row.item}\t{row.category}\t{figures}\t{row.n_base}\t{row.flag}")


def _calibration_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """--calibration, --margins, --bounds, --variance, --replicates, --seed as arguments."""
    margins = None
    if args.margins is not None:
        try:
            with open(args.margins, "rb") as fh:
                margins = fh.read()
        except OSError as error:
            raise InvalidInput(
                "the calibration margins cannot be used",
                [Problem(("margins",), f"cannot read {args.margins}: {error.strerror}")],
            ) from None
    bounds = None
    if args.bounds is not None:
        try:
            bounds = [float(v) for v in args.bounds.replace(";", ",").split(",")]
        except ValueError:
            raise InvalidInput(
                "the calibration margins cannot be used",
                [Problem(("calibration", "bounds"), "give two bounds: lower,upper")],
            ) from None
    return {
        "calibration": calibration_request(args.calibration, margins, bounds),
        "variance": args.variance,
        "replicates": args.replicates,
        "seed": args.seed,
    }


def _ranking_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """--ranking-blocks, --min-ranked (0: every agency ranked) and --bands as arguments."""
    bands = None
    if args.bands is not None:
        try:
            with open(args.bands, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise InvalidInput(
                "the release cannot be computed with these parameters",
                [Problem(("bands",), f"cannot read {args.bands}: {reason}")],
            ) from None
        problems: list[Problem] = []
        bands = parse_band_lines(text, problems)
        if problems:
            raise InvalidInput("the release cannot be computed with these parameters", problems)
    return {
        "ranking_blocks": None if args.ranking_blocks == "none" else args.ranking_blocks,
        # compute_release refuses a negative number, naming min_ranked.
        "min_ranked": None if args.min_ranked == 0 else args.min_ranked,
        "bands": bands,
    }


def _verify(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        result = verify_release(session=session, release_id=args.release_id)
    for check in result.checks:
        print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    verdict = "verified" if result.ok else "DOES NOT VERIFY"
    print(f"release {result.release_id}: {verdict}")
    return 0 if result.ok else 1
