"""The README's notebook example runs as written on a responses file like the one it describes."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from analysis.questionnaire_tree import builtin_questionnaire_tree

README = Path(__file__).resolve().parents[1] / "README.md"


def test_notebook_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    tree = builtin_questionnaire_tree("sipas-standard")
    rng = np.random.default_rng(3)
    with (tmp_path / "responses.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agency", "population", *tree.criteria])
        for agency, population, respondents in [("UBND xã A", 900, 60), ("Sở Tư pháp", 1500, 80)]:
            for _ in range(respondents):
                answers = rng.choice(["5", "4", "3", "2", "0", ""], size=len(tree.criteria))
                writer.writerow([agency, population, *answers])
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == ["Sở Tư pháp", "UBND xã A"]
    assert all("%" in line and "SE" in line for line in printed)
