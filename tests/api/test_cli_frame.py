"""``sipas frame import|list|problems`` as a coordinator uses them, on both databases."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from api.cli import frame as frame_cli
from survey.settings import Settings

HEADER = "Mã số hồ sơ;agency_code;province_code;level;channel;received_date;completed_date;phone"
ROWS = [
    "HS-1;CQ1;01;tỉnh;trực tiếp;2025-03-01;05/03/2025;0912 345 678",
    "HS-2;CQ1;01;xã;bưu chính;2025-03-01;2025-03-02;0167 123 4567",
    "HS-3;CQ2;79;Xã;trực tuyến;2025-03-04;2025-03-06;",
]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sipas")
    frame_cli.register(root.add_subparsers())
    return root


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    code: int = args.handler(args)
    return code


@pytest.fixture
def database(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("SIPAS_DATABASE_URL", settings.database_url)
    return engine


def write(path: Path, rows: list[str]) -> Path:
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8-sig"))
    return path


@pytest.mark.parametrize("argv", [["frame"], ["frame", "import"], ["frame", "list"]])
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args([*argv, "--help"])
    assert exit_info.value.code == 0
    assert "usage: sipas frame" in capsys.readouterr().out


def test_import_then_list(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "khung.csv", ROWS)
    code = run(
        ["frame", "import", str(path), "--name", "Quý 1", "--map", "Mã số hồ sơ=dossier_code"]
    )
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "frame 1 'Quý 1': ready" in out
    assert "imported 3; rejected 0; not contactable 1" in out
    assert "row 4" in out and "no phone" in out  # the warning names the row
    assert "rows read" in err and "rows/s" in err  # progress on stderr
    assert run(["frame", "list"]) == 0
    listing = capsys.readouterr().out
    assert "Quý 1" in listing and "ready" in listing


def test_bad_row_is_reported_and_exit_code_is_1(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [*ROWS, "HS-4;CQ2;79;phường;fax;2025-03-04;2025-03-06;0912345678"]
    path = write(tmp_path / "khung.csv", rows)
    argv = ["frame", "import", str(path), "--name", "Q1", "--map", "Mã số hồ sơ=dossier_code"]
    assert run([*argv, "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert "rejected" in out and "Nothing was imported" in out
    assert "row 5  level: level 'phường' is not known" in out
    assert "row 5  channel: channel 'fax' is not known" in out
    assert run([*argv, "--quiet", "--accept-valid-rows"]) == 0
    assert "imported 3; rejected 1" in capsys.readouterr().out
    assert run(["frame", "problems", "1", "--severity", "error"]) == 0
    assert "2 errors" in capsys.readouterr().out


def test_unusable_input_exits_2_with_the_fix(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "khung.csv", ROWS)
    assert run(["frame", "import", str(path), "--name", "Q1"]) == 2
    err = capsys.readouterr().err
    assert "no column gives the required field 'dossier_code'" in err
    assert "--map 'COLUMN=dossier_code'" in err
    assert run(["frame", "import", str(path), "--name", "Q1", "--map", "dossier_code"]) == 2
    assert "must look like COLUMN=FIELD" in capsys.readouterr().err
    assert run(["frame", "problems", "99"]) == 2
    assert "no frame 99" in capsys.readouterr().err


def test_period_flags_and_the_files_own_headers(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = "Mã số hồ sơ;agency_code;province_code;Cấp;channel;received_date;Ngày trả;phone"
    path = tmp_path / "khung.csv"
    path.write_bytes(("\r\n".join([header, *ROWS]) + "\r\n").encode("utf-8-sig"))
    argv = ["frame", "import", str(path), "--name", "Q1", "--map", "Mã số hồ sơ=dossier_code"]
    code = run([*argv, "--quiet", "--period-start", "2025-03-01", "--period-end", "2025-03-05"])
    out = capsys.readouterr().out
    assert code == 1  # HS-3 was completed on 2025-03-06, after the period
    assert "row 4  'Ngày trả' (completed_date): completed_date 2025-03-06 is outside" in out
    assert "  error 'Ngày trả' (completed_date): 1" in out
    with pytest.raises(SystemExit):
        parser().parse_args([*argv, "--period-start", "01/03/2025"])
    assert "'01/03/2025' is not a day: write it as YYYY-MM-DD" in capsys.readouterr().err
    assert run([*argv, "--quiet", "--period-start", "2025-03-01"]) == 2
    assert "give both the first and the last day" in capsys.readouterr().err
    assert run([*argv, "--quiet"]) == 0
    assert "period 2025-03-02 to 2025-03-06" in capsys.readouterr().out
