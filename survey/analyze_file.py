"""``sipas analyze`` as a use case: SIPAS indices with standard errors from a responses file.

Reads the responses (:func:`analysis.responses_file.read_responses`), builds the design from
their columns, estimates every index (overall, elements, criteria) for the whole sample and for
every domain of ``by``, flags each cell (:func:`analysis.reliability.flag_cells`) and writes
``indices.csv``, ``indices.json`` and ``report.txt`` into ``out``. No database is opened. Every
input problem is a ``ValueError`` whose message names the option, line or column to fix.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from analysis.responses_file import ResponsesData, read_responses
from analysis.variance import LonelyPsuError
from survey.spreadsheet_cells import safe_cell

__all__ = [
    "ALL_DOMAINS",
    "CI_METHODS",
    "DEFAULT_CI_METHOD",
    "DEFAULT_MAX_CV",
    "DEFAULT_MIN_RESPONDENTS",
    "INDEX_RULES",
    "LONELY_PSU_RULES",
    "RULE_TEXT",
    "STAT_FIELDS",
    "AnalyzeInputError",
    "AnalyzeOptions",
    "analyze_file",
    "builtin_tree_names",
    "grouping_columns",
    "load_tree",
]

ALL_DOMAINS = "(all)"
DEFAULT_MIN_RESPONDENTS = ReliabilityRule.min_respondents
DEFAULT_MAX_CV = ReliabilityRule.max_cv
LONELY_PSU_RULES: tuple[LonelyPsuRule, ...] = ("fail", "certainty", "adjust", "average")

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


class AnalyzeInputError(ValueError):
    """Inconsistent options or inputs; the message says what to change."""


@dataclass(frozen=True)
class AnalyzeOptions:
    """What to analyse and how (the ``sipas analyze`` options; column names of the file)."""

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


def _estimate(
    design: SurveyDesign,
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
        stratum = re.search(r"stratum (\d+)", str(exc))
        label = ""
        if stratum and data.strata is not None:
            label = f" ({options.strata} = {str(np.unique(data.strata)[int(stratum.group(1))])!r})"
        raise AnalyzeInputError(
            f"{options.strata or 'strata'}: a stratum{label} has a single respondent/PSU, so its "
            "variance cannot be estimated; merge it with a similar stratum or pass "
            "--lonely-psu certainty|adjust|average"
        ) from None


def _number(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


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


def _rows(
    table: IndexTable,
    by: dict[str, str],
    flags: NDArray[np.str_],
    total: bool,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for g in range(table.domains.shape[0]):
        labels = (
            dict.fromkeys(by.values(), ALL_DOMAINS)
            if total
            else {
                name: str(col[g])
                for name, col in zip(by.values(), table.domain_labels, strict=True)
            }
        )
        for j, node in enumerate(table.nodes):
            rows.append(
                {
                    **labels,
                    "node": node,
                    "node_level": table.levels[j],
                    "node_parent": table.parents[j],
                    "estimate": _number(table.estimate[g, j]),
                    "se": _number(table.se[g, j]),
                    "ci_lower": _number(table.ci_lower[g, j]),
                    "ci_upper": _number(table.ci_upper[g, j]),
                    "df": int(table.df[g]),
                    "n_respondents": int(table.n_respondents[g, j]),
                    "cv": _number(table.cv[g, j]),
                    "flag": str(flags[g, j]),
                }
            )
    return rows


def _flags(table: IndexTable, rule: ReliabilityRule) -> NDArray[np.str_]:
    return flag_cells(
        table.n_respondents, table.estimate, table.se, table.ci_lower, table.ci_upper, rule
    )


def analyze_file(options: AnalyzeOptions) -> str:
    """Run the analysis described by ``options``; return a one-paragraph summary.

    Raises
    ------
    ValueError
        (:class:`AnalyzeInputError` and the responses reader's errors) naming the option, line
        or column to fix.
    OSError
        The responses cannot be read or the outputs written.
    """
    tree = load_tree(options.questionnaire)
    by = list(options.by)
    columns = grouping_columns(by)
    if not 0.0 < options.level < 1.0:
        raise AnalyzeInputError(f"--level: {options.level} must be between 0 and 1 (e.g. 0.95)")
    flag_rule = ReliabilityRule(options.min_respondents, options.max_cv, options.max_ci_width)
    data = read_responses(
        options.responses,
        criteria=tree.criteria,
        strata=options.strata,
        psu=options.psu,
        weight=options.weight,
        fpc=options.fpc,
        by=by,
        na_code=options.na_code,
    )
    choice = _build_design(options, data)
    design = choice.design
    overall = _estimate(design, data, tree, options, None)
    rows = _rows(overall, columns, _flags(overall, flag_rule), total=True)
    tables = [overall]
    if by:
        # One column as an array: estimate_indices encodes it directly (no 2-D np.unique).
        columns_of = data.by[by[0]] if len(by) == 1 else [data.by[c] for c in by]
        domains = _estimate(design, data, tree, options, columns_of)
        rows += _rows(domains, columns, _flags(domains, flag_rule), total=False)
        tables.append(domains)

    out: Path = options.out
    out.mkdir(parents=True, exist_ok=True)
    fields = [*columns.values(), *STAT_FIELDS]
    with (out / "indices.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        # Domain values come from the analysed file: they must not run as formulas in Excel.
        writer.writerow([safe_cell(f) for f in fields])
        writer.writerows(["" if v is None else safe_cell(v) for v in row.values()] for row in rows)
    meta = {
        "questionnaire": tree.code,
        "rule": options.rule,
        "ci_method": overall.ci_method,
        "level": options.level,
        "by": by,
        "by_columns": columns,
        "flag_rule": flag_rule.describe(),
        "weights": choice.weight_source,
        "fpc": choice.fpc_text,
        "n_respondents": design.n,
        "n_strata": choice.n_strata,
        "n_psu": choice.n_psu,
        "design_df": choice.df,
    }
    write_json(out / "indices.json", meta, rows)
    report = _report(options, tree, data, choice, flag_rule, tables, rows, columns)
    (out / "report.txt").write_text(report, encoding="utf-8")
    return (
        f"sipas analyze: {design.n} respondents, {len(rows)} cells "
        f"({tables[-1].domains.shape[0]} domain(s) x {len(overall.nodes)} nodes"
        f"{' + whole sample' if by else ''}) written to {out}"
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


def _report(
    options: AnalyzeOptions,
    tree: QuestionnaireTree,
    data: ResponsesData,
    choice: _DesignChoice,
    flag_rule: ReliabilityRule,
    tables: list[IndexTable],
    rows: list[dict[str, Any]],
    columns: dict[str, str],
) -> str:
    design = choice.design
    ci = tables[0].ci_method
    ci_text = (
        "Student t interval estimate +/- t(df) se (mean-score rule)"
        if options.rule == "mean-score"
        else f"{ci} interval for a proportion, as R svyciprop(method={ci!r})"
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
        f"Aggregation rule: {options.rule} - {RULE_TEXT[options.rule]}.",
        "Standard errors: Taylor linearisation of the ratio estimators over the whole design "
        "(scores zero outside a domain), accounting for item non-response and for criteria "
        "answered by the same respondent.",
        f"Intervals: {ci_text}, level {options.level:g}; df = PSUs minus strata among the domain's "
        "respondents (at least 1).",
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
        if level == "index" and not any(r["node_level"] == level for r in rows):
            continue
        counts = {
            f: sum(1 for r in rows if r["node_level"] == level and r["flag"] == f) for f in FLAGS
        }
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
    for alpha in element_alphas(data.answers, tree, design.weights):
        value = "n/a" if not np.isfinite(alpha.alpha) else f"{alpha.alpha:.3f}"
        lines.append(
            f"  {alpha.element}: {value} ({alpha.n_criteria} criteria, "
            f"{alpha.n_complete} complete respondents)"
        )
    return "\n".join(lines) + "\n"
