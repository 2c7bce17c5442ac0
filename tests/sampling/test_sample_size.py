"""Tests of sample sizes for a proportion (Cochran 1977, §4.4)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sampling.errors import DesignError
from sampling.sample_size import sample_size_by_domain, sample_size_proportion, z_value


def test_classic_385() -> None:
    # n0 = 1.95996^2 * 0.25 / 0.05^2 = 384.15 -> 385, the figure quoted for ±5 points at 95 %
    # with p = 0.5 in every survey-methods text.
    size = sample_size_proportion(0.05)
    assert size.n0 == pytest.approx(384.1459, abs=1e-4)
    assert size.n_respondents == 385
    assert size.n_issued == 385


@pytest.mark.parametrize(
    ("population", "expected"), [(100, 80), (1000, 278), (5000, 357), (10000, 370)]
)
def test_krejcie_morgan_table(population: int, expected: int) -> None:
    # Krejcie & Morgan (1970), "Determining sample size for research activities", Educational
    # and Psychological Measurement 30, 607-610, Table 1 (chi-square 3.841, P = .5, d = .05);
    # their formula chi2 N P(1-P) / (d^2 (N-1) + chi2 P(1-P)) equals Cochran's n0 / (1 +
    # (n0 - 1)/N). Only rows where rounding up and to-nearest agree are used.
    assert sample_size_proportion(0.05, population=population).n_respondents == expected


@pytest.mark.parametrize("population", [60, 500, 2_000, 50_000])
@pytest.mark.parametrize("margin", [0.03, 0.05, 0.1])
def test_smallest_n_meeting_margin_under_hypergeometric_variance(
    population: int, margin: float
) -> None:
    # Independent check: the exact SRSWOR variance of the sample count of "satisfied" people,
    # from scipy's hypergeometric distribution, gives the achieved margin; n is the smallest size
    # meeting the target.
    half = population // 2
    z = float(stats.norm.ppf(0.975))

    def achieved(n: int) -> float:
        return z * float(np.sqrt(stats.hypergeom(population, half, n).var())) / n

    n = sample_size_proportion(margin, population=population).n_respondents
    assert achieved(n) <= margin + 1e-12
    assert n == 1 or achieved(n - 1) > margin


def test_deff_and_response_rate() -> None:
    size = sample_size_proportion(0.05, deff=2.0, response_rate=0.5)
    assert size.n_respondents == int(np.ceil(384.14588 * 2))
    assert size.n_issued == int(np.ceil(384.14588 * 2 / 0.5))
    z90 = sample_size_proportion(0.05, confidence=0.90, p=0.8)
    assert z90.n0 == pytest.approx(1.644854**2 * 0.16 / 0.0025, rel=1e-6)


def test_take_all_when_population_is_small() -> None:
    size = sample_size_proportion(0.05, population=50, deff=2.0, response_rate=0.6)
    assert size.take_all
    assert size.n_issued == 50
    assert size.n_respondents == 50


def test_by_domain_every_agency_reaches_its_margin() -> None:
    result = sample_size_by_domain(
        0.05, ["ubnd-xa-a", "ubnd-xa-b", "so-tn-mt"], [120, 4000, 90000], p=[0.5, 0.8, 0.5]
    )
    singles = [
        sample_size_proportion(0.05, p=p, population=n).n_respondents
        for p, n in ((0.5, 120), (0.8, 4000), (0.5, 90000))
    ]
    assert result.n_respondents.tolist() == singles
    assert result.total_respondents == sum(singles)
    assert result.overall.n_respondents < result.total_respondents
    assert result.overall.population == 94120


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"margin": 0.0}, "margin"),
        ({"margin": 0.05, "p": 1.0}, "p must"),
        ({"margin": 0.05, "deff": 0.0}, "deff"),
        ({"margin": 0.05, "response_rate": 0.0}, "response_rate"),
        ({"margin": 0.05, "confidence": 95}, "confidence"),
        ({"margin": 0.05, "population": 0}, "population"),
    ],
)
def test_invalid_requests(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(DesignError, match=message):
        sample_size_proportion(**kwargs)  # type: ignore[arg-type]


def test_z_value() -> None:
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
