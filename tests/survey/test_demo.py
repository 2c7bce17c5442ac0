"""The demo builds through the real use cases and reuses what exists when run again."""

from __future__ import annotations

import argparse
import csv
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from api.app import create_app
from api.cli.demo import print_summary
from survey.calibration_margins import parse_margins
from survey.campaigns import as_utc
from survey.data_entry import get_disagreement, list_disagreements, resolve_disagreement
from survey.demo import (
    DEMO_CITIZEN_CAMPAIGN_NAME,
    DEMO_CITIZEN_SMALL_FRAME_MIN_RANKED,
    DEMO_RELEASE_BY_AGENCY,
    DEMO_RELEASE_BY_PROVINCE,
    DEMO_USERS,
    NOT_APPLICABLE_SHARE,
    OUTCOME_SHARES,
    OUTCOMES,
    SATISFIED_RANGE,
    DemoFieldwork,
    agency_satisfaction,
    build_demo,
    build_demo_citizens,
    citizen_margins,
    demo_agencies,
    plan_outcomes,
    synthetic_answers,
    write_demo_frame,
)
from survey.demo_modes import DEMO_BACKCHECK_RATE, DEMO_LETTERS_FILE
from survey.dispositions import campaign_dispositions
from survey.invitations import LinkState, find_invitation
from survey.models import (
    AuditEvent,
    Backcheck,
    BackcheckPlan,
    Campaign,
    CollectedForm,
    Design,
    Draw,
    Frame,
    IndexRelease,
    InterviewAssignment,
    InterviewAttempt,
    Invitation,
    PaperEntry,
    PaperForm,
    PaperKeying,
    Response,
    SampleUnit,
    SmsMessage,
    SmsOptOut,
    StaffUser,
)
from survey.paper_forms import format_form_number
from survey.phones import PhoneKind, normalise_phone
from survey.public_releases import agency_league
from survey.questionnaires import builtin_definition, validate_answers
from survey.settings import Settings
from survey.short_links import token_for_short_code
from survey.users import UNLIMITED, authenticate
from survey.worker import quiet_until


def _last_night() -> datetime:
    """The latest 23:30 in Hanoi (inside the default quiet hours 21:00-07:00), as UTC."""
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    local_now = datetime.now(UTC).astimezone(hanoi)
    night = datetime.combine(local_now.date(), time(23, 30), tzinfo=hanoi)
    if night > local_now:
        night -= timedelta(days=1)
    return night.astimezone(UTC)


def test_demo_frame_looks_like_agency_data(tmp_path: Path) -> None:
    path = write_demo_frame(tmp_path / "demo.csv", n_dossiers=4000, seed=1)
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4000
    assert 35 <= len(demo_agencies()) <= 45
    assert len({r["procedure_field"] for r in rows}) == 16
    assert {r["channel"] for r in rows} == {"Trực tiếp", "Trực tuyến", "Bưu chính"}
    # Pre-merger province codes still appear (Bắc Ninh 27, Hà Nam 35, Nam Định 36).
    assert {"01", "24", "27", "35", "36", "37"} <= {r["province_code"] for r in rows}
    kinds = [normalise_phone(r["phone"]).kind for r in rows]
    assert kinds.count(PhoneKind.MISSING) > 0 and kinds.count(PhoneKind.LANDLINE) > 0
    old = [r["phone"] for r in rows if len(r["phone"]) == 11 and r["phone"].startswith("01")]
    assert old and all(normalise_phone(p).kind is PhoneKind.MOBILE for p in old)
    phones = [r["phone"] for r in rows if r["phone"]]
    assert len(set(phones)) < len(phones)  # some people have several dossiers
    dates = {r["completed_date"][3:] for r in rows}
    assert dates == {"07/2025", "08/2025", "09/2025"}


