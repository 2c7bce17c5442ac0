"""``sipas analyze`` as a use case: SIPAS indices with standard errors from a responses file.

Named steps: read the responses (:func:`analysis.responses_file.read_responses`), build the
design from their columns, calibrate it to the analyst's margins if asked
(:mod:`survey.calibration_margins`), turn it into replicate weights if asked
(:mod:`analysis.replicates`), estimate every index (overall, elements, criteria) for the whole
sample and every domain of ``by``, flag each cell (:func:`analysis.reliability.flag_cells`)
and make the cells :class:`survey.release_rows.ReleaseRow` values, the one typed definition of
an index cell that releases use too; :func:`write_analysis` writes ``indices.csv``,
``indices.json`` and ``report.txt`` from them. No database is opened. Every input problem is a
``ValueError`` whose message names the option, line, row or column to fix.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from analysis.consistency import element_alphas
from analysis.design import DesignError, LonelyPsuRule, SurveyDesign
from analysis.indices import (
    CI_METHODS,
    DEFAULT_CI_METHOD,
    INDEX_RULES,
    CiMethod,
    IndexRule,
    IndexTable,
    estimate_indices,
)
from analysis.questionnaire_tree import (
    QuestionnaireTree,
    builtin_questionnaire_tree,
    builtin_tree_names,
    parse_questionnaire_tree,
)
from analysis.reliability import FLAGS, ReliabilityRule, flag_cells
from analysis.replicates import ReplicateDesign
from analysis.responses_file import ResponsesData, ResponsesFileError, read_responses
from analysis.variance import LonelyPsuError
from survey.release_rows import WHOLE_CAMPAIGN, ReleaseRow
from survey.spreadsheet_cells import safe_cell

if TYPE_CHECKING:
    from survey.calibration_margins import CalibrationOutcome, CalibrationSpec

__all__ = [
    "ALL_DOMAINS",
    "CALIBRATION_METHODS",
    "CI_METHODS",
    "DEFAULT_BOOTSTRAP_REPLICATES",
    "DEFAULT_CI_METHOD",
    "DEFAULT_MAX_CV",
    "DEFAULT_MIN_RESPONDENTS",
    "DEFAULT_SEED",
    "INDEX_RULES",
    "LONELY_PSU_RULES",
    "RULE_TEXT",
    "STAT_FIELDS",
    "VARIANCE_METHODS",
    "Analysis",
    "AnalyzeInputError",
    "AnalyzeOptions",
    "analyze_file",
    "builtin_tree_names",
    "grouping_columns",
    "load_tree",
    "output_cells",
    "run_analysis",
    "write_analysis",
    "write_json",
]

ALL_DOMAINS = "(all)"
DEFAULT_MIN_RESPONDENTS = ReliabilityRule.min_respondents
DEFAULT_MAX_CV = ReliabilityRule.max_cv
LONELY_PSU_RULES: tuple[LonelyPsuRule, ...] = ("fail", "certainty", "adjust", "average")
CalibrationMethod = Literal["rake", "poststratify", "linear"]
CALIBRATION_METHODS: tuple[CalibrationMethod, ...] = ("rake", "poststratify", "linear")
VarianceMethod = Literal["taylor", "jk1", "jkn", "bootstrap"]
VARIANCE_METHODS: tuple[VarianceMethod, ...] = ("taylor", "jk1", "jkn", "bootstrap")
DEFAULT_BOOTSTRAP_REPLICATES = 200
DEFAULT_SEED = 1
# Replicate weights are an (n, R) matrix of floats: past this many cells (400 MB) the command
# refuses rather than swap (a jackknife makes one replicate per PSU).
MAX_REPLICATE_CELLS = 50_000_000

RULE_TEXT = {
    "criteria-mean": "criterion = weighted share of valid answers that are 4-5; element = mean "
    "of its criterion indices; overall = mean of the element indices",
    "pooled": "criterion = weighted share of valid answers that are 4-5; element = weighted "
    "share of all its valid answers that are 4-5; overall = mean of the element indices",
    "respondent-mean": "criterion = weighted share of valid answers that are 4-5; element = "
    "weighted mean over respondents of each one's share of 4-5 answers in the element; "
    "overall = mean of the element indices",
    "mean-score": "criterion = weighted mean answer on the 1-5 scale; element = mean of its "
    "criterion means; overall = mean of the element means",
}

_VARIANCE_TEXT = {
    "jk1": "JK1 delete-one-PSU jackknife (R as.svrepdesign(type='JK1'))",
    "jkn": "JKn stratified delete-one-PSU jackknife (R as.svrepdesign(type='JKn'))",
    "bootstrap": "Rao-Wu-Yue rescaled bootstrap (R as.svrepdesign(type='subbootstrap'))",
}


class AnalyzeInputError(ValueError):
    """Inconsistent options or inputs; the message says what to change."""


@dataclass(frozen=True)
class AnalyzeOptions:
    """What to analyse and how (the ``sipas analyze`` options; column names of the file).

    ``calibrate`` and ``margins`` go together (a method of :data:`CALIBRATION_METHODS` and a
    margins table, :func:`survey.calibration_margins.parse_margins`); ``bounds`` only with
    ``linear``. ``replicates`` and ``seed`` only with ``variance="bootstrap"``.
    """

    responses: Path
    questionnaire: str
    out: Path
    strata: str | None = None
    fpc: str | None = None
    weight: str | None = None
    psu: str | None = None
    by: Sequence[str] = ()
    rule: IndexRule = "criteria-mean"
    ci_method: CiMethod = DEFAULT_CI_METHOD
    level: float = 0.95
    na_code: float = 0.0
    lonely_psu: LonelyPsuRule = "fail"
    min_respondents: int = DEFAULT_MIN_RESPONDENTS
    max_cv: float = DEFAULT_MAX_CV
    max_ci_width: float | None = None
    calibrate: CalibrationMethod | None = None
    margins: Path | None = None
    bounds: tuple[float, float] | None = None
    variance: VarianceMethod = "taylor"
    replicates: int | None = None
    seed: int | None = None


def load_tree(spec: str) -> QuestionnaireTree:
    """A questionnaire JSON file, or else a built-in tree name."""
    path = Path(spec)
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise AnalyzeInputError(
                f"questionnaire {spec}: not valid JSON (line {exc.lineno}, column {exc.colno}): "
                f"{exc.msg}"
            ) from None
        return parse_questionnaire_tree(data)
    if spec.lower().endswith(".json"):
        raise AnalyzeInputError(f"questionnaire {spec}: file not found")
    if spec in builtin_tree_names():
        return builtin_questionnaire_tree(spec)
    # The platform's questionnaire lives with the database models (seconds of imports that a
    # library tree does not need).
    from survey.questionnaires import BUILTIN_FILES, builtin_definition

    for filename in BUILTIN_FILES:
        platform = builtin_definition(filename)
        if spec == platform["code"]:
            return parse_questionnaire_tree(platform)
    return builtin_questionnaire_tree(spec)


@dataclass(frozen=True)
class _DesignChoice:
    design: SurveyDesign
    weight_source: str
    fpc_text: str
    # Counted once: each of SurveyDesign's properties finds the distinct PSUs again.
    n_strata: int
    n_psu: int

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata (R ``degf``)."""
        return self.n_psu - self.n_strata


