"""Index releases: a campaign's SIPAS indices with their uncertainty, computed, then published.

How a release is computed (:func:`compute_release`):

1. **Rows.** The completed responses of the campaign are read with one SELECT of the columns the
   estimation needs (stratum, base weight, domain columns, answers JSON); no ORM object per row.
2. **Answers.** One column per criterion of the campaign's questionnaire version
   (:func:`survey.questionnaires.element_tree`): 1-5 as given, 0 ("not applicable") and missing
   answers become NaN, i.e. they count in no numerator or denominator.
3. **Weights.** Base weight d_i = ``Response.weight`` (1 / inclusion probability from the draw).
   Non-response is adjusted within weighting classes = strata (Valliant, Dever & Kreuter 2018,
   sec. 13.5): w_i = d_i * D_h / R_h, where D_h sums the base weights of the draw's non-reserve
   sampled units of stratum h (duplicate contacts included: they are non-respondents by design,
   see :mod:`survey.draws`) and R_h those of its respondents. When reserves responded and R_h
   exceeds D_h the factor is 1. Strata with sampled units but no respondent cannot carry their
   weight; they are listed in the summary (their population is not represented).
4. **Design.** Stratified single-stage design with the respondents as each stratum's sample:
   strata = ``Response.stratum``, finite population correction f_h = r_h / N_h with N_h the
   stratum's frame count recorded in the draw's design snapshot (``allocation.population``, the
   count of frame dossiers per stratum at the time of the draw). Without that record the variance
   is computed with replacement (no fpc), which the parameters state. For two-stage (PPS)
   designs the first-stage unit of each respondent is ``Response.psu`` (copied from the dossier
   when the response started; a submitted response has no link to its invitation) and the
   variance is the ultimate-cluster one, with replacement.
5. **Indices.** :func:`analysis.indices.estimate_indices` for the whole campaign and for the
   requested domains (Taylor linearisation of ratio estimators; Woodruff 1971, Lumley 2010),
   intervals by :func:`analysis.intervals.proportion_interval_bounds` (R ``svyciprop``) on the
   domain's degrees of freedom; reliability flags by :func:`analysis.reliability.flag_cells`;
   agencies ranked on the overall index with simulated rank intervals and tiers
   (:func:`analysis.comparisons.rank_domains`). Suppressed cells keep no estimate in the stored
   results, so a small agency's answers cannot be read back from a release; whatever the
   reliability rule, a cell of fewer than k = 5 respondents is suppressed (the disclosure rule,
   :func:`survey.disclosure.suppress_small_cells`).

Province domains: responses copy the dossier's province code as the agency wrote it, which for
fieldwork around 1 July 2025 mixes the 63 old codes with the 34 new ones. ``geo_mapping`` (e.g.
:data:`survey.geography.PROVINCES_2025`) maps ``province_code`` before domains are built, so a
merged province is one domain; the release records the mapping and says so in its method note.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, case, func, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from analysis.comparisons import Ranking, rank_domains
from analysis.design import DesignError, LonelyPsuRule, SurveyDesign
from analysis.indices import (
    CI_METHODS,
    INDEX_RULES,
    CiMethod,
    IndexInputError,
    IndexRule,
    IndexTable,
    estimate_indices,
)
from analysis.questionnaire_tree import QuestionnaireTreeError, parse_questionnaire_tree
from analysis.reliability import ReliabilityRule, flag_cells
from analysis.variance import LonelyPsuError
from analysis.weights import adjust_nonresponse
from survey.audit import SYSTEM_ACTOR, record_event
from survey.designs import PSU_COLUMNS
from survey.disclosure import K as DISCLOSURE_K
from survey.disclosure import suppress_small_cells
from survey.draws import population_by_stratum
from survey.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from survey.geography import (
    PROVINCES_2025,
    builtin_mappings,
    ensure_builtin_mappings,
    map_codes,
)
from survey.models import (
    Campaign,
    Dossier,
    Draw,
    IndexRelease,
    Questionnaire,
    Response,
    SampleUnit,
    StaffUser,
    utcnow,
)
from survey.models.releases import FROZEN_STATUSES, ReleaseStatus
from survey.models.users import Role
from survey.questionnaires import element_tree
from survey.release_hashing import canonical_json, content_sha256, data_fingerprint
from survey.release_rows import RankingRow, RankInterval, ReleaseRow, release_rows
from survey.spreadsheet_cells import safe_cell
from survey.users import UNLIMITED, Scope

# Response columns a release may be broken down by (never anything identifying a person).
BY_COLUMNS: tuple[str, ...] = (
    "agency_code",
    "province_code",
    "level",
    "procedure_field",
    "channel",
)
LONELY_PSU_RULES: tuple[str, ...] = ("adjust", "certainty", "average", "fail")
RANKING_DRAWS = 4000
RANKING_SEED = 20240601
CSV_COLUMNS: tuple[str, ...] = (
    *BY_COLUMNS,
    "node",
    "level_of_node",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "df",
    "n_respondents",
    "cv",
    "flag",
    "rank",
    "rank_lower",
    "rank_upper",
    "tier",
    # The release each row belongs to, so a row copied elsewhere still cites it.
    "release_id",
    "release_version",
    "release_status",
    "release_sha256",
)
_RESPONSE_COLUMNS = {
    "agency_code": Response.agency_code,
    "province_code": Response.province_code,
    "level": Response.level,
    "procedure_field": Response.procedure_field,
    "channel": Response.channel,
}


def _check_parameters(
    by: Sequence[str],
    rule: str,
    ci_method: str,
    level: float,
    lonely_psu: str,
    min_respondents: int,
    max_cv: float,
    max_ci_width: float | None,
) -> ReliabilityRule:
    problems: list[Problem] = []
    for i, column in enumerate(by):
        if column not in BY_COLUMNS:
            problems.append(
                Problem(
                    ("by", i),
                    f"unknown column {column!r}: break results down by one or more of "
                    f"{', '.join(BY_COLUMNS)}",
                )
            )
    if len(set(by)) != len(by):
        problems.append(Problem(("by",), "name each column once"))
    if rule not in INDEX_RULES:
        problems.append(Problem(("rule",), f"use one of {', '.join(INDEX_RULES)}"))
    if ci_method not in CI_METHODS:
        problems.append(Problem(("ci_method",), f"use one of {', '.join(CI_METHODS)}"))
    if not 0.5 <= level < 1.0:
        problems.append(Problem(("level",), "give a confidence level such as 0.95 (0.5 to <1)"))
    if lonely_psu not in LONELY_PSU_RULES:
        problems.append(Problem(("lonely_psu",), f"use one of {', '.join(LONELY_PSU_RULES)}"))
    rule_params: ReliabilityRule | None = None
    try:
        rule_params = ReliabilityRule(
            min_respondents=min_respondents, max_cv=max_cv, max_ci_width=max_ci_width
        )
    except ValueError as error:
        field = str(error).split(":", 1)[0]
        problems.append(Problem((field,), str(error)))
    if problems or rule_params is None:
        raise InvalidInput("the release cannot be computed with these parameters", problems)
    return rule_params


def _load_responses(
    session: Session, campaign_id: int
) -> tuple[NDArray[np.str_], NDArray[np.float64], dict[str, NDArray[np.str_]], list[Any]]:
    """Stratum, base weight, domain columns and answers of the completed responses (one query)."""
    stmt = (
        sa_select(
            col(Response.stratum),
            col(Response.weight),
            *(col(c) for c in _RESPONSE_COLUMNS.values()),
            col(Response.answers),
        )
        .where(col(Response.campaign_id) == campaign_id, col(Response.status) == "completed")
        .order_by(col(Response.id))
    )
    rows = session.execute(stmt).all()
    if not rows:
        return np.array([], dtype=str), np.array([]), {}, []
    columns = list(zip(*rows, strict=True))
    strata = np.asarray(columns[0], dtype=str)
    weights = np.asarray(columns[1], dtype=np.float64)
    domain_columns = {
        name: np.asarray(values, dtype=str)
        for name, values in zip(_RESPONSE_COLUMNS, columns[2:-1], strict=True)
    }
    return strata, weights, domain_columns, list(columns[-1])


def _load_psus(session: Session, campaign_id: int) -> NDArray[np.str_]:
    """First-stage unit (``Response.psu``) of each completed response, in the order of
    :func:`_load_responses`; an empty value means the response does not know it."""
    stmt = (
        sa_select(col(Response.psu))
        .where(col(Response.campaign_id) == campaign_id, col(Response.status) == "completed")
        .order_by(col(Response.id))
    )
    return np.asarray([str(v) for (v,) in session.execute(stmt).all()], dtype=str)


def answer_matrix(answers: Sequence[Any], criteria: Sequence[str]) -> NDArray[np.float64]:
    """The (n, K) answer matrix of the criteria: 1-5, NaN for 0 (not applicable) or missing.

    Raises
    ------
    InvalidInput
        Naming the response (0-based, in id order) and criterion of a value that is not a whole
        number 0-5.
    """
    try:
        y = np.array(
            [[a.get(c) if isinstance(a, dict) else None for c in criteria] for a in answers],
            dtype=np.float64,
        ).reshape(len(answers), len(criteria))
    except (TypeError, ValueError):
        raise InvalidInput(
            "a response has an answer that is not a number",
            [Problem(("answers",), "criterion answers must be whole numbers 0-5")],
        ) from None
    y[y == 0] = np.nan
    bad = ~np.isnan(y) & ((y < 1) | (y > 5) | (y != np.round(y)))
    if bad.any():
        row, column = (int(v[0]) for v in np.nonzero(bad))
        raise InvalidInput(
            "a response has an answer outside the scale",
            [
                Problem(
                    ("responses", row, criteria[column]),
                    f"answer {y[row, column]:g} is not 0 (not applicable) or 1-5",
                )
            ],
        )
    return y


def _sampled_by_stratum(session: Session, draw_id: int) -> dict[str, tuple[int, float]]:
    """Non-reserve sampled units of the draw per stratum: (count, sum of base weights)."""
    stmt = (
        sa_select(
            col(SampleUnit.stratum), func.count(), func.coalesce(func.sum(SampleUnit.weight), 0.0)
        )
        .where(col(SampleUnit.draw_id) == draw_id, col(SampleUnit.is_reserve).is_(False))
        .group_by(col(SampleUnit.stratum))
    )
    return {str(s): (int(n), float(d)) for s, n, d in session.execute(stmt).all()}


def _clean(value: float) -> float | None:
    # JSON (and PostgreSQL's json type) has no NaN or infinity.
    return float(value) if math.isfinite(value) else None


def _table_rows(
    table: IndexTable,
    by: Sequence[str],
    flags: NDArray[np.str_],
    ranking: Ranking | None,
) -> list[ReleaseRow]:
    """One row per (domain, node); suppressed cells keep counts and flag but no estimate."""
    ranks: dict[str, RankInterval] = {}
    if ranking is not None and list(by) == ["agency_code"]:
        ranks = _ranking_by_domain(ranking)
    rows: list[ReleaseRow] = []
    for g, name in enumerate(table.domains.tolist()):
        domain = tuple((column, str(table.domain_labels[k][g])) for k, column in enumerate(by))
        for j, node in enumerate(table.nodes):
            flag = str(flags[g, j])
            shown = flag != "suppressed"
            rows.append(
                ReleaseRow(
                    domain=domain,
                    domain_name=str(name),
                    node=node,
                    node_level=table.levels[j],
                    parent=table.parents[j],
                    estimate=_clean(table.estimate[g, j]) if shown else None,
                    se=_clean(table.se[g, j]) if shown else None,
                    ci_lower=_clean(table.ci_lower[g, j]) if shown else None,
                    ci_upper=_clean(table.ci_upper[g, j]) if shown else None,
                    cv=_clean(table.cv[g, j]) if shown else None,
                    df=int(table.df[g]),
                    n_respondents=int(table.n_respondents[g, j]),
                    flag=flag,
                    rank=ranks.get(str(name)) if node == "overall" else None,
                )
            )
    return rows


def _ranking_by_domain(ranking: Ranking) -> dict[str, RankInterval]:
    return {
        str(d): RankInterval(
            rank=int(ranking.rank[i]),
            rank_lower=int(ranking.rank_lower[i]),
            rank_upper=int(ranking.rank_upper[i]),
            tier=int(ranking.tier[i]),
            prob_first=_clean(ranking.prob_first[i]),
        )
        for i, d in enumerate(ranking.domains.tolist())
    }


def _flags(table: IndexTable, rule: ReliabilityRule) -> NDArray[np.str_]:
    flags = flag_cells(
        table.n_respondents, table.estimate, table.se, table.ci_lower, table.ci_upper, rule
    )
    return suppress_small_cells(table.n_respondents, flags)


def _map_provinces(session: Session, mapping: str, codes: NDArray[np.str_]) -> NDArray[np.str_]:
    """Each response's ``province_code`` mapped through ``mapping``; errors name ``geo_mapping``."""
    if mapping in builtin_mappings():
        # Reference rows shipped with the platform; loading them is idempotent (and commits).
        ensure_builtin_mappings(session)
    try:
        return np.asarray(map_codes(session, mapping, codes.tolist()), dtype=str)
    except NotFound as error:
        raise InvalidInput(
            "the release cannot be computed with these parameters",
            [Problem(("geo_mapping",), error.msg)],
        ) from None
    except InvalidInput as error:
        raise InvalidInput(
            error.msg,
            [Problem(("geo_mapping", *p.loc[1:]), p.msg) for p in error.problems],
        ) from None


