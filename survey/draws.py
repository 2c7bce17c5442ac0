"""Draws: select a design's sample from its frame, reproducibly, and export it.

A stratified SRSWOR draw counts the strata with one GROUP BY, allocates, and streams the frame
through :func:`sampling.draws.draw_stratified_stream` in chunks (memory ~8 bytes a dossier, the
same sample as an in-memory draw); systematic and PPS draws read the frame's columns as numpy
arrays (one SELECT; frames of a few million dossiers). Either way it calls the pure
:mod:`sampling` library and bulk-inserts one :class:`~survey.models.SampleUnit` per
sampled or reserve dossier. It records the seed, the frame's content hash, the library version and
a snapshot of the design, so the same frame content, design and seed give the identical sample.
Units are identified to the library by their dossier *code*, not the database id, so re-importing
the same file elsewhere gives the same sample.

Repeated phone numbers (one person, several dossiers). One campaign must not invite a person twice
(DOMAIN.md). The rule: the draw itself is the usual dossier draw, so every dossier keeps its
inclusion probability ``pi_i`` and base weight ``1 / pi_i``. Afterwards, among the *main* units
sharing a mobile phone, one dossier chosen at random (its own random stream, derived from the
seed) keeps ``contact_status = "invite"``; the others get ``"duplicate_contact"`` and
``duplicate_of`` = the kept dossier. A reserve whose phone is already used by the main sample or
an earlier reserve (by reserve order) is a duplicate too. Duplicates are never invited. How the
weights stay honest: a duplicate is a sampled unit that cannot be observed, i.e. a non-respondent
*by design*; its base weight is not silently dropped or moved but is redistributed by the
non-response adjustment of the analysis within its stratum, exactly as for a refusal. Because the
kept dossier is chosen at random, which of a person's dossiers gets rated does not depend on the
agency or on the order of the file. The affected cases (dossier codes, never phones) are listed in
the draw's snapshot under ``duplicate_contacts``.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, func, insert
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from sampling.draws import (
    FrameChunk,
    Sample,
    draw_stratified,
    draw_stratified_stream,
    draw_systematic,
)
from sampling.errors import SamplingError
from sampling.pps import draw_two_stage
from sampling.reproducibility import DrawRecord, library_version, resolve_seed, stream
from survey.audit import SYSTEM_ACTOR, record_event
from survey.designs import (
    Allocation,
    DesignCreate,
    FrameArrays,
    allocate_design,
    design_spec,
    get_design,
    load_frame_arrays,
    load_frame_groups,
    sampling_problem,
    stratum_labels,
    visible_strata,
)
from survey.errors import InvalidInput, NotFound, PermissionDenied, Problem
from survey.geography import map_codes
from survey.models import Dossier, DossierContact, Draw, Frame, SampleUnit, StaffUser
from survey.models.frames import FrameStatus
from survey.spreadsheet_cells import safe_cell
from survey.users import UNLIMITED, Scope, user_scope

# The roles that may receive applicants' phone numbers; analysts never do.
PHONE_ROLES = frozenset({"admin", "coordinator"})
INVITE = "invite"
DUPLICATE_CONTACT = "duplicate_contact"
# Randomness purpose for choosing which of a person's dossiers is invited (see sampling streams).
PURPOSE_DUPLICATE_CONTACT = 41
EXPORT_BATCH = 5000
MAX_SEED = 2**63 - 1
ExportFormat = Literal["csv", "xlsx"]


class _DrawnSample(Protocol):
    @property
    def index(self) -> NDArray[np.int64]: ...
    @property
    def stratum(self) -> NDArray[Any]: ...
    @property
    def inclusion_prob(self) -> NDArray[np.float64]: ...
    @property
    def weight(self) -> NDArray[np.float64]: ...
    @property
    def is_reserve(self) -> NDArray[np.bool_]: ...
    @property
    def reserve_order(self) -> NDArray[np.int64]: ...
    @property
    def record(self) -> DrawRecord: ...


@dataclass(frozen=True)
class ContactRule:
    """Outcome of the one-invitation-per-person rule for the rows of a sample."""

    status: NDArray[np.str_]
    duplicate_of: NDArray[np.int64]  # row position of the kept unit, -1 when none
    groups: list[dict[str, Any]]


def population_by_stratum(draw: Draw) -> dict[str, int] | None:
    """Each stratum's frame count N_h as recorded in the draw's design snapshot (None if absent)."""
    allocation = (draw.design_snapshot or {}).get("allocation") or {}
    strata, population = allocation.get("strata"), allocation.get("population")
    if not isinstance(strata, list) or not isinstance(population, list):
        return None
    if len(strata) != len(population):
        return None
    return {str(s): int(p) for s, p in zip(strata, population, strict=True)}


def resolve_duplicate_contacts(
    phone: NDArray[np.str_],
    is_reserve: NDArray[np.bool_],
    reserve_order: NDArray[np.int64],
    *,
    seed: int,
) -> ContactRule:
    """Keep one unit per phone: a random main unit, else the first reserve in reserve order.

    Parameters
    ----------
    phone
        Mobile phone (E.164) of each sampled row; empty when none (never a duplicate).
    is_reserve, reserve_order
        As in :class:`sampling.draws.Sample`.
    seed
        The draw's seed; the random choice uses its own stream, so it never shifts the sample.

    Returns
    -------
    ContactRule
        Per row: ``"invite"`` or ``"duplicate_contact"`` and the row kept instead.
    """
    n = phone.size
    status = np.full(n, INVITE, dtype="<U17")
    duplicate_of = np.full(n, -1, dtype=np.int64)
    has_phone = np.flatnonzero(phone != "")
    if has_phone.size == 0:
        return ContactRule(status, duplicate_of, [])
    key = stream(seed, PURPOSE_DUPLICATE_CONTACT, "contacts").random(n)
    # Priority: main units (in random order) before reserves (by their order, then random).
    order = has_phone[
        np.lexsort(
            (
                key[has_phone],
                reserve_order[has_phone],
                is_reserve[has_phone],
                phone[has_phone],
            )
        )
    ]
    sorted_phone = phone[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = sorted_phone[1:] != sorted_phone[:-1]
    group_start = np.flatnonzero(first)
    group_of = np.cumsum(first) - 1
    keeper = order[group_start][group_of]
    dup = order[~first]
    status[dup] = DUPLICATE_CONTACT
    duplicate_of[dup] = keeper[~first]
    groups = []
    for kept in np.unique(duplicate_of[dup]).tolist():
        members = np.flatnonzero(duplicate_of == kept)
        groups.append({"kept": int(kept), "duplicates": [int(m) for m in members]})
    return ContactRule(status, duplicate_of, groups)


def _psu_labels(strata: NDArray[np.str_], psu: NDArray[np.str_]) -> NDArray[np.str_]:
    # PSUs are nested in strata, so a commune split across two agencies is two PSUs.
    return np.char.add(np.char.add(strata, " / "), psu)


def _psus_per_stratum(
    arrays: FrameArrays, strata: NDArray[np.str_], psu_column: str | None
) -> dict[str, int]:
    """How many PSUs each stratum has (empty without a PSU column)."""
    if psu_column is None:
        return {}
    psu = _psu_labels(strata, arrays.columns[psu_column])
    _, first = np.unique(psu, return_index=True)
    psu_strata, psu_counts = np.unique(strata[first], return_counts=True)
    return dict(zip(psu_strata.tolist(), psu_counts.tolist(), strict=True))


def _issued_by_stratum(labels: NDArray[Any], unit_strata: NDArray[Any]) -> NDArray[np.int64]:
    """Main units per stratum, in the order of ``labels`` (sorted, as np.unique gives them)."""
    positions = np.searchsorted(labels, unit_strata.astype(labels.dtype))
    return np.bincount(positions, minlength=labels.size).astype(np.int64)


def _select(
    *,
    selection: str,
    arrays: FrameArrays,
    unit_id: NDArray[np.str_],
    strata: NDArray[np.str_],
    allocation: Allocation,
    sort_by: list[str],
    psu_column: str | None,
    m_per_psu: int,
    reserve: int,
    seed: int,
    frame_hash: str,
) -> _DrawnSample:
    # The frame's content hash was computed once at import (survey.frames); the library records
    # it instead of hashing the frame again at every draw.
    assert allocation.labels is not None
    sizes = {str(label): int(n) for label, n in zip(allocation.labels, allocation.n, strict=True)}
    if selection == "systematic":
        return draw_systematic(
            unit_id,
            strata,
            sizes,
            sort_keys={name: arrays.columns[name] for name in sort_by},
            seed=seed,
            n_reserve=reserve,
            frame_hash=frame_hash,
        )
    if selection == "pps":
        assert psu_column is not None
        psu = _psu_labels(strata, arrays.columns[psu_column])
        psus_per_stratum = _psus_per_stratum(arrays, strata, psu_column)
        n_psu = {
            label: min(math.ceil(n / m_per_psu), psus_per_stratum[label])
            for label, n in sizes.items()
        }
        return draw_two_stage(
            unit_id, psu, n_psu, m_per_psu, stratum=strata, seed=seed, n_reserve=reserve
        )
    return draw_stratified(
        unit_id, strata, sizes, seed=seed, n_reserve=reserve, frame_hash=frame_hash
    )


SIZE_RULE_PPS = (
    "two-stage draw: ceil(n_h / m) PSUs are selected in each stratum (at most the PSUs it has), "
    "then min(m, M_i) dossiers in each selected PSU, so a stratum can get more dossiers than "
    "designed (whole PSUs of m) or fewer (PSUs smaller than m, too few PSUs)"
)
# Codes of the reasons a stratum's issued size differs from its designed size (pages translate).
ROUNDED_UP = "rounded_up_to_whole_psus"
SMALL_PSUS = "psus_smaller_than_take"
FEW_PSUS = "too_few_psus"


def size_explanation(
    *,
    selection: str,
    allocation: Allocation,
    record: DrawRecord,
    issued: NDArray[np.int64],
    m_per_psu: int,
    psus_per_stratum: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Designed and issued main units per stratum and, where they differ, why.

    ``issued`` is in the order of ``allocation.labels``. Only a two-stage draw can differ: the
    other selections issue exactly ``n_h``.
    """
    assert allocation.labels is not None
    labels = [str(label) for label in allocation.labels.tolist()]
    rows: list[dict[str, Any]] = []
    design = record.as_dict()["design"] if selection == "pps" else {}
    psu_design = design.get("psu_design") or {}
    at = {str(label): h for h, label in enumerate(psu_design.get("strata") or [])}
    for h, label in enumerate(labels):
        designed, got = int(allocation.n[h]), int(issued[h])
        row: dict[str, Any] = {"stratum": label, "designed": designed, "issued": got}
        if selection == "pps" and label in at:
            k = at[label]
            n_psu = int(psu_design["n_psu"][k])
            below = int(design["psus_below_take"][k])
            available = (psus_per_stratum or {}).get(label, n_psu)
            wanted = math.ceil(designed / m_per_psu)
            reasons: list[str] = []
            if got != designed:
                if n_psu * m_per_psu > designed:
                    reasons.append(ROUNDED_UP)
                if below:
                    reasons.append(SMALL_PSUS)
                if wanted > available:
                    reasons.append(FEW_PSUS)
            row.update(
                n_psu=n_psu,
                psus_in_stratum=available,
                m_per_psu=m_per_psu,
                certainty_psus=int(psu_design["n_certainty"][k]),
                psus_below_take=below,
                reasons=reasons,
            )
        else:
            row["reasons"] = []
        rows.append(row)
    return {
        "designed": sum(r["designed"] for r in rows),
        "issued": sum(r["issued"] for r in rows),
        "rule": SIZE_RULE_PPS if selection == "pps" else "",
        "strata": rows,
    }


