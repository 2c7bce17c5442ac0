"""Probability-proportional-to-size selection and two-stage designs.

First stage: systematic PPS without replacement of primary sampling units (PSUs, e.g. communes)
within strata, with certainty units. With measure of size ``x_i`` and ``n`` PSUs to select in a
stratum of total size ``X``, the inclusion probability is ``pi_i = n x_i / X`` (Cochran 1977,
§9A.3 and §11.8; Lohr 2019, §6.2). A PSU with ``x_i >= X / n`` (at least one sampling interval)
would get ``pi_i >= 1``: it is taken with certainty and the rule is re-applied to the remaining
PSUs and the remaining sample size until no PSU exceeds the interval (Särndal, Swensson and
Wretman 1992, §3.6). The others are then selected systematically: PSUs laid end to end in
canonical order (stratum, sort keys, id) on segments of length ``pi_i``, and the points
``u_h + j``, ``j = 0, 1, ...``, with ``u_h ~ U[0, 1)`` from the stratum's own stream, pick the PSUs
whose segments they fall in; since every ``pi_i < 1``, no PSU is hit twice and each is hit with
probability ``pi_i`` exactly.

Second stage: simple random sampling without replacement of ``m_i = min(m, M_i)`` units within
each selected PSU (:func:`sampling.draws.draw_stratified` with the PSU as stratum), so the
overall inclusion probability is ``pi_i * m_i / M_i`` (Lohr 2019, §6.4). With the PSU's size in
units as its measure of size and ``m <= M_i``, that is ``n m / X``: a self-weighting design.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sampling.draws import draw_stratified
from sampling.errors import DesignError, FrameError
from sampling.frames import canonicalise, encode_labels, sizes_by_stratum
from sampling.reproducibility import DrawRecord, readonly, resolve_seed, stream

__all__ = [
    "PpsProbabilities",
    "PsuSample",
    "TwoStageSample",
    "draw_pps_systematic",
    "draw_two_stage",
    "pps_inclusion_probs",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

PURPOSE_PPS_START = 4

# Ratios this close to 1 are certainty units: floating error must not turn a PSU of exactly one
# interval into a 0.9999999999 that systematic selection could, in rare starts, miss.
_CERTAINTY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PpsProbabilities:
    """First-stage inclusion probabilities.

    Attributes
    ----------
    inclusion_prob
        ``pi_i`` of each PSU, in the order given.
    is_certainty
        True where the PSU is taken with certainty (``pi_i = 1``).
    """

    inclusion_prob: FloatArray
    is_certainty: BoolArray


def _pps_probs(
    size: FloatArray, code: IntArray, n: IntArray, labels: NDArray[Any]
) -> PpsProbabilities:
    n_strata = n.size
    positive = size > 0
    available = np.bincount(code[positive], minlength=n_strata)
    too_many = np.flatnonzero(n > available)
    if too_many.size:
        h = int(too_many[0])
        label, count = labels[h].item(), int(available[h])
        raise DesignError(
            f"stratum {label!r} asks for {int(n[h])} PSUs but has only {count} with a positive "
            f"size; lower n_psu to at most {count}",
            loc=("n_psu", str(labels[h])),
        )
    certain = np.zeros(size.size, dtype=bool)
    ratio = np.zeros(size.size)
    # Each pass fixes at least one new certainty PSU, so this ends within #PSUs passes; each
    # pass is vectorised over all strata.
    while True:
        free = positive & ~certain
        total = np.bincount(code[free], weights=size[free], minlength=n_strata)
        left = n - np.bincount(code[certain], minlength=n_strata)
        scale = np.divide(left, total, out=np.zeros(n_strata), where=total > 0)
        ratio = np.where(free, scale[code] * size, 0.0)
        new = ratio >= 1.0 - _CERTAINTY_TOLERANCE
        if not new.any():
            break
        certain |= new
    pi = np.where(certain, 1.0, ratio)
    return PpsProbabilities(inclusion_prob=readonly(pi), is_certainty=readonly(certain))


def _validated_size(size: ArrayLike, n_units: int, name: str = "size") -> FloatArray:
    arr = np.asarray(size, dtype=np.float64)
    if arr.shape != (n_units,):
        raise FrameError(
            f"{name} has shape {arr.shape}; it needs one value per PSU ({n_units})", loc=(name,)
        )
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
    if bad.size:
        raise FrameError(
            f"{name}[{int(bad[0])}] = {arr[bad[0]]}; measures of size must be finite and >= 0",
            loc=(name, int(bad[0])),
        )
    return arr


def pps_inclusion_probs(
    size: ArrayLike, n_psu: Mapping[Any, int] | int, *, stratum: ArrayLike | None = None
) -> PpsProbabilities:
    """Inclusion probabilities ``pi_i = n_h x_i / X_h`` with iterative certainty selection.

    Parameters
    ----------
    size
        Measure of size ``x_i >= 0`` of each PSU.
    n_psu
        PSUs to select: one integer, or ``{stratum label: n_h}`` when ``stratum`` is given.
    stratum
        Optional stratum label of each PSU.

    Returns
    -------
    PpsProbabilities
        ``pi_i`` (1 for certainty PSUs; 0 for PSUs of size 0) summing to ``n_h`` per stratum.

    References
    ----------
    Cochran (1977), §9A.3; Särndal, Swensson and Wretman (1992), §3.6.
    """
    x = np.asarray(size, dtype=np.float64)
    labels, code = encode_labels(
        np.zeros(x.size, dtype=np.int64) if stratum is None else stratum, "stratum"
    )
    x = _validated_size(x, code.size)
    n = sizes_by_stratum(n_psu, labels, name="n_psu")
    return _pps_probs(x, code, n, labels)


@dataclass(frozen=True)
class PsuSample:
    """Selected PSUs of a systematic PPS draw (arrays read-only), ordered by stratum and position.

    Attributes
    ----------
    index
        Positions in the PSU arrays passed to the draw.
    psu_id, stratum, size
        Id, stratum label and measure of size of each selected PSU.
    inclusion_prob
        First-stage ``pi_i``.
    weight
        ``1 / pi_i``.
    is_certainty
        True for PSUs taken with certainty.
    record
        Seed, design, frame hash and versions.
    """

    index: IntArray
    psu_id: NDArray[Any]
    stratum: NDArray[Any]
    size: FloatArray
    inclusion_prob: FloatArray
    weight: FloatArray
    is_certainty: BoolArray
    record: DrawRecord


def draw_pps_systematic(
    psu_id: ArrayLike,
    size: ArrayLike,
    n_psu: Mapping[Any, int] | int,
    *,
    stratum: ArrayLike | None = None,
    sort_keys: Mapping[str, ArrayLike] | None = None,
    seed: int | None = None,
) -> PsuSample:
    """Systematic PPS selection of PSUs within strata, with certainty PSUs.

    Parameters
    ----------
    psu_id
        Unique PSU ids (integers or strings).
    size
        Measure of size of each PSU (e.g. number of dossiers in the frame); PSUs of size 0 are
        never selected.
    n_psu
        PSUs to select: one integer (per stratum), or ``{stratum label: n_h}``.
    stratum
        Optional stratum label of each PSU.
    sort_keys
        ``{name: per-PSU values}`` ordering PSUs within strata before the systematic pass
        (implicit stratification); the mapping's order is the significance.
    seed
        Non-negative integer; None draws one from OS entropy (recorded either way).

    Returns
    -------
    PsuSample

    Raises
    ------
    DesignError
        If a stratum has fewer PSUs of positive size than requested.
    FrameError
        On duplicate PSU ids or invalid sizes.

    References
    ----------
    Cochran (1977), §9A.3 and §11.8; Lohr (2019), §6.2 (systematic PPS).
    """
    ids = np.asarray(psu_id)
    strata = np.zeros(ids.size, dtype=np.int64) if stratum is None else np.asarray(stratum)
    x = _validated_size(size, ids.size)
    keys_map = dict(sort_keys or {})
    frame = canonicalise(ids, strata, sort_keys=list(keys_map.values()), hash_extra=[x])
    n = sizes_by_stratum(n_psu, frame.labels, name="n_psu")
    row_code = np.empty(frame.n_units, dtype=np.int64)
    row_code[frame.order] = frame.code
    probs = _pps_probs(x, row_code, n, frame.labels)
    used_seed = resolve_seed(seed)

    pi = probs.inclusion_prob[frame.order]
    certain = probs.is_certainty[frame.order]
    segment = np.where(certain, 0.0, pi)
    cum = np.cumsum(segment)
    base = np.where(frame.starts > 0, cum[np.maximum(frame.starts - 1, 0)], 0.0)
    n_rest = n - np.bincount(frame.code[certain], minlength=n.size)
    start = np.zeros(n.size)
    for h in np.flatnonzero(n_rest > 0):
        start[h] = stream(used_seed, PURPOSE_PPS_START, frame.labels[h].item()).random()
    stratum_of = np.repeat(np.arange(n.size, dtype=np.int64), n_rest)
    j = np.arange(stratum_of.size) - np.repeat(np.cumsum(n_rest) - n_rest, n_rest)
    points = base[stratum_of] + start[stratum_of] + j
    hit = np.searchsorted(cum, points, side="right")
    # Rounding can push the last point a hair past its stratum's total: keep it on the stratum's
    # last PSU that has a segment.
    has_segment = np.flatnonzero(segment > 0)
    last = np.full(n.size, -1, dtype=np.int64)
    np.maximum.at(last, frame.code[has_segment], has_segment)
    hit = np.minimum(np.maximum(hit, frame.starts[stratum_of]), last[stratum_of])
    chosen = np.sort(np.concatenate((np.flatnonzero(certain), hit)))
    index = frame.order[chosen]
    record = DrawRecord(
        method="pps_systematic",
        seed=used_seed,
        frame_hash=frame.content_hash,
        n_units=frame.n_units,
        design={
            "strata": frame.labels.tolist(),
            "n_psu": n.tolist(),
            "n_certainty": (n - n_rest).tolist(),
            "sort_keys": list(keys_map),
        },
    )
    chosen_pi = probs.inclusion_prob[index]
    return PsuSample(
        index=readonly(index.astype(np.int64)),
        psu_id=readonly(ids[index]),
        stratum=readonly(frame.labels[frame.code[chosen]]),
        size=readonly(x[index]),
        inclusion_prob=readonly(chosen_pi),
        weight=readonly(1.0 / chosen_pi),
        is_certainty=readonly(probs.is_certainty[index]),
        record=record,
    )


@dataclass(frozen=True)
class TwoStageSample:
    """Units drawn by a two-stage design (arrays read-only), ordered by PSU then as in ``Sample``.

    Attributes
    ----------
    index
        Row positions in the unit arrays passed to the draw.
    unit_id, stratum, psu
        Id, stratum label and PSU label of each row.
    psu_inclusion_prob
        First-stage ``pi_i`` of the row's PSU.
    within_psu_prob
        Second-stage probability ``m_i / M_i``.
    inclusion_prob
        Overall ``pi_i * m_i / M_i``.
    weight
        ``1 / inclusion_prob``.
    is_reserve, reserve_order
        Reserve flag and order within the PSU (0 for main units).
    psus
        The first-stage sample.
    record
        Seed, design, frame hash and versions of the whole draw.
    """

    index: IntArray
    unit_id: NDArray[Any]
    stratum: NDArray[Any]
    psu: NDArray[Any]
    psu_inclusion_prob: FloatArray
    within_psu_prob: FloatArray
    inclusion_prob: FloatArray
    weight: FloatArray
    is_reserve: BoolArray
    reserve_order: IntArray
    psus: PsuSample
    record: DrawRecord


def draw_two_stage(
    unit_id: ArrayLike,
    psu: ArrayLike,
    n_psu: Mapping[Any, int] | int,
    m_per_psu: int,
    *,
    stratum: ArrayLike | None = None,
    seed: int | None = None,
    n_reserve: int = 0,
) -> TwoStageSample:
    """Two-stage sample: systematic PPS of PSUs, then SRSWOR of units within selected PSUs.

    The measure of size of a PSU is its number of units in the frame, ``M_i``. PSUs are ordered
    by id within strata for the systematic pass (hierarchical administrative codes make this a
    geographic ordering).

    Parameters
    ----------
    unit_id
        Unique unit ids, one per frame unit (e.g. dossiers).
    psu
        PSU label of each unit (e.g. commune code).
    n_psu
        PSUs to select: one integer (per stratum), or ``{stratum label: n_h}``.
    m_per_psu
        Units to select in each selected PSU (all of them when the PSU has fewer).
    stratum
        Optional stratum label of each unit (e.g. province); every PSU must lie in one stratum.
    seed
        Non-negative integer; None draws one from OS entropy (recorded either way).
    n_reserve
        Reserve list length per selected PSU.

    Returns
    -------
    TwoStageSample

    Raises
    ------
    FrameError
        If a PSU spans two strata, or ids are duplicated.
    DesignError
        If ``m_per_psu`` < 1 or ``n_reserve`` < 0, or a stratum has fewer PSUs than asked.

    References
    ----------
    Lohr (2019), §6.4 (two-stage with PPS first stage); Cochran (1977), §11.8–11.9.
    """
    if isinstance(m_per_psu, bool) or not isinstance(m_per_psu, int | np.integer) or m_per_psu < 1:
        raise DesignError(
            f"m_per_psu must be a positive integer, got {m_per_psu!r}", loc=("m_per_psu",)
        )
    if isinstance(n_reserve, bool) or not isinstance(n_reserve, int | np.integer) or n_reserve < 0:
        raise DesignError(
            f"n_reserve must be a non-negative integer, got {n_reserve!r}", loc=("n_reserve",)
        )
    ids = np.asarray(unit_id)
    unit_stratum = np.zeros(ids.size, dtype=np.int64) if stratum is None else np.asarray(stratum)
    frame = canonicalise(ids, psu, hash_extra=[unit_stratum])
    psu_labels, psu_size = frame.labels, frame.counts
    stratum_labels, stratum_code = encode_labels(unit_stratum, "stratum")
    psu_stratum = np.empty(psu_labels.size, dtype=np.int64)
    psu_stratum[frame.code] = stratum_code[frame.order]
    split = np.flatnonzero(psu_stratum[frame.code] != stratum_code[frame.order])
    if split.size:
        row = int(frame.order[split[0]])
        label = psu_labels[frame.code[split[0]]].item()
        raise FrameError(
            f"PSU {label!r} lies in more than one stratum (e.g. row {row}); give each PSU a "
            "single stratum or split the PSU",
            loc=("stratum", row),
        )
    used_seed = resolve_seed(seed)
    psus = draw_pps_systematic(
        psu_labels, psu_size, n_psu, stratum=stratum_labels[psu_stratum], seed=used_seed
    )
    selected = np.zeros(psu_labels.size, dtype=bool)
    selected[psus.index] = True
    in_sample_psu = np.flatnonzero(selected[frame.code])
    rows = frame.order[in_sample_psu]
    m = {
        label: min(int(m_per_psu), int(psu_size[i]))
        for i, label in zip(psus.index.tolist(), psus.psu_id.tolist(), strict=True)
    }
    second = draw_stratified(
        ids[rows], np.asarray(psu)[rows], m, seed=used_seed, n_reserve=int(n_reserve)
    )
    psu_pos = np.searchsorted(psu_labels, second.stratum)
    first_pi = np.zeros(psu_labels.size)
    first_pi[psus.index] = psus.inclusion_prob
    pi1 = first_pi[psu_pos]
    pi = pi1 * second.inclusion_prob
    # Why the number of units can differ from n_h: n_h PSUs x m is not n_h, and a PSU smaller
    # than m gives all its units. Kept per stratum so the draw can say so.
    take = np.asarray([m[label] for label in psus.psu_id.tolist()], dtype=np.int64)
    psu_design = psus.record.as_dict()["design"]
    psu_strata = list(psu_design["strata"])
    stratum_pos = {label: h for h, label in enumerate(psu_strata)}
    of_stratum = np.asarray([stratum_pos[s] for s in psus.stratum.tolist()], dtype=np.int64)
    units_by_stratum = np.bincount(of_stratum, weights=take, minlength=len(psu_strata))
    below_take = np.bincount(of_stratum[take < int(m_per_psu)], minlength=len(psu_strata))
    record = DrawRecord(
        method="two_stage_pps_srswor",
        seed=used_seed,
        frame_hash=frame.content_hash,
        n_units=frame.n_units,
        design={
            "psu_design": psu_design,
            "m_per_psu": int(m_per_psu),
            "n_reserve": int(n_reserve),
            "selected_psus": psus.psu_id.tolist(),
            "units_by_stratum": [int(u) for u in units_by_stratum.tolist()],
            "psus_below_take": [int(b) for b in below_take.tolist()],
        },
    )
    return TwoStageSample(
        index=readonly(rows[second.index]),
        unit_id=second.unit_id,
        stratum=readonly(stratum_labels[psu_stratum[psu_pos]]),
        psu=second.stratum,
        psu_inclusion_prob=readonly(pi1),
        within_psu_prob=second.inclusion_prob,
        inclusion_prob=readonly(pi),
        weight=readonly(1.0 / pi),
        is_reserve=second.is_reserve,
        reserve_order=second.reserve_order,
        psus=psus,
        record=record,
    )
