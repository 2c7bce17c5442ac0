"""Release rows: the typed rows read back the stored JSON key for key, and say what is wrong with
a malformed one."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from survey.release_rows import (
    RankInterval,
    ReleaseRow,
    ReleaseRowError,
    parse_row,
    release_nodes,
    release_ranking,
    release_rows,
)
from survey.releases import compute_release
from tests.survey.release_fixtures import STRATA, build_release_campaign


def test_rows_and_ranking_round_trip_the_stored_json(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute_release(session=session, campaign_id=rc.campaign_id, name="r")
    session.expire_all()  # read back what the database holds, not the objects just built
    stored = json.loads(json.dumps(release.results))
    rows = release_rows(release)
    assert [r.to_json() for r in rows] == stored["rows"]
    # Key order too: the stored JSON is the same text as before the rows were typed.
    assert [list(r.to_json()) for r in rows] == [list(r) for r in stored["rows"]]
    ranking = release_ranking(release)
    assert [r.to_json() for r in ranking] == stored["ranking"]
    assert {r.agency_code for r in ranking} == {v[0] for v in STRATA.values()}
    nodes = release_nodes(release)
    assert nodes[0] == "overall" and nodes == stored["nodes"]

    whole = [r for r in rows if r.is_whole_campaign]
    assert [r.node for r in whole] == nodes and {r.domain_kind for r in whole} == {"all"}
    assert {r.domain_name for r in whole} == {"all"}
    by_agency = [r for r in rows if not r.is_whole_campaign]
    assert {r.domain_kind for r in by_agency} == {"agency_code"}
    assert {r.domain_value("agency_code") for r in by_agency} == {"AG-A", "AG-B", "AG-C"}
    assert by_agency[0].domain_value("province_code") is None
    # Ranks sit on the overall rows of the ranked agencies only.
    ranked = [r for r in rows if r.rank is not None]
    assert {r.node for r in ranked} == {"overall"} and len(ranked) == 3
    top = next(r for r in ranking if r.rank.rank == 1)
    row = next(r for r in ranked if r.domain_value("agency_code") == top.agency_code)
    assert row.rank == top.rank and row.estimate == top.estimate
    assert row.ci_lower is not None and row.ci_upper is not None
    assert row.ci_lower < row.estimate < row.ci_upper  # type: ignore[operator]


def test_suppressed_rows_carry_no_figures(session: Session) -> None:
    rc = build_release_campaign(session)
    release = compute_release(
        session=session, campaign_id=rc.campaign_id, name="r", min_respondents=40
    )
    rows = release_rows(release)
    suppressed = [r for r in rows if r.suppressed]
    # AG-B (30) and AG-C (32) have fewer than 40 respondents (AG-A's 45 answer most criteria).
    overall = {r.domain_value("agency_code") for r in suppressed if r.node == "overall"}
    assert overall == {"AG-B", "AG-C"}
    assert any(r.node == "overall" and not r.suppressed for r in rows if r.domain)
    assert all(r.estimate is None and r.se is None and r.cv is None for r in suppressed)
    assert all(r.n_respondents > 0 for r in suppressed)


def test_a_row_without_ranks_has_no_rank_keys() -> None:
    row = ReleaseRow(
        domain=(("province_code", "01"), ("channel", "online")),
        domain_name="01 / online",
        node="access",
        node_level="element",
        parent="overall",
        estimate=0.5,
        se=0.1,
        ci_lower=0.3,
        ci_upper=0.7,
        cv=0.2,
        df=10,
        n_respondents=11,
        flag="ok",
    )
    data = row.to_json()
    assert "rank" not in data and data["domain"] == {"province_code": "01", "channel": "online"}
    assert parse_row(data) == row and row.domain_kind == "province_code x channel"
    ranked = ReleaseRow(**{**row.__dict__, "rank": RankInterval(2, 1, 3, 1, None)})
    assert parse_row(ranked.to_json()) == ranked


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"node": None}, "'node'"),
        ({"df": 2.5}, "'df' is 2.5, not a whole number"),
        ({"estimate": "0,5"}, "'estimate' is '0,5', not a number"),
        ({"domain": ["01"]}, "'domain' is ['01'], not an object"),
        ({"rank": 1}, "no 'rank_lower'"),
    ],
)
def test_a_malformed_stored_row_is_named(change: dict[str, object], message: str) -> None:
    data: dict[str, object] = {
        "domain": {},
        "domain_name": "all",
        "node": "overall",
        "level": "overall",
        "parent": "",
        "estimate": 0.5,
        "se": 0.1,
        "ci_lower": 0.3,
        "ci_upper": 0.7,
        "cv": 0.2,
        "df": 10,
        "n_respondents": 11,
        "flag": "ok",
    }
    data.update(change)
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ReleaseRowError) as error:
        release_rows({"rows": [data]})
    assert str(error.value).startswith("results.rows[0]: ") and message in str(error.value)
