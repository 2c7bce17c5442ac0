"""Benchmark: SIPAS indices by agency with linearised SEs.

Prints the time of :func:`analysis.indices.estimate_indices` for every agency x node (overall,
5 elements, 20 criteria) against

* a plain vectorised numpy baseline written here for this one case (domains = strata, one
  respondent per PSU, ``criteria-mean`` rule), computing the same estimates and SEs, and
* ``samplics`` (``TaylorEstimator("ratio")`` by domain), run in a separate virtualenv
  (default ``/work/bench-venv``) because it is not a project dependency. samplics has no
  covariance between estimates, so it can only give the criterion shares, not the SEs of the
  element and overall indices; we time the criterion shares only.

Usage::

    python bench/analysis_indices.py                       # 1,000,000 responses, 2,000 agencies
    python bench/analysis_indices.py --responses 50000 --agencies 100
    python bench/analysis_indices.py --samplics-criteria 1 # time samplics on one criterion
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.design import SurveyDesign
from analysis.indices import estimate_indices
from analysis.questionnaire_tree import Element, QuestionnaireTree

N_ELEMENTS, PER_ELEMENT = 5, 4

SAMPLICS_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
warnings.filterwarnings("ignore")
from samplics.estimation import TaylorEstimator
from samplics.utils.types import PopParam
data = np.load(sys.argv[1])
n_criteria = int(sys.argv[2])
y, w, agency, fpc = data["y"], data["w"], data["agency"], data["one_minus_f"]
estimates, ses, times = [], [], []
for c in range(n_criteria):
    valid = ~np.isnan(y[:, c])
    start = time.perf_counter()
    est = TaylorEstimator(PopParam.ratio)
    est.estimate(y=(y[:, c] >= 4).astype(float), x=valid.astype(float), samp_weight=w,
                 stratum=agency, domain=agency, fpc=fpc)
    times.append(time.perf_counter() - start)
    keys = sorted(est.point_est)
    estimates.append([float(est.point_est[k]) for k in keys])
    ses.append([float(est.stderror[k]) for k in keys])
import samplics
print(json.dumps({"version": samplics.__version__, "times": times, "estimate": estimates,
                  "se": ses}))
"""


def make_data(
    n: int, n_agencies: int, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.float64]]:
    """Synthetic responses: agency sizes vary 1:9, 20 criteria, about 8% item non-response."""
    rng = np.random.default_rng(seed)
    share = rng.uniform(1.0, 9.0, n_agencies)
    n_h = np.maximum(np.floor(share / share.sum() * n).astype(np.intp), 2)
    n_h[-1] = max(n - int(n_h[:-1].sum()), 2)
    agency = np.repeat(np.arange(n_agencies), n_h)
    big_n = np.round(n_h * rng.uniform(2.0, 20.0, n_agencies))
    k = N_ELEMENTS * PER_ELEMENT
    level = rng.normal(0.0, 0.5, n_agencies)[agency][:, None]
    y = np.round(3.6 + level + rng.normal(0.0, 1.0, (agency.size, 1)))
    y = np.clip(y + np.round(rng.normal(0.0, 0.8, (agency.size, k))), 1, 5)
    y[rng.random(y.shape) < 0.08] = np.nan
    weights = (big_n / n_h)[agency]
    fraction = (n_h / big_n)[agency]
    return y, weights, agency, fraction


