"""Tests of allocation to strata and of the expected-precision preview.

No published worked example is reproduced here: the Neyman and proportional examples below are
constructed from the formulas of Cochran (1977), §5.3 and eq. 5.26, and worked by hand in the
comments. The take-all behaviour is checked against an independent implementation of the
iterative procedure of Cochran (1977), §5.8, and Neyman's optimality by direct comparison of
variances.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats

from sampling.allocation import (
    allocate,
    allocate_equal,
    allocate_neyman,
    allocate_power,
    allocate_proportional,
    expected_precision,
)
from sampling.errors import DesignError
from sampling.sample_size import sample_size_proportion

FloatArray = NDArray[np.float64]


def test_proportional_exact() -> None:
    a = allocate_proportional(100, [100, 200, 700], labels=["a", "b", "c"])
    assert a.n.tolist() == [10, 20, 70]
    assert a.sizes_by_stratum() == {"a": 10, "b": 20, "c": 70}
    assert a.method == "proportional"


def test_proportional_reproduces_lohr_example_3_2() -> None:
    """Lohr, *Sampling: Design and Analysis* (3rd ed., 2021), Example 3.2: 300 of the 3,078
    counties of the 1992 Census of Agriculture, stratified by region with proportional allocation,
    gives NE 21, NC 103, S 135, W 41 (the published `agstrat` sample; its weights are N_h / n_h,
    e.g. 1054 / 103 = 10.23301 for NC)."""
    a = allocate_proportional(300, [220, 1054, 1382, 422], labels=["NE", "NC", "S", "W"])
    assert a.sizes_by_stratum() == {"NE": 21, "NC": 103, "S": 135, "W": 41}


def test_largest_remainder_keeps_total() -> None:
    # 10 * (1/3, 1/3, 1/3) = 3.33 each: floors 3+3+3, the one spare unit goes to the first tie.
    assert allocate_proportional(10, [10, 10, 10]).n.tolist() == [4, 3, 3]
    # 20 * (13, 27, 60)/100 = 2.6, 5.4, 12.0 -> floors 2, 5, 12 (19); largest remainder 0.6.
    assert allocate_proportional(20, [13, 27, 60]).n.tolist() == [3, 5, 12]


def test_neyman_constructed_example() -> None:
    # Cochran (1977) eq. 5.26, n_h = n N_h S_h / sum N_h S_h, with N = (400, 300, 300),
    # S = (10, 20, 5), n = 100: N S = (4000, 6000, 1500), sum 11500, shares 34.78, 52.17, 13.04
    # -> floors 34, 52, 13 (99) -> the spare unit to the largest remainder (0.78) -> 35, 52, 13.
    a = allocate_neyman(100, [400, 300, 300], sd=[10, 20, 5])
    np.testing.assert_allclose(a.n_continuous, [4000 / 115, 6000 / 115, 1500 / 115])
    assert a.n.tolist() == [35, 52, 13]
    # For proportions S_h = sqrt(p (1 - p)); p = 0.5 everywhere reduces to proportional.
    b = allocate_neyman(100, [400, 300, 300], p=0.5)
    assert b.n.tolist() == allocate_proportional(100, [400, 300, 300]).n.tolist()
    # Optimum allocation with costs: n_h ∝ N_h S_h / sqrt(c_h) (Cochran 1977, Theorem 5.8).
    c = allocate_neyman(100, [400, 300, 300], sd=[10, 20, 5], cost=[4, 1, 1])
    np.testing.assert_allclose(c.n_continuous, 100 * np.array([2000, 6000, 1500]) / 9500)


def cochran_iterative(total: int, share: FloatArray, pop: FloatArray) -> FloatArray:
    """Cochran (1977) §5.8: take-all for strata whose allocation exceeds N_h, then repeat."""
    n = np.zeros(share.size)
    fixed = np.zeros(share.size, dtype=bool)
    while True:
        left = total - pop[fixed].sum()
        n[~fixed] = left * share[~fixed] / share[~fixed].sum()
        over = ~fixed & (n > pop)
        if not over.any():
            n[fixed] = pop[fixed]
            return n
        fixed |= over


def test_take_all_matches_cochran_iterative_procedure() -> None:
    rng = np.random.default_rng(2024)
    for _ in range(200):
        strata = int(rng.integers(2, 30))
        pop = rng.integers(1, 400, strata).astype(float)
        sd = rng.uniform(0.05, 0.5, strata)
        # Very unequal shares push several strata over N_h.
        sd[rng.random(strata) < 0.2] *= 40
        total = int(rng.integers(1, int(pop.sum())))
        a = allocate_neyman(total, pop, sd=sd)
        np.testing.assert_allclose(
            a.n_continuous, cochran_iterative(total, pop * sd, pop), rtol=1e-9, atol=1e-7
        )
        assert a.n.sum() == total
        assert np.all(a.n <= pop)
        assert np.all(np.abs(a.n - a.n_continuous) < 1)
        assert np.array_equal(a.take_all, a.n == pop)


def stratified_variance(n: FloatArray, pop: FloatArray, sd: FloatArray) -> float:
    """Cochran (1977) eq. 5.6 for the estimated population total."""
    return float(np.sum(pop**2 * sd**2 / n * (1 - n / pop)))


def test_neyman_minimises_variance() -> None:
    pop = np.array([5000.0, 3000.0, 1200.0, 800.0])
    sd = np.array([0.3, 0.5, 0.45, 0.2])
    ney = allocate_neyman(400, pop, sd=sd).n_continuous
    best = stratified_variance(ney, pop, sd)
    assert best < stratified_variance(allocate_proportional(400, pop).n_continuous, pop, sd)
    assert best < stratified_variance(allocate_equal(400, pop).n_continuous, pop, sd)
    rng = np.random.default_rng(1)
    for _ in range(100):
        shift = rng.normal(0, 5, 4)
        shift -= shift.mean()
        assert best <= stratified_variance(ney + shift, pop, sd) + 1e-9


def test_power_allocation_limits() -> None:
    pop = [100_000, 20_000, 3_000, 500]
    # Bankier (1988): q = 1 is proportional, q = 0 is equal allocation.
    assert allocate_power(600, pop, q=1.0).n.tolist() == allocate_proportional(600, pop).n.tolist()
    assert allocate_power(600, pop, q=0.0).n.tolist() == allocate_equal(600, pop).n.tolist()
    half = allocate_power(600, pop, q=0.5)
    np.testing.assert_allclose(half.n_continuous, 600 * np.sqrt(pop) / np.sqrt(pop).sum())
    # X^q CV = (2, 2, 1, 2) for X = (4, 4, 1, 1), q = 1/2, CV = (1, 1, 1, 2).
    cv = allocate_power(600, pop, q=0.5, cv=[1, 1, 1, 2], size=[4, 4, 1, 1])
    np.testing.assert_allclose(cv.n_continuous, 600 * np.array([2, 2, 1, 2]) / 7)


def test_bounds_are_respected() -> None:
    pop = np.array([10_000, 5_000, 300, 40, 12])
    a = allocate_proportional(500, pop, min_size=30, max_size=250)
    assert a.n.sum() == 500
    assert np.all(a.n >= np.minimum(30, pop))
    assert np.all(a.n <= np.minimum(250, pop))
    # The stratum of 12 cannot reach the minimum of 30: it is taken whole.
    assert a.n[-1] == 12
    assert a.take_all.tolist() == [False, False, False, False, True]
    # Equal allocation spills the small strata's surplus to the others.
    e = allocate_equal(100, [1000, 1000, 5])
    assert e.n.tolist() == [48, 47, 5]
    # Zero-share strata still get units when every other stratum is full.
    z = allocate(12, [5, 10], [1.0, 0.0], max_size=[5, 10])
    assert z.n.tolist() == [5, 7]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total": 2000}, "larger than the population"),
        ({"total": 50, "min_size": 30}, "minimums add up to 90"),
        ({"total": 100, "max_size": 20}, "cap the sample at 60"),
        ({"total": 50, "min_size": [1, 30, 1], "max_size": [9, 20, 9]}, "stratum 'b'"),
        ({"total": -1}, "non-negative"),
        ({"total": 50, "min_size": [-1, 0, 0]}, "negative"),
    ],
)
def test_impossible_allocations(kwargs: dict[str, object], message: str) -> None:
    total = kwargs.pop("total")
    with pytest.raises(DesignError, match=message):
        allocate_proportional(total, [400, 300, 300], labels=["a", "b", "c"], **kwargs)  # type: ignore[arg-type]


def test_expected_precision_matches_hypergeometric_variance() -> None:
    # Independent reference: the SRSWOR variance of a sample proportion is the hypergeometric
    # variance of the count divided by n^2.
    pop = np.array([200, 1000, 60])
    n = np.array([50, 80, 60])
    prec = expected_precision(n, pop, p=[0.5, 0.8, 0.5], domain=["x", "x", "y"])
    ref = np.array(
        [
            np.sqrt(stats.hypergeom(200, 100, 50).var()) / 50,
            np.sqrt(stats.hypergeom(1000, 800, 80).var()) / 80,
            0.0,
        ]
    )
    np.testing.assert_allclose(prec.se, ref, atol=1e-12)
    np.testing.assert_allclose(prec.margin, 1.959964 * ref, rtol=1e-6)
    # Domain x = strata 0 and 1: V = sum (N_h / N_x)^2 V_h (Cochran 1977, eq. 5.6).
    vx = (200 / 1200) ** 2 * ref[0] ** 2 + (1000 / 1200) ** 2 * ref[1] ** 2
    assert prec.domain.tolist() == ["x", "y"]
    np.testing.assert_allclose(prec.domain_se, [np.sqrt(vx), 0.0])
    v_all = (200**2 * ref[0] ** 2 + 1000**2 * ref[1] ** 2) / 1260**2
    assert prec.overall_se == pytest.approx(np.sqrt(v_all))


def test_precision_agrees_with_sample_size() -> None:
    for population in (300, 5000, 10**6):
        n = sample_size_proportion(0.04, population=population).n_respondents
        prec = expected_precision([n], [population])
        assert prec.margin[0] <= 0.04 + 1e-12
        assert expected_precision([n - 1], [population]).margin[0] > 0.04


def test_precision_with_empty_sample_is_infinite() -> None:
    prec = expected_precision([0, 10], [50, 50])
    assert np.isinf(prec.se[0])
    assert np.isinf(prec.overall_se)


def test_a_minimum_above_a_stratum_takes_it_whole() -> None:
    # min 60 with no maximum: the stratum of 48 is taken whole, the rest shared in proportion.
    a = allocate_proportional(200, [1000, 48, 500], min_size=60, labels=["a", "b", "c"])
    assert a.n.tolist()[1] == 48
    assert a.take_all.tolist() == [False, True, False]
    assert a.n.sum() == 200
    # 152 left for a and c: in proportion 1000:500 c would get 50.7, under its minimum of 60,
    # so c gets 60 and a the remaining 92.
    assert a.n.tolist() == [92, 48, 60]
    # Every allocation method reaches the same bound check.
    assert allocate_equal(200, [1000, 48, 500], min_size=60).n.tolist() == [76, 48, 76]
    # A maximum above N_h is capped at N_h too, so min 60 / max 500 on 48 units is still take-all.
    assert allocate_proportional(200, [1000, 48, 500], min_size=60, max_size=500).n[1] == 48
    # A maximum the caller set below what the minimum asks for is still a contradiction.
    with pytest.raises(DesignError, match=r"min_size \(60\) exceeds max_size \(40\)"):
        allocate_proportional(200, [1000, 48, 500], min_size=60, max_size=40)
