"""A release campaign whose form publishes shares: Q8 gates a judgement block (q4, each
option's share) and a Q10 priority grid is published as the share choosing Rất nhiều / Nhiều.

Built on :func:`tests.survey.release_fixtures.build_release_campaign` (the service criteria and
their answers are kept), with the form swapped and the extra answers drawn with a fixed seed.
Shared by the survey, API and document tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from survey.models import Campaign, IndexRelease, Response
from survey.questionnaires import builtin_definition, create_draft, publish_questionnaire
from survey.releases import compute_release, publish_release, submit_release
from tests.api.fast_users import make_user
from tests.survey.release_fixtures import STRATA, ReleaseCampaign, build_release_campaign


def _t(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def shares_definition() -> dict[str, Any]:
    """The service form with Q8 gating a judgement block (q4, shares) and a Q10 grid (top two)."""
    definition = builtin_definition()
    definition["code"] = "sipas-shares"
    definition["blocks"] = [
        {"code": "experience", "title": _t("Trải nghiệm", "Experience")},
        {
            "code": "judgements",
            "title": _t("Đánh giá về công chức", "Civil servants"),
            "show_if": {"item": "q8", "in": ["yes"]},
        },
        {"code": "expectations", "title": _t("Mong đợi", "Expectations"), "position": "after"},
    ]
    definition["questions"] = [
        {
            "code": "q8",
            "type": "single",
            "block": "experience",
            "text": _t("Đã liên hệ cơ quan nhà nước?", "Dealt with a state agency?"),
            "options": [
                {"code": "yes", "text": _t("Có", "Yes")},
                {"code": "no", "text": _t("Không", "No")},
            ],
        },
        {
            "code": "q4",
            "type": "single",
            "block": "judgements",
            "publish_as": "shares",
            "text": _t("Có công chức gây phiền hà, sách nhiễu không?", "Did any cause trouble?"),
            "options": [
                {"code": "none", "text": _t("Không có", "None")},
                {"code": "some", "text": _t("Một số", "Some")},
                {"code": "many", "text": _t("Nhiều", "Many")},
            ],
        },
        {
            "code": "q10",
            "type": "priority",
            "block": "expectations",
            "publish_as": "top_two",
            "publish_categories": ["very_much", "much"],
            "text": _t("Nhà nước cần ưu tiên ở mức nào?", "How much should the State prioritise?"),
            "rows": [{"code": "q10_competence", "text": _t("Năng lực công chức", "Competence")}],
        },
    ]
    return definition


@dataclass(frozen=True)
class ShareCampaign:
    """The release campaign and, per completed response in id order, its stratum and answers."""

    base: ReleaseCampaign
    strata: list[str]
    answers: list[dict[str, Any]]

    @property
    def campaign_id(self) -> int:
        return self.base.campaign_id


def build_share_campaign(session: Session, *, seed: int = 11) -> ShareCampaign:
    """:func:`build_release_campaign` on the form of :func:`shares_definition`: 80% dealt with
    an agency (q8 = yes) and were asked q4; a few of the others carry a stale q4 that must not
    count; q10_competence blank for about 5%."""
    base = build_release_campaign(session)
    questionnaire = create_draft(session=session, definition=shares_definition())
    assert questionnaire.id is not None
    questionnaire = publish_questionnaire(session=session, questionnaire_id=questionnaire.id)
    assert questionnaire.id is not None
    campaign = session.get(Campaign, base.campaign_id)
    assert campaign is not None
    campaign.questionnaire_id = questionnaire.id
    session.add(campaign)
    rng = np.random.default_rng(seed)
    responses = session.exec(
        select(Response)
        .where(col(Response.campaign_id) == base.campaign_id)
        .order_by(col(Response.id))
    ).all()
    strata: list[str] = []
    answers_list: list[dict[str, Any]] = []
    for response in responses:
        answers = dict(response.answers or {})
        asked = rng.random() < 0.8
        answers["q8"] = "yes" if asked else "no"
        u = rng.random()
        if asked and u < 0.95:
            answers["q4"] = str(rng.choice(["none", "some", "many"], p=[0.85, 0.11, 0.04]))
        elif not asked and u < 0.3:
            answers["q4"] = "many"  # stale: the judgement block was not shown
        if rng.random() < 0.95:
            answers["q10_competence"] = str(
                rng.choice(["very_much", "much", "little"], p=[0.4, 0.3, 0.3])
            )
        response.answers = answers
        response.questionnaire_id = questionnaire.id
        session.add(response)
        if response.status == "completed":
            strata.append(response.stratum)
            answers_list.append(answers)
    session.commit()
    return ShareCampaign(base=base, strata=strata, answers=answers_list)


def hand_share(
    campaign: ShareCampaign, item: str, chosen: set[str], stratum: str | None = None
) -> float:
    """The release's share by hand: weights N_h / r_h after the non-response adjustment
    (every sampled unit of a stratum has d = N_h / S_h, its respondents carry S_h / r_h more)."""
    weight = {s: v[2] / v[4] for s, v in STRATA.items()}
    num = den = 0.0
    for s, answers in zip(campaign.strata, campaign.answers, strict=True):
        value = answers.get(item)
        if stratum not in (None, s) or value is None:
            continue
        if item == "q4" and answers.get("q8") != "yes":
            continue
        den += weight[s]
        num += weight[s] * (value in chosen)
    return num / den


def publish_share_release(
    session: Session, *, by: tuple[str, ...] = ("agency_code",), min_respondents: int = 30
) -> tuple[ShareCampaign, IndexRelease]:
    """:func:`build_share_campaign`, its release computed and submitted by an analyst and
    published by a publisher (four eyes)."""
    campaign = build_share_campaign(session)
    maker = make_user(session, "analyst", "shares-maker")
    reviewer = make_user(session, "publisher", "shares-reviewer")
    release = compute_release(
        session=session,
        campaign_id=campaign.campaign_id,
        name="Chỉ số và tỷ lệ 2026",
        by=by,
        min_respondents=min_respondents,
        created_by=maker.id,
    )
    assert release.id is not None
    submit_release(session=session, release_id=release.id, actor=maker)
    publish_release(session=session, release_id=release.id, actor=reviewer)
    session.refresh(release)
    return campaign, release
