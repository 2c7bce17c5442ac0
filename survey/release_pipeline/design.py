"""Release step 3, design: the respondents as a stratified single-stage sample, or the ultimate
clusters of a two-stage (PPS) draw; optionally calibrated to the analyst's margins
(:func:`calibrate_release_design`, :mod:`survey.calibration_margins`) and given replicate weights
for the variance (:func:`variance_design`: JK1, JKn or the rescaled bootstrap, each replicate
calibrated again), both recorded by :func:`record_calibration_and_variance`.

Strata = ``Response.stratum``; finite population correction f_h = r_h / N_h with N_h the
stratum's frame count recorded in the draw's design snapshot (``allocation.population``).
Without that record the variance is computed with replacement (no fpc). For a PPS draw the
first-stage unit of each respondent is ``Response.psu`` (copied from the dossier when the
response started) and the variance is the ultimate-cluster one, with replacement (no fpc), the
usual conservative approximation (Lohr 2021, ch. 6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session

from analysis.design import DesignError, LonelyPsuRule, SurveyDesign
from analysis.indices import IndexInputError
from analysis.replicates import ReplicateDesign, bootstrap, jk1, jkn
from analysis.variance import LonelyPsuError
from survey.calibration_margins import CalibrationOutcome, CalibrationSpec, apply_calibration
from survey.designs import PSU_COLUMNS
from survey.draws import population_by_stratum
from survey.errors import InvalidInput, Problem
from survey.models import Draw
from survey.release_pipeline.rows import ResponseRows, load_psus
from survey.release_pipeline.weights import Weighting

FpcSource = Literal["none", "draw_snapshot", "pps_with_replacement"]


@dataclass(frozen=True)
class DesignChoice:
    """The design and how it was chosen.

    Attributes
    ----------
    design : SurveyDesign
    fpc_source : {"none", "draw_snapshot", "pps_with_replacement"}
    first_stage_units : str or None
        The dossier column of the first-stage units of a two-stage design.
    population : mapping of stratum -> N_h, or None
        The draw's record of the frame counts.
    """

    design: SurveyDesign
    fpc_source: FpcSource
    first_stage_units: str | None
    population: dict[str, int] | None


def estimation_error(error: DesignError | IndexInputError) -> InvalidInput:
    """A design or estimation failure as the use case's error (a lonely PSU names the rule)."""
    field = "lonely_psu" if isinstance(error, LonelyPsuError) else "responses"
    return InvalidInput("the indices cannot be estimated", [Problem((field,), str(error))])


def build_design(
    session: Session,
    campaign_id: int,
    draw: Draw,
    rows: ResponseRows,
    weighting: Weighting,
    lonely_psu: LonelyPsuRule,
) -> DesignChoice:
    """The release's design (see the module docstring).

    Raises
    ------
    InvalidInput
        A two-stage release with responses that do not record their first-stage unit, or a
        design that cannot be built.
    """
    population = population_by_stratum(draw)
    record = (draw.design_snapshot or {}).get("design") or {}
    psu_column = record.get("psu_column")
    labels = weighting.strata.tolist()
    fpc: NDArray[np.float64] | None = None
    fpc_source: FpcSource = "none"
    psu: NDArray[np.str_] | None = None
    if str(record.get("selection", "")) == "pps" and psu_column in PSU_COLUMNS:
        first_stage = load_psus(session, campaign_id)
        unknown = int((first_stage == "").sum())
        if unknown:
            raise InvalidInput(
                "some responses cannot be placed in their first-stage unit",
                [
                    Problem(
                        ("campaign_id",),
                        f"{unknown} completed responses do not record their {psu_column}; a "
                        "two-stage release needs every one",
                    )
                ],
            )
        psu = np.char.add(np.char.add(rows.strata, "/"), first_stage)
        fpc_source = "pps_with_replacement"
    elif population is not None and all(str(s) in population for s in labels):
        pop_h = np.array([population[str(s)] for s in labels], dtype=np.float64)
        respondents_h = weighting.respondents
        if (pop_h >= respondents_h).all() and (pop_h > 0).all():
            fpc = (respondents_h / pop_h)[weighting.stratum_of_row]
            fpc_source = "draw_snapshot"
    try:
        design = SurveyDesign.from_columns(
            weights=weighting.weights, strata=rows.strata, psu=psu, fpc=fpc, lonely_psu=lonely_psu
        )
    except DesignError as error:
        raise estimation_error(error) from None
    return DesignChoice(
        design=design,
        fpc_source=fpc_source,
        first_stage_units=str(psu_column) if psu is not None else None,
        population=population,
    )


