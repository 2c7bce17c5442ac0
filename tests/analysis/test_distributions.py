"""analysis.distributions gives scipy.stats' values (the reference) to 1e-12 over a grid.

scipy.stats is imported here only: the product avoids its import (about 0.6 s of CPU at each
``sipas analyze``), so these tests are what ties the cheaper functions to it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import ArrayLike
from scipy import stats

from analysis.distributions import beta_ppf, f_ppf, norm_cdf, norm_ppf, t_ppf, t_sf

# Probabilities from the far tails to the centre, the edges 0 and 1 and invalid ones.
PROBS = np.concatenate(
    [[0.0, 1e-300, 1e-12, 1e-6], np.linspace(0.001, 0.999, 101), [1 - 1e-9, 1.0, -0.1, 1.5, np.nan]]
)
DFS = np.array([-1.0, 0.0, 0.3, 1.0, 1.5, 2.0, 3.0, 7.0, 29.0, 30.0, 199.0, 1e4, 1e7, np.inf])
SHAPES = np.array([-1.0, 0.0, 1e-300, 1e-3, 0.5, 1.0, 1.5, 7.3, 30.0, 1e3, 1e5])


def _reference(function: Callable[..., Any], *args: ArrayLike) -> np.ndarray:
    # scipy.stats warns (as errors here) at extreme shapes where boost loses precision.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(function(*args))


def _same(ours: np.ndarray, reference: np.ndarray) -> None:
    assert ours.shape == reference.shape
    assert np.array_equal(np.isnan(ours), np.isnan(reference))
    assert np.array_equal(np.isinf(ours), np.isinf(reference))
    finite = np.isfinite(reference)
    np.testing.assert_allclose(ours[finite], reference[finite], rtol=1e-12, atol=1e-12)
    assert np.array_equal(
        np.sign(ours[~finite & ~np.isnan(reference)]), np.sign(reference[np.isinf(reference)])
    )


def test_t_quantiles_equal_scipy_stats() -> None:
    q, df = np.meshgrid(PROBS, DFS, indexing="ij")
    _same(t_ppf(q, df), _reference(stats.t.ppf, q, df))
    assert t_ppf(0.0, 5.0) == -np.inf and t_ppf(1.0, 5.0) == np.inf


def test_t_upper_tail_equals_scipy_stats() -> None:
    x = np.concatenate([[-np.inf, -40.0, -3.0, 0.0, 1e-9, 1.96, 12.0, 400.0, np.inf, np.nan]])
    xs, df = np.meshgrid(x, DFS, indexing="ij")
    _same(t_sf(xs, df), _reference(stats.t.sf, xs, df))


def test_normal_quantile_and_distribution_function_equal_scipy_stats() -> None:
    _same(norm_ppf(PROBS), _reference(stats.norm.ppf, PROBS))
    x = np.concatenate([[-np.inf, -40.0], np.linspace(-8, 8, 161), [40.0, np.inf, np.nan]])
    _same(norm_cdf(x), _reference(stats.norm.cdf, x))
    assert float(norm_ppf(0.975)) == pytest.approx(1.959963984540054, abs=1e-15)


def test_beta_quantiles_equal_scipy_stats() -> None:
    q, a, b = np.meshgrid(PROBS, SHAPES, SHAPES, indexing="ij")
    ours, reference = beta_ppf(q, a, b), _reference(stats.beta.ppf, q, a, b)
    # The one corner where they part: q = 1e-300 with b = 1e-300 (a point mass at 1), where
    # betaincinv gives NaN and stats' boost quantile 1. The intervals never ask it (q is
    # alpha / 2 or 1 - alpha / 2).
    corner = (q == 1e-300) & (b == 1e-300) & (a > 7)
    assert np.isnan(ours[corner]).all() and (reference[corner] == 1.0).all()
    _same(ours[~corner], reference[~corner])


def test_f_quantiles_equal_scipy_stats() -> None:
    q, dfn, dfd = np.meshgrid(PROBS, DFS[:-1], DFS[:-1], indexing="ij")
    _same(f_ppf(q, dfn, dfd), _reference(stats.f.ppf, q, dfn, dfd))


def test_scalars_stay_scalars() -> None:
    # As scipy.stats: a 0-d result for scalar arguments, usable with float().
    assert float(t_ppf(0.975, 10)) == pytest.approx(
        float(_reference(stats.t.ppf, 0.975, 10)), rel=1e-15
    )
    assert np.ndim(beta_ppf(0.025, 3.0, 1.0)) == 0
