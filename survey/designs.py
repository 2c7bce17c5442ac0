"""Sample designs: validate a design, preview its allocation table, store it.

A design names a ready frame, the frame columns that form the strata (optionally with province
codes mapped through a :class:`~survey.models.GeoMapping` such as ``provinces-2025`` so that frames
from before and after the 2025 merger give comparable strata), the allocation of the sample to
strata (:mod:`sampling.allocation`), the selection method and a reserve list size.

The preview is the table a coordinator checks before drawing: per stratum ``N_h``, ``n_h``, whether
the stratum is taken whole, and the expected standard error and margin of error of a proportion;
the same per domain (e.g. each agency or province) and in total. Precision uses the expected number
of *respondents* ``n_h * response_rate`` (Cochran 1977, eq. 3.8 with the fpc, times the design
effect); see :func:`sampling.allocation.expected_precision`.

Domains that cut across strata (e.g. provinces in a design stratified by agency) are previewed
from the cells ``(h, d)``: a cell gets the expected sample ``n_h N_hd / N_h`` and the domain the
stratified variance over its cells, ``V_d = sum_h (N_hd / N_d)^2 V_hd``. That treats the domain
sample sizes as fixed, which is the usual planning approximation for domain estimates
(Lohr 2019, §4.3).

Where a margin sets the size (the total or each stratum's), the design's ``size_rule`` chooses
Cochran's formula (the default; :func:`sampling.sample_size.sample_size_proportion`) or Yamane's
``n = N / (1 + N e^2)``, MoHA's legacy SIPAS rule (:func:`sampling.sample_size.sample_size_yamane`:
it assumes p = 0.5 and z = 2). Either way the margins previewed are the honest expected ones, at
the design's p, confidence and design effect, so a rule never changes how precision is told.

Domains are told against a target: the design's ``domain_target`` if set, else its ``margin``.
Each domain whose expected margin exceeds it is flagged with the respondents it would need
(Cochran's size for the domain alone, ``N = N_d``: the inverse of the margin shown), and each
domain column gets a summary line such as "12 of 40 agencies miss ±5%: expected ±19-38%". A
total of ±5% says nothing about each agency's precision (Lohr 2019, §4.3), so the preview says it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import and_, case, func, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from sampling.allocation import (
    Allocation,
    allocate_equal,
    allocate_neyman,
    allocate_power,
    allocate_proportional,
    expected_precision,
)
from sampling.errors import SamplingError
from sampling.sample_size import (
    sample_size_by_domain,
    sample_size_yamane,
)
from survey.errors import InvalidInput, NotFound, PermissionDenied, Problem
from survey.geography import map_codes
from survey.models import Design, Dossier, DossierContact, Frame, GeoMapping
from survey.models.frames import DossierPublic, FrameStatus
from survey.users import UNLIMITED, Scope

# Frame columns a design may stratify on, sort by (systematic) or use as domains / PSUs.
STRATIFIABLE = (
    "agency_code",
    "province_code",
    "commune_code",
    "level",
    "channel",
    "procedure_field",
    "procedure_code",
)
SORTABLE = (*STRATIFIABLE, "received_date", "completed_date", "dossier_code")
PSU_COLUMNS = ("commune_code", "agency_code")
DEFAULT_DOMAINS = ("agency_code", "province_code")
SELECTIONS = ("srswor", "systematic", "pps")
# Joins the values of several stratification columns into one stratum label.
LABEL_SEPARATOR = " | "
MAX_LABEL_LENGTH = 128


class AllocationSpec(BaseModel):
    """How many units to draw and how to spread them over strata (see :mod:`sampling`)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["proportional", "equal", "neyman", "power"] = "proportional"
    n_total: int | None = Field(default=None, ge=1, description="total sample size to issue")
    margin: float | None = Field(
        default=None, gt=0, lt=1, description="target margin of error, e.g. 0.05"
    )
    margin_applies_to: Literal["total", "each_stratum"] = Field(
        default="total",
        description="'total': the whole frame reaches the margin; 'each_stratum': every stratum",
    )
    p: float = Field(default=0.5, gt=0, lt=1, description="anticipated share satisfied")
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    deff: float = Field(default=1.0, gt=0, description="anticipated design effect")
    response_rate: float = Field(default=1.0, gt=0, le=1, description="expected response rate")
    min_per_stratum: int = Field(default=0, ge=0)
    max_per_stratum: int | None = Field(default=None, ge=1)
    power_q: float = Field(default=0.5, ge=0, le=1, description="q of power allocation")
    stratum_p: dict[str, float] = Field(
        default_factory=dict, description="prior share satisfied per stratum (Neyman)"
    )
    m_per_psu: int = Field(default=10, ge=1, description="units per selected PSU (pps)")
    size_rule: Literal["cochran", "yamane"] = Field(
        default="cochran",
        description="how a margin sets a size: 'cochran' (n0 = z^2 p q / e^2 with fpc) or "
        "'yamane' (n = N / (1 + N e^2), MoHA's legacy rule, assumes p = 0.5 and 95%)",
    )
    domain_target: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="margin each domain (agency, province) should reach, e.g. 0.1; domains "
        "that miss it are flagged (default: the design's margin)",
    )


