"""``sipas analyze``: SIPAS indices with standard errors from a responses CSV.

This module parses the options and prints; the analysis is :func:`survey.analyze_file.analyze_file`
(it reads the responses, builds the design from their columns, calibrates it to ``--margins``
with ``--calibrate``, makes replicate weights for ``--variance jk1|jkn|bootstrap``, estimates
every index for the whole sample and every domain of ``--by``, flags each cell and writes
``indices.csv``, ``indices.json`` and ``report.txt`` into ``--out``). A malformed input ends
with a one-line error naming the line and column (or the margins row and field), and exit
code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

# Before numpy loads (this module is imported only for `sipas analyze`): OpenBLAS's threads
# spin-wait between the small products of the estimates, about a third of the command's CPU
# time on a busy machine for no gain in time. Whoever sets the variable keeps their choice.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from survey.analyze_file import (
    ALL_DOMAINS,
    CALIBRATION_METHODS,
    CI_METHODS,
    DEFAULT_BOOTSTRAP_REPLICATES,
    DEFAULT_CI_METHOD,
    DEFAULT_MAX_CV,
    DEFAULT_MIN_RESPONDENTS,
    DEFAULT_SEED,
    INDEX_RULES,
    LONELY_PSU_RULES,
    STAT_FIELDS,
    VARIANCE_METHODS,
    AnalyzeOptions,
    analyze_file,
    builtin_tree_names,
    grouping_columns,
)

# Re-exported for the command's tests and callers that named them here.
__all__ = ["ALL_DOMAINS", "STAT_FIELDS", "grouping_columns", "options_from", "register"]

EXIT_OK = 0
EXIT_INPUT_ERROR = 2

_EPILOG = """\
examples:
  sipas analyze responses.csv --questionnaire sipas-standard --strata agency \\
      --fpc population --by agency --out results/
  sipas analyze responses.csv -q questionnaire.json --strata stratum --weight w \\
      --by province,channel --rule pooled --ci beta --level 0.90 --out results/
  sipas analyze responses.csv -q sipas-standard --strata agency --fpc population \\
      --by agency --calibrate rake --margins margins.csv --variance bootstrap --out results/

The questionnaire is a JSON file ({"elements": {"e1": ["e1_q1", ...]}} or a platform
questionnaire) or a built-in name (%s). Answers are 1-5; an empty cell is "not answered",
the --na-code is "not applicable"; both are left out of the shares. Indices are shares in [0, 1]
(mean scores for --rule mean-score) with Taylor-linearised SEs from the whole design, or
replicate SEs with --variance jk1|jkn|bootstrap.

Calibration: --calibrate rake|poststratify|linear --margins margins.csv adjusts the weights
to known population counts; the margins file has one row per category,

  variable,category,population
  sex,nam,7800
  sex,nu,6700
  channel,online,5000

where a variable is a column of the responses file (sex*age_band crosses two columns, its
categories written nam*18-25). The SEs then use the calibration residuals (Taylor) or
recalibrate every replicate. A bad margins file names its row (counted from 1 after the
header) and field.