def _geography_note(mapping: str) -> dict[str, str]:
    if mapping == PROVINCES_2025:
        return {
            "vi": (
                f"Mã tỉnh của hồ sơ được quy đổi theo bảng “{mapping}” (đơn vị hành chính cấp "
                "tỉnh sau ngày 1/7/2025) trước khi chia nhóm, nên các tỉnh cũ đã hợp nhất được "
                "tính chung một nhóm."
            ),
            "en": (
                f"Dossiers' province codes are mapped through “{mapping}” (the provincial units "
                "since 1 July 2025) before grouping, so merged former provinces form one domain."
            ),
        }
    return {
        "vi": f"Mã tỉnh của hồ sơ được quy đổi theo bảng “{mapping}” trước khi chia nhóm.",
        "en": f"Dossiers' province codes are mapped through “{mapping}” before grouping.",
    }


def _weighting_note(fpc_source: str) -> dict[str, str]:
    fpc_vi, fpc_en = {
        "draw_snapshot": (
            "hiệu chỉnh quần thể hữu hạn theo số hồ sơ của từng tầng trong danh sách (ghi lại khi "
            "chọn mẫu)",
            "finite population correction from each stratum's frame count recorded at the draw",
        ),
        "pps_with_replacement": ("có tính đến cụm", "with clusters"),
    }.get(
        fpc_source,
        (
            "không hiệu chỉnh quần thể hữu hạn (không có số hồ sơ theo tầng)",
            "no finite population correction (the draw has no stratum counts)",
        ),
    )
    vi = (
        "Trọng số cơ sở là nghịch đảo xác suất được chọn của hồ sơ; trọng số được điều chỉnh "
        "cho người không trả lời trong từng tầng (tổng trọng số của các hồ sơ được chọn, không "
        "kể dự phòng, được chuyển cho người trả lời của tầng theo tỷ lệ trọng số). Sai số "
        f"chuẩn tính theo phương pháp tuyến tính hóa Taylor cho thiết kế phân tầng, {fpc_vi}."
    )
    en = (
        "Base weights are the inverse of each dossier's inclusion probability; they are adjusted "
        "for non-response within strata (the base weight of the stratum's sampled units, "
        "reserves excluded, is carried by its respondents). Standard errors use Taylor "
        f"linearisation for a stratified design, {fpc_en}."
    )
    if fpc_source == "pps_with_replacement":
        vi += (
            " Thiết kế hai giai đoạn: phương sai tính từ các đơn vị giai đoạn 1 (cụm) trong từng "
            "tầng, coi như chọn có hoàn lại (không hiệu chỉnh quần thể hữu hạn), một cách ước "
            "lượng thận trọng."
        )
        en += (
            " Two-stage design: the variance comes from the first-stage units (ultimate "
            "clusters) within strata, treated as drawn with replacement (no finite population "
            "correction), a conservative approximation."
        )
    return {"vi": vi, "en": en}


