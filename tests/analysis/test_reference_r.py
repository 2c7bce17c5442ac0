"""Reproduce R ``survey`` (Lumley; R 4.2.2, survey 4.1-1) on the ``api`` data.

Provenance: ``shared/reference/api_reference.json`` and the CSVs beside it were written by
``shared/reference/r/reference_api.R`` (see its README). Every case there is either reproduced
here to a relative error of 1e-8 or listed in ``UNSUPPORTED`` with the reason;
``test_every_case_is_accounted_for`` fails when the JSON gains a case that is neither.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from numpy.typing import NDArray

from analysis.calibration import poststratify, rake
from analysis.design import SurveyDesign
from analysis.estimators import (
    Design,
    Estimate,
    estimate_mean,
    estimate_proportions,
    estimate_ratio,
    estimate_total,
)
from analysis.intervals import ProportionCiMethod, proportion_ci
from analysis.quantiles import QuantileRule, estimate_quantiles
from analysis.regression import fit_glm
from analysis.replicates import ReplicateDesign, brr, fay, from_multipliers, jk1, jkn
from analysis.variance import replicate_covariance

RTOL = 1e-8


def shared_dir() -> Path:
    override = os.environ.get("SIPAS_SHARED_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared"


REFERENCE = shared_dir() / "reference"

# Case id -> why it is not reproduced. Empty: every case of the reference is reproduced.
UNSUPPORTED: dict[str, str] = {}


@cache
def cases() -> dict[str, dict[str, Any]]:
    with (REFERENCE / "api_reference.json").open(encoding="utf-8") as fh:
        data: dict[str, dict[str, Any]] = json.load(fh)["cases"]
    return data


class Table:
    """A CSV file as columns of strings, read with the csv module."""

    def __init__(self, path: Path) -> None:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        self.columns = {k: np.array([r[k] for r in rows]) for k in rows[0]}

    def text(self, name: str) -> NDArray[np.str_]:
        return self.columns[name]

    def num(self, name: str) -> NDArray[np.float64]:
        col = self.columns[name]
        return np.array([float(v) if v != "" else np.nan for v in col])

    def subset(self, order: NDArray[np.intp]) -> Table:
        new = object.__new__(Table)
        new.columns = {k: v[order] for k, v in self.columns.items()}
        return new


@cache
def table(name: str) -> Table:
    if name == "apipair":
        # R: apistrat[order(apistrat$stype, apistrat$snum), ] paired in consecutive rows.
        base = table("apistrat")
        return base.subset(np.lexsort((base.num("snum"), base.text("stype"))))
    return Table(REFERENCE / "data" / f"{name}.csv")


def derived(t: Table, var: str) -> NDArray[np.float64]:
    if var == "sw_yes":
        return (t.text("sch.wide") == "Yes").astype(np.float64)
    if var == "hi700":
        return (t.num("api00") > 700).astype(np.float64)
    return t.num(var)


POP_TYPES = {"E": 4421.0, "H": 755.0, "M": 1018.0}
POP_SCHWIDE = {"No": 1072.0, "Yes": 5122.0}


def pop_awards() -> dict[str, float]:
    labels, counts = np.unique(table("apipop").text("awards"), return_counts=True)
    return {str(k): float(v) for k, v in zip(labels, counts, strict=True)}


@cache
def taylor_design(name: str) -> tuple[SurveyDesign, Table]:
    if name in ("dstrat", "dstrat_nofpc", "dstrat_subsetH"):
        t = table("apistrat")
        d = SurveyDesign.from_columns(
            weights=t.num("pw"),
            strata=t.text("stype"),
            fpc=None if name == "dstrat_nofpc" else t.num("fpc"),
        )
        if name == "dstrat_subsetH":
            keep = t.text("stype") == "H"
            return d.subset_rows(keep), t.subset(np.flatnonzero(keep))
        return d, t
    if name == "dclus1":
        t = table("apiclus1")
        design = SurveyDesign.from_columns(weights=t.num("pw"), psu=t.num("dnum"), fpc=t.num("fpc"))
        return design, t
    if name == "dpair":
        t = table("apipair")
        pair = np.repeat(np.arange(t.num("snum").shape[0] // 2), 2)
        return SurveyDesign.from_columns(weights=t.num("pw"), strata=pair, psu=t.num("snum")), t
    if name == "dclus1_ps_stype":
        d, t = taylor_design("dclus1")
        return poststratify(d, t.text("stype"), POP_TYPES), t
    if name == "dclus1_rake":
        d, t = taylor_design("dclus1")
        raked = rake(d, [t.text("stype"), t.text("sch.wide")], [POP_TYPES, POP_SCHWIDE])
        return raked.design, t
    if name == "dstrat_ps_schwide":
        d, t = taylor_design("dstrat")
        return poststratify(d, t.text("sch.wide"), POP_SCHWIDE), t
    if name == "dstrat_rake":
        d, t = taylor_design("dstrat")
        raked = rake(d, [t.text("sch.wide"), t.text("awards")], [POP_SCHWIDE, pop_awards()])
        return raked.design, t
    raise KeyError(name)


REP_SOURCES = {
    "rep_JKn_dstrat": "dstrat",
    "rep_JKn_dstrat_nofpc": "dstrat_nofpc",
    "rep_JK1_dclus1": "dclus1",
    "rep_boot_dstrat": "dstrat",
    "rep_subboot_dstrat": "dstrat",
    "rep_BRR_dpair": "dpair",
    "rep_Fay_dpair": "dpair",
}


@cache
def multipliers(rep_name: str) -> NDArray[np.float64]:
    """Exported multipliers, reordered to the rows of the source data by snum."""
    meta = cases()[f"{rep_name}.weights"]
    rep = Table(REFERENCE / meta["file"])
    _, t = taylor_design(REP_SOURCES[rep_name])
    keys = rep.num("snum")
    position = {k: i for i, k in enumerate(keys)}
    order = np.array([position[k] for k in t.num("snum")])
    cols = [f"r{j:03d}" for j in range(1, meta["n_replicates"] + 1)]
    return np.column_stack([rep.num(c) for c in cols])[order]


@cache
def replicate_design(rep_name: str, mse: bool) -> tuple[ReplicateDesign, Table]:
    meta = cases()[f"{rep_name}.weights"]
    d, t = taylor_design(REP_SOURCES[rep_name])
    rd = from_multipliers(
        d.weights,
        multipliers(rep_name),
        scale=meta["scale"],
        rscales=meta["rscales"],
        mse=mse,
        df=d.df,
    )
    return rd, t


def close(actual: Any, expected: Any, what: str) -> None:
    np.testing.assert_allclose(
        np.atleast_1d(np.asarray(actual, dtype=np.float64)),
        np.atleast_1d(np.asarray(expected, dtype=np.float64)),
        rtol=RTOL,
        atol=0,
        err_msg=what,
    )


def check_estimate(est: Estimate, case: dict[str, Any], order: NDArray[np.intp] | None) -> None:
    pick: Callable[[NDArray[Any]], NDArray[Any]] = (
        (lambda a: a) if order is None else (lambda a: a[order])
    )
    close(pick(est.estimate), case["estimate"], "estimate")
    close(pick(est.se), case["se"], "se")
    close(pick(est.variance), case["variance"], "variance")
    assert est.df == case["df_design"]
    if "deff" in case:
        assert est.deff is not None
        close(pick(est.deff), case["deff"], "deff")
    ci = case["ci"]
    lo_n, hi_n = est.ci(df=math.inf)
    close(pick(lo_n), ci["normal"]["lower"], "normal lower")
    close(pick(hi_n), ci["normal"]["upper"], "normal upper")
    assert ci["t"]["df"] == est.df
    lo_t, hi_t = est.ci()
    close(pick(lo_t), ci["t"]["lower"], "t lower")
    close(pick(hi_t), ci["t"]["upper"], "t upper")
    if "ci_confint_default" in case:
        close(pick(lo_n), case["ci_confint_default"]["lower"], "confint lower")


def group_order(labels: NDArray[Any], wanted: list[str]) -> NDArray[np.intp]:
    position = {str(v): i for i, v in enumerate(labels)}
    return np.array([position[g] for g in wanted], dtype=np.intp)


STAT = re.compile(
    r"^(?P<design>[A-Za-z0-9_]+?)(?:\.(?P<centre>mean|mse))?(?:\.(?P<fixed>fixedweights))?"
    r"(?:\.taylor)?"
    r"(?:\.by_(?P<by>stype|awards|cname4))?\.(?P<stat>mean|total|ratio)\.(?P<var>.+)$"
)
CIPROP = re.compile(
    r"^(?P<design>[A-Za-z0-9_]+?)(?:\.by_(?P<by>stype))?\.ciprop\.(?P<method>\w+)\.(?P<var>\w+)$"
)
WEIGHTS = re.compile(r"^(?P<design>[A-Za-z0-9_]+)\.weights$")
GLM = re.compile(
    r"^(?P<design>\w+)\.svyglm\.(?P<family>logit|linear)\.(?P<var>\w+)(?P<tight>\.tight)?$"
)
GLM_COLUMNS = {"hi700": ("ell", "meals", "stype"), "api00": ("ell", "meals", "mobility")}
QUANTILE = re.compile(r"^(?P<design>\w+)\.quantile\.(?P<rule>math|school|hf7)\.(?P<var>\w+)$")


def run_stat(case_id: str, case: dict[str, Any]) -> None:
    m = STAT.match(case_id)
    assert m is not None, case_id
    name, centre, by, stat, var = m["design"], m["centre"], m["by"], m["stat"], m["var"]
    design: Design
    if name.startswith("rep_"):
        design, t = replicate_design(name, centre == "mse")
    else:
        design, t = taylor_design(name)
    if m["fixed"]:
        # The same calibrated weights, treated as fixed: what a weights-only tool reports.
        assert isinstance(design, SurveyDesign)
        design = design.with_weights(design.weights)
    by_col = None
    if by is not None:
        by_col = t.text("cname" if by == "cname4" else by)
    if stat == "ratio":
        num_name, den_name = var.split("_over_")
        est = estimate_ratio(design, t.num(num_name), t.num(den_name), by=by_col)
    elif var.startswith("factor_"):
        cat = estimate_proportions(design, t.text(var.removeprefix("factor_")))
        est = cat.estimates
    else:
        fn = estimate_mean if stat == "mean" else estimate_total
        est = fn(design, derived(t, var), by=by_col)
    order = None if by is None else group_order(est.labels[0], case["groups"])
    check_estimate(est, case, order)


def run_ciprop(case_id: str, case: dict[str, Any]) -> None:
    m = CIPROP.match(case_id)
    assert m is not None, case_id
    design, t = taylor_design(m["design"])
    method = cast(ProportionCiMethod, m["method"])
    by_col = None if m["by"] is None else t.text(m["by"])
    ci = proportion_ci(design, derived(t, m["var"]), method=method, by=by_col)
    order = (
        np.arange(ci.estimate.shape[0])
        if m["by"] is None
        else group_order(ci.labels[0], case["groups"])
    )
    close(ci.estimate[order], case["estimate"], "estimate")
    close(ci.se[order], case["se"], "se")
    if "df" in case:
        assert ci.df[order][0] == case["df"]
    if "df_used" in case:
        np.testing.assert_array_equal(ci.df[order], case["df_used"])
    close(ci.lower[order], case["lower"], "lower")
    close(ci.upper[order], case["upper"], "upper")


def run_quantile(case_id: str, case: dict[str, Any]) -> None:
    m = QUANTILE.match(case_id)
    assert m is not None, case_id
    design, t = taylor_design(m["design"])
    rule = cast(QuantileRule, m["rule"])
    est = estimate_quantiles(design, t.num(m["var"]), case["quantiles"], rule=rule)
    close(est.estimate, case["estimate"], "estimate")
    close(est.lower, case["lower"], "lower")
    close(est.upper, case["upper"], "upper")
    close(est.se, case["se"], "se")


def run_glm(case_id: str, case: dict[str, Any]) -> None:
    m = GLM.match(case_id)
    assert m is not None, case_id
    design, t = taylor_design(m["design"])
    columns = [np.ones(design.n)]
    for name in GLM_COLUMNS[m["var"]]:
        if name == "stype":
            # R treatment contrasts: baseline E, dummies stypeH and stypeM.
            columns += [(t.text(name) == level).astype(np.float64) for level in ("H", "M")]
        else:
            columns.append(t.num(name))
    control = {"epsilon": 1e-14, "max_iter": 100} if m["tight"] else {}
    fit = fit_glm(
        design,
        np.column_stack(columns),
        derived(t, m["var"]),
        family="quasibinomial" if m["family"] == "logit" else "gaussian",
        terms=case["terms"],
        **control,  # type: ignore[arg-type]
    )
    close(fit.coef, case["coef"], "coef")
    close(fit.se, case["se"], "se")
    close(fit.vcov, case["vcov"], "vcov")
    if "df_residual" in case:
        assert fit.df_residual == case["df_residual"]
        close(fit.t, case["t"], "t")
        close(fit.p, case["p"], "p")


def run_weights(case_id: str, case: dict[str, Any]) -> None:
    m = WEIGHTS.match(case_id)
    assert m is not None, case_id
    name = m["design"]
    if not name.startswith("rep_"):
        design, t = taylor_design(name)
        np.testing.assert_array_equal(t.num("snum"), case["snum"])
        close(design.weights, case["weights"], "calibrated weights")
        return
    source, t = taylor_design(REP_SOURCES[name])
    mult = multipliers(name)
    assert mult.shape == (source.n, case["n_replicates"])
    assert len(case["rscales"]) == case["n_replicates"]
    ours: ReplicateDesign
    if case["type"] in ("bootstrap", "subbootstrap"):
        # R's draws come from its own RNG; check the exported replicates are resamples of
        # n_h - 1 PSUs per stratum: each replicate's multipliers add to n_h within a stratum
        # (R's rescaling n_h/(n_h - 1) times n_h - 1 draws), fpc aside.
        if case["type"] == "subbootstrap":
            n_h = np.bincount(source.strata).astype(np.float64)
            sums = np.zeros((n_h.shape[0], mult.shape[1]))
            np.add.at(sums, source.strata, mult)
            close(sums, np.broadcast_to(n_h[:, None], sums.shape), "subbootstrap sums")
            close(case["scale"], 1.0 / (case["n_replicates"] - 1), "scale")
        else:
            assert (mult >= 0).all()
        return
    if case["type"] == "JKn":
        ours = jkn(source)
    elif case["type"] == "JK1":
        ours = jk1(source)
    elif case["type"] == "BRR":
        ours = brr(source)
    else:
        ours = fay(source, rho=0.5)
    assert ours.n_replicates == case["n_replicates"]
    if case["type"] in ("JKn", "JK1"):
        # Same replicates up to their order: compare sorted (multiplier column, rscale) pairs.
        ours_cols = ours.replicate_weights / source.weights[:, None]
        key_ours = np.lexsort(np.vstack([ours_cols, ours.rscales * ours.scale]))
        key_ref = np.lexsort(np.vstack([mult, np.asarray(case["rscales"]) * case["scale"]]))
        close(ours_cols[:, key_ours], mult[:, key_ref], "jackknife multipliers")
        close(
            (ours.rscales * ours.scale)[key_ours],
            (np.asarray(case["rscales"]) * case["scale"])[key_ref],
            "jackknife scale * rscales",
        )
    else:
        # Any fully balanced half-sample set gives R's variance for a linear statistic.
        close(ours.scale, case["scale"], "scale")
        y = t.num("api00")
        reps = (ours.replicate_weights.T @ y)[:, None]
        full = np.array([source.weights @ y])
        for centre in ("mean", "mse"):
            v = replicate_covariance(ours.with_mse(centre == "mse"), full, reps)
            close(v[0, 0], cases()[f"{name}.{centre}.total.api00"]["variance"], "BRR variance")


def case_ids() -> list[str]:
    if not (REFERENCE / "api_reference.json").is_file():
        return []
    return sorted(k for k in cases() if k not in UNSUPPORTED)


def dispatch(case_id: str) -> Callable[[str, dict[str, Any]], None]:
    if WEIGHTS.match(case_id):
        return run_weights
    if ".ciprop." in case_id:
        return run_ciprop
    if QUANTILE.match(case_id):
        return run_quantile
    if GLM.match(case_id):
        return run_glm
    return run_stat


@pytest.mark.parametrize("case_id", case_ids())
def test_case_matches_r(case_id: str) -> None:
    dispatch(case_id)(case_id, cases()[case_id])


def test_every_case_is_accounted_for() -> None:
    assert (REFERENCE / "api_reference.json").is_file(), (
        f"R reference values not found in {REFERENCE}; set SIPAS_SHARED_DIR to the shared folder"
    )
    ids = set(cases())
    stale = set(UNSUPPORTED) - ids
    assert not stale, f"UNSUPPORTED lists cases the JSON no longer has: {sorted(stale)}"
    for case_id in ids - set(UNSUPPORTED):
        assert (
            WEIGHTS.match(case_id)
            or CIPROP.match(case_id)
            or QUANTILE.match(case_id)
            or GLM.match(case_id)
            or STAT.match(case_id)
        ), f"case {case_id} is neither tested nor listed in UNSUPPORTED"
    assert len(case_ids()) + len(UNSUPPORTED) == len(ids) == 134
