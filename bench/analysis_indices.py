"""Benchmark: SIPAS indices by agency with Taylor SEs against the shared plain-numpy baseline.

The platform side is the whole job from raw columns: ``SurveyDesign.from_columns`` (weights,
strata, population counts) then :func:`analysis.indices.estimate_indices` for every agency x
node (SEs, df, logit intervals, covariance cells kept). The baselines are
``../shared/baselines/numpy_indices.py`` used as it is (same estimates and linearised SEs,
nothing else; its dense domain x stratum grid makes it slow with 4,775 strata) and
:func:`sparse_indices` below, the same computation with sparse group sums (the strongest plain
numpy found); the ratio is against the faster of the two, and every estimate and SE of the
three must agree to 1e-9. Rows are shuffled (not sorted by agency); strata are nested in agencies
(every agency has at least one, the others go to random agencies), every row its own PSU.
Sides are interleaved (A, B, C, A, B, C ...), medians printed with the machine's load, for each
size (linearity: 100k and 1M by default), each number of criteria (1, and 20 in 5 elements)
and each number of strata (4,775, the issue's, and 2,000, one per agency).

Usage::

    .venv/bin/python bench/analysis_indices.py                  # 100k and 1M, 1 and 20 criteria
    .venv/bin/python bench/analysis_indices.py --strata 2000    # one stratum per agency only
    .venv/bin/python bench/analysis_indices.py --sizes 1000000 --criteria 20 --repeats 5
    .venv/bin/python bench/analysis_indices.py --agencies 63 --strata 100,63  # provinces
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


def sparse_indices(
    answers: NDArray[np.float64],
    weight: NDArray[np.float64],
    stratum: NDArray[np.intp],
    domain: NDArray[np.intp],
    n_pop: NDArray[np.float64],
    elements: list[list[int]],
) -> dict[str, Any]:
    """The shared baseline's estimates and SEs with sparse group sums: the strongest plain numpy.

    Same formulas (criterion share R = sum w 1[y>=4] / sum w 1[answered], element = mean of its
    shares, overall = mean of elements; SE = stratified Taylor SE of the Woodruff score with
    fpc, by domain), but the (domain, stratum) cells are only those present (a presence table
    and a cumulative sum, no dense D x H grid, no sort), every column is contiguous and each
    group sum is one ``np.bincount``.
    """
    n, k = answers.shape
    n_strata = n_pop.size
    n_dom = int(domain.max()) + 1
    n_h = np.bincount(stratum, minlength=n_strata).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_h = np.where(n_h > 1, (1 - n_h / n_pop) * n_h / (n_h - 1), 0.0)
    key = domain.astype(np.int64) * n_strata + stratum
    present = np.zeros(n_dom * n_strata, dtype=bool)
    present[key] = True
    cell_key = np.flatnonzero(present)
    cell = (np.cumsum(present) - 1)[key]
    n_cells = cell_key.size
    cell_dom = cell_key // n_strata
    cell_c = c_h[cell_key % n_strata]
    cell_inv_n = 1.0 / np.maximum(n_h, 1.0)[cell_key % n_strata]

    def se(z: NDArray[np.float64]) -> NDArray[np.float64]:
        t = np.bincount(cell, weights=z, minlength=n_cells)
        sq = np.bincount(cell, weights=z * z, minlength=n_cells)
        var = np.bincount(cell_dom, weights=cell_c * (sq - t * t * cell_inv_n), minlength=n_dom)
        return np.sqrt(var)

    share = np.empty((n_dom, k))
    crit_se = np.empty((n_dom, k))
    element_of = np.empty(k, dtype=np.intp)
    for e, cols in enumerate(elements):
        element_of[cols] = e
    z_elem = np.zeros((len(elements), n))  # element scores summed criterion by criterion
    for j in range(k):
        answer = answers[:, j]
        ans = (answer == answer).astype(np.float64)  # NaN is not equal to itself
        w_ans = weight * ans
        w_sat = weight * (answer >= 4)
        num = np.bincount(domain, weights=w_sat, minlength=n_dom)
        den = np.bincount(domain, weights=w_ans, minlength=n_dom)
        with np.errstate(divide="ignore", invalid="ignore"):
            share[:, j] = num / den
            scale = 1.0 / den
        # w (sat - R ans) / A
        z = w_sat - share[:, j][domain] * w_ans
        z *= scale[domain]
        z_elem[element_of[j]] += z
        crit_se[:, j] = se(z)
    for e, cols in enumerate(elements):
        z_elem[e] /= len(cols)
    elem = np.column_stack([share[:, cols].mean(axis=1) for cols in elements])
    elem_se = np.column_stack([se(z) for z in z_elem])
    return {
        "criterion": share,
        "criterion_se": crit_se,
        "element": elem,
        "element_se": elem_se,
        "overall": elem.mean(axis=1),
        "overall_se": se(z_elem.mean(axis=0)),
    }


def agreement(table: IndexTable, base: dict[str, Any]) -> tuple[float, float]:
    """Largest absolute differences of the estimates and of the SEs over every cell (asserted
    below 1e-9; the NaN cells, domains without an answer, must be the same). A cell whose
    variance is zero but for rounding (both sides' variances below 1e-16, SEs below 1e-8, the
    square root of cancellation noise) is compared on its variance instead."""
    base_est = np.column_stack([base["overall"], base["element"], base["criterion"]])
    base_se = np.column_stack([base["overall_se"], base["element_se"], base["criterion_se"]])
    diffs = []
    for ours, theirs in ((table.estimate, base_est), (table.se, base_se)):
        if not np.array_equal(np.isnan(ours), np.isnan(theirs)):
            raise AssertionError("the two sides disagree on which cells are NaN")
        gap = np.abs(ours - theirs)
        if ours is table.se:
            noise = (ours**2 < 1e-16) & (theirs**2 < 1e-16)
            gap = np.where(noise, np.abs(ours**2 - theirs**2), gap)
        diffs.append(float(np.nanmax(gap)) if gap.size else 0.0)
    if max(diffs) > 1e-9:
        raise AssertionError(f"estimates or SEs differ by more than 1e-9: {diffs}")
    return diffs[0], diffs[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="responses, comma-separated")
    parser.add_argument("--criteria", default="1,20", help="criteria counts, comma-separated")
    parser.add_argument("--agencies", type=int, default=2_000)
    parser.add_argument(
        "--strata",
        default="4775,2000",
        help="strata counts, comma-separated (4,775 is the issue's; as many as agencies is "
        "one stratum per agency, where the shared baseline's dense grid is smallest)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="rounds of runs (at least 3)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    repeats = max(args.repeats, 3)
    sizes = [int(v) for v in args.sizes.split(",")]
    criteria = [int(v) for v in args.criteria.split(",")]
    strata_counts = [int(v) for v in args.strata.split(",")]
    if min(strata_counts) < args.agencies:
        raise SystemExit("--strata: give at least as many strata as agencies (they nest)")

    print(f"platform      {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"python/numpy  {platform.python_version()} / {np.__version__}")
    print(f"shared        {BASELINES / 'numpy_indices.py'} (as it is, dense domain x stratum grid)")
    print("sparse        sparse_indices() in this file (same estimates and SEs, cells present)")
    print(
        f"design        strata nested in {args.agencies:,} agencies (domains), rows shuffled, "
        "every row its own PSU, fpc"
    )
    print(
        f"repeats       {repeats} interleaved rounds (ours, shared, sparse, ours, ...), medians; "
        "ratio = ours / the faster baseline"
    )
    print(
        f"{'strata':>6} {'responses':>10} {'crit':>4} {'ours s':>8} {'shared s':>8} "
        f"{'sparse s':>8} {'ratio':>6}  load before -> after"
    )
    medians: dict[tuple[int, int, int], tuple[float, float]] = {}
    for n_strata in strata_counts:
        for k in criteria:
            tree, columns = tree_for(k)
            for n in sizes:
                y, w, stratum, agency, n_pop = make_data(n, args.agencies, n_strata, k, args.seed)
                sides: list[Callable[[], Any]] = [
                    partial(run_ours, y, w, stratum, agency, n_pop[stratum], tree),
                    partial(numpy_indices.indices, y, w, stratum, agency, n_pop, columns),
                    partial(sparse_indices, y, w, stratum, agency, n_pop, columns),
                ]
                load_before = load()
                times: list[list[float]] = [[], [], []]
                outs: list[Any] = [None, None, None]
                with np.errstate(divide="ignore", invalid="ignore"):
                    for _ in range(repeats):
                        for i, side in enumerate(sides):
                            t, outs[i] = timed(side)
                            times[i].append(t)
                gaps = [agreement(outs[0], outs[1]), agreement(outs[0], outs[2])]
                o, b, s = (statistics.median(t) for t in times)
                best = min(b, s)
                medians[(n_strata, k, n)] = (o, best)
                print(
                    f"{n_strata:>6,} {n:>10,} {k:>4} {o:>8.3f} {b:>8.3f} {s:>8.3f} "
                    f"{o / best:>6.2f}  {load_before} -> {load()}"
                )
                print(
                    "        runs: ours "
                    + ", ".join(f"{t:.3f}" for t in times[0])
                    + "; shared "
                    + ", ".join(f"{t:.3f}" for t in times[1])
                    + "; sparse "
                    + ", ".join(f"{t:.3f}" for t in times[2])
                    + f"; max |diff| est/SE vs shared {gaps[0][0]:.0e}/{gaps[0][1]:.0e}, "
                    f"vs sparse {gaps[1][0]:.0e}/{gaps[1][1]:.0e}"
                )
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        for n_strata in strata_counts:
            for k in criteria:
                o_lo, b_lo = medians[(n_strata, k, lo)]
                o_hi, b_hi = medians[(n_strata, k, hi)]
                print(
                    f"scaling {n_strata:,} strata, {k} criteria, {lo:,} -> {hi:,} responses "
                    f"({hi / lo:g}x): ours {o_hi / o_lo:.1f}x, faster baseline {b_hi / b_lo:.1f}x"
                )
    print(
        "targets: ratio <= 2 for 1 and 20 criteria at 1,000,000 responses; ours linear "
        "(scaling close to the size ratio)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