def compute_release(
    *,
    session: Session,
    campaign_id: int,
    name: str,
    by: Sequence[str] = ("agency_code",),
    rule: str = "criteria-mean",
    ci_method: str = "logit",
    level: float = 0.95,
    min_respondents: int = 30,
    max_cv: float = 0.2,
    max_ci_width: float | None = None,
    lonely_psu: str = "adjust",
    geo_mapping: str | None = None,
    created_by: int | None = None,
    store: bool = True,
) -> IndexRelease:
    """Compute a draft release of the campaign's indices and store it (commits once).

    Parameters
    ----------
    session : Session
    campaign_id : int
    name : str
        Title of the release.
    by : sequence of str
        Domain columns (from :data:`BY_COLUMNS`), crossed when several; the whole campaign is
        always estimated too. Empty for the overall figures only.
    rule : {"criteria-mean", "pooled", "respondent-mean", "mean-score"}
        Aggregation of criteria into element and overall indices (:mod:`analysis.indices`).
    ci_method : {"logit", "xlogit", "wald", "mean", "beta", "asin"}
    level : float
        Confidence level of the intervals and of the agencies' rank intervals.
    min_respondents, max_cv, max_ci_width :
        The reliability rule (:class:`analysis.reliability.ReliabilityRule`).
    lonely_psu : {"adjust", "certainty", "average", "fail"}
        Variance of a stratum with a single respondent (R ``survey.lonely.psu``).
    geo_mapping : str, optional
        Name of a geo mapping (:mod:`survey.geography`, e.g. ``"provinces-2025"``) that
        ``province_code`` is mapped through before domains are built; ``None`` keeps the codes
        as recorded. Strata, weights and the variance do not change, only the domains.
    created_by : int, optional
    store : bool
        False returns the release unsaved, without its fingerprint (what
        :func:`verify_release` recomputes); nothing is written.

    Returns
    -------
    IndexRelease
        Status ``draft``; see the module docstring for the method.

    Raises
    ------
    InvalidInput
        Unknown column in ``by`` or other bad parameter (``loc`` names it), an unknown geo
        mapping or a province code it lacks (``loc`` starts with ``geo_mapping``), or a campaign
        without completed responses.
    NotFound
        No such campaign.
    """
    reliability = _check_parameters(
        by, rule, ci_method, level, lonely_psu, min_respondents, max_cv, max_ci_width
    )
    if not name.strip():
        raise InvalidInput("the release needs a name", [Problem(("name",), "enter a name")])
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist", [Problem(("campaign_id",), "no such id")]
        )
    questionnaire = session.get(Questionnaire, campaign.questionnaire_id)
    draw = session.get(Draw, campaign.draw_id)
    assert questionnaire is not None and draw is not None  # foreign keys
    try:
        tree = parse_questionnaire_tree({"elements": element_tree(questionnaire.definition)})
    except (KeyError, TypeError, QuestionnaireTreeError) as error:
        raise InvalidInput(
            "the campaign's questionnaire has no usable elements",
            [Problem(("questionnaire_id",), str(error))],
        ) from None

    strata, base, domain_columns, answers = _load_responses(session, campaign_id)
    n = strata.shape[0]
    if n == 0:
        raise InvalidInput(
            "the campaign has no completed responses",
            [
                Problem(
                    ("campaign_id",),
                    f"campaign {campaign_id} has no completed responses yet: compute a release "
                    "once citizens have answered",
                )
            ],
        )
    y = answer_matrix(answers, tree.criteria)
    if geo_mapping is not None:
        domain_columns["province_code"] = _map_provinces(
            session, geo_mapping, domain_columns["province_code"]
        )

    # Non-response adjustment: respondents plus one pseudo non-respondent row per stratum that
    # carries the base weight of its sampled units that did not respond.
    sampled = _sampled_by_stratum(session, campaign.draw_id)
    labels, inverse = np.unique(strata, return_inverse=True)
    inverse = inverse.reshape(-1)
    respondents_h = np.bincount(inverse, minlength=labels.size)
    resp_weight_h = np.bincount(inverse, weights=base, minlength=labels.size)
    sampled_weight_h = np.array([sampled.get(str(s), (0, 0.0))[1] for s in labels.tolist()])
    missing_weight = np.maximum(sampled_weight_h - resp_weight_h, 0.0)
    adjustment = adjust_nonresponse(
        np.concatenate([base, missing_weight]),
        np.concatenate([np.ones(n, dtype=bool), np.zeros(labels.size, dtype=bool)]),
        np.concatenate([strata, labels]),
    )
    weights = adjustment.weights[:n]

    population = population_by_stratum(draw)
    design_record = (draw.design_snapshot or {}).get("design") or {}
    selection = str(design_record.get("selection", ""))
    psu_column = design_record.get("psu_column")
    fpc: NDArray[np.float64] | None = None
    fpc_source = "none"
    psu: NDArray[np.str_] | None = None
    if selection == "pps" and psu_column in PSU_COLUMNS:
        # Ultimate clusters: first-stage units within strata, treated as drawn with replacement
        # (no fpc), the usual conservative approximation for a PPS first stage.
        first_stage = _load_psus(session, campaign_id)
        unknown = int((first_stage == "").sum())
        if unknown:
            raise InvalidInput(
                "some responses cannot be placed in their first-stage unit",
                [
                    Problem(
                        ("campaign_id",),
                        f"{unknown} completed responses do not record their {psu_column}; a "
                        "two-stage release needs every one",
                    )
                ],
            )
        psu = np.char.add(np.char.add(strata, "/"), first_stage)
        fpc_source = "pps_with_replacement"
    elif population is not None and all(str(s) in population for s in labels.tolist()):
        pop_h = np.array([population[str(s)] for s in labels.tolist()], dtype=np.float64)
        if (pop_h >= respondents_h).all() and (pop_h > 0).all():
            fpc = (respondents_h / pop_h)[inverse]
            fpc_source = "draw_snapshot"
    lonely: LonelyPsuRule = lonely_psu  # type: ignore[assignment]
    index_rule: IndexRule = rule  # type: ignore[assignment]
    method: CiMethod = ci_method  # type: ignore[assignment]
    try:
        design = SurveyDesign.from_columns(
            weights=weights, strata=strata, psu=psu, fpc=fpc, lonely_psu=lonely
        )
        overall = estimate_indices(design, y, tree, rule=index_rule, ci_method=method, level=level)
        by_table: IndexTable | None = None
        if by:
            domain = [domain_columns[c] for c in by]
            by_table = estimate_indices(
                design,
                y,
                tree,
                domain=domain[0] if len(domain) == 1 else domain,
                rule=index_rule,
                ci_method=method,
                level=level,
            )
        agency_table = (
            by_table
            if by_table is not None and list(by) == ["agency_code"]
            else estimate_indices(
                design,
                y,
                tree,
                domain=domain_columns["agency_code"],
                rule=index_rule,
                ci_method=method,
                level=level,
            )
        )
    except (DesignError, IndexInputError) as error:
        field = "lonely_psu" if isinstance(error, LonelyPsuError) else "responses"
        raise InvalidInput(
            "the indices cannot be estimated", [Problem((field,), str(error))]
        ) from None

    agency_flags = _flags(agency_table, reliability)
    ranking: Ranking | None = None
    rankable = agency_flags[:, agency_table.node_index("overall")] != "suppressed"
    if int(rankable.sum()) >= 2:
        ranking = rank_domains(
            agency_table,
            "overall",
            level=level,
            n_draws=RANKING_DRAWS,
            seed=RANKING_SEED,
            include=rankable,
        )
    rows = _table_rows(overall, (), _flags(overall, reliability), None)
    if by_table is not None:
        rows += _table_rows(by_table, by, _flags(by_table, reliability), ranking)
    ranking_rows: list[RankingRow] = []
    if ranking is not None:
        for agency, info in _ranking_by_domain(ranking).items():
            g = agency_table.domain_index(agency)
            j = agency_table.node_index("overall")
            ranking_rows.append(
                RankingRow(
                    agency_code=agency,
                    estimate=_clean(agency_table.estimate[g, j]),
                    ci_lower=_clean(agency_table.ci_lower[g, j]),
                    ci_upper=_clean(agency_table.ci_upper[g, j]),
                    n_respondents=int(agency_table.n_respondents[g, j]),
                    flag=str(agency_flags[g, j]),
                    rank=info,
                )
            )

    n_sampled = int(sum(count for count, _ in sampled.values()))
    no_respondents = sorted(set(sampled) - {str(s) for s in labels.tolist()})
    factors = dict(zip(adjustment.classes.tolist(), adjustment.factors.tolist(), strict=True))
    strata_rows = [
        {
            "stratum": str(s),
            "population": None if population is None else population.get(str(s)),
            "sampled": sampled.get(str(s), (0, 0.0))[0],
            "respondents": int(respondents_h[h]),
            "adjustment_factor": float(factors[str(s)]),
        }
        for h, s in enumerate(labels.tolist())
    ]
    release = IndexRelease(
        name=name.strip(),
        campaign_id=campaign_id,
        status=ReleaseStatus.DRAFT.value,
        parameters={
            "by": list(by),
            "rule": rule,
            "ci_method": overall.ci_method,
            "level": level,
            "reliability": {
                "min_respondents": reliability.min_respondents,
                "max_cv": reliability.max_cv,
                "max_ci_width": reliability.max_ci_width,
                "description": reliability.describe(),
            },
            "disclosure": {
                "k": DISCLOSURE_K,
                "description": f"cells of fewer than {DISCLOSURE_K} respondents are suppressed "
                "whatever the reliability rule (docs/privacy.md)",
            },
            "variance": {
                "method": "taylor",
                "design": "stratified, respondents as each stratum's sample",
                "lonely_psu": lonely_psu,
                "fpc_source": fpc_source,
                "first_stage_units": psu_column if psu is not None else None,
            },
            "weighting": {
                "base": "1 / inclusion probability of the sampled dossier",
                "nonresponse": "weighting classes = strata; sampled = the draw's non-reserve units",
                "description": _weighting_note(fpc_source),
            },
            "ranking": {
                "node": "overall",
                "by": "agency_code",
                "n_draws": RANKING_DRAWS,
                "seed": RANKING_SEED,
                "level": level,
            },
            "geo_mapping": None
            if geo_mapping is None
            else {"province_code": geo_mapping, "description": _geography_note(geo_mapping)},
            "questionnaire": {
                "id": questionnaire.id,
                "code": questionnaire.code,
                "version": questionnaire.version,
            },
        },
        results={
            "nodes": list(overall.nodes),
            "rows": [r.to_json() for r in rows],
            "ranking": [r.to_json() for r in ranking_rows],
        },
        summary={
            "respondents": n,
            "sampled": n_sampled,
            "response_rate": _clean(n / n_sampled) if n_sampled else None,
            "weighted_response_rate": _clean(
                float(resp_weight_h.sum()) / float(sampled_weight_h.sum())
            )
            if sampled_weight_h.sum() > 0
            else None,
            "design_df": int(overall.df[0]),
            "n_strata": int(labels.size),
            "population": None if population is None else int(sum(population.values())),
            "estimated_population": float(weights.sum()),
            "strata_without_respondents": no_respondents,
            "strata": strata_rows,
        },
        created_by=created_by,
    )
    if not store:
        return release
    return _store_new_release(session, release)