# ---------------------------------------------------------------- calibration and variance
# Variance methods a release may choose; "taylor" is what releases always used.
VARIANCE_METHODS: tuple[str, ...] = ("taylor", "jk1", "jkn", "bootstrap")
DEFAULT_BOOTSTRAP_REPLICATES = 500
MAX_REPLICATES = 5000
_VARIANCE_WORDS = {
    "jk1": ("dao cắt bỏ từng đơn vị (JK1)", "the delete-one jackknife (JK1)"),
    "jkn": ("dao cắt phân tầng (JKn)", "the stratified jackknife (JKn)"),
    "bootstrap": (
        "bootstrap hiệu chỉnh thang đo Rao-Wu-Yue",
        "the Rao-Wu-Yue rescaled bootstrap",
    ),
}
_METHOD_WORDS = {
    "rake": (
        "cào (raking, điều chỉnh lặp theo từng biên)",
        "raking (iterative proportional fitting)",
    ),
    "poststratify": ("hậu phân tầng", "post-stratification"),
    "linear": ("hiệu chỉnh tuyến tính (GREG)", "linear calibration (GREG)"),
}


@dataclass(frozen=True)
class VarianceChoice:
    """How a release's SEs and intervals are computed.

    Attributes
    ----------
    method : {"taylor", "jk1", "jkn", "bootstrap"}
        Taylor linearisation, or replicate weights (:mod:`analysis.replicates`).
    replicates : int or None
        Bootstrap replicates R (default :data:`DEFAULT_BOOTSTRAP_REPLICATES`).
    seed : int or None
        Seed of the bootstrap's ``numpy.random.Generator`` (default 0), recorded so the
        release can be recomputed to the bit.
    """

    method: str = "taylor"
    replicates: int | None = None
    seed: int | None = None


def check_variance(method: str, replicates: int | None, seed: int | None) -> VarianceChoice:
    """The checked variance choice.

    Raises
    ------
    InvalidInput
        An unknown method, or replicates / seed given to a method without them, or out of range.
    """
    problems: list[Problem] = []
    if method not in VARIANCE_METHODS:
        problems.append(Problem(("variance",), f"use one of {', '.join(VARIANCE_METHODS)}"))
    elif method != "bootstrap" and (replicates is not None or seed is not None):
        problems.append(
            Problem(
                ("replicates" if replicates is not None else "seed",),
                "replicates and seed are for the bootstrap only; the jackknife has one "
                "replicate per first-stage unit",
            )
        )
    if replicates is not None and not 2 <= replicates <= MAX_REPLICATES:
        problems.append(
            Problem(("replicates",), f"give from 2 to {MAX_REPLICATES} bootstrap replicates")
        )
    if seed is not None and not 0 <= seed < 2**63:
        problems.append(Problem(("seed",), "give a seed from 0 to 2^63 - 1"))
    if problems:
        raise InvalidInput("the release cannot be computed with these parameters", problems)
    if method == "bootstrap":
        return VarianceChoice(
            method, replicates or DEFAULT_BOOTSTRAP_REPLICATES, 0 if seed is None else seed
        )
    return VarianceChoice(method)


def calibrate_release_design(
    choice: DesignChoice,
    rows: ResponseRows,
    spec: CalibrationSpec,
    answers: Sequence[Mapping[str, Any]] | None,
) -> tuple[DesignChoice, CalibrationOutcome]:
    """The release's design calibrated to the analyst's margins.

    The margins may name the rows' frame columns (:data:`~survey.release_pipeline.rows.
    BY_COLUMNS`) or, when ``answers`` is given, any profile answer of the questionnaire
    (``sex``, ``age_band``, ...) by its item code.

    Raises
    ------
    InvalidInput
        Margins that do not fit the rows (``loc`` names the margins' row and field).
    """
    columns: dict[str, Any] = {name: values for name, values in rows.domains.items()}
    if answers is not None:
        wanted = {c for m in spec.margins.margins for c in m.columns} - set(columns)
        for name in sorted(wanted):
            columns[name] = np.array([_answer_label(a.get(name)) for a in answers], dtype=object)
    outcome = apply_calibration(choice.design, spec, columns)
    return replace(choice, design=outcome.design), outcome


def _answer_label(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, list | dict):
        return None
    return str(value)


def needs_answers(spec: CalibrationSpec | None, rows: ResponseRows) -> bool:
    """Whether the margins name a column the rows do not carry (a profile answer)."""
    if spec is None:
        return False
    return any(c not in rows.domains for m in spec.margins.margins for c in m.columns)