Outputs: indices.csv and indices.json have one row per domain and node: the --by columns
((all) for the whole sample; a --by column named like an output column is written by_<name>),
then node, node_level, node_parent, estimate, se, ci_lower, ci_upper, df, n_respondents, cv,
flag - the cells of a release row (survey.release_rows.ReleaseRow). indices.json's head says
the calibration (method, margins, range of g) and the variance method; report.txt explains
them.
"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the ``analyze`` sub-command to ``subparsers``."""
    parser = subparsers.add_parser(
        "analyze",
        help="SIPAS indices with standard errors from a responses CSV",
        description="Estimate the SIPAS satisfaction indices (overall, elements, criteria) "
        "with design-based standard errors, confidence intervals and reliability flags, for "
        "the whole sample and every domain of --by.",
        epilog=_EPILOG % ", ".join(builtin_tree_names()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("responses", type=Path, help="responses CSV (UTF-8, header line)")
    parser.add_argument(
        "-q",
        "--questionnaire",
        required=True,
        help="questionnaire JSON file or built-in name (sipas-service, sipas-standard)",
    )
    parser.add_argument("--strata", help="stratum column (e.g. agency); unstratified if omitted")
    parser.add_argument(
        "--fpc",
        help="column with the stratum's population count N_h or sampling fraction "
        "(auto-detected: all values <= 1 are fractions)",
    )
    parser.add_argument(
        "--weight",
        help="sampling weight column; if omitted the weight is N_h / respondents in the "
        "stratum (needs --fpc with population counts)",
    )
    parser.add_argument("--psu", help="primary sampling unit (cluster) column, if any")
    parser.add_argument(
        "--by",
        default="",
        help="domain column(s), comma-separated; several columns are crossed",
    )
    parser.add_argument(
        "--rule", choices=INDEX_RULES, default="criteria-mean", help="aggregation rule"
    )
    parser.add_argument(
        "--ci",
        choices=CI_METHODS,
        default=DEFAULT_CI_METHOD,
        help="interval for shares, as R svyciprop (mean-score always uses t)",
    )
    parser.add_argument("--level", type=float, default=0.95, help="confidence level")
    parser.add_argument(
        "--na-code", type=float, default=0.0, help='code of "not applicable" (default 0)'
    )
    parser.add_argument(
        "--lonely-psu",
        choices=LONELY_PSU_RULES,
        default="fail",
        help="strata with a single PSU, as R survey.lonely.psu",
    )
    parser.add_argument(
        "--min-respondents",
        type=int,
        default=DEFAULT_MIN_RESPONDENTS,
        help="cells with fewer respondents are flagged 'suppressed'",
    )
    parser.add_argument(
        "--max-cv",
        type=float,
        default=DEFAULT_MAX_CV,
        help="cells with a larger CV are flagged 'unreliable'",
    )
    parser.add_argument(
        "--max-ci-width",
        type=float,
        default=None,
        help="cells with a wider interval are flagged 'unreliable' (off by default)",
    )
    parser.add_argument(
        "--calibrate",
        choices=CALIBRATION_METHODS,
        help="calibrate the weights to --margins: rake (every margin), poststratify (one "
        "variable) or linear (GREG)",
    )
    parser.add_argument(
        "--margins",
        type=Path,
        help="population counts to calibrate to: CSV (or JSON) of variable,category,population",
    )
    parser.add_argument(
        "--bounds",
        type=_bounds,
        help="bounds on g = calibrated / input weight for --calibrate linear, e.g. 0.5,2",
    )
    parser.add_argument(
        "--variance",
        choices=VARIANCE_METHODS,
        default="taylor",
        help="taylor (linearisation, default), jk1 (unstratified jackknife), jkn (stratified "
        "jackknife, one replicate per PSU) or bootstrap (Rao-Wu-Yue)",
    )
    parser.add_argument(
        "--replicates",
        type=int,
        help=f"bootstrap replicates (default {DEFAULT_BOOTSTRAP_REPLICATES})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help=f"seed of the bootstrap's random draws (default {DEFAULT_SEED}; the same seed "
        "gives the same replicates)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.set_defaults(handler=run_analyze)


def _bounds(text: str) -> tuple[float, float]:
    """``LO,HI`` as two numbers (argparse reports the error with the option's name)."""
    parts = [p.strip() for p in text.split(",")]
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give two numbers lower,upper around 1, e.g. 0.5,2"
        ) from None
    return low, high


def run_analyze(args: argparse.Namespace) -> int:
    """Handler of ``sipas analyze``: returns the exit code."""
    try:
        summary = analyze_file(options_from(args))
    except (ValueError, OSError) as exc:
        # Every input problem is a ValueError subclass with a message naming the fix.
        print(f"sipas analyze: error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    print(summary)
    return EXIT_OK


def options_from(args: argparse.Namespace) -> AnalyzeOptions:
    """The use case's options from the parsed command line (``--by`` split on commas)."""
    return AnalyzeOptions(
        responses=args.responses,
        questionnaire=args.questionnaire,
        out=args.out,
        strata=args.strata,
        fpc=args.fpc,
        weight=args.weight,
        psu=args.psu,
        by=tuple(c.strip() for c in args.by.split(",") if c.strip()),
        rule=args.rule,
        ci_method=args.ci,
        level=args.level,
        na_code=args.na_code,
        lonely_psu=args.lonely_psu,
        min_respondents=args.min_respondents,
        max_cv=args.max_cv,
        max_ci_width=args.max_ci_width,
        calibrate=args.calibrate,
        margins=args.margins,
        bounds=args.bounds,
        variance=args.variance,
        replicates=args.replicates,
        seed=args.seed,
    )