def _own_agencies(session: Session, campaign_id: int, scope: Scope) -> frozenset[str]:
    """Agencies of the campaign's sample all of whose sampled dossiers ``scope`` may see."""
    conditions = scope.where(Dossier.agency_code, Dossier.province_code)
    allowed = and_(*conditions) if conditions else true()
    rows = session.execute(
        sa_select(col(Dossier.agency_code), func.min(case((allowed, 1), else_=0)))
        .join(SampleUnit, col(SampleUnit.dossier_id) == col(Dossier.id))
        .join(Campaign, col(Campaign.draw_id) == col(SampleUnit.draw_id))
        .where(col(Campaign.id) == campaign_id)
        .group_by(col(Dossier.agency_code))
    ).all()
    return frozenset(str(agency) for agency, ok in rows if ok)


def _row_in_scope(domain: dict[str, Any], scope: Scope, agencies: frozenset[str]) -> bool:
    """A row of figures belongs to a scope when its domain names one of the scope's agencies
    (or, for a province scope, one of its provinces); overall rows and rows of a channel or
    level alone are everyone's, so not the scope's."""
    agency, province = domain.get("agency_code"), domain.get("province_code")
    if scope.provinces is not None and province is not None and province not in scope.provinces:
        return False
    if agency is not None:
        return agency in agencies
    return province is not None and scope.agencies is None


