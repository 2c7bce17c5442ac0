"""Index releases: a campaign's SIPAS indices with their uncertainty, computed, then published.

How a release is computed (:func:`compute_release`, which runs the named steps of
:mod:`survey.release_pipeline`: rows, weights, design, indices, disclosure, rankings, record):

1. **Rows.** The completed responses of the campaign are read with one SELECT of the columns the
   estimation needs (stratum, base weight, domain columns, answers JSON); no ORM object per row.
2. **Answers.** One column per criterion of the campaign's questionnaire version
   (:func:`survey.questionnaires.element_tree`): 1-5 as given, 0 ("not applicable") and missing
   answers become NaN, i.e. they count in no numerator or denominator. The tree is the
   questionnaire's own (:func:`survey.release_pipeline.indices.release_tree`): overall <-
   elements <- criteria, or on the national form sipas <- policy, service <- elements <-
   criteria. An element with a display condition (the service block, asked after Q8) is NaN for
   the respondents not asked it, so every node is estimated on those asked (a domain estimate).
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

National figure (``national_rule``): ``pooled``, one estimate over all respondents with their
design weights, or ``mean_of_provinces`` (the Ministry of Home Affairs' practice), the unweighted
mean of the provincial indices of every node, whose SE comes from the provinces' full design
covariance (:func:`analysis.domain_contrasts.mean_of_domains`). The rule, the tree's root and
the respondents asked each gated element are recorded in ``parameters["national"]``.

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
from typing import Any, cast

from sqlalchemy import and_, case, func, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from analysis.design import LonelyPsuRule
from analysis.indices import CI_METHODS, INDEX_RULES, CiMethod, IndexRule
from analysis.reliability import ReliabilityRule
from survey.audit import SYSTEM_ACTOR, record_event
from survey.calibration_margins import CalibrationSpec, spec_from_record
from survey.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from survey.models import (
    AuditEvent,
    Campaign,
    Dossier,
    Draw,
    IndexRelease,
    Questionnaire,
    SampleUnit,
    StaffUser,
    utcnow,
)
from survey.models.releases import FROZEN_STATUSES, ReleaseStatus
from survey.models.users import Role
from survey.release_hashing import canonical_json, content_sha256, data_fingerprint
from survey.release_pipeline.design import (
    build_design,
    calibrate_release_design,
    check_variance,
    needs_answers,
    record_calibration_and_variance,
    variance_design,
)
from survey.release_pipeline.disclosure import cell_flags, table_rows
from survey.release_pipeline.indices import (
    check_national_rule,
    estimate_release_indices,
    national_table,
    release_tree,
)
from survey.release_pipeline.rankings import agency_blocks, check_ranking_choice, rank_agencies
from survey.release_pipeline.record import national_parameters, release_parameters, release_summary
from survey.release_pipeline.rows import BY_COLUMNS, load_rows
from survey.release_pipeline.shares import load_answers, release_shares
from survey.release_pipeline.weights import adjust_weights
from survey.release_rows import ReleaseRow, release_rows
from survey.spreadsheet_cells import safe_cell
from survey.users import UNLIMITED, Scope

LONELY_PSU_RULES: tuple[str, ...] = ("adjust", "certainty", "average", "fail")
# Domain columns every release CSV carries, used or not (the format published before "mode"
# existed); a later BY column is added only to the CSVs of releases broken down by it, so the
# CSV of every other release stays byte for byte what it was (release_csv_columns).
CSV_DOMAIN_COLUMNS: tuple[str, ...] = (
    "agency_code",
    "province_code",
    "level",
    "procedure_field",
    "channel",
)
CSV_COLUMNS: tuple[str, ...] = (
    *CSV_DOMAIN_COLUMNS,
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


def release_csv_columns(by: Sequence[str] = ()) -> tuple[str, ...]:
    """The CSV's columns for a release broken down by ``by``: :data:`CSV_COLUMNS`, with each
    BY column outside :data:`CSV_DOMAIN_COLUMNS` that ``by`` names after the domain columns."""
    extra = tuple(c for c in BY_COLUMNS if c in by and c not in CSV_DOMAIN_COLUMNS)
    n = len(CSV_DOMAIN_COLUMNS)
    return (*CSV_COLUMNS[:n], *extra, *CSV_COLUMNS[n:])


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
    national_rule: str = "pooled",
    ranking_blocks: str | None = None,
    min_ranked: int | None = None,
    bands: Sequence[Any] | None = None,
    calibration: CalibrationSpec | None = None,
    variance: str = "taylor",
    replicates: int | None = None,
    seed: int | None = None,
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
    national_rule : {"pooled", "mean_of_provinces"}
        The whole campaign's figures: one estimate pooled over all respondents with design
        weights, or the unweighted mean of the provincial indices of every node (MoHA's
        practice) with the variance of that contrast
        (:func:`survey.release_pipeline.indices.national_table`).
    ranking_blocks : {"level", "province_code"}, optional
        Rank agencies within blocks of this frame column (their administrative level, their
        province); ``None`` ranks all agencies together
        (:mod:`survey.release_pipeline.rankings`).
    min_ranked : int, optional
        Respondents an agency needs to be ranked; fewer are scored but not ranked. ``None``
        (the default, the behaviour before this parameter) ranks every published agency.
    bands : list of [lower, label_vi, label_en], optional
        Classification bands, highest first; ``None`` uses the working default
        (:data:`survey.release_rankings.DEFAULT_SHARE_BANDS`). Recorded only when given.
    calibration : CalibrationSpec, optional
        Rake, post-stratify or linearly calibrate the weights to the analyst's margins
        (:mod:`survey.calibration_margins`); every SE then uses the calibration residuals.
        ``None`` (the default) keeps the base x non-response weights.
    variance : {"taylor", "jk1", "jkn", "bootstrap"}
        How SEs and intervals are computed: Taylor linearisation (the default) or replicate
        weights (calibrated again when ``calibration`` is given).
    replicates, seed : int, optional
        Bootstrap replicates (default 500) and the seed of their generator (default 0).
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
    ranking_choice, ranking_problems = check_ranking_choice(ranking_blocks, min_ranked, bands)
    if ranking_choice is None:
        raise InvalidInput("the release cannot be computed with these parameters", ranking_problems)
    check_national_rule(national_rule)
    variance_choice = check_variance(variance, replicates, seed)
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
    tree = release_tree(questionnaire.definition)

    rows = load_rows(session, campaign_id, tree.criteria, geo_mapping, questionnaire.definition)
    weighting = adjust_weights(session, campaign.draw_id, rows)
    choice = build_design(
        session, campaign_id, draw, rows, weighting, cast(LonelyPsuRule, lonely_psu)
    )
    calibrated = None
    if calibration is not None:
        answers = load_answers(session, campaign_id) if needs_answers(calibration, rows) else None
        choice, calibrated = calibrate_release_design(choice, rows, calibration, answers)
    estimation_design = variance_design(choice.design, variance_choice)
    tables = estimate_release_indices(
        estimation_design,
        rows,
        tree,
        by,
        cast(IndexRule, rule),
        cast(CiMethod, ci_method),
        level,
        national_rule,
    )
    national, provinces = national_table(tables, national_rule)
    ranking = rank_agencies(
        tables.agencies,
        cell_flags(tables.agencies, reliability),
        level,
        node=tree.root,
        blocks=None
        if ranking_choice.blocks is None
        else agency_blocks(rows.domains["agency_code"], rows.domains[ranking_choice.blocks]),
        min_ranked=ranking_choice.min_ranked,
    )
    release_table = table_rows(national, (), cell_flags(national, reliability))
    if tables.by is not None:
        # Ranks go on the agencies' rows of a release by agency alone.
        ranks = ranking.by_agency if list(by) == ["agency_code"] else None
        release_table += table_rows(tables.by, by, cell_flags(tables.by, reliability), ranks)
    shares = release_shares(
        session,
        campaign_id,
        questionnaire.definition,
        estimation_design,
        rows,
        by,
        cast(CiMethod, ci_method),
        level,
        reliability,
    )
    release = IndexRelease(
        name=name.strip(),
        campaign_id=campaign_id,
        status=ReleaseStatus.DRAFT.value,
        parameters=release_parameters(
            by=by,
            rule=rule,
            overall=tables.overall,
            level=level,
            reliability=reliability,
            lonely_psu=lonely_psu,
            choice=choice,
            geo_mapping=geo_mapping,
            questionnaire=questionnaire,
            ranking_node=tree.root,
            ranking_options=ranking_choice.recorded(),
            # Recorded for the national form's tree or a non-default rule (the goldens' form holds).
            national=national_parameters(
                national_rule,
                tree.root,
                None if provinces is None else provinces.domains,
                rows.asked,
            )
            if tree.indices or national_rule != "pooled"
            else None,
        ),
        results={
            "nodes": list(tables.overall.nodes),
            **({"root": tree.root} if tree.root != "overall" else {}),
            "rows": [r.to_json() for r in release_table],
            "ranking": [r.to_json() for r in ranking.rows],
            # Only releases that chose blocks or min_ranked store it (the goldens' form holds).
            **(
                {"not_ranked": [r.to_json() for r in ranking.not_ranked]}
                if ranking_choice.blocks is not None or ranking_choice.min_ranked is not None
                else {}
            ),
            # Judgement and expectation shares, only for forms with publish_as (goldens hold).
            **({"shares": shares} if shares is not None else {}),
        },
        summary=release_summary(rows, weighting, choice, tables.overall),
        created_by=created_by,
    )
    # Calibration and replicate variance are recorded only when chosen (the goldens' form holds).
    release.parameters = record_calibration_and_variance(
        release.parameters, calibrated, variance_choice
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
    if results.get("shares"):
        shares = dict(results["shares"])
        shares["rows"] = [
            r
            for r in shares.get("rows") or []
            if _row_in_scope(r.get("domain") or {}, scope, agencies)
        ]
        results["shares"] = shares
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
    ranking = p.get("ranking") or {}
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
        "national_rule": (p.get("national") or {}).get("rule", "pooled"),
        "ranking_blocks": ranking.get("blocks"),
        "min_ranked": ranking.get("min_ranked"),
        "bands": ranking.get("bands"),
        "calibration": None if p.get("calibration") is None else spec_from_record(p["calibration"]),
        "variance": (p.get("variance") or {}).get("method", "taylor"),
        "replicates": (p.get("variance") or {}).get("replicates"),
        "seed": (p.get("variance") or {}).get("seed"),
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


SEND_BACK_REASON = (5, 500)


def send_back_release(
    *,
    session: Session,
    release_id: int,
    reason: str,
    actor: StaffUser,
    address: str | None = None,
) -> IndexRelease:
    """Send a submitted release back to draft with the reviewer's reason (commits once).

    The reviewer is a publisher or administrator who neither computed nor submitted it (the
    same four eyes as :func:`publish_release`). The release becomes a draft again, without the
    hash of what was reviewed, so its preparer can correct and submit it anew; the step, who,
    when and why are in the audit log (``release.sent_back``), which :func:`release_steps`
    reads back.

    Raises
    ------
    PermissionDenied
        The wrong role, or the actor computed or submitted the release.
    InvalidInput
        A reason shorter than 5 or longer than 500 characters (``loc`` ``("reason",)``).
    Conflict
        The release is a draft, or published or superseded (a correction is a new version).
    """
    _require_role(actor, PUBLISHER_ROLES, "sending a release back")
    release = _release_for_update(session, release_id)
    if release.status in FROZEN_STATUSES:
        raise Conflict(
            f"release {release_id} is already {release.status}, so it cannot be sent back",
            [
                Problem(
                    ("release_id",),
                    "published figures never change: an analyst computes a correction, "
                    "which is a new version",
                )
            ],
        )
    if release.status != ReleaseStatus.SUBMITTED.value:
        raise Conflict(
            f"release {release_id} is a draft, not submitted for review",
            [Problem(("release_id",), "only a release submitted for review is sent back")],
        )
    if actor.id is not None and actor.id in (release.created_by, release.submitted_by):
        step = "computed" if actor.id == release.created_by else "submitted"
        raise PermissionDenied(
            f"you {step} release {release_id}: four eyes, so another publisher or administrator "
            "reviews it"
        )
    text = reason.strip()
    shortest, longest = SEND_BACK_REASON
    if not shortest <= len(text) <= longest:
        raise InvalidInput(
            "sending a release back states the reason",
            [
                Problem(
                    ("reason",),
                    f"say what the preparer should change, in {shortest} to {longest} "
                    f"characters (you gave {len(text)})",
                )
            ],
        )
    reviewed_sha256 = release.content_sha256
    release.status = ReleaseStatus.DRAFT.value
    release.submitted_by = None
    release.submitted_at = None
    release.content_sha256 = None
    session.add(release)
    record_event(
        session=session,
        action="release.sent_back",
        actor=actor,
        target=f"release:{release_id}",
        details={
            "campaign_id": release.campaign_id,
            "name": release.name[:100],
            "reason": text,
            "sha256": reviewed_sha256,
        },
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
    """One step of a release's review: ``computed``, ``submitted``, ``sent_back``,
    ``published`` or ``superseded``, by whom (a username, "" when not recorded), when, and the
    reviewer's reason for a ``sent_back`` step."""

    step: str
    by: str
    at: datetime
    reason: str = ""


