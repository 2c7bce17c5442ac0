"""`sipas questionnaire`: export the built-in form, import it as a new version, publish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli.main import main
from survey.settings import Settings


def test_export_import_publish_round_trip(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    assert main(["questionnaire", "list"]) == 0
    builtin_id = capsys.readouterr().out.split("\t")[0]
    out = tmp_path / "q.json"
    assert main(["questionnaire", "export", builtin_id, "--out", str(out)]) == 0
    definition = json.loads(out.read_text(encoding="utf-8"))
    definition["version"] = 2
    out.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    assert main(["questionnaire", "import", str(out)]) == 0
    assert "created draft sipas-service v2" in capsys.readouterr().out
    assert main(["questionnaire", "import", str(out)]) == 2
    assert "exists already" in capsys.readouterr().err
    out.write_text("{not json", encoding="utf-8")
    assert main(["questionnaire", "import", str(out)]) == 2
    assert "line.1" in capsys.readouterr().err
