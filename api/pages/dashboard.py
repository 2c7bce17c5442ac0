"""The analyst dashboard, ``/staff/dashboard``: one release's charts and tables beside another's.

A GET form (works without JavaScript, bookmarkable): choose a campaign, one of its releases
(drafts too), what to compare it with (by default the previous published round, as on the public
site; or any other release) and a unit. The page shows the four charts, the overall table per
unit with the compared figure and the change, the chosen unit's profile (elements and criteria),
every zero-width or unstable interval, and the download links. Figures come from
:func:`survey.public_releases.release_view`; nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep
from api.i18n import DASHBOARD_TEXT, PUBLIC_TEXT, choose_language
from api.pages.coordinator import StaffRoute, render
from api.pages.public import chart_words, domain_names, public_view
from api.pages.releases import format_cell, release_view
from api.policy import AsAnalyst, Caller
from survey.campaigns import list_campaigns
from survey.models import IndexRelease
from survey.public_releases import PublicRelease, interval_warning, row_key
from survey.public_releases import release_view as figures_view
from survey.release_charts import release_chart
from survey.releases import get_release, list_releases

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
DOCUMENTS: tuple[tuple[str, str], ...] = (
    ("doc_pdf", "release.pdf"),
    ("doc_xlsx", "release.xlsx"),
    ("doc_csv", "release.csv"),
    ("doc_dictionary", "dictionary.csv"),
    ("doc_json", "release.json"),
)


def _view(
    session: SessionDep, caller: Caller, release_id: int, compare_id: int | None
) -> PublicRelease:
    release = get_release(session=session, release_id=release_id, scope=caller.scope)
    other = (
        get_release(session=session, release_id=compare_id, scope=caller.scope)
        if compare_id is not None and compare_id != release_id
        else None
    )
    return figures_view(session=session, release=release, compare_with=other)


def _warnings(
    view: PublicRelease, names: Mapping[str, str], labels: Mapping[str, str], lang: str
) -> list[dict[str, Any]]:
    """Every zero-width or unstable interval of the release, named."""
    w = PUBLIC_TEXT[lang]
    found: list[dict[str, Any]] = []
    for row in view.rows:
        warning = interval_warning(row)
        if warning is None:
            continue
        domain, node = row_key(row)
        found.append(
            {
                "unit": names.get(domain, domain) if domain else DASHBOARD_TEXT[lang]["domain_all"],
                "node": labels.get(node, node),
                "cell": format_cell(row, lang=lang, percent=view.percent),
                "warning": w[f"warn_{warning}"],
                "kind": warning,
            }
        )
    return found


def _profile(
    view: PublicRelease, domain: str, labels: Mapping[str, str], lang: str
) -> list[dict[str, Any]]:
    """Every node of one unit (overall, elements, criteria) with the compared figure."""
    w = PUBLIC_TEXT[lang]
    rows = []
    for row in view.rows:
        key = row_key(row)
        if key[0] != domain:
            continue
        before = view.previous_rows.get(key)
        warning = interval_warning(row)
        rows.append(
            {
                "label": labels.get(key[1], key[1]),
                "level": row.node_level,
                "cell": format_cell(row, lang=lang, percent=view.percent),
                "previous": None
                if before is None
                else format_cell(before, lang=lang, percent=view.percent),
                "n": row.n_respondents,
                "warning": "" if warning is None else w[f"warn_{warning}"],
            }
        )
    return rows


def _number_or_none(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


@router.get("/staff/dashboard")
def dashboard(
    request: Request,
    caller: AsAnalyst,
    session: SessionDep,
    settings: SettingsDep,
    campaign: str | None = None,
    release: str | None = None,
    compare: str | None = None,
    domain: str = "",
) -> Response:
    lang = choose_language(request)
    words = {**PUBLIC_TEXT[lang], **DASHBOARD_TEXT[lang]}
    campaign_id = _number_or_none(campaign)
    release_id = _number_or_none(release)
    compare_id = _number_or_none(compare)
    chosen: IndexRelease | None = None
    if release_id is not None:
        chosen = get_release(session=session, release_id=release_id, scope=caller.scope)
        campaign_id = chosen.campaign_id
    releases = (
        list_releases(session=session, campaign_id=campaign_id, scope=caller.scope)
        if campaign_id is not None
        else []
    )
    if chosen is None and releases:
        chosen = releases[0]
    context: dict[str, Any] = {
        "w": words,
        "campaigns": list_campaigns(session=session, scope=caller.scope),
        "campaign_id": campaign_id,
        "releases": releases,
        "chosen": chosen,
        "others": [],
        "compare_id": compare_id,
        "domain": domain,
    }
    if chosen is not None and chosen.id is not None:
        view = _view(session, caller, chosen.id, compare_id)
        staff = release_view(session, chosen, lang)
        names = domain_names(view, lang)
        labels = dict(staff["columns"])
        labels.update(_all_labels(staff))
        shown = public_view(view, staff, lang)
        query = f"?lang={lang}" + (f"&compare={compare_id}" if compare_id is not None else "")
        context.update(
            {
                **staff,
                **shown,
                # Drafts too: the staff route, not the public one public_view links.
                "shares_csv": staff["shares_csv"],
                "view": view,
                "others": [
                    r
                    for r in list_releases(session=session, scope=caller.scope)
                    if r.id != chosen.id
                ],
                "domain_options": sorted(names.items(), key=lambda item: item[1]),
                "profile": _profile(view, domain, labels, lang) if domain in names else [],
                "profile_name": names.get(domain, ""),
                "interval_warnings": _warnings(view, names, labels, lang),
                "chart_query": query,
                "documents": [
                    (words[key], f"/api/releases/{chosen.id}/{file}") for key, file in DOCUMENTS
                ],
            }
        )
    return render(request, "releases/dashboard.html", context, user=caller, settings=settings)


def _all_labels(staff: Mapping[str, Any]) -> dict[str, str]:
    # The staff view names overall and element nodes; criteria keep their row label.
    return {str(r["node"]): str(r["label"]) for r in staff.get("overall_rows", [])}


@router.get("/staff/dashboard/releases/{release_id}/charts/{name}.svg")
def dashboard_chart(
    request: Request,
    caller: AsAnalyst,
    session: SessionDep,
    release_id: int,
    name: str,
    compare: str | None = None,
) -> Response:
    """A chart of any release the analyst may read, compared with ``compare`` if given."""
    lang = choose_language(request)
    view = _view(session, caller, release_id, _number_or_none(compare))
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
        svg, media_type="image/svg+xml", headers={"Content-Security-Policy": SVG_POLICY}
    )
