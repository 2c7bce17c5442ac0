"""``sipas release ranking ID``: a release's ranking with its blocks, bands, top and bottom five
and the units scored but not ranked; ``sipas release compare ID``: the changes since the
previous round with their significance."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Sequence

from sqlmodel import Session

from survey.db import make_engine
from survey.public_releases import ranking_leagues, release_view
from survey.release_pipeline.rankings import RANKING_BLOCK_COLUMNS
from survey.release_rankings import League, LeagueUnit, league_json
from survey.releases import get_release
from survey.settings import load_settings

REASONS = {
    "too_few_answers": "scored, not ranked: fewer respondents than min_ranked",
    "alone_in_block": "scored, not ranked: no other rankable unit in its block",
}
CSV_COLUMNS = (
    "unit",
    "block",
    "code",
    "estimate",
    "ci_lower",
    "ci_upper",
    "n_respondents",
    "flag",
    "rank",
    "rank_lower",
    "rank_upper",
    "tier",
    "band",
    "band_uncertain",
    "not_ranked",
    "top_five",
    "bottom_five",
)


def register(release_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ranking`` and ``compare`` to ``sipas release``."""
    ranking = release_sub.add_parser(
        "ranking",
        help="print a release's ranking: blocks, bands, top and bottom five, not-ranked units",
        description=(
            "Prints the ranking a release publishes, block by block: each ranked unit with its "
            "rank interval, tier, index and band (marked '?' when its interval reaches into "
            "another band), the top and bottom five, the range (min-max), and the units scored "
            "but not ranked with the reason. --block re-ranks the agencies of a release by "
            "agency within blocks of a frame column, from the stored estimates and SEs."
        ),
    )
    ranking.add_argument("release_id", type=int, metavar="ID", help="the release's id")
    ranking.add_argument(
        "--block",
        choices=(*RANKING_BLOCK_COLUMNS, "none"),
        default=None,
        help="rank agencies within blocks of this column (default: as the release did)",
    )
    ranking.add_argument("--format", choices=("table", "csv", "json"), default="table")
    ranking.set_defaults(handler=_ranking)
    compare = release_sub.add_parser(
        "compare",
        help="print the changes since the previous round with their significance",
        description=(
            "Compares each figure with the previous round's (the comparable published release "
            "of the latest earlier campaign, or --previous ID): the change, its interval, the "
            "p-value of the t test of no change and whether it is significant at the release's "
            "level. Nodes renamed in the new questionnaire version are matched through "
            "maps_from. Exit 1 when there is no previous round."
        ),
    )
    compare.add_argument("release_id", type=int, metavar="ID", help="the release's id")
    compare.add_argument("--previous", type=int, default=None, metavar="ID")
    compare.add_argument(
        "--all", action="store_true", help="every domain's changes, not only the whole campaign's"
    )
    compare.set_defaults(handler=_compare)


def _figure(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.4f}"


def _band(u: LeagueUnit) -> str:
    c = u.classification
    if c.band is None:
        return ""
    if not c.straddles:
        return c.band.en
    ends = "-".join("" if b is None else b.en for b in (c.lowest, c.highest))
    return f"{c.band.en}? ({ends})"


def _rank(u: LeagueUnit) -> str:
    if u.rank is None:
        return "-"
    return f"{u.rank} [{u.rank_lower}-{u.rank_upper}]"


