"""Coverage of 95% intervals for SIPAS indices over repeated stratified samples.

A synthetic population of 48 agencies (strata) of 600-2,000 citizens each, whose true overall
indices run from about 0.5 to 0.975 and criterion shares up to 0.99; each replication draws a
stratified simple random sample without replacement of 30, 50 or 100 respondents per agency,
estimates the indices by agency with the default interval (``DEFAULT_CI_METHOD``, the logit
interval with the exact fallback for unanimous cells) and records whether each interval covers
the agency's true index. 500 seeded replications (about a minute); the table is printed
(``pytest -s -m slow tests/analysis/test_coverage_simulation.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from analysis.design import SurveyDesign
from analysis.indices import DEFAULT_CI_METHOD, estimate_indices
from analysis.intervals import exact_bounds_for_unanimous, proportion_interval_bounds
from analysis.questionnaire_tree import SIPAS_STANDARD

N_AGENCIES = 48
N_REPLICATIONS = 500
SAMPLE_SIZES = (30, 50, 100)
TRUTH_BANDS = ((0.0, 0.9), (0.9, 0.95), (0.95, 0.97), (0.97, 1.0))


def _population(rng: np.random.Generator) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    sizes = rng.integers(600, 2000, N_AGENCIES)
    agency = np.repeat(np.arange(N_AGENCIES), sizes)
    n_criteria = len(SIPAS_STANDARD.criteria)
    element = np.asarray(SIPAS_STANDARD.element_of_criterion())
    # 16 agency levels, each at every sample size: true overall indices 0.5 .. 0.975
    level = np.tile(np.linspace(-0.4, 1.5, 16), len(SAMPLE_SIZES))[agency][:, None]
    person = rng.normal(0.0, 0.6, agency.size)[:, None]
    criterion = rng.normal(0.0, 0.25, n_criteria)[None, :]
    noise = rng.normal(0.0, 0.7, (agency.size, n_criteria))
    y = np.clip(np.round(3.9 + level + person + criterion + noise), 1, 5)
    # item non-response, much more frequent for the feedback element (few people complain)
    missing = rng.random(y.shape) < np.where(element == 4, 0.3, 0.04)[None, :]
    y[missing] = np.nan
    return agency, y


def _truth(agency: NDArray[np.int64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """True index of every node (overall, elements, criteria) of every agency, (A, N)."""
    element = np.asarray(SIPAS_STANDARD.element_of_criterion())
    valid = ~np.isnan(y)
    shares = np.empty((N_AGENCIES, y.shape[1]))
    for c in range(y.shape[1]):
        shares[:, c] = np.bincount(agency, weights=(y[:, c] >= 4), minlength=N_AGENCIES) / (
            np.bincount(agency, weights=valid[:, c], minlength=N_AGENCIES)
        )
    elements = np.column_stack([shares[:, element == e].mean(axis=1) for e in range(5)])
    return np.column_stack([elements.mean(axis=1), elements, shares])


@pytest.mark.slow
def test_default_interval_covers_indices_up_to_097_in_domains_of_30() -> None:
    rng = np.random.default_rng(20261209)
    agency, y = _population(rng)
    truth = _truth(agency, y)
    population_size = np.bincount(agency)
    sample_size = np.repeat(SAMPLE_SIZES, 16)
    start = np.concatenate([[0], np.cumsum(population_size)[:-1]])
    methods = (DEFAULT_CI_METHOD, "beta", "xlogit")
    covered = {m: np.zeros(truth.shape) for m in methods}
    for _ in range(N_REPLICATIONS):
        # rank of each unit within its agency under a fresh random order -> SRSWOR of n_h
        order = np.argsort(agency + rng.random(agency.size))
        rank = np.empty(agency.size, dtype=np.int64)
        rank[order] = np.arange(agency.size) - start[agency[order]]
        chosen = rank < sample_size[agency]
        strata = agency[chosen]
        design = SurveyDesign.from_columns(strata=strata, fpc=population_size[strata].astype(float))
        table = estimate_indices(design, y[chosen], SIPAS_STANDARD, domain=strata)
        covered[DEFAULT_CI_METHOD] += (table.ci_lower <= truth) & (truth <= table.ci_upper)
        df = np.broadcast_to(table.df[:, None], truth.shape).ravel()
        for method in methods[1:]:
            lo, hi = proportion_interval_bounds(
                table.estimate.ravel(),
                table.se.ravel() ** 2,
                method=method,  # type: ignore[arg-type]
                df=df,
                n=table.n_respondents.ravel(),
            )
            lo, hi = exact_bounds_for_unanimous(
                table.estimate.ravel(),
                table.se.ravel() ** 2,
                table.n_respondents.ravel(),
                0.95,
                lo,
                hi,
            )
            inside = (lo.reshape(truth.shape) <= truth) & (truth <= hi.reshape(truth.shape))
            covered[method] += inside
    n_elements = len(SIPAS_STANDARD.elements)
    kinds = {
        "overall+elements": slice(0, 1 + n_elements),
        "criteria": slice(1 + n_elements, truth.shape[1]),
    }
    lines = [f"\ncoverage of 95% intervals, {N_REPLICATIONS} stratified samples (cells)"]
    lines.append(f"{'nodes':17s} {'n':>4s} {'truth':>11s} " + " ".join(f"{m:>7s}" for m in methods))
    failures = []
    for kind, cols in kinds.items():
        for n in SAMPLE_SIZES:
            for lo_t, hi_t in TRUTH_BANDS:
                cell = (sample_size == n)[:, None] & (truth[:, cols] > lo_t)
                cell &= truth[:, cols] <= hi_t
                if not cell.any():
                    continue
                cov = {m: float(covered[m][:, cols][cell].mean() / N_REPLICATIONS) for m in methods}
                lines.append(
                    f"{kind:17s} {n:4d} {lo_t:.2f}-{hi_t:.2f} "
                    + " ".join(f"{cov[m]:7.3f}" for m in methods)
                    + f"  ({int(cell.sum())})"
                )
                default = cov[DEFAULT_CI_METHOD]
                # The brief: indices up to 0.97 within [0.93, 0.97]; criterion shares (0/1
                # answers, exact fallback when unanimous) may be a little conservative.
                upper = 0.97 if kind == "overall+elements" else 0.98
                if hi_t <= 0.97 and not 0.93 <= default <= upper:
                    failures.append((kind, n, lo_t, hi_t, default))
    print("\n".join(lines))
    assert not failures, failures
