"""The release pipeline's figures do not move when its code does.

``data/release_golden_*.json`` hold the parameters, results and summary of releases computed by
``compute_release`` as it was at commit e065ba6 (one 291-line function, before it was split into
named steps), on the deterministic campaigns of :mod:`tests.survey.release_fixtures`, as JSON with
sorted keys and every float at full precision (``repr``). Ids that depend on the database's
sequences (the questionnaire's id) are left out. The release computed now must give the same
canonical JSON (:func:`survey.release_hashing.canonical_json`, floats to 12 significant digits)
and SHA-256, and every float within a few units in the last place: the last bits depend on the
processor's numerical kernels (on one AMD EPYC without AVX-512, two agencies' figures differ in
the 16th digit from the machine the goldens were made on, and OPENBLAS_CORETYPE=Prescott moves
more), not on this code.
"""

from __future__ import annotations

import hashlib
import json
import math
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
    # And every float to within a few units in the last place: numpy's SIMD loops and OpenBLAS
    # choose their kernels by processor (AVX2 or AVX-512, OpenBLAS's core type), which moves the
    # last bits of a sum; the same code gives the same bits on one machine, not on every one.
    assert_same_to_the_last_bits(new, old)


ULPS = 8


def assert_same_to_the_last_bits(new: Any, old: Any, path: str = "") -> None:
    """Equal structure, strings, integers and flags; floats within ``ULPS`` units in the last
    place of the golden value (an exact 0 stays 0)."""
    if isinstance(old, dict):
        assert isinstance(new, dict) and sorted(new) == sorted(old), path
        for k in old:
            assert_same_to_the_last_bits(new[k], old[k], f"{path}.{k}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), path
        for i, (n, o) in enumerate(zip(new, old, strict=True)):
            assert_same_to_the_last_bits(n, o, f"{path}[{i}]")
    elif isinstance(old, float) and isinstance(new, float):
        assert abs(new - old) <= ULPS * math.ulp(old), f"{path}: {new!r}, golden {old!r}"
    else:
        assert type(new) is type(old) and new == old, f"{path}: {new!r}, golden {old!r}"
