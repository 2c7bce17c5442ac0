"""Frame-import problems added for real agency files read in Vietnamese on the coordinator pages."""

from __future__ import annotations

import pytest

from api.problem_text import known, problem_text
from survey.geography import province_code_problem


@pytest.mark.parametrize(("code", "since"), [("27", True), ("99", False), ("HN", True)])
def test_the_messages_read_in_vietnamese(code: str, since: bool) -> None:
    message = province_code_problem(code, since_merger=since)
    assert message is not None and known(message[1])
    vietnamese = problem_text(message[1], "vi")
    assert vietnamese.startswith(f"mã tỉnh {code} ")
    assert "give" not in vietnamese and "the row" not in vietnamese and "kept" not in vietnamese


def test_the_unclosed_quote_diagnosis_reads_in_vietnamese() -> None:
    from survey.frames import _unclosed_quote

    message = _unclosed_quote("dossier_code", "HS-1,CQ\r\nHS-2,CQ\r\nHS-3,CQ")
    assert known(message)
    vietnamese = problem_text(message, "vi")
    assert vietnamese.startswith("dossier_code kéo dài qua 3 dòng")
    assert "2 dòng tiếp theo" in vietnamese and "quote" not in vietnamese
