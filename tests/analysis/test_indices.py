"""SIPAS indices: hand-worked values, R references, brute-force Taylor and jackknife checks."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from analysis.calibration import poststratify, rake
from analysis.design import LonelyPsuRule, SurveyDesign
from analysis.estimators import estimate_ratio
from analysis.indices import IndexInputError, IndexRule, estimate_indices
from analysis.questionnaire_tree import (
    SIPAS_STANDARD,
    QuestionnaireTree,
    QuestionnaireTreeError,
    builtin_questionnaire_tree,
    parse_questionnaire_tree,
)
from analysis.replicates import jkn
from analysis.variance import LonelyPsuError, replicate_covariance, taylor_covariance

RULES = ("criteria-mean", "pooled", "respondent-mean", "mean-score")
TREE = parse_questionnaire_tree({"elements": {"a": ["a1", "a2"], "b": ["b1", "b2", "b3"]}})


def shared_dir() -> Path:
    env = os.environ.get("SIPAS_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared"


def read_apistrat() -> dict[str, list[str]]:
    with (shared_dir() / "reference" / "data" / "apistrat.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [r[key] for r in rows] for key in rows[0]}


def one_criterion_tree() -> QuestionnaireTree:
    return parse_questionnaire_tree({"elements": {"e": ["q"]}})


# ---------------------------------------------------------------- a hand-worked example


def test_hand_worked_example_criteria_mean_and_pooled() -> None:
    # Five respondents, weights 1, 2, 1, 1, 3; NaN = not answered / not applicable.
    y = np.array(
        [
            [5, 2, 4, np.nan, 1],
            [4, 4, np.nan, np.nan, 5],
            [1, np.nan, 3, 3, 4],
            [3, 5, 5, 4, np.nan],
            [np.nan, 1, 2, 5, 5],
        ]
    )
    w = np.array([1.0, 2.0, 1.0, 1.0, 3.0])
    design = SurveyDesign.from_columns(weights=w)
    # a1: valid w = 1+2+1+1 = 5, satisfied (5, 4) w = 1+2 = 3 -> 3/5
    # a2: valid w = 1+2+1+3 = 7, satisfied (4, 5) w = 2+1 = 3 -> 3/7
    # b1: valid w = 1+1+1+3 = 6, satisfied (4, 5) w = 1+1 = 2 -> 1/3
    # b2: valid w = 1+1+3 = 5, satisfied (4, 5) w = 1+3 = 4 -> 4/5
    # b3: valid w = 1+2+1+3 = 7, satisfied (5, 4, 5) w = 2+1+3 = 6 -> 6/7
    a1, a2, b1, b2, b3 = 3 / 5, 3 / 7, 1 / 3, 4 / 5, 6 / 7
    table = estimate_indices(design, y, TREE)
    expected = [
        ((a1 + a2) / 2 + (b1 + b2 + b3) / 3) / 2,
        (a1 + a2) / 2,
        (b1 + b2 + b3) / 3,
        a1,
        a2,
        b1,
        b2,
        b3,
    ]
    np.testing.assert_allclose(table.estimate[0], expected, rtol=1e-14)
    assert table.nodes == ("overall", "a", "b", "a1", "a2", "b1", "b2", "b3")
    assert table.levels[:3] == ("overall", "element", "element")
    # respondents with a valid answer counted by each node
    np.testing.assert_array_equal(table.n_respondents[0], [5, 5, 5, 4, 4, 4, 3, 4])

    pooled = estimate_indices(design, y, TREE, rule="pooled")
    # a pooled: satisfied answer-weights 3 + 3 over valid 5 + 7; b: (2 + 4 + 6) / (6 + 5 + 7)
    pa, pb = 6 / 12, 12 / 18
    np.testing.assert_allclose(pooled.estimate[0, :3], [(pa + pb) / 2, pa, pb], rtol=1e-14)

    own = estimate_indices(design, y, TREE, rule="respondent-mean")
    # own shares in a: 1/2, 1, 0, 1/2, 0 (weights 1,2,1,1,3) -> (0.5 + 2 + 0 + 0.5 + 0) / 8
    # own shares in b: 1/2, 1, 1/3, 2/2, 2/3 -> (0.5 + 2 + 1/3 + 1 + 2) / 8
    ra, rb = 3.0 / 8, (0.5 + 2 + 1 / 3 + 1 + 2) / 8
    np.testing.assert_allclose(own.estimate[0, :3], [(ra + rb) / 2, ra, rb], rtol=1e-14)

    scores = estimate_indices(design, y, TREE, rule="mean-score")
    # a1 mean answer: (5*1 + 4*2 + 1*1 + 3*1) / 5
    assert scores.estimate[0, 3] == pytest.approx(17 / 5, rel=1e-14)


# ------------------------------------------------ against the brute-force Taylor variance


def _explicit_scores(
    y: np.ndarray, w: np.ndarray, in_domain: np.ndarray, rule: str
) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and (n, N) linearised scores written out from the formulas, node by node."""

    def ratio(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
        big_a = np.sum(w * a * in_domain)
        big_b = np.sum(w * b * in_domain)
        r = big_a / big_b
        return r, np.where(in_domain, (a - r * b) / big_b, 0.0)

    valid = ~np.isnan(y)
    sat = (y >= 4).astype(float)
    crit = []
    for c in range(y.shape[1]):
        a = np.where(valid[:, c], y[:, c], 0.0) if rule == "mean-score" else sat[:, c]
        crit.append(ratio(a, valid[:, c].astype(float)))
    elements = []
    for cols in (slice(0, 2), slice(2, 5)):
        n_valid = valid[:, cols].sum(axis=1).astype(float)
        n_sat = sat[:, cols].sum(axis=1)
        if rule == "pooled":
            elements.append(ratio(n_sat, n_valid))
        elif rule == "respondent-mean":
            own = np.where(n_valid > 0, n_sat / np.maximum(n_valid, 1.0), 0.0)
            elements.append(ratio(own, (n_valid > 0).astype(float)))
        else:
            members = crit[cols]
            elements.append(
                (
                    float(np.mean([m[0] for m in members])),
                    np.mean([m[1] for m in members], axis=0),
                )
            )
    overall = (
        float(np.mean([e[0] for e in elements])),
        np.mean([e[1] for e in elements], axis=0),
    )
    nodes = [overall, *elements, *crit]
    return np.array([v[0] for v in nodes]), np.column_stack([v[1] for v in nodes])


def _clustered_sample(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 400
    strata = rng.integers(0, 6, n)
    psu = strata * 100 + rng.integers(0, 6, n)
    psu[strata == 5] = 999  # one lonely stratum
    y = rng.integers(1, 6, size=(n, 5)).astype(float)
    y[rng.random((n, 5)) < 0.2] = np.nan
    return {
        "y": y,
        "w": rng.uniform(1.0, 6.0, n),
        "strata": strata,
        "psu": psu,
        "fpc": np.where(strata == 2, 0.4, 0.05),
        # domains cut across strata and PSUs
        "domain": rng.integers(0, 4, n),
    }


@pytest.mark.parametrize("lonely", ["certainty", "adjust", "average"])
@pytest.mark.parametrize("rule", RULES)
def test_se_equals_taylor_covariance_of_explicit_domain_scores(
    rule: IndexRule, lonely: LonelyPsuRule
) -> None:
    s = _clustered_sample(7)
    design = SurveyDesign.from_columns(
        weights=s["w"], strata=s["strata"], psu=s["psu"], fpc=s["fpc"], lonely_psu=lonely
    )
    table = estimate_indices(design, s["y"], TREE, domain=s["domain"], rule=rule)
    assert table.domains.tolist() == ["0", "1", "2", "3"]
    for g in range(4):
        est, scores = _explicit_scores(s["y"], s["w"], s["domain"] == g, rule)
        cov = taylor_covariance(design, scores)
        np.testing.assert_allclose(table.estimate[g], est, rtol=1e-12)
        np.testing.assert_allclose(table.se[g], np.sqrt(np.diag(cov)), rtol=1e-9)


@pytest.mark.parametrize("lonely", ["certainty", "adjust", "average"])
def test_domain_covariance_equals_taylor_covariance(lonely: LonelyPsuRule) -> None:
    s = _clustered_sample(11)
    design = SurveyDesign.from_columns(
        weights=s["w"], strata=s["strata"], psu=s["psu"], fpc=s["fpc"], lonely_psu=lonely
    )
    table = estimate_indices(design, s["y"], TREE, domain=s["domain"])
    for node_col, node in ((0, "overall"), (2, "b"), (4, "a2")):
        scores = np.column_stack(
            [
                _explicit_scores(s["y"], s["w"], s["domain"] == g, "criteria-mean")[1][:, node_col]
                for g in range(4)
            ]
        )
        expected = taylor_covariance(design, scores)
        np.testing.assert_allclose(table.domain_covariance(node), expected, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(
            table.domain_covariance(node, [3, 1]), expected[np.ix_([3, 1], [3, 1])], rtol=1e-9
        )


def test_lonely_psu_fail_raises() -> None:
    s = _clustered_sample(3)
    design = SurveyDesign.from_columns(weights=s["w"], strata=s["strata"], psu=s["psu"])
    with pytest.raises(LonelyPsuError, match="only one PSU"):
        estimate_indices(design, s["y"], TREE)


def test_criterion_share_equals_reference_ratio_estimator_by_domain() -> None:
    # The design-based ratio estimator of analysis.estimators is itself tested against R.
    s = _clustered_sample(5)
    design = SurveyDesign.from_columns(
        weights=s["w"], strata=s["strata"], psu=s["psu"], fpc=s["fpc"], lonely_psu="adjust"
    )
    table = estimate_indices(design, s["y"], TREE, domain=s["domain"])
    valid = ~np.isnan(s["y"][:, 3])
    ref = estimate_ratio(design, (s["y"][:, 3] >= 4) & valid, valid.astype(float), by=s["domain"])
    np.testing.assert_allclose(table.estimate[:, 6], ref.estimate, rtol=1e-12)
    np.testing.assert_allclose(table.se[:, 6], ref.se, rtol=1e-9)


# ------------------------------------------------------------------ R reference values


@pytest.fixture(scope="module")
def apistrat() -> dict[str, list[str]]:
    path = shared_dir() / "reference" / "data" / "apistrat.csv"
    if not path.exists():
        pytest.fail(f"reference data missing: {path} (set SIPAS_SHARED_DIR)")
    return read_apistrat()


def _hi700_as_answers(api: dict[str, list[str]]) -> np.ndarray:
    # A school with api00 > 700 "answers" 5 (satisfied), the others 2.
    hi = np.array([float(v) > 700 for v in api["api00"]])
    return np.where(hi, 5.0, 2.0)[:, None]


def test_share_matches_r_svyciprop_logit(apistrat: dict[str, list[str]]) -> None:
    # R: svyciprop(~hi700, dstrat, method='logit') (shared/reference, case
    # dstrat.ciprop.logit.hi700), dstrat = svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc)
    design = SurveyDesign.from_columns(
        weights=np.array(apistrat["pw"], dtype=float),
        strata=np.array(apistrat["stype"]),
        fpc=np.array(apistrat["fpc"], dtype=float),
    )
    table = estimate_indices(design, _hi700_as_answers(apistrat), one_criterion_tree())
    for node in range(3):  # overall = element = criterion with one criterion
        assert table.estimate[0, node] == pytest.approx(0.4043396816110399, rel=1e-12)
        assert table.se[0, node] == pytest.approx(0.037475390050193354, rel=1e-10)
        assert table.ci_lower[0, node] == pytest.approx(0.3330850275256668, rel=1e-8)
        assert table.ci_upper[0, node] == pytest.approx(0.479869454608789, rel=1e-8)
    assert table.df[0] == 197


@pytest.mark.parametrize(
    ("method", "lower", "upper"),
    [
        # R: svyby(~hi700, ~stype, dstrat, svyciprop, vartype=c('se','ci'), method=...)
        (
            "logit",
            [0.36449281477085244, 0.18959201084583296, 0.1408610491839833],
            [0.5585381353465586, 0.43981020567164564, 0.3781983659668358],
        ),
        (
            "beta",
            [0.3604901865201579, 0.18129191021972765, 0.13205983412912844],
            [0.5619101310551616, 0.442229343287306, 0.3792678873333982],
        ),
    ],
)
def test_domains_match_r_svyby_svyciprop(
    apistrat: dict[str, list[str]], method: str, lower: list[float], upper: list[float]
) -> None:
    design = SurveyDesign.from_columns(
        weights=np.array(apistrat["pw"], dtype=float),
        strata=np.array(apistrat["stype"]),
        fpc=np.array(apistrat["fpc"], dtype=float),
    )
    table = estimate_indices(
        design,
        _hi700_as_answers(apistrat),
        one_criterion_tree(),
        domain=np.array(apistrat["stype"]),
        ci_method=method,  # type: ignore[arg-type]
    )
    assert table.domains.tolist() == ["E", "H", "M"]
    np.testing.assert_allclose(table.estimate[:, 0], [0.46, 0.3, 0.24], rtol=1e-10)
    np.testing.assert_allclose(
        table.se[:, 0], [0.0495210761867685, 0.06326051017489119, 0.05949468461378389], rtol=1e-10
    )
    np.testing.assert_array_equal(table.df, [99, 49, 49])  # R df_used
    np.testing.assert_allclose(table.ci_lower[:, 0], lower, rtol=1e-8)
    np.testing.assert_allclose(table.ci_upper[:, 0], upper, rtol=1e-8)


def test_domains_cutting_across_strata_match_r(apistrat: dict[str, list[str]]) -> None:
    # R: svyby(~hi700, ~cname, dstrat, svymean) for Fresno, Los Angeles, Orange, San Diego.
    design = SurveyDesign.from_columns(
        weights=np.array(apistrat["pw"], dtype=float),
        strata=np.array(apistrat["stype"]),
        fpc=np.array(apistrat["fpc"], dtype=float),
    )
    table = estimate_indices(
        design, _hi700_as_answers(apistrat), one_criterion_tree(), domain=apistrat["cname"]
    )
    rows = [table.domain_index(c) for c in ("Fresno", "Los Angeles", "Orange", "San Diego")]
    np.testing.assert_allclose(
        table.estimate[rows, 0],
        [0.11360949736314219, 0.34778428960855273, 0.5271051610331315, 0.35222121074197704],
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        table.se[rows, 0],
        [0.10589467350847696, 0.08095767972266345, 0.14282240815284986, 0.16211896248704522],
        rtol=1e-10,
    )


# ------------------------------------------------------- jackknife, done independently


def test_overall_se_agrees_with_an_independent_stratified_jackknife() -> None:
    rng = np.random.default_rng(2024)
    n_strata, per_stratum = 8, 150
    strata = np.repeat(np.arange(n_strata), per_stratum)
    n = strata.size
    latent = rng.normal(size=n)[:, None] + rng.normal(0, 0.6, size=(n, 5))
    y = np.clip(np.round(3.4 + 0.3 * strata[:, None] / n_strata + latent), 1, 5)
    y[rng.random(y.shape) < 0.15] = np.nan
    w = np.repeat(rng.uniform(5.0, 50.0, n_strata), per_stratum)
    design = SurveyDesign.from_columns(weights=w, strata=strata)
    table = estimate_indices(design, y, TREE)

    def overall(weights: np.ndarray) -> float:
        valid = ~np.isnan(y)
        shares = ((weights[:, None] * (y >= 4)).sum(axis=0)) / (weights[:, None] * valid).sum(0)
        return float((shares[:2].mean() + shares[2:].mean()) / 2)

    # JKn (Wolter 2007, sec. 4.5): drop one unit, reweight its stratum by n_h / (n_h - 1).
    full = overall(w)
    variance = 0.0
    for i in range(n):
        wi = w.copy()
        same = strata == strata[i]
        wi[same] *= per_stratum / (per_stratum - 1)
        wi[i] = 0.0
        variance += (per_stratum - 1) / per_stratum * (overall(wi) - full) ** 2
    assert table.estimate[0, 0] == pytest.approx(full, rel=1e-12)
    assert table.se[0, 0] == pytest.approx(np.sqrt(variance), rel=0.02)


# ------------------------------------------------------------- intervals, edge cases


def test_mean_score_uses_t_interval() -> None:
    s = _clustered_sample(1)
    design = SurveyDesign.from_columns(weights=s["w"], strata=s["strata"], lonely_psu="adjust")
    table = estimate_indices(design, s["y"], TREE, rule="mean-score", domain=s["domain"])
    q = stats.t.ppf(0.975, table.df)[:, None]
    np.testing.assert_allclose(table.ci_lower, table.estimate - q * table.se, rtol=1e-12)
    np.testing.assert_allclose(table.ci_upper, table.estimate + q * table.se, rtol=1e-12)
    assert table.ci_method == "mean"


def test_unanimous_cells_get_the_exact_binomial_interval_not_a_point() -> None:
    """Five respondents all satisfied: the linearised SE is 0, yet the interval must not claim
    certainty; it is Clopper-Pearson for 5 of 5 (checked against scipy's binomtest)."""
    y = np.array([[5, 4, 4, 5, 5]] * 5 + [[2, 4, 1, 5, 3]] * 3, dtype=float)
    design = SurveyDesign.from_columns(weights=np.full(8, 3.0), strata=["s"] * 8)
    table = estimate_indices(design, y, TREE, domain=["all-yes"] * 5 + ["mixed"] * 3)
    g, j = table.domain_index("all-yes"), table.node_index("a1")
    assert table.estimate[g, j] == 1.0 and table.se[g, j] == 0.0
    exact = stats.binomtest(5, 5).proportion_ci(confidence_level=0.95, method="exact")
    assert table.ci_lower[g, j] == pytest.approx(exact.low, rel=1e-12)
    assert table.ci_upper[g, j] == 1.0
    m = table.domain_index("mixed")
    k = table.node_index("a2")  # "mixed" answered 4, 4, 4: all satisfied, out of 3
    assert table.estimate[m, k] == 1.0 and table.ci_lower[m, k] == pytest.approx(
        stats.binomtest(3, 3).proportion_ci(method="exact").low, rel=1e-12
    )
    nobody = table.node_index("b1")
    assert table.estimate[m, nobody] == 0.0  # answers 1, 1, 1
    assert table.ci_upper[m, nobody] == pytest.approx(
        stats.binomtest(0, 3).proportion_ci(method="exact").high, rel=1e-12
    )


def test_domain_without_valid_answers_to_a_criterion_is_nan() -> None:
    y = np.array([[5, 4, 4, 3, 2], [5, np.nan, 1, 2, 3], [2, 4, 5, 5, 5], [4, 4, 4, 4, 4]])
    design = SurveyDesign.from_columns(weights=np.ones(4))
    table = estimate_indices(design, y, TREE, domain=["x", "y", "x", "x"])
    g = table.domain_index("y")
    assert np.isnan(table.estimate[g, table.node_index("a2")])
    assert np.isnan(table.estimate[g, table.node_index("a")])
    assert np.isnan(table.estimate[g, table.node_index("overall")])
    assert table.estimate[g, table.node_index("b")] == pytest.approx(0.0)
    assert table.n_respondents[g, table.node_index("a2")] == 0


def test_bad_answer_names_row_and_criterion() -> None:
    y = np.full((3, 5), 4.0)
    y[2, 3] = 7
    design = SurveyDesign.from_columns(weights=np.ones(3))
    with pytest.raises(IndexInputError, match=r"row 2, criterion 'b2' is 7"):
        estimate_indices(design, y, TREE)
    with pytest.raises(IndexInputError, match=r"\(n, 5\) matrix"):
        estimate_indices(design, y[:, :4], TREE)
    with pytest.raises(IndexInputError, match="rule"):
        estimate_indices(design, np.full((3, 5), 4.0), TREE, rule="median")  # type: ignore[arg-type]


# ---------------------------------------------------------------- questionnaire tree


def test_builtin_tree_has_the_five_elements_and_nineteen_criteria() -> None:
    tree = builtin_questionnaire_tree("sipas-standard")
    assert tree is SIPAS_STANDARD
    assert tree.element_codes == ("access", "procedures", "civil_servants", "results", "feedback")
    assert len(tree.criteria) == 19
    assert tree.criteria[0] == "access_q15" and tree.criteria[-1] == "feedback_q33"
    with pytest.raises(QuestionnaireTreeError, match="sipas-standard"):
        builtin_questionnaire_tree("nope")


def test_platform_questionnaire_shape_is_accepted() -> None:
    tree = parse_questionnaire_tree(
        {
            "code": "sipas",
            "version": 3,
            "elements": [
                {"code": "access", "criteria": [{"code": "access_q15", "text": {"vi": "..."}}]},
                {"code": "results", "criteria": [{"code": "results_q28"}, {"code": "results_q29"}]},
            ],
        }
    )
    assert tree.code == "sipas@3"
    assert tree.criteria == ("access_q15", "results_q28", "results_q29")
    assert tree.element_of_criterion() == (0, 1, 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"elements": {"a": ["x"], "b": ["x"]}}, "used twice"),
        ({"elements": {"a": []}}, "no criteria"),
        ({"elements": [{"code": "a", "criteria": [{"text": "no code"}]}]}, r"criteria\[0\]"),
        ({"items": []}, "elements"),
    ],
)
def test_malformed_tree_names_the_problem(data: dict[str, object], message: str) -> None:
    with pytest.raises(QuestionnaireTreeError, match=message):
        parse_questionnaire_tree(data)


