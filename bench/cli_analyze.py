"""Time ``sipas analyze`` on a responses CSV against a plain numpy script on the same file.

Issue 13: the command on 100,000 responses, whole process, within 1.5x of a plain script. The
file is synthetic: the 19 criteria of ``sipas-standard`` (answers 1-5, ~5% empty, ~5% "not
applicable" 0), ``--agencies`` agencies as strata with their population count ``N``, a channel
and a province, rows shuffled. Both sides are fresh processes reading that file:

* ``sipas analyze FILE -q sipas-standard --strata agency --fpc N --by agency --out DIR``
  (the console script people run): indices of every node for the whole sample and every
  agency with SEs, df, logit intervals and flags, ``indices.csv``, ``indices.json`` and
  ``report.txt`` (with Cronbach's alphas);
* the baseline: ``pandas.read_csv`` (C parser) of the same file, then
  ``../shared/baselines/numpy_indices.py`` as it is for the whole sample and per agency (the
  same estimates and linearised SEs with fpc, weights N_h / n_h), written as a CSV and a JSON
  of the same rows (domain, node, estimate, se). It leaves out intervals, df, flags, the
  report and every input check.

The sides are interleaved (A, B, A, B ...); medians of the wall and CPU times (user + system
of the child), the peak memory of each side (ru_maxrss of the child) and the machine's load are
printed, then the ratios. The first
pair checks that both sides agree on every estimate and SE (to 1e-9).

Both run in the environment this script has. ``sipas analyze`` keeps OpenBLAS to one thread for
itself (unless OPENBLAS_NUM_THREADS is set); the script is left as a user would run it, and its
CPU time is the same with one thread (it makes no matrix products to spin on).

Usage::

    .venv/bin/python bench/cli_analyze.py [--n 100000] [--agencies 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASELINES = ROOT.parent / "shared" / "baselines"
SIPAS = Path(sys.executable).with_name("sipas")
ELEMENTS = {
    "access": [f"access_q{i}" for i in range(15, 19)],
    "procedures": [f"procedures_q{i}" for i in range(19, 23)],
    "civil_servants": [f"civil_servants_q{i}" for i in range(23, 28)],
    "results": [f"results_q{i}" for i in range(28, 31)],
    "feedback": [f"feedback_q{i}" for i in range(31, 34)],
}
CRITERIA = [c for codes in ELEMENTS.values() for c in codes]

# The plain script: read, compute the same estimates and SEs, write them. Nothing else.
BASELINE_SCRIPT = """
import json, sys
import numpy as np
import pandas as pd
sys.path.insert(0, sys.argv[3])
import numpy_indices
elements = json.loads(sys.argv[4])
criteria = [c for codes in elements.values() for c in codes]
df = pd.read_csv(sys.argv[1], dtype={"agency": str})
answers = df[criteria].to_numpy(dtype=np.float64)
answers[answers == 0] = np.nan
agencies, stratum = np.unique(df["agency"].to_numpy(), return_inverse=True)
n_pop = np.zeros(agencies.size)
n_pop[stratum] = df["N"].to_numpy(dtype=np.float64)
n_h = np.bincount(stratum, minlength=agencies.size)
weight = (n_pop / n_h)[stratum]
cols, at = [], 0
for codes in elements.values():
    cols.append(list(range(at, at + len(codes))))
    at += len(codes)
nodes = ["overall", *elements, *criteria]
rows = []
for names, domain in ((["(all)"], np.zeros(len(df), dtype=np.int64)), (agencies, stratum)):
    out = numpy_indices.indices(answers, weight, stratum, domain, n_pop, cols)
    est = np.column_stack([out["overall"], out["element"], out["criterion"]])
    se = np.column_stack([out["overall_se"], out["element_se"], out["criterion_se"]])
    for g, name in enumerate(names):
        for j, node in enumerate(nodes):
            rows.append((str(name), node, float(est[g, j]), float(se[g, j])))
table = pd.DataFrame(rows, columns=["agency", "node", "estimate", "se"])
table.to_csv(sys.argv[2] + "/indices.csv", index=False)
with open(sys.argv[2] + "/indices.json", "w") as handle:
    json.dump({"rows": table.to_dict(orient="records")}, handle)
