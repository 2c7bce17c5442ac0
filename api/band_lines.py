"""Classification bands written as lines, one band a line: ``lower bound; nhãn tiếng Việt;
English label``, highest first (the staff release form's field and ``sipas release compute
--bands FILE``). A decimal comma is read as a point ("0,9"). What
:func:`survey.release_rankings.parse_bands` checks is checked here too, line by line, so the
person is told which line to fix.
"""

from __future__ import annotations

from survey.errors import Problem


def parse_band_lines(text: str, problems: list[Problem]) -> list[list[float | str]] | None:
    """The bands' lines as ``[lower, vi, en]``, highest first (None when ``text`` is blank);
    each bad line appends a problem on ``bands`` naming its line (1-based) and the fix."""
    bands: list[list[float | str]] = []
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    for n, line in lines:
        parts = [part.strip() for part in line.split(";")]
        if len(parts) != 3:
            problems.append(
                Problem(("bands",), f"bands, line {n}: write lower bound; Vietnamese; English")
            )
            continue
        try:
            lower = float(parts[0].replace(",", "."))
        except ValueError:
            problems.append(
                Problem(
                    ("bands",), f"bands, line {n}: the lower bound {parts[0]!r} is not a number"
                )
            )
            continue
        if lower != lower or lower in (float("inf"), float("-inf")):
            problems.append(Problem(("bands",), f"bands, line {n}: the lower bound is not finite"))
            continue
        if not (parts[1] and parts[2]):
            problems.append(
                Problem(("bands",), f"bands, line {n}: give both labels, Vietnamese and English")
            )
            continue
        if bands and lower >= float(bands[-1][0]):
            problems.append(
                Problem(("bands",), f"bands, line {n}: write the bands highest bound first")
            )
            continue
        bands.append([lower, parts[1], parts[2]])
    return bands or None