def _scoped_release(session: Session, release: IndexRelease, scope: Scope) -> IndexRelease:
    """A detached copy with the scope's rows only; the whole-campaign summary is left out."""
    if not scope.limited:
        return release
    agencies = _own_agencies(session, release.campaign_id, scope)
    data = release.model_dump()
    results = dict(data.get("results") or {})
    results["rows"] = [
        r
        for r in results.get("rows") or []
        if _row_in_scope(r.get("domain") or {}, scope, agencies)
    ]
    results["ranking"] = [
        r for r in results.get("ranking") or [] if _row_in_scope(r, scope, agencies)
    ]
    data["results"] = results
    data["summary"] = {}
    # model_validate builds a new object outside the session: the stored release never changes.
    return IndexRelease.model_validate(data)


def get_release(*, session: Session, release_id: int, scope: Scope = UNLIMITED) -> IndexRelease:
    """One release, or :class:`NotFound`; a scoped caller sees published releases only, with
    their own rows (:func:`_scoped_release`)."""
    release = session.get(IndexRelease, release_id)
    if release is None or (scope.limited and release.status not in FROZEN_STATUSES):
        raise NotFound(
            f"release {release_id} does not exist", [Problem(("release_id",), "no such id")]
        )
    return _scoped_release(session, release, scope)