# ------------------------------------------------------------------ replicate weights


def test_replicate_jkn_matches_r(apistrat: dict[str, list[str]]) -> None:
    # R: svymean(~hi700, as.svrepdesign(dstrat, type="JKn")) (case rep_JKn_dstrat.mean.mean.hi700)
    design = SurveyDesign.from_columns(
        weights=np.array(apistrat["pw"], dtype=float),
        strata=np.array(apistrat["stype"]),
        fpc=np.array(apistrat["fpc"], dtype=float),
    )
    table = estimate_indices(jkn(design), _hi700_as_answers(apistrat), one_criterion_tree())
    assert table.variance_method == "replicate"
    assert table.estimate[0, 0] == pytest.approx(0.40433968161103895, rel=1e-12)
    assert table.se[0, 0] == pytest.approx(0.037475390050193506, rel=1e-8)
    assert table.df[0] == 197


def test_replicate_cells_equal_an_explicit_loop_over_replicates() -> None:
    s = _clustered_sample(9)
    design = SurveyDesign.from_columns(
        weights=s["w"], strata=s["strata"], psu=s["psu"], lonely_psu="certainty"
    )
    keep = s["strata"] != 5  # the jackknife cannot drop the lonely PSU
    design = design.subset_rows(keep)
    y, domain = s["y"][keep], s["domain"][keep]
    rep = jkn(design)
    table = estimate_indices(rep, y, TREE, domain=domain, rule="pooled")

    def estimates(weights: np.ndarray) -> np.ndarray:
        # every domain's nodes with these weights, from the hand-written formulas
        return np.array(
            [_explicit_scores(y, weights, domain == g, "pooled")[0][[0, 1, 5]] for g in range(4)]
        )

    full = estimates(rep.weights)
    reps = np.stack([estimates(rep.replicate_weights[:, r]) for r in range(rep.n_replicates)])
    np.testing.assert_allclose(table.estimate[:, [0, 1, 5]], full, rtol=1e-12)
    for k, node in enumerate(("overall", "a", "b1")):
        cov = replicate_covariance(rep, full[:, k], reps[:, :, k])
        np.testing.assert_allclose(
            table.se[:, table.node_index(node)], np.sqrt(np.diag(cov)), rtol=1e-9
        )
        np.testing.assert_allclose(table.domain_covariance(node), cov, rtol=1e-9, atol=1e-15)