class DesignCreate(BaseModel):
    """What a coordinator submits to create a design."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    frame_id: int
    stratify_by: list[str] = Field(default_factory=lambda: ["agency_code"])
    geo_mapping: str | None = None
    selection: Literal["srswor", "systematic", "pps"] = "srswor"
    sort_by: list[str] = Field(default_factory=list)
    psu_column: str | None = None
    allocation: AllocationSpec = Field(default_factory=AllocationSpec)
    reserve_per_stratum: int = Field(default=0, ge=0)


@dataclass(frozen=True)
class StratumRow:
    """One line of the allocation table."""

    stratum: str
    population: int
    n: int
    take_all: bool
    expected_respondents: float
    se: float | None
    margin: float | None


@dataclass(frozen=True)
class DomainRow:
    """Expected precision for one domain (e.g. one agency) of the design."""

    column: str
    domain: str
    population: int
    n: int
    se: float | None
    margin: float | None
    expected_respondents: float = 0.0
    # Against the preview's domain target (None without one): False when the expected margin
    # exceeds it (or no respondent is expected), and what the domain alone would need.
    meets_target: bool | None = None
    respondents_needed: int | None = None
    n_needed: int | None = None


@dataclass(frozen=True)
class DomainSummary:
    """One line per domain column: how many domains miss the target, and their margins."""

    column: str
    n_domains: int
    target: float | None
    n_missing: int
    # Expected margins (finite ones) of every domain listed, and of those missing the target.
    margin_min: float | None
    margin_max: float | None
    missing_margin_min: float | None
    missing_margin_max: float | None
    # Domains with no respondent expected at all (their margin is unbounded).
    n_without_sample: int
    text: str


@dataclass(frozen=True)
class AllocationPreview:
    """The allocation table: strata, domains and the total, as shown before a draw."""

    strata: tuple[StratumRow, ...]
    domains: tuple[DomainRow, ...]
    total: StratumRow
    method: str
    # "cochran" or "yamane" when a margin set the size, "n_total" when a size was given.
    size_rule: str = "n_total"
    domain_target: float | None = None
    domain_summary: tuple[DomainSummary, ...] = ()
    misses_target: bool = False


@dataclass(frozen=True)
class FrameArrays:
    """A frame's columns as numpy arrays, read with one SELECT (no ORM object per row).

    From :func:`load_frame_groups` each element is one distinct combination of the columns and
    ``count`` the dossiers it stands for (``dossier_id`` is then -1); otherwise one dossier each.
    """

    dossier_id: NDArray[np.int64]
    columns: dict[str, NDArray[Any]]
    count: NDArray[np.int64] | None = None

    @property
    def weights(self) -> NDArray[np.int64]:
        """Dossiers each element stands for (ones for a frame read row by row)."""
        if self.count is None:
            return np.ones(self.dossier_id.size, dtype=np.int64)
        return self.count

    @property
    def n_units(self) -> int:
        return int(self.dossier_id.size)


def parse_design(data: dict[str, Any]) -> DesignCreate:
    """Validate a design given as plain data (CLI, JSON files) into :class:`DesignCreate`."""
    try:
        return DesignCreate.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(tuple(e["loc"]), str(e["msg"])) for e in error.errors(include_url=False)
        ]
        raise InvalidInput("the design is not valid", problems) from None


def _check_columns(values: Sequence[str], allowed: Sequence[str], field: str) -> list[Problem]:
    problems = []
    for i, name in enumerate(values):
        if name not in allowed:
            problems.append(
                Problem(
                    (field, i),
                    f"{name!r} is not a frame column usable here; use one of {', '.join(allowed)}",
                )
            )
    if len(set(values)) != len(values):
        problems.append(Problem((field,), "a column is listed twice; list each column once"))
    return problems


def validate_design(*, session: Session, spec: DesignCreate) -> Frame:
    """Check a design against its frame and return the frame; raise naming every problem."""
    problems: list[Problem] = []
    frame = session.get(Frame, spec.frame_id)
    if frame is None:
        problems.append(Problem(("frame_id",), f"no frame with id {spec.frame_id}: import one"))
    elif frame.status != FrameStatus.READY.value:
        problems.append(
            Problem(
                ("frame_id",),
                f"frame {spec.frame_id} is {frame.status!r}; only a ready frame can be sampled "
                "(fix its import report first)",
            )
        )
    if not spec.stratify_by:
        problems.append(Problem(("stratify_by",), "give at least one column, e.g. agency_code"))
    problems += _check_columns(spec.stratify_by, STRATIFIABLE, "stratify_by")
    problems += _check_columns(spec.sort_by, SORTABLE, "sort_by")
    if spec.selection != "systematic" and spec.sort_by:
        problems.append(
            Problem(("sort_by",), "sort_by only applies to selection 'systematic'; remove it")
        )
    if spec.selection == "pps":
        if spec.psu_column is None:
            problems.append(Problem(("psu_column",), "pps needs a PSU column, e.g. commune_code"))
        elif spec.psu_column not in PSU_COLUMNS:
            problems.append(
                Problem(("psu_column",), f"use one of {', '.join(PSU_COLUMNS)} as PSU column")
            )
    elif spec.psu_column is not None:
        problems.append(Problem(("psu_column",), "psu_column only applies to selection 'pps'"))
    alloc = spec.allocation
    if (alloc.n_total is None) == (alloc.margin is None):
        problems.append(
            Problem(
                ("allocation", "n_total"),
                "give either n_total (a sample size) or margin (a precision target), not both",
            )
        )
    if alloc.size_rule == "yamane" and alloc.margin is None:
        problems.append(
            Problem(
                ("allocation", "size_rule"),
                "Yamane's rule turns a margin into a size; give a margin instead of n_total, "
                "or keep the rule 'cochran'",
            )
        )
    if alloc.max_per_stratum is not None and alloc.min_per_stratum > alloc.max_per_stratum:
        problems.append(
            Problem(
                ("allocation", "min_per_stratum"),
                f"min_per_stratum {alloc.min_per_stratum} exceeds max_per_stratum "
                f"{alloc.max_per_stratum}; lower the minimum or raise the maximum",
            )
        )
    if alloc.method == "neyman" and alloc.margin_applies_to == "each_stratum" and alloc.margin:
        problems.append(
            Problem(
                ("allocation", "method"),
                "a margin for each stratum fixes every n_h; choose margin_applies_to 'total' "
                "for a Neyman allocation",
            )
        )
    if spec.geo_mapping is not None:
        known = session.exec(
            select(GeoMapping.id).where(GeoMapping.mapping == spec.geo_mapping).limit(1)
        ).first()
        if known is None:
            problems.append(Problem(("geo_mapping",), f"no geo mapping named {spec.geo_mapping!r}"))
    if problems:
        raise InvalidInput("the design cannot be used", problems)
    assert frame is not None
    return frame


def load_frame_arrays(
    *,
    session: Session,
    frame_id: int,
    columns: Iterable[str],
    geo_mapping: str | None = None,
    with_phone: bool = False,
) -> FrameArrays:
    """Read ``columns`` of a frame's dossiers as numpy arrays with one SELECT.

    Province codes are mapped through ``geo_mapping`` when given. Dates become
    ``datetime64[D]``; other columns become unicode arrays. With ``with_phone`` the column
    ``phone`` holds the mobile number in E.164 (empty when none); it stays in memory only.
    """
    names = list(dict.fromkeys(columns))
    attrs: list[Any] = [getattr(Dossier, name) for name in names]
    if with_phone:
        attrs.append(col(DossierContact.phone_e164))
        names.append("phone")
    stmt = sa_select(col(Dossier.id), *attrs).where(col(Dossier.frame_id) == frame_id)
    if with_phone:
        stmt = stmt.outerjoin(DossierContact, col(DossierContact.dossier_id) == col(Dossier.id))
    stmt = stmt.order_by(col(Dossier.id))
    rows = session.execute(stmt).all()
    transposed: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else []
    ids = np.asarray(transposed[0] if rows else [], dtype=np.int64)
    out: dict[str, NDArray[Any]] = {}
    for i, name in enumerate(names):
        values = transposed[i + 1] if rows else ()
        if name.endswith("_date"):
            out[name] = np.asarray(
                [v if isinstance(v, dt.date) else None for v in values], dtype="datetime64[D]"
            )
        else:
            out[name] = np.asarray(["" if v is None else str(v) for v in values], dtype=str)
    if geo_mapping is not None and "province_code" in out and ids.size:
        out["province_code"] = np.asarray(
            map_codes(session, geo_mapping, out["province_code"].tolist()), dtype=str
        )
    return FrameArrays(dossier_id=ids, columns=out)


def load_frame_groups(
    *, session: Session, frame_id: int, columns: Iterable[str], geo_mapping: str | None = None
) -> FrameArrays:
    """The distinct combinations of ``columns`` in a frame and their counts (one GROUP BY).

    The same values :func:`load_frame_arrays` gives (province codes mapped through
    ``geo_mapping``, so two groups may then share values), one element per combination, with
    ``count`` dossiers each: memory grows with the number of combinations, not of dossiers.
    """
    names = list(dict.fromkeys(columns))
    attrs: list[Any] = [col(getattr(Dossier, name)) for name in names]
    stmt = sa_select(*attrs, func.count()).where(col(Dossier.frame_id) == frame_id)
    rows: list[Any] = list(session.execute(stmt.group_by(*attrs)).all()) if attrs else []
    if not attrs:
        total = session.execute(
            sa_select(func.count()).where(col(Dossier.frame_id) == frame_id)
        ).scalar_one()
        rows = [(int(total),)] if total else []
    transposed: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else []
    out: dict[str, NDArray[Any]] = {}
    for i, name in enumerate(names):
        values = transposed[i] if rows else ()
        if name.endswith("_date"):
            out[name] = np.asarray(
                [v if isinstance(v, dt.date) else None for v in values], dtype="datetime64[D]"
            )
        else:
            out[name] = np.asarray(["" if v is None else str(v) for v in values], dtype=str)
    if geo_mapping is not None and "province_code" in out and rows:
        out["province_code"] = np.asarray(
            map_codes(session, geo_mapping, out["province_code"].tolist()), dtype=str
        )
    count = np.asarray(transposed[-1] if rows else [], dtype=np.int64)
    return FrameArrays(dossier_id=np.full(count.size, -1, dtype=np.int64), columns=out, count=count)


def stratum_labels(arrays: FrameArrays, stratify_by: Sequence[str]) -> NDArray[np.str_]:
    """The stratum label of every unit: the stratification columns' values joined by ``|``.

    Built once per distinct combination (``np.unique(return_inverse=True)`` per column and a
    mixed-radix code), so a large frame costs a few sorts, not a Python loop over rows.
    """
    if arrays.n_units == 0:
        return np.asarray([], dtype=str)
    uniques = []
    codes = []
    for name in stratify_by:
        values, code = np.unique(arrays.columns[name], return_inverse=True)
        uniques.append(values)
        codes.append(code.reshape(-1))
    combined = np.ravel_multi_index(codes, tuple(u.size for u in uniques))
    present, inverse = np.unique(combined, return_inverse=True)
    parts = np.unravel_index(present, tuple(u.size for u in uniques))
    labels = [
        LABEL_SEPARATOR.join(str(uniques[j][parts[j][k]]) for j in range(len(uniques)))
        for k in range(present.size)
    ]
    too_long = [label for label in labels if len(label) > MAX_LABEL_LENGTH]
    if too_long:
        raise InvalidInput(
            "stratum labels are too long",
            [
                Problem(
                    ("stratify_by",),
                    f"the stratum {too_long[0][:40]!r}... is longer than {MAX_LABEL_LENGTH} "
                    "characters; stratify on fewer or shorter columns",
                )
            ],
        )
    return np.asarray(labels, dtype=str)[inverse.reshape(-1)]


def sampling_problem(error: SamplingError, prefix: str = "allocation") -> InvalidInput:
    """Translate an error of the pure sampling library into the platform's error tree."""
    loc: tuple[str | int, ...] = (prefix, *error.loc) if error.loc else (prefix,)
    return InvalidInput(str(error), [Problem(loc, str(error))])


