"""Release step 1, rows: the completed responses of a campaign as arrays (one SELECT, no ORM
object per row) and their answer matrix. Responses excluded after a failed back-check
(:func:`survey.backchecks.not_excluded`) are left out.

Answers: one column per criterion of the questionnaire tree, 1-5 as given; 0 ("not
applicable") and missing answers become NaN, i.e. they count in no numerator or denominator.
``geo_mapping`` maps ``province_code`` (e.g. 63 old codes to 34 new ones) before domains are
built; strata and weights do not change.

Display conditions: an element with ``show_if`` (the national form's service block, asked only
of respondents whose Q8 says they had a procedure) is asked of some respondents only. A
respondent not asked it is not a zero and not a "not satisfied": the element's answers are NaN
for them whatever was stored (:func:`apply_display_conditions`), so each node is estimated on
the respondents asked it, a domain estimate on the whole design (Lumley 2010, sec. 2.3.1) whose
SE stays design-based. ``ResponseRows.asked`` counts them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from survey.backchecks import not_excluded
from survey.errors import InvalidInput, NotFound, Problem
from survey.geography import builtin_mappings, ensure_builtin_mappings, map_codes
from survey.models import Response
from survey.questionnaires import condition_met

# Response columns a release may be broken down by (never anything identifying a person).
BY_COLUMNS: tuple[str, ...] = (
    "agency_code",
    "province_code",
    "level",
    "procedure_field",
    "channel",
    # web, paper, phone, face_to_face: how the answer was collected (survey.models.fieldwork).
    "mode",
)
_RESPONSE_COLUMNS = {
    "agency_code": Response.agency_code,
    "province_code": Response.province_code,
    "level": Response.level,
    "procedure_field": Response.procedure_field,
    "channel": Response.channel,
    "mode": Response.mode,
}


@dataclass(frozen=True)
class ResponseRows:
    """The completed responses in id order.

    Attributes
    ----------
    strata : ndarray of str, shape (n,)
    base_weight : ndarray of float, shape (n,)
        d_i = 1 / inclusion probability, as recorded on the response.
    domains : mapping of column -> ndarray of str, shape (n,)
        The :data:`BY_COLUMNS`, ``province_code`` mapped when a geo mapping was given.
    answers : ndarray of float, shape (n, K)
        1-5, NaN for not applicable, missing or not asked (:func:`answer_matrix`,
        :func:`apply_display_conditions`).
    asked : mapping of element code -> int
        Respondents asked each element that has a display condition (empty without any).
    """

    strata: NDArray[np.str_]
    base_weight: NDArray[np.float64]
    domains: Mapping[str, NDArray[np.str_]]
    answers: NDArray[np.float64]
    asked: Mapping[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.strata.shape[0])


def answer_matrix(answers: Sequence[Any], criteria: Sequence[str]) -> NDArray[np.float64]:
    """The (n, K) answer matrix of the criteria: 1-5, NaN for 0 (not applicable) or missing.

    Raises
    ------
    InvalidInput
        Naming the response (0-based, in id order) and criterion of a value that is not a whole
        number 0-5.
    """
    try:
        y = np.array(
            [[a.get(c) if isinstance(a, dict) else None for c in criteria] for a in answers],
            dtype=np.float64,
        ).reshape(len(answers), len(criteria))
    except (TypeError, ValueError):
        raise InvalidInput(
            "a response has an answer that is not a number",
            [Problem(("answers",), "criterion answers must be whole numbers 0-5")],
        ) from None
    y[y == 0] = np.nan
    bad = ~np.isnan(y) & ((y < 1) | (y > 5) | (y != np.round(y)))
    if bad.any():
        row, column = (int(v[0]) for v in np.nonzero(bad))
        raise InvalidInput(
            "a response has an answer outside the scale",
            [
                Problem(
                    ("responses", row, criteria[column]),
                    f"answer {y[row, column]:g} is not 0 (not applicable) or 1-5",
                )
            ],
        )
    return y


def display_conditions(
    definition: Mapping[str, Any], criteria: Sequence[str]
) -> dict[str, tuple[tuple[int, ...], Mapping[str, Any]]]:
    """Element code -> (its columns among ``criteria``, its ``show_if``), for the elements of
    the questionnaire ``definition`` that have a display condition."""
    position = {c: k for k, c in enumerate(criteria)}
    return {
        str(e["code"]): (
            tuple(position[c["code"]] for c in e["criteria"] if c["code"] in position),
            e["show_if"],
        )
        for e in definition.get("elements") or []
        if e.get("show_if")
    }


def apply_display_conditions(
    y: NDArray[np.float64],
    answers: Sequence[Any],
    conditions: Mapping[str, tuple[tuple[int, ...], Mapping[str, Any]]],
) -> dict[str, int]:
    """Set to NaN, in place, the answers of each element a respondent was not asked
    (:func:`survey.questionnaires.condition_met` on the stored answers); returns the number
    of respondents asked each element."""
    asked: dict[str, int] = {}
    for element, (columns, show_if) in conditions.items():
        shown = np.fromiter(
            (condition_met(show_if, a if isinstance(a, dict) else {}) for a in answers),
            dtype=bool,
            count=len(answers),
        )
        y[np.ix_(~shown, np.asarray(columns, dtype=np.intp))] = np.nan
        asked[element] = int(shown.sum())
    return asked


def load_rows(
    session: Session,
    campaign_id: int,
    criteria: Sequence[str],
    geo_mapping: str | None = None,
    definition: Mapping[str, Any] | None = None,
) -> ResponseRows:
    """The campaign's completed responses (see the module docstring); ``definition`` (the
    questionnaire's) applies its elements' display conditions.

    Raises
    ------
    InvalidInput
        No completed response (``loc`` ``campaign_id``), an answer off the scale, or an unknown
        geo mapping or a province code it lacks (``loc`` starts with ``geo_mapping``).
    """
    stmt = (
        sa_select(
            col(Response.stratum),
            col(Response.weight),
            *(col(c) for c in _RESPONSE_COLUMNS.values()),
            col(Response.answers),
        )
        .where(
            col(Response.campaign_id) == campaign_id,
            col(Response.status) == "completed",
            not_excluded(Response.id),
        )
        .order_by(col(Response.id))
    )
    rows = session.execute(stmt).all()
    if not rows:
        raise InvalidInput(
            "the campaign has no completed responses",
            [
                Problem(
                    ("campaign_id",),
                    f"campaign {campaign_id} has no completed responses yet: compute a release "
                    "once citizens have answered",
                )
            ],
        )
    columns = list(zip(*rows, strict=True))
    domains = {
        name: np.asarray(values, dtype=str)
        for name, values in zip(_RESPONSE_COLUMNS, columns[2:-1], strict=True)
    }
    stored = list(columns[-1])
    y = answer_matrix(stored, criteria)
    conditions = display_conditions(definition or {}, criteria)
    asked = apply_display_conditions(y, stored, conditions) if conditions else {}
    if geo_mapping is not None:
        domains["province_code"] = map_provinces(session, geo_mapping, domains["province_code"])
    return ResponseRows(
        strata=np.asarray(columns[0], dtype=str),
        base_weight=np.asarray(columns[1], dtype=np.float64),
        domains=domains,
        answers=y,
        asked=asked,
    )


def load_psus(session: Session, campaign_id: int) -> NDArray[np.str_]:
    """First-stage unit (``Response.psu``) of each completed response, in the order of
    :func:`load_rows`; an empty value means the response does not know it."""
    stmt = (
        sa_select(col(Response.psu))
        .where(
            col(Response.campaign_id) == campaign_id,
            col(Response.status) == "completed",
            not_excluded(Response.id),
        )
        .order_by(col(Response.id))
    )
    return np.asarray([str(v) for (v,) in session.execute(stmt).all()], dtype=str)


def map_provinces(session: Session, mapping: str, codes: NDArray[np.str_]) -> NDArray[np.str_]:
    """Each response's ``province_code`` mapped through ``mapping``; errors name ``geo_mapping``."""
    if mapping in builtin_mappings():
        # Reference rows shipped with the platform; loading them is idempotent (and commits).
        ensure_builtin_mappings(session)
    try:
        return np.asarray(map_codes(session, mapping, codes.tolist()), dtype=str)
    except NotFound as error:
        raise InvalidInput(
            "the release cannot be computed with these parameters",
            [Problem(("geo_mapping",), error.msg)],
        ) from None
    except InvalidInput as error:
        raise InvalidInput(
            error.msg,
            [Problem(("geo_mapping", *p.loc[1:]), p.msg) for p in error.problems],
        ) from None