# ------------------------------------------------------ calibrated designs (issue 9, item 6)


def _calibrated_designs(lonely: LonelyPsuRule) -> tuple[dict[str, np.ndarray], list[SurveyDesign]]:
    s = _clustered_sample(13)
    rng = np.random.default_rng(13)
    base = SurveyDesign.from_columns(
        weights=s["w"], strata=s["strata"], psu=s["psu"], fpc=s["fpc"], lonely_psu=lonely
    )
    sex = rng.integers(0, 2, base.n)
    band = rng.integers(0, 3, base.n)
    s["sex"], s["band"] = sex, band
    ps = poststratify(base, sex * 3 + band, {g: 150.0 + 40 * g for g in range(6)})
    raked = rake(base, [sex, band], [{0: 700.0, 1: 800.0}, {0: 400.0, 1: 500.0, 2: 600.0}])
    # A post-stratification followed by raking: two calibration steps in a row.
    both = rake(
        ps, [band, s["domain"]], [{0: 450.0, 1: 500.0, 2: 550.0}, dict.fromkeys(range(4), 375.0)]
    )
    return s, [ps, raked.design, both.design]


@pytest.mark.parametrize("lonely", ["certainty", "adjust", "average"])
@pytest.mark.parametrize("rule", RULES)
def test_calibrated_design_se_uses_the_calibration_residuals(
    rule: IndexRule, lonely: LonelyPsuRule
) -> None:
    # The dense route (taylor_covariance residualises every score column) is the reference;
    # estimate_ratio on the same designs is checked against R in test_reference_r.py.
    s, designs = _calibrated_designs(lonely)
    for design in designs:
        table = estimate_indices(design, s["y"], TREE, domain=s["domain"], rule=rule)
        fixed = estimate_indices(
            design.with_weights(design.weights), s["y"], TREE, domain=s["domain"], rule=rule
        )
        assert not np.allclose(table.se, fixed.se, rtol=1e-3)  # the calibration matters
        for g in range(4):
            est, scores = _explicit_scores(s["y"], design.weights, s["domain"] == g, rule)
            cov = taylor_covariance(design, scores)
            np.testing.assert_allclose(table.estimate[g], est, rtol=1e-12)
            np.testing.assert_allclose(table.se[g], np.sqrt(np.diag(cov)), rtol=1e-9)


