"""``sipas design create|preview`` and ``sipas sample draw|export`` on both backends."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from api.cli.main import main
from survey.settings import Settings
from tests.survey.design_frames import frame_rows, import_rows


@pytest.mark.parametrize(
    "command",
    [["design", "create"], ["design", "preview"], ["sample", "draw"], ["sample", "export"]],
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([*command, "--help"])
    assert caught.value.code == 0
    assert "usage: sipas" in capsys.readouterr().out


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_preview_create_draw_export(
    cli_env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = import_rows(engine, cli_env, frame_rows({("A", "01"): 30, ("B", "24"): 20}))
    args = ["--frame", str(frame), "--n-total", "10", "--reserve", "1"]
    assert main(["design", "preview", *args, "--domain", "province_code"]) == 0
    out = capsys.readouterr().out
    assert "allocation: proportional" in out and "province_code=24" in out
    assert main(["design", "create", "--name", "cli", *args]) == 0
    out = capsys.readouterr().out
    design_id = int(out.split()[2])
    assert main(["sample", "draw", str(design_id), "--seed", "11"]) == 0
    out = capsys.readouterr().out
    assert "seed 11" in out and "sampled 10" in out
    draw_id = int(out.split()[1])
    assert main(["sample", "export", str(draw_id), "-o", "s.csv"]) == 0
    with (cli_env / "s.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12 and "phone" not in rows[0]
    assert main(["sample", "export", str(draw_id), "--phones", "--format", "xlsx"]) == 0
    assert (cli_env / f"sample-draw-{draw_id}-phones.xlsx").stat().st_size > 0


def test_errors_are_printed_as_loc_and_message(
    cli_env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = import_rows(engine, cli_env, frame_rows({("A", "01"): 5}))
    code = main(["design", "preview", "--frame", str(frame), "--n-total", "50"])
    assert code == 2
    err = capsys.readouterr().err
    assert "allocation" in err and "larger than the population" in err
    spec = {"name": "j", "frame_id": frame, "stratify_by": ["district"], "allocation": {}}
    (cli_env / "d.json").write_text(json.dumps(spec), encoding="utf-8")
    assert main(["design", "create", "--json", "d.json"]) == 2
    err = capsys.readouterr().err
    assert "stratify_by.0:" in err and "allocation.n_total:" in err
