"""Release step 2, weights: base weights adjusted for non-response within strata.

w_i = d_i * D_h / R_h (Valliant, Dever & Kreuter 2018, sec. 13.5), where D_h sums the base
weights of the draw's non-reserve sampled units of stratum h (duplicate contacts included: they
are non-respondents by design, see :mod:`survey.draws`) and R_h those of its respondents. When
reserves responded and R_h exceeds D_h the factor is 1. Strata with sampled units but no
respondent cannot carry their weight; :attr:`Weighting.strata_without_respondents` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from analysis.weights import adjust_nonresponse
from survey.models import SampleUnit
from survey.release_pipeline.rows import ResponseRows


@dataclass(frozen=True)
class Weighting:
    """Adjusted weights and what the summary reports of them.

    Attributes
    ----------
    weights : ndarray, shape (n,)
        w_i, in the order of the rows.
    strata : ndarray of str, shape (H,)
        The respondents' strata, sorted; ``stratum_of_row`` indexes it.
    stratum_of_row : ndarray of int, shape (n,)
    respondents, respondent_weight, sampled_weight : ndarray, shape (H,)
        r_h, R_h and D_h per stratum.
    factors : mapping of stratum -> float
        D_h / R_h (1 when R_h >= D_h).
    sampled : mapping of stratum -> (count, sum of base weights)
        The draw's non-reserve units, for every sampled stratum (respondents or not).
    """

    weights: NDArray[np.float64]
    strata: NDArray[np.str_]
    stratum_of_row: NDArray[np.intp]
    respondents: NDArray[np.int64]
    respondent_weight: NDArray[np.float64]
    sampled_weight: NDArray[np.float64]
    factors: Mapping[str, float]
    sampled: Mapping[str, tuple[int, float]]

    @property
    def strata_without_respondents(self) -> list[str]:
        return sorted(set(self.sampled) - set(self.strata.tolist()))


def sampled_by_stratum(session: Session, draw_id: int) -> dict[str, tuple[int, float]]:
    """Non-reserve sampled units of the draw per stratum: (count, sum of base weights)."""
    stmt = (
        sa_select(
            col(SampleUnit.stratum), func.count(), func.coalesce(func.sum(SampleUnit.weight), 0.0)
        )
        .where(col(SampleUnit.draw_id) == draw_id, col(SampleUnit.is_reserve).is_(False))
        .group_by(col(SampleUnit.stratum))
    )
    return {str(s): (int(n), float(d)) for s, n, d in session.execute(stmt).all()}


def adjust_weights(session: Session, draw_id: int, rows: ResponseRows) -> Weighting:
    """The non-response-adjusted weights of ``rows`` (see the module docstring)."""
    sampled = sampled_by_stratum(session, draw_id)
    n = rows.n
    labels, inverse = np.unique(rows.strata, return_inverse=True)
    inverse = inverse.reshape(-1)
    respondents_h = np.bincount(inverse, minlength=labels.size)
    resp_weight_h = np.bincount(inverse, weights=rows.base_weight, minlength=labels.size).astype(
        np.float64, copy=False
    )
    sampled_weight_h = np.array([sampled.get(str(s), (0, 0.0))[1] for s in labels.tolist()])
    # Respondents plus one pseudo non-respondent row per stratum that carries the base weight
    # of its sampled units that did not respond.
    missing_weight = np.maximum(sampled_weight_h - resp_weight_h, 0.0)
    adjustment = adjust_nonresponse(
        np.concatenate([rows.base_weight, missing_weight]),
        np.concatenate([np.ones(n, dtype=bool), np.zeros(labels.size, dtype=bool)]),
        np.concatenate([rows.strata, labels]),
    )
    factors = dict(zip(adjustment.classes.tolist(), adjustment.factors.tolist(), strict=True))
    return Weighting(
        weights=adjustment.weights[:n],
        strata=labels,
        stratum_of_row=inverse,
        respondents=respondents_h,
        respondent_weight=resp_weight_h,
        sampled_weight=sampled_weight_h,
        factors={str(k): float(v) for k, v in factors.items()},
        sampled=sampled,
    )