def _issued_for_margin(
    alloc: AllocationSpec, margin: float, labels: NDArray[Any], population: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Units to issue so that each population reaches ``margin``, by the design's size rule."""
    if alloc.size_rule == "yamane":
        return np.asarray(
            [
                sample_size_yamane(
                    int(n_h), margin, deff=alloc.deff, response_rate=alloc.response_rate
                ).n_issued
                for n_h in population.tolist()
            ],
            dtype=np.int64,
        )
    return sample_size_by_domain(
        margin,
        labels,
        population,
        p=alloc.p,
        confidence=alloc.confidence,
        deff=alloc.deff,
        response_rate=alloc.response_rate,
    ).n_issued.astype(np.int64)


def allocate_design(
    alloc: AllocationSpec, labels: NDArray[Any], population: NDArray[np.int64]
) -> Allocation:
    """Sample size per stratum for a design's allocation settings.

    With ``n_total`` the total is split by the chosen method; with a ``margin`` for the total the
    total is the size for the whole frame and then split; with a margin for each stratum every
    stratum gets its own size (bounded by the per-stratum minimum and maximum). A margin becomes
    a size by ``size_rule``: Cochran 1977, §4.4 (with fpc, deff and response rate), or Yamane
    1967, ``N / (1 + N e^2)`` (then deff and response rate).
    """
    bounds: dict[str, Any] = {"min_size": alloc.min_per_stratum, "max_size": alloc.max_per_stratum}
    try:
        if alloc.margin is not None and alloc.margin_applies_to == "each_stratum":
            issued = _issued_for_margin(alloc, alloc.margin, labels, population)
            hi = population if alloc.max_per_stratum is None else alloc.max_per_stratum
            n = np.minimum(np.clip(issued, alloc.min_per_stratum, hi), population)
            return Allocation(
                method="margin_each_stratum",
                total=int(n.sum()),
                population=population,
                n=n.astype(np.int64),
                n_continuous=n.astype(np.float64),
                take_all=(n == population) & (population > 0),
                labels=labels,
            )
        if alloc.margin is not None:
            whole = np.asarray([int(population.sum())], dtype=np.int64)
            total = int(_issued_for_margin(alloc, alloc.margin, np.asarray(["all"]), whole)[0])
        else:
            assert alloc.n_total is not None
            total = alloc.n_total
        if alloc.method == "equal":
            return allocate_equal(total, population, labels=labels, **bounds)
        if alloc.method == "neyman":
            unknown = sorted(set(alloc.stratum_p) - set(labels.tolist()))
            if unknown:
                raise InvalidInput(
                    "stratum_p names unknown strata",
                    [
                        Problem(("allocation", "stratum_p", u), "not a stratum of this design")
                        for u in unknown
                    ],
                )
            prior = np.asarray([alloc.stratum_p.get(str(s), alloc.p) for s in labels.tolist()])
            return allocate_neyman(total, population, p=prior, labels=labels, **bounds)
        if alloc.method == "power":
            return allocate_power(total, population, q=alloc.power_q, labels=labels, **bounds)
        return allocate_proportional(total, population, labels=labels, **bounds)
    except SamplingError as error:
        raise sampling_problem(error) from None


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _domain_rows(
    arrays: FrameArrays,
    stratum_code: NDArray[np.int64],
    allocation: Allocation,
    alloc: AllocationSpec,
    domains: Sequence[str],
    in_scope: NDArray[np.bool_] | None,
    target: float | None = None,
) -> list[DomainRow]:
    rows: list[DomainRow] = []
    n_h = allocation.n.astype(np.float64)
    pop_h = allocation.population.astype(np.float64)
    weights = arrays.weights
    for column in domains:
        d_labels, d_code = np.unique(arrays.columns[column], return_inverse=True)
        d_code = d_code.reshape(-1)
        cell = stratum_code * d_labels.size + d_code
        cells, cell_inv = np.unique(cell, return_inverse=True)
        cell_pop = np.bincount(cell_inv.reshape(-1), weights=weights).astype(np.float64)
        cell_h = cells // d_labels.size
        # Expected domain sample in a stratum: its share of the stratum's population.
        cell_n = n_h[cell_h] * cell_pop / pop_h[cell_h]
        # A scoped user sees only domains all of whose units are theirs: a domain shared with
        # other agencies would tell them those agencies' counts.
        visible = (
            np.ones(d_labels.size, dtype=bool)
            if in_scope is None
            else np.bincount(d_code[in_scope], weights=weights[in_scope], minlength=d_labels.size)
            == np.bincount(d_code, weights=weights, minlength=d_labels.size)
        )
        rows += domain_rows_from_cells(
            column,
            d_labels,
            cells % d_labels.size,
            cell_pop,
            cell_n,
            visible,
            alloc=alloc,
            target=target,
        )
    return rows


def domain_rows_from_cells(
    column: str,
    d_labels: NDArray[Any],
    cell_d: NDArray[np.int64],
    cell_pop: NDArray[np.float64],
    cell_n: NDArray[np.float64],
    visible: NDArray[np.bool_],
    *,
    alloc: AllocationSpec,
    target: float | None,
) -> list[DomainRow]:
    """Expected precision per domain of one column from its cells (stratum x domain).

    ``cell_n`` is each cell's sample: in a preview the expected share ``n_h N_hd / N_h`` of its
    stratum's sample, after a draw the units actually drawn. Each cell is taken as an SRSWOR of
    ``n_hd * response_rate`` respondents from ``N_hd``, and the domain's variance is
    ``V_d = sum_h (N_hd / N_d)^2 V_hd`` (Lohr 2019, §4.3). With a ``target``, each domain gets
    whether its margin reaches it and Cochran's size for the domain alone (``N = N_d``, the
    inverse of that margin at the design's p, confidence and deff). ``visible`` (per label)
    keeps the domains a scoped user may see.
    """
    precision = expected_precision(
        cell_n * alloc.response_rate,
        cell_pop,
        p=alloc.p,
        confidence=alloc.confidence,
        deff=alloc.deff,
        domain=cell_d,
    )
    dom_pop = np.bincount(cell_d, weights=cell_pop, minlength=d_labels.size)
    dom_n = np.bincount(cell_d, weights=cell_n, minlength=d_labels.size)
    needed = None
    if target is not None and precision.domain.size:
        try:
            needed = sample_size_by_domain(
                target,
                precision.domain,
                dom_pop[precision.domain],
                p=alloc.p,
                confidence=alloc.confidence,
                deff=alloc.deff,
                response_rate=alloc.response_rate,
            )
        except SamplingError as error:
            raise sampling_problem(error) from None
    rows: list[DomainRow] = []
    for k, d in enumerate(precision.domain.tolist()):
        if not visible[d]:
            continue
        margin = _finite(precision.domain_margin[k])
        meets = None if target is None else margin is not None and margin <= target + 1e-12
        rows.append(
            DomainRow(
                column=column,
                domain=str(d_labels[d]),
                population=round(float(dom_pop[d])),
                n=round(float(dom_n[d])),
                se=_finite(precision.domain_se[k]),
                margin=margin,
                expected_respondents=round(float(dom_n[d]) * alloc.response_rate, 1),
                meets_target=meets,
                respondents_needed=None if needed is None else int(needed.n_respondents[k]),
                n_needed=None if needed is None else int(needed.n_issued[k]),
            )
        )
    return rows


# How the summary names the domains of a column (the pages translate with their own words).
DOMAIN_PLURALS = {"agency_code": "agencies", "province_code": "provinces"}


def _pct_range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "unbounded"
    a, b = f"{100 * low:.0f}", f"{100 * high:.0f}"
    return f"±{a}%" if a == b else f"±{a}-{b}%"


def summarise_domains(rows: Sequence[DomainRow], target: float | None) -> list[DomainSummary]:
    """One :class:`DomainSummary` per domain column, in the order the rows list them.

    The line reads "12 of 40 agencies miss ±5%: expected ±19-38%" (the range of the missing
    domains), "all 40 agencies reach ±5% (expected ±2-4%)", or without a target
    "40 agencies: expected ±3-38%".
    """
    out: list[DomainSummary] = []
    for column in dict.fromkeys(r.column for r in rows):
        mine = [r for r in rows if r.column == column]
        margins = [r.margin for r in mine if r.margin is not None]
        missing = [r for r in mine if r.meets_target is False]
        missing_margins = [r.margin for r in missing if r.margin is not None]
        noun = DOMAIN_PLURALS.get(column, f"values of {column}")
        lo, hi = (min(margins), max(margins)) if margins else (None, None)
        m_lo, m_hi = (
            (min(missing_margins), max(missing_margins)) if missing_margins else (None, None)
        )
        without = sum(1 for r in mine if r.margin is None)
        if target is None:
            text = f"{len(mine)} {noun}: expected {_pct_range(lo, hi)}"
        elif missing:
            text = (
                f"{len(missing)} of {len(mine)} {noun} miss ±{100 * target:g}%: expected "
                f"{_pct_range(m_lo, m_hi)}"
            )
            if without:
                text += f" ({without} with no respondent expected)"
        else:
            reach = f"all {len(mine)} {noun} reach ±{100 * target:g}%"
            text = f"{reach} (expected {_pct_range(lo, hi)})"
        out.append(
            DomainSummary(
                column=column,
                n_domains=len(mine),
                target=target,
                n_missing=len(missing),
                margin_min=lo,
                margin_max=hi,
                missing_margin_min=m_lo,
                missing_margin_max=m_hi,
                n_without_sample=without,
                text=text,
            )
        )
    return out


def domain_target(alloc: AllocationSpec) -> float | None:
    """The margin domains are told against: ``domain_target`` if set, else the design's margin."""
    return alloc.domain_target if alloc.domain_target is not None else alloc.margin


def scope_mask(arrays: FrameArrays, scope: Scope) -> NDArray[np.bool_]:
    """True for units a user with ``scope`` may see (needs agency and province columns)."""
    mask = np.ones(arrays.n_units, dtype=bool)
    if scope.agencies is not None:
        mask &= np.isin(arrays.columns["agency_code"], sorted(scope.agencies))
    if scope.provinces is not None:
        mask &= np.isin(arrays.columns["province_code"], sorted(scope.provinces))
    return mask


def preview_design(
    *,
    session: Session,
    spec: DesignCreate,
    domains: Sequence[str] = DEFAULT_DOMAINS,
    scope: Scope | None = None,
) -> AllocationPreview:
    """The allocation table of a design: per stratum, per domain and total.

    Parameters
    ----------
    session
        Database session.
    spec
        The design (need not be saved).
    domains
        Frame columns whose values are reported as domains (e.g. agency and province).
    scope
        For a scoped coordinator only the strata and domains all of whose units are in the
        scope are listed, and the total is theirs (without a standard error); the allocation
        itself is that of the whole frame.

    Returns
    -------
    AllocationPreview

    Raises
    ------
    InvalidInput
        Naming the field: unknown column, impossible allocation (e.g. a total larger than the
        frame, minimums above the total), frame not ready.
    """
    problems = _check_columns(list(domains), STRATIFIABLE, "domains")
    if problems:
        raise InvalidInput("unknown domain column", problems)
    frame = validate_design(session=session, spec=spec)
    assert frame.id is not None
    needed = [*spec.stratify_by, *domains, "agency_code", "province_code"]
    # Counts by GROUP BY: the preview never holds the frame's rows.
    arrays = load_frame_groups(
        session=session, frame_id=frame.id, columns=needed, geo_mapping=spec.geo_mapping
    )
    weights = arrays.weights
    if arrays.n_units == 0:
        raise InvalidInput(
            "the frame is empty", [Problem(("frame_id",), "the frame has no dossiers")]
        )
    labels_per_unit = stratum_labels(arrays, spec.stratify_by)
    labels, code = np.unique(labels_per_unit, return_inverse=True)
    code = code.reshape(-1).astype(np.int64)
    population = np.bincount(code, weights=weights, minlength=labels.size).astype(np.int64)
    allocation = allocate_design(spec.allocation, labels, population)
    alloc = spec.allocation
    precision = expected_precision(
        allocation.n * alloc.response_rate,
        population,
        p=alloc.p,
        confidence=alloc.confidence,
        deff=alloc.deff,
    )
    visible = np.ones(labels.size, dtype=bool)
    in_scope = None
    if scope is not None and scope.limited:
        in_scope = scope_mask(arrays, scope)
        visible = (
            np.bincount(code[in_scope], weights=weights[in_scope], minlength=labels.size)
            == population
        )
    strata = tuple(
        StratumRow(
            stratum=str(labels[h]),
            population=int(population[h]),
            n=int(allocation.n[h]),
            take_all=bool(allocation.take_all[h]),
            expected_respondents=round(float(allocation.n[h] * alloc.response_rate), 1),
            se=_finite(precision.se[h]),
            margin=_finite(precision.margin[h]),
        )
        for h in np.flatnonzero(visible).tolist()
    )
    total = StratumRow(
        stratum="total",
        population=int(population[visible].sum()),
        n=int(allocation.n[visible].sum()),
        take_all=bool(allocation.take_all[visible].all()),
        expected_respondents=round(float(allocation.n[visible].sum() * alloc.response_rate), 1),
        # The whole design's precision is a fact about every stratum: not for a scoped user.
        se=None if in_scope is not None else _finite(precision.overall_se),
        margin=None if in_scope is not None else _finite(precision.overall_margin),
    )
    target = domain_target(alloc)
    domain_rows = _domain_rows(arrays, code, allocation, alloc, domains, in_scope, target)
    return AllocationPreview(
        strata=strata,
        domains=tuple(domain_rows),
        total=total,
        method=allocation.method,
        size_rule="n_total" if alloc.margin is None else alloc.size_rule,
        domain_target=target,
        domain_summary=tuple(summarise_domains(domain_rows, target)),
        misses_target=any(r.meets_target is False for r in domain_rows),
    )


def allocation_table(preview: AllocationPreview) -> list[dict[str, Any]]:
    """The strata rows of a preview as JSON-able dicts (stored on the design)."""
    return [
        {
            "stratum": row.stratum,
            "population": row.population,
            "n": row.n,
            "take_all": row.take_all,
            "se": row.se,
            "margin": row.margin,
        }
        for row in preview.strata
    ]


def visible_strata(
    *,
    session: Session,
    frame_id: int,
    stratify_by: Sequence[str],
    geo_mapping: str | None,
    scope: Scope,
) -> frozenset[str]:
    """Labels of the strata all of whose units ``scope`` may see (one GROUP BY in SQL).

    Built as :func:`stratum_labels` builds them (province codes mapped through ``geo_mapping``),
    so they match a design's allocation table and a draw's ``stratum`` column.
    """
    columns = list(dict.fromkeys(stratify_by))
    attrs: list[Any] = [col(getattr(Dossier, name)) for name in columns]
    conditions = scope.where(Dossier.agency_code, Dossier.province_code)
    allowed = and_(*conditions) if conditions else true()
    rows = session.execute(
        sa_select(*attrs, func.min(case((allowed, 1), else_=0)))
        .where(col(Dossier.frame_id) == frame_id)
        .group_by(*attrs)
    ).all()
    values = [["" if v is None else str(v) for v in row[:-1]] for row in rows]
    if geo_mapping is not None and "province_code" in columns and values:
        at = columns.index("province_code")
        mapped = map_codes(session, geo_mapping, [v[at] for v in values])
        for row_values, code in zip(values, mapped, strict=True):
            row_values[at] = str(code)
    visible: dict[str, bool] = {}
    for row_values, row in zip(values, rows, strict=True):
        label = LABEL_SEPARATOR.join(row_values)
        visible[label] = visible.get(label, True) and bool(row[-1])
    return frozenset(label for label, ok in visible.items() if ok)


def _scoped_design(session: Session, design: Design, scope: Scope) -> Design:
    """A detached copy of ``design`` whose allocation table keeps the scope's strata only."""
    if not scope.limited:
        return design
    strata = visible_strata(
        session=session,
        frame_id=design.frame_id,
        stratify_by=design.stratify_by,
        geo_mapping=design.geo_mapping,
        scope=scope,
    )
    data = design.model_dump()
    data["allocation_table"] = [r for r in design.allocation_table if r.get("stratum") in strata]
    # model_validate builds a new object outside the session: the stored design never changes.
    return Design.model_validate(data)


def require_unscoped(scope: Scope, action: str) -> None:
    """Designs and draws cover a whole frame: a coordinator limited to some units cannot."""
    if scope.agencies is not None or scope.provinces is not None:
        raise PermissionDenied(
            f"{action} covers the whole frame, and your account is limited to some agencies or "
            "provinces; ask a national coordinator or an administrator"
        )


def create_design(*, session: Session, spec: DesignCreate, created_by: int | None) -> Design:
    """Validate a design, compute its allocation table, store it and commit.

    Raises
    ------
    InvalidInput
        As :func:`preview_design`.
    """
    preview = preview_design(session=session, spec=spec, domains=())
    design = Design(
        name=spec.name,
        frame_id=spec.frame_id,
        stratify_by=list(spec.stratify_by),
        geo_mapping=spec.geo_mapping,
        selection=spec.selection,
        sort_by=list(spec.sort_by),
        psu_column=spec.psu_column,
        allocation=spec.allocation.model_dump(),
        reserve_per_stratum=spec.reserve_per_stratum,
        created_by=created_by,
        allocation_table=allocation_table(preview),
    )
    session.add(design)
    session.commit()
    session.refresh(design)
    return design


def design_spec(design: Design) -> DesignCreate:
    """The :class:`DesignCreate` a stored design was made from."""
    return DesignCreate(
        name=design.name,
        frame_id=design.frame_id,
        stratify_by=list(design.stratify_by),
        geo_mapping=design.geo_mapping,
        selection=design.selection,
        sort_by=list(design.sort_by),
        psu_column=design.psu_column,
        allocation=AllocationSpec.model_validate(design.allocation),
        reserve_per_stratum=design.reserve_per_stratum,
    )


def list_designs(
    *, session: Session, frame_id: int | None = None, scope: Scope = UNLIMITED
) -> list[Design]:
    """Designs, newest first, optionally of one frame; a scoped caller gets their strata only."""
    stmt = select(Design).order_by(col(Design.id).desc())
    if frame_id is not None:
        stmt = stmt.where(Design.frame_id == frame_id)
    return [_scoped_design(session, d, scope) for d in session.exec(stmt).all()]


def get_design(*, session: Session, design_id: int, scope: Scope = UNLIMITED) -> Design:
    """One design (as for :func:`list_designs`), or :class:`NotFound`."""
    design = session.get(Design, design_id)
    if design is None:
        raise NotFound(f"no design with id {design_id}")
    return _scoped_design(session, design, scope)


def list_frame_dossiers(
    *, session: Session, frame_id: int, scope: Scope, limit: int = 100, offset: int = 0
) -> list[DossierPublic]:
    """A page of a frame's dossiers that a user with ``scope`` may see (never phones)."""
    if session.get(Frame, frame_id) is None:
        raise NotFound(f"no frame with id {frame_id}")
    stmt = select(Dossier).where(
        Dossier.frame_id == frame_id, *scope.where(Dossier.agency_code, Dossier.province_code)
    )
    stmt = stmt.order_by(col(Dossier.row_number)).offset(offset).limit(limit)
    return [DossierPublic.model_validate(d) for d in session.exec(stmt).all()]
