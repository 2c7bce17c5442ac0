"""`sipas release ranking ID` and `sipas release compare ID`: blocks, bands, top and bottom five,
the units scored but not ranked, and the changes since the previous round."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.cli.main import main
from survey.models import IndexRelease
from survey.release_rows import release_not_ranked, release_ranking
from survey.releases import compute_release
from survey.settings import Settings
from tests.api.fast_users import bearer
from tests.survey.test_public_releases import two_rounds
from tests.survey.test_release_blocks import six_agencies


@pytest.fixture
def blocked_id(settings: Settings, session: Session, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    rc = six_agencies(session)
    release = compute_release(
        session=session,
        campaign_id=rc.campaign_id,
        name="Khối",
        ranking_blocks="level",
        min_ranked=35,
    )
    assert release.id is not None
    return release.id


def test_the_table_shows_blocks_top_bottom_and_not_ranked(
    blocked_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["release", "ranking", str(blocked_id)]) == 0
    out = capsys.readouterr().out
    assert "blocks: level; min_ranked: 35; bands (working default): Very good >= 0.9" in out
    assert "block commune: 0 ranked, 3 scored but not ranked" in out
    assert "block province: 2 ranked, 1 scored but not ranked; range " in out
    lines = out.splitlines()
    f = next(line for line in lines if "\tAG-F\t" in line)
    assert f.startswith("-\t") and f.endswith("fewer respondents than min_ranked")
    a = next(line for line in lines if "\tAG-A\t" in line)
    assert a.endswith("no other rankable unit in its block")
    first = next(line for line in lines if line.startswith("1 ["))
    assert first.split("\t")[2] in {"AG-D", "AG-E"}
    assert "top five: 1. " in out and "bottom five: 2. " in out


def test_csv_and_json_carry_the_same_units(
    blocked_id: int, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    release = session.get(IndexRelease, blocked_id)
    assert release is not None
    assert main(["release", "ranking", str(blocked_id), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["code"] for r in rows} == {f"AG-{x}" for x in "ABCDEF"}
    stored = {r.agency_code: r for r in release_ranking(release)}
    for row in rows:
        if row["code"] in stored:
            assert int(row["rank"]) == stored[row["code"]].rank.rank
            assert row["block"] == stored[row["code"]].block
            assert row["top_five"] == "1" and row["not_ranked"] == ""
        else:
            assert row["rank"] == "" and row["not_ranked"] in {
                "too_few_answers",
                "alone_in_block",
            }
    assert {r["code"] for r in rows if r["not_ranked"]} == {
        r.agency_code for r in release_not_ranked(release)
    }
    assert main(["release", "ranking", str(blocked_id), "--format", "json"]) == 0
    leagues = json.loads(capsys.readouterr().out)
    assert [league["blocks_column"] for league in leagues] == ["level"]
    province = leagues[0]["blocks"][1]
    assert province["block"] == "province"
    assert [u["code"] for u in province["not_ranked"]] == ["AG-F"]
    assert province["range"]["max"] >= province["range"]["min"]
    assert province["top"] == [u["code"] for u in province["ranked"]]


def test_block_re_ranks_a_release_by_agency_at_read_time(
    settings: Settings,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    rc = six_agencies(session)
    release = compute_release(session=session, campaign_id=rc.campaign_id, name="Chung")
    assert release.id is not None
    assert main(["release", "ranking", str(release.id), "--block", "level"]) == 0
    out = capsys.readouterr().out
    assert "(simulated); blocks: level" in out
    assert "block commune: 3 ranked" in out and "block province: 3 ranked" in out
    assert (
        main(["release", "ranking", str(release.id), "--block", "level", "--format", "json"]) == 0
    )
    (league,) = json.loads(capsys.readouterr().out)
    for block in league["blocks"]:
        assert sorted(u["rank"] for u in block["ranked"]) == [1, 2, 3]


def test_block_none_on_a_blocked_release_is_refused(
    blocked_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["release", "ranking", str(blocked_id), "--block", "none"]) == 2
    assert "block: its ranking is within blocks of level" in capsys.readouterr().err


def test_compare_prints_changes_with_significance(
    settings: Settings,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    old_id, new_id = two_rounds(session)
    assert main(["release", "compare", str(new_id)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"release {new_id} compared with release {old_id}"
    assert lines[1].endswith("p_value\tsignificant at 95%")
    overall = next(line.split("\t") for line in lines[2:] if line.split("\t")[1] == "overall")
    assert overall[0] == "all" and overall[2] == "overall"
    p_value, significant = float(overall[8]), overall[9]
    assert 0.0 <= p_value <= 1.0
    assert significant == ("yes" if p_value < 0.05 else "no")
    assert main(["release", "compare", str(new_id), "--all"]) == 0
    assert any(line.startswith("AG-A\t") for line in capsys.readouterr().out.splitlines())
    assert main(["release", "compare", str(old_id)]) == 1
    assert "no comparable previous round" in capsys.readouterr().err
    assert main(["release", "compare", str(old_id), "--previous", str(new_id)]) == 0


def test_the_api_computes_a_release_with_ranking_choices(
    settings: Settings, session: Session
) -> None:
    rc = six_agencies(session)
    analyst = bearer(session, "analyst", "ranking-api-analyst")
    with TestClient(create_app(settings)) as client:
        url = f"/api/campaigns/{rc.campaign_id}/releases"
        bands = [
            {"lower": 0.8, "vi": "Cao", "en": "High"},
            {"lower": 0.0, "vi": "Thấp", "en": "Low"},
        ]
        created = client.post(
            url,
            json={"name": "Khối", "ranking_blocks": "level", "min_ranked": 35, "bands": bands},
            headers=analyst,
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["parameters"]["ranking"]["blocks"] == "level"
        assert body["parameters"]["ranking"]["bands"] == [
            [0.8, "Cao", "High"],
            [0.0, "Thấp", "Low"],
        ]
        assert {r["agency_code"] for r in body["results"]["not_ranked"]} == {
            "AG-A",
            "AG-B",
            "AG-C",
            "AG-F",
        }
        bad = client.post(
            url,
            json={"name": "x", "bands": [{"lower": 0.5, "vi": "a", "en": "A"}] * 2},
            headers=analyst,
        )
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["bands"]
        assert "strictly decreasing" in bad.json()["detail"][0]["msg"]
        wrong = client.post(url, json={"name": "x", "ranking_blocks": "channel"}, headers=analyst)
        assert wrong.status_code == 422
