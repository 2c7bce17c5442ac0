"""The release as a PDF report in Vietnamese, laid out like the ministry's SIPAS publication.

A title page (release, period, version, status, SHA-256, who published it and when), the
national figures, the five highest and five lowest units, the range across units, the elements
per unit, the ranking with intervals (and rank intervals where the release ranked), the charts of
:mod:`survey.release_charts` (SVG, embedded), an annex of criteria and the method note with the
data fingerprint. Jinja2 renders ``templates/report.html``; WeasyPrint lays it out on A4 with the
page number and the SHA-256 in every footer.

Fonts: DejaVu Sans, embedded with ``@font-face`` from the copy matplotlib ships (a dependency
already, so the files exist wherever the platform is installed, Debian's fonts or not); it covers
every Vietnamese letter. WeasyPrint fetches nothing but those font files and the ``data:`` URLs
of the charts: no network, no other file.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, select_autoescape

from survey.release_charts import (
    ChartPoint,
    ChartWords,
    describe_points,
    dot_whisker_svg,
    element_points,
)
from survey.release_documents.league import LEAGUE_WORDS, band_text, report_leagues
from survey.release_documents.method import method_facts
from survey.release_documents.shares import WORDS as SHARE_WORDS
from survey.release_documents.shares import share_sections
from survey.release_documents.source import DocumentSource
from survey.release_documents.tables import (
    DomainRank,
    by_node,
    domain_ranking,
    highest,
    lowest,
    national,
    spread,
    suppression_reason,
)
from survey.release_documents.words import WORDS
from survey.release_rows import ReleaseRow

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONTS = {
    ("normal", "normal"): "DejaVuSans.ttf",
    ("bold", "normal"): "DejaVuSans-Bold.ttf",
    ("normal", "italic"): "DejaVuSans-Oblique.ttf",
    ("bold", "italic"): "DejaVuSans-BoldOblique.ttf",
}
LOCALES = {"vi": "vi_VN", "en": "en_US"}
# A4 at the report's margins holds a chart of about this many units legibly.
CHART_CHUNK = 25
# A national release ranks thousands of agencies: past this many, the report prints the first
# and last AGENCY_ENDS and points to the workbook, which has them all (pages of a table are
# most of WeasyPrint's time).
AGENCY_TABLE_MAX = 60
AGENCY_ENDS = 10
# Node levels a unit's summary prints: the root (overall or SIPAS), indices, elements.
SUMMARY_LEVELS = ("overall", "index", "element")

_ENV = Environment(
    loader=PackageLoader("survey.release_documents", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class ReportFetchRefused(ValueError):
    """The report asked WeasyPrint for something other than its fonts or a data: URL."""


def _number(value: float, lang: str, digits: int) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALES[lang])


@dataclass(frozen=True)
class Formatter:
    """Figures as the report prints them: "72,7 %" and "72,7 % (68,1–77,0)" in Vietnamese."""

    lang: str
    percent: bool

    def figure(self, value: float | None) -> str:
        if value is None:
            return ""
        if self.percent:
            return _number(value * 100.0, self.lang, 1) + (" %" if self.lang == "vi" else "%")
        return _number(value, self.lang, 2)

    def interval(self, row: ReleaseRow) -> str:
        if row.ci_lower is None or row.ci_upper is None:
            return ""
        scale, digits = (100.0, 1) if self.percent else (1.0, 2)
        return (
            f"{_number(row.ci_lower * scale, self.lang, digits)}–"
            f"{_number(row.ci_upper * scale, self.lang, digits)}"
        )

    def points(self, value: float) -> str:
        """A difference in percentage points (or score points)."""
        return _number(value * (100.0 if self.percent else 1.0), self.lang, 1)

    def integer(self, value: int | None) -> str:
        return "" if value is None else _number(value, self.lang, 0)


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _chart_words(lang: str, key: str, percent: bool) -> ChartWords:
    w = WORDS[lang]
    return ChartWords(
        title=w[key],
        axis=w["chart_axis"] if percent else w["chart_axis_score"],
        suppressed=w["chart_suppressed"],
        lang=lang,
    )


def _point(label: str, row: ReleaseRow) -> ChartPoint:
    assert row.estimate is not None
    return ChartPoint(
        label=label,
        estimate=row.estimate,
        ci_lower=row.estimate if row.ci_lower is None else row.ci_lower,
        ci_upper=row.estimate if row.ci_upper is None else row.ci_upper,
    )


def charts(source: DocumentSource, lang: str = "vi") -> list[dict[str, str]]:
    """The report's charts as ``data:`` URIs with their captions and descriptions: the units'
    overall index (in pages of :data:`CHART_CHUNK`, highest first) and the element profile."""
    out: list[dict[str, str]] = []
    percent = source.percent
    ranking = domain_ranking(source)
    points = [_point(source.domain_label(d.row), d.row) for d in ranking if d.position is not None]
    hidden = [source.domain_label(d.row) for d in ranking if d.position is None]
    words = _chart_words(lang, "chart_domains", percent)
    for start in range(0, len(points), CHART_CHUNK):
        chunk = points[start : start + CHART_CHUNK]
        last = start + CHART_CHUNK >= len(points)
        description = describe_points(chunk, hidden if last else [], words, percent=percent)
        svg = dot_whisker_svg(chunk, words, description=description, percent=percent)
        out.append({"src": _svg_uri(svg), "caption": words.title, "description": description})
    raw_rows: Sequence[Mapping[str, Any]] = source.release.results.get("rows") or []
    element_words = _chart_words(lang, "chart_elements", percent)
    labels = dict(source.node_labels.get(lang, {}))
    labels["overall"] = WORDS[lang]["overall"]  # the sipas root keeps its own title
    element, hidden_elements = element_points(raw_rows, labels)
    if element:
        description = describe_points(element, hidden_elements, element_words, percent=percent)
        svg = dot_whisker_svg(element, element_words, description=description, percent=percent)
        out.append(
            {"src": _svg_uri(svg), "caption": element_words.title, "description": description}
        )
    return out


def _ranges(source: DocumentSource) -> list[dict[str, Any]]:
    """Per node (the root, each index and element): the lowest and highest unit and the
    spread."""
    ranges = []
    for node in source.node_order:
        rows = [
            r for r in source.rows if r.domain and r.node == node and r.node_level in SUMMARY_LEVELS
        ]
        shown = sorted((r for r in rows if not r.suppressed), key=lambda r: r.estimate or 0.0)
        if not shown:
            continue
        ranges.append({"node": node, "low": shown[0], "high": shown[-1], "units": len(shown)})
    return ranges


def _agencies(source: DocumentSource) -> dict[str, Any]:
    """The stored agency ranking as the report prints it (none when the release is by agency:
    its domain ranking is that one)."""
    ranking = source.ranking if list(source.by) != ["agency_code"] else ()
    cut = len(ranking) > AGENCY_TABLE_MAX
    shown = (*ranking[:AGENCY_ENDS], *ranking[-AGENCY_ENDS:]) if cut else tuple(ranking)
    return {
        "agencies": shown,
        "agencies_total": len(ranking),
        "agencies_cut": cut,
        "agency_ends": AGENCY_ENDS,
    }


def report_context(source: DocumentSource, lang: str = "vi") -> dict[str, Any]:
    """What ``templates/report.html`` prints."""
    ranking: list[DomainRank] = domain_ranking(source)
    element_nodes = [
        n
        for n in source.node_order
        if any(r.node == n and r.node_level == "element" for r in source.rows)
    ]
    # The root, the indices of the national form, then the elements: one column each.
    summary_nodes = [
        n
        for n in source.node_order
        if any(r.node == n and r.node_level in SUMMARY_LEVELS for r in source.rows)
    ]
    per_unit: dict[str, dict[str, Any]] = {}
    for row in by_node(source, SUMMARY_LEVELS):
        entry = per_unit.setdefault(
            source.domain_label(row), {"name": source.domain_label(row), "cells": {}}
        )
        entry["cells"][row.node] = row
    release = source.release
    return {
        "w": WORDS[lang],
        "lang": lang,
        "source": source,
        "release": release,
        "fmt": Formatter(lang=lang, percent=source.percent),
        "reason": lambda row: suppression_reason(source, row, lang),
        "national": national(source),
        "ranking": ranking,
        "highest": highest(ranking),
        "lowest": lowest(ranking),
        "spread": spread(ranking),
        "ranges": _ranges(source),
        "element_nodes": element_nodes,
        "summary_nodes": summary_nodes,
        "summary_levels": SUMMARY_LEVELS,
        "per_unit": list(per_unit.values()),
        **_agencies(source),
        "leagues": report_leagues(
            source, lang, Formatter(lang=lang, percent=source.percent).figure
        ),
        "lwd": LEAGUE_WORDS[lang],
        "band": lambda unit: band_text(unit, lang),
        "charts": charts(source, lang),
        "facts": method_facts(source),
        # Judgement and expectation shares (always shares, whatever the index rule).
        "shares": share_sections(release),
        "sw": SHARE_WORDS[lang],
        "share_fmt": Formatter(lang=lang, percent=True),
        "by_text": " × ".join(WORDS[lang].get(f"by_{c}", c) for c in source.by),
        "published": source.step("published"),
        "submitted": source.step("submitted"),
        "computed": source.step("computed"),
        "fonts": [
            {"weight": weight, "style": style, "url": (FONT_DIR / name).as_uri()}
            for (weight, style), name in FONTS.items()
        ],
    }


def release_report_html(source: DocumentSource, lang: str = "vi") -> str:
    """The report as one HTML document (fonts by file URL, charts inline as data: URLs)."""
    return _ENV.get_template("report.html").render(report_context(source, lang))


def _fetcher() -> Any:
    """A WeasyPrint URL fetcher for the fonts' files and ``data:`` URLs only; anything else
    stops the rendering (a figure or a name never makes the report fetch a URL)."""
    from weasyprint.urls import URLFetcher

    allowed = {(FONT_DIR / name).as_uri() for name in FONTS.values()}

    class FontsAndDataOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not (url.startswith("data:") or url in allowed):
                raise ReportFetchRefused(f"the report fetches its fonts and data: only, not {url}")
            return super().fetch(url, headers)

    return FontsAndDataOnly(allowed_protocols={"data", "file"}, fail_on_errors=True)


def release_report_pdf(source: DocumentSource, lang: str = "vi") -> bytes:
    """The report as PDF bytes (A4, fonts embedded)."""
    # WeasyPrint loads Pango at import: only the callers that make a PDF pay for it.
    from weasyprint import HTML

    html = HTML(string=release_report_html(source, lang), url_fetcher=_fetcher(), base_url=None)
    pdf = html.write_pdf()
    assert pdf is not None
    return bytes(pdf)
