"""Back-checks: the draw per collector, the limited link, outcomes, exclusions from releases."""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlmodel import Session, col, select

from survey.backchecks import (
    collector_summaries,
    decide_failed_form,
    excluded_count,
    not_excluded,
    record_outcome,
    register_collected_form,
    set_backcheck_rate,
    unlink_backchecks,
)
from survey.errors import Conflict, InvalidInput, NotFound
from survey.fieldwork_exports import response_export
from survey.models import (
    AuditEvent,
    Backcheck,
    Campaign,
    CollectedForm,
    Invitation,
    Response,
    ResponseExclusion,
    StaffUser,
)
from survey.purge import purge_contacts
from survey.release_hashing import data_fingerprint
from survey.releases import compute_release
from survey.settings import Settings
from tests.survey.release_fixtures import build_release_campaign
from tests.survey.responses_fixtures import build_fieldwork

SECRET = "s" * 40


def _collectors(session: Session, n: int) -> list[StaffUser]:
    users = [
        StaffUser(username=f"collector-{i:02d}", role="coordinator", password_hash="x")
        for i in range(n)
    ]
    session.add_all(users)
    session.commit()
    return users


def _completed_response(
    session: Session, invitation: Invitation, answers: dict[str, int]
) -> Response:
    """A completed, unlinked response like the one the completion guard leaves."""
    response = Response(
        campaign_id=invitation.campaign_id,
        questionnaire_id=1,
        answers=answers,
        mode="paper",
        status="completed",
        stratum="79-BN",
        inclusion_prob=0.25,
        weight=4.0,
        agency_code="79-BN",
        province_code="79",
        level="commune",
        channel="direct",
        completed_month=date(2026, 9, 1),
    )
    session.add(response)
    session.flush()
    return response


def _collect(session: Session, n: int, collectors: list[StaffUser], mode: str = "paper") -> int:
    fieldwork = build_fieldwork(session, SECRET, n)
    invitations = session.exec(
        select(Invitation).where(col(Invitation.campaign_id) == fieldwork.campaign_id)
    ).all()
    for i, invitation in enumerate(sorted(invitations, key=lambda v: v.id or 0)):
        response = _completed_response(session, invitation, {"q": i})
        response.questionnaire_id = fieldwork.questionnaire_id
        collector = collectors[i % len(collectors)]
        assert collector.id is not None
        register_collected_form(
            session=session,
            invitation=invitation,
            response=response,
            collector_id=collector.id,
            mode=mode,
        )
        if i % 200 == 199:
            session.commit()
    session.commit()
    return fieldwork.campaign_id


def test_draw_rate_per_collector_by_simulation(session: Session) -> None:
    # 2,000 forms from 10 collectors at 10%: each collector's first form is drawn for sure, the
    # other 199 by Bernoulli(0.1), so a collector has 1 + Binomial(199, 0.1) selected forms.
    collectors = _collectors(session, 10)
    campaign_id = _collect(session, 2000, collectors)
    summaries = collector_summaries(session=session, campaign_id=campaign_id)
    assert len(summaries) == 10
    mean, sd = 1 + 199 * 0.1, math.sqrt(199 * 0.1 * 0.9)
    for summary in summaries:
        assert summary.forms == 200
        assert summary.selected >= 1
        # 5 standard deviations: a false alarm about once in 3 million collectors.
        assert abs(summary.selected - mean) <= 5 * sd, summary
    total = sum(s.selected for s in summaries)
    assert abs(total - 10 * mean) <= 5 * math.sqrt(10) * sd
    links = session.exec(select(Backcheck).where(col(Backcheck.campaign_id) == campaign_id)).all()
    assert len(links) == total
    assert all(b.response_id is not None and b.invitation_id is not None for b in links)


