"""What the public site reads of a published release: rankings, the previous round, changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlmodel import Session

from survey.errors import NotFound
from survey.models import Campaign, Draw, IndexRelease
from survey.public_releases import (
    find_previous_release,
    get_public_release,
    interval_warning,
    rank_release_domains,
)
from survey.release_rows import parse_row
from survey.releases import compute_release, publish_release, submit_release
from tests.api.fast_users import make_user
from tests.survey.release_fixtures import ReleaseCampaign, build_release_campaign

# Three provinces (one pre-2025 code, "02", now part of Tuyên Quang) so provinces can be ranked.
PROVINCE_STRATA = {
    "A": ("AG-A", "01", 400, 60, 45),
    "B": ("AG-B", "79", 300, 50, 30),
    "C": ("AG-C", "02", 200, 40, 32),
}


def publish(
    session: Session,
    campaign_id: int,
    name: str,
    *,
    by: Sequence[str] = ("agency_code",),
    min_respondents: int = 30,
) -> IndexRelease:
    """Compute, submit (analyst) and publish (publisher) a release."""
    maker = make_user(session, "analyst", f"pr-analyst-{name}")
    reviewer = make_user(session, "publisher", f"pr-publisher-{name}")
    release = compute_release(
        session=session,
        campaign_id=campaign_id,
        name=name,
        by=by,
        min_respondents=min_respondents,
        created_by=maker.id,
    )
    assert release.id is not None
    submit_release(session=session, release_id=release.id, actor=maker)
    publish_release(session=session, release_id=release.id, actor=reviewer)
    session.refresh(release)
    return release


def two_rounds(session: Session, *, by: Sequence[str] = ("agency_code",)) -> tuple[int, int]:
    """A release of last year's campaign and one of this year's; returns (earlier, later) ids."""
    earlier = build_release_campaign(session, seed=3, strata_spec=PROVINCE_STRATA)
    campaign = session.get(Campaign, earlier.campaign_id)
    assert campaign is not None
    campaign.field_start -= timedelta(days=365)
    campaign.field_end -= timedelta(days=365)
    session.add(campaign)
    session.commit()
    old = publish(session, earlier.campaign_id, "Năm trước", by=by)
    later = build_release_campaign(session, seed=7, strata_spec=PROVINCE_STRATA)
    new = publish(session, later.campaign_id, "Năm nay", by=by)
    assert old.id is not None and new.id is not None
    return old.id, new.id


def build_census_stratum_campaign(session: Session) -> ReleaseCampaign:
    """A campaign where AG-D's whole stratum (8 of 8 in the frame) answered.

    No sampling error, so its design SE is 0 and its interval has zero width: the issue's
    "66,7 % (66,7-66,7)" case, which must be flagged, not shown as a precise figure.
    """
    rc = build_release_campaign(
        session,
        strata_spec={
            "A": ("AG-A", "01", 400, 60, 45),
            "B": ("AG-B", "79", 300, 50, 30),
            "D": ("AG-D", "79", 10, 10, 8),
        },
    )
    campaign = session.get(Campaign, rc.campaign_id)
    assert campaign is not None
    draw = session.get(Draw, campaign.draw_id)
    assert draw is not None
    snapshot = dict(draw.design_snapshot)
    snapshot["allocation"] = {**snapshot["allocation"], "population": [400, 300, 8]}
    draw.design_snapshot = snapshot
    session.add(draw)
    session.commit()
    return rc


def test_agency_release_uses_the_stored_ranking(session: Session) -> None:
    rc = build_release_campaign(session)
    release = publish(session, rc.campaign_id, "Theo cơ quan")
    ranked, source = rank_release_domains(release)
    assert source == "stored"
    stored = {r["agency_code"]: r for r in release.results["ranking"]}
    assert [d.domain_name for d in ranked] == sorted(stored, key=lambda a: stored[a]["rank"])
    for d in ranked:
        assert (d.rank_lower, d.rank_upper) == (
            stored[d.domain_name]["rank_lower"],
            stored[d.domain_name]["rank_upper"],
        )
        assert d.row.node == "overall" and d.row.domain == (("agency_code", d.domain_name),)


def test_province_release_is_ranked_by_province_without_changing_its_results(
    session: Session,
) -> None:
    rc = build_release_campaign(session, strata_spec=PROVINCE_STRATA)
    release = publish(session, rc.campaign_id, "Theo tỉnh", by=("province_code",))
    before = dict(release.results)
    ranked, source = rank_release_domains(release)
    assert source == "simulated"
    assert sorted(d.domain_name for d in ranked) == ["01", "02", "79"]
    estimates = [d.row.estimate or 0.0 for d in ranked]
    assert all(d.row.estimate is not None for d in ranked)
    assert estimates == sorted(estimates, reverse=True)
    for d in ranked:
        assert 1 <= d.rank_lower <= d.rank <= d.rank_upper <= 3
    # The stored ranking is the agencies' one; the release itself is untouched.
    assert {r["agency_code"] for r in release.results["ranking"]} == {"AG-A", "AG-B", "AG-C"}
    assert release.results == before
    session.refresh(release)
    assert release.results == before


def test_previous_round_is_the_earlier_comparable_release(session: Session) -> None:
    old_id, new_id = two_rounds(session)
    view = get_public_release(session=session, release_id=new_id)
    assert view.previous is not None and view.previous.id == old_id
    # The earlier round has no previous round of its own.
    assert get_public_release(session=session, release_id=old_id).previous is None
    overall = view.changes[("", "overall")]
    now_row = next(r for r in view.rows if r.is_whole_campaign and r.node == "overall")
    old_row = view.previous_rows[("", "overall")]
    assert now_row.estimate is not None and old_row.estimate is not None
    assert now_row.se is not None and old_row.se is not None
    assert overall.estimate == pytest.approx(now_row.estimate - old_row.estimate)
    half = (now_row.se**2 + old_row.se**2) ** 0.5
    assert overall.ci_lower < overall.estimate < overall.ci_upper
    assert overall.ci_upper - overall.estimate == pytest.approx(overall.estimate - overall.ci_lower)
    assert 1.9 * half < overall.ci_upper - overall.estimate < 2.1 * half
    assert ("AG-A", "overall") in view.changes


def test_a_different_breakdown_is_not_a_previous_round(session: Session) -> None:
    old_id, _ = two_rounds(session, by=("province_code",))
    later = build_release_campaign(session, seed=11, strata_spec=PROVINCE_STRATA)
    by_agency = publish(session, later.campaign_id, "Theo cơ quan năm nay")
    assert find_previous_release(session=session, release=by_agency) is None
    old = session.get(IndexRelease, old_id)
    assert old is not None and find_previous_release(session=session, release=old) is None


def test_drafts_are_not_public(session: Session) -> None:
    rc = build_release_campaign(session)
    draft = compute_release(session=session, campaign_id=rc.campaign_id, name="Nháp")
    assert draft.id is not None
    with pytest.raises(NotFound):
        get_public_release(session=session, release_id=draft.id)


def test_interval_warnings() -> None:
    base = {
        "estimate": 0.667,
        "se": 0.0,
        "flag": "ok",
        "node": "overall",
        "level": "overall",
        "domain": {},
        "df": 7,
        "n_respondents": 8,
    }

    def warning(**changes: object) -> str | None:
        return interval_warning(parse_row({**base, **changes}))

    assert warning(ci_lower=0.667, ci_upper=0.667) == "zero_width"
    assert warning(ci_lower=0.6, ci_upper=0.7, flag="unreliable") == "unstable"
    assert warning(ci_lower=0.6, ci_upper=0.7) is None
    assert warning(estimate=None, se=None, flag="suppressed") is None
