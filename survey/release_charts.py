"""SVG charts of a published release: indices with their intervals, drawn on the server.

Two charts, both read from the stored results of a published (or superseded) release, never
recomputed:

- ``domains``: a dot-and-whisker chart of the overall index per domain (agency or province) with
  its interval, sorted from highest to lowest; suppressed domains get no marker (their
  estimate is not stored) and are named in the description instead.
- ``elements``: the profile of the campaign's elements (and the overall index) with intervals,
  in questionnaire order.

Matplotlib draws them through its SVG backend alone (no pyplot, no Agg, no display), with the
fonts it ships (DejaVu, which covers Vietnamese), text kept as ``<text>`` so the file stays
small and searchable. Output is byte-for-byte reproducible: ``svg.hashsalt`` fixes the element
ids and the metadata carries no date. Each SVG opens with a ``<title>`` and a ``<desc>`` that
spells the figures out for screen readers.
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
from matplotlib.typing import RcKeyType
from sqlmodel import Session

from survey.errors import NotFound, Problem
from survey.models import IndexRelease, Questionnaire
from survey.models.releases import FROZEN_STATUSES

CHART_NAMES: tuple[str, ...] = ("domains", "elements")
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


def get_published_release(*, session: Session, release_id: int) -> IndexRelease:
    """A published or superseded release, or :class:`NotFound` (drafts and releases under
    review do not exist for the public)."""
    release = session.get(IndexRelease, release_id)
    if release is None or release.status not in FROZEN_STATUSES:
        raise NotFound(
            f"no published release {release_id}",
            [Problem(("release_id",), "choose a release from the list of published releases")],
        )
    return release


def _is_percent(release: IndexRelease) -> bool:
    return release.parameters.get("rule") != "mean-score"


def domain_points(rows: Sequence[Mapping[str, Any]]) -> tuple[list[ChartPoint], list[str]]:
    """Overall index per domain, highest first, and the names of the suppressed domains."""
    points: list[ChartPoint] = []
    suppressed: list[str] = []
    for r in rows:
        if not r.get("domain") or r.get("node") != "overall":
            continue
        if r.get("flag") == "suppressed" or r.get("estimate") is None:
            suppressed.append(str(r["domain_name"]))
            continue
        points.append(_point(str(r["domain_name"]), r))
    # Ties broken by name, so the order never depends on the stored order.
    points.sort(key=lambda p: (-p.estimate, p.label))
    return points, sorted(suppressed)


def element_points(
    rows: Sequence[Mapping[str, Any]], labels: Mapping[str, str]
) -> tuple[list[ChartPoint], list[str]]:
    """The overall index and each element's, whole campaign, in questionnaire order."""
    points: list[ChartPoint] = []
    suppressed: list[str] = []
    for r in rows:
        if r.get("domain") or r.get("level") not in ("overall", "element"):
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


def _number(value: float, *, percent: bool, lang: str) -> str:
    text = f"{value * 100:.1f}" if percent else f"{value:.2f}"
    return text.replace(".", ",") if lang == "vi" else text


def describe_points(
    points: Sequence[ChartPoint], suppressed: Sequence[str], words: ChartWords, *, percent: bool
) -> str:
    """The chart in words: every marker with its interval, then the suppressed names."""
    unit = " %" if percent and words.lang == "vi" else ("%" if percent else "")
    parts = [
        f"{p.label}: {_number(p.estimate, percent=percent, lang=words.lang)}{unit} "
        f"({_number(p.ci_lower, percent=percent, lang=words.lang)}–"
        f"{_number(p.ci_upper, percent=percent, lang=words.lang)})"
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
) -> str:
    """A horizontal dot-and-whisker chart, first point on top, as an SVG document."""
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
    if percent:
        axes.set_xlim(0.0, 100.0)
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
    labels: dict[str, str] = {}
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
) -> str:
    """The chart ``name`` (one of :data:`CHART_NAMES`) of a published release, as SVG text."""
    if name not in CHART_NAMES:
        raise NotFound(
            f"no chart {name!r}",
            [Problem(("name",), f"use one of {', '.join(CHART_NAMES)}")],
        )
    release = get_published_release(session=session, release_id=release_id)
    rows: Sequence[Mapping[str, Any]] = release.results.get("rows", [])
    if name == "domains":
        points, suppressed = domain_points(rows)
    else:
        labels = {"overall": overall_label, **_element_labels(session, release, words.lang)}
        points, suppressed = element_points(rows, labels)
    percent = _is_percent(release)
    description = describe_points(points, suppressed, words, percent=percent)
    return dot_whisker_svg(points, words, description=description, percent=percent)
