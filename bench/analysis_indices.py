"""Benchmark: SIPAS indices by agency with Taylor SEs against the shared plain-numpy baseline.

The platform side is the whole job from raw columns: ``SurveyDesign.from_columns`` (weights,
strata, population counts) then :func:`analysis.indices.estimate_indices` for every agency x
node (SEs, df, logit intervals, covariance cells kept). The baseline is
``../shared/baselines/numpy_indices.py`` used as it is (same estimates and linearised SEs,
nothing else). Rows are shuffled (not sorted by agency); strata are nested in agencies
(every agency has at least one, the others go to random agencies), every row its own PSU.
Sides are interleaved (A, B, A, B ...), medians printed with the machine's load, for each
size (linearity: 100k and 1M by default) and each number of criteria (1, and 20 in 5 elements).

Usage::

    .venv/bin/python bench/analysis_indices.py                  # 100k and 1M, 1 and 20 criteria
    .venv/bin/python bench/analysis_indices.py --sizes 1000000 --criteria 20 --repeats 5
    .venv/bin/python bench/analysis_indices.py --agencies 63    # per-province domains
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.design import SurveyDesign
from analysis.indices import IndexTable, estimate_indices
from analysis.questionnaire_tree import Element, QuestionnaireTree

BASELINES = Path(__file__).resolve().parents[2] / "shared" / "baselines"
sys.path.insert(0, str(BASELINES))
import numpy_indices  # noqa: E402  (the shared baseline, imported as it is)

N_ELEMENTS = 5


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_data(
    n: int, n_agencies: int, n_strata: int, k: int, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], Any]:
    """Shuffled synthetic responses: gamma-sized strata nested in agencies, ~8% missing."""
    rng = np.random.default_rng(seed)
    agency_of = np.concatenate(
        [np.arange(n_agencies), rng.integers(0, n_agencies, n_strata - n_agencies)]
    )
    size = rng.gamma(2.0, 1.0, n_strata)
    n_h = np.maximum(np.floor(size / size.sum() * n).astype(np.int64), 2)
    n_h[np.argmax(n_h)] += n - int(n_h.sum())
    stratum = rng.permutation(np.repeat(np.arange(n_strata), n_h))
    agency = agency_of[stratum]
    n_pop = np.round(n_h * rng.uniform(2.0, 20.0, n_strata))
    level = rng.normal(0.0, 0.5, n_agencies)[agency][:, None]
    y = np.round(3.6 + level + rng.normal(0.0, 1.0, (n, 1)))
    y = np.clip(y + np.round(rng.normal(0.0, 0.8, (n, k))), 1, 5)
    y[rng.random(y.shape) < 0.08] = np.nan
    weights = (n_pop / n_h)[stratum]
    return y, weights, stratum, agency, n_pop


def tree_for(k: int) -> tuple[QuestionnaireTree, list[list[int]]]:
    if k == 1:
        return QuestionnaireTree("bench", (Element("e0", ("e0_q0",)),)), [[0]]
    per = k // N_ELEMENTS
    if per * N_ELEMENTS != k:
        raise SystemExit(f"--criteria: {k} is not 1 or a multiple of {N_ELEMENTS}")
    elements = tuple(
        Element(f"e{e}", tuple(f"e{e}_q{q}" for q in range(per))) for e in range(N_ELEMENTS)
    )
    columns = [list(range(e * per, (e + 1) * per)) for e in range(N_ELEMENTS)]
    return QuestionnaireTree("bench", elements), columns


def run_ours(
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    stratum: NDArray[np.intp],
    agency: NDArray[np.intp],
    fpc: NDArray[np.float64],
    tree: QuestionnaireTree,
) -> IndexTable:
    """The platform's whole job from raw columns: the design, then every index with its SE."""
    design = SurveyDesign.from_columns(weights=w, strata=stratum, fpc=fpc)
    return estimate_indices(design, y, tree, domain=agency)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def agreement(table: IndexTable, base: dict[str, Any]) -> float:
    """Largest relative SE difference over the nodes (the estimates are compared too)."""
    ours_est = table.estimate
    base_est = np.column_stack([base["overall"], base["element"], base["criterion"]])
    base_se = np.column_stack([base["overall_se"], base["element_se"], base["criterion_se"]])
    assert np.allclose(ours_est, base_est, rtol=1e-10, atol=1e-12, equal_nan=True)
    # SEs of cells whose variance is zero up to cancellation (~1e-9) are rounding noise on both
    # sides; compare the others relatively.
    real = base_se > 1e-6
    return float(np.nanmax(np.abs(table.se[real] - base_se[real]) / base_se[real]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="responses, comma-separated")
    parser.add_argument("--criteria", default="1,20", help="criteria counts, comma-separated")
    parser.add_argument("--agencies", type=int, default=2_000)
    parser.add_argument("--strata", type=int, default=4_775)
    parser.add_argument("--repeats", type=int, default=3, help="pairs of runs (at least 3)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    repeats = max(args.repeats, 3)
    sizes = [int(v) for v in args.sizes.split(",")]
    criteria = [int(v) for v in args.criteria.split(",")]
    if args.strata < args.agencies:
        raise SystemExit("--strata: give at least as many strata as agencies (they nest)")

    print(f"platform      {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"python/numpy  {platform.python_version()} / {np.__version__}")
    print(f"baseline      {BASELINES / 'numpy_indices.py'} (as it is)")
    print(
        f"design        {args.strata:,} strata nested in {args.agencies:,} agencies (domains), "
        "rows shuffled, every row its own PSU, fpc"
    )
    print(f"repeats       {repeats} interleaved pairs (ours, baseline, ours, ...), medians")
    print(f"{'responses':>10} {'crit':>4} {'ours s':>8} {'numpy s':>8} {'ratio':>6}  load")
    medians: dict[tuple[int, int], tuple[float, float]] = {}
    for k in criteria:
        tree, columns = tree_for(k)
        for n in sizes:
            y, w, stratum, agency, n_pop = make_data(n, args.agencies, args.strata, k, args.seed)
            ours = partial(run_ours, y, w, stratum, agency, n_pop[stratum], tree)
            base = partial(numpy_indices.indices, y, w, stratum, agency, n_pop, columns)
            load_before = load()
            ours_t: list[float] = []
            base_t: list[float] = []
            table = base_out = None
            for _ in range(repeats):
                t, table = timed(ours)
                ours_t.append(t)
                t, base_out = timed(base)
                base_t.append(t)
            assert table is not None and base_out is not None
            se_diff = agreement(table, base_out)
            o, b = statistics.median(ours_t), statistics.median(base_t)
            medians[(k, n)] = (o, b)
            print(
                f"{n:>10,} {k:>4} {o:>8.3f} {b:>8.3f} {o / b:>6.2f}  {load_before} -> {load()}"
                f"  (ours {', '.join(f'{t:.3f}' for t in ours_t)}; numpy "
                f"{', '.join(f'{t:.3f}' for t in base_t)}; max rel SE diff {se_diff:.1e})"
            )
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        for k in criteria:
            o_lo, b_lo = medians[(k, lo)]
            o_hi, b_hi = medians[(k, hi)]
            print(
                f"scaling {lo:,} -> {hi:,} responses ({hi / lo:g}x), {k} criteria: ours "
                f"{o_hi / o_lo:.1f}x, numpy {b_hi / b_lo:.1f}x"
            )
    print("target: ratio <= 2 for 1 and 20 criteria at 1,000,000 responses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
