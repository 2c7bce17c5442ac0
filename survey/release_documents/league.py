"""The rankings as practised in the release documents: one section of the PDF report, one sheet
of the workbook and one key of the JSON document, all read from
:func:`survey.public_releases.release_leagues` (blocks, bands, top and bottom five, the range,
the units scored but not ranked).

The workbook's columns are given as plain (Vietnamese label, English label, value, number
format) tuples, which :mod:`survey.release_documents.workbook` turns into its columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from survey.public_releases import release_leagues
from survey.release_documents.source import DocumentSource
from survey.release_rankings import League, LeagueBlock, LeagueUnit, league_json, parse_bands

SHEET = "Xếp hạng theo khối"

LEAGUE_WORDS: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "title": "Xếp hạng theo khối",
        "unit_agency_code": "cơ quan",
        "unit_province_code": "tỉnh, thành phố",
        "blocks_none": "Tất cả đơn vị được xếp hạng chung một khối.",
        "blocks_by": "Mỗi khối được xếp hạng riêng theo {column}; hạng và khoảng hạng chỉ so "
        "với các đơn vị cùng khối.",
        "column_level": "cấp hành chính",
        "column_province_code": "tỉnh, thành phố",
        "block_all": "Tất cả",
        "level_province": "Cấp tỉnh",
        "level_district": "Cấp huyện",
        "level_commune": "Cấp xã",
        "level_central": "Trung ương",
        "bands_default": "Xếp loại theo các mức tạm dùng (chưa có mức chính thức): {bands}.",
        "bands_release": "Xếp loại theo các mức của đợt công bố: {bands}.",
        "min_ranked": "Đơn vị có dưới {n} người trả lời vẫn có điểm nhưng không xếp hạng.",
        "range": "Khoảng điểm của {n} đơn vị được xếp hạng: {low} – {high}.",
        "top": "Năm hạng đầu của khối",
        "bottom": "Năm hạng cuối của khối",
        "all": "Các đơn vị được xếp hạng",
        "not_ranked": "Có điểm, không xếp hạng",
        "reason_too_few_answers": "quá ít người trả lời",
        "reason_alone_in_block": "không có đơn vị khác để so sánh trong khối",
        "band": "Xếp loại",
        "uncertain": "chưa chắc",
    },
    "en": {
        "title": "Rankings within blocks",
        "unit_agency_code": "agencies",
        "unit_province_code": "provinces",
        "blocks_none": "All units are ranked together in one block.",
        "blocks_by": "Each block is ranked on its own, by {column}; ranks and rank intervals "
        "compare units of the same block only.",
        "column_level": "administrative level",
        "column_province_code": "province",
        "block_all": "All",
        "level_province": "Provincial level",
        "level_district": "District level",
        "level_commune": "Commune level",
        "level_central": "Central level",
        "bands_default": "Classified by working bands (no official bands exist yet): {bands}.",
        "bands_release": "Classified by the release's bands: {bands}.",
        "min_ranked": "Units with fewer than {n} respondents are scored but not ranked.",
        "range": "Range of the {n} ranked units: {low} – {high}.",
        "top": "The block's top five ranks",
        "bottom": "The block's bottom five ranks",
        "all": "Ranked units",
        "not_ranked": "Scored, not ranked",
        "reason_too_few_answers": "too few respondents",
        "reason_alone_in_block": "no other unit to compare with in its block",
        "band": "Band",
        "uncertain": "uncertain",
    },
}


def block_name(source: DocumentSource, league: League, block: LeagueBlock, lang: str) -> str:
    """A block as readers name it: "Cấp xã", a province's name, or "Tất cả"."""
    w = LEAGUE_WORDS[lang]
    if league.blocks_column is None or block.block is None:
        return w["block_all"]
    if league.blocks_column == "level":
        return w.get(f"level_{block.block}", block.block)
    return source.unit_name(league.blocks_column, block.block)


def band_text(u: LeagueUnit, lang: str) -> str:
    """The unit's band, with "?" and the bands its interval spans when it straddles one."""
    c = u.classification
    if c.band is None:
        return ""
    if not c.straddles:
        return c.band.label(lang)
    ends = " – ".join("" if b is None else b.label(lang) for b in (c.lowest, c.highest))
    return f"{c.band.label(lang)}? ({ends})"


@dataclass(frozen=True)
class ReportBlock:
    """A block as the report prints it."""

    name: str
    parts: tuple[tuple[str, tuple[LeagueUnit, ...]], ...]  # (word key, units)
    not_ranked: tuple[LeagueUnit, ...]
    low: LeagueUnit | None
    high: LeagueUnit | None
    n_ranked: int


@dataclass(frozen=True)
class ReportLeague:
    """A league as the report prints it: the notes, then its blocks."""

    unit: str
    notes: tuple[str, ...]
    blocks: tuple[ReportBlock, ...]


