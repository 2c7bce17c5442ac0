"""The national form's tree: sipas <- policy, service <- elements <- criteria.

The composite nodes are checked against a hand-written numpy Taylor variance for a stratified
sample with a finite population correction (Lohr 2019, sec. 3.2 and 9.1; Woodruff 1971 for the
ratio scores), written element by element without the module's mixing matrix, and by a
simulation of repeated stratified samples from a known finite population; and against R
``survey``'s ``svycontrast`` of ``svyratio`` (tests/analysis/reference/r/reference_index_tree.R,
plain and post-stratified designs, whole sample and domains).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from analysis.calibration import poststratify
from analysis.design import SurveyDesign
from analysis.indices import estimate_indices
from analysis.questionnaire_tree import (
    QuestionnaireTree,
    QuestionnaireTreeError,
    parse_questionnaire_tree,
)
from analysis.replicates import jkn
from analysis.variance import replicate_covariance

ELEMENTS = {
    "pa": ["pa1", "pa2"],
    "pb": ["pb1", "pb2"],
    "pc": ["pc1", "pc2", "pc3"],
    "s1": ["s1a", "s1b", "s1c"],
    "s2": ["s2a", "s2b"],
}
INDICES = {"policy": ["pa", "pb", "pc"], "service": ["s1", "s2"]}
SERVICE_COLUMNS = slice(7, 12)  # s1a ... s2b: asked only of people with a procedure (Q8)


def indexed_tree(rule: str = "mean_of_indices") -> QuestionnaireTree:
    return parse_questionnaire_tree({"elements": ELEMENTS, "indices": INDICES, "sipas_rule": rule})


def _answers(rng: np.random.Generator, strata: NDArray[np.int64]) -> NDArray[np.float64]:
    """1-5 answers correlated within a respondent; the service block missing for about 40%
    (not shown: no procedure), and 10% item non-response elsewhere."""
    n = strata.size
    latent = rng.normal(size=n)[:, None] + rng.normal(0, 0.7, size=(n, 12))
    y = np.clip(np.round(3.3 + 0.25 * strata[:, None] + latent), 1, 5)
    y[rng.random((n, 12)) < 0.10] = np.nan
    y[rng.random(n) < 0.4, SERVICE_COLUMNS] = np.nan
    return y


def _hand_taylor(
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    strata: NDArray[np.int64],
    fraction: dict[int, float],
    weights: dict[str, float],
    in_domain: NDArray[np.bool_],
) -> tuple[float, float]:
    """Estimate and SE of ``sum_e weights[e] * mean_c share_c`` over elements e, in a domain.

    Each share R_c = sum_d w 1[y >= 4] / sum_d w 1[y valid]; the composite's linearised score
    is u_i = sum_e weights[e] / |e| sum_c w_i (a_ic - R_c b_ic) / B_c (0 outside the domain);
    V = sum_h (1 - f_h) n_h / (n_h - 1) sum_{i in h} (u_i - mean_h u)^2.
    """
    codes = [c for members in ELEMENTS.values() for c in members]
    estimate = 0.0
    score = np.zeros(y.shape[0])
    for element, members in ELEMENTS.items():
        m = weights.get(element, 0.0) / len(members)
        for code in members:
            j = codes.index(code)
            b = (~np.isnan(y[:, j]) & in_domain).astype(float)
            a = b * (np.nan_to_num(y[:, j]) >= 4)
            big_a, big_b = float(np.sum(w * a)), float(np.sum(w * b))
            share = big_a / big_b
            estimate += m * share
            score += m * w * (a - share * b) / big_b
    variance = 0.0
    for h in np.unique(strata):
        u = score[strata == h]
        n_h = u.size
        variance += (1 - fraction[int(h)]) * n_h / (n_h - 1) * float(np.sum((u - u.mean()) ** 2))
    return estimate, float(np.sqrt(variance))


def _sample() -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], dict[int, float], SurveyDesign
]:
    rng = np.random.default_rng(9001)
    sizes = np.array([120, 90, 150, 60])
    population = np.array([2400, 900, 6000, 300])
    strata = np.repeat(np.arange(4), sizes)
    y = _answers(rng, strata)
    w = np.repeat(population / sizes, sizes).astype(float)
    fpc = np.repeat(population, sizes).astype(float)
    fraction = {h: float(sizes[h] / population[h]) for h in range(4)}
    design = SurveyDesign.from_columns(weights=w, strata=strata, fpc=fpc)
    return y, w, strata, fraction, design


POLICY = {"pa": 1 / 3, "pb": 1 / 3, "pc": 1 / 3}
SERVICE = {"s1": 1 / 2, "s2": 1 / 2}
SIPAS = {**{k: v / 2 for k, v in POLICY.items()}, **{k: v / 2 for k, v in SERVICE.items()}}
ELEMENT_MEAN = dict.fromkeys(ELEMENTS, 1 / 5)


def test_tree_with_indices_has_sipas_then_indices_then_elements() -> None:
    y, _, _, _, design = _sample()
    table = estimate_indices(design, y, indexed_tree())
    assert table.nodes[:8] == ("sipas", "policy", "service", "pa", "pb", "pc", "s1", "s2")
    assert table.levels[:4] == ("overall", "index", "index", "element")
    assert table.parents[:8] == ("", "sipas", "sipas", *("policy",) * 3, *("service",) * 2)
    assert table.parents[table.node_index("s2a")] == "s2"
    # Respondents counted: everyone answers some policy item, about 60% the service block.
    counts = dict(zip(table.nodes, table.n_respondents[0], strict=True))
    answered_service = int((~np.isnan(y[:, SERVICE_COLUMNS])).any(axis=1).sum())
    assert counts["sipas"] == y.shape[0] and counts["service"] == answered_service
    assert 0.5 * y.shape[0] < answered_service < 0.7 * y.shape[0]


def test_tree_without_indices_is_unchanged() -> None:
    y, _, _, _, design = _sample()
    plain = parse_questionnaire_tree({"elements": ELEMENTS})
    table = estimate_indices(design, y, plain)
    assert table.nodes[:6] == ("overall", "pa", "pb", "pc", "s1", "s2")
    assert table.parents[:6] == ("", "overall", "overall", "overall", "overall", "overall")
    assert "index" not in table.levels
    elements = table.estimate[0, 1:6]
    assert table.estimate[0, 0] == pytest.approx(elements.mean(), rel=1e-14)


@pytest.mark.parametrize(
    ("node", "rule", "weights"),
    [
        ("sipas", "mean_of_indices", SIPAS),
        ("policy", "mean_of_indices", POLICY),
        ("service", "mean_of_indices", SERVICE),
        ("sipas", "mean_of_elements", ELEMENT_MEAN),
    ],
)
def test_composites_equal_a_hand_written_stratified_taylor_variance(
    node: str, rule: str, weights: dict[str, float]
) -> None:
    y, w, strata, fraction, design = _sample()
    everyone = np.ones(y.shape[0], dtype=bool)
    table = estimate_indices(design, y, indexed_tree(rule))
    j = table.node_index(node)
    estimate, se = _hand_taylor(y, w, strata, fraction, weights, everyone)
    assert table.estimate[0, j] == pytest.approx(estimate, rel=1e-12)
    assert table.se[0, j] == pytest.approx(se, rel=1e-10)

    # A domain cutting across strata: scores are zero outside it, strata keep their n_h.
    rng = np.random.default_rng(5)
    domain = np.where(rng.random(y.shape[0]) < 0.45, "urban", "rural")
    by = estimate_indices(design, y, indexed_tree(rule), domain=domain)
    d = by.domain_index("urban")
    estimate, se = _hand_taylor(y, w, strata, fraction, weights, domain == "urban")
    assert by.estimate[d, j] == pytest.approx(estimate, rel=1e-12)
    assert by.se[d, j] == pytest.approx(se, rel=1e-10)


def test_sipas_is_the_mean_of_the_two_indices_under_every_index_rule() -> None:
    y, _, _, _, design = _sample()
    for rule in ("criteria-mean", "pooled", "respondent-mean", "mean-score"):
        table = estimate_indices(design, y, indexed_tree(), rule=rule)
        sipas, policy, service = table.estimate[0, :3]
        assert sipas == pytest.approx((policy + service) / 2, rel=1e-12)
        # The covariance of the two indices is in the one score: the SE is not the naive one.
        se = table.se[0, :3]
        assert 0 < se[0] < (se[1] + se[2]) / 2


def test_domain_without_the_service_block_has_no_sipas() -> None:
    y, _, _, _, design = _sample()
    y = y.copy()
    group = np.where(np.arange(y.shape[0]) % 3 == 0, "none", "some")
    y[group == "none", SERVICE_COLUMNS] = np.nan
    table = estimate_indices(design, y, indexed_tree(), domain=group)
    d = table.domain_index("none")
    assert np.isnan(table.estimate[d, table.node_index("sipas")])
    assert np.isnan(table.estimate[d, table.node_index("service")])
    assert np.isfinite(table.estimate[d, table.node_index("policy")])


def test_simulated_stratified_samples_cover_the_population_sipas() -> None:
    """400 stratified SRSWOR samples from a 9,000-person population: the Taylor SE of the SIPAS
    node matches the spread of its estimates and the 95% intervals cover the population value."""
    rng = np.random.default_rng(20261202)
    population = np.array([4000, 2500, 2500])
    strata_pop = np.repeat(np.arange(3), population)
    y_pop = _answers(rng, strata_pop)
    tree = indexed_tree()
    census = estimate_indices(
        SurveyDesign.from_columns(weights=np.ones(y_pop.shape[0])), y_pop, tree
    )
    truth = census.estimate[0, 0]
    sizes = np.array([80, 60, 60])
    starts = np.concatenate([[0], np.cumsum(population)[:-1]])
    strata = np.repeat(np.arange(3), sizes)
    w = np.repeat(population / sizes, sizes).astype(float)
    fpc = np.repeat(population, sizes).astype(float)
    estimates, ses, covered = [], [], 0
    for _ in range(400):
        rows = np.concatenate(
            [
                s + rng.choice(N, size=n, replace=False)
                for s, N, n in zip(starts, population, sizes, strict=True)
            ]
        )
        design = SurveyDesign.from_columns(weights=w, strata=strata, fpc=fpc)
        table = estimate_indices(design, y_pop[rows], tree)
        estimates.append(table.estimate[0, 0])
        ses.append(table.se[0, 0])
        covered += int(table.ci_lower[0, 0] <= truth <= table.ci_upper[0, 0])
    spread = float(np.std(estimates, ddof=1))
    # Ratio estimators are nearly unbiased at n = 200 (bias O(1/n)).
    assert abs(np.mean(estimates) - truth) < 0.2 * spread
    assert float(np.sqrt(np.mean(np.square(ses)))) == pytest.approx(spread, rel=0.15)
    # 400 draws: the coverage's own SE is about 0.011.
    assert 0.92 <= covered / 400 <= 0.98


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"elements": ELEMENTS, "indices": {"policy": ["pa", "pb", "pc"]}}, "s1, s2 belong to no"),
        (
            {"elements": ELEMENTS, "indices": {**INDICES, "x": ["pa"]}},
            "element 'pa' is in indices 'policy' and 'x'",
        ),
        ({"elements": ELEMENTS, "indices": {**INDICES, "y": ["nope"]}}, "'nope', which is not"),
        ({"elements": ELEMENTS, "indices": INDICES, "sipas_rule": "median"}, "mean_of_indices"),
        ({"elements": {**ELEMENTS, "sipas": ["z1"]}, "indices": INDICES}, "root of a tree"),
        ({"elements": ELEMENTS, "indices": {"pa": ["pa"]}}, "index code 'pa'"),
    ],
)
def test_bad_indices_name_the_problem(data: dict[str, object], message: str) -> None:
    with pytest.raises(QuestionnaireTreeError, match=message):
        parse_questionnaire_tree(data)


def test_platform_shape_elements_name_their_index() -> None:
    definition = {
        "code": "national",
        "version": 2,
        "indices": [{"code": "policy"}, {"code": "service"}],
        "sipas_rule": "mean_of_elements",
        "elements": [
            {"code": e, "index": "policy" if e.startswith("p") else "service", "criteria": c}
            for e, c in ELEMENTS.items()
        ],
    }
    tree = parse_questionnaire_tree(definition)
    assert tree.code == "national@2" and tree.root == "sipas"
    assert [(i.code, i.elements) for i in tree.indices] == [
        ("policy", ("pa", "pb", "pc")),
        ("service", ("s1", "s2")),
    ]
    assert tree.sipas_rule == "mean_of_elements"
    definition["elements"][0]["index"] = "other"  # type: ignore[index]
    with pytest.raises(QuestionnaireTreeError, match=r"elements\[0\] \(pa\)\.index: 'other'"):
        parse_questionnaire_tree(definition)


# ------------------------------------------------------------- R survey references (svycontrast)

REFERENCE = Path(__file__).resolve().parent / "reference"
# The reference tree (r/reference_index_tree.R): policy = {p1 = (q1), p2 = (q2, q3)},
# service = {s1 = (q4)}; q4 is missing for 35% of rows, like a block gated by Q8.
R_ELEMENTS = {"p1": ["q1"], "p2": ["q2", "q3"], "s1": ["q4"]}
R_INDICES = {"policy": ["p1", "p2"], "service": ["s1"]}
PS_POP = {
    "f:18-34": 2300.0,
    "f:35-54": 3400.0,
    "f:55+": 1900.0,
    "m:18-34": 2200.0,
    "m:35-54": 3000.0,
    "m:55+": 1700.0,
}


def _synthetic() -> dict[str, NDArray[Any]]:
    with (REFERENCE / "data" / "sipas_synthetic.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def _num(values: NDArray[Any]) -> NDArray[np.float64]:
    return np.array([float(v) if v != "" else np.nan for v in values])


@pytest.mark.parametrize("dname", ["dsip", "dps"])
@pytest.mark.parametrize("by", ["whole", "by_channel"])
def test_composites_equal_r_svycontrast(dname: str, by: str) -> None:
    """R: ``svycontrast(svyratio(~s1+...+s4, ~v1+...+v4, design, covmat = TRUE), weights)``,
    each case's call in tests/analysis/reference/index_tree_reference.json."""
    cases = json.loads((REFERENCE / "index_tree_reference.json").read_text(encoding="utf-8"))
    case = cases["cases"][f"tree.{dname}.{by}"]
    s = _synthetic()
    design = SurveyDesign.from_columns(weights=_num(s["w"]), strata=s["agency"], fpc=_num(s["N"]))
    if dname == "dps":
        sexage = np.char.add(np.char.add(s["sex"], ":"), s["age"])
        design = poststratify(design, sexage, PS_POP)
    y = np.column_stack([_num(s[f"q{j}"]) for j in range(1, 5)])
    domain = None if by == "whole" else s["channel"]
    expected = [case] if by == "whole" else list(case["domains"].values())
    for rule, names in (
        ("mean_of_indices", ("sipas", "policy", "service", "p2")),
        ("mean_of_elements", ("sipas_mean_of_elements",)),
    ):
        tree = parse_questionnaire_tree(
            {"elements": R_ELEMENTS, "indices": R_INDICES, "sipas_rule": rule}
        )
        table = estimate_indices(design, y, tree, domain=domain)
        for reference in expected:
            d = 0 if by == "whole" else table.domain_index(reference["group"])
            for name in names:
                k = reference["nodes"].index(name)
                j = table.node_index("sipas" if name == "sipas_mean_of_elements" else name)
                assert table.estimate[d, j] == pytest.approx(reference["estimate"][k], rel=1e-8)
                assert table.se[d, j] == pytest.approx(reference["se"][k], rel=1e-8)


def test_replicate_variance_of_the_composites_equals_an_explicit_loop() -> None:
    """JKn (Wolter 2007, sec. 4.5): every node re-estimated with each replicate's weights."""
    y, _, strata, _, design = _sample()
    rep = jkn(design)
    table = estimate_indices(rep, y, indexed_tree())
    everyone = np.ones(y.shape[0], dtype=bool)
    for node, weights in (("sipas", SIPAS), ("policy", POLICY), ("service", SERVICE)):

        def composite(w: NDArray[np.float64], weights: dict[str, float] = weights) -> float:
            fraction = dict.fromkeys(range(4), 0.0)
            return _hand_taylor(y, w, strata, fraction, weights, everyone)[0]

        full = composite(rep.weights)
        reps = np.array([composite(rep.replicate_weights[:, r]) for r in range(rep.n_replicates)])
        cov = replicate_covariance(rep, np.array([full]), reps[:, None])
        j = table.node_index(node)
        assert table.estimate[0, j] == pytest.approx(full, rel=1e-12)
        assert table.se[0, j] == pytest.approx(float(np.sqrt(cov[0, 0])), rel=1e-9)
