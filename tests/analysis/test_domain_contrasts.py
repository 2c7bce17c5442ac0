"""The mean of domain indices (MoHA's national figure) and its design-based variance.

Checked against R ``survey`` (tests/analysis/reference/r/reference_domain_contrasts.R:
``svyby(..., svyratio, covmat = TRUE)`` then ``svycontrast`` for criteria, and
``svyby(..., svytotal, covmat = TRUE)`` then a nonlinear ``svycontrast`` for every node), on
domains that cut across the strata (channel) and on domains that are the strata (agency); and
by a simulation of repeated stratified samples from a known population.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from analysis.design import SurveyDesign
from analysis.domain_contrasts import mean_of_domains
from analysis.indices import IndexInputError, estimate_indices
from analysis.questionnaire_tree import parse_questionnaire_tree
from analysis.replicates import jkn

REFERENCE = Path(__file__).resolve().parent / "reference"
# The tree of r/reference_index_tree.R and r/reference_domain_contrasts.R.
R_TREE = parse_questionnaire_tree(
    {
        "elements": {"p1": ["q1"], "p2": ["q2", "q3"], "s1": ["q4"]},
        "indices": {"policy": ["p1", "p2"], "service": ["s1"]},
    }
)


def _synthetic() -> dict[str, NDArray[Any]]:
    with (REFERENCE / "data" / "sipas_synthetic.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def _num(values: NDArray[Any]) -> NDArray[np.float64]:
    return np.array([float(v) if v != "" else np.nan for v in values])


def _reference() -> dict[str, Any]:
    data = json.loads((REFERENCE / "domain_contrasts_reference.json").read_text(encoding="utf-8"))
    cases: dict[str, Any] = data["cases"]
    return cases


def _table(column: str) -> Any:
    s = _synthetic()
    design = SurveyDesign.from_columns(weights=_num(s["w"]), strata=s["agency"], fpc=_num(s["N"]))
    y = np.column_stack([_num(s[f"q{j}"]) for j in range(1, 5)])
    return estimate_indices(design, y, R_TREE, domain=s[column])


@pytest.mark.parametrize("column", ["channel", "agency"])
def test_every_node_equals_r_svycontrast_of_the_domain_totals(column: str) -> None:
    """R: ``svycontrast(svyby(~s1+...+v4, ~column, dsip, svytotal, covmat = TRUE), <mean>)``."""
    case = _reference()[f"mean_of_domains.{column}.totals"]
    table = _table(column)
    assert list(table.domains) == case["domains"]
    mean = mean_of_domains(table)
    for k, node in enumerate(case["nodes"]):
        j = table.node_index(node)
        assert mean.estimate[j] == pytest.approx(case["estimate"][k], rel=1e-8), node
        assert mean.se[j] == pytest.approx(case["se"][k], rel=1e-8), node
        assert mean.n_domains[j] == len(case["domains"])


@pytest.mark.parametrize("column", ["channel", "agency"])
@pytest.mark.parametrize("criterion", ["q2", "q3"])
def test_criterion_equals_r_svyby_svyratio_covmat_and_svycontrast(
    column: str, criterion: str
) -> None:
    """R: ``svycontrast(svyby(~s_j, ~column, dsip, svyratio, denominator = ~v_j,
    covmat = TRUE), rep(1/G, G))``; the domain covariance matrix is R's too."""
    case = _reference()[f"mean_of_domains.{column}.ratio_{criterion}"]
    table = _table(column)
    j = table.node_index(criterion)
    g = len(case["domains"])
    assert table.estimate[:, j] == pytest.approx(case["domain_estimate"], rel=1e-8)
    sigma = table.domain_covariance(criterion)
    expected = np.array(case["domain_covariance"]).reshape(g, g)
    np.testing.assert_allclose(sigma, expected, rtol=1e-8, atol=1e-15)
    if column == "channel":
        # Channels cut across the strata: the covariances are not zero, and they matter.
        assert np.all(sigma[~np.eye(g, dtype=bool)] < 0)
        naive = np.sqrt(np.trace(sigma)) / g
        assert abs(naive - case["se"]) > 1e-4
    mean = mean_of_domains(table)
    assert mean.estimate[j] == pytest.approx(case["estimate"], rel=1e-8)
    assert mean.se[j] == pytest.approx(case["se"], rel=1e-8)


