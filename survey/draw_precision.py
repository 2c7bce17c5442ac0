"""The expected precision of a draw per domain (agency, province), from the units actually drawn.

A design's preview tells the margins it *expects* from its allocation; once drawn, each cell
(stratum x domain) holds the units the draw actually took, and only those that will be invited
(a duplicate contact is a non-respondent by design, see :mod:`survey.draws`). Each cell is then
an SRSWOR of ``n_hd * response_rate`` expected respondents from its ``N_hd`` frame units, and a
domain's variance ``V_d = sum_h (N_hd / N_d)^2 V_hd`` (Lohr 2019, §4.3), as in
:func:`survey.designs.domain_rows_from_cells`; domains whose margin exceeds the design's target
(its ``domain_target``, else its margin) are flagged with the respondents they would need.

Everything is counted in SQL (two GROUP BYs per domain column), so a page of a draw from a
frame of millions of dossiers never loads the frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError
from sqlalchemy import and_, case, func, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from survey.designs import (
    DEFAULT_DOMAINS,
    LABEL_SEPARATOR,
    STRATIFIABLE,
    DesignCreate,
    DomainRow,
    DomainSummary,
    design_spec,
    domain_rows_from_cells,
    domain_target,
    get_design,
    summarise_domains,
)
from survey.errors import InvalidInput, NotFound, Problem
from survey.fieldwork_exports import to_csv, to_xlsx
from survey.geography import map_codes
from survey.models import Dossier, Draw, SampleUnit
from survey.users import UNLIMITED, Scope

# The contact status of a unit that will be invited (survey.draws.INVITE, not imported so that
# this module does not depend on the draw machinery).
INVITE = "invite"


@dataclass(frozen=True)
class DrawPrecision:
    """Expected margins per domain of a draw, with the target they are told against."""

    draw_id: int
    size_rule: str
    response_rate: float
    domain_target: float | None
    domains: tuple[DomainRow, ...]
    domain_summary: tuple[DomainSummary, ...]
    misses_target: bool


def _draw_spec(session: Session, draw: Draw) -> DesignCreate:
    """The design as drawn (its snapshot), or the stored design for a snapshot without one."""
    try:
        return DesignCreate.model_validate((draw.design_snapshot or {})["design"])
    except (KeyError, ValidationError):
        return design_spec(get_design(session=session, design_id=draw.design_id))


def _mapped(session: Session, geo_mapping: str | None, name: str, values: list[str]) -> list[str]:
    if geo_mapping is None or name != "province_code" or not values:
        return values
    return [str(v) for v in map_codes(session, geo_mapping, values)]


def _frame_cells(
    session: Session, spec: DesignCreate, column: str, scope: Scope
) -> dict[tuple[str, str], tuple[int, bool]]:
    """``(stratum label, domain value) -> (N_hd, every unit in scope)`` over the frame."""
    names = list(dict.fromkeys([*spec.stratify_by, column]))
    attrs: list[Any] = [col(getattr(Dossier, name)) for name in names]
    conditions = scope.where(Dossier.agency_code, Dossier.province_code)
    allowed = and_(*conditions) if conditions else true()
    rows = session.execute(
        sa_select(*attrs, func.count(), func.min(case((allowed, 1), else_=0)))
        .where(col(Dossier.frame_id) == spec.frame_id)
        .group_by(*attrs)
    ).all()
    values = {
        name: _mapped(
            session, spec.geo_mapping, name, ["" if r[i] is None else str(r[i]) for r in rows]
        )
        for i, name in enumerate(names)
    }
    cells: dict[tuple[str, str], tuple[int, bool]] = {}
    for k, row in enumerate(rows):
        label = LABEL_SEPARATOR.join(values[name][k] for name in spec.stratify_by)
        key = (label, values[column][k])
        count, ok = cells.get(key, (0, True))
        cells[key] = (count + int(row[-2]), ok and bool(row[-1]))
    return cells


def _drawn_cells(
    session: Session, draw_id: int, spec: DesignCreate, column: str
) -> dict[tuple[str, str], int]:
    """``(stratum label, domain value) -> invited main units`` of the draw."""
    attr = col(getattr(Dossier, column))
    rows = session.execute(
        sa_select(col(SampleUnit.stratum), attr, func.count())
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(
            col(SampleUnit.draw_id) == draw_id,
            col(SampleUnit.is_reserve).is_(False),
            col(SampleUnit.contact_status) == INVITE,
        )
        .group_by(col(SampleUnit.stratum), attr)
    ).all()
    domain = _mapped(
        session, spec.geo_mapping, column, ["" if r[1] is None else str(r[1]) for r in rows]
    )
    drawn: dict[tuple[str, str], int] = {}
    for row, value in zip(rows, domain, strict=True):
        key = (str(row[0]), value)
        drawn[key] = drawn.get(key, 0) + int(row[2])
    return drawn


def draw_precision(
    *,
    session: Session,
    draw_id: int,
    scope: Scope = UNLIMITED,
    domains: Sequence[str] = DEFAULT_DOMAINS,
) -> DrawPrecision:
    """Expected margin of a proportion per domain from the units a draw took.

    Parameters
    ----------
    session
        Database session.
    draw_id
        The draw.
    scope
        A scoped user gets the domains all of whose frame units are in their scope (as in
        :func:`survey.designs.preview_design`).
    domains
        Frame columns whose values are domains.

    Returns
    -------
    DrawPrecision

    Raises
    ------
    NotFound
        If the draw does not exist.
    InvalidInput
        For a column that is not a frame column usable as a domain.
    """
    unknown = [d for d in domains if d not in STRATIFIABLE]
    if unknown:
        raise InvalidInput(
            "unknown domain column",
            [Problem(("domains",), f"{unknown[0]!r} is not a frame column; use agency_code")],
        )
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise NotFound(f"no draw with id {draw_id}")
    spec = _draw_spec(session, draw)
    alloc = spec.allocation
    target = domain_target(alloc)
    rows: list[DomainRow] = []
    for column in dict.fromkeys(domains):
        frame = _frame_cells(session, spec, column, scope)
        drawn = _drawn_cells(session, draw_id, spec, column)
        keys = sorted(frame)
        if not keys:
            continue
        d_labels = np.asarray(sorted({value for _, value in keys}), dtype=str)
        cell_d = np.searchsorted(d_labels, np.asarray([v for _, v in keys], dtype=str))
        cell_pop = np.asarray([frame[k][0] for k in keys], dtype=np.float64)
        cell_n = np.asarray([drawn.get(k, 0) for k in keys], dtype=np.float64)
        in_scope = np.asarray([frame[k][1] for k in keys], dtype=bool)
        # A domain is shown only when all of its cells are in scope.
        visible = np.bincount(cell_d, weights=~in_scope, minlength=d_labels.size) == 0
        rows += domain_rows_from_cells(
            column,
            d_labels,
            cell_d.astype(np.int64),
            cell_pop,
            cell_n,
            visible,
            alloc=alloc,
            target=target,
        )
    return DrawPrecision(
        draw_id=draw_id,
        size_rule="n_total" if alloc.margin is None else alloc.size_rule,
        response_rate=alloc.response_rate,
        domain_target=target,
        domains=tuple(rows),
        domain_summary=tuple(summarise_domains(rows, target)),
        misses_target=any(r.meets_target is False for r in rows),
    )


PRECISION_COLUMNS = (
    "column",
    "domain",
    "population",
    "invited",
    "expected_respondents",
    "se",
    "margin",
    "target",
    "meets_target",
    "respondents_needed",
    "dossiers_needed",
)


@dataclass(frozen=True)
class PrecisionFile:
    """A draw's precision as a file: its name, media type and bytes."""

    filename: str
    media_type: str
    content: bytes


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def export_precision(precision: DrawPrecision, fmt: str = "csv") -> PrecisionFile:
    """The expected precision per domain as CSV, or XLSX with the summary lines on ``notes``.

    One row per domain (:data:`PRECISION_COLUMNS`); ``invited`` are the main units drawn that
    will be invited, ``expected_respondents`` those times the design's response rate.
    """
    rows = [
        [
            r.column,
            r.domain,
            r.population,
            r.n,
            r.expected_respondents,
            r.se,
            r.margin,
            precision.domain_target,
            _yes_no(r.meets_target),
            r.respondents_needed,
            r.n_needed,
        ]
        for r in precision.domains
    ]
    name = f"precision-draw-{precision.draw_id}"
    if fmt == "xlsx":
        notes = [
            [f"size rule: {precision.size_rule}"],
            [f"response rate: {precision.response_rate:g}"],
            *[[s.text] for s in precision.domain_summary],
        ]
        return PrecisionFile(
            filename=f"{name}.xlsx",
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            content=to_xlsx(PRECISION_COLUMNS, rows, sheet="precision", notes=notes),
        )
    if fmt != "csv":
        raise InvalidInput("unknown format", [Problem(("fmt",), "use csv or xlsx")])
    return PrecisionFile(
        filename=f"{name}.csv",
        media_type="text/csv; charset=utf-8",
        content=to_csv(PRECISION_COLUMNS, rows).encode("utf-8"),
    )