def test_build_demo_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    summary = build_demo(engine=engine, data_dir=tmp_path, n_dossiers=3000, fieldwork=False)
    assert summary.n_dossiers == 3000 and summary.n_sampled > 0
    assert len(summary.created) == len(DEMO_USERS) + 3
    again = build_demo(engine=engine, data_dir=tmp_path, n_dossiers=3000, fieldwork=False)
    assert again.created == ()
    assert (again.frame_id, again.design_id, again.draw_id) == (
        summary.frame_id,
        summary.design_id,
        summary.draw_id,
    )
    with Session(engine) as session:
        assert len(session.exec(select(Frame)).all()) == 1
        assert len(session.exec(select(Design)).all()) == 1
        assert len(session.exec(select(Draw)).all()) == 1
        assert len(session.exec(select(StaffUser)).all()) == len(DEMO_USERS)
        username, role, password, _, _ = DEMO_USERS[1]
        assert authenticate(session=session, username=username, password=password).role == role
        design = session.get(Design, summary.design_id)
        assert design is not None and design.geo_mapping == "provinces-2025"
        assert all(row["n"] >= 10 for row in design.allocation_table)


def test_outcome_plan_has_the_stated_shares_and_is_reproducible() -> None:
    plan = plan_outcomes(565, seed=3)
    counts = {o: int((plan == o).sum()) for o in OUTCOMES}
    for outcome, share in zip(OUTCOMES[:-1], OUTCOME_SHARES[:-1], strict=True):
        assert counts[outcome] == int(share * 565)
    assert sum(counts.values()) == 565
    assert 0.6 <= counts["completed"] / 565 <= 0.7
    assert np.array_equal(plan, plan_outcomes(565, seed=3))
    assert not np.array_equal(plan, plan_outcomes(565, seed=4))


def test_synthetic_answers_are_valid_and_follow_the_agency_level() -> None:
    definition = builtin_definition()
    rng = np.random.default_rng(11)
    n = 4000
    low, high = np.full(n, 0.70), np.full(n, 0.92)
    answers_low = synthetic_answers(definition, low, rng)
    answers_high = synthetic_answers(definition, high, rng)
    assert all(validate_answers(definition, a) == [] for a in answers_low[:300])
    criteria = [c["code"] for e in definition["elements"] for c in e["criteria"]]
    for target, answers in ((0.70, answers_low), (0.92, answers_high)):
        scores = np.array([[a[c] for c in criteria] for a in answers], dtype=float)
        rated = scores > 0
        satisfied = (scores >= 4) & rated
        # Criteria-mean share of satisfied answers among those that apply, as SIPAS publishes:
        # the random intercept's attenuation is undone, the element shifts nearly cancel out.
        share = float(np.mean(satisfied.sum(axis=0) / rated.sum(axis=0)))
        assert abs(share - target) < 0.025, (target, share)
        # "Not applicable" is common only where it should be (fees, feedback handling).
        na = 1.0 - rated.mean(axis=0)
        for code, expected in NOT_APPLICABLE_SHARE.items():
            assert abs(na[criteria.index(code)] - expected) < 0.03
        assert na[criteria.index("civil_servants_q23")] < 0.06
        # One person's answers agree with each other (random intercept): positive correlation.
        both = rated[:, 0] & rated[:, 8]
        corr = np.corrcoef(satisfied[both, 0], satisfied[both, 8])[0, 1]
        assert corr > 0.1
    harassment = [a.get("harassment") for a in answers_low]
    assert 0.85 < harassment.count("none") / n < 0.95


def test_agency_levels_span_the_stated_range() -> None:
    levels = agency_satisfaction()
    assert set(levels) == {a.code for a in demo_agencies()}
    values = np.array(list(levels.values()))
    assert SATISFIED_RANGE[0] <= values.min() and values.max() <= SATISFIED_RANGE[1]
    assert values.max() - values.min() > 0.12