def list_releases(
    *,
    session: Session,
    campaign_id: int | None = None,
    published_only: bool = False,
    scope: Scope = UNLIMITED,
) -> list[IndexRelease]:
    """Releases, newest first, optionally of one campaign or only the published ones (always,
    for a scoped caller)."""
    stmt = select(IndexRelease).order_by(col(IndexRelease.id).desc())
    if campaign_id is not None:
        stmt = stmt.where(col(IndexRelease.campaign_id) == campaign_id)
    if published_only or scope.limited:
        # Superseded releases stay readable: they were published, and are cited.
        stmt = stmt.where(col(IndexRelease.status).in_(FROZEN_STATUSES))
    releases = list(session.exec(stmt).all())
    if not scope.limited:
        return releases
    # Lists carry no rows; the summary (whole-campaign counts) is what must go.
    return [IndexRelease.model_validate({**r.model_dump(), "summary": {}}) for r in releases]


PREPARER_ROLES = frozenset({Role.ADMIN.value, Role.ANALYST.value})
PUBLISHER_ROLES = frozenset({Role.ADMIN.value, Role.PUBLISHER.value})
MAX_REASON = 1000


def _store_new_release(session: Session, release: IndexRelease) -> IndexRelease:
    """Fingerprint the data a computed release comes from, store it, record who (commits)."""
    release.fingerprint = data_fingerprint(session, release.campaign_id)
    session.add(release)
    session.flush()
    actor = None if release.created_by is None else session.get(StaffUser, release.created_by)
    details: dict[str, object] = {
        "campaign_id": release.campaign_id,
        "name": release.name[:100],
        "version": release.version,
    }
    if release.supersedes_id is not None:
        details["supersedes_id"] = release.supersedes_id
    record_event(
        session=session,
        action="release.computed",
        actor=actor,
        actor_name="" if actor is not None else SYSTEM_ACTOR,
        target=f"release:{release.id}",
        details=details,
    )
    session.commit()
    session.refresh(release)
    return release


def _require_role(actor: StaffUser, roles: frozenset[str], what: str) -> None:
    if actor.role not in roles:
        raise PermissionDenied(
            f"{what} needs the role {' or '.join(sorted(roles))}; your role is {actor.role}"
        )


def _release_for_update(session: Session, release_id: int) -> IndexRelease:
    # Locked (PostgreSQL) so two reviewers cannot both move the same release.
    release = session.get(IndexRelease, release_id, with_for_update=True)
    if release is None:
        raise NotFound(
            f"release {release_id} does not exist", [Problem(("release_id",), "no such id")]
        )
    return release


def release_arguments(release: IndexRelease) -> dict[str, Any]:
    """The :func:`compute_release` arguments a stored release was computed with."""
    p = release.parameters or {}
    reliability = p.get("reliability") or {}
    geo = p.get("geo_mapping") or {}
    return {
        "campaign_id": release.campaign_id,
        "by": list(p.get("by") or []),
        "rule": p["rule"],
        "ci_method": p["ci_method"],
        "level": p["level"],
        "min_respondents": reliability["min_respondents"],
        "max_cv": reliability["max_cv"],
        "max_ci_width": reliability.get("max_ci_width"),
        "lonely_psu": (p.get("variance") or {}).get("lonely_psu", "adjust"),
        "geo_mapping": geo.get("province_code"),
    }


def submit_release(
    *, session: Session, release_id: int, actor: StaffUser, address: str | None = None
) -> IndexRelease:
    """Submit a draft for review: its content is hashed and frozen for the reviewer (commits).

    Raises
    ------
    PermissionDenied
        The actor is not an analyst or administrator.
    Conflict
        The release is not a draft.
    """
    _require_role(actor, PREPARER_ROLES, "submitting a release")
    release = _release_for_update(session, release_id)
    if release.status != ReleaseStatus.DRAFT.value:
        raise Conflict(
            f"release {release_id} is {release.status}, not a draft",
            [Problem(("release_id",), "only a draft is submitted for review")],
        )
    release.status = ReleaseStatus.SUBMITTED.value
    release.submitted_by = actor.id
    release.submitted_at = utcnow()
    release.content_sha256 = content_sha256(release)
    session.add(release)
    record_event(
        session=session,
        action="release.submitted",
        actor=actor,
        target=f"release:{release_id}",
        details={
            "campaign_id": release.campaign_id,
            "name": release.name[:100],
            "sha256": release.content_sha256,
        },
        address=address,
    )
    session.commit()
    session.refresh(release)
    return release


def publish_release(
    *, session: Session, release_id: int, actor: StaffUser, address: str | None = None
) -> IndexRelease:
    """Publish a submitted release (four eyes); a correction supersedes its predecessor.

    The publisher is a publisher or administrator who neither computed nor submitted it; the
    stored content must still hash to what was submitted. Its figures never change afterwards
    (database triggers, migration ``t4releases``). Recorded and committed once.

    Raises
    ------
    PermissionDenied
        The wrong role, or the actor computed or submitted the release.
    Conflict
        The release is not submitted (a draft, or already published), its content changed since
        it was submitted, or the release it corrects was already superseded.
    """
    _require_role(actor, PUBLISHER_ROLES, "publishing a release")
    release = _release_for_update(session, release_id)
    if release.status in FROZEN_STATUSES:
        raise Conflict(
            f"release {release_id} is already {release.status}",
            [Problem(("release_id",), "a published release cannot change; publish a correction")],
        )
    if release.status != ReleaseStatus.SUBMITTED.value:
        raise Conflict(
            f"release {release_id} is a draft",
            [Problem(("release_id",), "an analyst submits it for review before it is published")],
        )
    if actor.id is not None and actor.id in (release.created_by, release.submitted_by):
        step = "computed" if actor.id == release.created_by else "submitted"
        raise PermissionDenied(
            f"you {step} release {release_id}: four eyes, so another publisher or administrator "
            "publishes it"
        )
    if release.content_sha256 != content_sha256(release):
        raise Conflict(
            f"release {release_id} changed since it was submitted",
            [Problem(("release_id",), "its content no longer matches its hash; recompute it")],
        )
    previous: IndexRelease | None = None
    if release.supersedes_id is not None:
        previous = _release_for_update(session, release.supersedes_id)
        if previous.status != ReleaseStatus.PUBLISHED.value:
            raise Conflict(
                f"release {previous.id} is {previous.status}, so this correction cannot "
                "supersede it",
                [
                    Problem(
                        ("release_id",),
                        "correct the release now in force"
                        + (
                            f" (release {previous.superseded_by_id})"
                            if previous.superseded_by_id
                            else ""
                        ),
                    )
                ],
            )
    now = utcnow()
    release.status = ReleaseStatus.PUBLISHED.value
    release.published_by = actor.id
    release.published_at = now
    session.add(release)
    session.flush()
    details: dict[str, object] = {
        "campaign_id": release.campaign_id,
        "name": release.name[:100],
        "version": release.version,
        "sha256": release.content_sha256,
    }
    if previous is not None:
        previous.status = ReleaseStatus.SUPERSEDED.value
        previous.superseded_at = now
        previous.superseded_by_id = release.id
        session.add(previous)
        details["supersedes_id"] = previous.id
    record_event(
        session=session,
        action="release.published",
        actor=actor,
        target=f"release:{release_id}",
        details=details,
        address=address,
    )
    if previous is not None:
        record_event(
            session=session,
            action="release.superseded",
            actor=actor,
            target=f"release:{previous.id}",
            details={"superseded_by": release.id, "reason": release.correction_reason[:200]},
            address=address,
        )
    session.commit()
    session.refresh(release)
    return release


