"""The rankings of a release as practised, formatted for a page (``_league.html``): each league
block by block, with its top and bottom five (rank intervals, bands), the range and the units
scored but not ranked with the reason. Used by the staff release page and the public site,
which pass their cell formatter (:func:`api.pages.releases.format_cell`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from api.formatting import PERCENT_SUFFIX, number, unit_name
from api.i18n import LEAGUE_TEXT
from survey.release_rankings import TOP, League, LeagueUnit

CellFormat = Callable[[Mapping[str, Any]], dict[str, str]]


def _figure(value: float, lang: str, percent: bool) -> str:
    scale, digits, unit = (100.0, 1, PERCENT_SUFFIX[lang]) if percent else (1.0, 2, "")
    return number(value * scale, lang, digits) + unit


def _unit(
    u: LeagueUnit, column: str, lang: str, agencies: Mapping[str, str], cell: CellFormat
) -> dict[str, Any]:
    w = LEAGUE_TEXT[lang]
    c = u.classification
    band = "" if c.band is None else c.band.label(lang)
    if c.straddles:
        ends = " – ".join("" if b is None else b.label(lang) for b in (c.lowest, c.highest))
        band = w["band_uncertain"].format(band=band, ends=ends)
    return {
        "name": unit_name(column, u.code, lang, agencies),
        "code": u.code,
        "cell": cell(
            {"estimate": u.estimate, "ci_lower": u.ci_lower, "ci_upper": u.ci_upper, "flag": u.flag}
        ),
        "rank": "" if u.rank is None else str(u.rank),
        "interval": "" if u.rank is None else f"{u.rank_lower}–{u.rank_upper}",
        "band": band,
        "n": u.n_respondents,
        "reason": "" if u.not_ranked is None else w[f"reason_{u.not_ranked}"],
    }


def _block_name(
    column: str | None, block: str | None, lang: str, agencies: Mapping[str, str]
) -> str:
    w = LEAGUE_TEXT[lang]
    if column is None or block is None:
        return w["block_all"]
    if column == "level":
        return w.get(f"level_{block}", block)
    return unit_name(column, block, lang, agencies)


def league_sections(
    leagues: Sequence[League],
    lang: str,
    agencies: Mapping[str, str],
    percent: bool,
    cell: CellFormat,
) -> list[dict[str, Any]]:
    """One section per league (see the module docstring), in ``lang``; ``cell`` formats a
    figure with its interval."""
    w = LEAGUE_TEXT[lang]
    sections = []
    for league in leagues:
        bands = "; ".join(
            f"{b.label(lang)} ≥ {_figure(b.lower, lang, percent)}" for b in league.bands
        )
        notes = [
            w["bands_default" if league.bands_default else "bands_release"].format(bands=bands),
        ]
        if league.min_ranked is not None:
            notes.append(w["min_ranked"].format(n=league.min_ranked))
        blocks = []
        for block in league.blocks:
            low, high = block.minimum, block.maximum
            blocks.append(
                {
                    "name": _block_name(league.blocks_column, block.block, lang, agencies),
                    # A block of ten or fewer is shown whole: its top and bottom five overlap.
                    "all": [_unit(u, league.unit, lang, agencies, cell) for u in block.ranked]
                    if len(block.ranked) <= 2 * TOP
                    else [],
                    "top": [_unit(u, league.unit, lang, agencies, cell) for u in block.top],
                    "bottom": [_unit(u, league.unit, lang, agencies, cell) for u in block.bottom],
                    "range": ""
                    if low is None or high is None
                    else w["range"].format(
                        low=_figure(low.estimate, lang, percent),
                        high=_figure(high.estimate, lang, percent),
                        n=len(block.ranked),
                    ),
                    "not_ranked": [
                        _unit(u, league.unit, lang, agencies, cell) for u in block.not_ranked
                    ],
                }
            )
        sections.append(
            {
                "title": w[f"title_{league.unit}"]
                if f"title_{league.unit}" in w
                else w["title_domain"],
                "blocks_text": w["blocks_none"]
                if league.blocks_column is None
                else w["blocks_by"].format(column=w.get(f"column_{league.blocks_column}", "")),
                "notes": notes,
                "blocks": blocks,
            }
        )
    return sections