def _counts(session: Session) -> dict[str, int]:
    tables: tuple[type[SQLModel], ...] = (
        Campaign,
        Invitation,
        SmsMessage,
        SmsOptOut,
        Response,
        IndexRelease,
        PaperForm,
        PaperEntry,
        PaperKeying,
        InterviewAssignment,
        InterviewAttempt,
        CollectedForm,
        Backcheck,
        BackcheckPlan,
        AuditEvent,
    )
    return {
        t.__name__: int(session.exec(select(func.count()).select_from(t)).one()) for t in tables
    }


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_demo_fieldwork_end_to_end(
    engine: Engine, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # At night: the demo must still send, through the worker's settings, not by changing them.
    night = _last_night()
    quiet = Settings(database_url=settings.database_url)
    assert quiet_until(night, quiet) is not None
    # The citizens' form campaign has a test of its own (test_demo_citizens_form_campaign).
    summary = build_demo(
        engine=engine, data_dir=tmp_path, n_dossiers=3000, settings=quiet, now=night, citizens=False
    )
    assert summary.citizens is None
    work = summary.fieldwork
    assert work is not None
    with Session(engine) as session:
        campaign = session.get(Campaign, work.campaign_id)
        assert campaign is not None and campaign.status == "active"
        assert (
            campaign.draw_id == summary.draw_id
            and campaign.field_start <= night < campaign.field_end
        )
        sent = session.exec(select(SmsMessage).where(col(SmsMessage.status) == "sent")).all()
        assert len(sent) == work.messages_sent > 0
        assert all(m.gateway_ref.startswith("local:") for m in sent)
        assert not session.exec(select(SmsMessage).where(col(SmsMessage.status) != "sent")).all()
        invitations = session.exec(select(Invitation)).all()
        invited_units = session.exec(
            select(func.count())
            .select_from(SampleUnit)
            .where(
                col(SampleUnit.draw_id) == summary.draw_id,
                col(SampleUnit.is_reserve).is_(False),
                col(SampleUnit.contact_status) == "invite",
            )
        ).one()
        assert len(invitations) == work.invitations == invited_units
        completed = session.exec(select(Response).where(col(Response.status) == "completed")).all()
        assert len(completed) == work.completed
        assert 0.6 <= work.completed / work.invitations <= 0.7
        groups = campaign_dispositions(session=session, campaign_id=work.campaign_id, by="all")
        counts = groups[0].counts
        for disposition in ("completed", "partial", "opened", "opted_out", "sent"):
            assert counts[disposition] > 0, disposition
        # Enough is left for a person to answer by hand.
        assert counts["sent"] + counts["letter"] >= 0.2 * work.invitations
        releases = session.exec(select(IndexRelease).order_by(col(IndexRelease.id))).all()
        assert [r.id for r in releases] == list(work.release_ids) and len(releases) == 2
        by_agency = next(r for r in releases if r.name == DEMO_RELEASE_BY_AGENCY)
        agency_rows = [
            r for r in by_agency.results["rows"] if r["domain"] and r["node"] == "overall"
        ]
        assert len(agency_rows) >= 35
        shown = [r["estimate"] for r in agency_rows if r["flag"] != "suppressed"]
        assert len(shown) >= 20 and max(shown) - min(shown) > 0.1
        # The province release groups the 2025 provinces: old codes 27, 35, 36 are merged away.
        by_province = next(r for r in releases if r.name == DEMO_RELEASE_BY_PROVINCE)
        assert by_province.parameters["geo_mapping"]["province_code"] == "provinces-2025"
        assert {
            r["domain"]["province_code"] for r in by_province.results["rows"] if r["domain"]
        } == {"01", "24", "37"}
        assert len(work.example_links) == 3
        for link in work.example_links:
            token = link.rsplit("/r/", 1)[1]
            assert find_invitation(session=session, token=token).state is LinkState.OK
        _check_staff_modes(session, work, quiet, tmp_path, night)
        before = _counts(session)

    modes = work.modes
    assert modes is not None and modes.short_link is not None
    with TestClient(create_app(settings), follow_redirects=False) as client:
        welcome = client.get("/r/" + work.example_links[0].rsplit("/r/", 1)[1])
        assert welcome.status_code == 200
        assert "Bắt đầu" in welcome.text  # the start button of the welcome page
        # The printed letter's short link leads to its answer page.
        opened = client.get(modes.short_link.split("8000", 1)[1])
        assert opened.status_code == 303 and opened.headers["location"].startswith("/r/")

    print_summary(summary, argparse.Namespace(host="127.0.0.1", port=8000), quiet)
    printed = capsys.readouterr().out
    assert "SYNTHETIC DEMO DATA" in printed
    assert all(link in printed for link in work.example_links)
    assert f"/staff/campaigns/{work.campaign_id}" in printed and "/staff/releases" in printed
    # Where to look for every fieldwork mode, the dashboard and the public documents.
    campaign_page = f"/staff/campaigns/{work.campaign_id}"
    public = f"/public/releases/{work.release_ids[1]}"
    for where in (
        f"/api/campaigns/{work.campaign_id}/letters.pdf",
        modes.short_link,
        f"/staff/entry/campaigns/{work.campaign_id}",
        f"{campaign_page}/backchecks",
        f"{campaign_page}?by=mode",
        "/staff/dashboard",
        f"{public}/release.pdf",
        f"{public}/release.xlsx",
        f"{public}/release.json",
        str(tmp_path / DEMO_LETTERS_FILE),
    ):
        assert where in printed, where
    # Pages named by their own address, not only as the start of a longer one.
    for page in ("/m", "/staff/entry", "/staff/interviews"):
        assert re.search(f"http://127.0.0.1:8000{page}(?![/\\w])", printed), page
    assert all(format_form_number(n) in printed for n in modes.forms_to_key)
    assert {"clerk1", "clerk2", "interviewer1"} <= {u for u, _, _ in summary.logins}
    assert all(
        f"{user} " in printed and password in printed for user, password, _ in summary.logins
    )

    again = build_demo(
        engine=engine,
        data_dir=tmp_path,
        n_dossiers=3000,
        settings=quiet,
        now=night,
        citizens=False,
    )
    assert again.created == ()
    assert again.fieldwork is not None
    assert again.fieldwork.campaign_id == work.campaign_id
    assert again.fieldwork.release_ids == work.release_ids
    with Session(engine) as session:
        assert _counts(session) == before
        # The province release went through four eyes (admin submitted, publisher published), so
        # /public shows it; a rerun keeps it as it is (its figures can never change).
        province = session.get(IndexRelease, work.release_ids[1])
        assert province is not None and province.name == DEMO_RELEASE_BY_PROVINCE
        assert province.status == "published" and province.content_sha256
        assert province.parameters["geo_mapping"] is not None
        published_hash = province.content_sha256
        agency = session.get(IndexRelease, work.release_ids[0])
        assert agency is not None and agency.status == "draft"
    third = build_demo(
        engine=engine,
        data_dir=tmp_path,
        n_dossiers=3000,
        settings=quiet,
        now=night,
        citizens=False,
    )
    assert third.fieldwork is not None
    assert third.fieldwork.release_ids == work.release_ids
    with Session(engine) as session:
        assert _counts(session) == before
        kept = session.get(IndexRelease, work.release_ids[1])
        assert kept is not None and kept.content_sha256 == published_hash
    # The pending disagreement is the coordinator's to settle: a third paper response.
    with Session(engine) as session:
        coordinator = session.exec(
            select(StaffUser).where(col(StaffUser.username) == "coordinator")
        ).one()
        (row,) = list_disagreements(session=session, campaign_id=work.campaign_id, scope=UNLIMITED)
        disagreement = get_disagreement(session=session, entry_id=row.entry_id, scope=UNLIMITED)
        resolve_disagreement(
            session=session,
            entry_id=row.entry_id,
            supervisor=coordinator,
            scope=UNLIMITED,
            values={v.field.code: v.first for v in disagreement.values},
        )
        paper = session.exec(select(Response).where(col(Response.mode) == "paper")).all()
        assert len(paper) == 3


def _check_staff_modes(
    session: Session, work: DemoFieldwork, settings: Settings, data_dir: Path, night: datetime
) -> None:
    """Letters, double entry, interviews and back-checks of a fresh demo campaign."""
    modes = work.modes
    assert modes is not None
    users = {u.id: u.username for u in session.exec(select(StaffUser)).all()}
    # Six letters were printed (audited) as one PDF carrying their form numbers.
    letters = session.exec(
        select(Invitation, PaperForm)
        .join(PaperForm, col(PaperForm.invitation_id) == col(Invitation.id))
        .where(col(Invitation.channel) == "letter", col(PaperForm.short_code_hash).is_not(None))
    ).all()
    assert len(letters) == 6
    text = "".join(
        page.extract_text() for page in PdfReader(data_dir / DEMO_LETTERS_FILE).pages
    ).replace(" ", "")
    for _, paper_form in letters:
        assert format_form_number(paper_form.form_number) in text
    printed = session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "letters.printed")
    ).all()
    assert len(printed) == 1 and users[printed[0].actor_id] == "coordinator"
    # Three forms keyed by clerk1 and clerk2: two agreed and are paper responses (their typed
    # values gone), one differs on one answer and waits for a supervisor.
    entries = session.exec(select(PaperEntry).order_by(col(PaperEntry.id))).all()
    assert sorted(e.status for e in entries) == ["completed", "completed", "disagreement"]
    assert (modes.paper_responses, modes.disagreements) == (2, 1)
    paper = session.exec(select(Response).where(col(Response.mode) == "paper")).all()
    assert len(paper) == 2 and all(r.status == "completed" for r in paper)
    for entry in entries:
        keyings = session.exec(
            select(PaperKeying).where(col(PaperKeying.entry_id) == entry.id)
        ).all()
        assert sorted(users[k.clerk_id] for k in keyings) == ["clerk1", "clerk2"]
        if entry.status == "completed":
            assert all(k.keyed is None for k in keyings)
    (pending,) = list_disagreements(session=session, campaign_id=work.campaign_id, scope=UNLIMITED)
    disagreement = get_disagreement(session=session, entry_id=pending.entry_id, scope=UNLIMITED)
    assert len(disagreement.values) == 1
    # interviewer1's phone cases: a no-answer, a callback after the demo's moment, and an
    # interview completed as a response of mode phone.
    assignments = session.exec(
        select(InterviewAssignment).order_by(col(InterviewAssignment.id))
    ).all()
    assert [users[a.interviewer_id] for a in assignments] == ["interviewer1"] * 3
    assert all(a.mode == "phone" for a in assignments)
    no_answer, callback, interview = assignments
    assert no_answer.status == "open" and no_answer.attempt_count == 1
    assert callback.status == "open" and callback.callback_at is not None
    assert as_utc(callback.callback_at) > night
    assert interview.status == "completed" and interview.final_code == "1.1"
    assert interview.answers == {}
    codes = session.exec(
        select(InterviewAttempt.code)
        .where(col(InterviewAttempt.assignment_id) == interview.id)
        .order_by(col(InterviewAttempt.number))
    ).all()
    assert list(codes) == ["3.13", "1.1"]
    phone = session.exec(select(Response).where(col(Response.mode) == "phone")).all()
    assert len(phone) == 1 and phone[0].status == "completed"
    # Dispositions by mode count the staff-collected completes under their modes.
    by_mode = {
        g.group: g
        for g in campaign_dispositions(session=session, campaign_id=work.campaign_id, by="mode")
    }
    assert by_mode["paper"].counts["completed"] == 2
    assert by_mode["phone"].counts["completed"] == 1
    # The back-check plan drew each collector's first form: one per clerk and the interview.
    plan = session.exec(select(BackcheckPlan)).one()
    assert plan.rate == DEMO_BACKCHECK_RATE
    drawn = session.exec(select(Backcheck)).all()
    assert sorted(users[b.collector_id] for b in drawn) == ["clerk1", "clerk2", "interviewer1"]
    assert modes.backchecks == 3
    assert all(b.response_id is not None and b.outcome is None for b in drawn)
    # The short link printed for the /m box is a printed letter nobody has answered.
    assert modes.short_link is not None
    code = modes.short_link.rsplit("/m/", 1)[1]
    token = token_for_short_code(session=session, settings=settings, code=code)
    assert token is not None and find_invitation(session=session, token=token).state is LinkState.OK
    assert len(modes.forms_to_key) == 2