def correct_release(
    *,
    session: Session,
    release_id: int,
    reason: str,
    actor: StaffUser,
    name: str | None = None,
) -> IndexRelease:
    """A new draft version of a published release, recomputed with its parameters on the data
    as they are now, that supersedes it once published (commits once).

    Raises
    ------
    PermissionDenied
        The actor is not an analyst or administrator.
    InvalidInput
        No reason, or a reason over 1,000 characters.
    Conflict
        The release is not the published one in force.
    """
    _require_role(actor, PREPARER_ROLES, "correcting a release")
    text = reason.strip()
    if not text or len(text) > MAX_REASON:
        raise InvalidInput(
            "a correction states its reason",
            [Problem(("reason",), f"say what was wrong in 1 to {MAX_REASON} characters")],
        )
    old = get_release(session=session, release_id=release_id)
    if old.status != ReleaseStatus.PUBLISHED.value:
        hint = (
            f"correct release {old.superseded_by_id}, which replaced it"
            if old.superseded_by_id
            else "only a published release is corrected; a draft is simply recomputed"
        )
        raise Conflict(f"release {release_id} is {old.status}", [Problem(("release_id",), hint)])
    try:
        arguments = release_arguments(old)
    except KeyError as error:
        raise Conflict(
            f"release {release_id} does not record its parameter {error}",
            [Problem(("release_id",), "compute a new release with the parameters you need")],
        ) from None
    release = compute_release(
        session=session,
        name=(name or old.name).strip(),
        created_by=actor.id,
        store=False,
        **arguments,
    )
    release.version = old.version + 1
    release.supersedes_id = old.id
    release.correction_reason = text
    return _store_new_release(session, release)


def release_versions(
    *, session: Session, release: IndexRelease, scope: Scope = UNLIMITED
) -> list[IndexRelease]:
    """Every version of the release's chain, oldest first (the release itself included); a
    scoped caller gets the published and superseded ones only."""
    chain = _release_chain(session, release)
    return [r for r in chain if not scope.limited or r.status in FROZEN_STATUSES]


def _release_chain(session: Session, release: IndexRelease) -> list[IndexRelease]:
    first = release
    seen = {release.id}
    while first.supersedes_id is not None and first.supersedes_id not in seen:
        earlier = session.get(IndexRelease, first.supersedes_id)
        if earlier is None:
            break
        seen.add(earlier.id)
        first = earlier
    chain = [first]
    while True:
        later = session.exec(
            select(IndexRelease)
            .where(col(IndexRelease.supersedes_id) == chain[-1].id)
            .order_by(
                # The one in force first, then pending drafts of the same correction.
                case((col(IndexRelease.status).in_(FROZEN_STATUSES), 0), else_=1),
                col(IndexRelease.id),
            )
        ).first()
        if later is None or later.id in {r.id for r in chain}:
            return chain
        chain.append(later)


@dataclass(frozen=True)
class ReleaseStep:
    """One step of a release's review: ``computed``, ``submitted``, ``published`` or
    ``superseded``, by whom (a username, "" when not recorded) and when."""

    step: str
    by: str
    at: datetime


def release_steps(*, session: Session, release: IndexRelease) -> list[ReleaseStep]:
    """Who computed, submitted and published the release and when, in order; a superseded
    release ends with the step of the version that replaced it (published by whom)."""
    replacement = (
        None
        if release.superseded_by_id is None
        else session.get(IndexRelease, release.superseded_by_id)
    )
    moments = [
        ("computed", release.created_by, release.created_at),
        ("submitted", release.submitted_by, release.submitted_at),
        ("published", release.published_by, release.published_at),
        (
            "superseded",
            None if replacement is None else replacement.published_by,
            release.superseded_at,
        ),
    ]
    ids = {user_id for _, user_id, _ in moments if user_id is not None}
    names = {
        u.id: u.username
        for u in session.exec(select(StaffUser).where(col(StaffUser.id).in_(ids))).all()
    }
    return [
        ReleaseStep(step, names.get(user_id, "") if user_id is not None else "", at)
        for step, user_id, at in moments
        if at is not None
    ]


