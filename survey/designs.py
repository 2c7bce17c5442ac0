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
from sampling.sample_size import sample_size_by_domain, sample_size_proportion
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


@dataclass(frozen=True)
class AllocationPreview:
    """The allocation table: strata, domains and the total, as shown before a draw."""

    strata: tuple[StratumRow, ...]
    domains: tuple[DomainRow, ...]
    total: StratumRow
    method: str


@dataclass(frozen=True)
class FrameArrays:
    """A frame's columns as numpy arrays, read with one SELECT (no ORM object per row)."""

    dossier_id: NDArray[np.int64]
    columns: dict[str, NDArray[Any]]

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


def allocate_design(
    alloc: AllocationSpec, labels: NDArray[Any], population: NDArray[np.int64]
) -> Allocation:
    """Sample size per stratum for a design's allocation settings.

    With ``n_total`` the total is split by the chosen method; with a ``margin`` for the total the
    total is Cochran's size for the whole frame (§4.4, with fpc, deff and response rate) and then
    split; with a margin for each stratum every stratum gets its own size (bounded by the
    per-stratum minimum and maximum).
    """
    bounds: dict[str, Any] = {"min_size": alloc.min_per_stratum, "max_size": alloc.max_per_stratum}
    try:
        if alloc.margin is not None and alloc.margin_applies_to == "each_stratum":
            sizes = sample_size_by_domain(
                alloc.margin,
                labels,
                population,
                p=alloc.p,
                confidence=alloc.confidence,
                deff=alloc.deff,
                response_rate=alloc.response_rate,
            )
            hi = population if alloc.max_per_stratum is None else alloc.max_per_stratum
            n = np.minimum(np.clip(sizes.n_issued, alloc.min_per_stratum, hi), population)
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
            total = sample_size_proportion(
                alloc.margin,
                p=alloc.p,
                confidence=alloc.confidence,
                population=int(population.sum()),
                deff=alloc.deff,
                response_rate=alloc.response_rate,
            ).n_issued
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
) -> list[DomainRow]:
    rows: list[DomainRow] = []
    n_h = allocation.n.astype(np.float64)
    pop_h = allocation.population.astype(np.float64)
    for column in domains:
        d_labels, d_code = np.unique(arrays.columns[column], return_inverse=True)
        d_code = d_code.reshape(-1)
        cell = stratum_code * d_labels.size + d_code
        cells, cell_inv = np.unique(cell, return_inverse=True)
        cell_pop = np.bincount(cell_inv.reshape(-1)).astype(np.float64)
        cell_h = cells // d_labels.size
        cell_d = cells % d_labels.size
        # Expected domain sample in a stratum: its share of the stratum's population.
        cell_n = n_h[cell_h] * cell_pop / pop_h[cell_h]
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
        # A scoped user sees only domains all of whose units are theirs: a domain shared with
        # other agencies would tell them those agencies' counts.
        visible = (
            np.ones(d_labels.size, dtype=bool)
            if in_scope is None
            else np.bincount(d_code[in_scope], minlength=d_labels.size)
            == np.bincount(d_code, minlength=d_labels.size)
        )
        for k, d in enumerate(precision.domain.tolist()):
            label = str(d_labels[d])
            if not visible[d]:
                continue
            rows.append(
                DomainRow(
                    column=column,
                    domain=label,
                    population=round(float(dom_pop[d])),
                    n=round(float(dom_n[d])),
                    se=_finite(precision.domain_se[k]),
                    margin=_finite(precision.domain_margin[k]),
                )
            )
    return rows


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
    arrays = load_frame_arrays(
        session=session, frame_id=frame.id, columns=needed, geo_mapping=spec.geo_mapping
    )
    if arrays.n_units == 0:
        raise InvalidInput(
            "the frame is empty", [Problem(("frame_id",), "the frame has no dossiers")]
        )
    labels_per_unit = stratum_labels(arrays, spec.stratify_by)
    labels, code = np.unique(labels_per_unit, return_inverse=True)
    code = code.reshape(-1).astype(np.int64)
    population = np.bincount(code, minlength=labels.size).astype(np.int64)
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
        visible = np.bincount(code[in_scope], minlength=labels.size) == population
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
    domain_rows = _domain_rows(arrays, code, allocation, alloc, domains, in_scope)
    return AllocationPreview(
        strata=strata, domains=tuple(domain_rows), total=total, method=allocation.method
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
