"""Leagues built from ranked entries: top and bottom five, range, bands and straddling, parsed
bands; by hand on small made-up figures."""

from __future__ import annotations

import pytest

from survey.release_rankings import (
    DEFAULT_SHARE_BANDS,
    Band,
    LeagueEntry,
    band_of,
    build_league,
    classify,
    parse_bands,
)


def entry(i: int, estimate: float, *, block: str | None = None) -> LeagueEntry:
    return LeagueEntry(
        code=f"U{i:02d}",
        estimate=estimate,
        ci_lower=estimate - 0.03,
        ci_upper=estimate + 0.03,
        n_respondents=60,
        flag="ok",
        block=block,
        rank=i,
        rank_lower=max(1, i - 1),
        rank_upper=i + 1,
        tier=1,
    )


def test_top_and_bottom_five_and_the_range_of_a_long_block() -> None:
    entries = [entry(i, 0.95 - 0.02 * i) for i in range(1, 13)]
    low = LeagueEntry("LOW", 0.10, 0.05, 0.15, 3, "ok", None, not_ranked="too_few_answers")
    league = build_league(
        unit="agency_code",
        node="overall",
        source="stored",
        blocks_column=None,
        min_ranked=50,
        bands=DEFAULT_SHARE_BANDS,
        bands_default=True,
        entries=[*reversed(entries), low],
    )
    (block,) = league.blocks
    assert [u.code for u in block.top] == ["U01", "U02", "U03", "U04", "U05"]
    assert [u.code for u in block.bottom] == ["U12", "U11", "U10", "U09", "U08"]
    # The range is among ranked units: the unranked 10% does not set the minimum.
    assert block.minimum is not None and block.minimum.code == "U12"
    assert block.maximum is not None and block.maximum.code == "U01"
    assert [u.code for u in block.not_ranked] == ["LOW"]
    assert league.n_ranked == 12 and league.n_not_ranked == 1


def test_bands_and_an_interval_across_a_boundary() -> None:
    assert band_of(0.95, DEFAULT_SHARE_BANDS) == DEFAULT_SHARE_BANDS[0]
    assert band_of(0.90, DEFAULT_SHARE_BANDS) == DEFAULT_SHARE_BANDS[0]  # a bound belongs above
    assert band_of(0.8999, DEFAULT_SHARE_BANDS) == DEFAULT_SHARE_BANDS[1]
    inside = classify(0.85, 0.82, 0.88, DEFAULT_SHARE_BANDS)
    assert inside.band is not None and inside.band.en == "Good" and not inside.straddles
    across = classify(0.89, 0.86, 0.92, DEFAULT_SHARE_BANDS)
    assert across.straddles
    assert across.lowest is not None and across.lowest.en == "Good"
    assert across.highest is not None and across.highest.en == "Very good"
    no_interval = classify(0.89, None, None, DEFAULT_SHARE_BANDS)
    assert not no_interval.straddles


def test_blocks_are_sorted_and_ranked_within() -> None:
    entries = [entry(1, 0.9, block="province"), entry(1, 0.7, block="commune")]
    league = build_league(
        unit="agency_code",
        node="overall",
        source="stored",
        blocks_column="level",
        min_ranked=None,
        bands=(Band(0.0, "Một", "One"),),
        bands_default=False,
        entries=entries,
    )
    assert [b.block for b in league.blocks] == ["commune", "province"]
    assert all(b.top[0].rank == 1 for b in league.blocks)


def test_parse_bands_reads_lists_and_objects_and_names_the_fault() -> None:
    bands = parse_bands([[0.8, "Cao", "High"], {"lower": 0, "vi": "Thấp", "en": "Low"}])
    assert bands == (Band(0.8, "Cao", "High"), Band(0.0, "Thấp", "Low"))
    with pytest.raises(ValueError, match="band 1: list the bands highest first"):
        parse_bands([[0.5, "a", "A"], [0.5, "b", "B"]])
    with pytest.raises(ValueError, match="band 0: the lower bound 'x' is not a number"):
        parse_bands([["x", "a", "A"]])
    with pytest.raises(ValueError, match="band 0: give both labels"):
        parse_bands([[0.5, "a", " "]])
