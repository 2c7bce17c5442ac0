"""Builds a small frame, draw, published questionnaire and campaign for the fieldwork tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from survey.campaigns import activate_campaign, create_campaign
from survey.models import (
    Campaign,
    Design,
    Dossier,
    DossierContact,
    Draw,
    Frame,
    Questionnaire,
    SampleUnit,
)

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi, a Monday


@dataclass(frozen=True)
class Fieldwork:
    campaign: Campaign
    unit_ids: list[int]
    dossier_ids: list[int]
    phones: dict[int, str]  # sample unit id -> phone


def build_fieldwork(
    session: Session,
    *,
    n: int = 6,
    without_phone: tuple[int, ...] = (5,),
    reserve: tuple[int, ...] = (),
    duplicate: tuple[int, ...] = (),
    strata: tuple[str, ...] = ("A", "B"),
    activate: bool = True,
    now: datetime = NOW,
    field_days: int = 14,
    sms_template: str = "",
    strip_diacritics: bool = False,
) -> Fieldwork:
    """``n`` dossiers in alternating strata/agencies; index ``i`` has phone +8491234{i:04d}."""
    frame = Frame(name="frame", status="ready")
    session.add(frame)
    session.commit()
    assert frame.id is not None
    design = Design(name="d", frame_id=frame.id)
    session.add(design)
    session.commit()
    assert design.id is not None
    draw = Draw(design_id=design.id, seed=1, frame_hash="x", library_version="1")
    session.add(draw)
    questionnaire = Questionnaire(
        code="sipas-test", version=1, status="published", title_vi="Phiếu", definition={}
    )
    session.add(questionnaire)
    session.commit()
    assert draw.id is not None and questionnaire.id is not None
    unit_ids: list[int] = []
    dossier_ids: list[int] = []
    phones: dict[int, str] = {}
    for i in range(n):
        stratum = strata[i % len(strata)]
        dossier = Dossier(
            frame_id=frame.id,
            row_number=i + 1,
            dossier_code=f"HS-{i:04d}",
            agency_code=f"AG{stratum}",
            agency_name=f"UBND xã {stratum}",
            province_code="01",
            level="commune",
            procedure_code="P1",
            procedure_field="Hộ tịch",
            channel="direct" if i % 3 else "online",
            received_date=date(2026, 1, 5),
            completed_date=date(2026, 1, 20),
            contactable=i not in without_phone,
        )
        session.add(dossier)
        session.flush()
        assert dossier.id is not None
        dossier_ids.append(dossier.id)
        phone = f"+8491234{i:04d}"
        if i not in without_phone:
            session.add(DossierContact(dossier_id=dossier.id, phone_e164=phone))
        unit = SampleUnit(
            draw_id=draw.id,
            dossier_id=dossier.id,
            stratum=stratum,
            inclusion_prob=0.5,
            weight=2.0,
            is_reserve=i in reserve,
            contact_status="duplicate_contact" if i in duplicate else "invite",
        )
        session.add(unit)
        session.flush()
        assert unit.id is not None
        unit_ids.append(unit.id)
        if i not in without_phone:
            phones[unit.id] = phone
    session.commit()
    campaign = create_campaign(
        session=session,
        name="Đợt 2026",
        draw_id=draw.id,
        questionnaire_id=questionnaire.id,
        field_start=now - timedelta(hours=1),
        field_end=now + timedelta(days=field_days),
        sms_template=sms_template,
        strip_diacritics=strip_diacritics,
    )
    assert campaign.id is not None
    if activate:
        campaign = activate_campaign(session=session, campaign_id=campaign.id, now=now)
    return Fieldwork(campaign, unit_ids, dossier_ids, phones)