def test_links_only_for_selected_forms(session: Session) -> None:
    collectors = _collectors(session, 2)
    campaign_id = _collect(session, 40, collectors)
    forms = session.exec(
        select(CollectedForm).where(col(CollectedForm.campaign_id) == campaign_id)
    ).all()
    backchecks = session.exec(
        select(Backcheck).where(col(Backcheck.campaign_id) == campaign_id)
    ).all()
    selected = {f.invitation_id for f in forms if f.selected}
    assert {b.invitation_id for b in backchecks} == selected
    assert len(forms) == 40 and 2 <= len(selected) < 40
    # The collected forms of unselected invitations hold no response id (no such column), and
    # every response id kept is one of a selected form.
    assert "response_id" not in CollectedForm.model_fields
    linked = {b.response_id for b in backchecks}
    assert len(linked) == len(selected) and None not in linked


def test_rate_one_selects_all_and_bad_rate_refused(session: Session) -> None:
    fieldwork = build_fieldwork(session, SECRET, 2)
    with pytest.raises(InvalidInput) as refused:
        set_backcheck_rate(session=session, campaign_id=fieldwork.campaign_id, rate=1.5)
    assert refused.value.problems[0].loc == ("rate",)
    set_backcheck_rate(session=session, campaign_id=fieldwork.campaign_id, rate=1.0)
    (collector,) = _collectors(session, 1)
    assert collector.id is not None
    for invitation_id in fieldwork.invitation_ids:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None
        response = _completed_response(session, invitation, {"q": 1})
        response.questionnaire_id = fieldwork.questionnaire_id
        register_collected_form(
            session=session,
            invitation=invitation,
            response=response,
            collector_id=collector.id,
            mode="phone",
        )
    session.commit()
    assert len(session.exec(select(Backcheck)).all()) == 2


def test_second_form_for_an_invitation_and_bad_mode_refused(session: Session) -> None:
    fieldwork = build_fieldwork(session, SECRET, 1)
    (collector,) = _collectors(session, 1)
    assert collector.id is not None
    invitation = session.get(Invitation, fieldwork.invitation_ids[0])
    assert invitation is not None
    response = _completed_response(session, invitation, {"q": 1})
    response.questionnaire_id = fieldwork.questionnaire_id
    with pytest.raises(InvalidInput) as bad:
        register_collected_form(
            session=session,
            invitation=invitation,
            response=response,
            collector_id=collector.id,
            mode="web",
        )
    assert bad.value.problems[0].loc == ("mode",)
    register_collected_form(
        session=session,
        invitation=invitation,
        response=response,
        collector_id=collector.id,
        mode="paper",
    )
    with pytest.raises(Conflict):
        register_collected_form(
            session=session,
            invitation=invitation,
            response=response,
            collector_id=collector.id,
            mode="phone",
        )


def _one_backcheck(session: Session) -> tuple[int, Backcheck, StaffUser]:
    (collector,) = _collectors(session, 1)
    campaign_id = _collect(session, 1, [collector])
    (backcheck,) = session.exec(select(Backcheck)).all()
    return campaign_id, backcheck, collector


def test_confirmed_outcome_clears_the_link_and_is_audited(session: Session) -> None:
    campaign_id, backcheck, supervisor = _one_backcheck(session)
    assert backcheck.id is not None and backcheck.response_id is not None
    done = record_outcome(
        session=session,
        campaign_id=campaign_id,
        backcheck_id=backcheck.id,
        outcome="confirmed",
        note="Người dân xác nhận đã được phỏng vấn.",
        actor=supervisor,
    )
    assert done.outcome == "confirmed" and done.response_id is None
    assert done.checked_by == supervisor.id and done.checked_at is not None
    assert session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "backcheck.outcome")
    ).first()
    with pytest.raises(Conflict):
        record_outcome(
            session=session, campaign_id=campaign_id, backcheck_id=backcheck.id, outcome="not_done"
        )


