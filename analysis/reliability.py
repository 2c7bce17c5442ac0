"""Reliability flags for published cells: suppress small cells, warn on imprecise ones.

The rule is stated, configurable and applied in this order, the first match winning:

1. ``suppressed`` - fewer than ``min_respondents`` respondents count towards the cell, or it has
   no estimate at all. The estimate should not be published.
2. ``unreliable`` - the coefficient of variation se / estimate exceeds ``max_cv``, or the
   confidence interval is wider than ``max_ci_width`` (when set). Publish with a warning.
3. ``ok`` - otherwise.

The defaults (30 respondents, CV 0.2, no width limit) follow the common practice of national
statistics offices of suppressing estimates from fewer than about 30 units and warning when the
CV passes 16.5-20% (e.g. Statistics Canada's and the ABS's release guidelines). For shares near
100% a CV is small even for poor estimates, which is why a CI-width limit can be added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["FLAGS", "Flag", "ReliabilityRule", "flag_cells"]

Flag = Literal["ok", "unreliable", "suppressed"]
FLAGS: tuple[Flag, ...] = ("ok", "unreliable", "suppressed")


@dataclass(frozen=True)
class ReliabilityRule:
    """Thresholds of the flags (see the module docstring for the order they apply in)."""

    min_respondents: int = 30
    max_cv: float = 0.2
    max_ci_width: float | None = None

    def __post_init__(self) -> None:
        if self.min_respondents < 0:
            raise ValueError(f"min_respondents: {self.min_respondents} must be >= 0")
        if not self.max_cv > 0:
            raise ValueError(f"max_cv: {self.max_cv} must be positive (e.g. 0.2)")
        if self.max_ci_width is not None and not self.max_ci_width > 0:
            raise ValueError(f"max_ci_width: {self.max_ci_width} must be positive (e.g. 0.2)")

    def describe(self) -> str:
        """The rule in one sentence, for reports."""
        unreliable = f"CV (se/estimate) above {self.max_cv:g}"
        if self.max_ci_width is not None:
            unreliable += f" or confidence interval wider than {self.max_ci_width:g}"
        return (
            f"'suppressed' when fewer than {self.min_respondents} respondents count towards the "
            f"cell or it has no estimate; otherwise 'unreliable' when {unreliable}; "
            "otherwise 'ok'."
        )


def flag_cells(
    n_respondents: ArrayLike,
    estimate: ArrayLike,
    se: ArrayLike,
    ci_lower: ArrayLike,
    ci_upper: ArrayLike,
    rule: ReliabilityRule | None = None,
) -> NDArray[np.str_]:
    """Flag every cell ``"ok"``, ``"unreliable"`` or ``"suppressed"`` by ``rule``.

    Parameters
    ----------
    n_respondents, estimate, se, ci_lower, ci_upper : array_like, same shape
    rule : ReliabilityRule, optional
        Defaults to ``ReliabilityRule()``.

    Returns
    -------
    ndarray of str, same shape as the inputs
    """
    rule = rule or ReliabilityRule()
    n = np.asarray(n_respondents)
    est = np.asarray(estimate, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    width = np.asarray(ci_upper, dtype=np.float64) - np.asarray(ci_lower, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(est != 0, s / np.abs(est), np.inf)
    unreliable = ~(cv <= rule.max_cv)  # NaN CV counts as unreliable
    if rule.max_ci_width is not None:
        unreliable |= ~(width <= rule.max_ci_width)
    suppressed = (n < rule.min_respondents) | ~np.isfinite(est)
    flags = np.full(est.shape, "ok", dtype="<U10")
    flags[unreliable] = "unreliable"
    flags[suppressed] = "suppressed"
    return flags
