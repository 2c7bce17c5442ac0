"""One small world for the authorization tests: three agencies, every kind of caller.

Built with the real use cases (import, design, draw, campaign, invitations, release), so what
a scoped coordinator receives is what production code computes:

* an imported frame of agencies AG-A (province 01), AG-B and AG-C (province 79), with problems on
  rows of AG-A and AG-B (warnings, kept) and a rejected row of AG-B;
* a design stratified by agency, its draw, an active campaign with SMS invitations;
* a release campaign (``tests/survey/release_fixtures.py``: the same agencies) with one published
  release and one submitted for review (computed and submitted by analysts other than the
  callers, so the four-eyes rule lets the admin and publisher callers publish it);
* callers: admin, national coordinator, a coordinator scoped to agency AG-A, one scoped to
  province 01, an analyst, a publisher, and nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.campaigns import activate_campaign, create_campaign
from survey.designs import create_design, parse_design
from survey.draws import run_draw
from survey.frames import import_frame
from survey.invitations import create_invitations, invitation_token
from survey.models import Dossier, Invitation, utcnow
from survey.questionnaires import ensure_builtin_questionnaires
from survey.releases import compute_release, publish_release, submit_release
from survey.settings import Settings
from survey.users import create_api_token
from tests.api.fast_users import make_user
from tests.survey.design_frames import frame_rows, write_csv
from tests.survey.release_fixtures import build_release_campaign

OWN_AGENCY = "AG-A"
OWN_PROVINCE = "01"
OTHER_AGENCIES = ("AG-B", "AG-C")
# Caller name -> (role, scopes); "anonymous" has no account.
CALLERS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "admin": ("admin", []),
    "national": ("coordinator", []),
    "agency": ("coordinator", [("agency", OWN_AGENCY)]),
    "province": ("coordinator", [("province", OWN_PROVINCE)]),
    "analyst": ("analyst", []),
    "publisher": ("publisher", []),
}
SCOPED = ("agency", "province")


@dataclass(frozen=True)
class World:
    frame_id: int
    design_id: int
    draw_id: int
    campaign_id: int
    questionnaire_id: int
    citizen_token: str
    message_id: int | None
    release_campaign_id: int
    published_release_id: int
    draft_release_id: int  # submitted for review, not yet published
    tokens: dict[str, str]  # caller -> session/API token
    user_ids: dict[str, int]  # caller -> staff user id
    other_dossier_codes: frozenset[str]  # dossier codes of AG-B and AG-C, both frames


def _frame_csv(folder: Path) -> Path:
    rows: list[list[str]] = [
        list(r) for r in frame_rows({("AG-A", "01"): 40, ("AG-B", "79"): 30, ("AG-C", "79"): 20})
    ]
    rows[1][10] = "12"  # AG-A-0001: not a phone number -> a warning on a kept row of AG-A
    rows[45][10] = "34"  # AG-B-0005: the same on a row of AG-B
    rows[50][8] = "2025-13-45"  # AG-B-0010: a bad date -> the row is rejected
    return write_csv(folder / "frame.csv", rows)


def build_world(session: Session, engine: Engine, settings: Settings, folder: Path) -> World:
    report = import_frame(
        engine=engine, source=_frame_csv(folder), name="Quý III/2025", accept_valid_rows=True
    )
    assert report.status == "ready" and report.errors and report.warnings, report.problems[:5]
    spec = parse_design(
        {
            "name": "Theo cơ quan",
            "frame_id": report.frame_id,
            "stratify_by": ["agency_code"],
            "allocation": {"method": "proportional", "n_total": 30},
        }
    )
    design = create_design(session=session, spec=spec, created_by=None)
    assert design.id is not None
    draw = run_draw(session=session, design_id=design.id, seed=20250701, created_by=None)
    assert draw.id is not None
    questionnaire = ensure_builtin_questionnaires(session=session)
    assert questionnaire.id is not None
    now = utcnow()
    campaign = create_campaign(
        session=session,
        name="Đợt 2025",
        draw_id=draw.id,
        questionnaire_id=questionnaire.id,
        field_start=now - timedelta(hours=1),
        field_end=now + timedelta(days=14),
    )
    assert campaign.id is not None
    activate_campaign(session=session, campaign_id=campaign.id)
    create_invitations(session=session, settings=settings, campaign_id=campaign.id)
    invitation = session.exec(
        select(Invitation).where(Invitation.campaign_id == campaign.id).order_by(col(Invitation.id))
    ).first()
    assert invitation is not None

    rc = build_release_campaign(session)
    maker = make_user(session, "analyst", "world-analyst")
    reviewer = make_user(session, "publisher", "world-publisher")
    published = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Công bố",
        by=["agency_code"],
        created_by=maker.id,
    )
    assert published.id is not None
    submit_release(session=session, release_id=published.id, actor=maker)
    publish_release(session=session, release_id=published.id, actor=reviewer)
    draft = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Nháp",
        by=["agency_code", "channel"],
        min_respondents=5,
    )
    assert draft.id is not None
    submit_release(session=session, release_id=draft.id, actor=maker)

    tokens, user_ids = {}, {}
    for name, (role, scopes) in CALLERS.items():
        user = make_user(session, role, f"{name}-user", scopes)
        assert user.id is not None
        user_ids[name] = user.id
        tokens[name] = create_api_token(session=session, user_id=user.id, name="test")
    others = session.exec(
        select(Dossier.dossier_code).where(col(Dossier.agency_code).in_(OTHER_AGENCIES))
    ).all()
    return World(
        frame_id=report.frame_id,
        design_id=design.id,
        draw_id=draw.id,
        campaign_id=campaign.id,
        questionnaire_id=questionnaire.id,
        citizen_token=invitation_token(settings, invitation),
        message_id=None,
        release_campaign_id=rc.campaign_id,
        published_release_id=published.id,
        draft_release_id=draft.id,
        tokens=tokens,
        user_ids=user_ids,
        other_dossier_codes=frozenset(others),
    )
