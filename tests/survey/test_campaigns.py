"""Campaign life cycle and the checks on its inputs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from survey.campaigns import (
    activate_campaign,
    close_campaign,
    create_campaign,
    list_campaigns,
)
from survey.errors import Conflict, InvalidInput
from survey.models import Questionnaire, SmsMessage
from survey.settings import Settings
from tests.survey.campaign_factory import NOW, build_fieldwork


def test_life_cycle_draft_active_closed(session: Session) -> None:
    fw = build_fieldwork(session, activate=False)
    assert fw.campaign.id is not None and fw.campaign.status == "draft"
    assert fw.campaign.reminder_days == [3, 7]
    active = activate_campaign(session=session, campaign_id=fw.campaign.id, now=NOW)
    assert active.status == "active"
    with pytest.raises(Conflict):
        activate_campaign(session=session, campaign_id=fw.campaign.id, now=NOW)
    assert close_campaign(session=session, campaign_id=fw.campaign.id).status == "closed"
    with pytest.raises(Conflict):
        close_campaign(session=session, campaign_id=fw.campaign.id)
    assert [c.id for c in list_campaigns(session=session)] == [fw.campaign.id]


def test_rejects_draft_questionnaire_bad_period_and_template(session: Session) -> None:
    fw = build_fieldwork(session, activate=False)
    draft = Questionnaire(code="q", version=2, status="draft", title_vi="x", definition={})
    session.add(draft)
    session.commit()
    assert draft.id is not None
    with pytest.raises(InvalidInput) as info:
        create_campaign(
            session=session,
            name="",
            draw_id=fw.campaign.draw_id,
            questionnaire_id=draft.id,
            field_start=NOW,
            field_end=NOW - timedelta(days=1),
            sms_template="Moi {agency} danh gia {phone}",
            reminder_days=[0, 3],
        )
    locs = {p.loc for p in info.value.problems}
    assert {
        ("name",),
        ("field_end",),
        ("sms_template",),
        ("reminder_days", 0),
        ("questionnaire_id",),
    } <= locs


def test_template_without_link_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as info:
        build_fieldwork(session, sms_template="{agency} moi danh gia")
    assert [p.loc for p in info.value.problems] == [("sms_template",)]
    assert "{link}" in info.value.problems[0].msg


def test_cannot_activate_after_field_end(session: Session) -> None:
    fw = build_fieldwork(session, activate=False, field_days=1)
    assert fw.campaign.id is not None
    with pytest.raises(Conflict, match="ended"):
        activate_campaign(session=session, campaign_id=fw.campaign.id, now=NOW + timedelta(days=2))


def test_closing_cancels_queued_messages(session: Session, settings: Settings) -> None:
    from survey.invitations import create_invitations
    from survey.outbox import queue_invitation_sms

    fw = build_fieldwork(session)
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    close_campaign(session=session, campaign_id=fw.campaign.id)
    session.expire_all()
    assert {m.status for m in session.exec(select(SmsMessage))} == {"cancelled"}