"""


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def write_responses(path: Path, n: int, n_agencies: int, seed: int) -> None:
    """Shuffled synthetic responses (see the module docstring)."""
    rng = np.random.default_rng(seed)
    size = rng.gamma(2.0, 1.0, n_agencies)
    n_h = np.maximum(np.floor(size / size.sum() * n).astype(np.int64), 3)
    n_h[np.argmax(n_h)] += n - int(n_h.sum())
    agency = rng.permutation(np.repeat(np.arange(n_agencies), n_h))
    population = (n_h * rng.uniform(5, 50, n_agencies)).astype(np.int64)
    level = rng.normal(0, 0.6, n_agencies)[agency]
    answers = np.clip(np.rint(3.6 + level[:, None] + rng.normal(0, 1, (n, len(CRITERIA)))), 1, 5)
    u = rng.random((n, len(CRITERIA)))
    cells = answers.astype(np.int64).astype(str)
    cells[u < 0.05] = ""
    cells[(u >= 0.05) & (u < 0.10)] = "0"
    channels = np.array(["direct", "online", "post"])[rng.integers(0, 3, n)]
    provinces = np.char.zfill(rng.integers(1, 64, n).astype(str), 2)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agency", "N", "channel", "province", *CRITERIA])
        names = np.char.add("AG-", np.char.zfill(agency.astype(str), 4))
        for i in range(n):
            writer.writerow([names[i], population[agency[i]], channels[i], provinces[i], *cells[i]])


def run(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one fresh process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{command[:3]} failed with exit code {child.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def check_agreement(ours: Path, theirs: Path) -> int:
    """Both sides' estimates and SEs agree on every (domain, node); returns the row count."""
    with (ours / "indices.csv").open(encoding="utf-8") as handle:
        mine = {(r["agency"], r["node"]): r for r in csv.DictReader(handle)}
    with (theirs / "indices.json").open(encoding="utf-8") as handle:
        plain = json.load(handle)["rows"]
    assert len(plain) == len(mine), (len(plain), len(mine))
    for row in plain:
        got = mine[(row["agency"], row["node"])]
        for field in ("estimate", "se"):
            assert abs(float(got[field]) - row[field]) <= 1e-9, (row, got)
    json.loads((ours / "indices.json").read_text(encoding="utf-8"))  # well-formed
    return len(plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="responses (default 100,000)")
    parser.add_argument("--agencies", type=int, default=200, help="agencies = strata")
    parser.add_argument("--repeats", type=int, default=5, help="pairs of runs (at least 3)")
    parser.add_argument("--write-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_only:
        write_responses(args.write_only, args.n, args.agencies, seed=13)
        return
    repeats = max(args.repeats, 3)
    with tempfile.TemporaryDirectory(prefix="sipas-bench-analyze-") as tmp:
        work = Path(tmp)
        responses = work / "responses.csv"
        # Written by a child: a fork of a parent holding the data would count it in the
        # children's peak memory (ru_maxrss covers the pages inherited before exec).
        writer = [sys.executable, __file__, "--n", str(args.n), "--agencies", str(args.agencies)]
        subprocess.run([*writer, "--write-only", str(responses)], check=True)
        ours_out, theirs_out = work / "ours", work / "theirs"
        theirs_out.mkdir()
        ours = [str(SIPAS), "analyze", str(responses), "-q", "sipas-standard"]
        ours += ["--strata", "agency", "--fpc", "N", "--by", "agency", "--out", str(ours_out)]
        theirs = [sys.executable, "-c", BASELINE_SCRIPT, str(responses), str(theirs_out)]
        theirs += [str(BASELINES), json.dumps(ELEMENTS)]
        print(
            f"sipas analyze vs plain numpy script: {args.n:,} responses "
            f"({responses.stat().st_size / 1e6:.1f} MB), {args.agencies} agencies, "
            f"{len(CRITERIA)} criteria; {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}"
        )
        print(f"load before: {load()}")
        names = ("sipas analyze", "numpy script")
        times: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        peaks: dict[str, list[float]] = {name: [] for name in names}
        for r in range(repeats):
            for name, command in zip(names, (ours, theirs), strict=True):
                seconds, cpu_seconds, peak = run(command)
                times[name].append(seconds)
                cpu[name].append(cpu_seconds)
                peaks[name].append(peak)
            if r == 0:
                rows = check_agreement(ours_out, theirs_out)
                print(f"both sides agree on {rows:,} estimates and SEs (1e-9)")
            print(
                f"  pair {r + 1}: sipas analyze {times[names[0]][-1]:.2f} s "
                f"(cpu {cpu[names[0]][-1]:.2f}), numpy script {times[names[1]][-1]:.2f} s "
                f"(cpu {cpu[names[1]][-1]:.2f}) (load {load()})"
            )
        size = (ours_out / "indices.json").stat().st_size / 1e6
        for name in names:
            print(
                f"{name:14s} median {statistics.median(times[name]):.2f} s "
                f"(min {min(times[name]):.2f}, max {max(times[name]):.2f}), "
                f"cpu median {statistics.median(cpu[name]):.2f} s, "
                f"peak {max(peaks[name]):.0f} MB"
            )
        print(f"indices.json {size:.1f} MB; load after: {load()}")
        for what, figures in (("wall", times), ("cpu", cpu)):
            ratio = statistics.median(figures[names[0]]) / statistics.median(figures[names[1]])
            print(f"ratio sipas analyze / numpy script ({what}): {ratio:.2f}x (target <= 1.5x)")
        # On a loaded machine the wall times mostly measure the wait for a core; the CPU
        # times say what each side costs.


if __name__ == "__main__":
    main()
