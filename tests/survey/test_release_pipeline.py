"""The release pipeline's figures do not move when its code does.

``data/release_golden_*.json`` hold the parameters, results and summary of releases computed by
``compute_release`` as it was at commit e065ba6 (one 291-line function, before it was split into
named steps), on the deterministic campaigns of :mod:`tests.survey.release_fixtures`, as JSON with
sorted keys and every float at full precision (``repr``). Ids that depend on the database's
sequences (the questionnaire's id) are left out. The release computed now must give the same
numbers to the last bit, and so the same canonical JSON
(:func:`survey.release_hashing.canonical_json`) and SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from survey.release_hashing import canonical_json
from survey.releases import compute_release
from tests.survey.release_fixtures import STRATA, build_release_campaign

DATA = Path(__file__).parent / "data"

# name -> (strata spec or None for STRATA, compute_release arguments)
CASES: dict[str, tuple[dict[str, tuple[str, str, int, int, int]] | None, dict[str, Any]]] = {
    "agency": (None, {"by": ("agency_code",)}),
    "province_channel": (
        {
            **STRATA,
            "D": ("AG-D", "01", 50, 10, 0),  # sampled, nobody answered
            "E": ("AG-E", "01", 20, 5, 1),  # a lonely stratum
        },
        {
            "by": ("province_code", "channel"),
            "rule": "pooled",
            "ci_method": "beta",
            "level": 0.9,
            "min_respondents": 10,
            "max_ci_width": 0.3,
        },
    ),
    "geo_mean_score": (
        {s: (v[0], {"A": "24", "B": "27", "C": "01"}[s], *v[2:]) for s, v in STRATA.items()},
        {
            "by": ("province_code",),
            "rule": "mean-score",
            "ci_method": "mean",
            "geo_mapping": "provinces-2025",
        },
    ),
}


def release_figures(session: Session, case: str) -> str:
    """JSON (sorted keys, full precision) of the release ``case`` computed on a fresh campaign."""
    spec, arguments = CASES[case]
    rc = build_release_campaign(session, strata_spec=spec)
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="golden", store=False, **arguments
    )
    parameters = json.loads(json.dumps(release.parameters))
    parameters["questionnaire"].pop("id")
    figures = {"parameters": parameters, "results": release.results, "summary": release.summary}
    return json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_release_hashes_as_before_the_split(session: Session, case: str) -> None:
    expected = (DATA / f"release_golden_{case}.json").read_text(encoding="ascii").strip()
    actual = release_figures(session, case)
    old, new = json.loads(expected), json.loads(actual)
    # The hashed form first, naming the part that differs rather than printing two long lines.
    for part in ("parameters", "summary", "results"):
        assert canonical_json(new[part]) == canonical_json(old[part]), part
    assert hashlib.sha256(canonical_json(new).encode()).hexdigest() == (
        hashlib.sha256(canonical_json(old).encode()).hexdigest()
    )
    assert actual == expected  # and every float to the last bit
