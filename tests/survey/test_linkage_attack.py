"""The linkage attack of issue 8, played for every role on the demo's realistic campaign.

The demo builds a frame through the real importer, a Neyman design by agency, a draw, a campaign,
SMS invitations and synthetic answers through the citizens' use cases. Each role then downloads
what docs/access.md lets it download, through the same use cases the routes call: the responses
export (admin, analyst), the sample export (admin, national and scoped coordinators) and the
releases (everyone). The attacker joins the responses export to a sample export on every column
they share, among the sampled dossiers known to have answered (a coordinator knows them: letters
are printed only for those who have not), and counts the dossiers each response could be.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.campaigns import close_campaign
from survey.demo import DemoSummary, build_demo
from survey.disclosure import GENERALISED, K
from survey.draws import export_sample
from survey.fieldwork_exports import response_export, to_csv
from survey.models import Dossier, Invitation, Response, SampleUnit, StaffUser
from survey.purge import purge_contacts
from survey.releases import compute_release, release_csv
from survey.settings import Settings

SAMPLE_VIEWERS = ("admin", "coordinator", "coordinator_bn")  # who may download a sample
Row = dict[str, str]


@pytest.fixture
def demo(engine: Engine, tmp_path: Path, settings: Settings) -> DemoSummary:
    # The service form's campaign alone: the attack purges its frame's contacts after
    # fieldwork, which an active second campaign on the same frame rightly prevents.
    return build_demo(
        engine=engine, data_dir=tmp_path, n_dossiers=3000, settings=settings, citizens=False
    )


def _rows(text: str) -> list[Row]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _sample(session: Session, draw_id: int, username: str) -> list[Row]:
    viewer = session.exec(select(StaffUser).where(StaffUser.username == username)).one()
    export = export_sample(session=session, draw_id=draw_id, include_phones=True, viewer=viewer)
    return _rows(b"".join(export.chunks).decode("utf-8"))


def _answered_dossiers(session: Session, campaign_id: int) -> set[str]:
    """The dossier codes whose invitation is completed: what a coordinator can tell."""
    return set(
        session.exec(
            select(Dossier.dossier_code)
            .join(SampleUnit, col(SampleUnit.dossier_id) == col(Dossier.id))
            .join(Invitation, col(Invitation.sample_unit_id) == col(SampleUnit.id))
            .where(
                col(Invitation.campaign_id) == campaign_id,
                col(Invitation.completed_at).is_not(None),
            )
        ).all()
    )


def _matches(
    responses: Sequence[Row], candidates: Sequence[Row], shared: Sequence[str]
) -> list[int]:
    """For each response, how many candidate dossiers agree on every shared column ("*" is any)."""
    return [
        sum(all(r[c] in (GENERALISED, s[c]) for c in shared) for s in candidates) for r in responses
    ]


def _raw_responses(session: Session, campaign_id: int, shared: Sequence[str]) -> list[Row]:
    """The responses as the export gave them before the rule: every value as stored."""
    rows = session.exec(
        select(Response).where(
            col(Response.campaign_id) == campaign_id, col(Response.status) == "completed"
        )
    ).all()
    return [{c: str(getattr(r, c)) for c in shared} for r in rows]


def test_no_role_links_a_response_to_fewer_than_five_dossiers_before_or_after_the_purge(
    demo: DemoSummary, engine: Engine, settings: Settings
) -> None:
    assert demo.fieldwork is not None
    campaign_id = demo.fieldwork.campaign_id
    with Session(engine) as session:
        export = response_export(session=session, settings=settings, campaign_id=campaign_id)
        responses = _rows(to_csv(export.header, export.rows))
        answered = _answered_dossiers(session, campaign_id)
        assert len(answered) == export.respondents > 50
        views = {name: _sample(session, demo.draw_id, name) for name in SAMPLE_VIEWERS}
        shared = [c for c in export.header if c in views["admin"][0]]
        assert {"stratum", "agency_code", "province_code", "procedure_field", "channel"} <= set(
            shared
        )
        assert "weight" in shared and "inclusion_prob" in shared

        # Before the rule: the raw values single out dossiers (the attack of issue 8).
        everyone = [s for s in views["admin"] if s["dossier_code"] in answered]
        before = _matches(_raw_responses(session, campaign_id, shared), everyone, shared)
        assert min(before) == 1 and sum(m < K for m in before) > 10

        for name, view in views.items():
            candidates = [s for s in view if s["dossier_code"] in answered]
            counts = _matches(responses, candidates, shared)
            # A response outside a scoped view matches nobody in it; none matches 1 to 4.
            assert not [m for m in counts if 0 < m < K], name
            if name != "coordinator_bn":
                assert min(counts) >= K, name
        assert len(responses) + export.suppressed == export.respondents
        assert len(responses) > export.respondents / 2  # most answers stay usable

        # Releases (every role reads them; a scoped view is a subset of these rows): the finest
        # crossing, with a reliability rule that would publish anything, still shows no figure
        # resting on fewer than five respondents.
        release = compute_release(
            session=session,
            campaign_id=campaign_id,
            name="fine cells",
            by=["agency_code", "channel", "procedure_field"],
            min_respondents=0,
        )
        cells = _rows(release_csv(release))
        small = [r for r in cells if int(r["n_respondents"]) < K]
        assert small, "the crossing must create small cells for the rule to matter"
        assert all(r["estimate"] == "" and r["flag"] == "suppressed" for r in small)
        assert all(int(r["n_respondents"]) >= K for r in cells if r["estimate"])

        # In the database: only drafts link to an invitation, and after the purge nothing does.
        linked = select(Response).where(col(Response.invitation_id).is_not(None))
        drafts = session.exec(linked).all()
        assert drafts and all(r.status == "in_progress" for r in drafts)
        close_campaign(session=session, campaign_id=campaign_id)
        purge_contacts(session=session, campaign_id=campaign_id)
        assert session.exec(linked).all() == []
        assert (
            session.exec(
                select(Invitation.phone_e164).where(col(Invitation.phone_e164).is_not(None))
            ).all()
            == []
        )
