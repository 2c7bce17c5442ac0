"""The minimal rows behind citizens' links, built directly: frame, dossiers, design, draw, sampled
units, the published built-in questionnaire, an active campaign and its invitations.

Shared by the response tests, the answer-page tests, the browser test and
``bench/answer_submissions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from survey.models import (
    Campaign,
    Design,
    Dossier,
    Draw,
    Frame,
    Invitation,
    SampleUnit,
    utcnow,
)
from survey.questionnaires import answer_pages, criterion_codes, ensure_builtin_questionnaires
from survey.tokens import hash_token, make_token, new_salt

AGENCY_NAME = "UBND phường Bến Nghé"


@dataclass(frozen=True)
class Fieldwork:
    """What a test needs: the campaign, its invitations (in order) and their tokens."""

    campaign_id: int
    questionnaire_id: int
    definition: dict[str, Any]
    invitation_ids: list[int]
    tokens: list[str]


def _id(value: int | None) -> int:
    assert value is not None, "flush the row first"
    return value


def build_fieldwork(
    session: Session, secret_key: str, n: int = 3, *, campaign_status: str = "active"
) -> Fieldwork:
    """``n`` sampled dossiers in two strata, each with an SMS invitation valid for 30 days."""
    frame = Frame(name="Hồ sơ quý III", status="ready", row_count=n)
    session.add(frame)
    session.flush()
    assert frame.id is not None
    design = Design(name="Thiết kế thử", frame_id=frame.id)
    session.add(design)
    session.flush()
    assert design.id is not None
    draw = Draw(design_id=design.id, seed=20261123, frame_hash="0" * 64, library_version="test")
    session.add(draw)
    session.flush()
    assert draw.id is not None
    questionnaire = ensure_builtin_questionnaires(session=session)
    assert questionnaire.id is not None
    now = utcnow()
    campaign = Campaign(
        name="Đợt khảo sát thử",
        draw_id=draw.id,
        questionnaire_id=questionnaire.id,
        field_start=now - timedelta(days=1),
        field_end=now + timedelta(days=30),
        status=campaign_status,
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    dossiers = [
        Dossier(
            frame_id=frame.id,
            row_number=i + 1,
            dossier_code=f"HS-{i:06d}",
            agency_code="79-BN" if i % 2 == 0 else "79-Q1",
            agency_name=AGENCY_NAME if i % 2 == 0 else "UBND Quận 1",
            province_code="79",
            level="commune",
            procedure_code="1.001612",
            procedure_field="Hộ tịch",
            channel="direct" if i % 2 == 0 else "online",
            received_date=date(2026, 9, 1),
            completed_date=date(2026, 9, 10),
            contactable=True,
        )
        for i in range(n)
    ]
    session.add_all(dossiers)
    session.flush()
    units = [
        SampleUnit(
            draw_id=draw.id,
            dossier_id=_id(dossier.id),
            stratum=dossier.agency_code,
            inclusion_prob=0.25 if i % 2 == 0 else 0.5,
            weight=4.0 if i % 2 == 0 else 2.0,
        )
        for i, dossier in enumerate(dossiers)
    ]
    session.add_all(units)
    session.flush()
    salts = [new_salt() for _ in units]
    tokens = [make_token(secret_key, salt) for salt in salts]
    invitations = [
        Invitation(
            campaign_id=campaign.id,
            sample_unit_id=_id(unit.id),
            token_hash=hash_token(token),
            token_salt=salt,
            channel="sms",
            phone_e164=f"+8490{i:07d}",
            expires_at=campaign.field_end,
        )
        for i, (unit, salt, token) in enumerate(zip(units, salts, tokens, strict=True))
    ]
    session.add_all(invitations)
    session.commit()
    return Fieldwork(
        campaign_id=campaign.id,
        questionnaire_id=questionnaire.id,
        definition=questionnaire.definition,
        invitation_ids=[inv.id for inv in invitations if inv.id is not None],
        tokens=tokens,
    )


def full_answers(definition: dict[str, Any], level: int = 4) -> dict[str, Any]:
    """A complete, valid set of answers: every criterion at ``level``, the first criterion N/A."""
    answers: dict[str, Any] = dict.fromkeys(criterion_codes(definition), level)
    answers[criterion_codes(definition)[0]] = 0
    answers["harassment"] = "none"
    answers["preferred_channel"] = ["direct", "online"]
    answers["comments"] = "Cán bộ nhiệt tình."
    return answers


def page_form(definition: dict[str, Any], index: int, answers: dict[str, Any]) -> dict[str, Any]:
    """The form fields of page ``index`` (from 0) for ``answers``, as a browser would post them."""
    page = answer_pages(definition)[index]
    form: dict[str, Any] = {}
    for code in page.item_codes:
        if code in answers:
            value = answers[code]
            form[code] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return form