def test_outcome_errors_name_the_field(session: Session) -> None:
    campaign_id, backcheck, _ = _one_backcheck(session)
    assert backcheck.id is not None
    with pytest.raises(InvalidInput) as bad:
        record_outcome(
            session=session, campaign_id=campaign_id, backcheck_id=backcheck.id, outcome="maybe"
        )
    assert bad.value.problems[0].loc == ("outcome",)
    with pytest.raises(NotFound):
        record_outcome(
            session=session,
            campaign_id=campaign_id + 1,
            backcheck_id=backcheck.id,
            outcome="confirmed",
        )
    with pytest.raises(Conflict):
        decide_failed_form(
            session=session,
            campaign_id=campaign_id,
            backcheck_id=backcheck.id,
            exclude=True,
            reason="x",
        )


def test_unreachable_can_be_recorded_again(session: Session) -> None:
    campaign_id, backcheck, _ = _one_backcheck(session)
    assert backcheck.id is not None
    first = record_outcome(
        session=session, campaign_id=campaign_id, backcheck_id=backcheck.id, outcome="unreachable"
    )
    assert first.response_id is not None
    again = record_outcome(
        session=session, campaign_id=campaign_id, backcheck_id=backcheck.id, outcome="confirmed"
    )
    assert again.outcome == "confirmed"


def test_failed_form_excluded_with_reason(session: Session) -> None:
    campaign_id, backcheck, supervisor = _one_backcheck(session)
    assert backcheck.id is not None
    response_id = backcheck.response_id
    assert response_id is not None
    record_outcome(
        session=session,
        campaign_id=campaign_id,
        backcheck_id=backcheck.id,
        outcome="not_done",
        actor=supervisor,
    )
    with pytest.raises(InvalidInput) as no_reason:
        decide_failed_form(
            session=session,
            campaign_id=campaign_id,
            backcheck_id=backcheck.id,
            exclude=True,
            reason=" ",
        )
    assert no_reason.value.problems[0].loc == ("reason",)
    decided = decide_failed_form(
        session=session,
        campaign_id=campaign_id,
        backcheck_id=backcheck.id,
        exclude=True,
        reason="Người dân cho biết không được phỏng vấn.",
        actor=supervisor,
    )
    assert decided.decision == "excluded" and decided.response_id is None
    exclusion = session.exec(select(ResponseExclusion)).one()
    assert exclusion.response_id == response_id and exclusion.excluded_by == supervisor.id
    assert excluded_count(session=session, campaign_id=campaign_id) == 1
    kept_ids = session.exec(
        select(Response.id).where(
            col(Response.campaign_id) == campaign_id, not_excluded(Response.id)
        )
    ).all()
    assert response_id not in kept_ids
    assert session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "backcheck.excluded")
    ).first()
    with pytest.raises(Conflict):
        decide_failed_form(
            session=session,
            campaign_id=campaign_id,
            backcheck_id=backcheck.id,
            exclude=False,
            reason="y",
        )


def test_failed_form_kept_leaves_no_exclusion(session: Session) -> None:
    campaign_id, backcheck, _ = _one_backcheck(session)
    assert backcheck.id is not None
    record_outcome(
        session=session,
        campaign_id=campaign_id,
        backcheck_id=backcheck.id,
        outcome="answers_differ",
    )
    kept = decide_failed_form(
        session=session,
        campaign_id=campaign_id,
        backcheck_id=backcheck.id,
        exclude=False,
        reason="Chỉ khác một câu về thời gian chờ.",
    )
    assert kept.decision == "kept" and kept.response_id is None
    assert session.exec(select(ResponseExclusion)).all() == []


def test_purge_unlinks_every_backcheck(session: Session) -> None:
    campaign_id, backcheck, _ = _one_backcheck(session)
    assert unlink_backchecks(session=session, campaign_id=campaign_id) == 1
    session.commit()
    session.refresh(backcheck)
    assert backcheck.invitation_id is None and backcheck.response_id is None


