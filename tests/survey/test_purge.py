"""The contact purge deletes every phone, leaves the answers byte-identical and no response
linked to an invitation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from survey.campaigns import close_campaign
from survey.errors import Conflict
from survey.invitations import create_invitations
from survey.models import DossierContact, Invitation, Response, SmsMessage, SmsOptOut
from survey.optouts import record_opt_out
from survey.outbox import queue_invitation_sms
from survey.purge import purge_contacts
from survey.settings import Settings
from tests.survey.campaign_factory import NOW, build_fieldwork


def _responses_bytes(session: Session) -> bytes:
    # Raw rows as the database returns them, answers as stored text.
    rows = session.execute(text("SELECT * FROM response ORDER BY id")).mappings().all()
    return json.dumps([dict(r) for r in rows], default=str, sort_keys=True).encode()


def test_purge_removes_phones_and_keeps_answers(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=4, without_phone=())
    assert fw.campaign.id is not None
    create_invitations(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=fw.campaign.id, now=NOW)
    invitation = session.exec(select(Invitation)).first()
    assert invitation is not None and invitation.phone_e164 is not None
    record_opt_out(
        session=session, settings=settings, phone_e164=fw.phones[fw.unit_ids[3]], keyword="STOP"
    )
    session.add(
        Response(
            campaign_id=fw.campaign.id,
            questionnaire_id=fw.campaign.questionnaire_id,
            answers={"access_q15": 4, "harassment": "none", "comment": "Cán bộ tận tình"},
            status="completed",
            stratum="A",
            inclusion_prob=0.5,
            weight=2.0,
            agency_code="AGA",
            province_code="01",
            level="commune",
            channel="direct",
            completed_month=NOW.date().replace(day=1),
        )
    )
    # A draft never submitted: linked to its invitation while fieldwork runs.
    draft_of = session.exec(select(Invitation).where(Invitation.id != invitation.id)).first()
    assert draft_of is not None
    session.add(
        Response(
            campaign_id=fw.campaign.id,
            invitation_id=draft_of.id,
            questionnaire_id=fw.campaign.questionnaire_id,
            answers={"access_q15": 2},
            stratum="B",
            inclusion_prob=0.5,
            weight=2.0,
            agency_code="AGB",
            province_code="01",
            level="commune",
            channel="online",
        )
    )
    session.commit()
    before = _responses_bytes(session)
    with pytest.raises(Conflict, match="close"):
        purge_contacts(session=session, campaign_id=fw.campaign.id)
    close_campaign(session=session, campaign_id=fw.campaign.id)
    # Closing unlinked the draft; nothing else in the answers changed.
    before = before.replace(f'"invitation_id": {draft_of.id}'.encode(), b'"invitation_id": null')
    assert _responses_bytes(session) == before
    session.execute(
        text("UPDATE response SET invitation_id = :i WHERE status = 'in_progress'"),
        {"i": draft_of.id},
    )  # as if closed before this rule existed
    session.commit()
    report = purge_contacts(session=session, campaign_id=fw.campaign.id, now=NOW)
    assert report.unlinked_responses == 1
    assert (report.invitations, report.messages, report.contacts) == (4, 4, 4)
    session.expire_all()
    assert all(i.phone_e164 is None for i in session.exec(select(Invitation)))
    assert all(m.to_e164 is None for m in session.exec(select(SmsMessage)))
    assert session.exec(select(DossierContact)).all() == []
    # No phone anywhere in the fieldwork tables, in any form.
    for phone in fw.phones.values():
        for table in ("invitation", "sms_message", "sms_opt_out", "response"):
            dump = json.dumps(
                [dict(r) for r in session.execute(text(f"SELECT * FROM {table}")).mappings()],
                default=str,
            )
            assert phone not in dump and phone[3:] not in dump
    assert _responses_bytes(session) == before
    # No path from any response to an invitation (and so to a dossier) is left.
    linked = select(Response).where(col(Response.invitation_id).is_not(None))
    assert session.exec(linked).all() == []
    assert len(session.exec(select(SmsOptOut)).all()) == 1  # the keyed hash survives
    again = purge_contacts(session=session, campaign_id=fw.campaign.id, now=NOW)
    assert (again.invitations, again.messages, again.contacts) == (0, 0, 0)