def _build_design(options: AnalyzeOptions, data: ResponsesData) -> _DesignChoice:
    fpc = data.fpc
    if fpc is None:
        fpc_text = "none: sampling with replacement assumed (no finite population correction)"
    elif np.all(fpc <= 1):
        fpc_text = f"column {options.fpc!r} read as sampling fractions f_h (all values <= 1)"
    else:
        fpc_text = (
            f"column {options.fpc!r} read as population counts N_h (values > 1); "
            "f_h = sampled PSUs / N_h"
        )
    if options.weight:
        weights = data.weights
        weight_source = f"column {options.weight!r}"
    else:
        if fpc is None or np.all(fpc <= 1):
            raise AnalyzeInputError(
                "--weight: no weight column given; give --weight, or --fpc with population "
                "counts N_h so the weight is N_h / respondents in the stratum"
            )
        if options.psu:
            raise AnalyzeInputError(
                "--weight: with --psu the weight cannot be derived from N_h; give --weight"
            )
        weights = None  # SurveyDesign.from_columns derives N_h / n_h from the counts
        weight_source = "N_h / respondents in the stratum (no --weight column)"
    try:
        design = SurveyDesign.from_columns(
            weights=weights,
            strata=data.strata,
            psu=data.psu,
            fpc=fpc,
            lonely_psu=options.lonely_psu,
        )
    except DesignError as exc:
        raise AnalyzeInputError(_with_file_lines(str(exc), data, options.responses)) from None
    # Without a PSU column every row is its own PSU: count them without np.unique of n codes.
    n_psu = int(np.count_nonzero(design.weights)) if data.psu is None else design.n_psu
    return _DesignChoice(design, weight_source, fpc_text, design.n_strata, n_psu)


