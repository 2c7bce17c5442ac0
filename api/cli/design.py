"""``sipas design create|preview`` and ``sipas sample draw|export``: designs and draws."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session

from survey.db import make_engine
from survey.designs import (
    DEFAULT_DOMAINS,
    PSU_COLUMNS,
    SORTABLE,
    STRATIFIABLE,
    AllocationPreview,
    DomainRow,
    DomainSummary,
    create_design,
    parse_design,
    preview_design,
)
from survey.draw_precision import draw_precision
from survey.draws import draw_units_summary, export_sample, run_draw
from survey.settings import load_settings


def _add_design_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, help="read the whole design from a JSON file")
    parser.add_argument("--frame", type=int, help="id of the frame to sample (sipas frame list)")
    parser.add_argument("--name", help="name of the design")
    parser.add_argument(
        "--stratify",
        action="append",
        metavar="COLUMN",
        help=f"stratification column, repeatable ({', '.join(STRATIFIABLE)}); default agency_code",
    )
    parser.add_argument(
        "--geo-mapping", help="map province codes first, e.g. provinces-2025 (63 -> 34 provinces)"
    )
    parser.add_argument("--selection", choices=["srswor", "systematic", "pps"], default="srswor")
    parser.add_argument(
        "--sort-by",
        action="append",
        metavar="COLUMN",
        help=f"systematic: sort within strata by these columns ({', '.join(SORTABLE)})",
    )
    parser.add_argument("--psu", help=f"pps: first-stage unit column ({', '.join(PSU_COLUMNS)})")
    parser.add_argument(
        "--method", choices=["proportional", "equal", "neyman", "power"], default="proportional"
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--n-total", type=int, help="total sample size to issue")
    size.add_argument("--margin", type=float, help="target margin of error, e.g. 0.05")
    parser.add_argument(
        "--margin-for",
        choices=["total", "each_stratum"],
        default="total",
        help="whether the whole frame or every stratum must reach the margin",
    )
    parser.add_argument(
        "--size-rule",
        choices=["cochran", "yamane"],
        default="cochran",
        help="how --margin becomes a size: cochran (z^2 p q / e^2 with fpc) or yamane "
        "(N / (1 + N e^2), MoHA's legacy rule, assumes p = 0.5 and 95%%)",
    )
    parser.add_argument(
        "--domain-target",
        type=float,
        help="margin each agency and province should reach (default: --margin); "
        "domains that miss it are flagged",
    )
    parser.add_argument("--p", type=float, default=0.5, help="anticipated share satisfied")
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--deff", type=float, default=1.0, help="anticipated design effect")
    parser.add_argument("--response-rate", type=float, default=1.0)
    parser.add_argument("--min", type=int, default=0, dest="min_per_stratum")
    parser.add_argument("--max", type=int, default=None, dest="max_per_stratum")
    parser.add_argument("--q", type=float, default=0.5, help="power allocation exponent")
    parser.add_argument("--m-per-psu", type=int, default=10, help="pps: units per selected PSU")
    parser.add_argument("--reserve", type=int, default=0, help="reserve list length per stratum")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    design = subparsers.add_parser("design", help="sample designs (strata and allocation)")
    design_sub = design.add_subparsers(title="design commands", metavar="COMMAND", required=True)
    create = design_sub.add_parser(
        "create",
        help="save a design and print its allocation table",
        description="Save a sample design for a frame. Give --n-total or --margin.",
    )
    _add_design_arguments(create)
    create.set_defaults(handler=_create)
    preview = design_sub.add_parser(
        "preview",
        help="print the allocation table with expected precision, without saving",
        description="Per stratum N_h, n_h, take-all and expected margin of error of a "
        "proportion; the same per domain and in total.",
    )
    _add_design_arguments(preview)
    preview.add_argument(
        "--domain",
        action="append",
        metavar="COLUMN",
        help=f"report precision per value of this column (default {', '.join(DEFAULT_DOMAINS)})",
    )
    preview.set_defaults(handler=_preview)

    sample = subparsers.add_parser("sample", help="draw and export samples")
    sample_sub = sample.add_subparsers(title="sample commands", metavar="COMMAND", required=True)
    draw = sample_sub.add_parser(
        "draw",
        help="draw a design's sample (prints the seed to repeat it)",
        description="Draw the sample of a saved design; the same --seed gives the same sample.",
    )
    draw.add_argument("design_id", type=int)
    draw.add_argument("--seed", type=int, help="repeat a draw with its seed")
    draw.set_defaults(handler=_draw)
    export = sample_sub.add_parser(
        "export",
        help="write a draw's sample as CSV or XLSX",
        description="Write the sample with inclusion probabilities and weights.",
    )
    export.add_argument("draw_id", type=int)
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument("--phones", action="store_true", help="add applicants' phone numbers")
    export.add_argument(
        "--output", "-o", type=Path, help="file to write (default: the draw's file name)"
    )
    export.set_defaults(handler=_export)


def _design_data(args: argparse.Namespace) -> dict[str, Any]:
    if args.json is not None:
        data: dict[str, Any] = json.loads(args.json.read_text(encoding="utf-8"))
        return data
    data = {
        "name": args.name or "",
        "frame_id": args.frame,
        "stratify_by": args.stratify or ["agency_code"],
        "geo_mapping": args.geo_mapping,
        "selection": args.selection,
        "sort_by": args.sort_by or [],
        "psu_column": args.psu,
        "allocation": {
            "method": args.method,
            "n_total": args.n_total,
            "margin": args.margin,
            "margin_applies_to": args.margin_for,
            "p": args.p,
            "confidence": args.confidence,
            "deff": args.deff,
            "response_rate": args.response_rate,
            "min_per_stratum": args.min_per_stratum,
            "max_per_stratum": args.max_per_stratum,
            "power_q": args.q,
            "m_per_psu": args.m_per_psu,
            "size_rule": args.size_rule,
            "domain_target": args.domain_target,
        },
        "reserve_per_stratum": args.reserve,
    }
    if not data["name"]:
        data["name"] = f"design of frame {args.frame}"
    return data


def _pct(value: float | None) -> str:
    return "-" if value is None else f"±{100 * value:.1f}"


def print_preview(preview: AllocationPreview) -> None:
    """Print an allocation table as aligned text."""
    width = max([len(r.stratum) for r in preview.strata] + [len("stratum")])
    print(f"allocation: {preview.method}; sample size by: {preview.size_rule}")
    print(f"{'stratum':<{width}} {'N_h':>9} {'n_h':>7} {'all':>4} {'margin %':>9}")
    for row in (*preview.strata, preview.total):
        print(
            f"{row.stratum:<{width}} {row.population:>9,} {row.n:>7,} "
            f"{'yes' if row.take_all else '':>4} {_pct(row.margin):>9}"
        )
    print_domains(preview.domains, preview.domain_summary, preview.domain_target)


def print_domains(
    domains: Sequence[DomainRow], summary: Sequence[DomainSummary], target: float | None
) -> None:
    """Print the expected margin per domain, the domains missing ``target`` and a summary."""
    if not domains:
        return
    print()
    print(
        f"{'domain':<30} {'N_d':>9} {'n_d':>7} {'resp.':>8} {'margin %':>9}"
        + ("  target  needed" if target is not None else "")
    )
    for d in domains:
        label = f"{d.column}={d.domain}"
        line = (
            f"{label:<30} {d.population:>9,} {d.n:>7,} {d.expected_respondents:>8,.1f} "
            f"{_pct(d.margin):>9}"
        )
        if d.meets_target is not None:
            line += "  ok" if d.meets_target else f"  MISSES  {d.respondents_needed:,}"
        print(line)
    print()
    for s in summary:
        print(("WARNING: " if s.n_missing else "") + s.text)


def _create(args: argparse.Namespace) -> int:
    spec = parse_design(_design_data(args))
    with Session(make_engine(load_settings())) as session:
        design = create_design(session=session, spec=spec, created_by=None)
        print(f"created design {design.id} {design.name!r}")
        preview = preview_design(session=session, spec=spec, domains=DEFAULT_DOMAINS)
    print_preview(preview)
    return 0


def _preview(args: argparse.Namespace) -> int:
    spec = parse_design(_design_data(args))
    domains = args.domain if args.domain else list(DEFAULT_DOMAINS)
    with Session(make_engine(load_settings())) as session:
        print_preview(preview_design(session=session, spec=spec, domains=domains))
    return 0


def _draw(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        draw = run_draw(session=session, design_id=args.design_id, seed=args.seed, created_by=None)
        assert draw.id is not None
        counts = draw_units_summary(session=session, draw_id=draw.id)
        duplicates = draw.design_snapshot.get("duplicate_contacts", {})
        precision = draw_precision(session=session, draw_id=draw.id)
    print(f"draw {draw.id} of design {draw.design_id}: seed {draw.seed}")
    print(f"sampled {draw.n_sampled:,}; reserves {draw.n_reserve:,}")
    print(f"frame sha256 {draw.frame_hash}; library {draw.library_version}")
    print(
        f"contact status: {', '.join(f'{k} {v:,}' for k, v in sorted(counts.items()))}; "
        f"shared phones: {duplicates.get('n_groups', 0)} group(s)"
    )
    print_domains(precision.domains, precision.domain_summary, precision.domain_target)
    return 0


def _export(args: argparse.Namespace) -> int:
    with Session(make_engine(load_settings())) as session:
        export = export_sample(
            session=session, draw_id=args.draw_id, fmt=args.format, include_phones=args.phones
        )
        output: Path = args.output or Path(export.filename)
        with output.open("wb") as handle:
            for chunk in export.chunks:
                handle.write(chunk)
    print(f"wrote {output}", file=sys.stderr)
    return 0
