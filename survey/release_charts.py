"""SVG charts of a published release: indices with their intervals, drawn on the server.

Read from the stored results of a published (or superseded) release, never recomputed:

- ``domains``: a dot-and-whisker chart of the overall index per domain (agency or province) with
  its interval, sorted from highest to lowest; suppressed domains get no marker (their
  estimate is not stored) and are named in the description instead.
- ``elements``: the profile of the campaign's elements (and the overall index) with intervals,
  in questionnaire order.
- ``ranks``: each ranked domain's rank (dot) and rank interval (whisker), best on top
  (:mod:`survey.public_releases` says where the intervals come from).
- ``change``: the change of each domain's overall index since the previous round, with the
  interval of the difference and a line at no change; only when there is a previous round.

Matplotlib draws them through its SVG backend alone (no pyplot, no Agg, no display), with the
fonts it ships (DejaVu, which covers Vietnamese), text kept as ``<text>`` so the file stays
small and searchable. Output is byte-for-byte reproducible: ``svg.hashsalt`` fixes the element
ids and the metadata carries no date. Each SVG opens with a ``<title>`` and a ``<desc>`` that
spells the figures out for screen readers; the pages also carry the same figures as tables.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType
from sqlmodel import Session

from survey.errors import NotFound, Problem
from survey.models import IndexRelease, Questionnaire
from survey.public_releases import PublicRelease, get_published_release, release_view
from survey.release_rows import index_titles, release_root

CHART_NAMES: tuple[str, ...] = ("domains", "elements", "ranks", "change")
# Charts drawn from a release view (ranking, previous round) rather than its rows alone.
VIEW_CHARTS: frozenset[str] = frozenset({"ranks", "change"})
# Ids in the SVG derive from this salt instead of a random one: same release, same bytes.
_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "sipas-release-chart",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
}
# rc_context changes matplotlib's global settings; pages render in a thread pool.
_LOCK = threading.Lock()
ESTIMATES_GID = "estimates"
INTERVALS_GID = "intervals"


@dataclass(frozen=True)
class ChartPoint:
    """One marker and its whisker: a label, the estimate and the interval, on the 0-1 scale
    (or the score scale for mean-score releases)."""

    label: str
    estimate: float
    ci_lower: float
    ci_upper: float


@dataclass(frozen=True)
class ChartWords:
    """What the chart says, in the reader's language (from ``api.i18n``)."""

    title: str
    axis: str
    suppressed: str  # followed by the names of suppressed domains
    lang: str


def _is_percent(release: IndexRelease) -> bool:
    return release.parameters.get("rule") != "mean-score"


def domain_points(
    rows: Sequence[Mapping[str, Any]],
    names: Mapping[str, str] | None = None,
    root: str = "overall",
) -> tuple[list[ChartPoint], list[str]]:
    """The root index (``root``: overall, or sipas on the national form) per domain, highest
    first, and the names of the suppressed domains.

    ``names`` maps a stored domain name (a code) to what a reader sees (an agency's name).
    """
    named = names or {}
    points: list[ChartPoint] = []
    suppressed: list[str] = []
    for r in rows:
        if not r.get("domain") or r.get("node") != root:
            continue
        label = named.get(str(r["domain_name"]), str(r["domain_name"]))
        if r.get("flag") == "suppressed" or r.get("estimate") is None:
            suppressed.append(label)
            continue
        points.append(_point(label, r))
    # Ties broken by name, so the order never depends on the stored order.
    points.sort(key=lambda p: (-p.estimate, p.label))
    return points, sorted(suppressed)


def element_points(
    rows: Sequence[Mapping[str, Any]], labels: Mapping[str, str]
) -> tuple[list[ChartPoint], list[str]]:
    """The root index, the national form's indices and each element's, whole campaign, in
    questionnaire order."""
    points: list[ChartPoint] = []
    suppressed: list[str] = []
    for r in rows:
        if r.get("domain") or r.get("level") not in ("overall", "index", "element"):
            continue
        label = labels.get(str(r["node"]), str(r["node"]))
        if r.get("flag") == "suppressed" or r.get("estimate") is None:
            suppressed.append(label)
            continue
        points.append(_point(label, r))
    return points, suppressed


