"""What a published release is cited by: a canonical serialisation, its SHA-256 and the data
fingerprint of the release.

**Canonical serialisation** (:func:`canonical_json`), version ``sipas-index-release/1``: JSON
with object keys sorted, no spaces, ASCII only (``\\uXXXX`` escapes), integers as digits and
every float written with 12 significant digits (``format(x, ".12g")``, so 0.8 and 0.80000000000001
read the same and an integral float reads as the integer), ``-0`` as ``0``; NaN and infinity are
refused (releases store them as null). Anyone can recompute the hash from the release's JSON:

    sha256(canonical_json({"format", "campaign_id", "name", "version", "supersedes_id",
                           "correction_reason", "parameters", "results", "summary",
                           "fingerprint"}))

Who and when (created, submitted, published, superseded) are not content: the hash is fixed
when the release is submitted for review and the steps after it leave it alone.

**Data fingerprint** (:func:`data_fingerprint`): what the figures were computed from — the
frame (id and content hash recorded at import), the design and draw (id and seed), the
questionnaire (id, code, version and a SHA-256 of its definition) and the completed responses
(count and a SHA-256 of the columns estimation reads, in id order, without the ids). The rules
(aggregation, interval, reliability, disclosure, weighting) are in the release's parameters.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from survey.backchecks import not_excluded
from survey.models import Campaign, Design, Draw, IndexRelease, Questionnaire, Response

FORMAT = "sipas-index-release/1"
# The response columns a release is computed from (survey.releases reads the same ones).
RESPONSE_COLUMNS: tuple[str, ...] = (
    "stratum",
    "weight",
    "psu",
    "agency_code",
    "province_code",
    "level",
    "procedure_field",
    "channel",
    "answers",
)


def _float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"canonical JSON has no {value!r}: store it as null")
    if value == 0:
        return "0"
    return format(value, ".12g")


def canonical_json(value: Any) -> str:
    """``value`` (dicts, lists, str, int, float, bool, None) in the canonical form above."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, Mapping):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{json.dumps(k)}:{canonical_json(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    raise TypeError(f"canonical JSON cannot hold a {type(value).__name__}")


def release_content(release: IndexRelease) -> dict[str, Any]:
    """The part of a release its hash covers."""
    return {
        "format": FORMAT,
        "campaign_id": release.campaign_id,
        "name": release.name,
        "version": release.version,
        "supersedes_id": release.supersedes_id,
        "correction_reason": release.correction_reason,
        "parameters": release.parameters or {},
        "results": release.results or {},
        "summary": release.summary or {},
        "fingerprint": release.fingerprint or {},
    }


def content_sha256(release: IndexRelease) -> str:
    """SHA-256 (hex) of the canonical serialisation of :func:`release_content`."""
    return hashlib.sha256(canonical_json(release_content(release)).encode("ascii")).hexdigest()


def _digest_rows(rows: Iterable[Iterable[Any]]) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        digest.update(canonical_json(list(row)).encode("ascii"))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def data_fingerprint(session: Session, campaign_id: int) -> dict[str, Any]:
    """Frame, draw, questionnaire and responses a release of ``campaign_id`` is computed from."""
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None  # the release's foreign key
    draw = session.get(Draw, campaign.draw_id)
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    assert draw is not None and questionnaire is not None
    design = session.get(Design, draw.design_id)
    stmt = (
        sa_select(*(col(getattr(Response, c)) for c in RESPONSE_COLUMNS))
        .where(
            col(Response.campaign_id) == campaign_id,
            col(Response.status) == "completed",
            # As the release reads them: a response excluded after a failed back-check is not
            # part of the data, so excluding one later changes the fingerprint.
            not_excluded(Response.id),
        )
        .order_by(col(Response.id))
        .execution_options(yield_per=5000)
    )
    count, responses_sha256 = _digest_rows(session.execute(stmt))
    return {
        "frame": {
            "id": None if design is None else design.frame_id,
            "sha256": draw.frame_hash,
        },
        "design_id": draw.design_id,
        "draw": {"id": draw.id, "seed": draw.seed},
        "questionnaire": {
            "id": questionnaire.id,
            "code": questionnaire.code,
            "version": questionnaire.version,
            "definition_sha256": hashlib.sha256(
                canonical_json(questionnaire.definition or {}).encode("ascii")
            ).hexdigest(),
        },
        "responses": {
            "count": count,
            "columns": list(RESPONSE_COLUMNS),
            "sha256": responses_sha256,
        },
    }
