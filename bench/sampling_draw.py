"""Time ``draw_stratified`` against a plain vectorised NumPy baseline.

The baseline is the textbook one-liner for stratified SRSWOR: one uniform key per unit, one
``np.lexsort`` by (stratum, key), and the first ``n_h`` units of each stratum. It does none of
the library's extra work (id validation, canonical order, content hash, per-stratum streams,
inclusion probabilities) but is the speed to beat.

Usage::

    .venv/bin/python bench/sampling_draw.py                      # 5,000,000 units, 2,000 strata
    .venv/bin/python bench/sampling_draw.py --units 200000 --strata 100 --n 5000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sampling.allocation import allocate_proportional
from sampling.draws import draw_stratified, draw_systematic


def baseline(stratum: NDArray[np.int64], n_h: NDArray[np.int64], seed: int) -> NDArray[np.int64]:
    """Plain NumPy stratified SRSWOR: random keys, one lexsort, first n_h per stratum."""
    gen = np.random.Generator(np.random.PCG64(seed))
    key = gen.random(stratum.size)
    order = np.lexsort((key, stratum))
    counts = np.bincount(stratum, minlength=n_h.size)
    starts = np.cumsum(counts) - counts
    within = np.arange(n_h.sum()) - np.repeat(np.cumsum(n_h) - n_h, n_h)
    return order[np.repeat(starts, n_h) + within]


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5_000_000)
    parser.add_argument("--strata", type=int, default=2_000)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    # Shuffled, non-contiguous dossier ids and unequal strata (gamma-distributed sizes).
    unit_id = rng.permutation(args.units).astype(np.int64) * 7 + 1_000_003
    weights = rng.gamma(2.0, 1.0, args.strata)
    stratum = rng.choice(args.strata, size=args.units, p=weights / weights.sum())
    labels, counts = np.unique(stratum, return_counts=True)
    alloc = allocate_proportional(args.n, counts, min_size=np.minimum(2, counts), labels=labels)
    sizes = alloc.sizes_by_stratum()
    n_h = np.zeros(args.strata, dtype=np.int64)
    n_h[labels] = alloc.n

    ours = median_time(lambda: draw_stratified(unit_id, stratum, sizes, seed=1), args.repeats)
    base = median_time(lambda: baseline(stratum, n_h, 1), args.repeats)
    syst = median_time(lambda: draw_systematic(unit_id, stratum, sizes, seed=1), args.repeats)
    sample = draw_stratified(unit_id, stratum, sizes, seed=1)
    assert sample.n_main == args.n

    print(f"frame units        {args.units:>12,}")
    print(f"strata             {labels.size:>12,}")
    print(f"sample n           {args.n:>12,}")
    print(f"repeats            {args.repeats:>12}")
    print(f"draw_stratified    {ours:>11.3f}s (median)")
    print(f"numpy baseline     {base:>11.3f}s (median)")
    print(f"ratio ours/base    {ours / base:>12.2f}   (target <= 1.5)")
    print(f"draw_systematic    {syst:>11.3f}s (median, for information)")


if __name__ == "__main__":
    main()
