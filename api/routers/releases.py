"""Index releases: compute a draft of a campaign's indices, submit it for review, publish,
send back, correct, list, read, CSV.

Four eyes (``docs/access.md``): analysts and administrators compute drafts, submit them and
compute corrections; publishers and administrators publish a submitted release that they
neither computed nor submitted. Every staff account reads; accounts limited to some agencies or
provinces see published (and superseded) releases only, with their own agencies' rows. Each
submitted release carries the SHA-256 of its content (``content_sha256``, also in the CSV and
its ``X-Release-SHA256`` header). Releases hold aggregates only: no phone, no invitation or
response id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AddressDep, SessionDep
from api.formatting import CHANNEL_NAMES
from api.params import INT32_MAX, CampaignFilter, CampaignId, ReleaseId, file_responses
from api.policy import AsAnalyst, AsReleasePublisher, AsStaff
from survey.calibration_margins import calibration_request
from survey.models.releases import IndexReleasePublic, IndexReleaseSummary
from survey.release_csv import CsvLanguage, named_release_csv
from survey.release_documents.source import load_document_source
from survey.releases import (
    MAX_REASON,
    SEND_BACK_REASON,
    compute_release,
    correct_release,
    get_release,
    list_releases,
    publish_release,
    release_csv,
    send_back_release,
    submit_release,
)

router = APIRouter(tags=["releases"])
# The body's default minimum to be ranked; the library keeps None (every unit ranked), which
# would rank agencies on a handful of answers.
REST_MIN_RANKED = 30


class ReleaseCalibration(BaseModel):
    """A release's calibration to the analyst's margins and its variance method (defaults:
    none and Taylor linearisation, what releases always did)."""

    calibration: str | None = Field(
        default=None,
        max_length=32,
        description="calibrate the weights to margins: rake, poststratify or linear; null: none",
    )
    margins: str | list[dict[str, Any]] | None = Field(
        default=None,
        description="the margins: CSV text (variable,category,population) or a list of "
        "objects with those keys; a variable is a frame column or a profile answer's code",
    )
    bounds: list[float] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="linear calibration only: [lower, upper] bounds on calibrated / input weight",
    )
    variance: str = Field(
        default="taylor", max_length=32, description="taylor, jk1, jkn, bootstrap"
    )
    replicates: int | None = Field(
        default=None, ge=2, le=5000, description="bootstrap replicates (default 500)"
    )
    seed: int | None = Field(
        default=None, ge=0, le=2**63 - 1, description="seed of the bootstrap (default 0)"
    )

    def arguments(self) -> dict[str, Any]:
        """The :func:`survey.releases.compute_release` arguments (margins checked: 422)."""
        return {
            "calibration": calibration_request(self.calibration, self.margins, self.bounds),
            "variance": self.variance,
            "replicates": self.replicates,
            "seed": self.seed,
        }


class ReleaseBand(BaseModel):
    """A classification band: values at or above ``lower``, with its labels."""

    model_config = ConfigDict(extra="forbid")

    lower: float = Field(allow_inf_nan=False)
    vi: str = Field(min_length=1, max_length=80)
    en: str = Field(min_length=1, max_length=80)


class ReleaseRequest(ReleaseCalibration):
    """What an analyst chooses for a release (defaults: the published SIPAS practice)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    by: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=lambda: ["agency_code"],
        max_length=10,
        description="agency_code, province_code, level, procedure_field, channel, mode (crossed)",
    )
    rule: str = Field(default="criteria-mean", max_length=64, description="aggregation of criteria")
    ci_method: str = Field(default="logit", max_length=64, description="interval for shares")
    level: float = Field(default=0.95, allow_inf_nan=False, description="confidence level")
    min_respondents: int = Field(
        default=30, ge=0, le=INT32_MAX, description="suppress cells with fewer"
    )
    max_cv: float = Field(
        default=0.2, ge=0, allow_inf_nan=False, description="flag cells with a larger CV"
    )
    max_ci_width: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="flag wider intervals"
    )
    lonely_psu: str = Field(
        default="adjust", max_length=64, description="variance of one-respondent strata"
    )
    geo_mapping: str | None = Field(
        default=None,
        max_length=64,
        description='map province codes before grouping, e.g. "provinces-2025"; null: as recorded',
    )
    national_rule: Literal["pooled", "mean_of_provinces"] = Field(
        default="pooled",
        description="the whole campaign's figures: pooled over all respondents with design "
        "weights, or the unweighted mean of the provincial indices (MoHA's practice)",
    )
    ranking_blocks: Literal["level", "province_code"] | None = Field(
        default=None,
        description="rank agencies within blocks of their administrative level or province; "
        "null: all together",
    )
    min_ranked: int | None = Field(
        default=REST_MIN_RANKED,
        ge=0,
        le=INT32_MAX,
        description=f"agencies with fewer respondents are scored but not ranked (default "
        f"{REST_MIN_RANKED}, the reliability rule's usual minimum, as the staff form and the CLI "
        "propose); 0 or null: every agency ranked",
    )
    bands: list[ReleaseBand] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="classification bands, highest first; null: the working default bands",
    )