def _with_file_lines(message: str, data: ResponsesData, path: Path) -> str:
    """Point a design error's 0-based ``row k`` at the line of the responses file."""

    def line(match: re.Match[str]) -> str:
        row = int(match.group(1))
        if 0 <= row < data.n:
            return f"line {int(data.line_numbers[row])} of {path.name}"
        return match.group(0)

    return re.sub(r"\brow (\d+)", line, message)


def _stratum_named(message: str, options: AnalyzeOptions, data: ResponsesData) -> str:
    """`` (agency = 'D')`` for the 0-based ``stratum k`` of a library message, else ``""``."""
    stratum = re.search(r"stratum (\d+)", message)
    if not stratum or data.strata is None:
        return ""
    levels = np.unique(data.strata)
    k = int(stratum.group(1))
    return f" ({options.strata} = {str(levels[k])!r})" if k < levels.size else ""


def _check_options(options: AnalyzeOptions) -> None:
    if not 0.0 < options.level < 1.0:
        raise AnalyzeInputError(f"--level: {options.level} must be between 0 and 1 (e.g. 0.95)")
    if options.calibrate is not None and options.calibrate not in CALIBRATION_METHODS:
        raise AnalyzeInputError(
            f"--calibrate: {options.calibrate!r} is not one of {', '.join(CALIBRATION_METHODS)}"
        )
    if options.calibrate is not None and options.margins is None:
        raise AnalyzeInputError(
            f"--margins: --calibrate {options.calibrate} needs the margins file (a CSV with "
            "variable,category,population)"
        )
    if options.margins is not None and options.calibrate is None:
        raise AnalyzeInputError(
            "--calibrate: --margins needs the method: --calibrate rake, poststratify or linear"
        )
    if options.bounds is not None and options.calibrate != "linear":
        raise AnalyzeInputError("--bounds: bounds apply to --calibrate linear only")
    if options.variance not in VARIANCE_METHODS:
        raise AnalyzeInputError(
            f"--variance: {options.variance!r} is not one of {', '.join(VARIANCE_METHODS)}"
        )
    if options.variance != "bootstrap":
        for name, value in (("--replicates", options.replicates), ("--seed", options.seed)):
            if value is not None:
                raise AnalyzeInputError(
                    f"{name}: only for --variance bootstrap (the jackknife makes one replicate "
                    "per PSU, without randomness)"
                )
    if options.replicates is not None and options.replicates < 2:
        raise AnalyzeInputError(
            f"--replicates: {options.replicates} is too few; give at least 2 (e.g. "
            f"{DEFAULT_BOOTSTRAP_REPLICATES})"
        )


# --- Calibration (survey.calibration_margins; imported only when asked) --------------------


def _margins_error(error: Exception, path: Path) -> AnalyzeInputError:
    """An :class:`~survey.errors.InvalidInput` about the margins as one line naming the place:
    ``--margins m.csv: row 3, field 'population': ...`` (rows count from 1 after the header)."""
    fields = ("variable", "category", "population")
    sentences = []
    for problem in getattr(error, "problems", ()) or ():
        loc = list(problem.loc)
        where = [f"--margins {path.name}"]
        if loc[:1] == ["calibration"]:
            where = ["--bounds" if loc[1:2] == ["bounds"] else "--calibrate"]
        elif loc[:1] == ["margins"]:
            rest = loc[1:]
            if rest and isinstance(rest[0], int):
                where.append("header" if rest[0] == 0 else f"row {rest[0]}")
                rest = rest[1:]
            if rest:
                label = "field" if rest[0] in fields else "variable"
                where.append(f"{label} {str(rest[0])!r}")
        sentences.append(f"{', '.join(where)}: {problem.msg}")
    return AnalyzeInputError("; ".join(sentences) or f"--margins {path.name}: {error}")