def _point(label: str, r: Mapping[str, Any]) -> ChartPoint:
    estimate = float(r["estimate"])
    lower = r.get("ci_lower")
    upper = r.get("ci_upper")
    return ChartPoint(
        label=label,
        estimate=estimate,
        ci_lower=estimate if lower is None else float(lower),
        ci_upper=estimate if upper is None else float(upper),
    )


def rank_points(view: PublicRelease, names: Mapping[str, str] | None = None) -> list[ChartPoint]:
    """Each ranked domain's rank and rank interval, best first."""
    named = names or {}
    return [
        ChartPoint(
            label=named.get(d.domain_name, d.domain_name),
            estimate=float(d.rank),
            ci_lower=float(d.rank_lower),
            ci_upper=float(d.rank_upper),
        )
        for d in view.ranking
    ]


def change_points(view: PublicRelease, names: Mapping[str, str] | None = None) -> list[ChartPoint]:
    """Change of each domain's root index since the previous round, largest rise first."""
    named = names or {}
    root = release_root(view.release)
    points = [
        ChartPoint(
            label=named.get(domain, domain),
            estimate=change.estimate,
            ci_lower=change.ci_lower,
            ci_upper=change.ci_upper,
        )
        for (domain, node), change in view.changes.items()
        if domain and node == root
    ]
    points.sort(key=lambda p: (-p.estimate, p.label))
    return points


def _number(value: float, *, percent: bool, lang: str, digits: int | None = None) -> str:
    if digits is None:
        digits = 1 if percent else 2
    text = f"{value * (100 if percent else 1):.{digits}f}"
    return text.replace(".", ",") if lang == "vi" else text


def describe_points(
    points: Sequence[ChartPoint],
    suppressed: Sequence[str],
    words: ChartWords,
    *,
    percent: bool,
    unit: str | None = None,
    digits: int | None = None,
) -> str:
    """The chart in words: every marker with its interval, then the suppressed names."""
    if unit is None:
        unit = " %" if percent and words.lang == "vi" else ("%" if percent else "")
    lang = words.lang
    parts = [
        f"{p.label}: {_number(p.estimate, percent=percent, lang=lang, digits=digits)}{unit} "
        f"({_number(p.ci_lower, percent=percent, lang=lang, digits=digits)}–"
        f"{_number(p.ci_upper, percent=percent, lang=lang, digits=digits)})"
        for p in points
    ]
    text = "; ".join(parts) + "."
    if suppressed:
        text += f" {words.suppressed} {', '.join(suppressed)}."
    return text