@pytest.mark.parametrize("lonely", ["certainty", "adjust", "average"])
def test_calibrated_domain_covariance_equals_taylor_covariance(lonely: LonelyPsuRule) -> None:
    s, designs = _calibrated_designs(lonely)
    for design in designs:
        table = estimate_indices(design, s["y"], TREE, domain=s["domain"])
        for node_col, node in ((0, "overall"), (2, "b"), (4, "a2")):
            scores = np.column_stack(
                [
                    _explicit_scores(s["y"], design.weights, s["domain"] == g, "criteria-mean")[1][
                        :, node_col
                    ]
                    for g in range(4)
                ]
            )
            expected = taylor_covariance(design, scores)
            np.testing.assert_allclose(
                table.domain_covariance(node), expected, rtol=1e-9, atol=1e-14
            )
            np.testing.assert_allclose(
                table.domain_covariance(node, [3, 1]), expected[np.ix_([3, 1], [3, 1])], rtol=1e-9
            )


def test_criterion_share_on_a_raked_design_equals_the_ratio_estimator() -> None:
    s, designs = _calibrated_designs("adjust")
    for design in designs:
        table = estimate_indices(design, s["y"], TREE, domain=s["domain"])
        valid = ~np.isnan(s["y"][:, 3])
        ref = estimate_ratio(
            design, (s["y"][:, 3] >= 4) & valid, valid.astype(float), by=s["domain"]
        )
        np.testing.assert_allclose(table.estimate[:, 6], ref.estimate, rtol=1e-12)
        np.testing.assert_allclose(table.se[:, 6], ref.se, rtol=1e-9)


