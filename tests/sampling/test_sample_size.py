"""Tests of sample sizes for a proportion (Cochran 1977, §4.4)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sampling.errors import DesignError
from sampling.sample_size import (
    sample_size_by_domain,
    sample_size_proportion,
    sample_size_yamane,
    z_value,
)


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


@pytest.mark.parametrize(
    ("population", "margin", "n_fpc", "expected"),
    [
        # N / (1 + N e^2) by hand.
        (10_000, 0.05, 10_000 / 26, 385),  # 384.615...
        (400, 0.05, 200.0, 200),  # 400 / 2
        (1_000, 0.03, 1_000 / 1.9, 527),  # 526.315...
        (50, 0.10, 50 / 1.5, 34),  # 33.33...
        (100, 0.10, 50.0, 50),  # exactly 50: no rounding up
    ],
)
def test_yamane_hand_computed(population: int, margin: float, n_fpc: float, expected: int) -> None:
    s = sample_size_yamane(population, margin)
    assert s.n_fpc == pytest.approx(n_fpc, rel=1e-12)
    assert s.n_respondents == s.n_issued == expected
    assert s.n0 == pytest.approx(1 / margin**2)
    assert s.p == 0.5 and s.population == population and not s.take_all
    assert s.confidence == pytest.approx(0.9545, abs=1e-4)


def test_yamane_deff_response_rate_and_census() -> None:
    s = sample_size_yamane(10_000, 0.05, deff=1.5, response_rate=0.6)
    assert s.n_respondents == 577  # ceil(384.615 * 1.5 = 576.92)
    assert s.n_issued == 962  # ceil(576.92 / 0.6 = 961.54)
    small = sample_size_yamane(20, 0.05, response_rate=0.6)
    assert small.n_respondents == 20  # ceil(20 / 1.05 = 19.05)
    assert small.n_issued == 20 and small.take_all


def test_yamane_never_above_cochran_at_z2() -> None:
    # Same n0 = 1/e^2; Yamane corrects by n0/N, Cochran by (n0 - 1)/N.
    for population in (50, 384, 1_000, 250_000):
        cochran = sample_size_proportion(0.05, confidence=0.9544997361036416, population=population)
        assert sample_size_yamane(population, 0.05).n_fpc <= cochran.n_fpc


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"population": 0, "margin": 0.05}, "population"),
        ({"population": 10.5, "margin": 0.05}, "population"),
        ({"population": 100, "margin": 0.0}, "margin"),
        ({"population": 100, "margin": 5}, "margin"),
        ({"population": 100, "margin": 0.05, "response_rate": 0.0}, "response_rate"),
    ],
)
def test_yamane_bad_input_names_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(DesignError) as err:
        sample_size_yamane(**kwargs)  # type: ignore[arg-type]
    assert err.value.loc == (field,)