def _calibration_spec(options: AnalyzeOptions) -> CalibrationSpec | None:
    """The checked :class:`~survey.calibration_margins.CalibrationSpec`, or None."""
    if options.calibrate is None or options.margins is None:
        return None
    from survey.calibration_margins import calibration_spec, parse_margins
    from survey.errors import InvalidInput

    try:
        raw = options.margins.read_bytes()
    except OSError as exc:
        raise AnalyzeInputError(f"--margins {options.margins}: cannot read it: {exc}") from None
    fmt: Literal["csv", "json"] | None = None
    if options.margins.suffix.lower() in (".csv", ".json"):
        fmt = "json" if options.margins.suffix.lower() == ".json" else "csv"
    try:
        margins = parse_margins(raw, fmt=fmt)
        return calibration_spec(options.calibrate, margins, bounds=options.bounds)
    except InvalidInput as error:
        raise _margins_error(error, options.margins) from None


def _margin_columns(spec: CalibrationSpec | None) -> list[str]:
    """The response columns the margins name (crossed variables give each of their parts)."""
    if spec is None:
        return []
    return list(dict.fromkeys(c for m in spec.margins.margins for c in m.columns))


def _unknown_margin_column(
    error: ResponsesFileError, spec: CalibrationSpec | None, options: AnalyzeOptions
) -> AnalyzeInputError | None:
    """A missing column that only the margins name, said as the margins' error."""
    if spec is None or error.line != 1 or error.column is None:
        return None
    named = [m for m in spec.margins.margins if error.column in m.columns]
    if not named or error.column in options.by:
        return None
    assert options.margins is not None
    row = min(named[0].rows.values())
    return AnalyzeInputError(
        f"--margins {options.margins.name}: row {row}, field 'variable': the responses have no "
        f"column {error.column!r}; name a column of {options.responses.name}"
    )


def _calibrate(
    options: AnalyzeOptions, spec: CalibrationSpec | None, design: SurveyDesign, data: ResponsesData
) -> CalibrationOutcome | None:
    if spec is None:
        return None
    from survey.calibration_margins import apply_calibration
    from survey.errors import InvalidInput

    columns = {c: data.by[c] for c in _margin_columns(spec)}
    assert options.margins is not None
    try:
        return apply_calibration(design, spec, columns)
    except InvalidInput as error:
        raise _margins_error(error, options.margins) from None


# --- Replicate weights (analysis.replicates) ---------------------------------------------


def _replicate_design(
    options: AnalyzeOptions, choice: _DesignChoice, design: SurveyDesign, data: ResponsesData
) -> ReplicateDesign | None:
    """The design's replicate weights for ``--variance jk1|jkn|bootstrap``, else None."""
    method = options.variance
    if method == "taylor":
        return None
    from analysis import replicates

    if method == "jk1" and choice.n_strata > 1:
        raise AnalyzeInputError(
            "--variance jk1: the JK1 jackknife is for unstratified designs; with --strata use "
            "--variance jkn"
        )
    count = choice.n_psu if method != "bootstrap" else _bootstrap_replicates(options)
    if design.n * count > MAX_REPLICATE_CELLS:
        raise AnalyzeInputError(
            f"--variance {method}: {count} replicates of {design.n} rows would take "
            f"{design.n * count * 8 / 1e9:.1f} GB; "
            + (
                "the jackknife makes one replicate per PSU: give --psu with clusters or use "
                f"--variance bootstrap --replicates {DEFAULT_BOOTSTRAP_REPLICATES}"
                if method != "bootstrap"
                else "give fewer --replicates"
            )
        )
    try:
        if method == "jk1":
            return replicates.jk1(design)
        if method == "jkn":
            return replicates.jkn(design)
        rng = np.random.default_rng(_bootstrap_seed(options))
        return replicates.bootstrap(design, replicates=count, rng=rng)
    except DesignError as exc:
        raise AnalyzeInputError(
            f"--variance {method}: {exc}{_stratum_named(str(exc), options, data)}"
        ) from None


def _bootstrap_replicates(options: AnalyzeOptions) -> int:
    return DEFAULT_BOOTSTRAP_REPLICATES if options.replicates is None else options.replicates


def _bootstrap_seed(options: AnalyzeOptions) -> int:
    return DEFAULT_SEED if options.seed is None else options.seed


def _estimate(
    design: SurveyDesign | ReplicateDesign,
    data: ResponsesData,
    tree: QuestionnaireTree,
    options: AnalyzeOptions,
    domain: NDArray[np.str_] | list[NDArray[np.str_]] | None,
) -> IndexTable:
    try:
        return estimate_indices(
            design,
            data.answers,
            tree,
            domain=domain,
            rule=options.rule,
            ci_method=options.ci_method,
            level=options.level,
        )
    except LonelyPsuError as exc:
        label = _stratum_named(str(exc), options, data)
        raise AnalyzeInputError(
            f"{options.strata or 'strata'}: a stratum{label} has a single respondent/PSU, so its "
            "variance cannot be estimated; merge it with a similar stratum or pass "
            "--lonely-psu certainty|adjust|average"
        ) from None