def report_leagues(
    source: DocumentSource, lang: str, figure: Callable[[float], str]
) -> list[ReportLeague]:
    """The leagues of the report (see the module docstring); ``figure`` formats a bound."""
    w = LEAGUE_WORDS[lang]
    out = []
    for league in release_leagues(source.release):
        bands = "; ".join(f"{b.label(lang)} ≥ {figure(b.lower)}" for b in league.bands)
        notes = [
            w["blocks_none"]
            if league.blocks_column is None
            else w["blocks_by"].format(column=w.get(f"column_{league.blocks_column}", "")),
            w["bands_default" if league.bands_default else "bands_release"].format(bands=bands),
        ]
        if league.min_ranked is not None:
            notes.append(w["min_ranked"].format(n=league.min_ranked))
        blocks = []
        for block in league.blocks:
            # A block of ten or fewer is printed whole: its top and bottom five overlap.
            parts: tuple[tuple[str, tuple[LeagueUnit, ...]], ...] = (
                (("all", block.ranked),)
                if len(block.ranked) <= 10
                else (("top", block.top), ("bottom", block.bottom))
            )
            blocks.append(
                ReportBlock(
                    name=block_name(source, league, block, lang),
                    parts=tuple(p for p in parts if p[1]),
                    not_ranked=block.not_ranked,
                    low=block.minimum,
                    high=block.maximum,
                    n_ranked=len(block.ranked),
                )
            )
        out.append(ReportLeague(unit=league.unit, notes=tuple(notes), blocks=tuple(blocks)))
    return out


def sheet_columns(
    source: DocumentSource, share: str
) -> list[tuple[str, str, Callable[[Any], Any], str | None]]:
    """The workbook sheet's columns over :func:`sheet_records` (labels vi, en; value; format)."""
    return [
        ("Xếp hạng", "Ranking of", lambda r: r["unit"], None),
        ("Khối", "Block", lambda r: r["block"], None),
        ("Mã", "Code", lambda r: r["code"], None),
        ("Đơn vị", "Unit", lambda r: source.unit_name(r["unit"], r["code"]), None),
        ("Chỉ số", "Index", lambda r: r["estimate"], share),
        ("Cận dưới", "Lower bound", lambda r: r["ci_lower"], share),
        ("Cận trên", "Upper bound", lambda r: r["ci_upper"], share),
        ("Số người trả lời", "Respondents", lambda r: r["n_respondents"], "0"),
        ("Hạng", "Rank", lambda r: r["rank"], "0"),
        ("Hạng cao nhất có thể", "Rank interval: best", lambda r: r["rank_lower"], "0"),
        ("Hạng thấp nhất có thể", "Rank interval: worst", lambda r: r["rank_upper"], "0"),
        ("Nhóm hạng", "Tier", lambda r: r["tier"], "0"),
        ("Xếp loại", "Band (Vietnamese)", lambda r: r["band_vi"], None),
        ("Xếp loại (tiếng Anh)", "Band", lambda r: r["band_en"], None),
        ("Xếp loại chưa chắc", "Band uncertain", lambda r: r["band_uncertain"], None),
        ("Không xếp hạng: lý do", "Not ranked: reason", lambda r: r["not_ranked"], None),
        ("Năm cao nhất", "Top five", lambda r: r["top_five"], None),
        ("Năm thấp nhất", "Bottom five", lambda r: r["bottom_five"], None),
    ]


def sheet_records(source: DocumentSource) -> list[dict[str, Any]]:
    """One record per scored unit of every league: ranked ones best first, then not ranked."""
    records = []
    for league in release_leagues(source.release):
        for block in league.blocks:
            top = {u.code for u in block.top}
            bottom = {u.code for u in block.bottom}
            for u in (*block.ranked, *block.not_ranked):
                c = u.classification
                records.append(
                    {
                        "unit": league.unit,
                        "block": block_name(source, league, block, "vi"),
                        "code": u.code,
                        "estimate": u.estimate,
                        "ci_lower": u.ci_lower,
                        "ci_upper": u.ci_upper,
                        "n_respondents": u.n_respondents,
                        "rank": u.rank,
                        "rank_lower": u.rank_lower,
                        "rank_upper": u.rank_upper,
                        "tier": u.tier,
                        "band_vi": band_text(u, "vi"),
                        "band_en": band_text(u, "en"),
                        "band_uncertain": "x" if c.straddles else "",
                        "not_ranked": ""
                        if u.not_ranked is None
                        else LEAGUE_WORDS["vi"][f"reason_{u.not_ranked}"],
                        "top_five": "x" if u.rank is not None and u.code in top else "",
                        "bottom_five": "x" if u.rank is not None and u.code in bottom else "",
                    }
                )
    return records


def document_leagues(source: DocumentSource) -> list[dict[str, object]]:
    """The JSON document's ``leagues`` (:func:`survey.release_rankings.league_json`)."""
    return [league_json(league) for league in release_leagues(source.release)]


def ranking_rules(ranking: Mapping[str, Any], lang: str) -> str:
    """The method note's sentence on a release's ranking choices (blocks, ``min_ranked``,
    bands), in ``lang``; empty for a release that made none (ranked as before)."""
    w = LEAGUE_WORDS[lang]
    parts = []
    blocks = ranking.get("blocks")
    if blocks:
        parts.append(w["blocks_by"].format(column=w.get(f"column_{blocks}", str(blocks))))
    if ranking.get("min_ranked") is not None:
        parts.append(w["min_ranked"].format(n=ranking["min_ranked"]))
    if ranking.get("bands"):
        bands = "; ".join(
            f"{b.label(lang)} ≥ {b.lower:g}" for b in parse_bands(list(ranking["bands"]))
        )
        parts.append(w["bands_release"].format(bands=bands))
    return " ".join(parts)
