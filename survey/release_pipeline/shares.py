"""Release step, shares: judgement questions as the design-based share of each answer, and
expectations as the share choosing the top categories ("Rất nhiều" or "Nhiều").

Which items are published, and how, comes from the questionnaire: a question carrying
``"publish_as": "shares"`` (each option's share) or ``"publish_as": "top_two"`` (the share
choosing one of ``publish_categories``, by default the first two options); a grid publishes
each of its rows (:func:`survey.questionnaires.validate_definition` checks the field).

For item j and category c the share in domain d is the Hájek ratio

    p_dc = sum_{i in d, B_j} w_i 1[a_ij in c] / sum_{i in d, B_j} w_i

over the item's base B_j: the respondents asked the item (its block's and its own ``show_if``
hold) who gave one of its answers. Respondents outside the base (not asked, or blank) count in
neither sum but stay in the design, so the variance is that of a domain (R
``svymean(~factor(a_j), subset(design, !is.na(a_j)))``, ``svyby`` for domains; Lumley 2010,
sec. 2.4), computed with the release's design and weights by
:func:`analysis.estimators.estimate_domain_means`. Intervals use the release's interval method
(:func:`analysis.intervals.proportion_interval_bounds`, R ``svyciprop``) on the degrees of
freedom of the domain's base rows (at least 1, as the index tables), with the exact fallback for
unanimous cells (:func:`analysis.intervals.exact_bounds_for_unanimous`). Cells are flagged and
suppressed as index cells are (the reliability rule, then k = 5 on the base count).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from analysis.design import DesignError
from analysis.estimators import Design, estimate_domain_means
from analysis.indices import CiMethod
from analysis.intervals import exact_bounds_for_unanimous, proportion_ci, proportion_interval_bounds
from analysis.reliability import ReliabilityRule, flag_cells
from analysis.replicates import ReplicateDesign
from survey.backchecks import not_excluded
from survey.disclosure import suppress_small_cells
from survey.errors import InvalidInput, Problem
from survey.models import Response
from survey.questionnaires import GRID_TYPES, condition_met, grid_options
from survey.release_pipeline.disclosure import finite
from survey.release_pipeline.rows import ResponseRows
from survey.release_rows import WHOLE_CAMPAIGN, ShareItem, ShareRow

TOP_CATEGORIES_DEFAULT = 2


@dataclass(frozen=True)
class PublishedItem:
    """One answer key a release publishes as shares.

    Attributes
    ----------
    item : str
        The answer key (the question's code, or a grid row's).
    question : str
    publish_as : {"shares", "top_two"}
    options : tuple of str
        The answer options, in the form's order.
    cells : tuple of (str, tuple of str)
        Each published cell: its name and the options it counts (one option per cell for
        ``shares``; one cell ``"very_much+much"`` counting both for ``top_two``).
    conditions : tuple of mapping
        The ``show_if`` of the item's block and of its question (both must hold).
    """

    item: str
    question: str
    publish_as: str
    options: tuple[str, ...]
    cells: tuple[tuple[str, tuple[str, ...]], ...]
    conditions: tuple[Mapping[str, Any], ...]


def _text(value: Any) -> dict[str, str]:
    text = value if isinstance(value, Mapping) else {}
    return {"vi": str(text.get("vi", "")), "en": str(text.get("en") or text.get("vi", ""))}


def published_items(definition: Mapping[str, Any]) -> tuple[list[PublishedItem], list[ShareItem]]:
    """The items a release publishes as shares, and their wording (one :class:`ShareItem` per
    question), in questionnaire order; both empty for a form without ``publish_as``."""
    blocks = {b.get("code"): b for b in definition.get("blocks") or [] if isinstance(b, dict)}
    items: list[PublishedItem] = []
    wording: list[ShareItem] = []
    for question in definition.get("questions") or []:
        how = question.get("publish_as")
        if how not in ("shares", "top_two"):
            continue
        grid = question["type"] in GRID_TYPES
        options = grid_options(question) if grid else list(question.get("options") or [])
        codes = tuple(str(o["code"]) for o in options)
        if how == "shares":
            cells = tuple((c, (c,)) for c in codes)
        else:
            counted = tuple(question.get("publish_categories") or codes[:TOP_CATEGORIES_DEFAULT])
            cells = (("+".join(counted), counted),)
        conditions = tuple(
            c
            for c in (blocks.get(question.get("block"), {}).get("show_if"), question.get("show_if"))
            if c
        )
        rows = question["rows"] if grid else [question]
        for row in rows:
            items.append(
                PublishedItem(
                    item=str(row["code"]),
                    question=str(question["code"]),
                    publish_as=str(how),
                    options=codes,
                    cells=cells,
                    conditions=conditions,
                )
            )
        option_text = {str(o["code"]): _text(o.get("text")) for o in options}
        wording.append(
            ShareItem(
                question=str(question["code"]),
                publish_as=str(how),
                text=_text(question.get("text")),
                rows=tuple((str(r["code"]), _text(r.get("text"))) for r in rows) if grid else (),
                categories=tuple(
                    (
                        name,
                        {
                            lang: " / ".join(option_text[c][lang] for c in counted)
                            for lang in ("vi", "en")
                        },
                    )
                    for name, counted in cells
                ),
            )
        )
    return items, wording


def load_answers(session: Session, campaign_id: int) -> list[Mapping[str, Any]]:
    """The answers JSON of each completed response, in the order of
    :func:`survey.release_pipeline.rows.load_rows` (same filter, id order)."""
    stmt = (
        sa_select(col(Response.answers))
        .where(
            col(Response.campaign_id) == campaign_id,
            col(Response.status) == "completed",
            not_excluded(Response.id),
        )
        .order_by(col(Response.id))
    )
    return [a if isinstance(a, Mapping) else {} for (a,) in session.execute(stmt).all()]


def item_values(answers: Sequence[Mapping[str, Any]], item: PublishedItem) -> NDArray[np.str_]:
    """Each respondent's answer code to ``item``; ``""`` outside its base (not asked: a
    condition fails; or blank, or a value that is not one of its options)."""
    values = np.asarray(
        [v if isinstance(v := a.get(item.item), str) else "" for a in answers], dtype=str
    ).reshape(len(answers))
    values[~np.isin(values, item.options)] = ""
    for condition in item.conditions:
        asked = np.fromiter((condition_met(condition, a) for a in answers), bool, len(answers))
        values[~asked] = ""
    return values


def _domain_codes(
    domains: Mapping[str, NDArray[np.str_]], n: int, by: Sequence[str]
) -> tuple[NDArray[np.intp], list[tuple[str, ...]]]:
    """Each row's domain 0..G-1 of the crossed ``by`` columns and the domains' values (sorted)."""
    if not by:
        return np.zeros(n, dtype=np.intp), [()]
    combos = np.column_stack([domains[c] for c in by])
    uniq, inverse = np.unique(combos, axis=0, return_inverse=True)
    return inverse.astype(np.intp).reshape(-1), [tuple(map(str, u)) for u in uniq]


def _cell_shares(
    design: Design,
    chosen: NDArray[np.bool_],
    base: NDArray[np.bool_],
    codes: NDArray[np.intp],
    n_domains: int,
    ci_method: CiMethod,
    level: float,
) -> dict[str, NDArray[np.float64]]:
    """Estimate, SE, interval, df and base count of one cell in every domain (NaN and 0 where
    the domain has nobody in the base)."""
    out = {k: np.full(n_domains, np.nan) for k in ("estimate", "se", "ci_lower", "ci_upper", "df")}
    n_base = np.bincount(codes[base], minlength=n_domains).astype(np.float64)
    out["n"] = n_base
    present = np.flatnonzero(n_base > 0)
    if present.size == 0:
        return out
    # Rows outside the base are missing (outside every domain); their domain label is moot, so
    # they take a present domain's and no empty domain is formed.
    position = np.full(n_domains, -1, dtype=np.intp)
    position[present] = np.arange(present.size)
    labels = np.where(base, position[codes], 0)
    y = np.where(base, chosen.astype(np.float64), np.nan)
    try:
        means = estimate_domain_means(design, y, by=labels, na_rm=True)
    except DesignError as error:
        raise InvalidInput(
            "the shares cannot be estimated", [Problem(("responses",), str(error))]
        ) from None
    where = present[np.asarray(means.labels[0]).astype(np.intp)]
    df = np.maximum(means.domain_df, 1).astype(np.float64)
    if isinstance(design, ReplicateDesign) and ci_method == "logit":
        # R svyciprop on replicate weights refits the logit per replicate (proportion_ci), as
        # the index tables do; the delta method below would differ.
        interval = proportion_ci(design, y, method="logit", level=level, by=labels, na_rm=True)
        lower, upper = interval.lower, interval.upper
    else:
        lower, upper = proportion_interval_bounds(
            means.estimate,
            means.variance,
            method=ci_method,
            df=df,
            n=means.n,
            level=level,
        )
        lower, upper = exact_bounds_for_unanimous(
            means.estimate, means.variance, means.n, level, lower, upper
        )
    out["estimate"][where] = means.estimate
    out["se"][where] = means.se
    out["ci_lower"][where] = lower
    out["ci_upper"][where] = upper
    out["df"][where] = df
    return out


def estimate_release_shares(
    design: Design,
    domains: Mapping[str, NDArray[np.str_]],
    answers: Sequence[Mapping[str, Any]],
    items: Sequence[PublishedItem],
    by: Sequence[str],
    ci_method: CiMethod,
    level: float,
    reliability: ReliabilityRule,
) -> list[ShareRow]:
    """Every published cell for the whole campaign, then for each domain of ``by`` (crossed),
    flagged and suppressed as index cells (see the module docstring).

    ``domains`` holds each respondent's value of every ``by`` column, ``answers`` their answers,
    both in the design's row order.
    """
    if len(answers) != design.n:
        raise ValueError(f"answers: {len(answers)} responses, the design has {design.n}")
    breakdowns: list[Sequence[str]] = [()] + ([list(by)] if by else [])
    values_by_item = [item_values(answers, item) for item in items]
    out: list[ShareRow] = []
    for columns in breakdowns:
        codes, values_of = _domain_codes(domains, design.n, columns)
        for item, values in zip(items, values_by_item, strict=True):
            base = values != ""
            for cell, counted in item.cells:
                chosen = np.isin(values, counted)
                f = _cell_shares(design, chosen, base, codes, len(values_of), ci_method, level)
                flags = suppress_small_cells(
                    f["n"],
                    flag_cells(
                        f["n"], f["estimate"], f["se"], f["ci_lower"], f["ci_upper"], reliability
                    ),
                )
                for g, values_g in enumerate(values_of):
                    shown = str(flags[g]) != "suppressed"
                    out.append(
                        ShareRow(
                            item=item.item,
                            question=item.question,
                            publish_as=item.publish_as,
                            category=cell,
                            domain=tuple(zip(columns, values_g, strict=True)),
                            domain_name=" / ".join(values_g) or WHOLE_CAMPAIGN,
                            estimate=finite(f["estimate"][g]) if shown else None,
                            se=finite(f["se"][g]) if shown else None,
                            ci_lower=finite(f["ci_lower"][g]) if shown else None,
                            ci_upper=finite(f["ci_upper"][g]) if shown else None,
                            df=int(f["df"][g]) if np.isfinite(f["df"][g]) else 0,
                            n_base=int(f["n"][g]),
                            flag=str(flags[g]),
                        )
                    )
    return out


def release_shares(
    session: Session,
    campaign_id: int,
    definition: Mapping[str, Any],
    design: Design,
    rows: ResponseRows,
    by: Sequence[str],
    ci_method: CiMethod,
    level: float,
    reliability: ReliabilityRule,
) -> dict[str, Any] | None:
    """The ``results["shares"]`` of a release: ``{"items": [...], "rows": [...]}``, or None for
    a form that publishes no shares (its release stays as it was)."""
    items, wording = published_items(definition)
    if not items:
        return None
    answers = load_answers(session, campaign_id)
    share_rows = estimate_release_shares(
        design, rows.domains, answers, items, by, ci_method, level, reliability
    )
    return {
        "items": [w.to_json() for w in wording],
        "rows": [r.to_json() for r in share_rows],
    }