# Columns of every output row after the grouping columns; the node's own level and parent
# carry a node_ prefix so that a grouping column called "level" (administrative level) or
# "parent" keeps its values.
STAT_FIELDS = (
    "node",
    "node_level",
    "node_parent",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "df",
    "n_respondents",
    "cv",
    "flag",
)


def grouping_columns(by: list[str]) -> dict[str, str]:
    """Output name of each --by column: its own name, or by_<name> if an output column has it.

    The statistics' names are fixed, so a grouping column never overwrites them (nor they it),
    in the CSV and the JSON alike.
    """
    if len(set(by)) != len(by):
        twice = next(c for c in by if by.count(c) > 1)
        raise AnalyzeInputError(f"--by: column {twice!r} is given twice; name each column once")
    taken = set(STAT_FIELDS) | set(by)
    names: dict[str, str] = {}
    for column in by:
        name = column
        if name in STAT_FIELDS:
            name = f"by_{column}"
            while name in taken:
                name = f"by_{name}"
            taken.add(name)
        names[column] = name
    return names


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _release_rows(
    table: IndexTable, by: Sequence[str], flags: NDArray[np.str_], total: bool
) -> list[ReleaseRow]:
    """The cells of ``table`` as release rows (the domain as (column, value) pairs)."""
    estimate, se = table.estimate.tolist(), table.se.tolist()
    lower, upper, cv = table.ci_lower.tolist(), table.ci_upper.tolist(), table.cv.tolist()
    counts, flag_of = table.n_respondents.tolist(), flags.tolist()
    nodes = list(zip(table.nodes, table.levels, table.parents, strict=True))
    rows: list[ReleaseRow] = []
    for g in range(table.domains.shape[0]):
        if total:
            domain: tuple[tuple[str, str], ...] = ()
            name = WHOLE_CAMPAIGN
        else:
            domain = tuple(
                (column, str(labels[g]))
                for column, labels in zip(by, table.domain_labels, strict=True)
            )
            name = str(table.domains[g])
        df = int(table.df[g])
        rows.extend(
            ReleaseRow(
                domain=domain,
                domain_name=name,
                node=node,
                node_level=level,
                parent=parent,
                estimate=_finite(estimate[g][j]),
                se=_finite(se[g][j]),
                ci_lower=_finite(lower[g][j]),
                ci_upper=_finite(upper[g][j]),
                cv=_finite(cv[g][j]),
                df=df,
                n_respondents=int(counts[g][j]),
                flag=str(flag_of[g][j]),
            )
            for j, (node, level, parent) in enumerate(nodes)
        )
    return rows


def output_cells(row: ReleaseRow, by: Sequence[str]) -> list[Any]:
    """A row's values in the output's column order: the --by values (``(all)`` for the whole
    sample), then :data:`STAT_FIELDS`; ``None`` where there is no number."""
    if row.is_whole_campaign:
        labels = [ALL_DOMAINS] * len(by)
    else:
        values = dict(row.domain)
        labels = [values[column] for column in by]
    return [
        *labels,
        row.node,
        row.node_level,
        row.parent,
        row.estimate,
        row.se,
        row.ci_lower,
        row.ci_upper,
        row.df,
        row.n_respondents,
        row.cv,
        row.flag,
    ]


def _flags(table: IndexTable, rule: ReliabilityRule) -> NDArray[np.str_]:
    return flag_cells(
        table.n_respondents, table.estimate, table.se, table.ci_lower, table.ci_upper, rule
    )