def test_a_subset_of_domains_and_a_domain_without_the_node() -> None:
    table = _table("agency")
    rows = [table.domain_index("A"), table.domain_index("C"), table.domain_index("F")]
    mean = mean_of_domains(table, rows)
    j = table.node_index("p2")
    assert mean.domains == ("A", "C", "F")
    assert mean.estimate[j] == pytest.approx(float(table.estimate[rows, j].mean()), rel=1e-14)
    # Domains that are strata are independent: the variance is the sum of the variances / G^2.
    assert mean.se[j] == pytest.approx(np.sqrt(np.sum(table.se[rows, j] ** 2)) / 3, rel=1e-12)
    assert mean.n_respondents[j] == table.n_respondents[rows, j].sum()

    s = _synthetic()
    design = SurveyDesign.from_columns(weights=_num(s["w"]), strata=s["agency"], fpc=_num(s["N"]))
    y = np.column_stack([_num(s[f"q{j}"]) for j in range(1, 5)])
    y[s["agency"] == "B", 3] = np.nan  # nobody in B was asked the service block
    by = estimate_indices(design, y, R_TREE, domain=s["agency"])
    mean = mean_of_domains(by)
    service = by.node_index("service")
    assert mean.n_domains[service] == 5 and mean.n_domains[by.node_index("policy")] == 6
    others = np.flatnonzero(by.domains != "B")
    assert mean.estimate[service] == pytest.approx(by.estimate[others, service].mean(), rel=1e-14)
    assert mean.ci_lower[service] < mean.estimate[service] < mean.ci_upper[service]

    # A domain under min_respondents on a node is left out of that node's mean only.
    small = int(np.argmin(table.n_respondents[:, j]))
    fewest = int(table.n_respondents[small, j])
    mean = mean_of_domains(table, min_respondents=fewest + 1)
    others = np.delete(np.arange(len(table.domains)), small)
    assert mean.n_domains[j] == len(others)
    assert mean.estimate[j] == pytest.approx(table.estimate[others, j].mean(), rel=1e-14)
    assert mean.n_respondents[j] == table.n_respondents[others, j].sum()

    with pytest.raises(IndexInputError, match="domains"):
        mean_of_domains(table, [99])


def test_replicate_design_uses_the_replicate_covariance() -> None:
    """JKn (Wolter 2007, sec. 4.5): the contrast's variance is that of the replicate contrasts,
    each replicate's mean of domains computed by re-estimating with its weights."""
    s = _synthetic()
    design = SurveyDesign.from_columns(weights=_num(s["w"]), strata=s["agency"], fpc=_num(s["N"]))
    y = np.column_stack([_num(s[f"q{j}"]) for j in range(1, 5)])
    rep = jkn(design)
    table = estimate_indices(rep, y, R_TREE, domain=s["channel"])
    mean = mean_of_domains(table)
    j = table.node_index("sipas")
    # theta_r of each replicate, by re-estimating with the replicate weights.
    thetas = []
    for r in range(rep.n_replicates):
        one = SurveyDesign.from_columns(weights=rep.replicate_weights[:, r])
        thetas.append(estimate_indices(one, y, R_TREE, domain=s["channel"]).estimate[:, j].mean())
    # R's default (mse = FALSE): deviations from the replicates' mean.
    centre = mean.estimate[j] if rep.mse else float(np.mean(thetas))
    dev = np.asarray(thetas) - centre
    expected = rep.scale * float(np.sum(rep.rscales * dev**2))
    assert mean.se[j] == pytest.approx(np.sqrt(expected), rel=1e-10)


def test_simulated_stratified_samples_cover_the_mean_of_provinces() -> None:
    """300 samples stratified by agency from a population whose provinces cut across agencies:
    the SE of the mean of provincial SIPAS indices matches the spread of its estimates, and the
    95% intervals cover the population's mean of provincial indices."""
    rng = np.random.default_rng(20261203)
    sizes_pop = np.array([3000, 2000, 2500])
    n_pop = int(sizes_pop.sum())
    strata_pop = np.repeat(np.arange(3), sizes_pop)
    province = rng.choice(np.array(["P1", "P2", "P3", "P4"]), size=n_pop, p=[0.4, 0.3, 0.2, 0.1])
    bump = {"P1": 0.0, "P2": 0.3, "P3": -0.3, "P4": 0.5}
    latent = rng.normal(size=n_pop)[:, None] + rng.normal(0, 0.7, size=(n_pop, 4))
    shift = np.vectorize(bump.get)(province)[:, None] + 0.2 * strata_pop[:, None]
    y_pop = np.clip(np.round(3.2 + shift + latent), 1, 5)
    y_pop[rng.random(n_pop) < 0.35, 3] = np.nan  # service block asked of 65% (Q8)
    census = estimate_indices(
        SurveyDesign.from_columns(weights=np.ones(n_pop)), y_pop, R_TREE, domain=province
    )
    truth = mean_of_domains(census).estimate[0]
    sizes = np.array([150, 100, 120])
    starts = np.concatenate([[0], np.cumsum(sizes_pop)[:-1]])
    strata = np.repeat(np.arange(3), sizes)
    w = np.repeat(sizes_pop / sizes, sizes).astype(float)
    fpc = np.repeat(sizes_pop, sizes).astype(float)
    design = SurveyDesign.from_columns(weights=w, strata=strata, fpc=fpc)
    estimates, ses, covered = [], [], 0
    for _ in range(300):
        rows = np.concatenate(
            [
                s + rng.choice(N, size=n, replace=False)
                for s, N, n in zip(starts, sizes_pop, sizes, strict=True)
            ]
        )
        table = estimate_indices(design, y_pop[rows], R_TREE, domain=province[rows])
        mean = mean_of_domains(table)
        estimates.append(mean.estimate[0])
        ses.append(mean.se[0])
        covered += int(mean.ci_lower[0] <= truth <= mean.ci_upper[0])
    spread = float(np.std(estimates, ddof=1))
    assert abs(np.mean(estimates) - truth) < 0.25 * spread
    assert float(np.sqrt(np.mean(np.square(ses)))) == pytest.approx(spread, rel=0.15)
    # 300 draws: the coverage's own SE is about 0.013.
    assert 0.915 <= covered / 300 <= 0.985
