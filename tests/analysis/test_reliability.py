"""Reliability flags: the stated rule, applied in order."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.reliability import ReliabilityRule, flag_cells


def test_flags_follow_the_rule_in_order() -> None:
    n = np.array([10, 50, 50, 50, 50, 29])
    estimate = np.array([0.8, 0.8, 0.1, 0.8, np.nan, 0.5])
    se = np.array([0.01, 0.02, 0.03, 0.12, np.nan, 0.2])
    lower, upper = estimate - 2 * se, estimate + 2 * se
    flags = flag_cells(n, estimate, se, lower, upper, ReliabilityRule(30, 0.2))
    # few respondents beats everything; CV 0.3 and 0.15 are above / below 0.2
    assert flags.tolist() == ["suppressed", "ok", "unreliable", "ok", "suppressed", "suppressed"]


def test_ci_width_limit_is_optional() -> None:
    n = np.array([100, 100])
    estimate = np.array([0.9, 0.9])
    se = np.array([0.02, 0.06])
    lower, upper = estimate - 2 * se, estimate + 2 * se
    assert flag_cells(n, estimate, se, lower, upper).tolist() == ["ok", "ok"]
    with_width = ReliabilityRule(max_ci_width=0.2)
    assert flag_cells(n, estimate, se, lower, upper, with_width).tolist() == ["ok", "unreliable"]
    assert "wider than 0.2" in with_width.describe()
    assert "fewer than 30" in with_width.describe()


def test_rule_rejects_nonsense_thresholds() -> None:
    with pytest.raises(ValueError, match="max_cv"):
        ReliabilityRule(max_cv=0)
    with pytest.raises(ValueError, match="min_respondents"):
        ReliabilityRule(min_respondents=-1)