@dataclass(frozen=True)
class Analysis:
    """Everything ``sipas analyze`` computed, before anything is written.

    Attributes
    ----------
    rows : tuple of ReleaseRow
        The whole sample's cells, then every domain's (domains in sorted label order, nodes in
        tree order).
    design : SurveyDesign
        The analysis design: calibrated when ``calibration`` is set.
    replicate : ReplicateDesign or None
        Its replicate weights when the variance is by replicates.
    columns : dict
        Output name of each --by column (:func:`grouping_columns`).
    """

    options: AnalyzeOptions
    tree: QuestionnaireTree
    data: ResponsesData
    choice: _DesignChoice
    design: SurveyDesign
    calibration: CalibrationOutcome | None
    replicate: ReplicateDesign | None
    flag_rule: ReliabilityRule
    columns: dict[str, str]
    tables: tuple[IndexTable, ...]
    rows: tuple[ReleaseRow, ...]

    @property
    def by(self) -> list[str]:
        return list(self.columns)

    def meta(self) -> dict[str, Any]:
        """The JSON head of ``indices.json`` (everything but the rows)."""
        options, choice = self.options, self.choice
        calibration = None
        if self.calibration is not None:
            record = self.calibration.spec.as_record()
            calibration = {
                "method": record["method"],
                "margins_file": str(options.margins),
                "margins": record["margins"],
                "bounds": record.get("bounds"),
                "g_range": list(self.calibration.g_range),
            }
        variance: dict[str, Any] = {"method": options.variance}
        if self.replicate is not None:
            variance["replicates"] = int(self.replicate.n_replicates)
            variance["df"] = int(self.replicate.df)
            if options.variance == "bootstrap":
                variance["seed"] = _bootstrap_seed(options)
        return {
            "questionnaire": self.tree.code,
            "rule": options.rule,
            "ci_method": self.tables[0].ci_method,
            "level": options.level,
            "by": self.by,
            "by_columns": self.columns,
            "flag_rule": self.flag_rule.describe(),
            "weights": choice.weight_source,
            "fpc": choice.fpc_text,
            "calibration": calibration,
            "variance": variance,
            "n_respondents": self.design.n,
            "n_strata": choice.n_strata,
            "n_psu": choice.n_psu,
            "design_df": choice.df,
        }


def run_analysis(options: AnalyzeOptions) -> Analysis:
    """The analysis described by ``options``, in memory (see :func:`analyze_file`).

    Raises
    ------
    ValueError
        (:class:`AnalyzeInputError` and the responses reader's errors) naming the option, line,
        margins row or column to fix.
    OSError
        The responses cannot be read.
    """
    tree = load_tree(options.questionnaire)
    by = list(options.by)
    columns = grouping_columns(by)
    _check_options(options)
    flag_rule = ReliabilityRule(options.min_respondents, options.max_cv, options.max_ci_width)
    spec = _calibration_spec(options)
    labels = list(dict.fromkeys([*by, *_margin_columns(spec)]))
    try:
        data = read_responses(
            options.responses,
            criteria=tree.criteria,
            strata=options.strata,
            psu=options.psu,
            weight=options.weight,
            fpc=options.fpc,
            by=labels,
            na_code=options.na_code,
        )
    except ResponsesFileError as exc:
        raise _unknown_margin_column(exc, spec, options) or exc from None
    choice = _build_design(options, data)
    calibration = _calibrate(options, spec, choice.design, data)
    design = choice.design if calibration is None else calibration.design
    replicate = _replicate_design(options, choice, design, data)
    estimated: SurveyDesign | ReplicateDesign = design if replicate is None else replicate
    overall = _estimate(estimated, data, tree, options, None)
    rows = _release_rows(overall, by, _flags(overall, flag_rule), total=True)
    tables = [overall]
    if by:
        # One column as an array: estimate_indices encodes it directly (no 2-D np.unique).
        columns_of = data.by[by[0]] if len(by) == 1 else [data.by[c] for c in by]
        domains = _estimate(estimated, data, tree, options, columns_of)
        rows += _release_rows(domains, by, _flags(domains, flag_rule), total=False)
        tables.append(domains)
    return Analysis(
        options=options,
        tree=tree,
        data=data,
        choice=choice,
        design=design,
        calibration=calibration,
        replicate=replicate,
        flag_rule=flag_rule,
        columns=columns,
        tables=tuple(tables),
        rows=tuple(rows),
    )