def _exclude_one_release_response(session: Session) -> tuple[int, int]:
    """A release campaign's first completed response, collected on paper, fails its back-check
    and is excluded; returns (campaign id, response id)."""
    campaign = build_release_campaign(session)
    (collector,) = _collectors(session, 1)
    assert collector.id is not None
    invitation = session.exec(
        select(Invitation)
        .where(
            col(Invitation.campaign_id) == campaign.campaign_id,
            col(Invitation.completed_at).is_not(None),
        )
        .order_by(col(Invitation.id))
    ).first()
    response = session.get(Response, campaign.response_ids[0])
    assert invitation is not None and response is not None
    register_collected_form(
        session=session,
        invitation=invitation,
        response=response,
        collector_id=collector.id,
        mode="paper",
    )
    session.commit()
    backcheck = session.exec(select(Backcheck)).one()  # a collector's first form is always drawn
    assert backcheck.id is not None
    record_outcome(
        session=session,
        campaign_id=campaign.campaign_id,
        backcheck_id=backcheck.id,
        outcome="not_done",
    )
    decide_failed_form(
        session=session,
        campaign_id=campaign.campaign_id,
        backcheck_id=backcheck.id,
        exclude=True,
        reason="Người dân chưa từng nhận phiếu.",
        actor=collector,
    )
    return campaign.campaign_id, campaign.response_ids[0]


def test_excluded_response_leaves_the_release(session: Session) -> None:
    campaign = build_release_campaign(session)
    before = compute_release(
        session=session,
        campaign_id=campaign.campaign_id,
        name="trước",
        by=["agency_code"],
        min_respondents=5,
        store=False,
    )
    session.rollback()
    excluded = session.get(Response, campaign.response_ids[0])
    assert excluded is not None
    stratum = excluded.stratum
    # A second campaign would be a different draw: exclude within this one.
    (collector,) = _collectors(session, 1)
    assert collector.id is not None
    session.add(
        ResponseExclusion(
            campaign_id=campaign.campaign_id,
            response_id=excluded.id or 0,
            reason="phúc tra không đạt",
            excluded_by=collector.id,
        )
    )
    session.commit()
    after = compute_release(
        session=session,
        campaign_id=campaign.campaign_id,
        name="sau",
        by=["agency_code"],
        min_respondents=5,
        store=False,
    )
    assert after.summary["respondents"] == before.summary["respondents"] - 1
    strata_before = {s["stratum"]: s["respondents"] for s in before.summary["strata"]}
    strata_after = {s["stratum"]: s["respondents"] for s in after.summary["strata"]}
    assert strata_after[stratum] == strata_before[stratum] - 1
    # The data fingerprint a release cites counts the responses the release reads.
    fingerprint = data_fingerprint(session, campaign.campaign_id)
    assert fingerprint["responses"]["count"] == before.summary["respondents"] - 1


def test_failed_back_check_end_to_end_leaves_release_and_export(
    session: Session, settings: Settings
) -> None:
    campaign_id, excluded_id = _exclude_one_release_response(session)
    release = compute_release(
        session=session, campaign_id=campaign_id, name="r", min_respondents=5, store=False
    )
    completed = session.exec(
        select(Response.id).where(
            col(Response.campaign_id) == campaign_id, col(Response.status) == "completed"
        )
    ).all()
    assert excluded_id in completed
    assert release.summary["respondents"] == len(completed) - 1
    export = response_export(session=session, settings=settings, campaign_id=campaign_id)
    assert export.respondents == len(completed) - 1 and export.excluded == 1
    assert any("back-check" in line[1] and line[1].endswith(": 1.") for line in export.notes())
    assert "mode" in export.header
    modes = {row[export.header.index("mode")] for row in export.rows}
    assert modes <= {"web", "paper", "*"}


def test_contact_purge_ends_the_back_check_links(session: Session) -> None:
    campaign_id, backcheck, _ = _one_backcheck(session)
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    campaign.status = "closed"
    session.add(campaign)
    session.commit()
    purge_contacts(session=session, campaign_id=campaign_id)
    session.refresh(backcheck)
    assert backcheck.invitation_id is None and backcheck.response_id is None