# ---------------------------------------------------------------- fast paths of the variance


def _unclustered_layout(layout: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Strata and domains nested either way, crossed, or crossed over a wide code product."""
    rng = np.random.default_rng(23)
    if layout == "strata-in-domains":
        strata = rng.integers(0, 40, n)
        return strata, strata // 5
    if layout == "domains-in-strata":
        domain = rng.integers(0, 40, n)
        return domain // 10, domain
    if layout == "crossed":
        return rng.integers(0, 6, n), rng.integers(0, 5, n)
    # 300 x 300 codes: more pairs possible than a presence table is built for.
    return rng.integers(0, 300, n), rng.integers(0, 300, n)


@pytest.mark.parametrize("layout", ["strata-in-domains", "domains-in-strata", "crossed", "wide"])
@pytest.mark.parametrize("rule", RULES)
def test_every_row_its_own_psu_equals_taylor_covariance_whatever_the_nesting(
    layout: str, rule: IndexRule
) -> None:
    n = 3000
    rng = np.random.default_rng(29)
    strata, domain = _unclustered_layout(layout, n)
    y = rng.integers(1, 6, size=(n, 5)).astype(float)
    y[rng.random((n, 5)) < 0.2] = np.nan
    w = rng.uniform(1.0, 6.0, n)
    design = SurveyDesign.from_columns(
        weights=w, strata=strata, fpc=np.where(strata % 3 == 0, 0.3, 0.02), lonely_psu="certainty"
    )
    assert design.rows_are_psus
    table = estimate_indices(design, y, TREE, domain=domain, rule=rule)
    labels = np.unique(domain)
    for g in range(min(labels.size, 8)):
        est, scores = _explicit_scores(y, w, domain == labels[g], rule)
        cov = taylor_covariance(design, scores)
        np.testing.assert_allclose(table.estimate[g], est, rtol=1e-12)
        np.testing.assert_allclose(table.se[g], np.sqrt(np.diag(cov)), rtol=1e-9)
    # Row order does not matter (the pairs are found without sorting the rows).
    perm = rng.permutation(n)
    shuffled = estimate_indices(
        SurveyDesign.from_columns(
            weights=w[perm],
            strata=strata[perm],
            fpc=np.where(strata[perm] % 3 == 0, 0.3, 0.02),
            lonely_psu="certainty",
        ),
        y[perm],
        TREE,
        domain=domain[perm],
        rule=rule,
    )
    np.testing.assert_allclose(shuffled.estimate, table.estimate, rtol=1e-12)
    np.testing.assert_allclose(shuffled.se, table.se, rtol=1e-10)
    np.testing.assert_array_equal(shuffled.df, table.df)
    np.testing.assert_array_equal(shuffled.n_respondents, table.n_respondents)


def test_clustered_design_with_psus_nested_in_domains_equals_taylor_covariance() -> None:
    s = _clustered_sample(31)
    design = SurveyDesign.from_columns(
        weights=s["w"], strata=s["strata"], psu=s["psu"], fpc=s["fpc"], lonely_psu="adjust"
    )
    assert not design.rows_are_psus
    table = estimate_indices(design, s["y"], TREE, domain=s["strata"])  # PSUs within domains
    for g, label in enumerate(np.unique(s["strata"])):
        est, scores = _explicit_scores(s["y"], s["w"], s["strata"] == label, "criteria-mean")
        np.testing.assert_allclose(table.estimate[g], est, rtol=1e-12)
        se = np.sqrt(np.diag(taylor_covariance(design, scores)))
        # The lonely stratum's one PSU holds its whole domain: a zero SE up to rounding.
        np.testing.assert_allclose(table.se[g], se, rtol=1e-9, atol=1e-12)


def test_answers_off_the_scale_found_after_a_clean_block() -> None:
    y = np.full((70_000, 2), 3.0)
    y[::7, 1] = np.nan
    y[65_000, 0] = 4.5  # in the second block of rows
    with pytest.raises(IndexInputError, match=r"row 65000, criterion 'a1' is 4\.5"):
        estimate_indices(
            SurveyDesign.from_columns(weights=np.ones(70_000)),
            y,
            parse_questionnaire_tree({"elements": {"a": ["a1", "a2"]}}),
        )
