"""Mode everywhere: one disposition per case across SMS, letter, paper and interviews, rates by
mode, and no reminder to someone who answered (or settled the case) in another mode."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.cli.main import main
from survey.backchecks import register_collected_form
from survey.dispositions import campaign_dispositions
from survey.fieldwork_exports import response_table, to_csv
from survey.interviews import assign_cases, record_attempt
from survey.invitations import create_invitations
from survey.models import Invitation, Questionnaire, Response, SmsMessage, StaffUser, utcnow
from survey.models.data_entry import PaperEntry
from survey.outbox import queue_invitation_sms
from survey.paper_forms import form_number
from survey.questionnaires import ensure_builtin_questionnaires
from survey.reminders import queue_due_reminders
from survey.responses import complete_response, questionnaire_for
from survey.settings import Settings
from survey.users import UNLIMITED
from survey.worker import process_batch
from tests.survey.campaign_factory import build_fieldwork
from tests.survey.fake_sms import FakeClock, RecordingGateway
from tests.survey.release_fixtures import build_release_campaign
from tests.survey.responses_fixtures import full_answers

# 10:00 in Hanoi today (outside quiet hours): interview assignment reads the real clock, so the
# field period must include it.
NOW = utcnow().replace(hour=3, minute=0, second=0, microsecond=0)


def _staff(session: Session, username: str, role: str) -> StaffUser:
    user = StaffUser(username=username, role=role, password_hash="x")
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def _complete(session: Session, invitation: Invitation, mode: str, collector: StaffUser) -> None:
    """A form completed through the one guard and, when staff collected it, the back-check hook."""
    questionnaire = questionnaire_for(session=session, invitation=invitation)
    answers = full_answers(questionnaire.definition)
    result = complete_response(session=session, invitation=invitation, answers=answers, mode=mode)
    assert result.created and result.response_id is not None
    if mode != "web":
        response = session.get(Response, result.response_id)
        assert response is not None and collector.id is not None
        register_collected_form(
            session=session,
            invitation=invitation,
            response=response,
            collector_id=collector.id,
            mode=mode,
        )
    session.commit()


def _mixed_campaign(session: Session, settings: Settings) -> tuple[int, list[Invitation]]:
    """Seven SMS-invited cases (sent at NOW), worked as follows:

    0 paper form keyed (completed, paper)   1 phone interview (completed, phone)
    2 web answer (completed, web)            3 phone refusal 2.11 (final)
    4 SMS, then a letter with a paper form, then a phone call not answered (3.13, open)
    5 paper form returned, waiting in data entry      6 SMS delivered, nothing else
    """
    fw = build_fieldwork(session, n=7, without_phone=(), field_days=20, now=NOW)
    assert fw.campaign.id is not None
    campaign_id = fw.campaign.id
    questionnaire = session.get(Questionnaire, fw.campaign.questionnaire_id)
    assert questionnaire is not None
    questionnaire.definition = ensure_builtin_questionnaires(session=session).definition
    session.add(questionnaire)
    session.commit()
    create_invitations(session=session, settings=settings, campaign_id=campaign_id, now=NOW)
    queue_invitation_sms(session=session, settings=settings, campaign_id=campaign_id, now=NOW)
    process_batch(
        session=session, settings=settings, gateway=RecordingGateway(), clock=FakeClock(NOW)
    )
    invitations = list(
        session.exec(
            select(Invitation)
            .where(col(Invitation.campaign_id) == campaign_id)
            .order_by(col(Invitation.id))
        )
    )
    clerk = _staff(session, "clerk-1", "clerk")
    interviewer = _staff(session, "interviewer-1", "interviewer")
    coordinator = _staff(session, "coordinator-1", "coordinator")
    assert interviewer.id is not None
    _complete(session, invitations[0], "paper", clerk)
    _complete(session, invitations[2], "web", clerk)
    form_number(session=session, invitation_id=invitations[4].id or 0)
    assignments = assign_cases(
        session=session,
        campaign_id=campaign_id,
        invitation_ids=[invitations[i].id or 0 for i in (1, 3, 4)],
        interviewer_id=interviewer.id,
        mode="phone",
        actor=coordinator,
        scope=UNLIMITED,
    )
    by_invitation = {a.invitation_id: a for a in assignments}
    record_attempt(
        session=session,
        assignment_id=by_invitation[invitations[3].id or 0].id or 0,
        interviewer=interviewer,
        code="2.11",
        now=NOW + timedelta(hours=2),
    )
    record_attempt(
        session=session,
        assignment_id=by_invitation[invitations[4].id or 0].id or 0,
        interviewer=interviewer,
        code="3.13",
        now=NOW + timedelta(hours=2),
    )
    # The phone interview of case 1, completed the way survey.interviews completes one.
    _complete(session, invitations[1], "phone", interviewer)
    session.add(PaperEntry(campaign_id=campaign_id, invitation_id=invitations[5].id or 0))
    session.commit()
    return campaign_id, invitations


def test_one_disposition_per_case_across_modes(session: Session, settings: Settings) -> None:
    campaign_id, _ = _mixed_campaign(session, settings)
    (overall,) = campaign_dispositions(session=session, campaign_id=campaign_id, now=NOW)
    assert overall.cases == 7
    assert sum(overall.counts.values()) == 7
    assert overall.counts["completed"] == 3
    assert overall.counts["interview_refusal"] == 1
    # Case 4 went SMS -> letter -> phone: one case, under its interview's code so far.
    assert overall.counts["interview_unknown"] == 1
    assert overall.counts["sent"] == 2  # case 5 (form in data entry) and case 6
    assert overall.rates.I == 3 and overall.rates.R == 1 and overall.rates.UH == 1
    assert overall.rates.rr1 == 3 / 7


def test_dispositions_by_mode(session: Session, settings: Settings) -> None:
    campaign_id, _ = _mixed_campaign(session, settings)
    groups = {
        g.group: g
        for g in campaign_dispositions(session=session, campaign_id=campaign_id, by="mode", now=NOW)
    }
    assert set(groups) == {"paper", "phone", "web"}
    # Case 0 keyed from paper, case 5 returned on paper and waiting in data entry.
    assert groups["paper"].cases == 2
    assert groups["paper"].counts["completed"] == 1
    # Cases 1, 3, 4 were assigned to the phone: one completed, one refusal, one unanswered.
    phone = groups["phone"]
    assert phone.cases == 3
    assert (
        phone.counts["completed"],
        phone.counts["interview_refusal"],
        phone.counts["interview_unknown"],
    ) == (1, 1, 1)
    assert phone.rates.rr1 == 1 / 3 and phone.rates.coop1 == 1 / 2
    # Web: case 2 answered online, case 6 only got the SMS link.
    assert groups["web"].cases == 2 and groups["web"].counts["completed"] == 1
    assert sum(g.cases for g in groups.values()) == 7


def test_no_reminder_after_an_answer_in_another_mode(session: Session, settings: Settings) -> None:
    campaign_id, invitations = _mixed_campaign(session, settings)
    queue_due_reminders(
        session=session,
        settings=settings,
        campaign_id=campaign_id,
        now=NOW + timedelta(days=3, hours=1),
    )
    reminded = {
        m.invitation_id
        for m in session.exec(select(SmsMessage).where(col(SmsMessage.kind) == "reminder"))
    }
    # Paper (0), phone (1) and web (2) answers, the phone refusal (3) and the paper form in data
    # entry (5) get none; the unanswered call (4) and the plain SMS (6) are reminded.
    assert reminded == {invitations[4].id, invitations[6].id}


def test_export_carries_mode_and_analyze_runs_by_mode(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    campaign = build_release_campaign(session)
    # Every other response was a phone interview.
    session.execute(
        update(Response)
        .where(col(Response.id).in_(campaign.response_ids[::2]))
        .values(mode="phone")
    )
    session.commit()
    header, rows = response_table(
        session=session, settings=settings, campaign_id=campaign.campaign_id
    )
    column = header.index("mode")
    assert {row[column] for row in rows} == {"web", "phone"}
    export = tmp_path / "responses.csv"
    export.write_text(to_csv(header, rows), encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        [
            "analyze",
            str(export),
            "--questionnaire",
            "sipas-service",
            "--strata",
            "stratum",
            "--fpc",
            "stratum_population",
            "--by",
            "mode",
            "--min-respondents",
            "5",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    with (out / "indices.csv").open(encoding="utf-8") as handle:
        by_mode = {r["mode"] for r in csv.DictReader(handle) if r.get("mode")}
    assert by_mode == {"web", "phone", "(all)"}
