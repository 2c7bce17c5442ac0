"""Rank intervals from a release's stored estimates and standard errors.

A release stores rank intervals for agencies only (:func:`analysis.comparisons.rank_domains` on
the agency table, with the design covariance). Its other domains (provinces) carry estimates and
SEs but no ranking, and the stored, hashed results must not change; so the public site ranks
them here, from the stored figures alone:

    theta*_g ~ N(estimate_g, se_g^2), independently, b = 1..B draws with a fixed seed,

rank each draw (1 = highest), and take the central ``level`` interval of each domain's simulated
ranks (Goldstein & Spiegelhalter 1996; the same simulation as ``rank_domains``, without the
covariance between domains, which the stored results do not keep: domains that cut across
strata are close to independent, and ignoring a positive covariance only widens the intervals).
Tiers follow :class:`analysis.comparisons.Ranking`: a tier opens at the best domain not yet
placed and takes the next ones up to the first whose best rank is worse than the opener's worst.
Same inputs, same seed, same intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

RANK_DRAWS = 4000
RANK_SEED = 20240601


@dataclass(frozen=True)
class RankInterval:
    """One ranked domain, best first."""

    domain: str
    estimate: float
    se: float
    rank: int
    rank_lower: int
    rank_upper: int
    tier: int


def _tiers(lower: NDArray[np.int64], upper: NDArray[np.int64]) -> NDArray[np.int64]:
    # A loop over tiers (each opener depends on the previous tier), not over rows.
    tier = np.empty(lower.shape[0], dtype=np.int64)
    start, number = 0, 1
    while start < lower.shape[0]:
        joins = np.flatnonzero(lower[start:] > upper[start])
        stop = start + (int(joins[0]) if joins.size else lower.shape[0] - start)
        tier[start:stop] = number
        start, number = stop, number + 1
    return tier


def rank_estimates(
    domains: Sequence[str],
    estimate: Sequence[float],
    se: Sequence[float],
    *,
    level: float = 0.95,
    n_draws: int = RANK_DRAWS,
    seed: int = RANK_SEED,
) -> list[RankInterval]:
    """Rank ``domains`` on ``estimate`` (highest first) with simulated rank intervals.

    Parameters
    ----------
    domains, estimate, se
        One entry per domain; domains without a finite estimate and SE must be left out by the
        caller (a suppressed domain is scored nowhere, so it is not ranked).
    level
        Coverage of the rank intervals.
    n_draws, seed
        Draws from the normal approximation and the seed of ``numpy.random.default_rng``.

    Returns
    -------
    list of RankInterval
        Best first; ties in the estimate are broken by the domain's name so the order does not
        depend on the stored order.
    """
    est = np.asarray(estimate, dtype=np.float64)
    sd = np.asarray(se, dtype=np.float64)
    names = np.asarray(list(domains), dtype=str)
    if not (est.shape == sd.shape == names.shape):
        raise ValueError("domains, estimate and se must have the same length")
    if est.size == 0:
        return []
    if not (np.all(np.isfinite(est)) and np.all(np.isfinite(sd)) and np.all(sd >= 0)):
        raise ValueError("every ranked domain needs a finite estimate and a non-negative SE")
    order = np.lexsort((names, -est))
    est, sd, names = est[order], sd[order], names[order]
    rng = np.random.default_rng(seed)
    draws = est + rng.standard_normal((n_draws, est.size)) * sd
    simulated = np.empty(draws.shape, dtype=np.int64)
    by_draw = np.argsort(-draws, axis=1, kind="stable")
    np.put_along_axis(simulated, by_draw, np.arange(1, est.size + 1)[None, :], axis=1)
    alpha = 1.0 - level
    lower = np.quantile(simulated, alpha / 2.0, axis=0, method="lower").astype(np.int64)
    upper = np.quantile(simulated, 1.0 - alpha / 2.0, axis=0, method="higher").astype(np.int64)
    tier = _tiers(lower, upper)
    return [
        RankInterval(
            domain=str(names[i]),
            estimate=float(est[i]),
            se=float(sd[i]),
            rank=i + 1,
            rank_lower=int(lower[i]),
            rank_upper=int(upper[i]),
            tier=int(tier[i]),
        )
        for i in range(est.size)
    ]


# --- Classification bands --------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A classification band: values at or above ``lower`` (and below the next band's bound)."""

    lower: float
    vi: str
    en: str

    def label(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


# Working choice, not an official scale: DOMAIN.md gives no official bands. Ten-point steps of
# the share satisfied, the words of a school report; a release may give its own (``bands``).
DEFAULT_SHARE_BANDS: tuple[Band, ...] = (
    Band(0.90, "Rất tốt", "Very good"),
    Band(0.80, "Tốt", "Good"),
    Band(0.70, "Khá", "Fair"),
    Band(0.60, "Trung bình", "Average"),
    Band(0.0, "Thấp", "Low"),
)
# The same working choice on the 1-5 mean-score scale (half-point steps from 4.5).
DEFAULT_SCORE_BANDS: tuple[Band, ...] = (
    Band(4.5, "Rất tốt", "Very good"),
    Band(4.0, "Tốt", "Good"),
    Band(3.5, "Khá", "Fair"),
    Band(3.0, "Trung bình", "Average"),
    Band(1.0, "Thấp", "Low"),
)


def parse_bands(value: object) -> tuple[Band, ...]:
    """Bands from ``[[lower, label_vi, label_en], ...]`` (or mappings with those keys), highest
    first; bounds strictly decreasing, labels not blank.

    Raises
    ------
    ValueError
        Naming the entry at fault and the fix.
    """
    if not isinstance(value, list | tuple) or not value:
        raise ValueError("give a list of [lower bound, Vietnamese label, English label]")
    bands: list[Band] = []
    for i, entry in enumerate(value):
        if isinstance(entry, Band):
            bands.append(entry)
            continue
        if isinstance(entry, dict):
            entry = [entry.get("lower"), entry.get("vi"), entry.get("en")]
        if not isinstance(entry, list | tuple) or len(entry) != 3:
            raise ValueError(f"band {i}: give [lower bound, Vietnamese label, English label]")
        lower, vi, en = entry
        if isinstance(lower, bool) or not isinstance(lower, int | float) or lower != lower:
            raise ValueError(f"band {i}: the lower bound {lower!r} is not a number")
        if not (isinstance(vi, str) and vi.strip() and isinstance(en, str) and en.strip()):
            raise ValueError(f"band {i}: give both labels, Vietnamese and English")
        bands.append(Band(float(lower), vi.strip(), en.strip()))
    for i in range(1, len(bands)):
        if bands[i].lower >= bands[i - 1].lower:
            raise ValueError(f"band {i}: list the bands highest first, bounds strictly decreasing")
    return tuple(bands)


def bands_json(bands: Sequence[Band]) -> list[list[float | str]]:
    """The stored form of ``bands`` (what :func:`parse_bands` reads back)."""
    return [[b.lower, b.vi, b.en] for b in bands]


def band_of(value: float, bands: Sequence[Band]) -> Band | None:
    """The highest band whose lower bound ``value`` reaches; None below every band."""
    for band in bands:
        if value >= band.lower:
            return band
    return None


@dataclass(frozen=True)
class Classification:
    """A unit's band from its estimate, and whether its interval reaches into another band
    (``straddles``: the band is uncertain; ``lowest``/``highest`` are the bands of the
    interval's ends)."""

    band: Band | None
    lowest: Band | None
    highest: Band | None

    @property
    def straddles(self) -> bool:
        return self.lowest != self.highest


def classify(
    estimate: float, ci_lower: float | None, ci_upper: float | None, bands: Sequence[Band]
) -> Classification:
    """Band of ``estimate``; the interval's ends give the bands it could be in."""
    lower = estimate if ci_lower is None else ci_lower
    upper = estimate if ci_upper is None else ci_upper
    return Classification(band_of(estimate, bands), band_of(lower, bands), band_of(upper, bands))


# --- Leagues: a release's ranking as published --------------------------------------------------

TOP = 5


@dataclass(frozen=True)
class LeagueUnit:
    """A scored unit of a league: its figures, rank interval (None when not ranked, with the
    reason) and classification."""

    code: str
    estimate: float
    ci_lower: float | None
    ci_upper: float | None
    n_respondents: int
    flag: str
    rank: int | None
    rank_lower: int | None
    rank_upper: int | None
    tier: int | None
    not_ranked: str | None
    classification: Classification


@dataclass(frozen=True)
class LeagueBlock:
    """The units of one block: ranked ones best first, then those scored but not ranked."""

    block: str | None
    ranked: tuple[LeagueUnit, ...]
    not_ranked: tuple[LeagueUnit, ...]

    @property
    def top(self) -> tuple[LeagueUnit, ...]:
        """The five highest ranked units, best first."""
        return self.ranked[:TOP]

    @property
    def bottom(self) -> tuple[LeagueUnit, ...]:
        """The five lowest ranked units, worst first."""
        return tuple(reversed(self.ranked[-TOP:]))

    @property
    def minimum(self) -> LeagueUnit | None:
        """The lowest estimate among the ranked units (the range is among ranked units)."""
        return min(self.ranked, key=lambda u: u.estimate, default=None)

    @property
    def maximum(self) -> LeagueUnit | None:
        return max(self.ranked, key=lambda u: u.estimate, default=None)


@dataclass(frozen=True)
class League:
    """A release's ranking of one kind of unit (``unit``: the column ranked, e.g.
    ``agency_code`` or ``province_code``) on ``node``, block by block.

    ``source`` is ``"stored"`` (the release's own ranking, design covariance) or
    ``"simulated"`` (from the stored estimates and SEs, :func:`rank_estimates`);
    ``bands_default`` says the bands are the working default, not the release's own."""

    unit: str
    node: str
    source: str
    blocks_column: str | None
    min_ranked: int | None
    bands: tuple[Band, ...]
    bands_default: bool
    blocks: tuple[LeagueBlock, ...]

    @property
    def n_ranked(self) -> int:
        return sum(len(b.ranked) for b in self.blocks)

    @property
    def n_not_ranked(self) -> int:
        return sum(len(b.not_ranked) for b in self.blocks)


@dataclass(frozen=True)
class LeagueEntry:
    """What a league is built from: one scored unit with its block and rank (or reason)."""

    code: str
    estimate: float
    ci_lower: float | None
    ci_upper: float | None
    n_respondents: int
    flag: str
    block: str | None
    rank: int | None = None
    rank_lower: int | None = None
    rank_upper: int | None = None
    tier: int | None = None
    not_ranked: str | None = None


def ranking_bands(parameters: Mapping[str, object]) -> tuple[tuple[Band, ...], bool]:
    """The release's recorded bands, else the working default for its rule; and whether the
    default was used."""
    ranking = parameters.get("ranking")
    stored = ranking.get("bands") if isinstance(ranking, Mapping) else None
    if stored:
        return parse_bands(stored), False
    score = parameters.get("rule") == "mean-score"
    return (DEFAULT_SCORE_BANDS if score else DEFAULT_SHARE_BANDS), True


def build_league(
    *,
    unit: str,
    node: str,
    source: str,
    blocks_column: str | None,
    min_ranked: int | None,
    bands: tuple[Band, ...],
    bands_default: bool,
    entries: Sequence[LeagueEntry],
) -> League:
    """Group ``entries`` by block (blocks in sorted order, units best first by rank, not-ranked
    ones by decreasing estimate then code) and classify each unit."""
    grouped: dict[str | None, list[LeagueEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.block, []).append(entry)

    def unit_of(e: LeagueEntry) -> LeagueUnit:
        return LeagueUnit(
            code=e.code,
            estimate=e.estimate,
            ci_lower=e.ci_lower,
            ci_upper=e.ci_upper,
            n_respondents=e.n_respondents,
            flag=e.flag,
            rank=e.rank,
            rank_lower=e.rank_lower,
            rank_upper=e.rank_upper,
            tier=e.tier,
            not_ranked=e.not_ranked,
            classification=classify(e.estimate, e.ci_lower, e.ci_upper, bands),
        )

    blocks = []
    for block in sorted(grouped, key=lambda b: "" if b is None else b):
        members = grouped[block]
        ranked = sorted((e for e in members if e.rank is not None), key=lambda e: e.rank or 0)
        rest = sorted((e for e in members if e.rank is None), key=lambda e: (-e.estimate, e.code))
        blocks.append(
            LeagueBlock(
                block=block,
                ranked=tuple(unit_of(e) for e in ranked),
                not_ranked=tuple(unit_of(e) for e in rest),
            )
        )
    return League(
        unit=unit,
        node=node,
        source=source,
        blocks_column=blocks_column,
        min_ranked=min_ranked,
        bands=bands,
        bands_default=bands_default,
        blocks=tuple(blocks),
    )


def _unit_json(u: LeagueUnit) -> dict[str, object]:
    c = u.classification
    return {
        "code": u.code,
        "estimate": u.estimate,
        "ci_lower": u.ci_lower,
        "ci_upper": u.ci_upper,
        "n_respondents": u.n_respondents,
        "flag": u.flag,
        "rank": u.rank,
        "rank_lower": u.rank_lower,
        "rank_upper": u.rank_upper,
        "tier": u.tier,
        "not_ranked": u.not_ranked,
        "band": None if c.band is None else {"vi": c.band.vi, "en": c.band.en},
        "band_uncertain": c.straddles,
        "band_range": [None if b is None else b.en for b in (c.lowest, c.highest)],
    }


def league_json(league: League) -> dict[str, object]:
    """A league as JSON-ready data: its choices, then each block with its ranked units, the
    units scored but not ranked, the top and bottom five (codes) and the range."""
    return {
        "unit": league.unit,
        "node": league.node,
        "source": league.source,
        "blocks_column": league.blocks_column,
        "min_ranked": league.min_ranked,
        "bands": bands_json(league.bands),
        "bands_default": league.bands_default,
        "blocks": [
            {
                "block": b.block,
                "ranked": [_unit_json(u) for u in b.ranked],
                "not_ranked": [_unit_json(u) for u in b.not_ranked],
                "top": [u.code for u in b.top],
                "bottom": [u.code for u in b.bottom],
                "range": None
                if b.minimum is None or b.maximum is None
                else {
                    "min": b.minimum.estimate,
                    "min_code": b.minimum.code,
                    "max": b.maximum.estimate,
                    "max_code": b.maximum.code,
                },
            }
            for b in league.blocks
        ],
    }
