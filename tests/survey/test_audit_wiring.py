"""The use cases that touch personal data or publish figures leave an audit entry each."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.audit import SYSTEM_ACTOR, verify_audit_chain
from survey.campaigns import close_campaign
from survey.draws import export_sample, run_draw
from survey.fieldwork_exports import disposition_table, response_export
from survey.invitations import create_invitations
from survey.letters import render_letters
from survey.models import AuditEvent, Questionnaire, Role, StaffUser
from survey.purge import purge_contacts
from survey.questionnaires import publish_questionnaire
from survey.releases import compute_release, publish_release, submit_release
from survey.settings import Settings
from tests.api.fast_users import make_user
from tests.survey.campaign_factory import NOW, build_fieldwork
from tests.survey.design_frames import frame_rows, import_rows
from tests.survey.release_fixtures import build_release_campaign
from tests.survey.test_draws import STRATA, make_design


def _events(session: Session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def _admin(session: Session) -> StaffUser:
    return make_user(session, Role.ADMIN, "quan-tri")


def test_sample_download_records_whether_phones_were_included(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    frame_id = import_rows(engine, tmp_path, frame_rows(STRATA))
    draw = run_draw(
        session=session, design_id=make_design(session, frame_id), seed=2, created_by=None
    )
    assert draw.id is not None
    admin = _admin(session)
    export_sample(
        session=session, draw_id=draw.id, include_phones=True, viewer=admin, address="10.0.0.9"
    )
    export_sample(session=session, draw_id=draw.id, fmt="xlsx")
    first, second = _events(session)
    assert (first.action, first.actor_name, first.actor_id) == (
        "export.sample",
        "quan-tri",
        admin.id,
    )
    assert first.target == f"draw:{draw.id}" and first.address == "10.0.0.9"
    assert first.details == {"phones_included": True, "format": "csv", "scoped": False}
    assert second.actor_name == SYSTEM_ACTOR and second.details["phones_included"] is False
    assert verify_audit_chain(session=session).ok


def test_letters_purge_and_exports_are_recorded(session: Session, settings: Settings) -> None:
    fw = build_fieldwork(session, n=5, without_phone=(1, 3))
    campaign_id = fw.campaign.id
    assert campaign_id is not None
    create_invitations(session=session, settings=settings, campaign_id=campaign_id, now=NOW)
    admin = _admin(session)
    render_letters(session=session, settings=settings, campaign_id=campaign_id, actor=admin)
    response_export(session=session, settings=settings, campaign_id=campaign_id, actor=admin)
    disposition_table(session=session, campaign_id=campaign_id, by="agency", actor=admin)
    close_campaign(session=session, campaign_id=campaign_id)
    purge_contacts(session=session, campaign_id=campaign_id, actor=admin, address="::1")
    events = _events(session)
    assert [e.action for e in events] == [
        "letters.printed",
        "export.responses",
        "export.dispositions",
        "campaign.purged",
    ]
    assert {e.target for e in events} == {f"campaign:{campaign_id}"}
    assert {e.actor_id for e in events} == {admin.id}
    assert events[0].details == {"letters": 2, "channel": "letter"}
    assert events[1].details == {"rows": 0, "include_partial": False}
    assert events[2].details["by"] == "agency"
    assert events[3].details == {"invitations": 3, "messages": 0, "contacts": 3}
    assert events[3].address == "::1"
    # No phone number or link ends up in the log.
    text = " ".join(str(e.details) for e in events)
    assert not any(phone[-9:] in text for phone in fw.phones.values()) and "/r/" not in text
    assert verify_audit_chain(session=session).ok


def test_questionnaire_publication_is_recorded_once(session: Session) -> None:
    admin = _admin(session)
    draft = Questionnaire(code="q-test", version=2, status="draft", title_vi="Phiếu", definition={})
    session.add(draft)
    session.commit()
    assert draft.id is not None
    publish_questionnaire(session=session, questionnaire_id=draft.id, actor=admin)
    publish_questionnaire(session=session, questionnaire_id=draft.id, actor=admin)  # no-op
    (event,) = _events(session)
    assert (event.action, event.target) == ("questionnaire.published", f"questionnaire:{draft.id}")
    assert event.details == {"code": "q-test", "version": 2}
    assert event.actor_name == "quan-tri"


def test_release_publication_is_recorded(session: Session) -> None:
    admin = _admin(session)
    rc = build_release_campaign(session)
    analyst = make_user(session, "analyst", "phan-tich")
    release = compute_release(session=session, campaign_id=rc.campaign_id, name="Quý I", by=[])
    assert release.id is not None
    submit_release(session=session, release_id=release.id, actor=analyst)
    publish_release(session=session, release_id=release.id, actor=admin, address="10.0.0.5")
    (event,) = [e for e in _events(session) if e.action == "release.published"]
    assert (event.action, event.target) == ("release.published", f"release:{release.id}")
    assert event.details == {
        "campaign_id": rc.campaign_id,
        "name": "Quý I",
        "version": 1,
        "sha256": release.content_sha256,
    }
    assert (event.actor_id, event.address) == (admin.id, "10.0.0.5")
    assert verify_audit_chain(session=session).ok
