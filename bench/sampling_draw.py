"""Time the stratified SRSWOR draw against the plain NumPy baseline of ../shared/baselines/.

The baseline (``numpy_draw.draw``, used as it is) is Bernoulli pre-selection at an inflated rate
and an exact SRSWOR among each stratum's candidates: one generator, no row-order independence,
no hash, no reserves, no ids. The platform's draw keeps every guarantee (exact SRSWOR per
stratum, the same sample whatever the row order, the same sample on any machine, the frame
hash recorded, read-only results with ids, probabilities and weights). The frame is prepared
once (validation, unit hashes, grouping by stratum, content hash: the work of an import) and
that one-off cost is printed apart; each draw is then timed against the baseline, interleaved
(A, B, A, B ...), medians printed with the machine's load.

Usage::

    .venv/bin/python bench/sampling_draw.py                   # 5,000,000 units, 4,775 strata
    .venv/bin/python bench/sampling_draw.py --units 200000 --strata 100 --n 5000
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sampling.allocation import allocate_proportional
from sampling.draws import draw_stratified, draw_stratified_frame, draw_systematic
from sampling.frames import prepare_frame

BASELINES = Path(__file__).resolve().parents[2] / "shared" / "baselines"
sys.path.insert(0, str(BASELINES))
import numpy_draw  # noqa: E402  (the shared baseline, imported as it is)


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5_000_000)
    parser.add_argument("--strata", type=int, default=4_775)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5, help="pairs of runs (at least 3)")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    repeats = max(args.repeats, 3)

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

    print(f"platform           {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"python / numpy     {platform.python_version()} / {np.__version__}")
    print(f"baseline           {BASELINES / 'numpy_draw.py'}")
    print(f"frame units        {args.units:>12,}")
    print(f"strata             {labels.size:>12,}")
    print(f"sample n           {args.n:>12,}")
    print(f"load before        {load()}")

    start = time.perf_counter()
    frame = prepare_frame(unit_id, stratum)
    prepare_s = time.perf_counter() - start

    # Warm-up of both sides, and the guarantees checked on the timed path.
    sample = draw_stratified_frame(frame, sizes, seed=1)
    rows = numpy_draw.draw(stratum, n_h, 1)
    assert sample.n_main == args.n == rows.size
    assert np.array_equal(np.bincount(stratum[sample.index], minlength=args.strata), n_h)
    perm = rng.permutation(args.units)
    shuffled = draw_stratified(unit_id[perm], stratum[perm], sizes, seed=1)
    assert np.array_equal(shuffled.unit_id, sample.unit_id)  # row order does not matter
    assert sample.record.frame_hash == frame.content_hash

    ours: list[float] = []
    base: list[float] = []
    for i in range(repeats):
        ours.append(timed(lambda i=i: draw_stratified_frame(frame, sizes, seed=100 + i)))
        base.append(timed(lambda i=i: numpy_draw.draw(stratum, n_h, 100 + i)))
    one_shot = timed(lambda: draw_stratified(unit_id, stratum, sizes, seed=1))
    systematic = timed(lambda: draw_systematic(unit_id, stratum, sizes, seed=1))
    ours_med, base_med = statistics.median(ours), statistics.median(base)

    print(f"repeats            {repeats:>12}  (interleaved A, B, A, B ...)")
    print(f"prepare_frame      {prepare_s:>11.3f}s  (once per frame, at import)")
    print(f"draw (prepared)    {ours_med:>11.3f}s  median of {', '.join(f'{t:.3f}' for t in ours)}")
    print(f"numpy baseline     {base_med:>11.3f}s  median of {', '.join(f'{t:.3f}' for t in base)}")
    print(f"ratio ours/base    {ours_med / base_med:>12.2f}   (target <= 3)")
    print(f"draw_stratified    {one_shot:>11.3f}s  (one shot: prepare + draw, for information)")
    print(f"draw_systematic    {systematic:>11.3f}s  (one run, for information)")
    print(f"load after         {load()}")


if __name__ == "__main__":
    main()