def _insert_units(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        names = list(rows[0])
        driver: Any = connection.connection.driver_connection
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY sample_unit ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(tuple(row[name] for name in names))
        return
    # executemany of one prepared INSERT.
    connection.execute(insert(SampleUnit), rows)


def _sampled_phones(
    session: Session, dossier_ids: NDArray[np.int64], chunk: int = 10_000
) -> NDArray[np.str_]:
    """The E.164 mobile of each sampled dossier ("" when none), read for the sample only: a
    frame's phones would be the largest column held for a draw (~50 bytes a dossier)."""
    ids = dossier_ids.tolist()
    found: dict[int, str] = {}
    for start in range(0, len(ids), chunk):
        rows = session.execute(
            sa_select(col(DossierContact.dossier_id), col(DossierContact.phone_e164)).where(
                col(DossierContact.dossier_id).in_(ids[start : start + chunk])
            )
        )
        found.update((int(i), p) for i, p in rows if p is not None)
    return np.asarray([found.get(i, "") for i in ids], dtype=str)


# Dossiers per chunk of a streamed draw: a chunk's Python rows (~0.5 kB each) stay ~50 MB.
STREAM_CHUNK = 100_000


_CURSOR_NUMBERS = itertools.count()


def _stream_rows(session: Session, stmt: Select[Any]) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows of ``stmt``, :data:`STREAM_CHUNK` at a time, in the session's
    transaction. On PostgreSQL a psycopg server-side cursor: SQLAlchemy's Row objects and the
    ORM's loading layer were two thirds of a streamed draw's time (cProfile, 1M dossiers)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        result = connection.execution_options(stream_results=True).execute(stmt)
        yield from result.partitions(STREAM_CHUNK)
        return
    compiled = stmt.compile(dialect=connection.dialect)
    driver = connection.connection.driver_connection
    assert driver is not None
    # A name of its own: the frame may be re-streamed while an earlier pass is still open.
    with driver.cursor(name=f"sipas_draw_frame_{next(_CURSOR_NUMBERS)}") as cursor:
        cursor.itersize = STREAM_CHUNK
        cursor.execute(str(compiled), compiled.params)
        while part := cursor.fetchmany(STREAM_CHUNK):
            yield part


def _draw_streamed(
    session: Session, frame_id: int, spec: DesignCreate, seed: int, frame_hash: str
) -> tuple[NDArray[Any], NDArray[np.int64], Allocation, Sample]:
    """Stratified SRSWOR with the frame streamed: N_h by one GROUP BY, then one pass over the
    dossiers (server-side cursor, :data:`STREAM_CHUNK` rows at a time) that keeps only the
    candidates (:func:`sampling.draws.draw_stratified_stream`). The sample is identical to the
    in-memory draw of the same frame; memory is ~8 bytes a dossier plus one chunk."""
    columns = list(dict.fromkeys(spec.stratify_by))
    raw = load_frame_groups(session=session, frame_id=frame_id, columns=columns)
    if raw.n_units == 0:
        raise InvalidInput("the frame is empty", [Problem(("frame_id",), "no dossiers")])
    mapped = dict(raw.columns)
    if spec.geo_mapping is not None and "province_code" in mapped:
        mapped["province_code"] = np.asarray(
            map_codes(session, spec.geo_mapping, mapped["province_code"].tolist()), dtype=str
        )
    group_labels = stratum_labels(
        FrameArrays(dossier_id=raw.dossier_id, columns=mapped, count=raw.count), columns
    )
    labels, group_code = np.unique(group_labels, return_inverse=True)
    group_code = group_code.reshape(-1)
    population = np.bincount(group_code, weights=raw.weights, minlength=labels.size)
    population = population.astype(np.int64)
    allocation = allocate_design(spec.allocation, labels, population)
    # Raw column values (as the database returns them; None read as "") -> stratum code.
    keys = list(zip(*(raw.columns[name].tolist() for name in columns), strict=True))
    lookup = dict(zip(keys, group_code.tolist(), strict=True))
    attrs: list[Any] = [col(getattr(Dossier, name)) for name in columns]

    def code_of(values: tuple[Any, ...]) -> int:
        return lookup[tuple("" if v is None else str(v) for v in values)]

    def chunks() -> Iterator[FrameChunk]:
        stmt = sa_select(col(Dossier.id), col(Dossier.dossier_code), *attrs).where(
            col(Dossier.frame_id) == frame_id
        )
        for part in _stream_rows(session, stmt):
            cols = list(zip(*part, strict=True))
            m = len(part)
            try:
                code = np.fromiter(
                    map(lookup.__getitem__, zip(*cols[2:], strict=True)), np.int64, count=m
                )
            except KeyError:
                code = np.fromiter(map(code_of, zip(*cols[2:], strict=True)), np.int64, count=m)
            yield FrameChunk(
                unit_id=np.asarray(cols[1], dtype=str),
                code=code,
                row=np.fromiter(cols[0], np.int64, count=m),
            )

    assert allocation.labels is not None
    sizes = {str(label): int(n) for label, n in zip(allocation.labels, allocation.n, strict=True)}
    try:
        sample = draw_stratified_stream(
            chunks,
            labels,
            population,
            sizes,
            seed=seed,
            n_reserve=spec.reserve_per_stratum,
            frame_hash=frame_hash,
        )
    except SamplingError as error:
        raise sampling_problem(error, "design") from None
    return labels, population, allocation, sample


def _draw_in_memory(
    session: Session, frame_id: int, spec: DesignCreate, seed: int, frame_hash: str
) -> tuple[
    NDArray[Any],
    NDArray[np.int64],
    Allocation,
    _DrawnSample,
    NDArray[Any],
    NDArray[np.int64],
    dict[str, int],
]:
    """Systematic and PPS selections, which sort or group the whole frame: its columns are read
    into memory (~0.5 kB a dossier), so they suit frames of a few million dossiers; stratified
    SRSWOR (:func:`_draw_streamed`) has no such limit."""
    columns = ["dossier_code", *spec.stratify_by, *spec.sort_by]
    if spec.psu_column:
        columns.append(spec.psu_column)
    arrays = load_frame_arrays(
        session=session, frame_id=frame_id, columns=columns, geo_mapping=spec.geo_mapping
    )
    if arrays.n_units == 0:
        raise InvalidInput("the frame is empty", [Problem(("frame_id",), "no dossiers")])
    strata = stratum_labels(arrays, spec.stratify_by)
    labels, population = np.unique(strata, return_counts=True)
    allocation = allocate_design(spec.allocation, labels, population.astype(np.int64))
    try:
        sample = _select(
            selection=spec.selection,
            arrays=arrays,
            unit_id=arrays.columns["dossier_code"],
            strata=strata,
            allocation=allocation,
            sort_by=spec.sort_by,
            psu_column=spec.psu_column,
            m_per_psu=spec.allocation.m_per_psu,
            reserve=spec.reserve_per_stratum,
            seed=seed,
            frame_hash=frame_hash,
        )
    except SamplingError as error:
        raise sampling_problem(error, "design") from None
    index = sample.index
    return (
        labels,
        population.astype(np.int64),
        allocation,
        sample,
        arrays.columns["dossier_code"][index],
        arrays.dossier_id[index],
        _psus_per_stratum(arrays, strata, spec.psu_column),
    )


def run_draw(
    *,
    session: Session,
    design_id: int,
    seed: int | None = None,
    created_by: int | None,
) -> Draw:
    """Draw a design's sample and store it with everything needed to repeat it; commits once.

    Parameters
    ----------
    session
        Database session.
    design_id
        The design to draw.
    seed
        Non-negative integer; None draws fresh entropy (the seed used is recorded either way).
    created_by
        The staff user running the draw.

    Returns
    -------
    Draw
        With ``seed``, ``frame_hash`` (the frame's content hash), ``library_version`` and
        ``design_snapshot`` (design, allocation, the library's draw record, duplicate contacts,
        and ``size``: designed and issued main units per stratum and why they differ, see
        :func:`size_explanation`).

    Raises
    ------
    InvalidInput
        If the frame is not ready or the allocation or selection is impossible.
    """
    design = get_design(session=session, design_id=design_id)
    spec = design_spec(design)
    frame = session.get(Frame, design.frame_id)
    if frame is None or frame.status != FrameStatus.READY.value:
        raise InvalidInput(
            "the design's frame is not ready",
            [Problem(("frame_id",), "import the frame again; only a ready frame can be drawn")],
        )
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidInput(
            "the seed is out of range",
            [Problem(("seed",), f"the seed must be a whole number from 0 to {MAX_SEED}")],
        )
    # Fresh seeds are drawn below 2**62 so that the BIGINT column can store them.
    used_seed = resolve_seed(secrets.randbits(62) if seed is None else seed)
    sample: _DrawnSample
    if spec.selection == "srswor":
        labels, population, allocation, streamed = _draw_streamed(
            session, design.frame_id, spec, used_seed, frame.content_hash
        )
        sample, codes, dossier_ids = streamed, streamed.unit_id, streamed.index
        psus: dict[str, int] = {}
    else:
        labels, population, allocation, sample, codes, dossier_ids, psus = _draw_in_memory(
            session, design.frame_id, spec, used_seed, frame.content_hash
        )
    rule = resolve_duplicate_contacts(
        _sampled_phones(session, dossier_ids),
        sample.is_reserve,
        sample.reserve_order,
        seed=used_seed,
    )
    main = ~sample.is_reserve
    snapshot = {
        "design": spec.model_dump(),
        "design_id": design.id,
        "frame": {"id": frame.id, "name": frame.name, "content_hash": frame.content_hash},
        "allocation": {
            "method": allocation.method,
            "strata": [str(s) for s in labels.tolist()],
            "population": population.tolist(),
            "n": allocation.n.tolist(),
        },
        "sampling_record": sample.record.as_dict(),
        "size": size_explanation(
            selection=spec.selection,
            allocation=allocation,
            record=sample.record,
            issued=_issued_by_stratum(labels, sample.stratum[main]),
            m_per_psu=spec.allocation.m_per_psu,
            psus_per_stratum=psus,
        ),
        "duplicate_contacts": {
            "rule": (
                "one invitation per mobile phone: a random main unit (else the first reserve) "
                "is invited; the others are non-respondents by design, re-weighted by the "
                "non-response adjustment within their stratum"
            ),
            "n_groups": len(rule.groups),
            "n_units": int(np.count_nonzero(rule.status == DUPLICATE_CONTACT)),
            "n_main_units": int(np.count_nonzero((rule.status == DUPLICATE_CONTACT) & main)),
            "cases": [
                {
                    "kept": str(codes[g["kept"]]),
                    "duplicates": [str(codes[d]) for d in g["duplicates"]],
                }
                for g in rule.groups
            ],
        },
    }
    draw = Draw(
        design_id=design_id,
        seed=used_seed,
        frame_hash=frame.content_hash,
        library_version=library_version(),
        design_snapshot=snapshot,
        n_sampled=int(np.count_nonzero(main)),
        n_reserve=int(np.count_nonzero(sample.is_reserve)),
        created_by=created_by,
    )
    session.add(draw)
    session.flush()
    assert draw.id is not None
    kept_id = np.where(rule.duplicate_of >= 0, dossier_ids[np.maximum(rule.duplicate_of, 0)], -1)
    rows = [
        {
            "draw_id": draw.id,
            "dossier_id": int(dossier_id),
            "stratum": str(stratum),
            "inclusion_prob": float(pi),
            "weight": float(w),
            "is_reserve": bool(reserve),
            "reserve_order": int(order) if reserve else None,
            "contact_status": str(status),
            "duplicate_of": int(kept) if kept >= 0 else None,
        }
        for dossier_id, stratum, pi, w, reserve, order, status, kept in zip(
            dossier_ids.tolist(),
            sample.stratum.tolist(),
            sample.inclusion_prob.tolist(),
            sample.weight.tolist(),
            sample.is_reserve.tolist(),
            sample.reserve_order.tolist(),
            rule.status.tolist(),
            kept_id.tolist(),
            strict=True,
        )
    ]
    _insert_units(session, rows)
    session.commit()
    session.refresh(draw)
    return draw


def _scoped_units(scope: Scope) -> Any:
    """The sample units a scope may see, as a SELECT of their ids (joined to the dossier)."""
    return (
        sa_select(col(SampleUnit.id))
        .join(Dossier, col(Dossier.id) == col(SampleUnit.dossier_id))
        .where(*scope.where(Dossier.agency_code, Dossier.province_code))
    )


def _scoped_snapshot(session: Session, draw: Draw, scope: Scope) -> dict[str, Any]:
    """The design snapshot with the scope's strata and duplicate cases only.

    The library's sampling record and the whole-draw duplicate counts describe every stratum,
    so they are left out.
    """
    snapshot = dict(draw.design_snapshot or {})
    design = snapshot.get("design") or {}
    frame_id = (snapshot.get("frame") or {}).get("id")
    strata: frozenset[str] = frozenset()
    if frame_id is not None:
        strata = visible_strata(
            session=session,
            frame_id=int(frame_id),
            stratify_by=list(design.get("stratify_by") or []),
            geo_mapping=design.get("geo_mapping"),
            scope=scope,
        )
    allocation = dict(snapshot.get("allocation") or {})
    labels = list(allocation.get("strata") or [])
    keep = [i for i, label in enumerate(labels) if label in strata]
    for key in ("strata", "population", "n"):
        values = list(allocation.get(key) or [])
        allocation[key] = [values[i] for i in keep if i < len(values)]
    codes = set(
        session.execute(
            sa_select(col(Dossier.dossier_code))
            .join(SampleUnit, col(SampleUnit.dossier_id) == col(Dossier.id))
            .where(col(SampleUnit.draw_id) == draw.id)
            .where(*scope.where(Dossier.agency_code, Dossier.province_code))
        ).scalars()
    )
    duplicates = dict(snapshot.get("duplicate_contacts") or {})
    cases = [
        case
        for case in duplicates.get("cases") or []
        if case.get("kept") in codes and all(d in codes for d in case.get("duplicates", []))
    ]
    snapshot.pop("sampling_record", None)
    snapshot["allocation"] = allocation
    if "size" in snapshot:
        size = dict(snapshot["size"])
        rows = [r for r in size.get("strata") or [] if r.get("stratum") in strata]
        size.update(
            strata=rows,
            designed=sum(int(r["designed"]) for r in rows),
            issued=sum(int(r["issued"]) for r in rows),
        )
        snapshot["size"] = size
    snapshot["duplicate_contacts"] = {
        "rule": duplicates.get("rule", ""),
        "n_groups": len(cases),
        "n_units": sum(len(c.get("duplicates", [])) for c in cases),
        "cases": cases,
    }
    return snapshot


def _scoped_draws(session: Session, draws: list[Draw], scope: Scope) -> list[Draw]:
    """Detached copies of ``draws`` counting the scope's units only (never flushed)."""
    if not scope.limited or not draws:
        return draws
    counts = session.execute(
        sa_select(col(SampleUnit.draw_id), col(SampleUnit.is_reserve), func.count())
        .where(col(SampleUnit.draw_id).in_([d.id for d in draws]))
        .where(col(SampleUnit.id).in_(_scoped_units(scope)))
        .group_by(col(SampleUnit.draw_id), col(SampleUnit.is_reserve))
    ).all()
    by_draw: dict[tuple[int, bool], int] = {
        (int(draw_id), bool(reserve)): int(n) for draw_id, reserve, n in counts
    }
    copies = []
    for draw in draws:
        assert draw.id is not None
        data = draw.model_dump()
        data["n_sampled"] = by_draw.get((draw.id, False), 0)
        data["n_reserve"] = by_draw.get((draw.id, True), 0)
        data["design_snapshot"] = _scoped_snapshot(session, draw, scope)
        copies.append(Draw.model_validate(data))
    return copies


def list_draws(
    *, session: Session, design_id: int | None = None, scope: Scope = UNLIMITED
) -> list[Draw]:
    """Draws, newest first, optionally of one design; a scoped caller gets their units' counts
    and snapshot (:func:`_scoped_snapshot`)."""
    stmt = select(Draw).order_by(col(Draw.id).desc())
    if design_id is not None:
        stmt = stmt.where(Draw.design_id == design_id)
    return _scoped_draws(session, list(session.exec(stmt).all()), scope)


def get_draw(*, session: Session, draw_id: int, scope: Scope = UNLIMITED) -> Draw:
    """One draw (as for :func:`list_draws`), or :class:`NotFound`."""
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise NotFound(f"no draw with id {draw_id}")
    return _scoped_draws(session, [draw], scope)[0]


EXPORT_COLUMNS = (
    "dossier_code",
    "stratum",
    "agency_code",
    "agency_name",
    "province_code",
    "commune_code",
    "level",
    "procedure_code",
    "procedure_field",
    "channel",
    "received_date",
    "completed_date",
    "contactable",
    "inclusion_prob",
    "weight",
    "is_reserve",
    "reserve_order",
    "contact_status",
)
PHONE_COLUMN = "phone"


@dataclass(frozen=True)
class SampleExport:
    """A sample file ready to stream: its name, media type, header and body chunks."""

    filename: str
    media_type: str
    columns: tuple[str, ...]
    chunks: Iterator[bytes]


def _export_rows(
    engine: Engine, draw_id: int, include_phones: bool, scope: Scope
) -> Iterator[tuple[Any, ...]]:
    su, d = SampleUnit, Dossier
    fields: list[Any] = [
        col(d.dossier_code),
        col(su.stratum),
        col(d.agency_code),
        col(d.agency_name),
        col(d.province_code),
        col(d.commune_code),
        col(d.level),
        col(d.procedure_code),
        col(d.procedure_field),
        col(d.channel),
        col(d.received_date),
        col(d.completed_date),
        col(d.contactable),
        col(su.inclusion_prob),
        col(su.weight),
        col(su.is_reserve),
        col(su.reserve_order),
        col(su.contact_status),
    ]
    stmt = sa_select(*fields).join(d, col(d.id) == col(su.dossier_id))
    if include_phones:
        stmt = stmt.add_columns(col(DossierContact.phone_e164)).outerjoin(
            DossierContact, col(DossierContact.dossier_id) == col(d.id)
        )
    stmt = stmt.where(col(su.draw_id) == draw_id, *scope.where(d.agency_code, d.province_code))
    stmt = stmt.order_by(
        col(su.is_reserve), col(su.stratum), col(su.reserve_order), col(d.dossier_code)
    )
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=EXPORT_BATCH)
        for row in result.execute(stmt):
            yield tuple(row)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    # Imported values (names, codes, phones "+84...") must not run as formulas in Excel.
    return safe_cell(value)


