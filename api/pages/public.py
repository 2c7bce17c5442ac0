"""The public site of published releases under ``/public``: no sign-in, no JavaScript.

``/public`` lists the published and superseded releases; ``/public/releases/{id}`` shows one:
the national figures with their intervals beside the previous round's, the ranking with rank
intervals, the table per unit (agencies and provinces by name, provinces by their 2025 name),
the charts, the SHA-256 and data fingerprint to cite it, and a plain method note
(:mod:`survey.public_releases` gathers the figures).
Drafts and releases under review answer 404. Figures are the stored ones, formatted by the
same helpers as the staff page (:func:`api.pages.releases.release_view`); the charts come from
:mod:`survey.release_charts` as ``image/svg+xml`` and are embedded with ``<img>``, so the
page's CSP (no inline style) holds; the SVG response carries its own stricter policy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.formatting import PERCENT_SUFFIX, number, unit_name
from api.i18n import PUBLIC_TEXT, choose_language, remember_language
from api.pages.coordinator import TEMPLATES, StaffRoute
from api.pages.public_documents import download_links
from api.pages.releases import format_cell, release_view
from api.policy import Public
from survey.disclosure import K as DISCLOSURE_K
from survey.public_releases import (
    Change,
    PublicRelease,
    get_public_release,
    interval_warning,
    row_key,
)
from survey.release_charts import ChartWords, release_chart
from survey.release_documents.shares import has_shares
from survey.release_rankings import RANK_DRAWS, RANK_SEED
from survey.release_rows import ReleaseRow, release_root
from survey.releases import list_releases

router = APIRouter(route_class=StaffRoute, include_in_schema=False, dependencies=[Depends(Public)])

# An SVG opened on its own is a document: no script at all, its own inline styles only.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _page(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    lang = choose_language(request)
    full = {
        "w": PUBLIC_TEXT[lang],
        "lang": lang,
        "other_lang": "en" if lang == "vi" else "vi",
        "k": DISCLOSURE_K,
        **context,
    }
    response = TEMPLATES.TemplateResponse(request, name, full)
    remember_language(request, response)
    return response


@router.get("/public")
def public_releases(request: Request, session: SessionDep) -> HTMLResponse:
    """Published and superseded releases, newest first."""
    releases = list_releases(session=session, published_only=True)
    return _page(request, "public/list.html", {"releases": releases})


def domain_label(domain: Sequence[tuple[str, str]], lang: str, agencies: Mapping[str, str]) -> str:
    """A domain as readers name it: "Sở Tư pháp", "Hồ Chí Minh", "Sở Tư pháp × Trực tuyến"."""
    return " × ".join(unit_name(column, code, lang, agencies) for column, code in domain)


def domain_names(view: PublicRelease, lang: str) -> dict[str, str]:
    """Stored domain name (codes) -> readable name, for every domain row of the release."""
    return {
        r.domain_name: domain_label(r.domain, lang, view.agency_names)
        for r in view.rows
        if not r.is_whole_campaign
    }


def _change_text(change: Change | None, *, lang: str, percent: bool) -> str:
    if change is None:
        return ""
    scale, digits = (100.0, 1) if percent else (1.0, 2)

    def signed(value: float) -> str:
        text = number(abs(value) * scale, lang, digits)
        return ("+" if value > 0 else "−" if value < 0 else "") + text

    star = " *" if change.significant else ""
    return (
        f"{signed(change.estimate)} ({signed(change.ci_lower)} – {signed(change.ci_upper)}){star}"
        + p_value_text(change.p_value, lang)
    )


def p_value_text(p: float, lang: str) -> str:
    """The p-value as ", p = 0,031" (", p < 0,001" below that); empty when undefined."""
    if math.isnan(p):
        return ""
    if p < 0.001:
        return f", p < {number(0.001, lang, 3)}"
    return f", p = {number(p, lang, 3)}"


def _figures(
    view: PublicRelease, row: ReleaseRow, lang: str, w: Mapping[str, str]
) -> dict[str, Any]:
    key = row_key(row)
    before = view.previous_rows.get(key)
    warning = interval_warning(row)
    return {
        "cell": format_cell(row, lang=lang, percent=view.percent),
        "previous": None
        if before is None
        else format_cell(before, lang=lang, percent=view.percent),
        "change": _change_text(view.changes.get(key), lang=lang, percent=view.percent),
        "warning": "" if warning is None else w[f"warn_{warning}"],
        "n": row.n_respondents,
    }


def public_view(view: PublicRelease, staff: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """What ``public/release.html`` shows, in ``lang``."""
    w = PUBLIC_TEXT[lang]
    names = domain_names(view, lang)
    labels = dict(staff["columns"])
    national = [
        {"label": labels.get(r.node, r.node), **_figures(view, r, lang, w)}
        for r in view.rows
        if r.is_whole_campaign and r.node_level in ("overall", "index", "element")
    ]
    root = release_root(view.release)
    domains: dict[str, dict[str, Any]] = {}
    for r in view.rows:
        if not r.is_whole_campaign and r.node in labels:
            name = r.domain_name
            entry = domains.setdefault(
                name, {"name": names.get(name, name), "cells": {}, "n": 0, "overall": None}
            )
            entry["cells"][r.node] = format_cell(r, lang=lang, percent=view.percent)
            if r.node == root:
                entry["overall"] = _figures(view, r, lang, w)
                entry["n"] = r.n_respondents
    ranking = [
        {
            "rank": d.rank,
            "name": names.get(d.domain_name, d.domain_name),
            "interval": f"{d.rank_lower}–{d.rank_upper}",
            "tier": d.tier,
            **_figures(view, d.row, lang, w),
        }
        for d in view.ranking
    ]
    charts = [("domains", "chart_domains"), ("elements", "chart_elements")]
    if ranking:
        charts.append(("ranks", "chart_ranks"))
    if view.previous is not None and any(k[0] and k[1] == root for k in view.changes):
        charts.append(("change", "chart_change"))
    method_ranks = (
        w[f"method_ranks_{view.rank_source}"].format(draws=number(RANK_DRAWS, lang), seed=RANK_SEED)
        if view.rank_source
        else ""
    )
    return {
        "national": national,
        "domain_rows": sorted(domains.values(), key=lambda d: str(d["name"])),
        "public_ranking": ranking,
        "previous": view.previous,
        "charts": charts,
        "method_ranks": method_ranks,
        "percent_suffix": PERCENT_SUFFIX[lang],
        "league_scroll": "table-scroll",
        "downloads": download_links(view.release.id, w, lang, shares=has_shares(view.release)),
        "shares_csv": f"/public/releases/{view.release.id}/shares.csv"
        if has_shares(view.release)
        else "",
    }


@router.get("/public/releases/{release_id}")
def public_release(request: Request, session: SessionDep, release_id: int) -> HTMLResponse:
    """One published release, in the reader's language."""
    lang = choose_language(request)
    view = get_public_release(session=session, release_id=release_id)
    staff = release_view(session, view.release, lang)
    return _page(request, "public/release.html", {**staff, **public_view(view, staff, lang)})


def chart_words(name: str, lang: str, *, percent: bool) -> ChartWords:
    """The title and axis of chart ``name`` in ``lang`` (percentages or mean scores)."""
    w = PUBLIC_TEXT[lang]
    axis = {
        "ranks": w["chart_axis_rank"],
        "change": w["chart_axis_change"] if percent else w["chart_axis_change_score"],
    }.get(name, w["chart_axis"] if percent else w["chart_axis_score"])
    return ChartWords(
        title=w.get(f"chart_{name}", name), axis=axis, suppressed=w["chart_suppressed"], lang=lang
    )


@router.get("/public/releases/{release_id}/charts/{name}.svg")
def public_release_chart(
    request: Request, session: SessionDep, release_id: int, name: str
) -> Response:
    """A chart of a published release as SVG (``domains``, ``elements``, ``ranks``, ``change``)."""
    lang = choose_language(request)
    view = get_public_release(session=session, release_id=release_id)
    svg = release_chart(
        session=session,
        release=view.release,
        view=view,
        name=name,
        words=chart_words(name, lang, percent=view.percent),
        overall_label=PUBLIC_TEXT[lang]["chart_overall"],
        names=domain_names(view, lang),
    )
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": SVG_POLICY},
    )