SERVICE_ELEMENTS = ("access", "procedures", "civil_servants", "results", "feedback")


def _national(release: IndexRelease, node: str) -> dict[str, Any]:
    (row,) = [r for r in release.results["rows"] if r["node"] == node and not r["domain"]]
    return dict(row)


@pytest.mark.slow
def test_demo_citizens_form_campaign(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """The second campaign: the whole citizens' form answered through the completion path, and
    its published release with SIPAS <- policy, service, shares, calibration and rankings."""
    base = build_demo(engine=engine, data_dir=tmp_path, n_dossiers=3000, fieldwork=False)
    with Session(engine) as session:
        admin = session.exec(select(StaffUser).where(col(StaffUser.username) == "admin")).one()
    whole = build_demo_citizens(
        engine=engine, settings=settings, frame_id=base.frame_id, created_by=admin.id
    )
    assert whole.draw_id != base.draw_id and whole.release_id is not None
    definition = builtin_definition("sipas-citizen-v1.json")
    service = {c["code"] for e in definition["elements"] for c in e["criteria"]} - {
        c["code"] for e in definition["elements"] if e["index"] == "policy" for c in e["criteria"]
    }
    grids = {
        q["code"]: [r["code"] for r in q["rows"]] for q in definition["questions"] if "rows" in q
    }
    with Session(engine) as session:
        campaign = session.get(Campaign, whole.campaign_id)
        assert campaign is not None and campaign.name == DEMO_CITIZEN_CAMPAIGN_NAME
        responses = session.exec(
            select(Response).where(
                col(Response.campaign_id) == whole.campaign_id, col(Response.status) == "completed"
            )
        ).all()
        assert len(responses) == whole.completed >= 200
        # Every question type is answered, and Q8 gates the service block (part II of Q9).
        for r in responses:
            a = r.answers
            assert not validate_answers(definition, a)
            assert {"sex", "age_band", "urban_rural", "q4_harassment", "q6_filing_channel"} <= set(
                a
            )
            assert isinstance(a["q2_channels"], list) and a["q2_channels"]
            assert all(code in a for code in grids["q1"] + grids["q8"] + grids["q10"])
            asked = a["q8_procedure"] == "yes"
            assert (service <= set(a)) if asked else not (service & set(a))
        asked = sum(r.answers["q8_procedure"] == "yes" for r in responses)
        assert 0.7 * len(responses) < asked < 0.9 * len(responses)
        assert any("comments" in r.answers for r in responses)
        assert {r.mode for r in responses} == {"web"}

        release = session.get(IndexRelease, whole.release_id)
        assert release is not None and release.status == "published" and release.content_sha256
        # The questionnaire's tree, the national figure as the mean of the 2025 provinces.
        assert release.results["root"] == "sipas"
        national = release.parameters["national"]
        assert national["rule"] == "mean_of_provinces"
        assert national["provinces"] == ["01", "24", "37"]
        assert all(national["asked"][e] == asked for e in SERVICE_ELEMENTS)
        sipas, policy, service_row = (_national(release, n) for n in ("sipas", "policy", "service"))
        # sipas_rule mean_of_indices: the mean of provinces of the mean is the mean of the means.
        assert sipas["estimate"] == pytest.approx(
            (policy["estimate"] + service_row["estimate"]) / 2, rel=1e-12
        )
        assert service_row["n_respondents"] == asked < policy["n_respondents"] == len(responses)
        # Raked to sex x age band and urban/rural: the recorded margins are the analyst's, and
        # the totals before raking those of w_i = d_i D_h / R_h (non-response within strata:
        # D_h the base weights of the draw's non-reserve units, R_h the respondents'), by hand.
        calibration = release.parameters["calibration"]
        assert calibration["method"] == "rake"
        expected = {
            (m.variable, c): v
            for m in parse_margins(citizen_margins(3000)).margins
            for c, v in m.counts.items()
        }
        assert {
            (m["variable"], m["category"]): m["population"] for m in calibration["margins"]
        } == (expected)
        units = session.exec(
            select(SampleUnit).where(
                col(SampleUnit.draw_id) == whole.draw_id, col(SampleUnit.is_reserve).is_(False)
            )
        ).all()
        sampled: dict[str, float] = {}
        responded: dict[str, float] = {}
        for u in units:
            sampled[u.stratum] = sampled.get(u.stratum, 0.0) + u.weight
        for r in responses:
            responded[r.stratum] = responded.get(r.stratum, 0.0) + r.weight
        by_cell: dict[str, float] = {}
        for r in responses:
            cell = f"{r.answers['sex']}*{r.answers['age_band']}"
            factor = max(sampled[r.stratum] / responded[r.stratum], 1.0)
            by_cell[cell] = by_cell.get(cell, 0.0) + r.weight * factor
        assert calibration["sample_totals"]["sex*age_band"] == pytest.approx(by_cell, rel=1e-9)
        low, high = calibration["g_range"]
        assert low < 1.0 < high
        assert release.parameters["variance"]["method"] == "taylor"
        assert "raking" in release.parameters["weighting"]["description"]["en"]
        # Shares of Q4, Q5 (each answer) and Q10 (very much or much), campaign-wide.
        shares = release.results["shares"]
        assert [i["question"] for i in shares["items"]] == [
            "q4_harassment",
            "q5_extra_payment",
            "q10",
        ]
        q4 = {
            row["category"]: row
            for row in shares["rows"]
            if row["item"] == "q4_harassment" and not row["domain"]
        }
        assert set(q4) == {"none", "some", "many"}
        assert sum(row["estimate"] for row in q4.values()) == pytest.approx(1.0, abs=1e-12)
        assert all(row["n_base"] == len(responses) for row in q4.values())
        q10 = {row["item"] for row in shares["rows"] if row["question"] == "q10"}
        assert q10 == set(grids["q10"])
        # Agencies ranked within their level; the few-respondent ones scored but not ranked.
        ranking = release.parameters["ranking"]
        assert ranking["blocks"] == "level" and ranking["node"] == "sipas"
        league = agency_league(release)
        assert league is not None
        assert {b.block for b in league.blocks} == {"province", "commune"}
        ranked = [u for b in league.blocks for u in b.ranked]
        unranked = [u for b in league.blocks for u in b.not_ranked]
        assert len(ranked) >= 10
        assert all(u.n_respondents >= DEMO_CITIZEN_SMALL_FRAME_MIN_RANKED for u in ranked)
        assert all(
            u.n_respondents < DEMO_CITIZEN_SMALL_FRAME_MIN_RANKED
            for u in unranked
            if u.not_ranked == "too_few_answers"
        )
        for block in league.blocks:
            assert [u.rank for u in block.ranked] == sorted(u.rank or 0 for u in block.ranked)
            assert block.ranked[0].rank == 1
        counts = _counts(session)
    # The public page shows the tree, the shares and the ranking.
    with TestClient(create_app(settings)) as client:
        page = client.get(f"/public/releases/{whole.release_id}")
        assert page.status_code == 200
        for text in (
            definition["indices"][0]["title"]["vi"],
            definition["indices"][1]["title"]["vi"],
            next(q for q in definition["questions"] if q["code"] == "q4_harassment")["text"]["vi"],
            "Xếp hạng cơ quan theo khối",
            "Cấp xã",
        ):
            assert text in page.text, text
        shares_csv = client.get(f"/public/releases/{whole.release_id}/shares.csv")
        assert shares_csv.status_code == 200 and "q4_harassment" in shares_csv.text
    # Rebuilding adds nothing and keeps the published figures.
    again = build_demo_citizens(
        engine=engine, settings=settings, frame_id=base.frame_id, created_by=admin.id
    )
    assert again.created == () and again.release_id == whole.release_id
    with Session(engine) as session:
        assert _counts(session) == counts
        kept = session.get(IndexRelease, whole.release_id)
        assert kept is not None and kept.content_sha256 == release.content_sha256