@router.post("/api/campaigns/{campaign_id}/releases", status_code=status.HTTP_201_CREATED)
def compute(
    campaign_id: CampaignId, body: ReleaseRequest, session: SessionDep, caller: AsAnalyst
) -> IndexReleasePublic:
    """Compute a draft release of the campaign's indices with SEs, intervals, flags, ranking."""
    release = compute_release(
        session=session,
        campaign_id=campaign_id,
        name=body.name,
        **body.arguments(),
        by=body.by,
        rule=body.rule,
        ci_method=body.ci_method,
        level=body.level,
        min_respondents=body.min_respondents,
        max_cv=body.max_cv,
        max_ci_width=body.max_ci_width,
        lonely_psu=body.lonely_psu,
        geo_mapping=body.geo_mapping,
        national_rule=body.national_rule,
        ranking_blocks=body.ranking_blocks,
        min_ranked=body.min_ranked or None,
        bands=None if body.bands is None else [b.model_dump() for b in body.bands],
        created_by=caller.id,
    )
    return IndexReleasePublic.model_validate(release)


@router.get("/api/releases")
def list_all(
    session: SessionDep, caller: AsStaff, campaign_id: CampaignFilter = None
) -> list[IndexReleaseSummary]:
    """Releases, newest first (without their results); limited accounts see published ones."""
    releases = list_releases(session=session, campaign_id=campaign_id, scope=caller.scope)
    return [IndexReleaseSummary.model_validate(r) for r in releases]


@router.get("/api/releases/{release_id}")
def read(release_id: ReleaseId, session: SessionDep, caller: AsStaff) -> IndexReleasePublic:
    """One release with its parameters, results and summary (a scoped coordinator: their rows)."""
    release = get_release(session=session, release_id=release_id, scope=caller.scope)
    return IndexReleasePublic.model_validate(release)


class CorrectionRequest(BaseModel):
    """Why a published release is corrected; the new version is recomputed with its parameters."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON, description="what was wrong")
    name: str | None = Field(default=None, max_length=200, description="default: the same name")


@router.post("/api/releases/{release_id}/submit")
def submit(
    release_id: ReleaseId, session: SessionDep, caller: AsAnalyst, address: AddressDep
) -> IndexReleaseSummary:
    """Submit a draft for review: its content is hashed; 409 when it is not a draft."""
    return IndexReleaseSummary.model_validate(
        submit_release(session=session, release_id=release_id, actor=caller.user, address=address)
    )


@router.post("/api/releases/{release_id}/publish")
def publish(
    release_id: ReleaseId, session: SessionDep, caller: AsReleasePublisher, address: AddressDep
) -> IndexReleaseSummary:
    """Publish a submitted release (four eyes: 403 for the one who computed or submitted it);
    409 when it is a draft or already published. A correction supersedes its predecessor."""
    return IndexReleaseSummary.model_validate(
        publish_release(session=session, release_id=release_id, actor=caller.user, address=address)
    )


class SendBackRequest(BaseModel):
    """Why a reviewer sends a submitted release back to its preparer."""

    model_config = ConfigDict(extra="forbid")

    # Lengths are checked by the use case, so the refusal names the field in its own words.
    reason: str = Field(
        max_length=10 * SEND_BACK_REASON[1],
        description=f"what to change, {SEND_BACK_REASON[0]} to {SEND_BACK_REASON[1]} characters",
    )


@router.post("/api/releases/{release_id}/send-back")
def send_back(
    release_id: ReleaseId,
    body: SendBackRequest,
    session: SessionDep,
    caller: AsReleasePublisher,
    address: AddressDep,
) -> IndexReleaseSummary:
    """Send a submitted release back to draft with a reason (four eyes: 403 for the one who
    computed or submitted it); 409 when it is a draft, or published (a correction is a new
    version)."""
    release = send_back_release(
        session=session,
        release_id=release_id,
        reason=body.reason,
        actor=caller.user,
        address=address,
    )
    return IndexReleaseSummary.model_validate(release)


@router.post("/api/releases/{release_id}/corrections", status_code=status.HTTP_201_CREATED)
def correct(
    release_id: ReleaseId, body: CorrectionRequest, session: SessionDep, caller: AsAnalyst
) -> IndexReleasePublic:
    """A new draft version of a published release, recomputed on today's data with its
    parameters; once published it supersedes the old one, which stays readable."""
    release = correct_release(
        session=session,
        release_id=release_id,
        reason=body.reason,
        actor=caller.user,
        name=body.name,
    )
    return IndexReleasePublic.model_validate(release)


@router.get("/api/releases/{release_id}/release.csv", responses=file_responses("text/csv"))
def download(
    release_id: ReleaseId,
    session: SessionDep,
    caller: AsStaff,
    lang: Annotated[
        CsvLanguage | None,
        Query(
            description="vi or en: headers in that language and names beside the codes "
            "(dictionary.csv describes both); left out: the machine keys, stable for scripts"
        ),
    ] = None,
) -> Response:
    """The release's figures as CSV (UTF-8 with a byte-order mark, so spreadsheets read it)."""
    if lang is None:
        release = get_release(session=session, release_id=release_id, scope=caller.scope)
        content, filename = release_csv(release), f"release-{release_id}.csv"
    else:
        source = load_document_source(session=session, release_id=release_id, scope=caller.scope)
        release = source.release
        content = named_release_csv(source, lang=lang, channel_names=CHANNEL_NAMES[lang])
        filename = f"release-{release_id}-{lang}.csv"
    return Response(
        content="\ufeff" + content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Release-SHA256": release.content_sha256 or "",
        },
    )
