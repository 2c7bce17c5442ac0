"""Two paths, one answer: a campaign's anonymous export run through ``sipas analyze`` gives the
same agency indices as the platform's own index release (same weights, fpc and variance)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlmodel import Session

from api.cli.main import main
from survey.fieldwork_exports import response_table, to_csv
from survey.releases import compute_release
from survey.settings import Settings
from tests.survey.release_fixtures import build_release_campaign


def test_exported_responses_analysed_by_the_cli_match_the_release(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    campaign = build_release_campaign(session)
    release = compute_release(
        session=session,
        campaign_id=campaign.campaign_id,
        name="by agency",
        by=["agency_code"],
        min_respondents=5,
        max_cv=0.5,
    )
    header, rows = response_table(
        session=session, settings=settings, campaign_id=campaign.campaign_id
    )
    assert "stratum_population" in header and not any("phone" in h for h in header)
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
            "agency_code",
            "--min-respondents",
            "5",
            "--max-cv",
            "0.5",
            "--lonely-psu",
            "adjust",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    cli_rows = json.loads((out / "indices.json").read_text(encoding="utf-8"))
    if isinstance(cli_rows, dict):
        cli_rows = cli_rows["rows"]
    with (out / "indices.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(cli_rows)

    release_rows = {
        (r["domain"]["agency_code"], r["node"]): r
        for r in release.results["rows"]
        if "agency_code" in r["domain"]
    }
    compared = 0
    for row in cli_rows:
        key = (row["agency_code"], row["node"])
        if key not in release_rows:
            continue
        mine = release_rows[key]
        assert row["estimate"] == pytest.approx(mine["estimate"], rel=1e-9)
        assert row["se"] == pytest.approx(mine["se"], rel=1e-9)
        assert row["n_respondents"] == mine["n_respondents"]
        compared += 1
    assert compared >= 3 * 25  # 3 agencies x (overall + 5 elements + 19 criteria)