def _csv_chunks(columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # A byte-order mark so Excel opens the Vietnamese names as UTF-8.
    buffer.write("\ufeff")
    writer.writerow(columns)
    for i, row in enumerate(rows, start=1):
        writer.writerow([_cell(v) for v in row])
        if i % EXPORT_BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_chunks(columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> Iterator[bytes]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("sample")
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_cell(v) for v in row])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(1 << 16):
            yield chunk


def export_sample(
    *,
    session: Session,
    draw_id: int,
    fmt: ExportFormat = "csv",
    include_phones: bool = False,
    viewer: StaffUser | None = None,
    address: str | None = None,
) -> SampleExport:
    """The sample of a draw as a CSV or XLSX file, streamed in chunks.

    Parameters
    ----------
    session
        Database session (its engine is used to stream the rows).
    draw_id
        The draw.
    fmt
        ``"csv"`` (UTF-8 with BOM, for Excel) or ``"xlsx"``.
    include_phones
        Add the applicants' phone column. Only roles in :data:`PHONE_ROLES` may; analysts never.
    viewer
        The staff user downloading; a scoped coordinator only gets the units of their agencies
        or provinces (province codes as the frame gives them, so a province scope lists the
        pre-merger codes it covers too). None means an operator on the server (the CLI).

    Raises
    ------
    PermissionDenied
        If the viewer's role may not see phones and ``include_phones`` is set.
    NotFound
        If the draw does not exist.
    """
    draw = get_draw(session=session, draw_id=draw_id)
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("unknown format", [Problem(("fmt",), "use csv or xlsx")])
    scope = Scope(agencies=None, provinces=None)
    if viewer is not None:
        if include_phones and viewer.role not in PHONE_ROLES:
            raise PermissionDenied(
                f"the role {viewer.role} may not see applicants' phone numbers; download the "
                "sample without phones"
            )
        scope = user_scope(session=session, user=viewer)
    # On file (committed) before the first row streams; ``address`` is the caller's IP.
    record_event(
        session=session,
        action="export.sample",
        actor=viewer,
        actor_name="" if viewer is not None else SYSTEM_ACTOR,
        target=f"draw:{draw_id}",
        details={
            "phones_included": include_phones,
            "format": fmt,
            "scoped": scope.agencies is not None or scope.provinces is not None,
        },
        address=address,
    )
    session.commit()
    columns = EXPORT_COLUMNS + ((PHONE_COLUMN,) if include_phones else ())
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    rows = _export_rows(engine, draw.id or draw_id, include_phones, scope)
    suffix = "-phones" if include_phones else ""
    if fmt == "xlsx":
        return SampleExport(
            filename=f"sample-draw-{draw_id}{suffix}.xlsx",
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            columns=columns,
            chunks=_xlsx_chunks(columns, rows),
        )
    return SampleExport(
        filename=f"sample-draw-{draw_id}{suffix}.csv",
        media_type="text/csv; charset=utf-8",
        columns=columns,
        chunks=_csv_chunks(columns, rows),
    )


def draw_units_summary(
    *, session: Session, draw_id: int, scope: Scope = UNLIMITED
) -> dict[str, int]:
    """Counts of a draw's units (the scope's) by contact status, e.g. ``{"invite": 380}``."""
    stmt = sa_select(col(SampleUnit.contact_status), func.count()).where(
        col(SampleUnit.draw_id) == draw_id
    )
    if scope.limited:
        stmt = stmt.where(col(SampleUnit.id).in_(_scoped_units(scope)))
    rows = session.execute(stmt.group_by(col(SampleUnit.contact_status))).all()
    return {str(status): int(n) for status, n in rows}
