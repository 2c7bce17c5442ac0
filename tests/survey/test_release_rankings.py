"""Rank intervals simulated from stored estimates and SEs: order, coverage of clear cases, tiers."""

from __future__ import annotations

import numpy as np
import pytest

from survey.release_rankings import rank_estimates


def test_well_separated_domains_have_exact_ranks_and_own_tiers() -> None:
    ranks = rank_estimates(["b", "a", "c"], [0.60, 0.90, 0.30], [0.005, 0.005, 0.005])
    assert [r.domain for r in ranks] == ["a", "b", "c"]
    assert [(r.rank, r.rank_lower, r.rank_upper) for r in ranks] == [
        (1, 1, 1),
        (2, 2, 2),
        (3, 3, 3),
    ]
    assert [r.tier for r in ranks] == [1, 2, 3]


def test_overlapping_domains_share_rank_intervals_and_a_tier() -> None:
    ranks = rank_estimates(["x", "y", "z"], [0.71, 0.70, 0.40], [0.03, 0.03, 0.01])
    x, y, z = ranks
    assert (x.rank_lower, x.rank_upper) == (1, 2) and (y.rank_lower, y.rank_upper) == (1, 2)
    assert (z.rank_lower, z.rank_upper) == (3, 3)
    assert [r.tier for r in ranks] == [1, 1, 2]


def test_same_inputs_same_intervals_and_ties_broken_by_name() -> None:
    est, se = [0.5, 0.5, 0.52, 0.48], [0.02, 0.02, 0.02, 0.02]
    first = rank_estimates(["d", "c", "b", "a"], est, se)
    again = rank_estimates(["d", "c", "b", "a"], est, se)
    assert first == again
    assert [r.domain for r in first] == ["b", "c", "d", "a"]  # c before d at 0.5: by name


def test_interval_matches_the_normal_approximation_for_two_domains() -> None:
    # P(second beats first) = Phi(-d / sqrt(2) se): d = 0.02, se = 0.02 -> 0.24, inside 2.5-97.5 %.
    ranks = rank_estimates(["p", "q"], [0.52, 0.50], [0.02, 0.02], n_draws=20000, seed=1)
    assert (ranks[0].rank_lower, ranks[0].rank_upper) == (1, 2)
    # d = 0.2 -> P = Phi(-7.07): never; both ranks fixed.
    ranks = rank_estimates(["p", "q"], [0.70, 0.50], [0.02, 0.02], n_draws=20000, seed=1)
    assert (ranks[0].rank_lower, ranks[0].rank_upper) == (1, 1)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        rank_estimates(["a"], [0.5, 0.6], [0.1, 0.1])
    with pytest.raises(ValueError, match="finite"):
        rank_estimates(["a", "b"], [0.5, np.nan], [0.1, 0.1])
    assert rank_estimates([], [], []) == []
