"""Base weights, non-response adjustment and trimming."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.weights import WeightingError, adjust_nonresponse, base_weights, trim_weights


def test_base_weights_are_inverse_probabilities() -> None:
    np.testing.assert_allclose(base_weights([0.5, 0.1, 1.0]), [2.0, 10.0, 1.0])
    with pytest.raises(WeightingError, match="row 1"):
        base_weights([0.5, 1.5])


def test_nonresponse_adjustment_keeps_class_totals() -> None:
    d = np.array([10.0, 10.0, 20.0, 5.0, 5.0, 5.0])
    responded = np.array([True, False, True, True, True, False])
    classes = np.array(["a", "a", "a", "b", "b", "b"])
    adj = adjust_nonresponse(d, responded, classes)
    np.testing.assert_allclose(adj.weights, [40 / 30 * 10, 0, 40 / 30 * 20, 7.5, 7.5, 0])
    for c in ("a", "b"):
        assert adj.weights[classes == c].sum() == pytest.approx(d[classes == c].sum())
    np.testing.assert_allclose(adj.response_rates, [0.75, 2 / 3])


def test_nonresponse_class_without_respondents_is_an_error() -> None:
    with pytest.raises(WeightingError, match="'b' has no respondents"):
        adjust_nonresponse([1.0, 1.0, 1.0], [True, False, False], ["a", "b", "b"])


def test_trimming_caps_and_keeps_the_total() -> None:
    w = np.array([1.0, 2.0, 3.0, 4.0, 30.0, 60.0])
    out = trim_weights(w, upper=25.0)
    assert out.weights.max() <= 25.0 + 1e-9
    assert out.weights.sum() == pytest.approx(w.sum())
    assert out.trimmed.tolist() == [False, False, False, False, True, True]
    # Untrimmed weights keep their ratios.
    assert out.weights[1] / out.weights[0] == pytest.approx(2.0)
    with pytest.raises(WeightingError, match="widen"):
        trim_weights(w, upper=10.0)