def _print_table(leagues: Sequence[League]) -> None:
    for league in leagues:
        bands = ", ".join(f"{b.en} >= {b.lower:g}" for b in league.bands)
        print(
            f"ranking of {league.unit} on {league.node} ({league.source}); "
            f"blocks: {league.blocks_column or 'none'}; "
            f"min_ranked: {league.min_ranked if league.min_ranked is not None else 'none'}; "
            f"bands{' (working default)' if league.bands_default else ''}: {bands}"
        )
        for block in league.blocks:
            name = "all" if block.block is None else block.block
            low, high = block.minimum, block.maximum
            spread = (
                ""
                if low is None or high is None
                else f"; range {_figure(low.estimate)} ({low.code}) - "
                f"{_figure(high.estimate)} ({high.code})"
            )
            print(
                f"\nblock {name}: {len(block.ranked)} ranked, "
                f"{len(block.not_ranked)} scored but not ranked{spread}"
            )
            print("rank [interval]\ttier\tcode\testimate\tci_lower\tci_upper\tn\tband")
            for u in (*block.ranked, *block.not_ranked):
                print(
                    f"{_rank(u)}\t{'' if u.tier is None else u.tier}\t{u.code}\t"
                    f"{_figure(u.estimate)}\t{_figure(u.ci_lower)}\t{_figure(u.ci_upper)}\t"
                    f"{u.n_respondents}\t{_band(u)}"
                    + ("" if u.not_ranked is None else f"\t{REASONS[u.not_ranked]}")
                )
            if block.ranked:
                print("top five: " + ", ".join(f"{u.rank}. {u.code}" for u in block.top))
                print("bottom five: " + ", ".join(f"{u.rank}. {u.code}" for u in block.bottom))
        print()


def _print_csv(leagues: Sequence[League]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for league in leagues:
        for block in league.blocks:
            top = {u.code for u in block.top}
            bottom = {u.code for u in block.bottom}
            for u in (*block.ranked, *block.not_ranked):
                c = u.classification
                writer.writerow(
                    (
                        league.unit,
                        "" if block.block is None else block.block,
                        u.code,
                        u.estimate,
                        "" if u.ci_lower is None else u.ci_lower,
                        "" if u.ci_upper is None else u.ci_upper,
                        u.n_respondents,
                        u.flag,
                        *("" if v is None else v for v in (u.rank, u.rank_lower, u.rank_upper)),
                        "" if u.tier is None else u.tier,
                        "" if c.band is None else c.band.en,
                        int(c.straddles),
                        u.not_ranked or "",
                        int(u.code in top),
                        int(u.code in bottom),
                    )
                )


def _ranking(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        release = get_release(session=session, release_id=args.release_id)
        leagues = ranking_leagues(session=session, release=release, block=args.block)
    if not leagues:
        print(f"release {args.release_id} ranks no unit", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps([league_json(league) for league in leagues], ensure_ascii=False, indent=1))
    elif args.format == "csv":
        _print_csv(leagues)
    else:
        _print_table(leagues)
    return 0


def _compare(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        release = get_release(session=session, release_id=args.release_id)
        previous = (
            None
            if args.previous is None
            else get_release(session=session, release_id=args.previous)
        )
        view = release_view(session=session, release=release, compare_with=previous)
    if view.previous is None:
        print(
            f"release {args.release_id} has no comparable previous round: give --previous ID",
            file=sys.stderr,
        )
        return 1
    level = f"{view.level:.0%}"
    print(f"release {view.release.id} compared with release {view.previous.id}")
    print(
        "domain\tnode\tprevious_node\testimate\tprevious\tchange\tci_lower\tci_upper\t"
        f"p_value\tsignificant at {level}"
    )
    for row in view.rows:
        key = (("" if row.is_whole_campaign else row.domain_name), row.node)
        change = view.changes.get(key)
        if change is None or not (args.all or row.is_whole_campaign):
            continue
        before = view.previous_rows[key]
        print(
            f"{key[0] or 'all'}\t{row.node}\t{change.previous_node}\t{_figure(row.estimate)}\t"
            f"{_figure(before.estimate)}\t{_figure(change.estimate)}\t"
            f"{_figure(change.ci_lower)}\t{_figure(change.ci_upper)}\t"
            f"{'' if math.isnan(change.p_value) else f'{change.p_value:.4g}'}\t"
            f"{'yes' if change.significant else 'no'}"
        )
    return 0
