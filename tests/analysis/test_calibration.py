"""Post-stratification and raking: weights hit the margins, variance reflects the calibration."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.calibration import CalibrationError, poststratify, rake
from analysis.design import SurveyDesign
from analysis.estimators import estimate_mean, estimate_total


def sample() -> tuple[SurveyDesign, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(21)
    n = 120
    sex = rng.choice(["f", "m"], n, p=[0.6, 0.4])
    age = rng.choice(["young", "mid", "old"], n)
    y = rng.normal(50 + 5 * (sex == "m"), 8)
    design = SurveyDesign.from_columns(weights=np.full(n, 25.0), fpc=np.full(n, 3000.0))
    return design, y, sex, age


def test_poststratified_counts_are_exact_with_zero_variance() -> None:
    design, _, sex, _ = sample()
    ps = poststratify(design, sex, {"f": 1400, "m": 1600})
    counts = estimate_total(ps, np.ones(ps.n), by=sex)
    np.testing.assert_allclose(counts.estimate, [1400, 1600])
    np.testing.assert_allclose(counts.variance, 0.0, atol=1e-6)


def test_poststratified_total_matches_the_srs_formula() -> None:
    # Under SRS, V(T_ps) = N^2 (1 - f) s^2(g e) / n with e = y minus its post-stratum mean and
    # g the calibration factor N_g / N_hat_g (Särndal, Swensson & Wretman 1992, eq. 6.6.4).
    design, y, sex, _ = sample()
    pop = {"f": 1400, "m": 1600}
    ps = poststratify(design, sex, pop)
    e = y - np.where(sex == "f", y[sex == "f"].mean(), y[sex == "m"].mean())
    n = y.size
    g = np.where(sex == "f", pop["f"] / (25.0 * (sex == "f").sum()), 0.0) + np.where(
        sex == "m", pop["m"] / (25.0 * (sex == "m").sum()), 0.0
    )
    expected = 3000.0**2 * (1 - n / 3000) * np.var(g * e, ddof=1) / n
    assert estimate_total(ps, y).variance[0] == pytest.approx(expected, rel=1e-10)
    fixed = estimate_total(ps.with_weights(ps.weights), y).variance[0]
    assert fixed > expected


def test_raking_hits_every_margin() -> None:
    design, y, sex, age = sample()
    pops = [{"f": 1500, "m": 1500}, {"young": 900, "mid": 1100, "old": 1000}]
    result = rake(design, [sex, age], pops)
    raked = result.design
    for margin, pop in zip([sex, age], pops, strict=True):
        tot = estimate_total(raked, np.ones(raked.n), by=margin)
        expected = [pop[str(k)] for k in tot.labels[0]]
        np.testing.assert_allclose(tot.estimate, expected, rtol=1e-9)
        np.testing.assert_allclose(tot.variance, 0.0, atol=1e-3)
    assert result.iterations >= 2
    assert estimate_mean(raked, y).se[0] > 0


def test_calibration_errors_name_the_cell() -> None:
    design, _, sex, age = sample()
    with pytest.raises(CalibrationError, match="'m'"):
        poststratify(design, sex, {"f": 1400})
    with pytest.raises(CalibrationError, match="same population total"):
        rake(design, [sex, age], [{"f": 10, "m": 10}, {"young": 90, "mid": 90, "old": 90}])
