"""Rankings as practised: agencies ranked within blocks, scored but not ranked below
``min_ranked``, bands recorded; checked on computed releases (the simulation's properties, not
its own numbers)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from survey.errors import InvalidInput
from survey.models import Response
from survey.public_releases import agency_league
from survey.release_rows import release_not_ranked, release_ranking, release_rows
from survey.releases import compute_release, release_arguments, verify_release
from tests.survey.release_fixtures import ReleaseCampaign, build_release_campaign

# Six agencies: three communes' and three provinces' (levels set after the build).
SIX = {
    "A": ("AG-A", "01", 400, 60, 45),
    "B": ("AG-B", "79", 300, 50, 30),
    "C": ("AG-C", "79", 200, 40, 32),
    "D": ("AG-D", "01", 400, 60, 44),
    "E": ("AG-E", "79", 300, 50, 41),
    "F": ("AG-F", "79", 200, 40, 34),
}
PROVINCIAL = ("AG-D", "AG-E", "AG-F")


def six_agencies(session: Session) -> ReleaseCampaign:
    rc = build_release_campaign(session, strata_spec=SIX)
    session.execute(
        update(Response)
        .where(col(Response.campaign_id) == rc.campaign_id)
        .where(col(Response.agency_code).in_(PROVINCIAL))
        .values(level="province")
    )
    session.commit()
    return rc


def unanimous(session: Session, campaign_id: int, agency: str, criteria: list[str]) -> None:
    """Every respondent of ``agency`` very satisfied with every criterion: far ahead of all."""
    session.execute(
        update(Response)
        .where(col(Response.campaign_id) == campaign_id, col(Response.agency_code) == agency)
        .values(answers={c: 5 for c in criteria})
    )
    session.commit()


def compute(session: Session, rc: ReleaseCampaign, **arguments: Any) -> Any:
    return compute_release(session=session, campaign_id=rc.campaign_id, name="blocks", **arguments)


def test_agencies_are_ranked_within_their_level(session: Session) -> None:
    rc = six_agencies(session)
    release = compute(session, rc, ranking_blocks="level")
    ranking = release_ranking(release)
    blocks = {r.agency_code: r.block for r in ranking}
    assert blocks == {
        "AG-A": "commune",
        "AG-B": "commune",
        "AG-C": "commune",
        "AG-D": "province",
        "AG-E": "province",
        "AG-F": "province",
    }
    for block in ("commune", "province"):
        ranks = sorted(r.rank.rank for r in ranking if r.block == block)
        assert ranks == [1, 2, 3]  # ranks count only the block's agencies
        for r in ranking:
            if r.block == block:
                assert 1 <= r.rank.rank_lower <= r.rank.rank <= r.rank.rank_upper <= 3
    # Within a block, rank 1 is the block's highest estimate.
    for block in ("commune", "province"):
        members = [r for r in ranking if r.block == block]
        best = max(members, key=lambda r: r.estimate or 0.0)
        assert best.rank.rank == 1
    assert release.parameters["ranking"]["blocks"] == "level"
    assert release.results["not_ranked"] == []
    # The overall rows carry the block ranks too.
    overall = {r.domain_name: r for r in release_rows(release) if r.node == "overall"}
    assert overall["AG-D"].rank == next(r.rank for r in ranking if r.agency_code == "AG-D")


def test_a_unit_far_ahead_ranks_first_with_a_certain_interval(session: Session) -> None:
    rc = six_agencies(session)
    unanimous(session, rc.campaign_id, "AG-E", rc.criteria)
    release = compute(session, rc, ranking_blocks="level")
    e = next(r for r in release_ranking(release) if r.agency_code == "AG-E")
    assert e.estimate == pytest.approx(1.0)
    assert (e.rank.rank, e.rank.rank_lower, e.rank.rank_upper) == (1, 1, 1)
    assert e.rank.prob_first == pytest.approx(1.0)
    # The commune block is untouched by the provincial agency's answers: its top is not 1.0.
    commune_first = next(
        r for r in release_ranking(release) if r.block == "commune" and r.rank.rank == 1
    )
    assert commune_first.estimate is not None and commune_first.estimate < 1.0


def test_fewer_answers_than_min_ranked_are_scored_not_ranked(session: Session) -> None:
    rc = six_agencies(session)
    release = compute(session, rc, min_ranked=40)
    ranked = {r.agency_code for r in release_ranking(release)}
    assert ranked == {"AG-A", "AG-D", "AG-E"}  # 45, 44 and 41 respondents
    not_ranked = {r.agency_code: r for r in release_not_ranked(release)}
    assert set(not_ranked) == {"AG-B", "AG-C", "AG-F"}
    for row in not_ranked.values():
        assert row.reason == "too_few_answers"
        assert row.n_respondents < 40
        assert row.estimate is not None  # scored: the figure is published
    overall = {r.domain_name: r for r in release_rows(release) if r.node == "overall"}
    assert overall["AG-B"].estimate is not None and overall["AG-B"].rank is None
    ranks = sorted(r.rank.rank for r in release_ranking(release))
    assert ranks == [1, 2, 3]
    assert release.parameters["ranking"]["min_ranked"] == 40
    assert "not ranked" in release.parameters["ranking"]["min_ranked_description"]


def test_the_only_rankable_agency_of_a_block_is_not_ranked(session: Session) -> None:
    rc = six_agencies(session)
    release = compute(session, rc, ranking_blocks="level", min_ranked=40)
    assert {(r.agency_code, r.block) for r in release_ranking(release)} == {
        ("AG-D", "province"),
        ("AG-E", "province"),
    }
    reasons = {r.agency_code: (r.reason, r.block) for r in release_not_ranked(release)}
    assert reasons == {
        "AG-A": ("alone_in_block", "commune"),
        "AG-B": ("too_few_answers", "commune"),
        "AG-C": ("too_few_answers", "commune"),
        "AG-F": ("too_few_answers", "province"),
    }


def test_the_league_has_blocks_bands_top_and_bottom(session: Session) -> None:
    rc = six_agencies(session)
    bands = [[0.8, "Cao", "High"], [0.0, "Thấp", "Low"]]
    release = compute(session, rc, ranking_blocks="level", min_ranked=35, bands=bands)
    league = agency_league(release)
    assert league is not None
    assert league.blocks_column == "level" and league.min_ranked == 35
    assert not league.bands_default and [b.en for b in league.bands] == ["High", "Low"]
    assert [b.block for b in league.blocks] == ["commune", "province"]
    commune, province = league.blocks
    assert commune.ranked == () and commune.not_ranked[0].code == "AG-A"
    assert {u.not_ranked for u in commune.not_ranked} == {"alone_in_block", "too_few_answers"}
    assert [u.code for u in province.not_ranked] == ["AG-F"]
    assert province.not_ranked[0].not_ranked == "too_few_answers"
    assert [u.rank for u in province.ranked] == [1, 2]
    assert province.top == province.ranked and province.bottom == province.ranked[::-1]
    assert province.maximum is province.ranked[0] and province.minimum is province.ranked[-1]
    for block in league.blocks:
        for u in (*block.ranked, *block.not_ranked):
            c = u.classification
            assert c.band is not None
            assert c.band.en == ("High" if u.estimate >= 0.8 else "Low")
            assert c.straddles == (
                u.ci_lower is not None and u.ci_upper is not None and u.ci_lower < 0.8 <= u.ci_upper
            )
    assert release.parameters["ranking"]["bands"] == bands


def test_a_release_with_ranking_choices_verifies(session: Session) -> None:
    rc = six_agencies(session)
    release = compute(
        session, rc, ranking_blocks="province_code", min_ranked=31, bands=[[0.0, "Một", "One"]]
    )
    assert release.id is not None
    arguments = release_arguments(release)
    assert arguments["ranking_blocks"] == "province_code"
    assert arguments["min_ranked"] == 31
    result = verify_release(session=session, release_id=release.id)
    figures = next(c for c in result.checks if c.name == "figures")
    assert figures.ok, figures.detail  # recomputed with the recorded blocks, threshold, bands


def test_defaults_store_no_new_keys(session: Session) -> None:
    rc = six_agencies(session)
    release = compute(session, rc)
    assert "not_ranked" not in release.results
    assert set(release.parameters["ranking"]) == {"node", "by", "n_draws", "seed", "level"}
    assert all("block" not in r for r in release.results["ranking"])
    # The default ranks every published agency, whatever its count (the behaviour before).
    assert len(release_ranking(release)) == 6


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"ranking_blocks": "channel"}, "ranking_blocks"),
        ({"min_ranked": 0}, "min_ranked"),
        ({"bands": [[0.5, "a", "A"], [0.7, "b", "B"]]}, "bands"),
        ({"bands": [[0.5, "", "A"]]}, "bands"),
        ({"bands": []}, "bands"),
    ],
)
def test_bad_ranking_parameters_name_the_field(
    session: Session, arguments: dict[str, Any], field: str
) -> None:
    rc = build_release_campaign(session)
    with pytest.raises(InvalidInput) as caught:
        compute(session, rc, **arguments)
    assert [p.loc[0] for p in caught.value.problems] == [field]
