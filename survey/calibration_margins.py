"""Calibration margins an analyst provides, checked and applied to a design.

An analyst knows population counts the sample should reproduce: census counts by sex and age
band, urban/rural, the frame's dossiers by channel. They arrive as a CSV or JSON table with one
row per category::

    variable,category,population
    sex,nam,7800
    sex,nu,6700
    channel,online,5000
    ...

(JSON: a list of ``{"variable", "category", "population"}`` objects, or ``{"margins": [...]}``,
or ``{"sex": {"nam": 7800, ...}, ...}``.) A variable names a column of the responses' rows: a
frame column (``channel``, ``level``, ``province_code``, ...) or a profile answer (``sex``,
``age_band``, ``urban_rural``); ``sex*age_band`` crosses two columns into joint cells, whose
categories are written ``nam*18-25``.

Three methods (:mod:`analysis.calibration`): ``rake`` (iterative proportional fitting to every
margin, R ``rake``), ``poststratify`` (one variable, usually crossed, R ``postStratify``) and
``linear`` (GREG, optionally bounded, R ``calibrate(calfun="linear")``). The variance of every
estimate then uses the calibration residuals.

Interface, for releases and ``sipas analyze``:

* :func:`parse_margins` reads the table (bytes or text; CSV or JSON) into :class:`Margins`;
* :func:`calibration_spec` checks a method, margins and bounds into a :class:`CalibrationSpec`;
* :func:`apply_calibration` calibrates a :class:`~analysis.design.SurveyDesign` to it, given
  the rows' columns, and returns a :class:`CalibrationOutcome`;
* :meth:`CalibrationSpec.as_record` / :func:`spec_from_record` store it as JSON.

Every problem is an :class:`~survey.errors.InvalidInput` whose :class:`~survey.errors.Problem`
names the row of the table (1-based, the header is row 0 in CSV) and the field, written in
English; ``api/problem_catalogue/calibration.py`` says each one in Vietnamese.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.calibration import CalibrationError, calibrate, poststratify, rake
from analysis.design import DesignError, SurveyDesign
from survey.errors import InvalidInput, Problem

CalibrationMethodName = Literal["rake", "poststratify", "linear"]
METHODS: tuple[str, ...] = ("rake", "poststratify", "linear")
# Crossed variables and their joint categories.
CROSS = "*"
_HEADER_ALIASES = {
    "variable": "variable",
    "bien": "variable",
    "category": "category",
    "nhom": "category",
    "population": "population",
    "count": "population",
    "so_luong": "population",
}
_FIELDS = ("variable", "category", "population")
# Iteration limits for releases: tighter than R's defaults, so margins are met to ~1e-10.
_RAKE_MAX_CYCLES = 200
_RAKE_EPSILON = 1e-10
_LINEAR_EPSILON = 1e-10


@dataclass(frozen=True)
class Margin:
    """Population counts of one variable's categories.

    Attributes
    ----------
    variable : str
        A column name, or columns crossed with ``*``.
    counts : mapping of category -> population count
    rows : mapping of category -> row of the table it came from (for error messages)
    """

    variable: str
    counts: Mapping[str, float]
    rows: Mapping[str, int]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.variable.split(CROSS))

    @property
    def total(self) -> float:
        return float(sum(self.counts.values()))


@dataclass(frozen=True)
class Margins:
    """The margins of a table, in the order their variables first appear."""

    margins: tuple[Margin, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(m.variable for m in self.margins)


@dataclass(frozen=True)
class CalibrationSpec:
    """A checked calibration request: method, margins and (linear only) bounds on g."""

    method: CalibrationMethodName
    margins: Margins
    bounds: tuple[float, float] | None = None

    def as_record(self) -> dict[str, Any]:
        """The JSON a release stores in its parameters (and :func:`spec_from_record` reads)."""
        record: dict[str, Any] = {
            "method": self.method,
            "margins": [
                {"variable": m.variable, "category": c, "population": v}
                for m in self.margins.margins
                for c, v in m.counts.items()
            ],
        }
        if self.bounds is not None:
            record["bounds"] = [self.bounds[0], self.bounds[1]]
        return record


@dataclass(frozen=True)
class CalibrationOutcome:
    """The calibrated design and what a method note reports of it.

    Attributes
    ----------
    design : SurveyDesign
    spec : CalibrationSpec
    sample_totals, calibrated_totals : mapping of variable -> mapping of category -> total
        Weighted counts before and after calibration (the latter equal the margins).
    g_range : (float, float)
        Smallest and largest ratio of calibrated to input weights.
    """

    design: SurveyDesign
    spec: CalibrationSpec
    sample_totals: Mapping[str, Mapping[str, float]]
    calibrated_totals: Mapping[str, Mapping[str, float]]
    g_range: tuple[float, float]


def _invalid(loc: tuple[str | int, ...], msg: str) -> InvalidInput:
    return InvalidInput("the calibration margins cannot be used", [Problem(loc, msg)])


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid(
            ("margins",), "the margins file is not UTF-8 text; save it as UTF-8"
        ) from None


def _records_from_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text))
    rows = [r for r in reader if any(cell.strip() for cell in r)]
    if not rows:
        raise _invalid(
            ("margins",), "the margins file is empty; give a header and one row per category"
        )
    header = [_HEADER_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in rows[0]]
    for name in _FIELDS:
        if name not in header:
            raise _invalid(
                ("margins", 0, name),
                f"the header has no {name} column; the header must be variable,category,population",
            )
    out = []
    for number, cells in enumerate(rows[1:], start=1):
        padded = cells + [""] * (len(header) - len(cells))
        out.append((number, {h: padded[i] for i, h in enumerate(header) if h in _FIELDS}))
    return out


def _records_from_json(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _invalid(
            ("margins",), f"the margins are not valid JSON (line {error.lineno}); check the file"
        ) from None
    if isinstance(data, dict) and "margins" in data:
        data = data["margins"]
    if isinstance(data, dict):
        flat: list[dict[str, Any]] = []
        for variable, counts in data.items():
            if not isinstance(counts, dict):
                raise _invalid(
                    ("margins", str(variable)),
                    "each variable must map its categories to population counts",
                )
            flat += [
                {"variable": variable, "category": c, "population": v} for c, v in counts.items()
            ]
        data = flat
    if not isinstance(data, list):
        raise _invalid(
            ("margins",),
            "give a list of objects with variable, category and population",
        )
    out = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise _invalid(
                ("margins", number),
                "each row must be an object with variable, category and population",
            )
        out.append((number, {k: item.get(k) for k in _FIELDS}))
    return out


def _population(value: Any, loc: tuple[str | int, ...]) -> float:
    if isinstance(value, bool):
        raise _invalid(loc, "the population count must be a positive number")
    if isinstance(value, str):
        text = value.strip().replace(" ", "").replace("_", "")
        try:
            value = float(text)
        except ValueError:
            raise _invalid(
                loc, f"the population count {value!r} is not a number; write digits only"
            ) from None
    if not isinstance(value, int | float) or not math.isfinite(float(value)):
        raise _invalid(loc, "the population count must be a positive number")
    if float(value) <= 0:
        raise _invalid(loc, "the population count must be a positive number")
    return float(value)


def parse_margins(data: bytes | str, *, fmt: Literal["csv", "json"] | None = None) -> Margins:
    """Read a margins table (see the module docstring); ``fmt`` None guesses from the text.

    Raises
    ------
    InvalidInput
        Naming the row (1-based) and field of an empty variable or category, a count that is
        not a positive number, a category given twice, or a crossed category whose parts do
        not match its variable.
    """
    text = _decode(data)
    if fmt is None:
        fmt = "json" if text.lstrip()[:1] in ("[", "{") else "csv"
    records = _records_from_json(text) if fmt == "json" else _records_from_csv(text)
    if not records:
        raise _invalid(("margins",), "the margins file has no rows; give one row per category")
    by_variable: dict[str, dict[str, float]] = {}
    rows: dict[str, dict[str, int]] = {}
    for number, record in records:
        variable = str(record.get("variable") or "").strip()
        category = str(record.get("category") if record.get("category") is not None else "")
        category = category.strip()
        if not variable:
            raise _invalid(("margins", number, "variable"), "the variable is empty; name a column")
        if not category:
            raise _invalid(("margins", number, "category"), "the category is empty")
        parts = variable.split(CROSS)
        if any(not p.strip() for p in parts):
            raise _invalid(
                ("margins", number, "variable"),
                f"the variable {variable!r} has an empty part; cross columns as sex*age_band",
            )
        if len(category.split(CROSS)) != len(parts):
            raise _invalid(
                ("margins", number, "category"),
                f"the category {category!r} needs {len(parts)} parts joined by * for the "
                f"variable {variable!r}",
            )
        count = _population(record.get("population"), ("margins", number, "population"))
        counts = by_variable.setdefault(variable, {})
        if category in counts:
            raise _invalid(
                ("margins", number, "category"),
                f"the category {category!r} of {variable!r} is given twice (rows "
                f"{rows[variable][category]} and {number}); keep one",
            )
        counts[category] = count
        rows.setdefault(variable, {})[category] = number
    return Margins(tuple(Margin(v, dict(c), dict(rows[v])) for v, c in by_variable.items()))


def calibration_spec(
    method: str,
    margins: Margins,
    *,
    bounds: Sequence[float] | None = None,
) -> CalibrationSpec:
    """Check the method against the margins (and bounds) and return the request.

    Raises
    ------
    InvalidInput
        An unknown method; post-stratification on more than one variable; bounds with another
        method than linear or bounds that do not hold 1; raking or linear margins whose
        population totals differ.
    """
    if method not in METHODS:
        raise _invalid(("calibration", "method"), f"use one of {', '.join(METHODS)}")
    checked_method = cast(CalibrationMethodName, method)
    if checked_method == "poststratify" and len(margins.margins) != 1:
        raise _invalid(
            ("calibration", "method"),
            "post-stratification takes one variable; cross columns into one (sex*age_band) "
            "or use rake",
        )
    pair: tuple[float, float] | None = None
    if bounds is not None:
        if checked_method != "linear":
            raise _invalid(("calibration", "bounds"), "bounds apply to linear calibration only")
        if len(bounds) != 2:
            raise _invalid(("calibration", "bounds"), "give two bounds: lower,upper")
        lo, hi = float(bounds[0]), float(bounds[1])
        if not (lo < 1.0 < hi) or lo < 0:
            raise _invalid(
                ("calibration", "bounds"),
                "the bounds must hold 1, for example 0.5,2 (lower from 0 to below 1, upper "
                "above 1)",
            )
        pair = (lo, hi)
    totals = [m.total for m in margins.margins]
    if len(totals) > 1 and max(totals) - min(totals) > 1e-9 * max(totals):
        first, other = (
            margins.margins[0],
            next(m for m in margins.margins if abs(m.total - totals[0]) > 1e-9 * max(totals)),
        )
        raise _invalid(
            ("margins", other.variable),
            f"the margins of {other.variable!r} add up to {other.total:g} but those of "
            f"{first.variable!r} to {first.total:g}; every variable must count the same population",
        )
    return CalibrationSpec(method=checked_method, margins=margins, bounds=pair)


def spec_from_record(record: Mapping[str, Any]) -> CalibrationSpec:
    """The :class:`CalibrationSpec` of :meth:`CalibrationSpec.as_record` (checked again)."""
    bounds = record.get("bounds")
    return calibration_spec(
        str(record.get("method", "")),
        parse_margins(json.dumps(list(record.get("margins") or [])), fmt="json"),
        bounds=None if bounds is None else [float(b) for b in bounds],
    )


def _column(margin: Margin, columns: Mapping[str, ArrayLike], n: int) -> NDArray[np.str_]:
    parts = []
    for name in margin.columns:
        if name not in columns:
            row = min(margin.rows.values())
            raise _invalid(
                ("margins", row, "variable"),
                f"the responses have no column {name!r}; use one of {', '.join(sorted(columns))}",
            )
        values = np.asarray(columns[name], dtype=object)
        if values.shape != (n,):
            raise _invalid(
                ("margins", name), f"the column {name!r} does not have one value per response"
            )
        missing = np.array([v is None or (isinstance(v, str) and not v.strip()) for v in values])
        if missing.any():
            row = min(margin.rows.values())
            raise _invalid(
                ("margins", row, "variable"),
                f"{int(missing.sum())} responses have no {name!r}; calibrate on a variable "
                "every respondent has, or give their category (for example 'unknown') a count",
            )
        parts.append(values.astype(str))
    label = parts[0]
    for more in parts[1:]:
        label = np.char.add(np.char.add(label, CROSS), more)
    return cast(NDArray[np.str_], label)


def _check_categories(margin: Margin, labels: NDArray[np.str_]) -> None:
    present = set(np.unique(labels).tolist())
    unknown = sorted(present - set(margin.counts))
    if unknown:
        raise _invalid(
            ("margins", margin.variable),
            f"the responses have {margin.variable} {unknown[0]!r}, which the margins do not "
            "count; add a row for it or merge it with another category",
        )
    absent = [c for c in margin.counts if c not in present]
    if absent:
        raise _invalid(
            ("margins", margin.rows[absent[0]], "category"),
            f"no response has {margin.variable} {absent[0]!r}; merge it with a neighbouring "
            "category (an empty cell cannot be weighted up)",
        )


def _weighted(
    weights: NDArray[np.float64], labels: list[NDArray[np.str_]], spec: CalibrationSpec
) -> dict[str, dict[str, float]]:
    return {
        m.variable: {c: float(weights[col == c].sum()) for c in m.counts}
        for m, col in zip(spec.margins.margins, labels, strict=True)
    }


def apply_calibration(
    design: SurveyDesign, spec: CalibrationSpec, columns: Mapping[str, ArrayLike]
) -> CalibrationOutcome:
    """Calibrate ``design`` to the margins of ``spec``.

    Parameters
    ----------
    design : SurveyDesign
        The responses' design (base x non-response weights).
    spec : CalibrationSpec
    columns : mapping of name -> array_like, each shape (n,)
        The rows' columns the margins may name (frame columns, profile answers), aligned with
        the design's rows.

    Returns
    -------
    CalibrationOutcome

    Raises
    ------
    InvalidInput
        A variable the rows do not have or that some rows lack; a category of the responses the
        margins do not count, or a category of the margins no response has; a calibration that
        cannot be reached (linear weights that would turn negative, bounds too tight).
    """
    labels = [_column(m, columns, design.n) for m in spec.margins.margins]
    for margin, col in zip(spec.margins.margins, labels, strict=True):
        _check_categories(margin, col)
    pops = [dict(m.counts) for m in spec.margins.margins]
    try:
        if spec.method == "poststratify":
            calibrated = poststratify(design, labels[0], pops[0])
        elif spec.method == "rake":
            calibrated = rake(
                design, labels, pops, max_iter=_RAKE_MAX_CYCLES, epsilon=_RAKE_EPSILON
            ).design
        else:
            calibrated = calibrate(
                design,
                labels,
                pops,
                method="linear",
                bounds=spec.bounds,
                max_iter=100,
                epsilon=_LINEAR_EPSILON,
            )
    except CalibrationError as error:
        raise _invalid(("calibration", "method"), _library_message(str(error))) from None
    except DesignError as error:
        raise _invalid(("calibration",), str(error)) from None
    g = np.divide(
        calibrated.weights,
        design.weights,
        out=np.ones_like(design.weights),
        where=design.weights > 0,
    )
    return CalibrationOutcome(
        design=calibrated,
        spec=spec,
        sample_totals=_weighted(design.weights, labels, spec),
        calibrated_totals=_weighted(calibrated.weights, labels, spec),
        g_range=(float(g.min(initial=np.inf)), float(g.max(initial=-np.inf))),
    )


def _library_message(message: str) -> str:
    # The library's sentences that can happen after the checks above, said for an analyst.
    if "negative weight" in message:
        return (
            "linear calibration would give some responses a negative weight; give bounds "
            "(for example 0.3,3) or use rake"
        )
    if "did not reach" in message or "still changed" in message:
        return (
            "the weights cannot reach these margins; merge small categories, widen the "
            "bounds or check the counts"
        )
    return message


def calibration_request(
    method: str | None,
    margins: bytes | str | Sequence[Mapping[str, Any]] | Mapping[str, Any] | None,
    bounds: Sequence[float] | None = None,
) -> CalibrationSpec | None:
    """The spec of a request's raw fields (form, REST body, CLI options), or None for none.

    ``margins`` is the table's text (CSV or JSON) or its parsed JSON. No method and no margins
    mean no calibration (the default); one without the other is an error naming the missing
    field.

    Raises
    ------
    InvalidInput
        See :func:`parse_margins` and :func:`calibration_spec`.
    """
    has_margins = margins is not None and not (
        isinstance(margins, str | bytes) and not margins.strip()
    )
    if not method or method == "none":
        if has_margins or bounds is not None:
            raise _invalid(
                ("calibration", "method"),
                "choose a calibration method (rake, poststratify or linear) for these margins",
            )
        return None
    if not has_margins:
        raise _invalid(
            ("margins",),
            "give the margins to calibrate to: a table of variable,category,population",
        )
    assert margins is not None
    if isinstance(margins, str | bytes):
        table = parse_margins(margins)
    else:
        table = parse_margins(json.dumps(margins), fmt="json")
    return calibration_spec(method, table, bounds=bounds)
