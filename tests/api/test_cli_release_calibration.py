"""`sipas release compute --calibration rake --margins FILE --variance jkn`: the draft release
records the margins and the variance method; bad margins exit non-zero naming the row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.cli.main import main
from survey.models import IndexRelease
from survey.settings import Settings
from tests.survey.release_fixtures import build_release_campaign

MARGINS = (
    "variable,category,population\nchannel,direct,520\nchannel,online,380\n"
    "agency_code,AG-A,400\nagency_code,AG-B,300\nagency_code,AG-C,200\n"
)


def test_compute_with_margins_and_replicates(
    settings: Settings,
    engine: Engine,
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    rc = build_release_campaign(session)
    margins = tmp_path / "margins.csv"
    margins.write_text(MARGINS, encoding="utf-8")
    args = ["release", "compute", str(rc.campaign_id), "--name", "Hiệu chỉnh"]
    calibrated = [*args, "--calibration", "rake", "--margins", str(margins), "--variance", "jkn"]
    assert main(calibrated) == 0
    session.expire_all()
    release = session.exec(select(IndexRelease).order_by(col(IndexRelease.id).desc())).first()
    assert release is not None
    assert release.parameters["calibration"]["method"] == "rake"
    assert release.parameters["variance"]["method"] == "jkn"
    capsys.readouterr()

    margins.write_text(MARGINS.replace("380", "-1"), encoding="utf-8")
    assert main([*args, "--calibration", "rake", "--margins", str(margins)]) != 0
    err = capsys.readouterr().err
    assert "margins.2.population: the population count must be a positive number" in err
    assert main([*args, "--calibration", "linear", "--margins", str(tmp_path / "none.csv")]) != 0
    assert "cannot read" in capsys.readouterr().err