_REVIEW_ACTIONS = {"release.submitted": "submitted", "release.sent_back": "sent_back"}


def _review_rounds(session: Session, release: IndexRelease) -> list[ReleaseStep]:
    """Every submission and send-back of the release, from the audit log, in order: a release
    sent back loses its submitted_by/at columns, so only the log keeps the earlier rounds."""
    events = session.exec(
        select(AuditEvent)
        .where(
            col(AuditEvent.target) == f"release:{release.id}",
            col(AuditEvent.action).in_(tuple(_REVIEW_ACTIONS)),
        )
        .order_by(col(AuditEvent.id))
    ).all()
    return [
        ReleaseStep(
            _REVIEW_ACTIONS[e.action],
            e.actor_name,
            e.occurred_at,
            str((e.details or {}).get("reason", "")) if e.action == "release.sent_back" else "",
        )
        for e in events
    ]


def release_steps(
    *, session: Session, release: IndexRelease, review_rounds: bool = False
) -> list[ReleaseStep]:
    """Who computed, submitted and published the release and when, in order; a superseded
    release ends with the step of the version that replaced it (published by whom).

    With ``review_rounds`` every submission and send-back is listed, from the audit log
    (:func:`send_back_release`); without, the submission in force only (what documents cite,
    which look a step up by its name)."""
    replacement = (
        None
        if release.superseded_by_id is None
        else session.get(IndexRelease, release.superseded_by_id)
    )
    superseded_by = None if replacement is None else replacement.published_by
    ids = {
        user_id
        for user_id in (
            release.created_by,
            release.submitted_by,
            release.published_by,
            superseded_by,
        )
        if user_id is not None
    }
    names = {
        u.id: u.username
        for u in session.exec(select(StaffUser).where(col(StaffUser.id).in_(ids))).all()
    }

    def step(name: str, user_id: int | None, at: datetime) -> ReleaseStep:
        return ReleaseStep(name, names.get(user_id, "") if user_id is not None else "", at)

    steps = [step("computed", release.created_by, release.created_at)]
    rounds = _review_rounds(session, release) if review_rounds else []
    if release.submitted_at is not None and not any(r.step == "submitted" for r in rounds):
        # Submitted before the log recorded submissions: the columns still say who and when.
        rounds.append(step("submitted", release.submitted_by, release.submitted_at))
    steps += rounds
    if release.published_at is not None:
        steps.append(step("published", release.published_by, release.published_at))
    if release.superseded_at is not None:
        steps.append(step("superseded", superseded_by, release.superseded_at))
    return steps


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


