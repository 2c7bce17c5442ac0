"""Tests of systematic PPS selection with certainty units and of the two-stage design."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.typing import NDArray

from sampling.errors import DesignError, FrameError
from sampling.pps import draw_pps_systematic, draw_two_stage, pps_inclusion_probs
from tests.sampling.test_draws import design_chi_square

FloatArray = NDArray[np.float64]


def test_certainty_units_are_found_iteratively() -> None:
    # Hand-worked: X = 200, n = 3 -> interval 66.7, PSU 0 (100) is certain; then X = 100, n = 2
    # -> interval 50, PSU 1 (60) is certain; then X = 40, n = 1 -> pi = 10/40 for the rest.
    probs = pps_inclusion_probs([100, 60, 10, 10, 10, 10], 3)
    np.testing.assert_allclose(probs.inclusion_prob, [1, 1, 0.25, 0.25, 0.25, 0.25])
    assert probs.is_certainty.tolist() == [True, True, False, False, False, False]


def test_probabilities_are_n_x_over_x_per_stratum() -> None:
    size = np.array([5, 3, 2, 8, 0, 4, 6, 1.5])
    stratum = np.array(["N", "N", "N", "N", "S", "S", "S", "S"])
    probs = pps_inclusion_probs(size, {"N": 2, "S": 1}, stratum=stratum)
    expected = np.array([10 / 18, 6 / 18, 4 / 18, 16 / 18, 0, 4 / 11.5, 6 / 11.5, 1.5 / 11.5])
    np.testing.assert_allclose(probs.inclusion_prob, expected)
    assert not probs.is_certainty.any()


def pps_joint(size_sorted: FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
    """pi and pi_ij of systematic PPS (no certainty units) by enumerating the random start.

    The selected set only changes where the start crosses a fractional part of a cumulative
    probability, so it is constant on each interval between sorted breakpoints; the interval's
    length is its probability. Written independently of the library's vectorised code.
    """
    pi = n * size_sorted / size_sorted.sum()
    cum = np.concatenate(([0.0], np.cumsum(pi)))
    breaks = np.unique(np.concatenate(([0.0, 1.0], np.mod(cum, 1.0))))
    joint = np.zeros((pi.size, pi.size))
    for lo, hi in itertools.pairwise(breaks):
        u = (lo + hi) / 2
        chosen = []
        for j in range(n):
            point = u + j
            for i in range(pi.size):
                if cum[i] <= point < cum[i + 1]:
                    chosen.append(i)
        joint[np.ix_(chosen, chosen)] += hi - lo
    return np.diag(joint).copy(), joint


@pytest.mark.slow
def test_pps_inclusion_frequencies_match_design() -> None:
    ids = np.array([101, 102, 103, 104, 105, 106, 107, 108, 109])
    size = np.array([40.0, 3.0, 7.0, 5.0, 12.0, 2.0, 9.0, 6.0, 4.0])
    draws = 2000
    samples = [draw_pps_systematic(ids, size, 4, seed=s) for s in range(draws)]
    counts = np.zeros(ids.size)
    for s in samples:
        np.add.at(counts, s.index, 1.0)
    # PSU 101 (40 of 88, interval 22) is certain; the other 3 are systematic PPS on the rest,
    # in id order (which is the given order here).
    assert counts[0] == draws
    pi_rest, joint_rest = pps_joint(size[1:], 3)
    np.testing.assert_allclose(pi_rest, 3 * size[1:] / 48)
    assert design_chi_square(counts[1:], draws, pi_rest, joint_rest) > 1e-3
    np.testing.assert_allclose(samples[0].inclusion_prob[1:], pi_rest[samples[0].index[1:] - 1])
    # A plain "n x / X" without the certainty step is rejected by the same test.
    naive = np.minimum(4 * size[1:] / size.sum(), 1.0)
    assert design_chi_square(counts[1:], draws, naive, np.outer(naive, naive)) < 1e-9


def test_pps_with_sort_keys_and_strata_is_order_free() -> None:
    rng = np.random.default_rng(4)
    ids = np.array([f"X{i:03d}" for i in range(60)])
    size = rng.integers(1, 50, 60).astype(float)
    stratum = rng.integers(0, 3, 60)
    district = rng.integers(0, 5, 60)
    a = draw_pps_systematic(
        ids, size, {0: 4, 1: 3, 2: 5}, stratum=stratum, sort_keys={"d": district}, seed=9
    )
    perm = rng.permutation(60)
    b = draw_pps_systematic(
        ids[perm],
        size[perm],
        {0: 4, 1: 3, 2: 5},
        stratum=stratum[perm],
        sort_keys={"d": district[perm]},
        seed=9,
    )
    np.testing.assert_array_equal(a.psu_id, b.psu_id)
    assert a.record == b.record
    assert np.bincount(a.stratum).tolist() == [4, 3, 5]
    np.testing.assert_allclose(a.weight, 1 / a.inclusion_prob)


@pytest.mark.slow
def test_two_stage_is_self_weighting_and_unbiased() -> None:
    # Communes of varying size; dossiers have a 0/1 "satisfied" value. With M_i as the measure of
    # size and m <= M_i every dossier has pi = n m / X; the Horvitz–Thompson total over many
    # draws must match the true total (z-test against the simulation standard error).
    rng = np.random.default_rng(12)
    commune_size = rng.integers(8, 80, 40)
    psu = np.repeat(np.arange(40) + 1000, commune_size)
    ids = np.arange(psu.size) * 3 + 7
    satisfied = rng.random(psu.size) < np.repeat(rng.uniform(0.5, 0.95, 40), commune_size)
    n_psu, m = 6, 5
    estimates = []
    for seed in range(600):
        s = draw_two_stage(ids, psu, n_psu, m, seed=seed, n_reserve=2)
        main = ~s.is_reserve
        np.testing.assert_allclose(s.inclusion_prob[main], n_psu * m / psu.size)
        assert main.sum() == n_psu * m
        estimates.append(np.sum(s.weight[main] * satisfied[s.index[main]]))
    est = np.asarray(estimates)
    z = (est.mean() - satisfied.sum()) / (est.std(ddof=1) / np.sqrt(est.size))
    assert abs(z) < 3.5


def test_two_stage_with_certainty_and_small_psus() -> None:
    psu = np.array([1] * 200 + [2] * 3 + [3] * 20 + [4] * 25 + [5] * 30)
    stratum = np.array(["P"] * 203 + ["Q"] * 75)
    ids = np.arange(psu.size)
    s = draw_two_stage(ids, psu, {"P": 2, "Q": 1}, 4, stratum=stratum, seed=3)
    # Stratum P has 2 PSUs and asks for 2: both certain; PSU 2 has only 3 dossiers (take-all).
    assert sorted(s.psus.psu_id[s.psus.stratum == "P"].tolist()) == [1, 2]
    np.testing.assert_allclose(s.inclusion_prob[s.psu == 1], 4 / 200)
    np.testing.assert_allclose(s.inclusion_prob[s.psu == 2], 1.0)
    q = s.psu[s.stratum == "Q"]
    assert np.unique(q).size == 1
    assert q.size == 4
    np.testing.assert_allclose(s.inclusion_prob[s.stratum == "Q"], 1 * 4 / 75)
    np.testing.assert_array_equal(ids[s.index], s.unit_id)


def test_errors() -> None:
    with pytest.raises(DesignError, match="stratum 0 asks for 4 PSUs but has only 3"):
        pps_inclusion_probs([1, 0, 2, 3], 4)
    with pytest.raises(FrameError, match="finite and >= 0"):
        draw_pps_systematic([1, 2], [1.0, -2.0], 1, seed=1)
    with pytest.raises(FrameError, match="PSU 7 lies in more than one stratum"):
        draw_two_stage([1, 2, 3], [7, 7, 8], 1, 1, stratum=["a", "b", "b"], seed=1)
    with pytest.raises(DesignError, match="m_per_psu"):
        draw_two_stage([1, 2, 3], [7, 7, 8], 1, 0, seed=1)