def variance_design(
    design: SurveyDesign, variance: VarianceChoice
) -> SurveyDesign | ReplicateDesign:
    """The design the release's SEs come from: itself (Taylor), or its replicate weights,
    calibrated again when the design is calibrated (:func:`analysis.replicates.recalibrate`).

    Raises
    ------
    InvalidInput
        A design the replicate method cannot take (``loc`` ``variance``): JK1 on a stratified
        design, a stratum with a single first-stage unit.
    """
    try:
        if variance.method == "jk1":
            return jk1(design)
        if variance.method == "jkn":
            return jkn(design)
        if variance.method == "bootstrap":
            return bootstrap(
                design,
                replicates=variance.replicates or DEFAULT_BOOTSTRAP_REPLICATES,
                rng=np.random.default_rng(variance.seed or 0),
            )
    except DesignError as error:
        raise InvalidInput(
            "the release cannot be computed with these parameters",
            [Problem(("variance",), _replicate_message(variance.method, str(error)))],
        ) from None
    return design


def _replicate_message(method: str, message: str) -> str:
    if "JK1 is for unstratified designs" in message:
        return "jk1 is for a design without strata; this release's design is stratified, use jkn"
    if "single PSU" in message:
        return (
            f"{method} needs at least 2 respondents (first-stage units) in every stratum; use "
            "taylor, or merge strata"
        )
    return message


def _margins_words(outcome: CalibrationOutcome) -> str:
    """The margins as the method note quotes them: ``sex (nam 5200, nu 4800); ...``."""
    return "; ".join(
        f"{m.variable} ({', '.join(f'{c} {v:g}' for c, v in m.counts.items())})"
        for m in outcome.spec.margins.margins
    )


def record_calibration_and_variance(
    parameters: dict[str, Any],
    outcome: CalibrationOutcome | None,
    variance: VarianceChoice,
) -> dict[str, Any]:
    """Add the calibration (method, margins, the g range) and the variance method to a
    release's parameters and to its method note (``parameters["weighting"]["description"]``,
    which the release page, the PDF and the public site print). Without either, the parameters
    are returned unchanged, so default releases keep their bytes and their SHA-256."""
    if outcome is None and variance.method == "taylor":
        return parameters
    out = dict(parameters)
    weighting = dict(out.get("weighting") or {})
    note = dict(weighting.get("description") or {"vi": "", "en": ""})
    vi, en = str(note.get("vi", "")), str(note.get("en", ""))
    if outcome is not None:
        spec = outcome.spec
        record = spec.as_record()
        record["g_range"] = [outcome.g_range[0], outcome.g_range[1]]
        record["sample_totals"] = {k: dict(v) for k, v in outcome.sample_totals.items()}
        method_vi, method_en = _METHOD_WORDS[spec.method]
        margins_vi = margins_en = _margins_words(outcome)
        bounds = ""
        if spec.bounds is not None:
            bounds = f" (g in [{spec.bounds[0]:g}, {spec.bounds[1]:g}])"
        vi += (
            f" Trọng số sau đó được hiệu chỉnh bằng {method_vi}{bounds} để khớp số lượng tổng "
            f"thể do người phân tích cung cấp: {margins_vi}. Sai số chuẩn tính đến việc hiệu "
            "chỉnh này (phần dư của mô hình hiệu chỉnh)."
        )
        en += (
            f" The weights are then calibrated by {method_en}{bounds} to the population counts "
            f"the analyst provided: {margins_en}. Standard errors account for the calibration "
            "(residuals of the calibration model)."
        )
        out["calibration"] = record
        weighting["calibration"] = spec.method
    variance_record = dict(out.get("variance") or {})
    if variance.method != "taylor":
        words_vi, words_en = _VARIANCE_WORDS[variance.method]
        variance_record["method"] = variance.method
        if variance.method == "bootstrap":
            variance_record["replicates"] = variance.replicates
            variance_record["seed"] = variance.seed
            words_vi += f", {variance.replicates} lần lặp, hạt giống {variance.seed}"
            words_en += f", {variance.replicates} replicates, seed {variance.seed}"
        vi += (
            f" Sai số chuẩn và khoảng tin cậy tính bằng trọng số lặp theo {words_vi} thay cho "
            "tuyến tính hóa Taylor"
            + (", mỗi bộ trọng số lặp được hiệu chỉnh lại." if outcome is not None else ".")
        )
        en += (
            f" Standard errors and intervals use replicate weights by {words_en} instead of "
            "Taylor linearisation"
            + (", each replicate calibrated again." if outcome is not None else ".")
        )
    out["variance"] = variance_record
    note["vi"], note["en"] = vi.strip(), en.strip()
    weighting["description"] = note
    out["weighting"] = weighting
    return out
