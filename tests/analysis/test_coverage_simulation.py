"""Coverage of the agency overall-index intervals over repeated stratified samples.

A synthetic population of 60 agencies (strata) with known per-agency truth; each replication
draws a stratified simple random sample without replacement (45 agencies with 50-200
respondents, 15 with 10-45), estimates the SIPAS indices by agency with the default rule and
logit intervals, and records whether each 95% interval covers the agency's true overall index.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.design import SurveyDesign
from analysis.indices import estimate_indices
from analysis.questionnaire_tree import SIPAS_STANDARD

N_AGENCIES = 60
N_REPLICATIONS = 250


def _population(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    sizes = rng.integers(250, 1500, N_AGENCIES)
    agency = np.repeat(np.arange(N_AGENCIES), sizes)
    n_criteria = len(SIPAS_STANDARD.criteria)
    element = np.asarray(SIPAS_STANDARD.element_of_criterion())
    level = rng.normal(0.0, 0.5, N_AGENCIES)[agency][:, None]
    person = rng.normal(0.0, 0.9, agency.size)[:, None]
    criterion = rng.normal(0.0, 0.3, n_criteria)[None, :]
    noise = rng.normal(0.0, 0.8, (agency.size, n_criteria))
    y = np.clip(np.round(3.6 + level + person + criterion + noise), 1, 5)
    # item non-response, much more frequent for the feedback element (few people complain)
    missing = rng.random(y.shape) < np.where(element == 4, 0.35, 0.05)[None, :]
    y[missing] = np.nan
    return agency, y


def _truth(agency: np.ndarray, y: np.ndarray) -> np.ndarray:
    element = np.asarray(SIPAS_STANDARD.element_of_criterion())
    valid = ~np.isnan(y)
    shares = np.empty((N_AGENCIES, y.shape[1]))
    for c in range(y.shape[1]):
        shares[:, c] = np.bincount(agency, weights=(y[:, c] >= 4), minlength=N_AGENCIES) / (
            np.bincount(agency, weights=valid[:, c], minlength=N_AGENCIES)
        )
    element_index = np.column_stack([shares[:, element == e].mean(axis=1) for e in range(5)])
    return element_index.mean(axis=1)


@pytest.mark.slow
def test_agency_intervals_cover_the_truth() -> None:
    rng = np.random.default_rng(20261123)
    agency, y = _population(rng)
    truth = _truth(agency, y)
    population_size = np.bincount(agency)
    sample_size = np.concatenate([rng.integers(50, 201, N_AGENCIES - 15), rng.integers(10, 46, 15)])
    # rank of each unit within its agency under a fresh random order -> SRSWOR of n_h
    covered = np.zeros(N_AGENCIES)
    start = np.concatenate([[0], np.cumsum(population_size)[:-1]])
    for _ in range(N_REPLICATIONS):
        order = np.argsort(agency + rng.random(agency.size))
        rank = np.empty(agency.size, dtype=np.int64)
        rank[order] = np.arange(agency.size) - start[agency[order]]
        chosen = rank < sample_size[agency]
        strata = agency[chosen]
        design = SurveyDesign.from_columns(strata=strata, fpc=population_size[strata].astype(float))
        table = estimate_indices(design, y[chosen], SIPAS_STANDARD, domain=strata)
        inside = (table.ci_lower[:, 0] <= truth) & (truth <= table.ci_upper[:, 0])
        covered += inside
    coverage = covered / N_REPLICATIONS
    large = sample_size >= 50
    large_coverage = coverage[large].mean()
    small_coverage = coverage[~large].mean()
    print(
        f"\ncoverage of 95% logit intervals, agency overall index, {N_REPLICATIONS} samples: "
        f"{large_coverage:.4f} for {large.sum()} agencies with 50-200 respondents; "
        f"{small_coverage:.4f} for {(~large).sum()} agencies with 10-45 respondents"
    )
    assert 0.935 <= large_coverage <= 0.965
