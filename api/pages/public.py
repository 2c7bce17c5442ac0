"""The public site of published releases under ``/public``: no sign-in, no JavaScript.

``/public`` lists the published and superseded releases; ``/public/releases/{id}`` shows one:
the overall figures with their intervals, the ranking with rank intervals, the overall index by
unit, two charts, the SHA-256 and data fingerprint to cite it, and a plain method note.
Drafts and releases under review answer 404. Figures are the stored ones, formatted by the
same helpers as the staff page (:func:`api.pages.releases.release_view`); the charts come from
:mod:`survey.release_charts` as ``image/svg+xml`` and are embedded with ``<img>``, so the
page's CSP (no inline style) holds; the SVG response carries its own stricter policy.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.i18n import PUBLIC_TEXT, choose_language, remember_language
from api.pages.coordinator import TEMPLATES, StaffRoute
from api.pages.releases import release_view
from api.policy import Public
from survey.disclosure import K as DISCLOSURE_K
from survey.release_charts import ChartWords, get_published_release, render_release_chart
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


@router.get("/public/releases/{release_id}")
def public_release(request: Request, session: SessionDep, release_id: int) -> HTMLResponse:
    """One published release, in the reader's language."""
    lang = choose_language(request)
    release = get_published_release(session=session, release_id=release_id)
    view = release_view(session, release, lang)
    return _page(
        request,
        "public/release.html",
        {**view, "charts": [("domains", "chart_domains"), ("elements", "chart_elements")]},
    )


@router.get("/public/releases/{release_id}/charts/{name}.svg")
def public_release_chart(
    request: Request, session: SessionDep, release_id: int, name: str
) -> Response:
    """A chart of a published release as SVG (``domains`` or ``elements``)."""
    lang = choose_language(request)
    w = PUBLIC_TEXT[lang]
    release = get_published_release(session=session, release_id=release_id)
    percent = release.parameters.get("rule") != "mean-score"
    words = ChartWords(
        title=w.get(f"chart_{name}", name),
        axis=w["chart_axis"] if percent else w["chart_axis_score"],
        suppressed=w["chart_suppressed"],
        lang=lang,
    )
    svg = render_release_chart(
        session=session,
        release_id=release_id,
        name=name,
        words=words,
        overall_label=w["chart_overall"],
    )
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": SVG_POLICY},
    )