def dot_whisker_svg(
    points: Sequence[ChartPoint],
    words: ChartWords,
    *,
    description: str,
    percent: bool,
    xlim: tuple[float, float] | None = None,
    reference: float | None = None,
    whole_numbers: bool = False,
) -> str:
    """A horizontal dot-and-whisker chart, first point on top, as an SVG document.

    ``xlim`` overrides the axis (0-100 for percentages otherwise); ``reference`` draws a line
    there (no change, for differences); ``whole_numbers`` puts ticks on integers (ranks).
    """
    n = max(len(points), 1)
    scale = 100.0 if percent else 1.0
    figure = Figure(figsize=(7.0, 1.0 + 0.32 * n), layout="constrained")
    FigureCanvasSVG(figure)
    axes = figure.subplots()
    y = list(range(len(points)))[::-1]
    est = [p.estimate * scale for p in points]
    lower = [(p.estimate - p.ci_lower) * scale for p in points]
    upper = [(p.ci_upper - p.estimate) * scale for p in points]
    if points:
        bars = axes.errorbar(
            est, y, xerr=[lower, upper], fmt="none", ecolor="#1d4f91", elinewidth=1.4, capsize=3
        )
        for line in bars.lines[2]:
            line.set_gid(INTERVALS_GID)
        (dots,) = axes.plot(est, y, "o", color="#1d4f91", markersize=5.5)
        dots.set_gid(ESTIMATES_GID)
    axes.set_yticks(y, [p.label for p in points])
    axes.set_ylim(-0.7, n - 0.3)
    if xlim is not None:
        axes.set_xlim(*xlim)
    elif percent and reference is None:
        axes.set_xlim(0.0, 100.0)
    if whole_numbers:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if reference is not None:
        axes.axvline(reference * scale, color="#5a5f66", linewidth=1.0, linestyle="--")
    axes.set_xlabel(words.axis)
    axes.grid(axis="x", color="#d0d4da", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    buffer = io.StringIO()
    with _LOCK, matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _with_title(buffer.getvalue(), words.title, description)


def _with_title(svg: str, title: str, description: str) -> str:
    """Name the image for assistive technology: role, <title> and <desc> first in the SVG."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    head = svg[:end].replace(
        "<svg ", '<svg role="img" aria-labelledby="chart-title chart-desc" ', 1
    )
    accessible = (
        f'\n <title id="chart-title">{escape(title)}</title>'
        f'\n <desc id="chart-desc">{escape(description)}</desc>'
    )
    return head + ">" + accessible + svg[end + 1 :]


def _element_labels(session: Session, release: IndexRelease, lang: str) -> dict[str, str]:
    questionnaire_id = (release.parameters.get("questionnaire") or {}).get("id")
    questionnaire = (
        session.get(Questionnaire, questionnaire_id) if questionnaire_id is not None else None
    )
    labels: dict[str, str] = dict(
        index_titles(questionnaire.definition if questionnaire else None).get(lang, {})
    )
    for element in (questionnaire.definition if questionnaire else {}).get("elements", []):
        title = element.get("title", {})
        labels[element["code"]] = str(title.get(lang) or title.get("vi") or element["code"])
    return labels


def render_release_chart(
    *,
    session: Session,
    release_id: int,
    name: str,
    words: ChartWords,
    overall_label: str,
    names: Mapping[str, str] | None = None,
) -> str:
    """The chart ``name`` (one of :data:`CHART_NAMES`) of a published release, as SVG text.

    ``names`` maps domain codes to the names readers see; ``change`` is NotFound when the
    release has no previous round to compare with.
    """
    _check_name(name)
    release = get_published_release(session=session, release_id=release_id)
    view = release_view(session=session, release=release) if name in VIEW_CHARTS else None
    return release_chart(
        session=session,
        release=release,
        view=view,
        name=name,
        words=words,
        overall_label=overall_label,
        names=names,
    )


def _check_name(name: str) -> None:
    if name not in CHART_NAMES:
        raise NotFound(
            f"no chart {name!r}",
            [Problem(("name",), f"use one of {', '.join(CHART_NAMES)}")],
        )


def release_chart(
    *,
    session: Session,
    release: IndexRelease,
    view: PublicRelease | None,
    name: str,
    words: ChartWords,
    overall_label: str,
    names: Mapping[str, str] | None = None,
) -> str:
    """The chart ``name`` of any release the caller may read (the use case checked that);
    ``ranks`` and ``change`` need its ``view`` (:func:`survey.public_releases.release_view`)."""
    _check_name(name)
    if name in VIEW_CHARTS:
        if view is None:
            raise ValueError(f"the {name} chart needs the release's view")
        return _render_view_chart(view, name, words, names)
    rows: Sequence[Mapping[str, Any]] = release.results.get("rows", [])
    if name == "domains":
        points, suppressed = domain_points(rows, names, root=release_root(release))
    else:
        labels = {"overall": overall_label, **_element_labels(session, release, words.lang)}
        points, suppressed = element_points(rows, labels)
    percent = _is_percent(release)
    description = describe_points(points, suppressed, words, percent=percent)
    return dot_whisker_svg(points, words, description=description, percent=percent)


def _render_view_chart(
    view: PublicRelease, name: str, words: ChartWords, names: Mapping[str, str] | None
) -> str:
    if name == "ranks":
        points = rank_points(view, names)
        if not points:
            raise NotFound(
                "this release ranks no domains",
                [Problem(("name",), "use the domains chart: fewer than two units can be ranked")],
            )
        description = describe_points(points, [], words, percent=False, unit="", digits=0)
        return dot_whisker_svg(
            points,
            words,
            description=description,
            percent=False,
            xlim=(0.5, len(points) + 0.5),
            whole_numbers=True,
        )
    if view.previous is None:
        raise NotFound(
            "this release has no previous round",
            [Problem(("name",), "the change chart needs a published release of an earlier round")],
        )
    points = change_points(view, names)
    unit = " điểm %" if view.percent and words.lang == "vi" else (" pts" if view.percent else "")
    description = describe_points(points, [], words, percent=view.percent, unit=unit)
    return dot_whisker_svg(
        points, words, description=description, percent=view.percent, reference=0.0
    )
