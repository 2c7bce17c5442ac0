"""Release step 3, design: the respondents as a stratified single-stage sample, or the ultimate
clusters of a two-stage (PPS) draw.

Strata = ``Response.stratum``; finite population correction f_h = r_h / N_h with N_h the
stratum's frame count recorded in the draw's design snapshot (``allocation.population``).
Without that record the variance is computed with replacement (no fpc). For a PPS draw the
first-stage unit of each respondent is ``Response.psu`` (copied from the dossier when the
response started) and the variance is the ultimate-cluster one, with replacement (no fpc), the
usual conservative approximation (Lohr 2021, ch. 6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session

from analysis.design import DesignError, LonelyPsuRule, SurveyDesign
from analysis.indices import IndexInputError
from analysis.variance import LonelyPsuError
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
