"""Differences between domains and rounds; rankings with rank intervals and tiers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.comparisons import compare_domains, compare_independent, compare_rounds, rank_domains
from analysis.design import SurveyDesign
from analysis.indices import estimate_indices
from analysis.questionnaire_tree import parse_questionnaire_tree
from analysis.variance import taylor_covariance

TREE = parse_questionnaire_tree({"elements": {"a": ["a1", "a2"], "b": ["b1", "b2"]}})


def _sample(seed: int, n: int = 600, shift: float = 0.0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 5, n)
    psu = strata * 100 + rng.integers(0, 8, n)
    latent = rng.normal(size=n)[:, None] + rng.normal(0, 0.7, (n, 4))
    y = np.clip(np.round(3.3 + shift + latent), 1, 5)
    y[rng.random(y.shape) < 0.1] = np.nan
    return {
        "y": y,
        "w": rng.uniform(1, 4, n),
        "strata": strata,
        "psu": psu,
        "domain": np.array(["north", "south", "centre"])[rng.integers(0, 3, n)],
    }


def _overall_score(y: np.ndarray, w: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Linearised score of the overall criteria-mean index in a domain, from the formulas."""
    valid = ~np.isnan(y)
    parts = []
    for c in range(4):
        b = valid[:, c] * inside
        a = (y[:, c] >= 4) * b
        r = (w * a).sum() / (w * b).sum()
        parts.append((a - r * b) / (w * b).sum())
    return ((parts[0] + parts[1]) / 2 + (parts[2] + parts[3]) / 2) / 2


def test_difference_between_domains_uses_their_covariance() -> None:
    s = _sample(1)
    design = SurveyDesign.from_columns(weights=s["w"], strata=s["strata"], psu=s["psu"])
    table = estimate_indices(design, s["y"], TREE, domain=s["domain"])
    diff = compare_domains(table, "overall", "north", "south")
    # Independent check: the score of the difference is the difference of the domain scores.
    u = _overall_score(s["y"], s["w"], s["domain"] == "north") - _overall_score(
        s["y"], s["w"], s["domain"] == "south"
    )
    expected_se = float(np.sqrt(taylor_covariance(design, u)[0, 0]))
    j = table.node_index("overall")
    n_i, s_i = table.domain_index("north"), table.domain_index("south")
    assert diff.estimate == pytest.approx(table.estimate[n_i, j] - table.estimate[s_i, j])
    assert diff.se == pytest.approx(expected_se, rel=1e-9)
    # the domains share PSUs, so their covariance is not zero and matters
    naive = np.hypot(table.se[n_i, j], table.se[s_i, j])
    assert abs(diff.se - naive) > 1e-6
    assert diff.df == 40 - 5  # every PSU holds both domains: 40 PSUs, 5 strata
    q = stats.t.ppf(0.975, diff.df)
    assert diff.ci_lower == pytest.approx(diff.estimate - q * diff.se)
    assert diff.p_value == pytest.approx(2 * stats.t.sf(abs(diff.estimate / diff.se), diff.df))


def test_independent_rounds_welch_satterthwaite() -> None:
    d = compare_independent(0.82, 0.01, 30, 0.80, 0.02, 10)
    v1, v2 = 0.01**2, 0.02**2
    df = (v1 + v2) ** 2 / (v1**2 / 30 + v2**2 / 10)
    assert d.estimate == pytest.approx(0.02)
    assert d.se == pytest.approx(np.sqrt(v1 + v2))
    assert d.df == pytest.approx(df)
    assert d.p_value == pytest.approx(2 * stats.t.sf(0.02 / np.sqrt(v1 + v2), df))


def test_rounds_detect_a_real_change() -> None:
    later, earlier = _sample(2, n=3000, shift=0.5), _sample(3, n=3000)
    tables = []
    for s in (later, earlier):
        design = SurveyDesign.from_columns(weights=s["w"], strata=s["strata"], psu=s["psu"])
        tables.append(estimate_indices(design, s["y"], TREE))
    d = compare_rounds(tables[0], tables[1], "overall")
    assert d.estimate > 0 and d.p_value < 1e-6
    assert d.se == pytest.approx(np.hypot(tables[0].se[0, 0], tables[1].se[0, 0]))


def _agencies(
    means: list[float], per: int, seed: int
) -> tuple[SurveyDesign, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(len(means)), per)
    # share of 4-5 answers per agency is exactly controlled by a Bernoulli mean
    sat = rng.random((g.size, 4)) < np.asarray(means)[g][:, None]
    y = np.where(sat, 5.0, 2.0)
    names = [f"agency{k:02d}" for k in range(len(means))]
    design = SurveyDesign.from_columns(weights=np.ones(g.size), strata=g)
    return design, y, [names[k] for k in g]


def test_rank_intervals_separate_clear_differences_and_merge_noise() -> None:
    design, y, agency = _agencies([0.95, 0.9, 0.6, 0.6, 0.6, 0.2], per=400, seed=4)
    table = estimate_indices(design, y, TREE, domain=agency)
    ranking = rank_domains(table, "overall", seed=1)
    assert ranking.domains[0] == "agency00" and ranking.domains[-1] == "agency05"
    assert ranking.rank_lower[0] == ranking.rank_upper[0] == 1
    assert ranking.rank_lower[-1] == ranking.rank_upper[-1] == 6
    middle = [list(ranking.domains).index(f"agency0{k}") for k in (2, 3, 4)]
    # three agencies of equal truth: each may be 3rd to 5th, and they share one tier
    assert set(ranking.rank_lower[middle]) == {3} and set(ranking.rank_upper[middle]) == {5}
    assert len(set(ranking.tier[middle])) == 1
    assert ranking.tier[0] != ranking.tier[middle[0]] != ranking.tier[-1]
    # reproducible from the seed
    again = rank_domains(table, "overall", seed=1)
    np.testing.assert_array_equal(again.rank_lower, ranking.rank_lower)


def test_probability_of_first_place_matches_the_normal_approximation() -> None:
    design, y, agency = _agencies([0.7, 0.68], per=500, seed=5)
    table = estimate_indices(design, y, TREE, domain=agency)
    ranking = rank_domains(table, "overall", n_draws=20000, seed=2)
    cov = table.domain_covariance("overall", [table.domain_index(d) for d in ranking.domains])
    diff = ranking.estimate[0] - ranking.estimate[1]
    sd = np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    expected = stats.norm.cdf(diff / sd)
    assert ranking.prob_first[0] == pytest.approx(expected, abs=4 * np.sqrt(0.25 / 20000))


def test_ranking_with_correlated_domains_uses_the_joint_covariance() -> None:
    s = _sample(6, n=900)
    design = SurveyDesign.from_columns(weights=s["w"], strata=s["strata"], psu=s["psu"])
    table = estimate_indices(design, s["y"], TREE, domain=s["domain"])
    ranking = rank_domains(table, "a", include=np.array([True, True, False]), seed=3)
    assert len(ranking.domains) == 2
    assert set(ranking.rank) == {1, 2}
    assert np.all(ranking.rank_lower <= ranking.rank) and np.all(ranking.rank <= ranking.rank_upper)