@dataclass(frozen=True)
class ReleaseCheck:
    """One check of :func:`verify_release`: its name, whether it passed and what it found."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class ReleaseVerification:
    release_id: int
    checks: tuple[ReleaseCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{path}.{k}" if path else str(k)))
        return out
    return {path: value}


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return not math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return bool(canonical_json(a) != canonical_json(b))


def _row_key(row: dict[str, Any]) -> str:
    domain = row.get("domain") or {}
    where = ",".join(f"{k}={v}" for k, v in sorted(domain.items())) or "overall"
    return f"[{where}] {row.get('node')}"


def _figure_differences(stored: IndexRelease, fresh: IndexRelease, limit: int = 5) -> list[str]:
    """Human-readable differences of rows, ranking, summary and parameters (first ``limit``)."""
    found: list[str] = []
    old_rows = {_row_key(r): r for r in (stored.results or {}).get("rows") or []}
    new_rows = {_row_key(r): r for r in (fresh.results or {}).get("rows") or []}
    for key in sorted(set(old_rows) ^ set(new_rows)):
        found.append(f"row {key} {'only stored' if key in old_rows else 'only recomputed'}")
    for key in sorted(set(old_rows) & set(new_rows)):
        for field in sorted(set(old_rows[key]) | set(new_rows[key])):
            a, b = old_rows[key].get(field), new_rows[key].get(field)
            if _differs(a, b):
                found.append(f"row {key} {field}: stored {a!r}, recomputed {b!r}")
    for part in ("summary", "parameters"):
        old, new = _flatten(getattr(stored, part) or {}), _flatten(getattr(fresh, part) or {})
        for key in sorted(set(old) | set(new)):
            if _differs(old.get(key), new.get(key)):
                found.append(f"{part}.{key}: stored {old.get(key)!r}, recomputed {new.get(key)!r}")
    old_rank = {str(r.get("agency_code")): r for r in (stored.results or {}).get("ranking") or []}
    new_rank = {str(r.get("agency_code")): r for r in (fresh.results or {}).get("ranking") or []}
    for key in sorted(set(old_rank) | set(new_rank)):
        a, b = old_rank.get(key) or {}, new_rank.get(key) or {}
        for field in sorted(set(a) | set(b)):
            if _differs(a.get(field), b.get(field)):
                found.append(
                    f"ranking {key} {field}: stored {a.get(field)!r}, recomputed {b.get(field)!r}"
                )
    if not found and _differs(stored.results, fresh.results):
        found.append("results differ")
    return found[:limit] + ([f"... {len(found) - limit} more"] if len(found) > limit else [])


def verify_release(*, session: Session, release_id: int) -> ReleaseVerification:
    """Check a release against its hash and against the data: the stored content hashes to the
    stored SHA-256, the data fingerprint is unchanged, and the indices recomputed from the
    stored responses with the stored parameters equal the stored figures and hash to the same
    SHA-256. Reads only; nothing is written."""
    release = get_release(session=session, release_id=release_id)
    checks: list[ReleaseCheck] = []
    stored_hash = release.content_sha256
    if stored_hash is None:
        checks.append(
            ReleaseCheck(
                "hash",
                False,
                f"release {release_id} ({release.status}) has no hash: only a release submitted "
                "for review (since migration t4releases) has one",
            )
        )
    else:
        actual = content_sha256(release)
        checks.append(
            ReleaseCheck(
                "hash",
                actual == stored_hash,
                f"stored content hashes to the stored SHA-256 {stored_hash}"
                if actual == stored_hash
                else f"stored content hashes to {actual}, the release says {stored_hash}: "
                "its stored figures or parameters were changed",
            )
        )
    fingerprint = data_fingerprint(session, release.campaign_id)
    old_fp, new_fp = _flatten(release.fingerprint or {}), _flatten(fingerprint)
    changed = [
        k for k in sorted(set(old_fp) | set(new_fp)) if _differs(old_fp.get(k), new_fp.get(k))
    ]
    checks.append(
        ReleaseCheck(
            "data",
            not changed,
            f"{fingerprint['responses']['count']} completed responses, frame, draw and "
            "questionnaire as fingerprinted"
            if not changed
            else "the data differ from the fingerprint: "
            + "; ".join(f"{k}: stored {old_fp.get(k)!r}, now {new_fp.get(k)!r}" for k in changed),
        )
    )
    try:
        fresh = compute_release(
            session=session,
            name=release.name,
            created_by=release.created_by,
            store=False,
            **release_arguments(release),
        )
    except (InvalidInput, NotFound, KeyError) as error:
        what = error.msg if isinstance(error, InvalidInput | NotFound) else f"no {error}"
        checks.append(ReleaseCheck("figures", False, f"cannot recompute: {what}"))
        return ReleaseVerification(release_id, tuple(checks))
    differences = _figure_differences(release, fresh)
    checks.append(
        ReleaseCheck(
            "figures",
            not differences,
            "the indices recomputed from the stored responses equal the stored figures"
            if not differences
            else "recomputed figures differ: " + "; ".join(differences),
        )
    )
    if stored_hash is not None:
        fresh.version = release.version
        fresh.supersedes_id = release.supersedes_id
        fresh.correction_reason = release.correction_reason
        fresh.fingerprint = fingerprint
        recomputed = content_sha256(fresh)
        checks.append(
            ReleaseCheck(
                "recomputed hash",
                recomputed == stored_hash,
                "the release recomputed from the data hashes to the stored SHA-256"
                if recomputed == stored_hash
                else f"the release recomputed from the data hashes to {recomputed}",
            )
        )
    return ReleaseVerification(release_id, tuple(checks))


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    return safe_cell(value)


def release_csv(release: IndexRelease) -> str:
    """The release's rows as CSV (UTF-8 text): domain columns, node, figures, flag and rank.

    Every row ends with the release's id, version, status and SHA-256 (blank for a draft).
    Shares are in [0, 1] (1-5 for the mean-score rule); suppressed cells are blank. Domain
    values come from imported dossiers, so formula-like text is neutralised
    (:mod:`survey.spreadsheet_cells`); figures stay numbers.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in release_rows(release):
        rank = row.rank
        writer.writerow(
            [
                *(safe_cell(row.domain_value(c) or "") for c in BY_COLUMNS),
                safe_cell(row.node),
                safe_cell(row.node_level),
                *(
                    _csv_value(v)
                    for v in (
                        row.estimate,
                        row.se,
                        row.ci_lower,
                        row.ci_upper,
                        row.df,
                        row.n_respondents,
                        row.cv,
                        row.flag,
                        None if rank is None else rank.rank,
                        None if rank is None else rank.rank_lower,
                        None if rank is None else rank.rank_upper,
                        None if rank is None else rank.tier,
                    )
                ),
                release.id,
                release.version,
                release.status,
                release.content_sha256 or "",
            ]
        )
    return buffer.getvalue()