def release_csv_cells(release: IndexRelease, row: ReleaseRow) -> dict[str, Any]:
    """One row of the release CSV, column -> cell text (every column of
    :func:`release_csv_columns`; blank where the row has no value)."""
    rank = row.rank
    cells: dict[str, Any] = {c: safe_cell(row.domain_value(c) or "") for c in BY_COLUMNS}
    cells["node"] = safe_cell(row.node)
    cells["level_of_node"] = safe_cell(row.node_level)
    figures = {
        "estimate": row.estimate,
        "se": row.se,
        "ci_lower": row.ci_lower,
        "ci_upper": row.ci_upper,
        "df": row.df,
        "n_respondents": row.n_respondents,
        "cv": row.cv,
        "flag": row.flag,
        "rank": None if rank is None else rank.rank,
        "rank_lower": None if rank is None else rank.rank_lower,
        "rank_upper": None if rank is None else rank.rank_upper,
        "tier": None if rank is None else rank.tier,
    }
    cells.update({k: _csv_value(v) for k, v in figures.items()})
    cells["release_id"] = release.id
    cells["release_version"] = release.version
    cells["release_status"] = release.status
    cells["release_sha256"] = release.content_sha256 or ""
    return cells


def release_csv(release: IndexRelease) -> str:
    """The release's rows as CSV (UTF-8 text): domain columns, node, figures, flag and rank.

    Every row ends with the release's id, version, status and SHA-256 (blank for a draft).
    Shares are in [0, 1] (1-5 for the mean-score rule); suppressed cells are blank. Domain
    values come from imported dossiers, so formula-like text is neutralised
    (:mod:`survey.spreadsheet_cells`); figures stay numbers. The column names are the machine
    keys, stable for scripts; :mod:`survey.release_csv` writes the same rows for people, with
    headers in Vietnamese or English and names beside the codes.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = release_csv_columns(tuple((release.parameters or {}).get("by") or ()))
    writer.writerow(columns)
    for row in release_rows(release):
        cells = release_csv_cells(release, row)
        writer.writerow([cells[c] for c in columns])
    return buffer.getvalue()