def write_analysis(analysis: Analysis, out: Path) -> None:
    """``indices.csv``, ``indices.json`` and ``report.txt`` of ``analysis`` into ``out``.

    Both tables have one line per :class:`ReleaseRow` with the columns of
    :func:`output_cells`: the CSV with formula-like text neutralised
    (:func:`survey.spreadsheet_cells.safe_cell`) and empty cells for missing numbers, the JSON
    with the values as they are and ``null``.
    """
    out.mkdir(parents=True, exist_ok=True)
    by = analysis.by
    fields = [*analysis.columns.values(), *STAT_FIELDS]
    # Few distinct texts (domain values, node codes, flags): neutralise each once.
    safe = lru_cache(maxsize=None)(safe_cell)
    with (out / "indices.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        # Domain values come from the analysed file: they must not run as formulas in Excel.
        writer.writerow([safe_cell(f) for f in fields])
        writer.writerows(
            [
                safe(v) if isinstance(v, str) else "" if v is None else v
                for v in output_cells(row, by)
            ]
            for row in analysis.rows
        )
    plain = [dict(zip(fields, output_cells(row, by), strict=True)) for row in analysis.rows]
    write_json(out / "indices.json", analysis.meta(), plain)
    (out / "report.txt").write_text(_report(analysis), encoding="utf-8")


def analyze_file(options: AnalyzeOptions) -> str:
    """Run the analysis described by ``options`` and write its outputs into ``options.out``;
    return a one-paragraph summary.

    Raises
    ------
    ValueError
        (:class:`AnalyzeInputError` and the responses reader's errors) naming the option, line,
        margins row or column to fix.
    OSError
        The responses cannot be read or the outputs written.
    """
    analysis = run_analysis(options)
    write_analysis(analysis, options.out)
    tables = analysis.tables
    return (
        f"sipas analyze: {analysis.design.n} respondents, {len(analysis.rows)} cells "
        f"({tables[-1].domains.shape[0]} domain(s) x {len(tables[0].nodes)} nodes"
        f"{' + whole sample' if analysis.by else ''}) written to {options.out}"
    )


def write_json(path: Path, meta: dict[str, Any], rows: Sequence[dict[str, Any]]) -> None:
    """``{**meta, "rows": rows}`` as JSON, one row per line, written as it is encoded.

    Each row goes through the C encoder (an ``indent`` would switch to the pure-Python one and
    build the whole text in memory first), in chunks of rows to keep the writes few.
    """
    encode = json.JSONEncoder(ensure_ascii=False).encode
    head = encode({**meta, "rows": []})
    assert head.endswith("[]}")
    with path.open("w", encoding="utf-8") as handle:
        handle.write(head[:-2])
        for start in range(0, len(rows), 1000):
            lines = (encode(row) for row in rows[start : start + 1000])
            handle.write(("\n" if start == 0 else ",\n") + ",\n".join(lines))
        handle.write("\n]}\n")


def _calibration_lines(analysis: Analysis) -> list[str]:
    outcome = analysis.calibration
    if outcome is None:
        return ["Calibration: none (the weights above are used as they are)"]
    spec = outcome.spec
    method = {
        "rake": "raking (iterative proportional fitting to every margin, R rake)",
        "poststratify": "post-stratification (R postStratify)",
        "linear": "linear (GREG) calibration (R calibrate(calfun='linear'))",
    }[spec.method]
    lines = [
        f"Calibration: {method} to the margins of {analysis.options.margins}",
    ]
    if spec.bounds is not None:
        lines.append(
            f"  bounds on g = calibrated / input weight: {spec.bounds[0]:g} to {spec.bounds[1]:g}"
        )
    for margin in spec.margins.margins:
        before = outcome.sample_totals[margin.variable]
        after = outcome.calibrated_totals[margin.variable]
        lines.append(
            f"  {margin.variable}: {len(margin.counts)} categories, population {margin.total:.6g}"
        )
        lines += [
            f"    {category}: population {count:.6g}; weighted sample {before[category]:.6g} "
            f"-> {after[category]:.6g}"
            for category, count in margin.counts.items()
        ]
    low, high = outcome.g_range
    lines.append(
        f"  g = calibrated / input weight ranges from {low:.4g} to {high:.4g}; sum of "
        f"calibrated weights {analysis.design.weights.sum():.6g}"
    )
    return lines


def _variance_lines(analysis: Analysis) -> list[str]:
    options = analysis.options
    calibrated = analysis.calibration is not None
    if analysis.replicate is None:
        text = (
            "Standard errors: Taylor linearisation of the ratio estimators over the whole "
            "design (scores zero outside a domain), accounting for item non-response and for "
            "criteria answered by the same respondent"
        )
        if calibrated:
            text += (
                "; with calibrated weights each score is replaced by its calibration residual "
                "(as R svydesign followed by rake/postStratify/calibrate)"
            )
        return [text + ".", "Variance method: taylor"]
    replicate = analysis.replicate
    extra = ""
    if options.variance == "bootstrap":
        extra = f", seed {_bootstrap_seed(options)} (numpy default_rng)"
    text = (
        f"Standard errors: {_VARIANCE_TEXT[options.variance]}, {replicate.n_replicates} "
        f"replicates{extra}; variance = scale * sum_r rscale_r (theta_r - mean of theta_r)^2 "
        "(R svrVar), every cell re-estimated with each replicate's weights"
    )
    if calibrated:
        text += "; each replicate calibrated again to the margins (R calibrate on a svrepdesign)"
    return [
        text + ".",
        f"Variance method: {options.variance}; replicate df {replicate.df}",
    ]


def _report(analysis: Analysis) -> str:
    options, tree, data, choice = analysis.options, analysis.tree, analysis.data, analysis.choice
    flag_rule, tables, rows, columns = (
        analysis.flag_rule,
        analysis.tables,
        analysis.rows,
        analysis.columns,
    )
    design = choice.design
    ci = tables[0].ci_method
    ci_text = (
        "Student t interval estimate +/- t(df) se (mean-score rule)"
        if options.rule == "mean-score"
        else f"{ci} interval for a proportion, as R svyciprop(method={ci!r})"
    )
    df_text = (
        "df = PSUs minus strata among the domain's respondents (at least 1)"
        if analysis.replicate is None
        else "df = rank of the domain's replicate weights minus 1 (R degf; at least 1)"
    )
    lines = [
        "SIPAS indices - sipas analyze",
        "",
        f"Responses: {options.responses} ({data.n} respondents)",
        f"Questionnaire: {tree.code} - {len(tree.elements)} elements, {len(tree.criteria)} "
        "criteria",
        "",
        "Design",
        f"  strata: {options.strata or '(none)'} - {choice.n_strata} strata",
        f"  PSUs: {options.psu or 'each respondent is its own PSU'} - {choice.n_psu} PSUs",
        f"  design df (PSUs - strata): {choice.df}",
        f"  weights: {choice.weight_source}; sum of weights {design.weights.sum():.6g}",
        f"  fpc: {choice.fpc_text}",
        f"  strata with one PSU: rule {options.lonely_psu!r} (as R survey.lonely.psu)",
        "",
        *_calibration_lines(analysis),
        "",
        f"Aggregation rule: {options.rule} - {RULE_TEXT[options.rule]}.",
        *_variance_lines(analysis),
        f"Intervals: {ci_text}, level {options.level:g}; {df_text}.",
        f"Reliability flags: {flag_rule.describe()}",
        f"Domains: {', '.join(columns) if columns else '(whole sample only)'}; rows with "
        f"{ALL_DOMAINS!r} are the whole sample.",
        *(
            f"  grouping column {column!r} is written as {name!r} (an output column has its name)"
            for column, name in columns.items()
            if name != column
        ),
        "",
        "Flags",
    ]
    for level in ("overall", "index", "element", "criterion"):
        if level == "index" and not any(r.node_level == level for r in rows):
            continue
        counts = {f: sum(1 for r in rows if r.node_level == level and r.flag == f) for f in FLAGS}
        lines.append(f"  {level}: " + ", ".join(f"{f} {n}" for f, n in counts.items()))
    lines += [
        "",
        "Answers left out of the shares (per criterion)",
        "  criterion: not answered, not applicable (code " + f"{options.na_code:g})",
    ]
    for c, criterion in enumerate(tree.criteria):
        lines.append(f"  {criterion}: {int(data.not_answered[c])}, {int(data.not_applicable[c])}")
    whole = tables[0]
    lines += ["", "Whole sample"]
    for j, node in enumerate(whole.nodes[: 1 + len(tree.elements)]):
        lines.append(
            f"  {node}: {whole.estimate[0, j]:.4f} (se {whole.se[0, j]:.4f}, "
            f"{options.level:.0%} CI {whole.ci_lower[0, j]:.4f}-{whole.ci_upper[0, j]:.4f})"
        )
    lines += [
        "",
        "Internal consistency (Cronbach's alpha, weighted; respondents complete on the element)",
    ]
    for alpha in element_alphas(data.answers, tree, analysis.design.weights):
        value = "n/a" if not np.isfinite(alpha.alpha) else f"{alpha.alpha:.3f}"
        lines.append(
            f"  {alpha.element}: {value} ({alpha.n_criteria} criteria, "
            f"{alpha.n_complete} complete respondents)"
        )
    return "\n".join(lines) + "\n"
