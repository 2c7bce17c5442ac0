"""A campaign with completed responses written straight to the database, for the release tests.

Three strata (one agency each) with known frame counts N_h, an equal-probability sample of S_h
units per stratum (plus reserves, which must not count), and r_h completed responses whose
answers are random 1-5 with some "not applicable" (0) and some criteria left out. A few
in-progress responses must be ignored. Shared by the survey, API and page tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlmodel import Session

from survey.models import (
    Campaign,
    Design,
    Dossier,
    Draw,
    Frame,
    Invitation,
    Response,
    SampleUnit,
    utcnow,
)
from survey.questionnaires import criterion_codes, ensure_builtin_questionnaires
from survey.tokens import hash_token

# stratum -> (agency, province, N_h frame count, S_h sampled, r_h respondents)
STRATA: dict[str, tuple[str, str, int, int, int]] = {
    "A": ("AG-A", "01", 400, 60, 45),
    "B": ("AG-B", "79", 300, 50, 30),
    "C": ("AG-C", "79", 200, 40, 32),
}
RESERVES_PER_STRATUM = 3


@dataclass(frozen=True)
class ReleaseCampaign:
    """The campaign and, in insertion (= id) order, what each completed response holds."""

    campaign_id: int
    criteria: list[str]
    strata: list[str]
    agencies: list[str]
    channels: list[str]
    answers: list[dict[str, Any]]
    response_ids: list[int] = field(default_factory=list)
    dossier_ids: list[int] = field(default_factory=list)  # the dossier each response is about


def _answers(rng: np.random.Generator, criteria: list[str], stratum: str) -> dict[str, Any]:
    # Strata differ in satisfaction so the agencies can be ranked.
    shift = {"A": 0.8, "B": 0.0, "C": -0.6}.get(stratum, 0.0)
    probs = np.array([0.05, 0.1, 0.2, 0.4, 0.25])
    probs = probs * np.exp(shift * np.arange(5) / 4)
    probs = probs / probs.sum()
    answers: dict[str, Any] = {}
    for code in criteria:
        u = rng.random()
        if u < 0.05:
            continue  # not answered
        if u < 0.15:
            answers[code] = 0  # not applicable
            continue
        answers[code] = int(rng.choice(5, p=probs)) + 1
    answers["harassment"] = "none"
    return answers


def build_release_campaign(
    session: Session,
    *,
    seed: int = 7,
    strata_spec: dict[str, tuple[str, str, int, int, int]] | None = None,
) -> ReleaseCampaign:
    """Frame, design, draw (with the snapshot of N_h), campaign, units and responses.

    ``strata_spec`` replaces :data:`STRATA` (stratum -> agency, province, N_h, S_h, r_h).
    """
    spec = STRATA if strata_spec is None else strata_spec
    rng = np.random.default_rng(seed)
    frame = Frame(name="Hồ sơ quý III", status="ready")
    session.add(frame)
    session.flush()
    assert frame.id is not None
    design = Design(name="Phân tầng theo cơ quan", frame_id=frame.id)
    session.add(design)
    session.flush()
    assert design.id is not None
    snapshot = {
        "design": {"selection": "srswor", "stratify_by": ["agency_code"]},
        "allocation": {
            "method": "proportional",
            "strata": list(spec),
            "population": [v[2] for v in spec.values()],
            "n": [v[3] for v in spec.values()],
        },
    }
    draw = Draw(
        design_id=design.id,
        seed=seed,
        frame_hash="0" * 64,
        library_version="test",
        design_snapshot=snapshot,
    )
    session.add(draw)
    session.flush()
    assert draw.id is not None
    questionnaire = ensure_builtin_questionnaires(session=session)
    assert questionnaire.id is not None
    criteria = criterion_codes(questionnaire.definition)
    now = utcnow()
    campaign = Campaign(
        name="Đợt 2026",
        draw_id=draw.id,
        questionnaire_id=questionnaire.id,
        field_start=now - timedelta(days=10),
        field_end=now + timedelta(days=10),
        status="active",
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None

    dossiers: list[Dossier] = []
    unit_specs: list[tuple[str, bool]] = []
    for stratum, (agency, province, _, sampled, _) in spec.items():
        for k in range(sampled + RESERVES_PER_STRATUM):
            dossiers.append(
                Dossier(
                    frame_id=frame.id,
                    row_number=len(dossiers) + 1,
                    dossier_code=f"HS-{len(dossiers):05d}",
                    agency_code=agency,
                    province_code=province,
                    level="commune",
                    procedure_field="Hộ tịch",
                    channel="direct" if k % 2 == 0 else "online",
                    received_date=date(2026, 9, 1),
                    completed_date=date(2026, 9, 10),
                )
            )
            unit_specs.append((stratum, k >= sampled))
    session.add_all(dossiers)
    session.flush()
    units = []
    for dossier, (stratum, reserve) in zip(dossiers, unit_specs, strict=True):
        population, sampled = spec[stratum][2], spec[stratum][3]
        assert dossier.id is not None
        units.append(
            SampleUnit(
                draw_id=draw.id,
                dossier_id=dossier.id,
                stratum=stratum,
                inclusion_prob=sampled / population,
                weight=population / sampled,
                is_reserve=reserve,
            )
        )
    session.add_all(units)
    session.flush()

    # Each response answers an invitation of one of its stratum's sampled (non-reserve) units.
    sampled_units: dict[str, list[SampleUnit]] = {}
    for unit in units:
        if not unit.is_reserve:
            sampled_units.setdefault(unit.stratum, []).append(unit)
    invitations: list[Invitation] = []
    for stratum, (_, _, _, _, respondents) in spec.items():
        for k in range(respondents + 2):
            unit = sampled_units[stratum][k]
            assert unit.id is not None
            invitations.append(
                Invitation(
                    campaign_id=campaign.id,
                    sample_unit_id=unit.id,
                    token_hash=hash_token(f"{campaign.id}-{stratum}-{k}"),
                    token_salt=f"salt-{stratum}-{k}",
                    channel="sms",
                    expires_at=now + timedelta(days=10),
                )
            )
    session.add_all(invitations)
    session.flush()
    next_invitation = iter(invitations)
    dossier_of_unit = {unit.id: unit.dossier_id for unit in units}

    # As survey.responses leaves them: a completed response has no invitation (its invitation is
    # marked completed), a draft keeps its link and marks its invitation started.
    responses: list[Response] = []
    strata: list[str] = []
    agencies: list[str] = []
    channels: list[str] = []
    answers_list: list[dict[str, Any]] = []
    dossier_ids: list[int] = []
    for stratum, (agency, province, population, sampled, respondents) in spec.items():
        for k in range(respondents + 2):
            answers = _answers(rng, criteria, stratum)
            completed = k < respondents
            channel = "direct" if k % 2 == 0 else "online"
            invitation = next(next_invitation)
            invitation.started_at = now
            invitation.completed_at = now if completed else None
            responses.append(
                Response(
                    campaign_id=campaign.id,
                    invitation_id=None if completed else invitation.id,
                    questionnaire_id=questionnaire.id,
                    answers=answers,
                    status="completed" if completed else "in_progress",
                    stratum=stratum,
                    inclusion_prob=sampled / population,
                    weight=population / sampled,
                    agency_code=agency,
                    province_code=province,
                    level="commune",
                    procedure_field="Hộ tịch",
                    channel=channel,
                    completed_month=now.date().replace(day=1) if completed else None,
                )
            )
            if completed:
                strata.append(stratum)
                agencies.append(agency)
                channels.append(channel)
                answers_list.append(answers)
                dossier_ids.append(dossier_of_unit[invitation.sample_unit_id])
    session.add_all(invitations)
    session.add_all(responses)
    session.commit()
    return ReleaseCampaign(
        campaign_id=campaign.id,
        criteria=criteria,
        strata=strata,
        agencies=agencies,
        channels=channels,
        answers=answers_list,
        response_ids=[r.id for r in responses if r.status == "completed" and r.id is not None],
        dossier_ids=dossier_ids,
    )