def numpy_baseline(
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    agency: NDArray[np.intp],
    fraction: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Same estimates and SEs for this design only (domain = stratum, every row its own PSU).

    V_h = (1 - f_h) n_h / (n_h - 1) sum_i (w_i u_i - mean_h)^2 with the node scores u computed
    densely as an (n, 26) matrix.
    """
    g = int(agency.max()) + 1
    k = y.shape[1]
    valid = ~np.isnan(y)
    sat = y >= 4
    num = np.column_stack([np.bincount(agency, w * sat[:, c], g) for c in range(k)])
    den = np.column_stack([np.bincount(agency, w * valid[:, c], g) for c in range(k)])
    ratio = num / den
    z = (sat - ratio[agency] * valid) / den[agency]
    mix = np.zeros((1 + N_ELEMENTS + k, k))
    mix[1 + N_ELEMENTS :] = np.eye(k)
    for e in range(N_ELEMENTS):
        mix[1 + e, e * PER_ELEMENT : (e + 1) * PER_ELEMENT] = 1.0 / PER_ELEMENT
    mix[0] = mix[1 : 1 + N_ELEMENTS].mean(axis=0)
    t = w[:, None] * (z @ mix.T)
    n_h = np.bincount(agency, minlength=g).astype(float)
    f_h = np.bincount(agency, fraction, g) / n_h
    sums = np.column_stack([np.bincount(agency, t[:, j], g) for j in range(t.shape[1])])
    squares = np.column_stack([np.bincount(agency, t[:, j] ** 2, g) for j in range(t.shape[1])])
    factor = (1.0 - f_h) * n_h / (n_h - 1.0)
    variance = factor[:, None] * (squares - sums**2 / n_h[:, None])
    return ratio @ mix.T, np.sqrt(variance)


def best_time(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_samplics(
    python: Path,
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    agency: NDArray[np.intp],
    fraction: NDArray[np.float64],
    n_criteria: int,
    timeout: float,
) -> dict[str, Any] | str:
    if not python.exists():
        return f"not run: {python} does not exist (create a venv there and pip install samplics)"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.npz"
        np.savez(data, y=y, w=w, agency=agency, one_minus_f=1.0 - fraction)
        try:
            done = subprocess.run(
                [str(python), "-c", SAMPLICS_SCRIPT, str(data), str(n_criteria)],
                capture_output=True,
                text=True,
                check=False,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return f"did not finish {n_criteria} criterion/criteria within {timeout:g} s"
    if done.returncode != 0:
        return "failed: " + (done.stderr.strip().splitlines() or ["no output"])[-1]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timings keep the best of N")
    parser.add_argument("--samplics-python", type=Path, default=Path("/work/bench-venv/bin/python"))
    parser.add_argument(
        "--samplics-criteria",
        type=int,
        default=N_ELEMENTS * PER_ELEMENT,
        help="criteria to time samplics on (0 to skip); its total is extrapolated to 20",
    )
    parser.add_argument(
        "--samplics-timeout", type=float, default=1800.0, help="seconds before giving up"
    )
    args = parser.parse_args(argv)

    tree = QuestionnaireTree(
        "bench",
        tuple(
            Element(f"e{e}", tuple(f"e{e}_q{q}" for q in range(PER_ELEMENT)))
            for e in range(N_ELEMENTS)
        ),
    )
    y, w, agency, fraction = make_data(args.responses, args.agencies, args.seed)
    print(
        f"data: {y.shape[0]:,} responses, {args.agencies:,} agencies (strata = domains), "
        f"{y.shape[1]} criteria in {N_ELEMENTS} elements, {np.isnan(y).mean():.1%} missing"
    )
    t_design, design = best_time(
        lambda: SurveyDesign.from_columns(weights=w, strata=agency, fpc=fraction), args.repeat
    )
    t_ours, table = best_time(lambda: estimate_indices(design, y, tree, domain=agency), args.repeat)
    t_base, (base_est, base_se) = best_time(
        lambda: numpy_baseline(y, w, agency, fraction), args.repeat
    )
    est_diff = float(np.nanmax(np.abs(table.estimate - base_est)))
    se_diff = float(np.nanmax(np.abs(table.se - base_se) / base_se))
    cells = table.estimate.size
    print(f"design from columns:                {t_design:8.3f} s")
    print(
        f"ours  estimate_indices (all nodes): {t_ours:8.3f} s  ({cells:,} cells with SE and "
        "logit CI, any design)"
    )
    print(
        f"plain numpy baseline (this design): {t_base:8.3f} s  -> ours / baseline = "
        f"{t_ours / t_base:.2f}x"
    )
    print(f"  agreement: max |estimate diff| {est_diff:.1e}, max relative SE diff {se_diff:.1e}")
    if args.samplics_criteria > 0:
        result = run_samplics(
            args.samplics_python,
            y,
            w,
            agency,
            fraction,
            args.samplics_criteria,
            args.samplics_timeout,
        )
        if isinstance(result, str):
            print(f"samplics: {result}")
        else:
            times = np.asarray(result["times"])
            total = times.sum() / times.size * (N_ELEMENTS * PER_ELEMENT)
            est = np.asarray(result["estimate"]).T
            se = np.asarray(result["se"]).T
            k = times.size
            crit = slice(1 + N_ELEMENTS, 1 + N_ELEMENTS + k)
            print(
                f"samplics {result['version']} TaylorEstimator ratio by domain: "
                f"{times.mean():.3f} s per criterion, {total:.1f} s for the 20 criteria "
                f"({'measured' if k == 20 else f'extrapolated from {k}'}); "
                f"no element/overall SEs (no covariance between estimates)"
            )
            print(
                f"  agreement with ours on criteria: max |estimate diff| "
                f"{np.nanmax(np.abs(est - table.estimate[:, crit])):.1e}, max relative SE diff "
                f"{np.nanmax(np.abs(se - table.se[:, crit]) / se):.1e}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
